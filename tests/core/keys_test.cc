// Tests of the key functions (rules K1-K4).
#include "core/keys.h"

#include "core/errors.h"
#include "gtest/gtest.h"

namespace informersim {
namespace {

Item Obj(const std::string& ns, const std::string& name) {
  api::Object o;
  o.mutable_metadata()->set_namespace_(ns);
  o.mutable_metadata()->set_name(name);
  return Item(MakeObject(std::move(o)));
}

TEST(MetaNamespaceKeyFunc, NamespacedAndClusterScoped) {  // K1
  EXPECT_EQ(*MetaNamespaceKeyFunc(Obj("ns", "a")), "ns/a");
  EXPECT_EQ(*MetaNamespaceKeyFunc(Obj("", "a")), "a");
  EXPECT_EQ(*MetaNamespaceKeyFunc(Item::ExplicitKey("x/y/z")), "x/y/z");
}

// The buffer form gives K1's key exactly, and declines (for the caller's
// general path) what it cannot write: no meta, or a key longer than the
// buffer.
TEST(MetaNamespaceKeyToBuffer, SameKeyAsK1OrDeclines) {
  char buf[16];
  size_t size = 99;
  ASSERT_TRUE(MetaNamespaceKeyToBuffer(Obj("ns", "a"), buf, sizeof(buf), &size));
  EXPECT_EQ(absl::string_view(buf, size), "ns/a");
  ASSERT_TRUE(MetaNamespaceKeyToBuffer(Obj("", "a"), buf, sizeof(buf), &size));
  EXPECT_EQ(absl::string_view(buf, size), "a");
  ASSERT_TRUE(MetaNamespaceKeyToBuffer(Obj("", ""), buf, sizeof(buf), &size));
  EXPECT_EQ(size, 0u);
  // Exactly full: 7 + 1 + 8 bytes.
  ASSERT_TRUE(MetaNamespaceKeyToBuffer(Obj("nsnsnsn", "abcdefgh"), buf, sizeof(buf), &size));
  EXPECT_EQ(absl::string_view(buf, size), "nsnsnsn/abcdefgh");
  size = 99;
  EXPECT_FALSE(MetaNamespaceKeyToBuffer(Obj("nsnsnsns", "abcdefgh"), buf, sizeof(buf), &size));
  EXPECT_FALSE(MetaNamespaceKeyToBuffer(Obj("", std::string(17, 'x')), buf, sizeof(buf), &size));
  EXPECT_FALSE(MetaNamespaceKeyToBuffer(Item::ExplicitKey("ns/a"), buf, sizeof(buf), &size));
  EXPECT_FALSE(MetaNamespaceKeyToBuffer(Item(), buf, sizeof(buf), &size));
  EXPECT_EQ(size, 99u);  // untouched when declined

  StackKey stack_key;
  ASSERT_TRUE(stack_key.Build(Obj("ns", "a")));
  EXPECT_EQ(stack_key.view(), "ns/a");
  EXPECT_TRUE(stack_key.Build(Obj("ns", std::string(StackKey::kCapacity - 3, 'x'))));
  EXPECT_EQ(stack_key.view().size(), StackKey::kCapacity);
  EXPECT_FALSE(stack_key.Build(Obj("ns", std::string(StackKey::kCapacity - 2, 'x'))));
  EXPECT_FALSE(stack_key.Build(Item::ExplicitKey("ns/a")));
}

TEST(MetaNamespaceKeyFunc, NoMetaIsAnError) {  // K1
  api::Object no_meta;
  no_meta.set_kind("Pod");
  absl::StatusOr<std::string> key = MetaNamespaceKeyFunc(Item(MakeObject(no_meta)));
  ASSERT_FALSE(key.ok());
  EXPECT_NE(key.status().message().find("object has no meta"), absl::string_view::npos);
  EXPECT_FALSE(MetaNamespaceKeyFunc(Item::Tombstone("ns/a", nullptr)).ok());
}

TEST(DeletionHandlingMetaNamespaceKeyFunc, TombstoneYieldsItsKey) {  // K2
  EXPECT_EQ(*DeletionHandlingMetaNamespaceKeyFunc(Item::Tombstone("ns/gone", nullptr)),
            "ns/gone");
  EXPECT_EQ(*DeletionHandlingMetaNamespaceKeyFunc(Obj("ns", "a")), "ns/a");
}

TEST(SplitMetaNamespaceKey, Formats) {  // K3
  EXPECT_EQ(*SplitMetaNamespaceKey("a"), std::make_pair(std::string(), std::string("a")));
  EXPECT_EQ(*SplitMetaNamespaceKey("ns/a"),
            std::make_pair(std::string("ns"), std::string("a")));
  absl::StatusOr<std::pair<std::string, std::string>> bad = SplitMetaNamespaceKey("a/b/c");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().message(), "unexpected key format: \"a/b/c\"");
}

// Mirrors client-go store_test.go TestKeyError: a KeyError wrapping another
// KeyError still matches the innermost cause.
TEST(KeyError, UnwrapsThroughNesting) {  // K4
  const absl::Status cause =
      WithTag(absl::InvalidArgumentError("some error"), "test/cause");
  const absl::Status once = KeyError(Obj("ns", "a"), cause);
  const absl::Status twice = KeyError(Obj("ns", "b"), once);
  EXPECT_TRUE(IsKeyError(once));
  EXPECT_TRUE(IsKeyError(twice));
  EXPECT_TRUE(HasTag(twice, "test/cause"));
  EXPECT_FALSE(IsKeyError(cause));
  EXPECT_EQ(once.message(),
            "couldn't create key for object &{ns/a rv=}: some error");
}

// A null object pointer is the null Item in every build mode, so no key or
// meta lookup can dereference it.
TEST(Item, NullObjectPointerIsTheNullItem) {
  const Item item{ObjectPtr()};
  EXPECT_TRUE(item.is_null());
  EXPECT_EQ(item.meta(), nullptr);
  EXPECT_FALSE(MetaNamespaceKeyFunc(item).ok());
  EXPECT_EQ(item.DebugString(), "<nil>");
}

}  // namespace
}  // namespace informersim
