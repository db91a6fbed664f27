#include "core/api/object.h"

#include <map>
#include <string>
#include <utility>
#include <vector>

#include "gtest/gtest.h"

namespace informersim {
namespace api {
namespace {

std::vector<std::pair<std::string, std::string>> Entries(const StringMap& m) {
  return std::vector<std::pair<std::string, std::string>>(m.begin(), m.end());
}

TEST(StringMapTest, KeepsKeysSortedAndUnique) {
  StringMap m;
  m["tier"] = "web";
  m["app"] = "a1";
  m["zone"] = "z";
  m["app"] = "a2";  // overwrites
  EXPECT_EQ(m.size(), 3u);
  EXPECT_EQ(Entries(m), (std::vector<std::pair<std::string, std::string>>{
                            {"app", "a2"}, {"tier", "web"}, {"zone", "z"}}));
}

TEST(StringMapTest, LookupsOnPresentAndAbsentKeys) {
  const StringMap m = {{"b", "2"}, {"a", "1"}};
  ASSERT_NE(m.find("a"), m.end());
  EXPECT_EQ(m.find("a")->second, "1");
  EXPECT_EQ(m.find("c"), m.end());
  EXPECT_EQ(m.find(""), m.end());
  EXPECT_EQ(m.count("b"), 1u);
  EXPECT_EQ(m.count("ab"), 0u);
  EXPECT_TRUE(m.contains("b"));
  EXPECT_FALSE(m.contains("bb"));
  EXPECT_EQ(m.at("b"), "2");
}

TEST(StringMapTest, IndexingInsertsAnEmptyValue) {
  StringMap m;
  EXPECT_EQ(m["k"], "");
  EXPECT_EQ(m.size(), 1u);
  EXPECT_TRUE(m.contains("k"));
}

TEST(StringMapTest, InsertDoesNotOverwrite) {
  StringMap m = {{"k", "old"}};
  auto [it, inserted] = m.insert({"k", "new"});
  EXPECT_FALSE(inserted);
  EXPECT_EQ(it->second, "old");
  auto [it2, inserted2] = m.insert({"a", "x"});
  EXPECT_TRUE(inserted2);
  EXPECT_EQ(it2->first, "a");
  EXPECT_EQ(m.begin()->first, "a");
}

TEST(StringMapTest, EraseAndClear) {
  StringMap m = {{"a", "1"}, {"b", "2"}, {"c", "3"}};
  EXPECT_EQ(m.erase("b"), 1u);
  EXPECT_EQ(m.erase("b"), 0u);
  EXPECT_EQ(Entries(m),
            (std::vector<std::pair<std::string, std::string>>{{"a", "1"}, {"c", "3"}}));
  m.clear();
  EXPECT_TRUE(m.empty());
}

TEST(StringMapTest, EqualityIgnoresInsertionOrder) {
  StringMap a;
  a["x"] = "1";
  a["y"] = "2";
  StringMap b;
  b["y"] = "2";
  b["x"] = "1";
  EXPECT_EQ(a, b);
  b["y"] = "3";
  EXPECT_NE(a, b);
}

TEST(StringMapTest, ARepeatedKeyKeepsItsFirstValue) {
  const StringMap m = {{"a", "1"}, {"a", "2"}};
  EXPECT_EQ(m.size(), 1u);
  EXPECT_EQ(m.at("a"), "1");
  const std::vector<std::pair<std::string, std::string>> source = {{"b", "x"}, {"b", "y"}};
  EXPECT_EQ(StringMap(source.begin(), source.end()).at("b"), "x");
}

TEST(StringMapDeathTest, AtOnAMissingKeyAborts) {
  const StringMap m = {{"a", "1"}};
  EXPECT_DEATH((void)m.at("zz"), "no key \"zz\"");
}

TEST(StringMapTest, BuiltFromARange) {
  const std::map<std::string, std::string> source = {{"b", "2"}, {"a", "1"}};
  const StringMap m(source.begin(), source.end());
  EXPECT_EQ(Entries(m),
            (std::vector<std::pair<std::string, std::string>>{{"a", "1"}, {"b", "2"}}));
}

// proto3 semantics: unset fields read as their zero value, the meta of an
// object without one is empty, and only deletion_timestamp_ms has presence.
TEST(ObjectTest, UnsetFieldsReadAsZeroValues) {
  const Object o;
  EXPECT_FALSE(o.has_metadata());
  EXPECT_EQ(o.kind(), "");
  EXPECT_EQ(o.spec(), "");
  EXPECT_EQ(o.metadata().name(), "");
  EXPECT_EQ(o.metadata().generation(), 0);
  EXPECT_TRUE(o.metadata().labels().empty());
  EXPECT_FALSE(o.metadata().has_deletion_timestamp_ms());
  EXPECT_EQ(o.metadata().deletion_timestamp_ms(), 0);
}

TEST(ObjectTest, MutableMetadataSetsPresenceAndClearResetsIt) {
  Object o;
  o.mutable_metadata()->set_name("a");
  EXPECT_TRUE(o.has_metadata());
  EXPECT_EQ(o.metadata().name(), "a");
  o.clear_metadata();
  EXPECT_FALSE(o.has_metadata());
  EXPECT_EQ(o.metadata().name(), "");
  // An object whose meta was set to empty values still has meta.
  o.mutable_metadata();
  EXPECT_TRUE(o.has_metadata());
}

TEST(ObjectTest, DeletionTimestampHasPresence) {
  ObjectMeta m;
  m.set_deletion_timestamp_ms(0);
  EXPECT_TRUE(m.has_deletion_timestamp_ms());
  EXPECT_NE(m, ObjectMeta());
  m.clear_deletion_timestamp_ms();
  EXPECT_FALSE(m.has_deletion_timestamp_ms());
  EXPECT_EQ(m, ObjectMeta());
}

TEST(ObjectTest, SettersTakeEveryStringForm) {
  ObjectMeta m;
  const std::string s = "from-string";
  m.set_name(s);
  EXPECT_EQ(m.name(), s);
  m.set_name(std::string("moved"));
  EXPECT_EQ(m.name(), "moved");
  m.set_name("literal");
  EXPECT_EQ(m.name(), "literal");
  m.set_name(absl::string_view("view-and-more").substr(0, 4));
  EXPECT_EQ(m.name(), "view");
  m.set_name("bytes", 3);
  EXPECT_EQ(m.name(), "byt");
  *m.mutable_name() += "e";
  EXPECT_EQ(m.name(), "byte");
  m.clear_name();
  EXPECT_EQ(m.name(), "");
}

TEST(ObjectTest, CopiesAreDeep) {
  Object a;
  a.set_kind("Pod");
  (*a.mutable_metadata()->mutable_labels())["app"] = "x";
  Object b = a;
  (*b.mutable_metadata()->mutable_labels())["app"] = "y";
  b.set_kind("Node");
  EXPECT_EQ(a.metadata().labels().at("app"), "x");
  EXPECT_EQ(a.kind(), "Pod");
  EXPECT_NE(a, b);
}

TEST(ObjectTest, ClearGivesTheEmptyObject) {
  Object o;
  o.set_kind("Pod");
  o.mutable_metadata()->set_uid("u");
  o.Clear();
  EXPECT_EQ(o, Object());
}

TEST(ObjectTest, ShortDebugStringInProtobufTextForm) {
  Object o;
  EXPECT_EQ(o.ShortDebugString(), "");
  o.set_kind("Pod");
  ObjectMeta& m = *o.mutable_metadata();
  EXPECT_EQ(o.ShortDebugString(), "kind: \"Pod\" metadata { }");
  m.set_namespace_("ns");
  m.set_name("a\"b");
  m.set_resource_version("5");
  m.set_generation(2);
  (*m.mutable_labels())["tier"] = "web";
  (*m.mutable_labels())["app"] = "x";
  m.set_deletion_timestamp_ms(7);
  o.set_spec("s");
  EXPECT_EQ(o.ShortDebugString(),
            "kind: \"Pod\" metadata { namespace: \"ns\" name: \"a\\\"b\" resource_version: \"5\" "
            "generation: 2 labels { key: \"app\" value: \"x\" } labels { key: \"tier\" value: "
            "\"web\" } deletion_timestamp_ms: 7 } spec: \"s\"");
}

}  // namespace
}  // namespace api
}  // namespace informersim
