// ResourceEventHandler: what an informer tells its users (client-go
// controller.go: ResourceEventHandler, ResourceEventHandlerFuncs,
// FilteringResourceEventHandler; rule C6).
//
//   OnAdd(obj, is_in_initial_list)  obj appeared (SI12 says when the flag is set)
//   OnUpdate(old, new)              obj changed, or a resync/relist repeated it
//   OnDelete(obj)                   obj is gone; obj may be a
//                                   DeletedFinalStateUnknown tombstone (K5)
// Handlers must not modify the objects (they are shared and immutable here
// anyway: core/item.h).
//
// Thread safety: an informer calls one handler from one strand at a time
// (SI9), so a handler needs no lock of its own unless it shares state with
// other threads. The adapters below are as thread-safe as the functions they
// hold.
//
// Differences from client-go: none in behaviour. A handler that throws is
// the C++ counterpart of a handler that panics (SI9); see
// core/processor_listener.h.
#ifndef INFORMERSIM_CORE_RESOURCE_EVENT_HANDLER_H_
#define INFORMERSIM_CORE_RESOURCE_EVENT_HANDLER_H_

#include <functional>
#include <memory>
#include <utility>

#include "core/item.h"

namespace informersim {

class ResourceEventHandler {
 public:
  virtual ~ResourceEventHandler() = default;
  virtual void OnAdd(const Item& obj, bool is_in_initial_list) = 0;
  virtual void OnUpdate(const Item& old_obj, const Item& new_obj) = 0;
  virtual void OnDelete(const Item& obj) = 0;
};

// client-go ResourceEventHandlerFuncs (and ...DetailedFuncs: the add function
// receives the initial-list flag). Empty functions are skipped.
class ResourceEventHandlerFuncs final : public ResourceEventHandler {
 public:
  using AddFunc = std::function<void(const Item& obj, bool is_in_initial_list)>;
  using UpdateFunc = std::function<void(const Item& old_obj, const Item& new_obj)>;
  using DeleteFunc = std::function<void(const Item& obj)>;

  ResourceEventHandlerFuncs() = default;
  ResourceEventHandlerFuncs(AddFunc add, UpdateFunc update, DeleteFunc del)
      : add_func(std::move(add)), update_func(std::move(update)), delete_func(std::move(del)) {}

  void OnAdd(const Item& obj, bool is_in_initial_list) override;
  void OnUpdate(const Item& old_obj, const Item& new_obj) override;
  void OnDelete(const Item& obj) override;

  AddFunc add_func;
  UpdateFunc update_func;
  DeleteFunc delete_func;
};

// client-go FilteringResourceEventHandler (C6): forwards to `handler` only
// what passes `filter`; an update whose old or new side alone passes becomes
// an add (OnAdd(new, false)) or a delete (OnDelete(old)).
class FilteringResourceEventHandler final : public ResourceEventHandler {
 public:
  using FilterFunc = std::function<bool(const Item& obj)>;

  FilteringResourceEventHandler(FilterFunc filter, std::shared_ptr<ResourceEventHandler> handler)
      : filter_(std::move(filter)), handler_(std::move(handler)) {}

  void OnAdd(const Item& obj, bool is_in_initial_list) override;
  void OnUpdate(const Item& old_obj, const Item& new_obj) override;
  void OnDelete(const Item& obj) override;

 private:
  FilterFunc filter_;
  std::shared_ptr<ResourceEventHandler> handler_;
};

}  // namespace informersim

#endif  // INFORMERSIM_CORE_RESOURCE_EVENT_HANDLER_H_
