// Tests of ThreadSafeStore (rules S1-S5, S7, I1-I7). The conformance cases
// mirror client-go tools/cache/thread_safe_store_test.go; client-go's
// BenchmarkIndexer is a benchmark, not a test (see bench/indexer_bench.cc).
//
// client-go stores strings as objects in several tests; here an ExplicitKey
// item carries the string (it has no meta, like a Go string).
#include "core/thread_safe_store.h"

#include <algorithm>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_split.h"
#include "core/errors.h"
#include "core/index.h"
#include "gtest/gtest.h"

namespace informersim {
namespace {

Item Str(const std::string& s) { return Item::ExplicitKey(s); }

Item WithRV(const std::string& rv) {
  api::Object o;
  o.mutable_metadata()->set_resource_version(rv);
  return Item(MakeObject(std::move(o)));
}

// The string itself is the one indexed value.
absl::Status StringValue(const Item& item, std::vector<std::string>* values) {
  values->push_back(item.explicit_key());
  return absl::OkStatus();
}

// The comma-separated parts of the string are the values.
absl::Status SplitValues(const Item& item, std::vector<std::string>* values) {
  for (absl::string_view part : absl::StrSplit(item.explicit_key(), ',')) {
    values->emplace_back(part);
  }
  return absl::OkStatus();
}

// Fails for strings that start with "bad".
absl::Status FailOnBad(const Item& item, std::vector<std::string>* values) {
  if (absl::StartsWith(item.explicit_key(), "bad")) {
    return absl::InvalidArgumentError("bad object");
  }
  values->push_back(item.explicit_key());
  return absl::OkStatus();
}

std::vector<std::string> SortedKeys(const KeySet* set) {
  std::vector<std::string> keys;
  if (set != nullptr) keys.assign(set->begin(), set->end());
  std::sort(keys.begin(), keys.end());
  return keys;
}

// The key set of one index value, read from a snapshot as client-go's tests
// read store.index.indices; nullptr when the value has no set at all.
const KeySet* SetOf(const Indices& indices, const std::string& index,
                    const std::string& value) {
  auto idx = indices.find(index);
  if (idx == indices.end()) return nullptr;
  auto set = idx->second.find(value);
  return set == idx->second.end() ? nullptr : &set->second;
}

// ByIndex keeps a bucket's items for the reads that follow it: every kind
// of change to the bucket or to one of its items shows at the next read, and
// the kept items never keep an item the store no longer holds alive.
TEST(ThreadSafeStoreTest, ByIndexSeesEveryChangeAfterARead) {
  const auto namespace_of = [](const Item& item, std::vector<std::string>* values) {
    values->push_back(item.object()->metadata().namespace_());
    return absl::OkStatus();
  };
  ThreadSafeStore store(Indexers{{"ns", namespace_of}});
  const auto object = [](const std::string& ns, const std::string& name, const std::string& rv) {
    api::Object o;
    o.mutable_metadata()->set_namespace_(ns);
    o.mutable_metadata()->set_name(name);
    o.mutable_metadata()->set_resource_version(rv);
    return Item(MakeObject(std::move(o)));
  };
  const auto in = [&store](const std::string& ns) {
    std::vector<std::string> out;
    const absl::StatusOr<std::vector<Item>> items = store.ByIndex("ns", ns);
    for (const Item& item : *items) {
      out.push_back(item.object()->metadata().name() + "@" +
                    item.object()->metadata().resource_version());
    }
    return out;
  };
  using Names = std::vector<std::string>;
  ASSERT_TRUE(store.Add("a", object("n1", "a", "1")).ok());
  ASSERT_TRUE(store.Add("b", object("n1", "b", "1")).ok());
  EXPECT_EQ(in("n1"), Names({"a@1", "b@1"}));
  EXPECT_EQ(in("n1"), Names({"a@1", "b@1"})) << "the kept items";
  ASSERT_TRUE(store.Update("a", object("n1", "a", "2")).ok());  // same values
  EXPECT_EQ(in("n1"), Names({"a@2", "b@1"}));
  ASSERT_TRUE(store.Add("c", object("n1", "c", "1")).ok());
  EXPECT_EQ(in("n1"), Names({"a@2", "b@1", "c@1"}));
  ASSERT_TRUE(store.Update("b", object("n2", "b", "2")).ok());  // moves
  EXPECT_EQ(in("n1"), Names({"a@2", "c@1"}));
  EXPECT_EQ(in("n2"), Names({"b@2"}));
  std::weak_ptr<const api::Object> c;
  {
    Item held = object("n1", "c", "2");
    c = held.object();
    ASSERT_TRUE(store.Update("c", std::move(held)).ok());
  }
  EXPECT_EQ(in("n1"), Names({"a@2", "c@2"}));
  ASSERT_TRUE(store.Delete("c").ok());
  EXPECT_TRUE(c.expired()) << "kept by the bucket's items after the delete";
  EXPECT_EQ(in("n1"), Names({"a@2"}));
  ASSERT_TRUE(store.Delete("b").ok());
  EXPECT_TRUE(in("n2").empty());
}

// AddOrUpdate (the key as a view) stores a copy of a new key, so the
// caller's buffer may change afterwards, and updates an existing key in
// place, as Add and Update do.
TEST(ThreadSafeStoreTest, AddOrUpdateCopiesANewKey) {
  ThreadSafeStore store(Indexers{});
  char buffer[8] = {'k', 'e', 'y', '1'};
  ASSERT_TRUE(store.AddOrUpdate(absl::string_view(buffer, 4), WithRV("1")).ok());
  buffer[3] = '2';
  ASSERT_TRUE(store.AddOrUpdate(absl::string_view(buffer, 4), WithRV("2")).ok());
  std::vector<std::string> keys = store.ListKeys();
  EXPECT_EQ(keys, (std::vector<std::string>{"key1", "key2"}));
  ASSERT_TRUE(store.AddOrUpdate("key1", WithRV("3")).ok());
  std::optional<Item> got = store.Get("key1");
  ASSERT_TRUE(got.has_value());
  EXPECT_EQ(got->resource_version(), "3");
  EXPECT_EQ(store.ListKeys().size(), 2u);
  EXPECT_EQ(store.LastStoreSyncResourceVersion(), "3");
}

// Mirrors client-go TestThreadSafeStoreDeleteRemovesEmptySetsFromIndex (I1).
TEST(ThreadSafeStoreTest, DeleteRemovesEmptySetsFromIndex) {
  ThreadSafeStore store(Indexers{{"testIndexer", StringValue}});
  ASSERT_TRUE(store.Add("testKey", Str("testKey")).ok());
  Indices before = store.SnapshotIndices();
  const KeySet* set = SetOf(before, "testIndexer", "testKey");
  ASSERT_NE(set, nullptr);
  ASSERT_EQ(set->size(), 1u);

  ASSERT_TRUE(store.Delete("testKey").ok());
  Indices after = store.SnapshotIndices();
  EXPECT_EQ(SetOf(after, "testIndexer", "testKey"), nullptr);
  EXPECT_TRUE(store.ListIndexFuncValues("testIndexer").empty());
}

// Mirrors client-go TestThreadSafeStoreAddKeepsNonEmptySetPostDeleteFromIndex.
TEST(ThreadSafeStoreTest, AddKeepsNonEmptySetPostDeleteFromIndex) {
  ThreadSafeStore store(Indexers{
      {"testIndexer", [](const Item&, std::vector<std::string>* values) {
         values->push_back("testIndex");
         return absl::OkStatus();
       }}});
  ASSERT_TRUE(store.Add("retain", Str("retain")).ok());
  ASSERT_TRUE(store.Add("delete", Str("delete")).ok());
  Indices before = store.SnapshotIndices();
  ASSERT_NE(SetOf(before, "testIndexer", "testIndex"), nullptr);
  ASSERT_EQ(SetOf(before, "testIndexer", "testIndex")->size(), 2u);

  ASSERT_TRUE(store.Delete("delete").ok());
  Indices after = store.SnapshotIndices();
  const KeySet* set = SetOf(after, "testIndexer", "testIndex");
  ASSERT_NE(set, nullptr);
  EXPECT_EQ(SortedKeys(set), std::vector<std::string>({"retain"}));
}

// Mirrors client-go TestThreadSafeStoreIndexingFunctionsWithMultipleValues
// (I1 with multi-valued index functions).
TEST(ThreadSafeStoreTest, IndexingFunctionsWithMultipleValues) {
  ThreadSafeStore store(Indexers{{"testIndexer", SplitValues}});
  auto keys_of = [&store](const std::string& value) {
    Indices indices = store.SnapshotIndices();
    return SortedKeys(SetOf(indices, "testIndexer", value));
  };
  using Keys = std::vector<std::string>;

  ASSERT_TRUE(store.Add("key1", Str("foo")).ok());
  ASSERT_TRUE(store.Add("key2", Str("bar")).ok());
  EXPECT_EQ(keys_of("foo"), Keys({"key1"}));
  EXPECT_EQ(keys_of("bar"), Keys({"key2"}));

  ASSERT_TRUE(store.Update("key2", Str("foo,bar")).ok());
  EXPECT_EQ(keys_of("foo"), Keys({"key1", "key2"}));
  EXPECT_EQ(keys_of("bar"), Keys({"key2"}));

  ASSERT_TRUE(store.Update("key1", Str("foo,bar")).ok());
  EXPECT_EQ(keys_of("foo"), Keys({"key1", "key2"}));
  EXPECT_EQ(keys_of("bar"), Keys({"key1", "key2"}));

  ASSERT_TRUE(store.Add("key3", Str("foo,bar,baz")).ok());
  EXPECT_EQ(keys_of("foo"), Keys({"key1", "key2", "key3"}));
  EXPECT_EQ(keys_of("bar"), Keys({"key1", "key2", "key3"}));
  EXPECT_EQ(keys_of("baz"), Keys({"key3"}));

  ASSERT_TRUE(store.Update("key1", Str("foo")).ok());
  EXPECT_EQ(keys_of("foo"), Keys({"key1", "key2", "key3"}));
  EXPECT_EQ(keys_of("bar"), Keys({"key2", "key3"}));
  EXPECT_EQ(keys_of("baz"), Keys({"key3"}));

  ASSERT_TRUE(store.Update("key2", Str("bar")).ok());
  EXPECT_EQ(keys_of("foo"), Keys({"key1", "key3"}));
  EXPECT_EQ(keys_of("bar"), Keys({"key2", "key3"}));
  EXPECT_EQ(keys_of("baz"), Keys({"key3"}));

  ASSERT_TRUE(store.Delete("key1").ok());
  EXPECT_EQ(keys_of("foo"), Keys({"key3"}));
  EXPECT_EQ(keys_of("bar"), Keys({"key2", "key3"}));
  EXPECT_EQ(keys_of("baz"), Keys({"key3"}));

  ASSERT_TRUE(store.Delete("key3").ok());
  EXPECT_EQ(keys_of("foo"), Keys({}));
  EXPECT_EQ(keys_of("bar"), Keys({"key2"}));
  EXPECT_EQ(keys_of("baz"), Keys({}));
}

// Mirrors client-go TestThreadSafeStoreRV, subtest "Initial state" (S5).
TEST(ThreadSafeStoreRVTest, InitialState) {
  ThreadSafeStore store(Indexers{});
  EXPECT_EQ(store.LastStoreSyncResourceVersion(), "");
}

// Mirrors client-go TestThreadSafeStoreRV, subtest "Add Update and Delete".
TEST(ThreadSafeStoreRVTest, AddUpdateAndDelete) {
  ThreadSafeStore store(Indexers{});
  ASSERT_TRUE(store.Add("key1", WithRV("10")).ok());
  EXPECT_EQ(store.LastStoreSyncResourceVersion(), "10");
  ASSERT_TRUE(store.Add("key3", WithRV("10")).ok());
  EXPECT_EQ(store.LastStoreSyncResourceVersion(), "10");
  ASSERT_TRUE(store.Add("key4", WithRV("20")).ok());
  EXPECT_EQ(store.LastStoreSyncResourceVersion(), "20");
  // An earlier object deleted with a newer version.
  ASSERT_TRUE(store.DeleteWithObject("key4", WithRV("30")).ok());
  EXPECT_EQ(store.LastStoreSyncResourceVersion(), "30");
  // An object without meta leaves the version alone.
  ASSERT_TRUE(store.Add("key5", Str("just a string")).ok());
  EXPECT_EQ(store.LastStoreSyncResourceVersion(), "30");
  ASSERT_TRUE(store.Add("key6", WithRV("40")).ok());
  EXPECT_EQ(store.LastStoreSyncResourceVersion(), "40");
  // Delete without an object leaves it alone too.
  ASSERT_TRUE(store.Delete("key6").ok());
  EXPECT_EQ(store.LastStoreSyncResourceVersion(), "40");

  // Only the final write of a transaction counts, not the largest.
  std::vector<ThreadSafeStoreTransaction> txns;
  txns.push_back({{WithRV("40"), TransactionType::kUpdate}, "key9"});
  txns.push_back({{WithRV("30"), TransactionType::kUpdate}, "key10"});
  txns.push_back({{WithRV("50"), TransactionType::kUpdate}, "key11"});
  EXPECT_TRUE(store.Transaction(std::move(txns)).empty());
  EXPECT_EQ(store.LastStoreSyncResourceVersion(), "50");
}

// Mirrors client-go TestThreadSafeStoreRV, subtest "Replace".
TEST(ThreadSafeStoreRVTest, Replace) {
  ThreadSafeStore store(Indexers{});
  ASSERT_TRUE(store.Add("key1", WithRV("10")).ok());
  ASSERT_EQ(store.LastStoreSyncResourceVersion(), "10");
  KeyedItems items;
  items.emplace_back("key3", WithRV("40"));
  items.emplace_back("key2", WithRV("30"));
  ASSERT_TRUE(store.Replace(std::move(items), "50").ok());
  EXPECT_EQ(store.LastStoreSyncResourceVersion(), "50");
}

// Mirrors client-go TestThreadSafeStoreRV, subtest "Delete".
TEST(ThreadSafeStoreRVTest, Delete) {
  ThreadSafeStore store(Indexers{});
  ASSERT_TRUE(store.Add("key1", WithRV("10")).ok());
  ASSERT_EQ(store.LastStoreSyncResourceVersion(), "10");
  ASSERT_TRUE(store.DeleteWithObject("key1", WithRV("20")).ok());
  EXPECT_EQ(store.LastStoreSyncResourceVersion(), "20");
}

// --- Beyond client-go's own tests ---------------------------------------

// S5: RV is "last written wins" (K6), Bookmark sets it, and a delete of a
// missing key with an object still sets it.
TEST(ThreadSafeStoreRVTest, BookmarkAndLastWins) {
  ThreadSafeStore store(Indexers{});
  ASSERT_TRUE(store.Add("a", WithRV("9")).ok());
  ASSERT_TRUE(store.Add("b", WithRV("10")).ok());
  ASSERT_TRUE(store.Add("c", WithRV("8")).ok());
  EXPECT_EQ(store.LastStoreSyncResourceVersion(), "8");
  store.Bookmark("77");
  EXPECT_EQ(store.LastStoreSyncResourceVersion(), "77");
  ASSERT_TRUE(store.DeleteWithObject("missing", WithRV("78")).ok());
  EXPECT_EQ(store.LastStoreSyncResourceVersion(), "78");
  ASSERT_TRUE(store.DeleteWithObject("a", Str("no meta")).ok());
  EXPECT_EQ(store.LastStoreSyncResourceVersion(), "78");
  EXPECT_FALSE(store.Get("a").has_value());
}

// S5: with tracking off (AtomicFIFO gate off, CLASSIC) the answer is "".
TEST(ThreadSafeStoreRVTest, TrackingOffReportsEmpty) {
  ThreadSafeStore store(Indexers{}, ThreadSafeStoreOptions{false});
  ASSERT_TRUE(store.Add("a", WithRV("9")).ok());
  store.Bookmark("10");
  EXPECT_EQ(store.LastStoreSyncResourceVersion(), "");
}

// S7: a transaction whose final write has no meta leaves the RV alone.
TEST(ThreadSafeStoreRVTest, TransactionFinalWithoutMeta) {
  ThreadSafeStore store(Indexers{});
  std::vector<ThreadSafeStoreTransaction> txns;
  txns.push_back({{WithRV("40"), TransactionType::kAdd}, "k1"});
  txns.push_back({{Str("x"), TransactionType::kDelete}, "k1"});
  EXPECT_TRUE(store.Transaction(std::move(txns)).empty());
  EXPECT_EQ(store.LastStoreSyncResourceVersion(), "");
  EXPECT_FALSE(store.Get("k1").has_value());
}

// S1, S2, S4: Add on an existing key replaces; Delete of a missing key is a
// no-op; List/ListKeys hold every item.
TEST(ThreadSafeStoreTest, AddIsUpdateAndDeleteMissingIsNoop) {
  ThreadSafeStore store(Indexers{{"by", StringValue}});
  ASSERT_TRUE(store.Add("k", Str("v1")).ok());
  ASSERT_TRUE(store.Add("k", Str("v2")).ok());
  EXPECT_EQ(store.Get("k")->explicit_key(), "v2");
  EXPECT_EQ(*store.IndexKeys("by", "v1"), std::vector<std::string>());
  EXPECT_EQ(*store.IndexKeys("by", "v2"), std::vector<std::string>({"k"}));
  EXPECT_TRUE(store.Delete("nope").ok());
  ASSERT_TRUE(store.Add("j", Str("v2")).ok());
  std::vector<std::string> keys = store.ListKeys();
  std::sort(keys.begin(), keys.end());
  EXPECT_EQ(keys, std::vector<std::string>({"j", "k"}));
  EXPECT_EQ(store.List().size(), 2u);
  EXPECT_EQ(*store.IndexKeys("by", "v2"), std::vector<std::string>({"j", "k"}));
}

// S3: Replace swaps the items and rebuilds every index from scratch.
TEST(ThreadSafeStoreTest, ReplaceRebuildsIndices) {
  ThreadSafeStore store(Indexers{{"split", SplitValues}});
  ASSERT_TRUE(store.Add("a", Str("x,y")).ok());
  ASSERT_TRUE(store.Add("b", Str("y")).ok());
  KeyedItems items;
  items.emplace_back("b", Str("z"));
  items.emplace_back("c", Str("y,z"));
  ASSERT_TRUE(store.Replace(std::move(items), "5").ok());
  EXPECT_FALSE(store.Get("a").has_value());
  std::vector<std::string> values = store.ListIndexFuncValues("split");
  std::sort(values.begin(), values.end());
  EXPECT_EQ(values, std::vector<std::string>({"y", "z"}));
  EXPECT_EQ(*store.IndexKeys("split", "y"), std::vector<std::string>({"c"}));
  EXPECT_EQ(*store.IndexKeys("split", "z"), std::vector<std::string>({"b", "c"}));
}

// I2 (differs on purpose): an index function error fails the write with a
// status naming key and index; neither the items nor any index change.
TEST(ThreadSafeStoreTest, IndexErrorOnAddLeavesStoreUnchanged) {
  ThreadSafeStore store(Indexers{{"a", StringValue}, {"b", FailOnBad}});
  ASSERT_TRUE(store.Add("k", Str("good")).ok());
  store.Bookmark("7");
  absl::Status status = store.Update("k", Str("bad1"));
  ASSERT_FALSE(status.ok());
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(status.message(),
            "unable to calculate an index entry for key \"k\" on index \"b\": bad object");
  EXPECT_EQ(store.Get("k")->explicit_key(), "good");
  EXPECT_EQ(*store.IndexKeys("a", "good"), std::vector<std::string>({"k"}));
  EXPECT_EQ(*store.IndexKeys("a", "bad1"), std::vector<std::string>());
  EXPECT_EQ(store.ListIndexFuncValues("a"), std::vector<std::string>({"good"}));

  ASSERT_FALSE(store.Add("n", Str("bad2")).ok());
  EXPECT_FALSE(store.Get("n").has_value());
  EXPECT_EQ(store.ListKeys().size(), 1u);
  EXPECT_EQ(store.LastStoreSyncResourceVersion(), "7");
}

// I2: a Delete whose old item can no longer be indexed (a changed, impure
// index function) fails and keeps the item.
TEST(ThreadSafeStoreTest, IndexErrorOnDeleteKeepsItem) {
  bool fail = false;
  ThreadSafeStore store(Indexers{{"f", [&fail](const Item& item, std::vector<std::string>* v) {
                                    if (fail) return absl::InternalError("now failing");
                                    v->push_back(item.explicit_key());
                                    return absl::OkStatus();
                                  }}});
  ASSERT_TRUE(store.Add("k", Str("v")).ok());
  fail = true;
  absl::Status status = store.Delete("k");
  EXPECT_EQ(status.code(), absl::StatusCode::kInternal);
  EXPECT_TRUE(store.Get("k").has_value());
  fail = false;
  EXPECT_EQ(*store.IndexKeys("f", "v"), std::vector<std::string>({"k"}));
}

// I2: Replace is all or nothing, and names the failing item with the
// smallest key whatever the map order.
TEST(ThreadSafeStoreTest, IndexErrorOnReplaceAppliesNothing) {
  ThreadSafeStore store(Indexers{{"f", FailOnBad}});
  ASSERT_TRUE(store.Add("old", Str("v")).ok());
  store.Bookmark("1");
  KeyedItems items;
  for (int i = 0; i < 50; ++i) items.emplace_back("k" + std::to_string(i + 10), Str("ok"));
  items.emplace_back("k70", Str("bad"));
  items.emplace_back("k42x", Str("bad"));
  items.emplace_back("k99", Str("bad"));
  absl::Status status = store.Replace(std::move(items), "2");
  ASSERT_FALSE(status.ok());
  EXPECT_EQ(status.message(),
            "unable to calculate an index entry for key \"k42x\" on index \"f\": bad object");
  EXPECT_EQ(store.ListKeys(), std::vector<std::string>({"old"}));
  EXPECT_EQ(*store.IndexKeys("f", "v"), std::vector<std::string>({"old"}));
  EXPECT_EQ(store.LastStoreSyncResourceVersion(), "1");
}

// I2 in a transaction: the failing write is skipped and reported; the
// others are applied, and the RV is that of the last applied write.
TEST(ThreadSafeStoreTest, IndexErrorInTransactionSkipsThatWrite) {
  ThreadSafeStore store(Indexers{{"f", FailOnBad}});
  std::vector<ThreadSafeStoreTransaction> txns;
  txns.push_back({{Str("one"), TransactionType::kAdd}, "k1"});
  txns.push_back({{Str("bad"), TransactionType::kAdd}, "k2"});
  txns.push_back({{Str("three"), TransactionType::kUpdate}, "k3"});
  txns.push_back({{Str("bad"), TransactionType::kUpdate}, "k1"});
  std::vector<FailedTransaction> failed = store.Transaction(std::move(txns));
  ASSERT_EQ(failed.size(), 2u);
  EXPECT_EQ(failed[0].position, 1u);
  EXPECT_EQ(failed[1].position, 3u);
  EXPECT_NE(failed[1].status.message().find("key \"k1\""), absl::string_view::npos);
  EXPECT_EQ(store.Get("k1")->explicit_key(), "one");
  EXPECT_FALSE(store.Get("k2").has_value());
  EXPECT_EQ(*store.IndexKeys("f", "three"), std::vector<std::string>({"k3"}));
}

// I3: multi-valued lookups are de-duplicated; unknown index and index
// function errors are returned.
TEST(ThreadSafeStoreTest, IndexDeduplicatesAndReportsErrors) {
  ThreadSafeStore store(Indexers{{"split", SplitValues}, {"f", FailOnBad}});
  ASSERT_TRUE(store.Add("k1", Str("a,b")).ok());
  ASSERT_TRUE(store.Add("k2", Str("b,c")).ok());
  ASSERT_TRUE(store.Add("k3", Str("d")).ok());
  absl::StatusOr<std::vector<Item>> found = store.Index("split", Str("a,b,c"));
  ASSERT_TRUE(found.ok());
  std::vector<std::string> got;
  for (const Item& item : *found) got.push_back(item.explicit_key());
  std::sort(got.begin(), got.end());
  EXPECT_EQ(got, std::vector<std::string>({"a,b", "b,c"}));

  absl::StatusOr<std::vector<Item>> unknown = store.Index("nope", Str("a"));
  EXPECT_EQ(unknown.status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(unknown.status().message(), "Index with name nope does not exist");
  EXPECT_EQ(store.Index("f", Str("bad")).status().message(), "bad object");
  EXPECT_EQ(store.ByIndex("nope", "a").status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(store.IndexKeys("nope", "a").status().code(), absl::StatusCode::kNotFound);
  EXPECT_TRUE(store.ByIndex("split", "zzz")->empty());  // I4
  EXPECT_TRUE(store.ListIndexFuncValues("nope").empty());  // I6
}

// I7: AddIndexers indexes present items; a conflicting name adds nothing;
// a failing function adds nothing.
TEST(ThreadSafeStoreTest, AddIndexers) {
  ThreadSafeStore store(Indexers{{"a", StringValue}});
  ASSERT_TRUE(store.Add("k1", Str("x,y")).ok());
  ASSERT_TRUE(store.Add("k2", Str("y")).ok());

  absl::Status conflict =
      store.AddIndexers(Indexers{{"a", StringValue}, {"b", StringValue}});
  EXPECT_EQ(conflict.code(), absl::StatusCode::kAlreadyExists);
  EXPECT_EQ(conflict.message(), "indexer conflict: map[a:{}]");
  EXPECT_EQ(store.GetIndexers().size(), 1u);

  absl::Status failing = store.AddIndexers(Indexers{
      {"c", [](const Item& item, std::vector<std::string>* v) {
         if (item.explicit_key() == "y") return absl::InvalidArgumentError("no");
         return absl::OkStatus();
       }}});
  EXPECT_EQ(failing.message(),
            "unable to calculate an index entry for key \"k2\" on index \"c\": no");
  EXPECT_EQ(store.GetIndexers().size(), 1u);
  EXPECT_TRUE(store.ListIndexFuncValues("c").empty());

  ASSERT_TRUE(store.AddIndexers(Indexers{{"split", SplitValues}}).ok());
  Indexers indexers = store.GetIndexers();
  ASSERT_EQ(indexers.size(), 2u);
  EXPECT_EQ(indexers.begin()->first, "a");
  EXPECT_EQ(*store.IndexKeys("split", "y"), std::vector<std::string>({"k1", "k2"}));
  ASSERT_TRUE(store.Add("k3", Str("z")).ok());
  EXPECT_EQ(*store.IndexKeys("split", "z"), std::vector<std::string>({"k3"}));

  // Several conflicts are listed in name order, as Go prints a set.
  absl::Status two = store.AddIndexers(Indexers{{"split", SplitValues}, {"a", SplitValues}});
  EXPECT_EQ(two.message(), "indexer conflict: map[a:{} split:{}]");
}

// I5: IndexKeys is sorted.
TEST(ThreadSafeStoreTest, IndexKeysSorted) {
  ThreadSafeStore store(Indexers{{"one", [](const Item&, std::vector<std::string>* v) {
                                    v->push_back("same");
                                    return absl::OkStatus();
                                  }}});
  for (const char* key : {"m", "c", "x", "a", "q"}) ASSERT_TRUE(store.Add(key, Str(key)).ok());
  EXPECT_EQ(*store.IndexKeys("one", "same"),
            std::vector<std::string>({"a", "c", "m", "q", "x"}));
}

// I1: duplicate values from one function keep the key indexed once, and
// survive an update that keeps one copy.
TEST(ThreadSafeStoreTest, DuplicateValues) {
  ThreadSafeStore store(Indexers{{"split", SplitValues}});
  ASSERT_TRUE(store.Add("k", Str("a,a,b")).ok());
  EXPECT_EQ(*store.IndexKeys("split", "a"), std::vector<std::string>({"k"}));
  ASSERT_TRUE(store.Update("k", Str("a")).ok());
  EXPECT_EQ(*store.IndexKeys("split", "a"), std::vector<std::string>({"k"}));
  EXPECT_TRUE(store.IndexKeys("split", "b")->empty());
  EXPECT_EQ(store.ListIndexFuncValues("split"), std::vector<std::string>({"a"}));
}

// Thread safety: concurrent writers on disjoint keys and concurrent readers
// leave every index consistent (run under --config=tsan as well).
TEST(ThreadSafeStoreTest, ConcurrentWritersAndReaders) {
  ThreadSafeStore store(Indexers{{"split", SplitValues}});
  constexpr int kWriters = 4;
  constexpr int kRounds = 300;
  std::vector<std::thread> threads;
  for (int w = 0; w < kWriters; ++w) {
    threads.emplace_back([&store, w] {
      for (int r = 0; r < kRounds; ++r) {
        const std::string key = "w" + std::to_string(w) + "-" + std::to_string(r % 10);
        const std::string value = "v" + std::to_string(r % 3) + ",all";
        ASSERT_TRUE(store.Update(key, Str(value)).ok());
        if (r % 4 == 3) {
          ASSERT_TRUE(store.Delete(key).ok());
        }
      }
    });
  }
  threads.emplace_back([&store] {
    for (int r = 0; r < kRounds; ++r) {
      absl::StatusOr<std::vector<Item>> all = store.ByIndex("split", "all");
      ASSERT_TRUE(all.ok());
      (void)store.List();
      (void)store.ListIndexFuncValues("split");
    }
  });
  for (std::thread& t : threads) t.join();
  // Every stored item is in "all" exactly once, and nothing else is.
  EXPECT_EQ(store.IndexKeys("split", "all")->size(), store.ListKeys().size());
}

}  // namespace
}  // namespace informersim

namespace informersim {
namespace {

std::vector<std::string> Keys(const std::vector<Item>& items) {
  std::vector<std::string> out;
  for (const Item& item : items) out.push_back(item.explicit_key());
  return out;
}

// Determinism (DESIGN rule 4): the orders client-go leaves to Go's map are
// fixed functions of the writes here, never of hash seeds, which Abseil
// varies per process. The expected orders are spelled out, so a change to a
// hash-ordered walk fails this test in any process.
TEST(ThreadSafeStoreOrder, ListFollowsFirstStoreAndReusesFreedSlots) {
  ThreadSafeStore store(Indexers{{"split", SplitValues}});
  for (const char* k : {"z", "a", "m", "q"}) ASSERT_TRUE(store.Add(k, Str("v,w")).ok());
  ASSERT_TRUE(store.Delete("a").ok());
  ASSERT_TRUE(store.Add("b", Str("w")).ok());  // takes a's slot
  ASSERT_TRUE(store.Update("z", Str("v,w")).ok());  // keeps its slot
  EXPECT_EQ(store.ListKeys(), (std::vector<std::string>{"z", "b", "m", "q"}));
  EXPECT_EQ(Keys(store.List()), (std::vector<std::string>{"v,w", "w", "v,w", "v,w"}));
  absl::StatusOr<std::vector<Item>> by_w = store.ByIndex("split", "w");
  ASSERT_TRUE(by_w.ok());
  EXPECT_EQ(Keys(*by_w), (std::vector<std::string>{"v,w", "w", "v,w", "v,w"}));
  absl::StatusOr<std::vector<Item>> index = store.Index("split", Str("v,w"));
  ASSERT_TRUE(index.ok());
  EXPECT_EQ(index->size(), 4u);
  EXPECT_EQ(store.ListIndexFuncValues("split"), (std::vector<std::string>{"v", "w"}));
}

TEST(ThreadSafeStoreOrder, ReplaceFollowsTheListAndLastDuplicateWins) {
  ThreadSafeStore store(Indexers{{"split", SplitValues}});
  KeyedItems items;
  for (const char* k : {"k9", "k1", "k5", "k1", "k3"}) {
    items.emplace_back(k, Str(std::string(k) == "k1" ? "one" : "other"));
  }
  items[3].second = Str("last");
  ASSERT_TRUE(store.Replace(std::move(items), "7").ok());
  EXPECT_EQ(store.ListKeys(), (std::vector<std::string>{"k9", "k1", "k5", "k3"}));
  ASSERT_TRUE(store.Get("k1").has_value());
  EXPECT_EQ(store.Get("k1")->explicit_key(), "last");
  EXPECT_EQ(store.IndexKeys("split", "one")->size(), 0u);
  EXPECT_EQ(*store.IndexKeys("split", "last"), (std::vector<std::string>{"k1"}));
}

}  // namespace
}  // namespace informersim
