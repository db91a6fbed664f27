#include "sim/keyed_objects.h"

#include <cstdint>
#include <map>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "core/api/object.h"
#include "gtest/gtest.h"

namespace informersim {
namespace sim {
namespace {

ObjectPtr Obj(absl::string_view name, int64_t rv) {
  api::Object o;
  o.mutable_metadata()->set_name(std::string(name));
  o.mutable_metadata()->set_resource_version(absl::StrCat(rv));
  return MakeObject(std::move(o));
}

std::vector<std::pair<std::string, ObjectPtr>> Walk(KeyedObjects& objects) {
  std::vector<std::pair<std::string, ObjectPtr>> out;
  objects.ForEachInKeyOrder(
      [&](const std::string& key, const ObjectPtr& obj) { out.emplace_back(key, obj); });
  return out;
}

std::vector<std::pair<std::string, ObjectPtr>> Walk(const std::map<std::string, ObjectPtr>& m) {
  return {m.begin(), m.end()};
}

TEST(KeyedObjectsTest, WalksInKeyOrderWhateverTheWriteOrder) {
  KeyedObjects objects;
  const ObjectPtr b = Obj("b", 1), a = Obj("a", 2), c = Obj("c", 3);
  objects.Set("ns/b", b);
  objects.Set("ns/a", a);
  EXPECT_EQ(Walk(objects), (std::vector<std::pair<std::string, ObjectPtr>>{{"ns/a", a}, {"ns/b", b}}));
  // A key added after a walk is merged into the order at the next one.
  objects.Set("ms/c", c);
  EXPECT_EQ(Walk(objects), (std::vector<std::pair<std::string, ObjectPtr>>{
                               {"ms/c", c}, {"ns/a", a}, {"ns/b", b}}));
  EXPECT_EQ(objects.size(), 3u);
}

TEST(KeyedObjectsTest, SetReplacesAndEraseRemoves) {
  KeyedObjects objects;
  const ObjectPtr v1 = Obj("x", 1), v2 = Obj("x", 2);
  objects.Set("x", v1);
  objects.Set("x", v2);
  EXPECT_EQ(objects.size(), 1u);
  ASSERT_NE(objects.Find("x"), nullptr);
  EXPECT_EQ(*objects.Find("x"), v2);
  objects.Erase("x");
  objects.Erase("x");        // absent: nothing happens
  objects.Erase("missing");  // never there
  EXPECT_EQ(objects.Find("x"), nullptr);
  EXPECT_TRUE(objects.empty());
  EXPECT_TRUE(Walk(objects).empty());
}

TEST(KeyedObjectsTest, AKeyErasedAndSetAgainBeforeAWalkAppearsOnce) {
  KeyedObjects objects;
  const ObjectPtr v1 = Obj("k", 1), v3 = Obj("k", 3), other = Obj("j", 2);
  objects.Set("k", v1);
  EXPECT_EQ(Walk(objects).size(), 1u);  // "k" is in the sorted list now
  objects.Erase("k");
  objects.Set("j", other);
  objects.Set("k", v3);
  EXPECT_EQ(Walk(objects),
            (std::vector<std::pair<std::string, ObjectPtr>>{{"j", other}, {"k", v3}}));
  // And a key both added and erased since the last walk is not walked.
  objects.Set("new", v1);
  objects.Erase("new");
  EXPECT_EQ(Walk(objects).size(), 2u);
  EXPECT_EQ(objects.size(), 2u);
}

TEST(KeyedObjectsTest, ManyErasuresWithoutAWalkKeepOnlyTheLiveKeys) {
  // Churn of distinct keys with no reader: erased keys must not pile up.
  KeyedObjects objects;
  const ObjectPtr obj = Obj("o", 1);
  for (int i = 0; i < 10000; ++i) {
    objects.Set(absl::StrCat("key-", i), obj);
    if (i >= 10) objects.Erase(absl::StrCat("key-", i - 10));
  }
  EXPECT_EQ(objects.size(), 10u);
  // Erased keys are dropped before they outnumber the live ones (plus a
  // small slack), without any walk.
  EXPECT_LE(objects.held_keys(), 2 * objects.size() + 65);
  const auto walked = Walk(objects);
  ASSERT_EQ(walked.size(), 10u);
  EXPECT_EQ(walked.front().first, "key-9990");
  EXPECT_EQ(walked.back().first, "key-9999");
}

// Random writes and walks against std::map, the order a B-tree gave.
TEST(KeyedObjectsTest, AgreesWithAnOrderedMap) {
  for (uint32_t seed = 1; seed <= 20; ++seed) {
    std::mt19937 rng(seed);
    KeyedObjects objects;
    std::map<std::string, ObjectPtr> model;
    const int keys = 1 + static_cast<int>(rng() % 200);
    for (int step = 0; step < 3000; ++step) {
      const std::string key = absl::StrCat("ns-", rng() % 3, "/obj-", rng() % keys);
      const uint32_t op = rng() % 10;
      if (op < 5) {
        ObjectPtr obj = Obj(key, step);
        objects.Set(key, obj);
        model[key] = obj;
      } else if (op < 9) {
        objects.Erase(key);
        model.erase(key);
      } else {
        ASSERT_EQ(Walk(objects), Walk(model)) << "seed " << seed << " step " << step;
      }
      ASSERT_EQ(objects.size(), model.size()) << "seed " << seed << " step " << step;
      const ObjectPtr* found = objects.Find(key);
      auto it = model.find(key);
      ASSERT_EQ(found != nullptr, it != model.end()) << "seed " << seed << " step " << step;
      if (found != nullptr) ASSERT_EQ(*found, it->second);
    }
    EXPECT_EQ(Walk(objects), Walk(model)) << "seed " << seed;
  }
}

TEST(KeyedObjectsTest, AMovedFromValueIsEmpty) {
  KeyedObjects objects;
  objects.Set("a", Obj("a", 1));
  objects.Set("b", Obj("b", 2));
  KeyedObjects moved(std::move(objects));
  EXPECT_EQ(moved.size(), 2u);
  EXPECT_EQ(Walk(moved).size(), 2u);
  EXPECT_EQ(objects.size(), 0u);  // NOLINT(bugprone-use-after-move): specified empty
  EXPECT_TRUE(Walk(objects).empty());
  objects.Set("c", Obj("c", 3));
  EXPECT_EQ(Walk(objects).size(), 1u);
}

TEST(KeyedObjectsTest, WalkReferencesPointAtTheStoredObjects) {
  KeyedObjects objects;
  objects.Set("a", Obj("a", 1));
  objects.Set("b", Obj("b", 2));
  std::vector<const ObjectPtr*> seen;
  objects.ForEachInKeyOrder([&](const std::string&, const ObjectPtr& obj) { seen.push_back(&obj); });
  ASSERT_EQ(seen.size(), 2u);
  EXPECT_EQ(seen[0], objects.Find("a"));
  EXPECT_EQ(seen[1], objects.Find("b"));
}

}  // namespace
}  // namespace sim
}  // namespace informersim
