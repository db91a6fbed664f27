// processDeltas / processDeltasInBatch (C3, C4, C5) and
// FilteringResourceEventHandler (C6), without a queue or a reflector.
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "core/cache.h"
#include "core/controller.h"
#include "core/keys.h"
#include "core/resource_event_handler.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/core/informer_support/informer_test_util.h"

namespace informersim {
namespace {

using testing_support::EventRecord;
using testing_support::EventRecorder;
using testing_support::MakePod;
using ::testing::ElementsAre;
using ::testing::IsEmpty;

Deltas One(DeltaType type, Item obj) {
  Deltas d;
  d.push_back(Delta{type, std::move(obj)});
  return d;
}

TEST(ProcessDeltasTest, AddThenUpdateStoresBeforeNotifying) {  // C3, C5
  auto store = NewStore(DeletionHandlingMetaNamespaceKeyFunc);
  EventRecorder rec(store.get());
  ASSERT_TRUE(ProcessDeltas(rec, *store, One(DeltaType::kAdded, MakePod("ns", "a", "1")), true).ok());
  ASSERT_TRUE(ProcessDeltas(rec, *store, One(DeltaType::kUpdated, MakePod("ns", "a", "2")), false).ok());
  EXPECT_THAT(rec.history(), ElementsAre(EventRecord{"add", "ns/a", "1", "1"},
                                         EventRecord{"update", "ns/a", "2", "2"}));
  EXPECT_TRUE(rec.history()[0].is_in_initial_list);
  ASSERT_EQ(rec.updates().size(), 1u);
  EXPECT_EQ(rec.updates()[0].first.resource_version(), "1");
}

TEST(ProcessDeltasTest, SyncReplacedAddedUpdatedAllChooseAddOrUpdateByStore) {  // C3
  for (DeltaType type : {DeltaType::kSync, DeltaType::kReplaced, DeltaType::kAdded,
                         DeltaType::kUpdated}) {
    auto store = NewStore(DeletionHandlingMetaNamespaceKeyFunc);
    EventRecorder rec(store.get());
    Deltas deltas;
    deltas.push_back(Delta{type, MakePod("ns", "a", "1")});
    deltas.push_back(Delta{type, MakePod("ns", "a", "2")});
    ASSERT_TRUE(ProcessDeltas(rec, *store, deltas, false).ok());
    EXPECT_THAT(rec.history(), ElementsAre(EventRecord{"add", "ns/a", "1", "1"},
                                           EventRecord{"update", "ns/a", "2", "2"}))
        << DeltaTypeName(type);
  }
}

TEST(ProcessDeltasTest, DeleteOfAbsentKeyStillNotifiesAndPassesTombstoneThrough) {  // C3, K5
  auto store = NewStore(DeletionHandlingMetaNamespaceKeyFunc);
  std::vector<Item> deleted;
  ResourceEventHandlerFuncs h(nullptr, nullptr, [&](const Item& o) { deleted.push_back(o); });
  Item tombstone = Item::Tombstone("ns/gone", MakePod("ns", "gone", "7"));
  ASSERT_TRUE(ProcessDeltas(h, *store, One(DeltaType::kDeleted, tombstone), false).ok());
  ASSERT_TRUE(ProcessDeltas(h, *store, One(DeltaType::kDeleted, MakePod("ns", "x", "1")), false).ok());
  ASSERT_EQ(deleted.size(), 2u);
  EXPECT_TRUE(deleted[0].SameAs(tombstone));
}

TEST(ProcessDeltasTest, DeleteRemovesFromStoreBeforeNotifying) {  // C5
  auto store = NewStore(DeletionHandlingMetaNamespaceKeyFunc);
  EventRecorder rec(store.get());
  ASSERT_TRUE(store->Add(MakePod("ns", "a", "1")).ok());
  ASSERT_TRUE(ProcessDeltas(rec, *store,
                            One(DeltaType::kDeleted, Item::Tombstone("ns/a", MakePod("ns", "a", "1"))),
                            false)
                  .ok());
  EXPECT_THAT(rec.history(), ElementsAre(EventRecord{"delete", "ns/a", "1", ""}));
  EXPECT_THAT(store->ListKeys(), IsEmpty());
}

TEST(ProcessDeltasTest, SyncAllUpdatesEveryStoredObjectAndSkipsTheRest) {  // C3 [N]
  auto store = NewStore(DeletionHandlingMetaNamespaceKeyFunc);
  ASSERT_TRUE(store->Add(MakePod("ns", "b", "2")).ok());
  ASSERT_TRUE(store->Add(MakePod("ns", "a", "1")).ok());
  EventRecorder rec(store.get());
  Deltas deltas;
  deltas.push_back(Delta{DeltaType::kSyncAll, Item::SyncAll()});
  deltas.push_back(Delta{DeltaType::kAdded, MakePod("ns", "c", "3")});  // skipped
  ASSERT_TRUE(ProcessDeltas(rec, *store, deltas, false).ok());
  EXPECT_THAT(rec.history(), ElementsAre(EventRecord{"update", "ns/a", "1", "1"},
                                         EventRecord{"update", "ns/b", "2", "2"}));
  for (const auto& [old_obj, new_obj] : rec.updates()) EXPECT_TRUE(old_obj.SameAs(new_obj));
  EXPECT_EQ(store->ListKeys().size(), 2u);
}

TEST(ProcessDeltasTest, BookmarkSetsStoreVersionWithoutNotifying) {  // C3 [N], S5
  auto store = NewStore(DeletionHandlingMetaNamespaceKeyFunc);
  EventRecorder rec(store.get());
  ASSERT_TRUE(ProcessDeltas(rec, *store, One(DeltaType::kBookmark, Item::Bookmark("42")), false).ok());
  EXPECT_EQ(store->LastStoreSyncResourceVersion(), "42");
  EXPECT_EQ(rec.size(), 0u);
}

TEST(ProcessDeltasTest, WrongPayloadsAreErrors) {
  auto store = NewStore(DeletionHandlingMetaNamespaceKeyFunc);
  EventRecorder rec(store.get());
  EXPECT_FALSE(ProcessDeltas(rec, *store, One(DeltaType::kReplacedAll, MakePod("ns", "a", "1")), false).ok());
  EXPECT_FALSE(ProcessDeltas(rec, *store, One(DeltaType::kSyncAll, MakePod("ns", "a", "1")), false).ok());
  EXPECT_FALSE(ProcessDeltas(rec, *store, One(DeltaType::kBookmark, MakePod("ns", "a", "1")), false).ok());
}

// C3 ReplacedAll, C5: the store is replaced first; deletions, then the list
// in order. Mirrors the expectations of client-go TestReplaceEvents
// ("Create, update, delete", atomic).
TEST(ProcessDeltasTest, ReplacedAllReplacesThenDeletesThenAddsOrUpdatesInListOrder) {
  auto store = NewStore(DeletionHandlingMetaNamespaceKeyFunc);
  ASSERT_TRUE(store->Add(MakePod("default", "pod-1", "1")).ok());
  ASSERT_TRUE(store->Add(MakePod("default", "pod-2", "2", "1")).ok());
  ASSERT_TRUE(store->Add(MakePod("default", "pod-3", "3")).ok());
  EventRecorder rec(store.get());
  Deltas deltas;
  deltas.push_back(Delta{DeltaType::kReplacedAll,
                         Item::ReplacedAll("6", {MakePod("default", "pod-1", "4"),
                                                 MakePod("default", "pod-2", "5", "2"),
                                                 MakePod("default", "pod-4", "6")})});
  ASSERT_TRUE(ProcessDeltas(rec, *store, deltas, true).ok());
  EXPECT_THAT(rec.history(), ElementsAre(EventRecord{"delete", "default/pod-3", "3", ""},
                                         EventRecord{"update", "default/pod-1", "4", "4"},
                                         EventRecord{"update", "default/pod-2", "5", "5"},
                                         EventRecord{"add", "default/pod-4", "6", "6"}));
  EXPECT_TRUE(rec.history()[3].is_in_initial_list);
  EXPECT_EQ(store->LastStoreSyncResourceVersion(), "6");
}

// A Store with a scripted Transaction, as client-go's mockTxnStore.
class MockTxnStore final : public Store, public TransactionStore {
 public:
  explicit MockTxnStore(std::vector<ObjectPtr> failing) : failing_(std::move(failing)) {}
  absl::Status Add(Item obj) override { return store_->Add(std::move(obj)); }
  absl::Status Update(Item obj) override { return store_->Update(std::move(obj)); }
  absl::Status Delete(Item obj) override { return store_->Delete(std::move(obj)); }
  absl::Status Replace(std::vector<Item> list, absl::string_view rv) override {
    return store_->Replace(std::move(list), rv);
  }
  absl::Status Resync() override { return absl::OkStatus(); }
  std::vector<std::string> ListKeys() const override { return store_->ListKeys(); }
  absl::StatusOr<std::optional<Item>> GetByKey(absl::string_view key) const override {
    return store_->GetByKey(key);
  }
  std::vector<Item> List() const override { return store_->List(); }
  absl::StatusOr<std::optional<Item>> Get(const Item& obj) const override {
    return store_->Get(obj);
  }
  std::string LastStoreSyncResourceVersion() const override { return ""; }
  void Bookmark(absl::string_view) override {}

