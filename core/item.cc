#include "core/item.h"

#include <cassert>

#include "absl/strings/str_cat.h"

namespace informersim {

Item::Item(ObjectPtr object) {
  // A null pointer is the null Item, never an object kind with no object.
  if (object != nullptr) value_ = std::move(object);
}

Item Item::Tombstone(std::string key, ObjectPtr last_known) {
  return Item(Value(std::make_shared<const DeletedFinalStateUnknown>(
      DeletedFinalStateUnknown{std::move(key), std::move(last_known)})));
}

Item Item::ExplicitKey(std::string key) {
  return Item(Value(std::make_shared<const std::string>(std::move(key))));
}

Item Item::ReplacedAll(std::string resource_version,
                       std::vector<ObjectPtr> objects) {
  return Item(Value(std::make_shared<const ReplacedAllInfo>(
      ReplacedAllInfo{std::move(resource_version), std::move(objects)})));
}

Item Item::SyncAll() { return Item(Value(SyncAllInfo{})); }

Item Item::Bookmark(std::string resource_version) {
  return Item(Value(std::make_shared<const BookmarkInfo>(
      BookmarkInfo{std::move(resource_version)})));
}

const ObjectPtr& Item::object() const {
  assert(kind() == Kind::kObject);
  return std::get<ObjectPtr>(value_);
}

const DeletedFinalStateUnknown& Item::tombstone() const {
  assert(kind() == Kind::kTombstone);
  return *std::get<std::shared_ptr<const DeletedFinalStateUnknown>>(value_);
}

const std::string& Item::explicit_key() const {
  assert(kind() == Kind::kExplicitKey);
  return *std::get<std::shared_ptr<const std::string>>(value_);
}

const ReplacedAllInfo& Item::replaced_all() const {
  assert(kind() == Kind::kReplacedAll);
  return *std::get<std::shared_ptr<const ReplacedAllInfo>>(value_);
}

const BookmarkInfo& Item::bookmark() const {
  assert(kind() == Kind::kBookmark);
  return *std::get<std::shared_ptr<const BookmarkInfo>>(value_);
}

absl::string_view Item::resource_version() const {
  const api::ObjectMeta* m = meta();
  return m == nullptr ? absl::string_view() : absl::string_view(m->resource_version());
}

namespace {

std::string ObjectDebugString(const ObjectPtr& obj) {
  if (obj == nullptr) return "<nil>";
  if (!obj->has_metadata()) return absl::StrCat("&{kind:", obj->kind(), " <no meta>}");
  const api::ObjectMeta& m = obj->metadata();
  return absl::StrCat("&{", obj->kind(), obj->kind().empty() ? "" : " ",
                      m.namespace_(), m.namespace_().empty() ? "" : "/", m.name(),
                      " rv=", m.resource_version(), "}");
}

}  // namespace

std::string Item::DebugString() const {
  switch (kind()) {
    case Kind::kNull:
      return "<nil>";
    case Kind::kObject:
      return ObjectDebugString(object());
    case Kind::kTombstone:
      return absl::StrCat("DeletedFinalStateUnknown{", tombstone().key, ", ",
                          ObjectDebugString(tombstone().obj), "}");
    case Kind::kExplicitKey:
      return absl::StrCat("ExplicitKey(", explicit_key(), ")");
    case Kind::kReplacedAll:
      return absl::StrCat("ReplacedAllInfo{rv=", replaced_all().resource_version,
                          ", ", replaced_all().objects.size(), " objects}");
    case Kind::kSyncAll:
      return "SyncAllInfo{}";
    case Kind::kBookmark:
      return absl::StrCat("BookmarkInfo{rv=", bookmark().resource_version, "}");
  }
  return "<?>";
}

}  // namespace informersim
