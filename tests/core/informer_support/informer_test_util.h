// Test helpers for the controller and shared-informer tests: object
// builders and a recording ResourceEventHandler (client-go's eventRecorder
// and testListener, re-expressed).
//
// Thread safety: EventRecorder is safe for concurrent use.
#ifndef INFORMERSIM_TESTS_CORE_INFORMER_SUPPORT_INFORMER_TEST_UTIL_H_
#define INFORMERSIM_TESTS_CORE_INFORMER_SUPPORT_INFORMER_TEST_UTIL_H_

#include <algorithm>
#include <cstdint>
#include <map>
#include <ostream>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/strings/str_cat.h"
#include "core/item.h"
#include "core/keys.h"
#include "core/mutex.h"
#include "core/random.h"
#include "core/resource_event_handler.h"
#include "core/store.h"

namespace informersim {
namespace testing_support {

// A pod as the fake source takes it (it assigns the resourceVersion).
inline api::Object PodObject(const std::string& ns, const std::string& name,
                             std::map<std::string, std::string> labels = {}) {
  api::Object obj;
  obj.set_kind("Pod");
  obj.mutable_metadata()->set_namespace_(ns);
  obj.mutable_metadata()->set_name(name);
  for (auto& [k, v] : labels) (*obj.mutable_metadata()->mutable_labels())[k] = v;
  return obj;
}

inline std::string LabelOf(const Item& item, const std::string& label) {
  if (item.meta() == nullptr) return "";
  auto it = item.meta()->labels().find(label);
  return it == item.meta()->labels().end() ? "" : it->second;
}

// A fixed-algorithm RandomSource (splitmix64) for the reflector's jitter.
class TestRandom final : public RandomSource {
 public:
  explicit TestRandom(uint64_t seed = 1) : state_(seed) {}
  uint64_t NextUint64() override {
    uint64_t z = (state_ += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }

 private:
  uint64_t state_;
};

inline ObjectPtr MakePod(const std::string& ns, const std::string& name, const std::string& rv,
                         const std::string& label = "") {
  api::Object obj;
  obj.set_kind("Pod");
  obj.mutable_metadata()->set_namespace_(ns);
  obj.mutable_metadata()->set_name(name);
  obj.mutable_metadata()->set_resource_version(rv);
  if (!label.empty()) (*obj.mutable_metadata()->mutable_labels())["ver"] = label;
  return MakeObject(std::move(obj));
}

inline std::string KeyOf(const Item& item) {
  absl::StatusOr<std::string> key = DeletionHandlingMetaNamespaceKeyFunc(item);
  return key.ok() ? *key : std::string("<no key>");
}

// One handler call, as client-go's eventRecord: the action, the key, the RV
// of the object handed over, and the RV the store held for the key at that
// moment ("" if absent).
struct EventRecord {
  std::string action;  // "add", "update", "delete"
  std::string key;
  std::string event_rv;
  std::string store_rv;
  bool is_in_initial_list = false;
  bool operator==(const EventRecord& o) const {
    return action == o.action && key == o.key && event_rv == o.event_rv && store_rv == o.store_rv;
  }
};

inline std::ostream& operator<<(std::ostream& os, const EventRecord& r) {
  return os << "{" << r.action << " " << r.key << " ev=" << r.event_rv << " st=" << r.store_rv
            << (r.is_in_initial_list ? " initial" : "") << "}";
}

// Records every call; with a store, also what the store held then (C5).
class EventRecorder final : public ResourceEventHandler {
 public:
  explicit EventRecorder(const Store* store = nullptr) : store_(store) {}

  void OnAdd(const Item& obj, bool is_in_initial_list) override {
    Record("add", obj, obj, is_in_initial_list);
  }
  void OnUpdate(const Item& old_obj, const Item& new_obj) override {
    Record("update", new_obj, new_obj, false);
    MutexLock lock(&mu_);
    updates_.emplace_back(old_obj, new_obj);
  }
  void OnDelete(const Item& obj) override {
    Item inner = obj;
    if (obj.is_tombstone()) inner = obj.tombstone().obj != nullptr ? Item(obj.tombstone().obj) : Item();
    Record("delete", obj, inner, false);
  }

  std::vector<EventRecord> history() const {
    MutexLock lock(&mu_);
    return history_;
  }
  std::vector<std::pair<Item, Item>> updates() const {
    MutexLock lock(&mu_);
    return updates_;
  }
  void Clear() {
    MutexLock lock(&mu_);
    history_.clear();
    updates_.clear();
  }
  size_t size() const {
    MutexLock lock(&mu_);
    return history_.size();
  }

 private:
  void Record(const char* action, const Item& keyed, const Item& rv_of, bool initial) {
    EventRecord r;
    r.action = action;
    r.key = KeyOf(keyed);
    r.event_rv = std::string(rv_of.is_null() ? "" : rv_of.resource_version());
    r.is_in_initial_list = initial;
    if (store_ != nullptr) {
      auto stored = store_->GetByKey(r.key);
      if (stored.ok() && stored->has_value()) r.store_rv = std::string((*stored)->resource_version());
    }
    MutexLock lock(&mu_);
    history_.push_back(std::move(r));
  }

  const Store* const store_;
  mutable Mutex mu_;
  std::vector<EventRecord> history_ ABSL_GUARDED_BY(mu_);
  std::vector<std::pair<Item, Item>> updates_ ABSL_GUARDED_BY(mu_);
};

// client-go sortDeleteEventsByKey: the leading deletions of a replace are
// unordered, so they are sorted by key.
inline std::vector<EventRecord> SortDeletesByKey(std::vector<EventRecord> history) {
  auto first_non_delete = std::find_if(
      history.begin(), history.end(), [](const EventRecord& r) { return r.action != "delete"; });
  std::sort(history.begin(), first_non_delete,
            [](const EventRecord& a, const EventRecord& b) { return a.key < b.key; });
  return history;
}

}  // namespace testing_support
}  // namespace informersim

#endif  // INFORMERSIM_TESTS_CORE_INFORMER_SUPPORT_INFORMER_TEST_UTIL_H_