  std::optional<TransactionError> Transaction(
      std::vector<::informersim::Transaction> txns) override {
    TransactionError error;
    error.total_transactions = static_cast<int>(txns.size());
    for (size_t i = 0; i < txns.size(); ++i) {
      bool fails = false;
      for (const ObjectPtr& f : failing_) fails = fails || (txns[i].object.object() == f);
      if (fails) {
        error.errors.push_back(absl::InternalError("test error"));
      } else {
        error.successful_indices.push_back(static_cast<int>(i));
      }
    }
    succeed_count = static_cast<int>(error.successful_indices.size());
    if (error.errors.empty()) return std::nullopt;
    return error;
  }

  int succeed_count = 0;

 private:
  std::unique_ptr<Cache> store_ = NewStore(MetaNamespaceKeyFunc);
  std::vector<ObjectPtr> failing_;
};

// Mirrors client-go TestProcessDeltasInBatch (all four cases).
TEST(ProcessDeltasInBatchTest, TestProcessDeltasInBatch) {
  ObjectPtr cm1 = MakePod("testnamespace", "testname1", "");
  ObjectPtr cm2 = MakePod("testnamespace", "testname2", "");
  ObjectPtr cm3 = MakePod("testnamespace", "testname3", "");
  struct Case {
    std::string name;
    std::vector<ObjectPtr> deltas;
    std::vector<ObjectPtr> failing;
    std::vector<ObjectPtr> received;
    int success_count;
    std::string error_contains;
  };
  const std::vector<Case> cases = {
      {"all transaction succeeding should works", {cm1}, {}, {cm1}, 1, ""},
      {"all transaction failing should not trigger listener", {cm1}, {cm1}, {}, 0,
       "failed to execute (1/1) transactions"},
      {"partial transaction failing #1", {cm1, cm2}, {cm2}, {cm1}, 1,
       "failed to execute (1/2) transactions"},
      {"partial transaction failing #2", {cm1, cm2, cm3}, {cm2}, {cm1, cm3}, 2,
       "failed to execute (1/3) transactions"},
  };
  for (const Case& tc : cases) {
    MockTxnStore store(tc.failing);
    std::vector<ObjectPtr> received;
    ResourceEventHandlerFuncs h([&](const Item& o, bool) { received.push_back(o.object()); },
                                [&](const Item&, const Item& o) { received.push_back(o.object()); },
                                [&](const Item& o) { received.push_back(o.object()); });
    std::vector<Delta> batch;
    for (const ObjectPtr& o : tc.deltas) batch.push_back(Delta{DeltaType::kAdded, o});
    absl::Status status = ProcessDeltasInBatch(h, store, batch, true);
    if (tc.error_contains.empty()) {
      EXPECT_TRUE(status.ok()) << tc.name << ": " << status;
    } else {
      EXPECT_TRUE(absl::StrContains(status.message(), tc.error_contains)) << tc.name << ": " << status;
      EXPECT_TRUE(absl::StrContains(status.message(),
                                    "not all items in the batch successfully processed"));
    }
    EXPECT_EQ(store.succeed_count, tc.success_count) << tc.name;
    EXPECT_EQ(received, tc.received) << tc.name;
  }
}

TEST(ProcessDeltasInBatchTest, CacheTransactionAppliesThenCallsBackInBatchOrder) {  // C4, C5
  auto store = NewStore(DeletionHandlingMetaNamespaceKeyFunc);
  ASSERT_TRUE(store->Add(MakePod("ns", "b", "1")).ok());
  ASSERT_TRUE(store->Add(MakePod("ns", "c", "1")).ok());
  EventRecorder rec(store.get());
  std::vector<Delta> batch = {Delta{DeltaType::kAdded, MakePod("ns", "a", "2")},
                              Delta{DeltaType::kUpdated, MakePod("ns", "b", "3")},
                              Delta{DeltaType::kDeleted, MakePod("ns", "c", "1")}};
  ASSERT_TRUE(ProcessDeltasInBatch(rec, *store, batch, false).ok());
  // Every callback sees the whole batch applied.
  EXPECT_THAT(rec.history(), ElementsAre(EventRecord{"add", "ns/a", "2", "2"},
                                         EventRecord{"update", "ns/b", "3", "3"},
                                         EventRecord{"delete", "ns/c", "1", ""}));
}

TEST(ProcessDeltasInBatchTest, NonBatchableTypesAreRejected) {  // C4
  auto store = NewStore(DeletionHandlingMetaNamespaceKeyFunc);
  EventRecorder rec(store.get());
  std::vector<Delta> batch = {Delta{DeltaType::kAdded, MakePod("ns", "a", "2")},
                              Delta{DeltaType::kSyncAll, Item::SyncAll()}};
  absl::Status status = ProcessDeltasInBatch(rec, *store, batch, false);
  EXPECT_TRUE(absl::StrContains(status.message(), "not supported in batch processing")) << status;
  EXPECT_EQ(rec.size(), 0u);
}

// A store without transactions: per-delta processDeltas (C4).
class PlainStore final : public Store {
 public:
  absl::Status Add(Item obj) override { return s_->Add(std::move(obj)); }
  absl::Status Update(Item obj) override { return s_->Update(std::move(obj)); }
  absl::Status Delete(Item obj) override { return s_->Delete(std::move(obj)); }
  absl::Status Replace(std::vector<Item> l, absl::string_view rv) override {
    return s_->Replace(std::move(l), rv);
  }
  absl::Status Resync() override { return absl::OkStatus(); }
  std::vector<std::string> ListKeys() const override { return s_->ListKeys(); }
  absl::StatusOr<std::optional<Item>> GetByKey(absl::string_view k) const override {
    return s_->GetByKey(k);
  }
  std::vector<Item> List() const override { return s_->List(); }
  absl::StatusOr<std::optional<Item>> Get(const Item& o) const override { return s_->Get(o); }
  std::string LastStoreSyncResourceVersion() const override { return ""; }
  void Bookmark(absl::string_view) override {}

