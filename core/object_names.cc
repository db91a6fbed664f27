#include "core/object_names.h"

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "core/keys.h"

namespace informersim {

std::string ObjectName::String() const {
  if (namespace_name.empty()) return name;
  return absl::StrCat(namespace_name, "/", name);
}

absl::StatusOr<ObjectName> ParseObjectName(absl::string_view key) {
  absl::StatusOr<std::pair<std::string, std::string>> parts = SplitMetaNamespaceKey(key);
  if (!parts.ok()) return parts.status();
  return ObjectName{std::move(parts->first), std::move(parts->second)};
}

ObjectName MetaObjectToName(const api::ObjectMeta& meta) {
  return ObjectName{meta.namespace_(), meta.name()};
}

absl::StatusOr<ObjectName> ObjectToName(const Item& item) {
  const api::ObjectMeta* meta = item.meta();
  if (meta == nullptr) {
    return absl::InvalidArgumentError(absl::StrCat("object has no meta: ", item.DebugString()));
  }
  return MetaObjectToName(*meta);
}

absl::StatusOr<ObjectName> DeletionHandlingObjectToName(const Item& item) {
  if (item.is_tombstone()) return ParseObjectName(item.tombstone().key);
  return ObjectToName(item);
}

ObjectName DeletedObject::GetObjectName() const {
  if (final_state_unknown.has_value()) {
    const std::string& key = final_state_unknown->key;
    const size_t slash = key.find('/');
    if (slash == std::string::npos) return ObjectName{"", key};
    return ObjectName{key.substr(0, slash), key.substr(slash + 1)};
  }
  if (optional_obj == nullptr) return ObjectName{};
  return MetaObjectToName(optional_obj->metadata());
}

std::string DeletedObject::GetKey() const {
  if (final_state_unknown.has_value()) return final_state_unknown->key;
  if (optional_obj == nullptr) return "";
  return MetaObjectToName(optional_obj->metadata()).String();
}

DeletedObject DeletedObjectFromItem(const Item& item) {
  DeletedObject out;
  if (item.is_tombstone()) {
    out.final_state_unknown = item.tombstone();
    out.optional_obj = item.tombstone().obj;
    return out;
  }
  if (item.kind() == Item::Kind::kObject) out.optional_obj = item.object();
  return out;
}

}  // namespace informersim
