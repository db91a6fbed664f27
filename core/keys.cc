#include "core/keys.h"

#include "absl/strings/str_cat.h"
#include "core/errors.h"

namespace informersim {

absl::StatusOr<std::string> MetaNamespaceKeyFunc(const Item& item) {
  if (item.kind() == Item::Kind::kExplicitKey) return item.explicit_key();
  const api::ObjectMeta* meta = item.meta();
  if (meta == nullptr) {
    return absl::InvalidArgumentError(
        absl::StrCat("object has no meta: ", item.DebugString()));
  }
  if (meta->namespace_().empty()) return meta->name();
  return absl::StrCat(meta->namespace_(), "/", meta->name());
}

absl::StatusOr<std::string> DeletionHandlingMetaNamespaceKeyFunc(const Item& item) {
  if (item.is_tombstone()) return item.tombstone().key;
  return MetaNamespaceKeyFunc(item);
}

bool IsMetaNamespaceKeyFunc(const KeyFunc& f) {
  using Fn = absl::StatusOr<std::string> (*)(const Item&);
  const Fn* fn = f.target<Fn>();
  return fn != nullptr &&
         (*fn == &MetaNamespaceKeyFunc || *fn == &DeletionHandlingMetaNamespaceKeyFunc);
}

absl::StatusOr<std::pair<std::string, std::string>> SplitMetaNamespaceKey(
    absl::string_view key) {
  const size_t slash = key.find('/');
  if (slash == absl::string_view::npos) {
    return std::make_pair(std::string(), std::string(key));
  }
  if (key.find('/', slash + 1) != absl::string_view::npos) {
    return absl::InvalidArgumentError(
        absl::StrCat("unexpected key format: \"", key, "\""));
  }
  return std::make_pair(std::string(key.substr(0, slash)),
                        std::string(key.substr(slash + 1)));
}

absl::Status KeyError(const Item& item, const absl::Status& cause) {
  return WithTag(
      Wrap(cause, absl::StrCat("couldn't create key for object ", item.DebugString())),
      kKeyErrorTag);
}

bool IsKeyError(const absl::Status& status) { return HasTag(status, kKeyErrorTag); }

}  // namespace informersim
