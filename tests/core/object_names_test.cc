// ObjectName and the name helpers (core/object_names.h).
#include "core/object_names.h"

#include <cstdint>
#include <string>
#include <vector>

#include "absl/strings/str_split.h"
#include "core/keys.h"
#include "gtest/gtest.h"

namespace informersim {
namespace {

ObjectPtr ConfigMap(const std::string& ns, const std::string& name) {
  api::Object o;
  o.set_kind("ConfigMap");
  o.mutable_metadata()->set_namespace_(ns);
  o.mutable_metadata()->set_name(name);
  return MakeObject(std::move(o));
}

// Mirrors client-go TestObjectNames: random strings over "abcdefghi/";
// more than one '/' is an error, else Parse then String is the identity
// (but for a leading '/', which String drops with the empty namespace).
TEST(ObjectNames, ParseAndStringRoundTrip) {
  const std::string chars = "abcdefghi/";
  uint64_t state = 1;
  auto next = [&state] {
    state = state * 6364136223846793005ULL + 1442695040888963407ULL;
    return static_cast<size_t>(state >> 33);
  };
  for (int count = 1; count <= 100; ++count) {
    std::string encoded;
    for (int i = 0; i < 10; ++i) encoded += chars[next() % chars.size()];
    const std::vector<std::string> parts = absl::StrSplit(encoded, '/');
    absl::StatusOr<ObjectName> on = ParseObjectName(encoded);
    const bool expect_error = parts.size() > 2;
    EXPECT_EQ(expect_error, !on.ok()) << encoded;
    if (expect_error || !on.ok()) continue;
    const ObjectName want = parts.size() == 2 ? ObjectName{parts[0], parts[1]}
                                              : ObjectName{"", encoded};
    EXPECT_EQ(*on, want) << encoded;
    std::string recoded = on->String();
    if (encoded[0] == '/') recoded = "/" + recoded;
    EXPECT_EQ(recoded, encoded);
  }
}

TEST(ObjectNames, ObjectToNameAndParts) {
  absl::StatusOr<ObjectName> n = ObjectToName(Item(ConfigMap("testnamespace", "testname")));
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(n->Parts(), std::make_pair(std::string("testnamespace"), std::string("testname")));
  EXPECT_EQ(n->String(), "testnamespace/testname");
  absl::StatusOr<ObjectName> cluster = ObjectToName(Item(ConfigMap("", "node-1")));
  ASSERT_TRUE(cluster.ok());
  EXPECT_EQ(cluster->String(), "node-1");
  absl::StatusOr<ObjectName> none = ObjectToName(Item::ExplicitKey("x"));
  ASSERT_FALSE(none.ok());
  EXPECT_NE(none.status().message().find("object has no meta"), std::string::npos);
}

// Mirrors client-go TestDeletionHandlingObjectToName: a tombstone names the
// object by its key.
TEST(ObjectNames, DeletionHandlingObjectToName) {
  const ObjectPtr cm = ConfigMap("testnamespace", "testname");
  absl::StatusOr<std::string> key = MetaNamespaceKeyFunc(Item(cm));
  ASSERT_TRUE(key.ok());
  absl::StatusOr<ObjectName> expected = ObjectToName(Item(cm));
  absl::StatusOr<ObjectName> actual = DeletionHandlingObjectToName(Item::Tombstone(*key, cm));
  ASSERT_TRUE(expected.ok() && actual.ok());
  EXPECT_EQ(*expected, *actual);
  // The key decides, even when the tombstone carries no object.
  absl::StatusOr<ObjectName> bare = DeletionHandlingObjectToName(Item::Tombstone("ns/gone", nullptr));
  ASSERT_TRUE(bare.ok());
  EXPECT_EQ(*bare, NewObjectName("ns", "gone"));
  EXPECT_FALSE(DeletionHandlingObjectToName(Item::Tombstone("a/b/c", nullptr)).ok());
}

// Mirrors client-go TestDeletedObjectGetObjectName: from the object, from a
// tombstone with and without its object, and an empty DeletedObject.
TEST(ObjectNames, DeletedObjectGetObjectName) {
  const ObjectPtr cm = ConfigMap("testnamespace", "testname");
  const ObjectName expected = *ObjectToName(Item(cm));
  EXPECT_EQ((DeletedObject{cm, std::nullopt}).GetObjectName(), expected);
  const std::string key = *MetaNamespaceKeyFunc(Item(cm));
  EXPECT_EQ((DeletedObject{cm, DeletedFinalStateUnknown{key, cm}}).GetObjectName(), expected);
  // The tombstone's key is authoritative even without an object.
  EXPECT_EQ((DeletedObject{nullptr, DeletedFinalStateUnknown{key, nullptr}}).GetObjectName(),
            expected);
  EXPECT_EQ(DeletedObject{}.GetObjectName(), ObjectName{});
  // Beyond client-go's test: a key with a second '/' keeps it in the name
  // (ParseObjectName would refuse it), and a cluster-scoped key.
  EXPECT_EQ((DeletedObject{nullptr, DeletedFinalStateUnknown{"a/b/c", nullptr}}).GetObjectName(),
            (ObjectName{"a", "b/c"}));
  EXPECT_EQ((DeletedObject{nullptr, DeletedFinalStateUnknown{"solo", nullptr}}).GetName(), "solo");
  EXPECT_EQ((DeletedObject{nullptr, DeletedFinalStateUnknown{"solo", nullptr}}).GetNamespace(), "");
  EXPECT_EQ((DeletedObject{cm, std::nullopt}).GetNamespace(), "testnamespace");
}

// Mirrors client-go TestDeletedObjectGetKey.
TEST(ObjectNames, DeletedObjectGetKey) {
  const ObjectPtr cm = ConfigMap("testnamespace", "testname");
  const std::string expected = *MetaNamespaceKeyFunc(Item(cm));
  EXPECT_EQ((DeletedObject{cm, std::nullopt}).GetKey(), expected);
  EXPECT_EQ((DeletedObject{cm, DeletedFinalStateUnknown{expected, cm}}).GetKey(), expected);
  EXPECT_EQ((DeletedObject{nullptr, DeletedFinalStateUnknown{expected, nullptr}}).GetKey(),
            expected);
  EXPECT_EQ(DeletedObject{}.GetKey(), "");
  EXPECT_EQ((DeletedObject{ConfigMap("", "cluster"), std::nullopt}).GetKey(), "cluster");
}

// typedResourceEventHandler.OnDelete's conversion of what OnDelete gets.
TEST(ObjectNames, DeletedObjectFromItem) {
  const ObjectPtr cm = ConfigMap("ns", "a");
  DeletedObject plain = DeletedObjectFromItem(Item(cm));
  EXPECT_EQ(plain.optional_obj, cm);
  EXPECT_FALSE(plain.final_state_unknown.has_value());
  DeletedObject tomb = DeletedObjectFromItem(Item::Tombstone("ns/a", cm));
  EXPECT_EQ(tomb.optional_obj, cm);
  ASSERT_TRUE(tomb.final_state_unknown.has_value());
  EXPECT_EQ(tomb.GetKey(), "ns/a");
  DeletedObject bare = DeletedObjectFromItem(Item::Tombstone("ns/gone", nullptr));
  EXPECT_EQ(bare.optional_obj, nullptr);
  EXPECT_EQ(bare.GetObjectName(), (ObjectName{"ns", "gone"}));
}

}  // namespace
}  // namespace informersim
