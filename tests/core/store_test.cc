// Tests of Cache as a Store (rules S1-S7, K4). The conformance cases mirror
// client-go tools/cache/store_test.go:
//   - TestCache, TestCacheWithTransformer, TestIndex, TestKeyError and
//     TestCacheTransactionShouldIndexErrors are mirrored below.
//   - TestFIFOCache runs the same checks on the simple FIFO (fifo.go); it is
//     mirrored here too, since the checks are this file's doTestStore.
//   - TestUndeltaStore: UndeltaStore is out of the project's scope.
//   - TestWithStoreMetricsDefaulting checks client-go's metrics provider
//     defaulting; Cache has no metrics, so there is nothing to mirror.
//
// client-go's testStoreObject{id, val} is an object named `id` whose spec
// is `val`; the key is the name.
#include "core/cache.h"
#include "core/fifo.h"

#include <algorithm>
#include <set>
#include <string>
#include <vector>

#include "core/errors.h"
#include "core/keys.h"
#include "gtest/gtest.h"

namespace informersim {
namespace {

Item MkObj(const std::string& id, const std::string& val) {
  api::Object o;
  o.mutable_metadata()->set_name(id);
  o.set_spec(val);
  return Item(MakeObject(std::move(o)));
}

const std::string& ValOf(const Item& item) { return item.object()->spec(); }

absl::StatusOr<std::string> TestStoreKeyFunc(const Item& item) {
  return item.object()->metadata().name();
}

absl::Status TestStoreIndexFunc(const Item& item, std::vector<std::string>* values) {
  values->push_back(ValOf(item));
  return absl::OkStatus();
}

Indexers TestStoreIndexers() { return Indexers{{"by_val", TestStoreIndexFunc}}; }

Item Meta(const std::string& ns, const std::string& name, const std::string& rv,
          const std::string& spec = "") {
  api::Object o;
  o.mutable_metadata()->set_namespace_(ns);
  o.mutable_metadata()->set_name(name);
  o.mutable_metadata()->set_resource_version(rv);
  o.set_spec(spec);
  return Item(MakeObject(std::move(o)));
}

std::multiset<std::string> Vals(const std::vector<Item>& items) {
  std::multiset<std::string> vals;
  for (const Item& item : items) vals.insert(ValOf(item));
  return vals;
}

// client-go doTestStore: the public Store interface. A template because the
// simple FIFO offers the same calls without being a Store.
template <typename StoreLike>
void DoTestStore(StoreLike& store) {
  ASSERT_TRUE(store.Add(MkObj("foo", "bar")).ok());
  {
    absl::StatusOr<std::optional<Item>> got = store.Get(MkObj("foo", ""));
    ASSERT_TRUE(got.ok());
    ASSERT_TRUE(got->has_value()) << "didn't find inserted item";
    EXPECT_EQ(ValOf(**got), "bar");
  }
  ASSERT_TRUE(store.Update(MkObj("foo", "baz")).ok());
  {
    absl::StatusOr<std::optional<Item>> got = store.Get(MkObj("foo", ""));
    ASSERT_TRUE(got.ok() && got->has_value()) << "didn't find updated item";
    EXPECT_EQ(ValOf(**got), "baz");
  }
  ASSERT_TRUE(store.Delete(MkObj("foo", "")).ok());
  EXPECT_FALSE(store.Get(MkObj("foo", ""))->has_value()) << "found deleted item";

  // List.
  ASSERT_TRUE(store.Add(MkObj("a", "b")).ok());
  ASSERT_TRUE(store.Add(MkObj("c", "d")).ok());
  ASSERT_TRUE(store.Add(MkObj("e", "e")).ok());
  EXPECT_EQ(Vals(store.List()), std::multiset<std::string>({"b", "d", "e"}));

  // Replace.
  ASSERT_TRUE(store.Replace({MkObj("foo", "foo"), MkObj("bar", "bar")}, "0").ok());
  EXPECT_EQ(Vals(store.List()), std::multiset<std::string>({"foo", "bar"}));
}

// client-go doTestIndex: Index over the by_val index.
void DoTestIndex(Indexer& indexer) {
  const std::vector<std::pair<std::string, std::set<std::string>>> expected = {
      {"b", {"a", "c"}}, {"f", {"e"}}, {"h", {"g"}}};
  ASSERT_TRUE(indexer.Add(MkObj("a", "b")).ok());
  ASSERT_TRUE(indexer.Add(MkObj("c", "b")).ok());
  ASSERT_TRUE(indexer.Add(MkObj("e", "f")).ok());
  ASSERT_TRUE(indexer.Add(MkObj("g", "h")).ok());
  for (const auto& [val, ids] : expected) {
    absl::StatusOr<std::vector<Item>> found = indexer.Index("by_val", MkObj("", val));
    ASSERT_TRUE(found.ok()) << found.status();
    std::set<std::string> got;
    for (const Item& item : *found) got.insert(item.object()->metadata().name());
    EXPECT_EQ(got, ids) << "index " << val;
  }
}

// Add, Update and Delete build short keys on the stack and long ones as
// strings: both kinds are stored, found and removed under their K1 key, and
// a short new key is copied into the store (not kept as a view of the
// caller's buffer).
TEST(StoreTest, ShortAndLongKeysAlike) {
  std::unique_ptr<Cache> store = NewStore(MetaNamespaceKeyFunc);
  const std::string long_name(300, 'n');
  for (const std::string& name : {std::string("short"), long_name}) {
    SCOPED_TRACE(name.size());
    const std::string key = "ns/" + name;
    ASSERT_TRUE(store->Add(Meta("ns", name, "1")).ok());
    absl::StatusOr<std::optional<Item>> got = store->GetByKey(key);
    ASSERT_TRUE(got.ok() && got->has_value());
    EXPECT_EQ((*got)->resource_version(), "1");
    ASSERT_TRUE(store->Update(Meta("ns", name, "2")).ok());
    got = store->GetByKey(key);
    ASSERT_TRUE(got.ok() && got->has_value());
    EXPECT_EQ((*got)->resource_version(), "2");
    EXPECT_EQ(store->ListKeys(), std::vector<std::string>{key});
    ASSERT_TRUE(store->Delete(Meta("ns", name, "2")).ok());
    got = store->GetByKey(key);
    ASSERT_TRUE(got.ok());
    EXPECT_FALSE(got->has_value());
    EXPECT_TRUE(store->ListKeys().empty());
  }
}

// Mirrors client-go TestCache.
TEST(StoreTest, TestCache) {
  std::unique_ptr<Cache> store = NewStore(TestStoreKeyFunc);
  DoTestStore(*store);
}

// Mirrors client-go TestFIFOCache.
TEST(StoreTest, TestFIFOCache) {
  FIFO fifo(TestStoreKeyFunc);
  DoTestStore(fifo);
}

// Mirrors client-go TestCacheWithTransformer (S6).
TEST(StoreTest, TestCacheWithTransformer) {
  bool transformer_called = false;
  StoreOptions options;
  options.transformer = [&transformer_called](Item item) -> absl::StatusOr<Item> {
    transformer_called = true;
    if (!item.is_object()) return absl::InvalidArgumentError("wrong object type");
    return item;
  };
  std::unique_ptr<Cache> store = NewStore(TestStoreKeyFunc, std::move(options));
  DoTestStore(*store);
  EXPECT_TRUE(transformer_called);
}

// S6: the key comes from the object as given, before the transformer (a
// transformer that renames does not move the item), on the stack-key path
// (stock key function) as on the general one.
TEST(StoreTest, KeyBeforeTransform) {
  for (bool stock : {true, false}) {
    SCOPED_TRACE(stock);
    StoreOptions options;
    options.transformer = [](Item item) -> absl::StatusOr<Item> {
      api::Object renamed = *item.object();
      renamed.mutable_metadata()->set_name("renamed");
      return Item(MakeObject(std::move(renamed)));
    };
    KeyFunc key_func = MetaNamespaceKeyFunc;
    if (!stock) {
      key_func = [](const Item& item) { return MetaNamespaceKeyFunc(item); };
    }
    std::unique_ptr<Cache> store = NewStore(key_func, std::move(options));
    ASSERT_TRUE(store->Add(Meta("ns", "a", "1")).ok());
    ASSERT_TRUE(store->Update(Meta("ns", "a", "2")).ok());
    EXPECT_EQ(store->ListKeys(), std::vector<std::string>{"ns/a"});
    absl::StatusOr<std::optional<Item>> got = store->GetByKey("ns/a");
    ASSERT_TRUE(got.ok() && got->has_value());
    EXPECT_EQ((**got).meta()->name(), "renamed");
    EXPECT_EQ((**got).resource_version(), "2");
  }
}

// Mirrors client-go TestIndex.
TEST(StoreTest, TestIndex) {
  std::unique_ptr<Cache> indexer = NewIndexer(TestStoreKeyFunc, TestStoreIndexers());
  DoTestIndex(*indexer);
}

// Mirrors client-go TestKeyError (K4; also covered in keys_test).
TEST(StoreTest, TestKeyError) {
  const absl::Status cause = WithTag(absl::UnknownError("error"), "test/cause");
  const absl::Status key_err = KeyError(Item::ExplicitKey("100"), cause);
  const absl::Status nested = KeyError(Item::ExplicitKey("100"), key_err);
  EXPECT_TRUE(HasTag(key_err, "test/cause"));
  EXPECT_TRUE(HasTag(nested, "test/cause"));
  EXPECT_TRUE(IsKeyError(nested));
}

// Mirrors client-go TestCacheTransactionShouldIndexErrors (S7): the key
// function accepts only the objects "1" and "2" (both keyed "").
class TransactionKeyErrorTest : public ::testing::Test {
 public:
  static absl::StatusOr<std::string> KeyFunc(const Item& item) {
    if (item.kind() == Item::Kind::kExplicitKey &&
        (item.explicit_key() == "1" || item.explicit_key() == "2")) {
      return std::string();
    }
    return absl::InvalidArgumentError("test error");
  }
  static std::optional<TransactionError> Run(const std::vector<std::string>& objs) {
    std::unique_ptr<Cache> store = NewStore(KeyFunc);
    std::vector<Transaction> txns;
    for (const std::string& obj : objs) {
      txns.push_back(Transaction{Item::ExplicitKey(obj), TransactionType::kAdd});
    }
    return store->Transaction(std::move(txns));
  }
};

TEST_F(TransactionKeyErrorTest, AllSuccessObjectsShouldWork) {
  EXPECT_FALSE(Run({"1", "2"}).has_value());
}

TEST_F(TransactionKeyErrorTest, AllFailObjectsShouldWork) {
  std::optional<TransactionError> err = Run({"3", "4"});
  ASSERT_TRUE(err.has_value());
  EXPECT_EQ(err->successful_indices, std::vector<int>());
}

TEST_F(TransactionKeyErrorTest, MixSuccessAndFailObjectsShouldWork) {
  std::optional<TransactionError> err = Run({"1", "3", "2", "4"});
  ASSERT_TRUE(err.has_value());
  EXPECT_EQ(err->successful_indices, std::vector<int>({0, 2}));
}

// --- Beyond client-go's own tests ---------------------------------------

// S7: the error's message, tag, counts and errors.
TEST(StoreTest, TransactionErrorShape) {
  std::unique_ptr<Cache> store = NewStore(TransactionKeyErrorTest::KeyFunc);
  std::optional<TransactionError> err = store->Transaction(
      {Transaction{Item::ExplicitKey("1"), TransactionType::kAdd},
       Transaction{Item::ExplicitKey("x"), TransactionType::kUpdate},
       Transaction{Item::ExplicitKey("2"), TransactionType::kDelete}});
  ASSERT_TRUE(err.has_value());
  EXPECT_EQ(err->total_transactions, 3);
  EXPECT_EQ(err->successful_indices, std::vector<int>({0, 2}));
  ASSERT_EQ(err->errors.size(), 1u);
  EXPECT_TRUE(IsKeyError(err->errors[0]));
  absl::Status status = err->ToStatus();
  EXPECT_TRUE(HasTag(status, kTransactionErrorTag));
  EXPECT_TRUE(IsKeyError(err->errors[0]));
  EXPECT_EQ(status.message(),
            "failed to execute (1/3) transactions failed due to: [couldn't create "
            "key for object ExplicitKey(x): test error]");
  // The delete of key "" removed what the first write added.
  EXPECT_TRUE(store->ListKeys().empty());
}

// S7 with I2: a write whose index function fails is reported like a key
// error and the others are applied; no transformer runs (S6); the RV is the
// last applied write's.
TEST(StoreTest, TransactionWithIndexErrors) {
  int transforms = 0;
  StoreOptions options;
  options.transformer = [&transforms](Item item) -> absl::StatusOr<Item> {
    ++transforms;
    return item;
  };
  std::unique_ptr<Cache> indexer = NewIndexer(
      MetaNamespaceKeyFunc,
      Indexers{{"spec", [](const Item& item, std::vector<std::string>* v) {
                  if (item.object()->spec() == "bad") return absl::InvalidArgumentError("bad");
                  v->push_back(item.object()->spec());
                  return absl::OkStatus();
                }}},
      std::move(options));
  api::Object no_meta;
  no_meta.set_kind("NoMeta");
  std::optional<TransactionError> err = indexer->Transaction(
      {Transaction{Meta("ns", "a", "1", "ok"), TransactionType::kAdd},
       Transaction{Meta("ns", "c", "3", "bad"), TransactionType::kAdd},
       Transaction{Item(MakeObject(no_meta)), TransactionType::kAdd},
       Transaction{Meta("ns", "d", "4", "ok"), TransactionType::kUpdate},
       Transaction{Meta("ns", "e", "5", "bad"), TransactionType::kUpdate}});
  ASSERT_TRUE(err.has_value());
  EXPECT_EQ(err->total_transactions, 5);
  EXPECT_EQ(err->successful_indices, std::vector<int>({0, 3}));
  ASSERT_EQ(err->errors.size(), 3u);
  EXPECT_EQ(err->errors[0].message(),
            "unable to calculate an index entry for key \"ns/c\" on index \"spec\": bad");
  EXPECT_TRUE(IsKeyError(err->errors[1]));
  EXPECT_NE(err->errors[2].message().find("\"ns/e\""), absl::string_view::npos);
  std::vector<std::string> keys = indexer->ListKeys();
  std::sort(keys.begin(), keys.end());
  EXPECT_EQ(keys, std::vector<std::string>({"ns/a", "ns/d"}));
  EXPECT_EQ(*indexer->IndexKeys("spec", "ok"), std::vector<std::string>({"ns/a", "ns/d"}));
  EXPECT_EQ(indexer->LastStoreSyncResourceVersion(), "4");
  EXPECT_EQ(err->ToStatus().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(transforms, 0);
}

// S3: Replace keys every item first; a key error applies nothing; a
// duplicate key keeps the last item.
TEST(StoreTest, ReplaceAllOrNothingAndLastWins) {
  std::unique_ptr<Cache> store = NewIndexer(MetaNamespaceKeyFunc,
                                            Indexers{{std::string(kNamespaceIndex),
                                                      MetaNamespaceIndexFunc}});
  ASSERT_TRUE(store->Add(Meta("ns", "old", "1")).ok());
  api::Object no_meta;
  absl::Status status = store->Replace(
      {Meta("ns", "a", "2"), Item(MakeObject(no_meta)), Meta("ns", "b", "2")}, "2");
  EXPECT_TRUE(IsKeyError(status));
  EXPECT_EQ(store->ListKeys(), std::vector<std::string>({"ns/old"}));
  EXPECT_EQ(store->LastStoreSyncResourceVersion(), "1");

  ASSERT_TRUE(store
                  ->Replace({Meta("ns", "a", "2", "first"), Meta("other", "b", "2"),
                             Meta("ns", "a", "3", "second")},
                            "9")
                  .ok());
  EXPECT_EQ(store->List().size(), 2u);
  EXPECT_EQ((*store->GetByKey("ns/a"))->object()->spec(), "second");
  EXPECT_FALSE(store->GetByKey("ns/old")->has_value());
  EXPECT_EQ(*store->IndexKeys("namespace", "ns"), std::vector<std::string>({"ns/a"}));
  EXPECT_EQ(*store->IndexKeys("namespace", "other"), std::vector<std::string>({"other/b"}));
  EXPECT_EQ(store->LastStoreSyncResourceVersion(), "9");
}

// S4: Get reports a KeyError; GetByKey never fails.
TEST(StoreTest, GetKeyError) {
  std::unique_ptr<Cache> store = NewStore(MetaNamespaceKeyFunc);
  api::Object no_meta;
  absl::StatusOr<std::optional<Item>> got = store->Get(Item(MakeObject(no_meta)));
  EXPECT_TRUE(IsKeyError(got.status()));
  absl::StatusOr<std::optional<Item>> by_key = store->GetByKey("ns/none");
  ASSERT_TRUE(by_key.ok());
  EXPECT_FALSE(by_key->has_value());
  EXPECT_TRUE(IsKeyError(store->Add(Item(MakeObject(no_meta)))));
  EXPECT_TRUE(IsKeyError(store->Update(Item(MakeObject(no_meta)))));
  EXPECT_TRUE(IsKeyError(store->Delete(Item(MakeObject(no_meta)))));
  EXPECT_TRUE(store->Resync().ok());
}

// S2 with K2: deleting a tombstone removes its key and, having no meta,
// leaves the store RV alone (S5).
TEST(StoreTest, DeleteTombstone) {
  std::unique_ptr<Cache> store = NewStore(DeletionHandlingMetaNamespaceKeyFunc);
  ASSERT_TRUE(store->Add(Meta("ns", "a", "5")).ok());
  ASSERT_TRUE(store->Delete(Item::Tombstone("ns/a", nullptr)).ok());
  EXPECT_TRUE(store->ListKeys().empty());
  EXPECT_EQ(store->LastStoreSyncResourceVersion(), "5");
  ASSERT_TRUE(store->Delete(Meta("ns", "gone", "6")).ok());  // missing: no-op
  EXPECT_EQ(store->LastStoreSyncResourceVersion(), "6");
}

// S5: Add/Update/Delete(obj)/Replace/Bookmark move the RV, last write wins.
TEST(StoreTest, ResourceVersionTracking) {
  std::unique_ptr<Cache> store = NewStore(MetaNamespaceKeyFunc);
  EXPECT_EQ(store->LastStoreSyncResourceVersion(), "");
  ASSERT_TRUE(store->Add(Meta("ns", "a", "10")).ok());
  EXPECT_EQ(store->LastStoreSyncResourceVersion(), "10");
  ASSERT_TRUE(store->Update(Meta("ns", "a", "3")).ok());
  EXPECT_EQ(store->LastStoreSyncResourceVersion(), "3");
  ASSERT_TRUE(store->Delete(Meta("ns", "a", "11")).ok());
  EXPECT_EQ(store->LastStoreSyncResourceVersion(), "11");
  ASSERT_TRUE(store->Replace({}, "20").ok());
  EXPECT_EQ(store->LastStoreSyncResourceVersion(), "20");
  store->Bookmark("21");
  EXPECT_EQ(store->LastStoreSyncResourceVersion(), "21");

  StoreOptions classic;
  classic.track_resource_version = false;  // AtomicFIFO gate off
  std::unique_ptr<Cache> old_style = NewStore(MetaNamespaceKeyFunc, std::move(classic));
  ASSERT_TRUE(old_style->Add(Meta("ns", "a", "10")).ok());
  old_style->Bookmark("12");
  EXPECT_EQ(old_style->LastStoreSyncResourceVersion(), "");
}

// S6: the transformer runs on Add, Update and Replace items, not on Delete;
// its error is "transforming: ..." and nothing is stored.
TEST(StoreTest, TransformerScope) {
  std::vector<std::string> seen;
  StoreOptions options;
  options.transformer = [&seen](Item item) -> absl::StatusOr<Item> {
    seen.push_back(item.object()->metadata().name());
    if (item.object()->spec() == "reject") return absl::InvalidArgumentError("rejected");
    api::Object copy = *item.object();
    copy.set_spec("transformed");
    return Item(MakeObject(std::move(copy)));
  };
  std::unique_ptr<Cache> store = NewStore(MetaNamespaceKeyFunc, std::move(options));
  ASSERT_TRUE(store->Add(Meta("ns", "a", "1")).ok());
  ASSERT_TRUE(store->Update(Meta("ns", "a", "2")).ok());
  EXPECT_EQ((*store->GetByKey("ns/a"))->object()->spec(), "transformed");
  ASSERT_TRUE(store->Delete(Meta("ns", "a", "3")).ok());
  EXPECT_EQ(seen, std::vector<std::string>({"a", "a"}));

  absl::Status status = store->Add(Meta("ns", "r", "4", "reject"));
  EXPECT_EQ(status.message(), "transforming: rejected");
  EXPECT_FALSE(IsKeyError(status));
  EXPECT_FALSE(store->GetByKey("ns/r")->has_value());
  EXPECT_EQ(store->LastStoreSyncResourceVersion(), "3");

  ASSERT_TRUE(store->Add(Meta("ns", "keep", "5")).ok());
  status = store->Replace({Meta("ns", "b", "6"), Meta("ns", "r", "6", "reject")}, "6");
  EXPECT_EQ(status.message(), "transforming: rejected");
  EXPECT_EQ(store->ListKeys(), std::vector<std::string>({"ns/keep"}));
  ASSERT_TRUE(store->Replace({Meta("ns", "b", "7")}, "7").ok());
  EXPECT_EQ((*store->GetByKey("ns/b"))->object()->spec(), "transformed");
}

}  // namespace
}  // namespace informersim
