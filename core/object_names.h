// ObjectName: the structured namespace/name of an object, and the helpers
// client-go's object-names.go, store.go and controller.go give handlers
// (ObjectToName, MetaObjectToName, DeletionHandlingObjectToName): a handler's
// OnDelete may get a DeletedFinalStateUnknown tombstone (K5), whose key, not
// its possibly stale or absent object, names what was deleted.
//
// Thread safety: values and pure functions.
#ifndef INFORMERSIM_CORE_OBJECT_NAMES_H_
#define INFORMERSIM_CORE_OBJECT_NAMES_H_

#include <optional>
#include <string>
#include <utility>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "core/api/object.h"
#include "core/item.h"

namespace informersim {

struct ObjectName {
  std::string namespace_name;  // "" for a cluster-scoped object
  std::string name;

  // "namespace/name", or "name" when cluster scoped (the K1 key).
  std::string String() const;
  std::pair<std::string, std::string> Parts() const { return {namespace_name, name}; }
  bool operator==(const ObjectName& o) const {
    return namespace_name == o.namespace_name && name == o.name;
  }
  bool operator!=(const ObjectName& o) const { return !(*this == o); }
};

inline ObjectName NewObjectName(std::string namespace_name, std::string name) {
  return ObjectName{std::move(namespace_name), std::move(name)};
}

// The inverse of String() (K3's SplitMetaNamespaceKey): an error for more
// than one '/'.
absl::StatusOr<ObjectName> ParseObjectName(absl::string_view key);

ObjectName MetaObjectToName(const api::ObjectMeta& meta);

// "object has no meta: ..." for an item without one.
absl::StatusOr<ObjectName> ObjectToName(const Item& item);

// A tombstone's key, parsed; else ObjectToName.
absl::StatusOr<ObjectName> DeletionHandlingObjectToName(const Item& item);

// client-go's DeletedObject (controller.go; what a typed handler's OnDelete
// gets): the deleted object when the informer had a copy (it may be stale),
// and the tombstone when the deletion was noticed without the final state.
// Its accessors never fail: the tombstone's key is authoritative, split at
// its first '/' (further ones stay in the name, unlike ParseObjectName).
struct DeletedObject {
  ObjectPtr optional_obj;  // null when no copy of the object was found
  std::optional<DeletedFinalStateUnknown> final_state_unknown;

  // From the tombstone's key; else the object's namespace and name; an
  // empty DeletedObject gives an empty ObjectName.
  ObjectName GetObjectName() const;
  std::string GetName() const { return GetObjectName().name; }
  std::string GetNamespace() const { return GetObjectName().namespace_name; }
  // The tombstone's key; else "namespace/name" (or "name"); "" when empty.
  std::string GetKey() const;
};

// The DeletedObject an untyped OnDelete argument stands for, as client-go's
// typedResourceEventHandler builds it: a tombstone gives its key and, when
// it has one, its object; any other item gives its object.
DeletedObject DeletedObjectFromItem(const Item& item);

}  // namespace informersim

#endif  // INFORMERSIM_CORE_OBJECT_NAMES_H_
