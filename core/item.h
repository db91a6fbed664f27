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
// thread. Invariant: the payload pointer of a non-null Item is never null (a
// moved-from Item is null).
//
// Bitwise relocatable: an Item's bytes copied elsewhere are that Item, and
// the original bytes are then abandoned without destruction. Its members are
// a kind tag and a shared_ptr (two pointers; neither points into the Item),
// so nothing refers to its address. Deltas grows and moves by memcpy on
// this promise; keep it (no self-pointers, no address registered anywhere).
#ifndef INFORMERSIM_CORE_ITEM_H_
#define INFORMERSIM_CORE_ITEM_H_

#include <cassert>
#include <cstdint>
#include <memory>
#include <new>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/string_view.h"
#include "core/api/object.h"

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

  Item() noexcept {}
  // Implicit: an object is the common case and reads best without a wrapper.
  // A null pointer gives the null Item.
  Item(ObjectPtr object) noexcept {  // NOLINT(google-explicit-constructor)
    if (object != nullptr) {
      new (&object_) ObjectPtr(std::move(object));
      kind_ = Kind::kObject;
    }
  }
  Item(const Item& other) noexcept : kind_(other.kind_) { CopyPayload(other); }
  // A moved-from Item is null.
  Item(Item&& other) noexcept : kind_(other.kind_) { TakePayload(&other); }
  Item& operator=(const Item& other) noexcept {
    if (this != &other) {
      Reset();
      kind_ = other.kind_;
      CopyPayload(other);
    }
    return *this;
  }
  Item& operator=(Item&& other) noexcept {
    if (this != &other) {
      Reset();
      kind_ = other.kind_;
      TakePayload(&other);
    }
    return *this;
  }
  ~Item() { Reset(); }

  static Item Tombstone(std::string key, ObjectPtr last_known);
  static Item ExplicitKey(std::string key);
  static Item ReplacedAll(std::string resource_version,
                          std::vector<ObjectPtr> objects);
  static Item SyncAll();
  static Item Bookmark(std::string resource_version);

  Kind kind() const { return kind_; }
  bool is_null() const { return kind() == Kind::kNull; }
  bool is_object() const { return kind() == Kind::kObject; }
  bool is_tombstone() const { return kind() == Kind::kTombstone; }

  // Accessors; each asserts the kind.
  const ObjectPtr& object() const {
    assert(kind_ == Kind::kObject);
    return object_;
  }
  const DeletedFinalStateUnknown& tombstone() const;
  const std::string& explicit_key() const;
  const ReplacedAllInfo& replaced_all() const;
  const BookmarkInfo& bookmark() const;

  // The object meta if this is an API object that has one, else null: what
  // client-go's meta.Accessor succeeds on.
  // Inline: key functions and index functions call it on every write.
  const api::ObjectMeta* meta() const {
    if (kind_ != Kind::kObject || !object_->has_metadata()) return nullptr;
    return &object_->metadata();
  }
  // meta()->resource_version(), or "" when there is no meta. Inline: the
  // checker reads it at every notification.
  absl::string_view resource_version() const {
    const api::ObjectMeta* m = meta();
    return m == nullptr ? absl::string_view() : absl::string_view(m->resource_version());
  }

  // Same value: same kind and the same payload pointer (Go's == on pointers).
  bool SameAs(const Item& other) const {
    if (kind_ != other.kind_) return false;
    if (kind_ == Kind::kObject) return object_ == other.object_;
    return !HoldsShared(kind_) || shared_ == other.shared_;
  }

  // One-line human-readable form for messages and test failures.
  std::string DebugString() const;

 private:
  // Hand-rolled rather than a std::variant: Items are copied, moved and
  // destroyed on every queue and store operation, and a variant does each
  // through a jump table; here each is one well-predicted branch. Every
  // payload but the object's is held type-erased in `shared_`; kind_ says
  // which member of the union is alive (none for kNull and kSyncAll).
  static bool HoldsShared(Kind kind) {
    return kind != Kind::kNull && kind != Kind::kObject && kind != Kind::kSyncAll;
  }
  Item(Kind kind, std::shared_ptr<const void> payload) noexcept : kind_(kind) {
    new (&shared_) std::shared_ptr<const void>(std::move(payload));
  }
  void CopyPayload(const Item& other) noexcept {
    if (kind_ == Kind::kObject) {
      new (&object_) ObjectPtr(other.object_);
    } else if (HoldsShared(kind_)) {
      new (&shared_) std::shared_ptr<const void>(other.shared_);
    }
  }
  // Expects kind_ == other->kind_; leaves *other null.
  void TakePayload(Item* other) noexcept {
    if (kind_ == Kind::kObject) {
      new (&object_) ObjectPtr(std::move(other->object_));
      other->object_.~ObjectPtr();
    } else if (HoldsShared(kind_)) {
      new (&shared_) std::shared_ptr<const void>(std::move(other->shared_));
      other->shared_.~shared_ptr();
    }
    other->kind_ = Kind::kNull;
  }
  void Reset() noexcept {
    if (kind_ == Kind::kObject) {
      object_.~ObjectPtr();
    } else if (HoldsShared(kind_)) {
      shared_.~shared_ptr();
    }
    kind_ = Kind::kNull;
  }
  template <typename T>
  const T& Payload() const {
    return *static_cast<const T*>(shared_.get());
  }

  union {
    ObjectPtr object_;                     // kObject
    std::shared_ptr<const void> shared_;   // kTombstone, kExplicitKey, kReplacedAll, kBookmark
  };
  Kind kind_ = Kind::kNull;
};

// A hint to start loading the reference count of `item`'s object, for code
// about to copy or release many scattered items (their atomic count updates
// would otherwise each wait for memory in turn). MakeObject's make_shared
// keeps the counts in the 16 bytes before the object, hence the address 8
// bytes before it; for any other layout it is one useless prefetch.
inline void PrefetchReferenceCount(const Item& item) {
  if (!item.is_object()) return;
  const auto object = reinterpret_cast<uintptr_t>(item.object().get());
  const char* counts = reinterpret_cast<const char*>(object - 8);
#if defined(__x86_64__) && defined(__GNUC__)
  // GCC drops __builtin_prefetch from a loop that does nothing else (it sees
  // no effect); the volatile asm keeps it. The operand is only an address:
  // nothing is read.
  asm volatile("prefetcht0 %0" : : "m"(*counts));
#else
  __builtin_prefetch(counts);
#endif
}

}  // namespace informersim

#endif  // INFORMERSIM_CORE_ITEM_H_
