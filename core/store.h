// The store interfaces of client-go's tools/cache: ReflectorStore (what a
// Reflector writes into), KeyListerGetter (what DeltaFIFO and RealFIFO read
// of the known objects), Store (a keyed store) and TransformFunc.
//
// Thread safety: each implementation documents its own; the implementations
// in core/ are all safe for concurrent use.
#ifndef INFORMERSIM_CORE_STORE_H_
#define INFORMERSIM_CORE_STORE_H_

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "core/item.h"

namespace informersim {

// client-go TransformFunc: applied to objects before they are stored or
// queued. Must be idempotent (watch-list may transform twice).
using TransformFunc = std::function<absl::StatusOr<Item>(Item)>;

// client-go ReflectorStore.
class ReflectorStore {
 public:
  virtual ~ReflectorStore() = default;
  virtual absl::Status Add(Item obj) = 0;
  virtual absl::Status Update(Item obj) = 0;
  virtual absl::Status Delete(Item obj) = 0;
  // Replaces the whole content with `list`, known at `resource_version`.
  virtual absl::Status Replace(std::vector<Item> list,
                               absl::string_view resource_version) = 0;
  virtual absl::Status Resync() = 0;
};

// client-go KeyListerGetter. GetByKey yields nullopt for a missing key and
// an error only when the lookup itself fails.
class KeyListerGetter {
 public:
  virtual ~KeyListerGetter() = default;
  virtual std::vector<std::string> ListKeys() const = 0;
  virtual absl::StatusOr<std::optional<Item>> GetByKey(absl::string_view key) const = 0;
};

// client-go Store.
class Store : public ReflectorStore, public KeyListerGetter {
 public:
  // Snapshots, in unspecified order (S4).
  virtual std::vector<Item> List() const = 0;
  // The stored item with obj's key; an error only for a KeyError (S4).
  virtual absl::StatusOr<std::optional<Item>> Get(const Item& obj) const = 0;
  // S5.
  virtual std::string LastStoreSyncResourceVersion() const = 0;
  virtual void Bookmark(absl::string_view resource_version) = 0;
};

}  // namespace informersim

#endif  // INFORMERSIM_CORE_STORE_H_
