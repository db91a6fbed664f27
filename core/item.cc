#include "core/item.h"

#include <cassert>

#include "absl/strings/str_cat.h"

namespace informersim {

Item Item::Tombstone(std::string key, ObjectPtr last_known) {
  return Item(Kind::kTombstone, std::make_shared<const DeletedFinalStateUnknown>(
                                    DeletedFinalStateUnknown{std::move(key), std::move(last_known)}));
}

Item Item::ExplicitKey(std::string key) {
  return Item(Kind::kExplicitKey, std::make_shared<const std::string>(std::move(key)));
}

Item Item::ReplacedAll(std::string resource_version,
                       std::vector<ObjectPtr> objects) {
  return Item(Kind::kReplacedAll,
              std::make_shared<const ReplacedAllInfo>(
                  ReplacedAllInfo{std::move(resource_version), std::move(objects)}));
}

Item Item::SyncAll() {
  Item item;
  item.kind_ = Kind::kSyncAll;
  return item;
}

Item Item::Bookmark(std::string resource_version) {
  return Item(Kind::kBookmark,
              std::make_shared<const BookmarkInfo>(BookmarkInfo{std::move(resource_version)}));
}

const DeletedFinalStateUnknown& Item::tombstone() const {
  assert(kind() == Kind::kTombstone);
  return Payload<DeletedFinalStateUnknown>();
}

const std::string& Item::explicit_key() const {
  assert(kind() == Kind::kExplicitKey);
  return Payload<std::string>();
}

const ReplacedAllInfo& Item::replaced_all() const {
  assert(kind() == Kind::kReplacedAll);
  return Payload<ReplacedAllInfo>();
}

const BookmarkInfo& Item::bookmark() const {
  assert(kind() == Kind::kBookmark);
  return Payload<BookmarkInfo>();
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