 private:
  std::unique_ptr<Cache> s_ = NewStore(DeletionHandlingMetaNamespaceKeyFunc);
};

TEST(ProcessDeltasInBatchTest, WithoutTransactionsEachDeltaIsProcessedAlone) {  // C4
  PlainStore store;
  EventRecorder rec(&store);
  std::vector<Delta> batch = {Delta{DeltaType::kAdded, MakePod("ns", "a", "2")},
                              Delta{DeltaType::kAdded, MakePod("ns", "b", "3")}};
  ASSERT_TRUE(ProcessDeltasInBatch(rec, store, batch, true).ok());
  // Per delta: the second object is not yet stored when the first is told.
  EXPECT_THAT(rec.history(), ElementsAre(EventRecord{"add", "ns/a", "2", "2"},
                                         EventRecord{"add", "ns/b", "3", "3"}));
}

// C6.
TEST(FilteringResourceEventHandlerTest, UpdateBecomesAddOrDeleteAtTheFilterEdge) {
  auto inner = std::make_shared<EventRecorder>();
  FilteringResourceEventHandler f(
      [](const Item& o) { return o.meta() != nullptr && o.meta()->labels().count("ver") > 0 &&
                                 o.meta()->labels().at("ver") == "in"; },
      inner);
  ObjectPtr in1 = MakePod("ns", "a", "1", "in");
  ObjectPtr in2 = MakePod("ns", "a", "2", "in");
  ObjectPtr out3 = MakePod("ns", "a", "3", "out");
  ObjectPtr out4 = MakePod("ns", "a", "4", "out");
  f.OnAdd(out3, true);      // filtered
  f.OnAdd(in1, true);       // add
  f.OnUpdate(in1, in2);     // update
  f.OnUpdate(in2, out3);    // delete(old)
  f.OnUpdate(out3, out4);   // nothing
  f.OnUpdate(out4, in1);    // add(new, false)
  f.OnDelete(out4);         // filtered
  f.OnDelete(in1);          // delete
  EXPECT_THAT(inner->history(),
              ElementsAre(EventRecord{"add", "ns/a", "1", ""}, EventRecord{"update", "ns/a", "2", ""},
                          EventRecord{"delete", "ns/a", "2", ""}, EventRecord{"add", "ns/a", "1", ""},
                          EventRecord{"delete", "ns/a", "1", ""}));
  EXPECT_TRUE(inner->history()[0].is_in_initial_list);
  EXPECT_FALSE(inner->history()[3].is_in_initial_list);
}

TEST(ResourceEventHandlerFuncsTest, EmptyFunctionsAreSkipped) {
  ResourceEventHandlerFuncs h;
  h.OnAdd(MakePod("ns", "a", "1"), false);
  h.OnUpdate(MakePod("ns", "a", "1"), MakePod("ns", "a", "2"));
  h.OnDelete(MakePod("ns", "a", "1"));
}

}  // namespace
}  // namespace informersim
