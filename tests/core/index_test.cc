// Tests of the Indexer side of Cache and of core/index.h (rules I1-I7). The
// conformance cases mirror client-go tools/cache/index_test.go
// (TestGetIndexFuncValues, TestMultiIndexKeys); the rest cover the rules
// directly.
#include <algorithm>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/str_split.h"
#include "core/cache.h"
#include "core/errors.h"
#include "core/index.h"
#include "core/indexer.h"
#include "core/keys.h"
#include "gtest/gtest.h"

namespace informersim {
namespace {

struct PodSpec {
  std::string name;
  std::string ns;
  std::map<std::string, std::string> labels;
  std::map<std::string, std::string> annotations;
};

Item Pod(const PodSpec& spec) {
  api::Object o;
  o.set_kind("Pod");
  api::ObjectMeta* m = o.mutable_metadata();
  m->set_name(spec.name);
  m->set_namespace_(spec.ns);
  for (const auto& [k, v] : spec.labels) (*m->mutable_labels())[k] = v;
  for (const auto& [k, v] : spec.annotations) (*m->mutable_annotations())[k] = v;
  return Item(MakeObject(std::move(o)));
}

// A missing key reads as "", as a Go map lookup does.
std::string Lookup(const api::StringMap& map,
                   const std::string& key) {
  auto it = map.find(key);
  return it == map.end() ? std::string() : it->second;
}

// client-go testIndexFunc: the "foo" label.
absl::Status TestIndexFunc(const Item& item, std::vector<std::string>* values) {
  values->push_back(Lookup(item.meta()->labels(), "foo"));
  return absl::OkStatus();
}

// client-go testUsersIndexFunc: the comma-separated "users" annotation.
absl::Status TestUsersIndexFunc(const Item& item, std::vector<std::string>* values) {
  for (absl::string_view user :
       absl::StrSplit(Lookup(item.meta()->annotations(), "users"), ',')) {
    values->emplace_back(user);
  }
  return absl::OkStatus();
}

std::set<std::string> Names(const std::vector<Item>& items) {
  std::set<std::string> names;
  for (const Item& item : items) names.insert(item.meta()->name());
  return names;
}

// Mirrors client-go TestGetIndexFuncValues (I6).
TEST(IndexTest, TestGetIndexFuncValues) {
  std::unique_ptr<Cache> index =
      NewIndexer(MetaNamespaceKeyFunc, Indexers{{"testmodes", TestIndexFunc}});
  ASSERT_TRUE(index->Add(Pod({"one", "", {{"foo", "bar"}}, {}})).ok());
  ASSERT_TRUE(index->Add(Pod({"two", "", {{"foo", "bar"}}, {}})).ok());
  ASSERT_TRUE(index->Add(Pod({"tre", "", {{"foo", "biz"}}, {}})).ok());

  std::vector<std::string> keys = index->ListIndexFuncValues("testmodes");
  EXPECT_EQ(keys.size(), 2u);
  for (const std::string& key : keys) {
    EXPECT_TRUE(key == "bar" || key == "biz") << key;
  }
}

// Mirrors client-go TestMultiIndexKeys (I1, I4 with multi-valued values).
TEST(IndexTest, TestMultiIndexKeys) {
  std::unique_ptr<Cache> index =
      NewIndexer(MetaNamespaceKeyFunc, Indexers{{"byUser", TestUsersIndexFunc}});
  const PodSpec pod1{"one", "", {}, {{"users", "ernie,bert"}}};
  const PodSpec pod2{"two", "", {}, {{"users", "bert,oscar"}}};
  const PodSpec pod3{"tre", "", {}, {{"users", "ernie,elmo"}}};
  ASSERT_TRUE(index->Add(Pod(pod1)).ok());
  ASSERT_TRUE(index->Add(Pod(pod2)).ok());
  ASSERT_TRUE(index->Add(Pod(pod3)).ok());

  const std::vector<std::pair<std::string, std::set<std::string>>> expected = {
      {"ernie", {"one", "tre"}}, {"bert", {"one", "two"}}, {"elmo", {"tre"}},
      {"oscar", {"two"}},        {"elmo1", {}}};
  for (const auto& [user, names] : expected) {
    absl::StatusOr<std::vector<Item>> found = index->ByIndex("byUser", user);
    ASSERT_TRUE(found.ok()) << found.status();
    EXPECT_EQ(Names(*found), names) << "index " << user;
  }

  ASSERT_TRUE(index->Delete(Pod(pod3)).ok());
  absl::StatusOr<std::vector<Item>> ernie = index->ByIndex("byUser", "ernie");
  ASSERT_TRUE(ernie.ok());
  EXPECT_EQ(Names(*ernie), std::set<std::string>({"one"}));
  EXPECT_EQ(ernie->size(), 1u);
  absl::StatusOr<std::vector<Item>> elmo = index->ByIndex("byUser", "elmo");
  ASSERT_TRUE(elmo.ok());
  EXPECT_TRUE(elmo->empty());

  PodSpec copy_of_pod2 = pod2;
  copy_of_pod2.annotations["users"] = "oscar";
  ASSERT_TRUE(index->Update(Pod(copy_of_pod2)).ok());
  absl::StatusOr<std::vector<Item>> bert = index->ByIndex("byUser", "bert");
  ASSERT_TRUE(bert.ok());
  EXPECT_EQ(bert->size(), 1u);
  EXPECT_EQ(Names(*bert), std::set<std::string>({"one"}));
}

// --- Beyond client-go's own tests ---------------------------------------

// I3: Index returns the de-duplicated union over the probe's values; unknown
// index names and index function errors are returned.
TEST(IndexTest, IndexUnionAndErrors) {
  std::unique_ptr<Cache> index = NewIndexer(
      MetaNamespaceKeyFunc, Indexers{{"byUser", TestUsersIndexFunc},
                                     {std::string(kNamespaceIndex), MetaNamespaceIndexFunc}});
  ASSERT_TRUE(index->Add(Pod({"one", "a", {}, {{"users", "ernie,bert"}}})).ok());
  ASSERT_TRUE(index->Add(Pod({"two", "a", {}, {{"users", "bert,oscar"}}})).ok());
  ASSERT_TRUE(index->Add(Pod({"tre", "b", {}, {{"users", "elmo"}}})).ok());

  absl::StatusOr<std::vector<Item>> found =
      index->Index("byUser", Pod({"probe", "", {}, {{"users", "ernie,bert,oscar"}}}));
  ASSERT_TRUE(found.ok());
  EXPECT_EQ(found->size(), 2u);  // no duplicates
  EXPECT_EQ(Names(*found), std::set<std::string>({"one", "two"}));

  absl::StatusOr<std::vector<Item>> by_ns = index->Index("namespace", Pod({"x", "b", {}, {}}));
  ASSERT_TRUE(by_ns.ok());
  EXPECT_EQ(Names(*by_ns), std::set<std::string>({"tre"}));

  absl::StatusOr<std::vector<Item>> unknown = index->Index("nope", Pod({"x", "", {}, {}}));
  EXPECT_EQ(unknown.status().message(), "Index with name nope does not exist");
  api::Object no_meta;
  absl::StatusOr<std::vector<Item>> bad = index->Index("namespace", Item(MakeObject(no_meta)));
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("object has no meta"), absl::string_view::npos);
}

// I4, I5, I6: unknown values and names.
TEST(IndexTest, UnknownValuesAndNames) {
  std::unique_ptr<Cache> index = NewIndexer(
      MetaNamespaceKeyFunc, Indexers{{std::string(kNamespaceIndex), MetaNamespaceIndexFunc}});
  ASSERT_TRUE(index->Add(Pod({"p", "ns", {}, {}})).ok());
  EXPECT_TRUE(index->ByIndex("namespace", "other")->empty());
  EXPECT_TRUE(index->IndexKeys("namespace", "other")->empty());
  EXPECT_EQ(index->ByIndex("nope", "ns").status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(index->IndexKeys("nope", "ns").status().message(),
            "Index with name nope does not exist");
  EXPECT_TRUE(index->ListIndexFuncValues("nope").empty());
}

// I5: IndexKeys is sorted.
TEST(IndexTest, IndexKeysSorted) {
  std::unique_ptr<Cache> index = NewIndexer(
      MetaNamespaceKeyFunc, Indexers{{std::string(kNamespaceIndex), MetaNamespaceIndexFunc}});
  for (const char* name : {"z", "b", "y", "a", "m", "c"}) {
    ASSERT_TRUE(index->Add(Pod({name, "ns", {}, {}})).ok());
  }
  EXPECT_EQ(*index->IndexKeys("namespace", "ns"),
            std::vector<std::string>({"ns/a", "ns/b", "ns/c", "ns/m", "ns/y", "ns/z"}));
}

// I7: AddIndexers after items exist indexes them immediately; a conflict
// adds nothing; GetIndexers shows every name.
TEST(IndexTest, AddIndexersIndexesExistingItems) {
  std::unique_ptr<Cache> index = NewIndexer(
      MetaNamespaceKeyFunc, Indexers{{std::string(kNamespaceIndex), MetaNamespaceIndexFunc}});
  ASSERT_TRUE(index->Add(Pod({"one", "a", {{"foo", "x"}}, {}})).ok());
  ASSERT_TRUE(index->Add(Pod({"two", "b", {{"foo", "x"}}, {}})).ok());
  ASSERT_TRUE(index->AddIndexers(Indexers{{"testmodes", TestIndexFunc}}).ok());
  EXPECT_EQ(*index->IndexKeys("testmodes", "x"), std::vector<std::string>({"a/one", "b/two"}));

  absl::Status conflict = index->AddIndexers(
      Indexers{{"testmodes", TestIndexFunc}, {"byUser", TestUsersIndexFunc}});
  EXPECT_EQ(conflict.message(), "indexer conflict: map[testmodes:{}]");
  Indexers all = index->GetIndexers();
  std::vector<std::string> names;
  for (const auto& entry : all) names.push_back(entry.first);
  EXPECT_EQ(names, std::vector<std::string>({"namespace", "testmodes"}));
  EXPECT_EQ(index->ByIndex("byUser", "x").status().code(), absl::StatusCode::kNotFound);
}

// I2 (differs on purpose): an index error through the Cache fails the
// write and leaves items and indexes as they were.
TEST(IndexTest, IndexErrorLeavesIndexerConsistent) {
  std::unique_ptr<Cache> index = NewIndexer(
      DeletionHandlingMetaNamespaceKeyFunc,
      Indexers{{std::string(kNamespaceIndex), MetaNamespaceIndexFunc}});
  ASSERT_TRUE(index->Add(Pod({"p", "ns", {}, {}})).ok());
  // A tombstone is keyable (K2) but has no meta to index.
  absl::Status status = index->Update(Item::Tombstone("ns/p", nullptr));
  ASSERT_FALSE(status.ok());
  EXPECT_NE(status.message().find(
                "unable to calculate an index entry for key \"ns/p\" on index \"namespace\": "
                "object has no meta"),
            absl::string_view::npos)
      << status;
  EXPECT_TRUE((*index->GetByKey("ns/p"))->is_object());
  EXPECT_EQ(*index->IndexKeys("namespace", "ns"), std::vector<std::string>({"ns/p"}));

  status = index->Replace({Pod({"q", "ns", {}, {}}), Item::Tombstone("ns/r", nullptr)}, "3");
  ASSERT_FALSE(status.ok());
  EXPECT_EQ(index->ListKeys(), std::vector<std::string>({"ns/p"}));
}

// core/index.h helpers.
TEST(IndexTest, MetaNamespaceIndexFuncAndAdapter) {
  std::vector<std::string> values;
  ASSERT_TRUE(MetaNamespaceIndexFunc(Pod({"p", "ns", {}, {}}), &values).ok());
  EXPECT_EQ(values, std::vector<std::string>({"ns"}));
  values.clear();
  ASSERT_TRUE(MetaNamespaceIndexFunc(Pod({"p", "", {}, {}}), &values).ok());
  EXPECT_EQ(values, std::vector<std::string>({""}));
  values.clear();
  EXPECT_FALSE(MetaNamespaceIndexFunc(Item::ExplicitKey("x"), &values).ok());

  KeyFunc by_ns = IndexFuncToKeyFuncAdapter(MetaNamespaceIndexFunc);
  EXPECT_EQ(*by_ns(Pod({"p", "ns", {}, {}})), "ns");
  KeyFunc by_users = IndexFuncToKeyFuncAdapter(TestUsersIndexFunc);
  EXPECT_EQ(by_users(Pod({"p", "", {}, {{"users", "a,b"}}})).status().message(),
            "too many keys: [a b]");
  KeyFunc none = IndexFuncToKeyFuncAdapter(
      [](const Item&, std::vector<std::string>*) { return absl::OkStatus(); });
  EXPECT_EQ(none(Pod({"p", "", {}, {}})).status().message(), "unexpected empty indexKeys");
}

}  // namespace
}  // namespace informersim
