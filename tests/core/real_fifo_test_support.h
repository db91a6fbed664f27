// Test doubles shared by the RealFIFO and FIFO tests: the C++ form of
// client-go's testFifoObject, testFifoObjectKeyFunc and literalListerGetter
// (fifo_test.go, delta_fifo_test.go), plus a canonical rendering of deltas
// so that expectations compare values deeply, as reflect.DeepEqual does.
//
// testFifoObject{name, val} is an api::Object whose metadata.name is `name`
// and whose resource_version is `val` in decimal. The test key function
// yields the bare name.
#ifndef INFORMERSIM_TESTS_CORE_REAL_FIFO_TEST_SUPPORT_H_
#define INFORMERSIM_TESTS_CORE_REAL_FIFO_TEST_SUPPORT_H_

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "core/delta.h"
#include "core/item.h"
#include "core/store.h"

namespace informersim {
namespace testing_fifo {

// mkFifoObj(name, val).
inline Item FifoObj(absl::string_view name, int64_t val) {
  api::Object o;
  o.mutable_metadata()->set_name(std::string(name));
  o.mutable_metadata()->set_resource_version(absl::StrCat(val));
  return Item(MakeObject(std::move(o)));
}

// testFifoObjectKeyFunc: the object's name; anything without meta fails.
inline absl::StatusOr<std::string> FifoKey(const Item& item) {
  const api::ObjectMeta* meta = item.meta();
  if (meta == nullptr) {
    return absl::InvalidArgumentError(
        absl::StrCat("not a test fifo object: ", item.DebugString()));
  }
  return meta->name();
}

// The `val` of a test object (its resource version); -1 if none.
inline int64_t ValOf(const Item& item) {
  int64_t v = -1;
  if (item.meta() == nullptr || !absl::SimpleAtoi(item.resource_version(), &v)) return -1;
  return v;
}

inline std::string NameOf(const Item& item) {
  return item.meta() == nullptr ? std::string() : item.meta()->name();
}

// literalListerGetter: a fixed list of test objects, keyed by name, listed
// in the given order.
class LiteralListerGetter : public KeyListerGetter {
 public:
  explicit LiteralListerGetter(std::vector<Item> objects) : objects_(std::move(objects)) {}
  std::vector<std::string> ListKeys() const override {
    std::vector<std::string> keys;
    for (const Item& o : objects_) keys.push_back(NameOf(o));
    return keys;
  }
  absl::StatusOr<std::optional<Item>> GetByKey(absl::string_view key) const override {
    for (const Item& o : objects_) {
      if (NameOf(o) == key) return std::optional<Item>(o);
    }
    return std::optional<Item>();
  }

 private:
  std::vector<Item> objects_;
};

// A canonical, complete rendering of an item: equal renderings mean deeply
// equal values.
inline std::string Canonical(const ObjectPtr& obj) {
  return obj == nullptr ? "<nil>" : absl::StrCat("{", obj->ShortDebugString(), "}");
}

inline std::string Canonical(const Item& item) {
  switch (item.kind()) {
    case Item::Kind::kNull:
      return "<nil>";
    case Item::Kind::kObject:
      return Canonical(item.object());
    case Item::Kind::kTombstone:
      return absl::StrCat("DFSU(", item.tombstone().key, ", ", Canonical(item.tombstone().obj),
                          ")");
    case Item::Kind::kExplicitKey:
      return absl::StrCat("ExplicitKey(", item.explicit_key(), ")");
    case Item::Kind::kReplacedAll: {
      std::vector<std::string> objs;
      for (const ObjectPtr& o : item.replaced_all().objects) objs.push_back(Canonical(o));
      return absl::StrCat("ReplacedAllInfo(rv=", item.replaced_all().resource_version, ", [",
                          absl::StrJoin(objs, ", "), "])");
    }
    case Item::Kind::kSyncAll:
      return "SyncAllInfo()";
    case Item::Kind::kBookmark:
      return absl::StrCat("BookmarkInfo(rv=", item.bookmark().resource_version, ")");
  }
  return "?";
}

inline std::string Canonical(const Delta& d) {
  return absl::StrCat(DeltaTypeName(d.type), " ", Canonical(d.object));
}

inline std::vector<std::string> Canonical(absl::Span<const Delta> deltas) {
  std::vector<std::string> out;
  out.reserve(deltas.size());
  for (const Delta& d : deltas) out.push_back(Canonical(d));
  return out;
}

inline Delta D(DeltaType type, Item obj) { return Delta{type, std::move(obj)}; }

inline Item Tombstone(absl::string_view key, const Item& obj) {
  return Item::Tombstone(std::string(key), obj.is_null() ? nullptr : obj.object());
}

}  // namespace testing_fifo
}  // namespace informersim

#endif  // INFORMERSIM_TESTS_CORE_REAL_FIFO_TEST_SUPPORT_H_
