// Item: what stores, queues and key functions carry, the C++ counterpart of
// the `interface{}` values of client-go's tools/cache.
//
// An Item is one of:
//   - null (the zero value; never stored),
//   - an API object (shared, immutable: api::Object behind shared_ptr<const>),
//   - a DeletedFinalStateUnknown tombstone (rule K5),
//   - an ExplicitKey (rule K1),
//   - the payload of a RealFIFO atomic delta: ReplacedAllInfo, SyncAllInfo or
//     BookmarkInfo (rules R5, R7, R8).
// Copying an Item copies one shared pointer, never the object: like a Go
// pointer, many queues and stores may hold the same immutable object.
//
// Thread safety: Items are immutable values; copies may be used from any
// thread. Invariant: the payload pointer of a non-null Item is never null.
#ifndef INFORMERSIM_CORE_ITEM_H_
#define INFORMERSIM_CORE_ITEM_H_

#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "absl/strings/string_view.h"
#include "core/api/object.pb.h"

namespace informersim {

using ObjectPtr = std::shared_ptr<const api::Object>;

// Wraps an object in the shared immutable form the core passes around.
inline ObjectPtr MakeObject(api::Object object) {
  return std::make_shared<const api::Object>(std::move(object));
}

class Item;

// client-go DeletedFinalStateUnknown (K5): a deletion inferred on relist. `obj`
// is the last state known locally, possibly stale, possibly null.
struct DeletedFinalStateUnknown {
  std::string key;
  ObjectPtr obj;
};

// RealFIFO's atomic relist payload (R5): the whole list and its version.
struct ReplacedAllInfo {
  std::string resource_version;
  std::vector<ObjectPtr> objects;
};

// RealFIFO's atomic resync marker (R7); carries nothing.
struct SyncAllInfo {};
inline bool operator==(const SyncAllInfo&, const SyncAllInfo&) { return true; }

// RealFIFO's bookmark payload (R8).
struct BookmarkInfo {
  std::string resource_version;
};

class Item {
 public:
  enum class Kind : uint8_t {
    kNull,
    kObject,
    kTombstone,
    kExplicitKey,
    kReplacedAll,
    kSyncAll,
    kBookmark,
  };

  Item() = default;
  // Implicit: an object is the common case and reads best without a wrapper.
  // A null pointer gives the null Item.
  Item(ObjectPtr object);  // NOLINT(google-explicit-constructor)

  static Item Tombstone(std::string key, ObjectPtr last_known);
  static Item ExplicitKey(std::string key);
  static Item ReplacedAll(std::string resource_version,
                          std::vector<ObjectPtr> objects);
  static Item SyncAll();
  static Item Bookmark(std::string resource_version);

  Kind kind() const { return static_cast<Kind>(value_.index()); }
  bool is_null() const { return kind() == Kind::kNull; }
  bool is_object() const { return kind() == Kind::kObject; }
  bool is_tombstone() const { return kind() == Kind::kTombstone; }

  // Accessors; each asserts the kind.
  const ObjectPtr& object() const;
  const DeletedFinalStateUnknown& tombstone() const;
  const std::string& explicit_key() const;
  const ReplacedAllInfo& replaced_all() const;
  const BookmarkInfo& bookmark() const;

  // The object meta if this is an API object that has one, else null: what
  // client-go's meta.Accessor succeeds on.
  // Inline: key functions and index functions call it on every write.
  const api::ObjectMeta* meta() const {
    const ObjectPtr* obj = std::get_if<ObjectPtr>(&value_);
    if (obj == nullptr || !(*obj)->has_metadata()) return nullptr;
    return &(*obj)->metadata();
  }
  // meta()->resource_version(), or "" when there is no meta.
  absl::string_view resource_version() const;

  // Same value: same kind and the same payload pointer (Go's == on pointers).
  bool SameAs(const Item& other) const { return value_ == other.value_; }

  // One-line human-readable form for messages and test failures.
  std::string DebugString() const;

 private:
  // Alternative order must match Kind.
  using Value = std::variant<std::monostate, ObjectPtr,
                             std::shared_ptr<const DeletedFinalStateUnknown>,
                             std::shared_ptr<const std::string>,
                             std::shared_ptr<const ReplacedAllInfo>, SyncAllInfo,
                             std::shared_ptr<const BookmarkInfo>>;
  explicit Item(Value value) : value_(std::move(value)) {}
  Value value_;
};

// A hint to start loading the reference count of `item`'s object, for code
// about to copy or release many scattered items (their atomic count updates
// would otherwise each wait for memory in turn). MakeObject's make_shared
// keeps the counts in the 16 bytes before the object, hence the address 8
// bytes before it; for any other layout it is one useless prefetch.
inline void PrefetchReferenceCount(const Item& item) {
  if (!item.is_object()) return;
  const auto object = reinterpret_cast<uintptr_t>(item.object().get());
  __builtin_prefetch(reinterpret_cast<const void*>(object - 8), 1);
}

}  // namespace informersim

#endif  // INFORMERSIM_CORE_ITEM_H_
