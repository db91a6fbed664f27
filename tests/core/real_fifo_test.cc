// Conformance tests of RealFIFO (rules R1-R10): every test of client-go's
// tools/cache/the_real_fifo_test.go at the matched commit, re-expressed in
// C++ with the same expected outcomes, plus tests of what the C++ adds or
// makes explicit (option checks, errors, TryPop/TryPopBatch).
//
// client-go's tests that pop from goroutines with timeouts run here
// deterministically with TryPop/TryPopBatch; their threaded forms are in
// fifo_blocking_test.cc.
#include "core/real_fifo.h"

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "core/errors.h"
#include "core/keys.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/core/real_fifo_test_support.h"

namespace informersim {
namespace {

using ::informersim::testing_fifo::Canonical;
using ::informersim::testing_fifo::D;
using ::informersim::testing_fifo::FifoKey;
using ::informersim::testing_fifo::FifoObj;
using ::informersim::testing_fifo::LiteralListerGetter;
using ::informersim::testing_fifo::NameOf;
using ::informersim::testing_fifo::Tombstone;
using ::informersim::testing_fifo::ValOf;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

constexpr DeltaType kAdded = DeltaType::kAdded;
constexpr DeltaType kUpdated = DeltaType::kUpdated;
constexpr DeltaType kDeleted = DeltaType::kDeleted;
constexpr DeltaType kReplaced = DeltaType::kReplaced;
constexpr DeltaType kSync = DeltaType::kSync;
constexpr DeltaType kReplacedAll = DeltaType::kReplacedAll;
constexpr DeltaType kSyncAll = DeltaType::kSyncAll;
constexpr DeltaType kBookmark = DeltaType::kBookmark;

std::unique_ptr<RealFIFO> MustCreate(RealFIFOOptions options) {
  absl::StatusOr<std::unique_ptr<RealFIFO>> f = RealFIFO::Create(std::move(options));
  EXPECT_TRUE(f.ok()) << f.status();
  return f.ok() ? *std::move(f) : nullptr;
}

// client-go NewRealFIFO(testFifoObjectKeyFunc, known, transformer).
std::unique_ptr<RealFIFO> NewRealFIFO(const KeyListerGetter* known,
                                      TransformFunc transformer = nullptr,
                                      size_t batch_size = 1000) {
  RealFIFOOptions o;
  o.key_function = FifoKey;
  o.known_objects = known;
  o.transformer = std::move(transformer);
  o.batch_size = batch_size;
  return MustCreate(std::move(o));
}

// client-go's tests switch emitAtomicEvents (and bookmarks) on after
// construction, keeping known objects that atomic mode never reads; here
// the options say so from the start.
std::unique_ptr<RealFIFO> NewAtomicRealFIFO(bool bookmarks) {
  RealFIFOOptions o;
  o.key_function = FifoKey;
  o.atomic_events = true;
  o.emit_delta_type_bookmark = bookmarks;
  return MustCreate(std::move(o));
}

// client-go's Pop(queue) helper, non-blocking: the popped Deltas, or
// nullopt when nothing could be popped.
std::optional<Deltas> PopDeltas(Queue& q, bool* is_in_initial_list = nullptr) {
  std::optional<Deltas> got;
  PopResult r = q.TryPop([&](const Deltas& d, bool initial) {
    got = d;
    if (is_in_initial_list != nullptr) *is_in_initial_list = initial;
    return absl::OkStatus();
  });
  EXPECT_EQ(r.outcome == PopOutcome::kPopped, got.has_value());
  return got;
}

// testRealFIFOPop's `val`: the newest object's value.
int64_t PopVal(RealFIFO& f) {
  std::optional<Deltas> d = PopDeltas(f);
  if (!d.has_value()) return -1;
  EXPECT_EQ(d->size(), 1u);
  return ValOf(d->back().object);
}

// popN(f, len(getItems())) followed by collapseDeltas.
std::vector<Delta> PopAllCollapsed(RealFIFO& f) {
  std::vector<Delta> out;
  const size_t n = f.size();
  for (size_t i = 0; i < n; ++i) {
    std::optional<Deltas> d = PopDeltas(f);
    if (!d.has_value()) break;
    for (const Delta& one : *d) out.push_back(one);
  }
  return out;
}

std::vector<std::string> Render(std::vector<Delta> deltas) { return Canonical(deltas); }

LiteralListerGetter EmptyKnownObjects() { return LiteralListerGetter({}); }

// Mirrors client-go TestRealFIFO_basic (deterministic form): two producers'
// adds interleaved; each producer's values come out in order.
TEST(RealFIFOTest, Basic) {
  LiteralListerGetter known = EmptyKnownObjects();
  auto f = NewRealFIFO(&known);
  constexpr int kAmount = 500;
  for (int i = 0; i < kAmount; ++i) {
    ASSERT_TRUE(f->Add(FifoObj(absl::StrCat("a", i), i + 1)).ok());
    ASSERT_TRUE(f->Add(FifoObj(absl::StrCat("b", i), i + 1)).ok());
  }
  int64_t last_a = 0, last_b = 0;
  for (int i = 0; i < 2 * kAmount; ++i) {
    std::optional<Deltas> d = PopDeltas(*f);
    ASSERT_TRUE(d.has_value());
    const Item& obj = d->back().object;
    int64_t& last = NameOf(obj)[0] == 'a' ? last_a : last_b;
    EXPECT_GT(ValOf(obj), last) << NameOf(obj) << " out of order";
    last = ValOf(obj);
  }
  EXPECT_EQ(last_a, kAmount);
  EXPECT_EQ(last_b, kAmount);
}

// Mirrors client-go TestRealFIFO_replaceWithDeleteDeltaIn.
TEST(RealFIFOTest, ReplaceWithDeleteDeltaIn) {
  const Item old_obj = FifoObj("foo", 1);
  const Item new_obj = FifoObj("foo", 2);
  LiteralListerGetter known({old_obj});
  auto f = NewRealFIFO(&known);
  ASSERT_TRUE(f->Delete(old_obj).ok());
  ASSERT_TRUE(f->Replace({new_obj}, "").ok());
  EXPECT_EQ(Render(f->QueuedDeltas()),
            Render({D(kDeleted, old_obj), D(kReplaced, new_obj)}));
}

// Mirrors client-go TestRealFIFOW_ReplaceMakesDeletionsForObjectsOnlyInQueue
// (its commented-out "Replaced object should have only a single Delete"
// case has no RealFIFO counterpart and is absent there too).
TEST(RealFIFOTest, ReplaceMakesDeletionsForObjectsOnlyInQueue) {
  const Item obj = FifoObj("foo", 2);
  const Item obj_v2 = FifoObj("foo", 3);
  struct Case {
    std::string name;
    std::function<void(RealFIFO&)> operations;
    std::vector<Delta> expected;
  };
  const std::vector<Case> cases = {
      {"Added object should be deleted on Replace",
       [&](RealFIFO& f) {
         ASSERT_TRUE(f.Add(obj).ok());
         ASSERT_TRUE(f.Replace({}, "0").ok());
       },
       {D(kAdded, obj), D(kDeleted, Tombstone("foo", obj))}},
      {"Deleted object should have only a single Delete",
       [&](RealFIFO& f) {
         ASSERT_TRUE(f.Add(obj).ok());
         ASSERT_TRUE(f.Delete(obj).ok());
         ASSERT_TRUE(f.Replace({}, "0").ok());
       },
       {D(kAdded, obj), D(kDeleted, obj)}},
      {"Synced objects should have a single delete",
       [&](RealFIFO& f) {
         ASSERT_TRUE(f.Add(obj).ok());
         ASSERT_TRUE(f.Replace({obj}, "0").ok());
         ASSERT_TRUE(f.Replace({obj}, "0").ok());
         ASSERT_TRUE(f.Replace({}, "0").ok());
       },
       {D(kAdded, obj), D(kReplaced, obj), D(kReplaced, obj),
        D(kDeleted, Tombstone("foo", obj))}},
      {"Added objects should have a single delete on multiple Replaces",
       [&](RealFIFO& f) {
         ASSERT_TRUE(f.Add(obj).ok());
         ASSERT_TRUE(f.Replace({}, "0").ok());
         ASSERT_TRUE(f.Replace({}, "1").ok());
       },
       {D(kAdded, obj), D(kDeleted, Tombstone("foo", obj))}},
      {"Added and deleted and added object should be deleted",
       [&](RealFIFO& f) {
         ASSERT_TRUE(f.Add(obj).ok());
         ASSERT_TRUE(f.Delete(obj).ok());
         ASSERT_TRUE(f.Add(obj_v2).ok());
         ASSERT_TRUE(f.Replace({}, "0").ok());
       },
       {D(kAdded, obj), D(kDeleted, obj), D(kAdded, obj_v2),
        D(kDeleted, Tombstone("foo", obj_v2))}},
      {"Bookmark object should not be added without atomic",
       [&](RealFIFO& f) {
         ASSERT_TRUE(f.Bookmark("123").ok());
         ASSERT_TRUE(f.Replace({}, "0").ok());
         ASSERT_TRUE(f.Replace({}, "1").ok());
       },
       {}},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    LiteralListerGetter known = EmptyKnownObjects();
    auto f = NewRealFIFO(&known);
    c.operations(*f);
    EXPECT_EQ(Render(PopAllCollapsed(*f)), Render(c.expected));
    EXPECT_EQ(f->size(), 0u);
  }
}

// Mirrors client-go TestRealFIFO_addUpdate (deterministic form).
TEST(RealFIFOTest, AddUpdate) {
  LiteralListerGetter known = EmptyKnownObjects();
  auto f = NewRealFIFO(&known);
  ASSERT_TRUE(f->Add(FifoObj("foo", 10)).ok());
  ASSERT_TRUE(f->Update(FifoObj("foo", 12)).ok());
  ASSERT_TRUE(f->Delete(FifoObj("foo", 15)).ok());
  // Every event is kept (DeltaFIFO would list only the newest).
  EXPECT_EQ(Render(f->QueuedDeltas()),
            Render({D(kAdded, FifoObj("foo", 10)), D(kUpdated, FifoObj("foo", 12)),
                    D(kDeleted, FifoObj("foo", 15))}));
  EXPECT_EQ(PopVal(*f), 10);
  EXPECT_EQ(PopVal(*f), 12);
  EXPECT_EQ(PopVal(*f), 15);
  EXPECT_EQ(f->TryPop([](const Deltas&, bool) { return absl::OkStatus(); }).outcome,
            PopOutcome::kEmpty);
  EXPECT_EQ(f->size(), 0u);
  f->Close();
  EXPECT_EQ(f->TryPop([](const Deltas&, bool) { return absl::OkStatus(); }).outcome,
            PopOutcome::kClosed);
}

// client-go's rvAndXfrm: a test object whose annotation counts how often it
// went through the transformer.
Item XfrmObj(const std::string& name, int64_t rv, int xfrm) {
  api::Object o;
  o.mutable_metadata()->set_name(name);
  o.mutable_metadata()->set_resource_version(absl::StrCat(rv));
  (*o.mutable_metadata()->mutable_annotations())["xfrm"] = absl::StrCat(xfrm);
  return Item(MakeObject(std::move(o)));
}

int XfrmCount(const ObjectPtr& obj) {
  if (obj == nullptr) return -1;
  auto it = obj->metadata().annotations().find("xfrm");
  int n = 0;
  if (it == obj->metadata().annotations().end() || !absl::SimpleAtoi(it->second, &n)) return 0;
  return n;
}

absl::StatusOr<Item> CountingTransform(Item item) {
  if (item.is_object()) {
    api::Object copy = *item.object();
    (*copy.mutable_metadata()->mutable_annotations())["xfrm"] =
        absl::StrCat(XfrmCount(item.object()) + 1);
    return Item(MakeObject(std::move(copy)));
  }
  if (item.is_tombstone()) {
    if (XfrmCount(item.tombstone().obj) != 1) {
      return absl::InternalError(absl::StrCat(
          "object has been transformed wrong number of times: ", item.DebugString()));
    }
    return item;
  }
  return absl::InternalError(absl::StrCat("unexpected object: ", item.DebugString()));
}

// Mirrors client-go TestRealFIFO_transformer.
TEST(RealFIFOTest, Transformer) {
  auto mk = [](const std::string& name, int64_t rv) { return XfrmObj(name, rv, 0); };
  auto must_transform = [](const std::string& name, int64_t rv) {
    return XfrmObj(name, rv, 1);
  };
  LiteralListerGetter known = EmptyKnownObjects();
  auto f = NewRealFIFO(&known, CountingTransform);
  ASSERT_TRUE(f->Add(mk("foo", 10)).ok());
  ASSERT_TRUE(f->Add(mk("bar", 11)).ok());
  ASSERT_TRUE(f->Update(mk("foo", 12)).ok());
  ASSERT_TRUE(f->Delete(mk("foo", 15)).ok());
  ASSERT_TRUE(f->Replace({}, "").ok());
  ASSERT_TRUE(f->Add(mk("bar", 16)).ok());
  ASSERT_TRUE(f->Replace({}, "").ok());

  // No compression: bar is deleted once per Replace; tombstones carry the
  // already-transformed object and are not transformed again.
  const std::vector<Delta> expected = {
      D(kAdded, must_transform("foo", 10)),
      D(kAdded, must_transform("bar", 11)),
      D(kUpdated, must_transform("foo", 12)),
      D(kDeleted, must_transform("foo", 15)),
      D(kDeleted, Tombstone("bar", must_transform("bar", 11))),
      D(kAdded, must_transform("bar", 16)),
      D(kDeleted, Tombstone("bar", must_transform("bar", 16))),
  };
  EXPECT_EQ(Render(f->QueuedDeltas()), Render(expected));
  for (size_t i = 0; i < expected.size(); ++i) {
    std::optional<Deltas> d = PopDeltas(*f);
    ASSERT_TRUE(d.has_value()) << "got nothing on try " << i;
    ASSERT_EQ(d->size(), 1u);
    EXPECT_EQ(Canonical(d->front()), Canonical(expected[i])) << i;
  }
}

// Mirrors client-go TestRealFIFO_enqueueingNoLister.
TEST(RealFIFOTest, EnqueueingNoLister) {
  LiteralListerGetter known = EmptyKnownObjects();
  auto f = NewRealFIFO(&known);
  ASSERT_TRUE(f->Add(FifoObj("foo", 10)).ok());
  ASSERT_TRUE(f->Update(FifoObj("bar", 15)).ok());
  ASSERT_TRUE(f->Add(FifoObj("qux", 17)).ok());
  ASSERT_TRUE(f->Delete(FifoObj("qux", 18)).ok());
  // R3: a delete of an unknown key is queued too.
  ASSERT_TRUE(f->Delete(FifoObj("baz", 20)).ok());
  for (int64_t want : {10, 15, 17, 18, 20}) EXPECT_EQ(PopVal(*f), want);
  EXPECT_EQ(f->size(), 0u);
}

// Mirrors client-go TestRealFIFO_enqueueingWithLister.
TEST(RealFIFOTest, EnqueueingWithLister) {
  LiteralListerGetter known({FifoObj("foo", 5), FifoObj("bar", 6), FifoObj("baz", 7)});
  auto f = NewRealFIFO(&known);
  ASSERT_TRUE(f->Add(FifoObj("foo", 10)).ok());
  ASSERT_TRUE(f->Update(FifoObj("bar", 15)).ok());
  ASSERT_TRUE(f->Delete(FifoObj("baz", 20)).ok());
  for (int64_t want : {10, 15, 20}) EXPECT_EQ(PopVal(*f), want);
  EXPECT_EQ(f->size(), 0u);
}

// Mirrors client-go TestRealFIFO_addReplace (deterministic form).
TEST(RealFIFOTest, AddReplace) {
  LiteralListerGetter known = EmptyKnownObjects();
  auto f = NewRealFIFO(&known);
  ASSERT_TRUE(f->Add(FifoObj("foo", 10)).ok());
  ASSERT_TRUE(f->Replace({FifoObj("foo", 15)}, "0").ok());
  // Every event is delivered, not only the newest.
  EXPECT_EQ(PopVal(*f), 10);
  EXPECT_EQ(PopVal(*f), 15);
  EXPECT_FALSE(PopDeltas(*f).has_value());
  EXPECT_EQ(f->size(), 0u);
}

// Mirrors client-go TestRealFIFO_ResyncNonExisting.
TEST(RealFIFOTest, ResyncNonExisting) {
  LiteralListerGetter known({FifoObj("foo", 5)});
  auto f = NewRealFIFO(&known);
  ASSERT_TRUE(f->Delete(FifoObj("foo", 10)).ok());
  ASSERT_TRUE(f->Resync().ok());
  const std::vector<Delta> deltas = f->QueuedDeltas();
  ASSERT_EQ(deltas.size(), 1u);
  EXPECT_EQ(deltas[0].type, kDeleted);
}

// Mirrors client-go TestRealFIFO_Resync.
TEST(RealFIFOTest, Resync) {
  LiteralListerGetter known({FifoObj("foo", 5)});
  auto f = NewRealFIFO(&known);
  ASSERT_TRUE(f->Resync().ok());
  const std::vector<Delta> deltas = f->QueuedDeltas();
  ASSERT_EQ(deltas.size(), 1u);
  EXPECT_EQ(deltas[0].type, kSync);
  EXPECT_EQ(Canonical(deltas[0]), Canonical(D(kSync, FifoObj("foo", 5))));
}

// Mirrors client-go TestRealFIFO_DeleteExistingNonPropagated.
TEST(RealFIFOTest, DeleteExistingNonPropagated) {
  LiteralListerGetter known = EmptyKnownObjects();
  auto f = NewRealFIFO(&known);
  ASSERT_TRUE(f->Add(FifoObj("foo", 5)).ok());
  ASSERT_TRUE(f->Delete(FifoObj("foo", 6)).ok());
  const std::vector<Delta> deltas = f->QueuedDeltas();
  ASSERT_EQ(deltas.size(), 2u);
  EXPECT_EQ(deltas.back().type, kDeleted);
}

void ExpectPops(RealFIFO& f, const std::vector<Delta>& expected) {
  for (size_t i = 0; i < expected.size(); ++i) {
    std::optional<Deltas> d = PopDeltas(f);
    ASSERT_TRUE(d.has_value()) << "nothing to pop at " << i;
    EXPECT_THAT(Canonical(*d), ElementsAre(Canonical(expected[i]))) << i;
  }
}

// Mirrors client-go TestRealFIFO_ReplaceMakesDeletions: deletions of items
// missing from the list come BEFORE the Replaced deltas (unlike DeltaFIFO).
TEST(RealFIFOTest, ReplaceMakesDeletions) {
  LiteralListerGetter known({FifoObj("foo", 5), FifoObj("bar", 6), FifoObj("baz", 7)});
  {
    SCOPED_TRACE("pre-existing Delete");
    auto f = NewRealFIFO(&known);
    ASSERT_TRUE(f->Delete(FifoObj("baz", 10)).ok());
    ASSERT_TRUE(f->Replace({FifoObj("foo", 5)}, "0").ok());
    ExpectPops(*f, {D(kDeleted, FifoObj("baz", 10)),
                    D(kDeleted, Tombstone("bar", FifoObj("bar", 6))),
                    D(kReplaced, FifoObj("foo", 5))});
  }
  {
    SCOPED_TRACE("starting with an Add");
    auto f = NewRealFIFO(&known);
    ASSERT_TRUE(f->Add(FifoObj("baz", 10)).ok());
    ASSERT_TRUE(f->Replace({FifoObj("foo", 5)}, "0").ok());
    ExpectPops(*f, {D(kAdded, FifoObj("baz", 10)),
                    D(kDeleted, Tombstone("baz", FifoObj("baz", 10))),
                    D(kDeleted, Tombstone("bar", FifoObj("bar", 6))),
                    D(kReplaced, FifoObj("foo", 5))});
  }
  {
    SCOPED_TRACE("delete and recreate in the queue, then delete by Replace");
    auto f = NewRealFIFO(&known);
    ASSERT_TRUE(f->Delete(FifoObj("bar", 6)).ok());
    ASSERT_TRUE(f->Add(FifoObj("bar", 100)).ok());
    ASSERT_TRUE(f->Replace({FifoObj("foo", 5)}, "0").ok());
    ExpectPops(*f, {D(kDeleted, FifoObj("bar", 6)), D(kAdded, FifoObj("bar", 100)),
                    D(kDeleted, Tombstone("bar", FifoObj("bar", 100))),
                    D(kDeleted, Tombstone("baz", FifoObj("baz", 7))),
                    D(kReplaced, FifoObj("foo", 5))});
  }
  {
    SCOPED_TRACE("sync first so the delete uses the latest version");
    auto f = NewRealFIFO(&known);
    ASSERT_TRUE(f->Replace({FifoObj("bar", 100), FifoObj("foo", 5)}, "0").ok());
    ASSERT_TRUE(f->Replace({FifoObj("foo", 5)}, "0").ok());
    ExpectPops(*f, {D(kDeleted, Tombstone("baz", FifoObj("baz", 7))),
                    D(kReplaced, FifoObj("bar", 100)), D(kReplaced, FifoObj("foo", 5)),
                    D(kDeleted, Tombstone("bar", FifoObj("bar", 100))),
                    D(kReplaced, FifoObj("foo", 5))});
  }
  {
    SCOPED_TRACE("empty known objects");
    LiteralListerGetter empty = EmptyKnownObjects();
    auto f = NewRealFIFO(&empty);
    ASSERT_TRUE(f->Add(FifoObj("baz", 10)).ok());
    ASSERT_TRUE(f->Replace({FifoObj("foo", 5)}, "0").ok());
    ExpectPops(*f, {D(kAdded, FifoObj("baz", 10)),
                    D(kDeleted, Tombstone("baz", FifoObj("baz", 10))),
                    D(kReplaced, FifoObj("foo", 5))});
  }
}

// Mirrors client-go TestRealFIFO_ReplaceMakesDeletionsReplaced.
TEST(RealFIFOTest, ReplaceMakesDeletionsReplaced) {
  LiteralListerGetter known({FifoObj("foo", 5), FifoObj("bar", 6), FifoObj("baz", 7)});
  auto f = NewRealFIFO(&known);
  ASSERT_TRUE(f->Delete(FifoObj("baz", 10)).ok());
  ASSERT_TRUE(f->Replace({FifoObj("foo", 6)}, "0").ok());
  ExpectPops(*f, {D(kDeleted, FifoObj("baz", 10)),
                  D(kDeleted, Tombstone("bar", FifoObj("bar", 6))),
                  D(kReplaced, FifoObj("foo", 6))});
}

// Mirrors client-go TestRealFIFO_UpdateResyncRace: resync skips a key that
// has a queued delta (R7).
TEST(RealFIFOTest, UpdateResyncRace) {
  LiteralListerGetter known({FifoObj("foo", 5)});
  auto f = NewRealFIFO(&known);
  ASSERT_TRUE(f->Update(FifoObj("foo", 6)).ok());
  ASSERT_TRUE(f->Resync().ok());
  ExpectPops(*f, {D(kUpdated, FifoObj("foo", 6))});
  EXPECT_EQ(f->size(), 0u);
}

// Mirrors client-go TestRealFIFO_HasSyncedCorrectOnDeletion.
TEST(RealFIFOTest, HasSyncedCorrectOnDeletion) {
  LiteralListerGetter known({FifoObj("foo", 5), FifoObj("bar", 6), FifoObj("baz", 7)});
  auto f = NewRealFIFO(&known);
  ASSERT_TRUE(f->Replace({FifoObj("foo", 5)}, "0").ok());
  const std::vector<Delta> expected = {D(kDeleted, Tombstone("bar", FifoObj("bar", 6))),
                                       D(kDeleted, Tombstone("baz", FifoObj("baz", 7))),
                                       D(kReplaced, FifoObj("foo", 5))};
  for (const Delta& want : expected) {
    EXPECT_FALSE(f->HasSynced());
    bool initial = false;
    std::optional<Deltas> d = PopDeltas(*f, &initial);
    ASSERT_TRUE(d.has_value());
    EXPECT_THAT(Canonical(*d), ElementsAre(Canonical(want)));
    EXPECT_TRUE(initial) << "expected an initial list item";
  }
  EXPECT_TRUE(f->HasSynced());
}

// Mirrors client-go TestRealFIFO_detectLineJumpers: every event in order.
TEST(RealFIFOTest, DetectLineJumpers) {
  LiteralListerGetter known = EmptyKnownObjects();
  auto f = NewRealFIFO(&known);
  ASSERT_TRUE(f->Add(FifoObj("foo", 10)).ok());
  ASSERT_TRUE(f->Add(FifoObj("bar", 1)).ok());
  ASSERT_TRUE(f->Add(FifoObj("foo", 11)).ok());
  ASSERT_TRUE(f->Add(FifoObj("foo", 13)).ok());
  ASSERT_TRUE(f->Add(FifoObj("zab", 30)).ok());
  ASSERT_EQ(PopVal(*f), 10);
  ASSERT_TRUE(f->Add(FifoObj("foo", 14)).ok());  // foo must not jump back in line
  ASSERT_EQ(PopVal(*f), 1);
  ASSERT_EQ(PopVal(*f), 11);
  ASSERT_EQ(PopVal(*f), 13);
  ASSERT_EQ(PopVal(*f), 30);
  ASSERT_EQ(PopVal(*f), 14);
}

// Mirrors client-go TestRealFIFO_KeyOf.
TEST(RealFIFOTest, KeyOf) {
  auto f = NewAtomicRealFIFO(false);
  EXPECT_EQ(*f->KeyOf(FifoObj("A", 0)), "A");
  EXPECT_EQ(*f->KeyOf(Item::Tombstone("B", nullptr)), "B");
  Deltas c;
  c.push_back(D(kAdded, FifoObj("C", 0)));
  EXPECT_EQ(*f->KeyOf(c), "C");
  Deltas d;
  d.push_back(D(kAdded, Item::Tombstone("D", nullptr)));
  EXPECT_EQ(*f->KeyOf(d), "D");
  // An empty Deltas has no key.
  absl::StatusOr<std::string> none = f->KeyOf(Deltas());
  ASSERT_FALSE(none.ok());
  EXPECT_TRUE(IsKeyError(none.status()));
  EXPECT_TRUE(HasTag(none.status(), kZeroLengthDeltasTag));
}

// Mirrors client-go TestRealFIFO_HasSynced.
TEST(RealFIFOTest, HasSynced) {
  struct Case {
    std::vector<std::function<void(RealFIFO&)>> actions;
    bool expected_synced;
  };
  auto pop = [](RealFIFO& f) { ASSERT_TRUE(PopDeltas(f).has_value()); };
  const std::vector<Case> cases = {
      {{}, false},
      {{[](RealFIFO& f) { ASSERT_TRUE(f.Add(FifoObj("a", 1)).ok()); }}, true},
      {{[](RealFIFO& f) { ASSERT_TRUE(f.Replace({}, "0").ok()); }}, true},
      {{[](RealFIFO& f) { ASSERT_TRUE(f.Replace({FifoObj("a", 1), FifoObj("b", 2)}, "0").ok()); }},
       false},
      {{[](RealFIFO& f) { ASSERT_TRUE(f.Replace({FifoObj("a", 1), FifoObj("b", 2)}, "0").ok()); },
        pop},
       false},
      {{[](RealFIFO& f) { ASSERT_TRUE(f.Replace({FifoObj("a", 1), FifoObj("b", 2)}, "0").ok()); },
        pop, pop},
       true},
      // A broken list with a duplicate key: every event is delivered, so
      // "a" is popped twice.
      {{[](RealFIFO& f) { ASSERT_TRUE(f.Replace({FifoObj("a", 1), FifoObj("a", 2)}, "0").ok()); },
        pop, pop},
       true},
  };
  for (size_t i = 0; i < cases.size(); ++i) {
    SCOPED_TRACE(absl::StrCat("case ", i));
    LiteralListerGetter known = EmptyKnownObjects();
    auto f = NewRealFIFO(&known);
    for (const auto& action : cases[i].actions) action(*f);
    EXPECT_EQ(f->HasSynced(), cases[i].expected_synced);
  }
}

// Mirrors client-go TestRealFIFO_PopShouldUnblockWhenClosed (deterministic
// form; the blocking form is in fifo_blocking_test.cc).
TEST(RealFIFOTest, PopOnClosedEmptyQueueReturnsClosed) {
  LiteralListerGetter known({FifoObj("foo", 5)});
  auto f = NewRealFIFO(&known);
  auto noop = [](const Deltas&, bool) { return absl::OkStatus(); };
  EXPECT_EQ(f->TryPop(noop).outcome, PopOutcome::kEmpty);
  f->Close();
  EXPECT_TRUE(f->IsClosed());
  EXPECT_EQ(f->TryPop(noop).outcome, PopOutcome::kClosed);
  EXPECT_EQ(f->Pop(noop).outcome, PopOutcome::kClosed);  // does not block
}

struct BatchLog {
  std::vector<std::vector<std::string>> batches;
  std::vector<std::string> initial_items;
  std::vector<bool> via_single;
};

// Pops batches until the queue is empty (at most `max_attempts`), as
// client-go's batch tests do with goroutines and timeouts.
BatchLog DrainBatches(RealFIFO& f, int max_attempts = 10) {
  BatchLog log;
  for (int i = 0; i < max_attempts; ++i) {
    PopResult r = f.TryPopBatch(
        [&](absl::Span<const Delta> deltas, bool initial) {
          log.batches.push_back(Canonical(deltas));
          log.via_single.push_back(false);
          if (initial) {
            for (const Delta& d : deltas) log.initial_items.push_back(Canonical(d.object));
          }
          return absl::OkStatus();
        },
        [&](const Deltas& deltas, bool initial) {
          log.batches.push_back(Canonical(deltas));
          log.via_single.push_back(true);
          if (initial) log.initial_items.push_back(Canonical(deltas.back().object));
          return absl::OkStatus();
        });
    if (r.outcome != PopOutcome::kPopped) break;
  }
  return log;
}

// Mirrors client-go TestRealFIFO_PopMultipleDeltaInBatch (R10).
TEST(RealFIFOTest, PopMultipleDeltaInBatch) {
  constexpr size_t kUnlimited = 999999;
  const Item obj1 = FifoObj("foo1", 5);
  const Item obj2 = FifoObj("foo2", 5);
  const Item obj3 = FifoObj("foo3", 5);
  const Item obj4 = FifoObj("foo4", 5);
  struct Case {
    std::string name;
    std::vector<Item> initial_items;
    std::vector<Item> updates;
    size_t batch_size;
    std::vector<std::vector<Delta>> expected_batches;
  };
  const std::vector<Case> cases = {
      {"non-split: pop unique items should work",
       {obj1, obj2, obj3},
       {},
       kUnlimited,
       {{D(kReplaced, obj1), D(kReplaced, obj2), D(kReplaced, obj3)}}},
      {"split due to initial list: initial 2 items with 2 updates should have 2 batches",
       {obj1, obj2},
       {obj3, obj4},
       2,
       {{D(kReplaced, obj1), D(kReplaced, obj2)}, {D(kUpdated, obj3), D(kUpdated, obj4)}}},
      {"split due to non-unique#1: update single item for multiple items should have "
       "separate batch",
       {obj1},
       {obj1, obj1},
       kUnlimited,
       {{D(kReplaced, obj1)}, {D(kUpdated, obj1)}, {D(kUpdated, obj1)}}},
      {"split due to non-unique#2: update 3 item for with non-unique item at the end should "
       "have separate batch",
       {obj1, obj2},
       {obj2, obj3},
       kUnlimited,
       {{D(kReplaced, obj1), D(kReplaced, obj2)}, {D(kUpdated, obj2), D(kUpdated, obj3)}}},
      {"split due to non-unique#3: update 3 item for with non-unique item in the mid should "
       "have separate batch",
       {obj1, obj2, obj3},
       {obj2},
       kUnlimited,
       {{D(kReplaced, obj1), D(kReplaced, obj2), D(kReplaced, obj3)}, {D(kUpdated, obj2)}}},
      {"split due to batch size#1: batching initial list should work",
       {obj1, obj2, obj3},
       {},
       2,
       {{D(kReplaced, obj1), D(kReplaced, obj2)}, {D(kReplaced, obj3)}}},
      {"split due to batch size#2: batching incoming non-initial deltas should work",
       {},
       {obj1, obj2, obj3},
       2,
       {{D(kUpdated, obj1), D(kUpdated, obj2)}, {D(kUpdated, obj3)}}},
      {"split due to batch size#3: pop 4 mixed initial & non-initial items with 2 batch size "
       "should have 3 batch",
       {obj1, obj2, obj3},
       {obj4},
       2,
       {{D(kReplaced, obj1), D(kReplaced, obj2)}, {D(kReplaced, obj3)}, {D(kUpdated, obj4)}}},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    LiteralListerGetter known(c.initial_items);
    auto f = NewRealFIFO(&known, nullptr, c.batch_size);
    ASSERT_TRUE(f->Replace(c.initial_items, "123").ok());
    for (const Item& u : c.updates) ASSERT_TRUE(f->Update(u).ok());

    BatchLog log = DrainBatches(*f);
    f->Close();
    std::vector<std::vector<std::string>> want;
    for (const auto& b : c.expected_batches) want.push_back(Render(b));
    EXPECT_EQ(log.batches, want);
    for (size_t i = 0; i < log.batches.size(); ++i) {
      EXPECT_EQ(log.via_single[i], log.batches[i].size() == 1) << "batch " << i;
    }
    std::vector<std::string> want_initial;
    for (const Item& o : c.initial_items) want_initial.push_back(Canonical(o));
    EXPECT_EQ(log.initial_items, want_initial);
  }
}

// Mirrors client-go TestRealFIFO_PopBrokenItemsInBatch. client-go writes the
// broken items straight into the private queue; here they are queued while
// the key function still works and the key function breaks afterwards.
TEST(RealFIFOTest, PopBrokenItemsInBatch) {
  const Item ok1 = FifoObj("foo1", 5);
  const Item ok2 = FifoObj("foo2", 5);
  const Item fail3 = FifoObj("foo3", 5);
  const Item fail4 = FifoObj("foo4", 5);
  struct Case {
    std::string name;
    std::vector<Item> incoming;
    std::vector<std::vector<Delta>> expected_batches;
  };
  const std::vector<Case> cases = {
      {"1st item is broken", {fail3}, {{D(kAdded, fail3)}}},
      {"nth item is broken",
       {ok1, ok2, fail3},
       {{D(kAdded, ok1), D(kAdded, ok2), D(kAdded, fail3)}}},
      {"multiple nth items are broken",
       {ok1, ok2, fail3, fail4},
       {{D(kAdded, ok1), D(kAdded, ok2), D(kAdded, fail3)}, {D(kAdded, fail4)}}},
      {"mixed 1st and nth items are broken",
       {fail3, ok1, fail4},
       {{D(kAdded, fail3)}, {D(kAdded, ok1), D(kAdded, fail4)}}},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    auto broken = std::make_shared<bool>(false);
    RealFIFOOptions o;
    o.key_function = [broken](const Item& item) -> absl::StatusOr<std::string> {
      const std::string name = NameOf(item);
      if (*broken && (name == "foo3" || name == "foo4")) {
        return absl::InternalError("test key func error");
      }
      return FifoKey(item);
    };
    LiteralListerGetter known({});
    o.known_objects = &known;
    o.batch_size = 999999;
    auto f = MustCreate(std::move(o));
    for (const Item& item : c.incoming) ASSERT_TRUE(f->Add(item).ok());
    *broken = true;

    BatchLog log = DrainBatches(*f);
    f->Close();
    std::vector<std::vector<std::string>> want;
    for (const auto& b : c.expected_batches) want.push_back(Render(b));
    EXPECT_EQ(log.batches, want);
  }
}

// Mirrors client-go TestRealFIFO_ReplaceAtomic (R5, R8).
TEST(RealFIFOTest, ReplaceAtomic) {
  const Item obj = FifoObj("foo", 2);
  auto replaced_all = [](const std::string& rv, std::vector<Item> objs) {
    std::vector<ObjectPtr> ptrs;
    for (const Item& o : objs) ptrs.push_back(o.object());
    return D(kReplacedAll, Item::ReplacedAll(rv, std::move(ptrs)));
  };
  struct Case {
    std::string name;
    std::function<void(RealFIFO&)> operations;
    std::vector<Delta> expected;
  };
  const std::vector<Case> cases = {
      {"Base replace",
       [&](RealFIFO& f) { ASSERT_TRUE(f.Replace({}, "123").ok()); },
       {replaced_all("123", {})}},
      {"Added object exists in deltas on Atomic Replace",
       [&](RealFIFO& f) {
         ASSERT_TRUE(f.Add(obj).ok());
         ASSERT_TRUE(f.Replace({}, "123").ok());
       },
       {D(kAdded, obj), replaced_all("123", {})}},
      {"Multiple replaces run in order",
       [&](RealFIFO& f) {
         ASSERT_TRUE(f.Add(obj).ok());
         ASSERT_TRUE(f.Replace({obj}, "10").ok());
         ASSERT_TRUE(f.Replace({obj}, "20").ok());
         ASSERT_TRUE(f.Replace({}, "56").ok());
       },
       {D(kAdded, obj), replaced_all("10", {obj}), replaced_all("20", {obj}),
        replaced_all("56", {})}},
      {"Bookmark object should not be included in Replace",
       [&](RealFIFO& f) {
         ASSERT_TRUE(f.Bookmark("123").ok());
         ASSERT_TRUE(f.Replace({}, "1234").ok());
       },
       {D(kBookmark, Item::Bookmark("123")), replaced_all("1234", {})}},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    auto f = NewAtomicRealFIFO(/*bookmarks=*/true);
    c.operations(*f);
    EXPECT_EQ(Render(PopAllCollapsed(*f)), Render(c.expected));
    EXPECT_EQ(f->size(), 0u);
  }
}

// Mirrors client-go TestRealFIFO_ReplaceAtomicPop (deterministic form).
TEST(RealFIFOTest, ReplaceAtomicPop) {
  auto f = NewAtomicRealFIFO(/*bookmarks=*/false);
  ASSERT_TRUE(f->Add(FifoObj("foo", 10)).ok());
  ASSERT_TRUE(f->Replace({FifoObj("foo", 15)}, "20").ok());
  std::optional<Deltas> added = PopDeltas(*f);
  ASSERT_TRUE(added.has_value());
  EXPECT_EQ(NameOf(added->back().object), "foo");
  EXPECT_EQ(ValOf(added->back().object), 10);
  std::optional<Deltas> all = PopDeltas(*f);
  ASSERT_TRUE(all.has_value());
  ASSERT_EQ(all->back().type, kReplacedAll);
  const ReplacedAllInfo& info = all->back().object.replaced_all();
  EXPECT_EQ(info.resource_version, "20");
  ASSERT_EQ(info.objects.size(), 1u);
  EXPECT_EQ(info.objects[0]->metadata().resource_version(), "15");
  EXPECT_FALSE(PopDeltas(*f).has_value());
  EXPECT_EQ(f->size(), 0u);
}

// Mirrors client-go TestRealFIFO_ResyncAtomic (R7).
TEST(RealFIFOTest, ResyncAtomic) {
  const Item obj = FifoObj("foo", 2);
  {
    SCOPED_TRACE("Base resync");
    auto f = NewAtomicRealFIFO(false);
    ASSERT_TRUE(f->Resync().ok());
    EXPECT_EQ(Render(PopAllCollapsed(*f)), Render({D(kSyncAll, Item::SyncAll())}));
    EXPECT_EQ(f->size(), 0u);
  }
  {
    SCOPED_TRACE("Added object exists in deltas on Atomic Resync");
    auto f = NewAtomicRealFIFO(false);
    ASSERT_TRUE(f->Add(obj).ok());
    ASSERT_TRUE(f->Resync().ok());
    EXPECT_EQ(Render(PopAllCollapsed(*f)),
              Render({D(kAdded, obj), D(kSyncAll, Item::SyncAll())}));
    EXPECT_EQ(f->size(), 0u);
  }
}

// ---------------------------------------------------------------------------
// Beyond client-go's test file.

// R2: client-go panics on these option combinations; Create reports them.
TEST(RealFIFOOptionsTest, ConstraintsAreCheckedAtCreation) {
  LiteralListerGetter known = EmptyKnownObjects();
  struct Case {
    RealFIFOOptions options;
    std::string message;
  };
  RealFIFOOptions atomic_with_known;
  atomic_with_known.atomic_events = true;
  atomic_with_known.known_objects = &known;
  RealFIFOOptions unlock_non_atomic;
  unlock_non_atomic.known_objects = &known;
  unlock_non_atomic.unlock_while_processing = true;
  RealFIFOOptions no_known;
  RealFIFOOptions bookmark_non_atomic;
  bookmark_non_atomic.known_objects = &known;
  bookmark_non_atomic.emit_delta_type_bookmark = true;
  RealFIFOOptions zero_batch;
  zero_batch.atomic_events = true;
  zero_batch.batch_size = 0;
  const std::vector<Case> cases = {
      {atomic_with_known, "known_objects must be null when atomic_events is set"},
      {unlock_non_atomic, "unlock_while_processing requires atomic_events"},
      {no_known, "known_objects is required when atomic_events is not set"},
      {bookmark_non_atomic, "emit_delta_type_bookmark requires atomic_events"},
      {zero_batch, "batch_size must be at least 1"},
  };
  for (const Case& c : cases) {
    absl::StatusOr<std::unique_ptr<RealFIFO>> f = RealFIFO::Create(c.options);
    ASSERT_FALSE(f.ok()) << c.message;
    EXPECT_EQ(f.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(std::string(f.status().message()), HasSubstr(c.message));
  }
  RealFIFOOptions informer;  // the CURRENT informer configuration
  informer.atomic_events = true;
  informer.unlock_while_processing = true;
  informer.emit_delta_type_bookmark = true;
  EXPECT_TRUE(RealFIFO::Create(informer).ok());
}

// K1 is the default key function.
TEST(RealFIFOTest, DefaultKeyFunctionIsMetaNamespace) {
  RealFIFOOptions o;
  o.atomic_events = true;
  auto f = MustCreate(o);
  api::Object obj;
  obj.mutable_metadata()->set_namespace_("ns");
  obj.mutable_metadata()->set_name("a");
  EXPECT_EQ(*f->KeyOf(Item(MakeObject(obj))), "ns/a");
}

// R3: a key error is a KeyError and queues nothing, but populated is set
// before the check, so the queue counts as synced.
TEST(RealFIFOTest, AddKeyErrorQueuesNothingButPopulates) {
  auto f = NewAtomicRealFIFO(false);
  api::Object no_meta;
  no_meta.set_kind("Pod");
  absl::Status s = f->Add(Item(MakeObject(no_meta)));
  EXPECT_TRUE(IsKeyError(s)) << s;
  EXPECT_THAT(std::string(s.message()), HasSubstr("couldn't create key for object"));
  EXPECT_EQ(f->size(), 0u);
  EXPECT_TRUE(f->HasSynced());
}

// R8: Bookmark queues only when enabled, and never populates.
TEST(RealFIFOTest, BookmarkOnlyWhenEnabled) {
  auto off = NewAtomicRealFIFO(false);
  ASSERT_TRUE(off->Bookmark("5").ok());
  EXPECT_EQ(off->size(), 0u);
  auto on = NewAtomicRealFIFO(true);
  ASSERT_TRUE(on->Bookmark("5").ok());
  EXPECT_EQ(Render(on->QueuedDeltas()), Render({D(kBookmark, Item::Bookmark("5"))}));
  EXPECT_FALSE(on->HasSynced());
}

// R4: a list item without a key fails the whole Replace before anything is
// queued; populated stays unset.
TEST(RealFIFOTest, NonAtomicReplaceKeyErrorAppliesNothing) {
  LiteralListerGetter known({FifoObj("gone", 1)});
  auto f = NewRealFIFO(&known);
  api::Object no_meta;
  absl::Status s = f->Replace({FifoObj("a", 1), Item(MakeObject(no_meta))}, "1");
  EXPECT_TRUE(IsKeyError(s)) << s;
  EXPECT_EQ(f->size(), 0u);
  EXPECT_FALSE(f->HasSynced());
}

// R4: a transform error on a listed object leaves the deletions and the
// earlier Replaced deltas queued, wrapped as client-go wraps it.
TEST(RealFIFOTest, NonAtomicReplaceTransformErrorIsPartial) {
  LiteralListerGetter known({FifoObj("gone", 1)});
  TransformFunc fail_on_b = [](Item item) -> absl::StatusOr<Item> {
    if (NameOf(item) == "b") return absl::InternalError("no b");
    return item;
  };
  auto f = NewRealFIFO(&known, fail_on_b);
  absl::Status s = f->Replace({FifoObj("a", 1), FifoObj("b", 1)}, "1");
  EXPECT_EQ(s.code(), absl::StatusCode::kInternal);
  EXPECT_EQ(s.message(), "couldn't enqueue object: no b");
  EXPECT_EQ(Render(f->QueuedDeltas()),
            Render({D(kDeleted, Tombstone("gone", FifoObj("gone", 1))),
                    D(kReplaced, FifoObj("a", 1))}));
  EXPECT_FALSE(f->HasSynced());  // populated untouched by a failed Replace
}

// R5: atomic Replace transforms every object once and is all-or-nothing.
TEST(RealFIFOTest, AtomicReplaceTransformsAndIsAllOrNothing) {
  RealFIFOOptions o;
  o.key_function = FifoKey;
  o.atomic_events = true;
  o.transformer = CountingTransform;
  auto f = MustCreate(o);
  ASSERT_TRUE(f->Replace({XfrmObj("a", 1, 0), XfrmObj("b", 2, 0)}, "7").ok());
  std::vector<Delta> q = f->QueuedDeltas();
  ASSERT_EQ(q.size(), 1u);
  for (const ObjectPtr& obj : q[0].object.replaced_all().objects) {
    EXPECT_EQ(XfrmCount(obj), 1);
  }
  // A non-object in the list (here: a tombstone, which the counting
  // transformer lets through) fails the whole Replace.
  absl::Status s = f->Replace({XfrmObj("c", 1, 0), Item::Tombstone("x", XfrmObj("x", 1, 1).object())},
                              "8");
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(s.message()), HasSubstr("not an API object"));
  EXPECT_EQ(f->size(), 1u);
}

// R4 step 2: a failed or empty known-object lookup still yields a tombstone,
// with no object; R7: resync skips such keys.
class FlakyKnownObjects : public KeyListerGetter {
 public:
  std::vector<std::string> ListKeys() const override { return {"err", "missing", "ok"}; }
  absl::StatusOr<std::optional<Item>> GetByKey(absl::string_view key) const override {
    if (key == "err") return absl::UnavailableError("lookup failed");
    if (key == "missing") return std::optional<Item>();
    return std::optional<Item>(FifoObj("ok", 3));
  }
};

TEST(RealFIFOTest, KnownObjectLookupFailures) {
  FlakyKnownObjects known;
  {
    auto f = NewRealFIFO(&known);
    ASSERT_TRUE(f->Replace({}, "1").ok());
    EXPECT_EQ(Render(f->QueuedDeltas()),
              Render({D(kDeleted, Item::Tombstone("err", nullptr)),
                      D(kDeleted, Item::Tombstone("missing", nullptr)),
                      D(kDeleted, Tombstone("ok", FifoObj("ok", 3)))}));
  }
  {
    auto f = NewRealFIFO(&known);
    ASSERT_TRUE(f->Resync().ok());
    EXPECT_EQ(Render(f->QueuedDeltas()), Render({D(kSync, FifoObj("ok", 3))}));
    EXPECT_FALSE(f->HasSynced());  // R7: resync does not populate
  }
}

// R7: Sync objects are not transformed (they came from the store).
TEST(RealFIFOTest, ResyncDoesNotTransform) {
  LiteralListerGetter known({XfrmObj("a", 1, 1)});
  auto f = NewRealFIFO(&known, CountingTransform);
  ASSERT_TRUE(f->Resync().ok());
  std::vector<Delta> q = f->QueuedDeltas();
  ASSERT_EQ(q.size(), 1u);
  EXPECT_EQ(XfrmCount(q[0].object.object()), 1);
}

// R6 + R9: the initial count covers every delta queued at the first
// Replace, including earlier Resync deltas; later Replaces do not reset it.
TEST(RealFIFOTest, InitialPopulationCountsWholeQueue) {
  LiteralListerGetter known({FifoObj("k", 1)});
  auto f = NewRealFIFO(&known);
  ASSERT_TRUE(f->Resync().ok());                     // Sync k (not populated)
  ASSERT_TRUE(f->Replace({FifoObj("k", 2)}, "1").ok());  // Replaced k
  ASSERT_TRUE(f->Replace({FifoObj("k", 3)}, "2").ok());  // not initial
  EXPECT_EQ(f->size(), 3u);
  bool initial = false;
  ASSERT_TRUE(PopDeltas(*f, &initial).has_value());
  EXPECT_TRUE(initial);
  EXPECT_FALSE(f->HasSynced());
  ASSERT_TRUE(PopDeltas(*f, &initial).has_value());
  EXPECT_TRUE(initial);
  EXPECT_TRUE(f->HasSynced());
  ASSERT_TRUE(PopDeltas(*f, &initial).has_value());
  EXPECT_FALSE(initial);
}

// R9: the callback's error is returned and the delta is not requeued.
TEST(RealFIFOTest, ProcessErrorIsReturnedAndNotRequeued) {
  auto f = NewAtomicRealFIFO(false);
  ASSERT_TRUE(f->Add(FifoObj("a", 1)).ok());
  PopResult r = f->TryPop([](const Deltas&, bool) { return absl::AbortedError("boom"); });
  EXPECT_EQ(r.outcome, PopOutcome::kPopped);
  EXPECT_EQ(r.process_status.message(), "boom");
  EXPECT_EQ(f->size(), 0u);
}

// R10: non-batchable deltas go alone when first and end a batch otherwise.
TEST(RealFIFOTest, PopBatchStopsAtNonBatchableTypes) {
  auto f = NewAtomicRealFIFO(true);
  ASSERT_TRUE(f->Add(FifoObj("a", 1)).ok());
  ASSERT_TRUE(f->Add(FifoObj("b", 1)).ok());
  ASSERT_TRUE(f->Bookmark("9").ok());
  ASSERT_TRUE(f->Resync().ok());
  ASSERT_TRUE(f->Update(FifoObj("a", 2)).ok());
  ASSERT_TRUE(f->Replace({}, "10").ok());
  BatchLog log = DrainBatches(*f);
  EXPECT_EQ(log.batches,
            (std::vector<std::vector<std::string>>{
                Render({D(kAdded, FifoObj("a", 1)), D(kAdded, FifoObj("b", 1))}),
                Render({D(kBookmark, Item::Bookmark("9"))}),
                Render({D(kSyncAll, Item::SyncAll())}),
                Render({D(kUpdated, FifoObj("a", 2))}),
                Render({D(kReplacedAll, Item::ReplacedAll("10", {}))}),
            }));
}

// R10: the initial count is reduced by the whole batch, after processing.
TEST(RealFIFOTest, PopBatchReducesInitialCountAfterProcessing) {
  RealFIFOOptions o;
  o.key_function = FifoKey;
  o.atomic_events = true;
  o.unlock_while_processing = true;  // so the callback may ask HasSynced
  auto f = MustCreate(o);
  ASSERT_TRUE(f->Replace({FifoObj("a", 1)}, "1").ok());
  bool synced_inside = true;
  PopResult r = f->TryPopBatch(
      [&](absl::Span<const Delta>, bool) { return absl::OkStatus(); },
      [&](const Deltas&, bool initial) {
        EXPECT_TRUE(initial);
        synced_inside = f->HasSynced();
        return absl::OkStatus();
      });
  EXPECT_EQ(r.outcome, PopOutcome::kPopped);
  EXPECT_FALSE(synced_inside);
  EXPECT_TRUE(f->HasSynced());
}

// R9: with UnlockWhileProcessing and a short queue the callback runs
// unlocked, so producers can append meanwhile; HasSynced is still false
// while the last initial delta is being processed.
TEST(RealFIFOTest, UnlockWhileProcessingAllowsEnqueueDuringProcess) {
  RealFIFOOptions o;
  o.key_function = FifoKey;
  o.atomic_events = true;
  o.unlock_while_processing = true;
  o.batch_size = 2;  // unlocked while fewer than 4 deltas stay queued
  auto f = MustCreate(o);
  ASSERT_TRUE(f->Replace({FifoObj("a", 1)}, "1").ok());
  PopResult r = f->TryPop([&](const Deltas& d, bool initial) {
    EXPECT_TRUE(initial);
    EXPECT_EQ(d.back().type, kReplacedAll);
    EXPECT_FALSE(f->HasSynced());
    EXPECT_TRUE(f->Add(FifoObj("b", 2)).ok());
    EXPECT_EQ(f->size(), 1u);
    return absl::OkStatus();
  });
  EXPECT_EQ(r.outcome, PopOutcome::kPopped);
  EXPECT_TRUE(f->HasSynced());
  EXPECT_EQ(PopVal(*f), 2);
}

// unlocked_window runs before and after each unlocked callback, with the
// lock released (it may ask HasSynced and add), and never around a locked
// one: a queue of 2 * batch_size or more keeps its lock (R9).
TEST(RealFIFOTest, UnlockedWindowSurroundsOnlyUnlockedCallbacks) {
  RealFIFOOptions o;
  o.key_function = FifoKey;
  o.atomic_events = true;
  o.unlock_while_processing = true;
  o.batch_size = 1;  // unlocked while fewer than 2 deltas stay queued
  std::vector<std::string> events;
  RealFIFO* fifo = nullptr;
  o.unlocked_window = [&] {
    events.push_back(fifo->HasSynced() ? "window synced" : "window unsynced");
  };
  auto f = MustCreate(o);
  fifo = f.get();
  ASSERT_TRUE(f->Replace({FifoObj("a", 1)}, "1").ok());
  ASSERT_TRUE(f->Add(FifoObj("b", 2)).ok());
  ASSERT_TRUE(f->Add(FifoObj("c", 3)).ok());
  const auto process = [&](const Deltas& d, bool) {
    events.push_back(absl::StrCat("process ", DeltaTypeName(d.back().type)));
    return absl::OkStatus();
  };
  // Two deltas stay queued after this pop: locked, no window.
  ASSERT_EQ(f->TryPop(process).outcome, PopOutcome::kPopped);
  EXPECT_THAT(events, ElementsAre("process ReplacedAll"));
  events.clear();
  ASSERT_EQ(f->TryPop(process).outcome, PopOutcome::kPopped);
  EXPECT_THAT(events, ElementsAre("window synced", "process Added", "window synced"));

  // The last initial delta: the window before and after its callback still
  // sees HasSynced false.
  events.clear();
  o.unlocked_window = [&] {
    events.push_back(fifo->HasSynced() ? "window synced" : "window unsynced");
  };
  o.batch_size = 4;
  auto g = MustCreate(o);
  fifo = g.get();
  ASSERT_TRUE(g->Replace({FifoObj("a", 1)}, "1").ok());
  ASSERT_EQ(g->TryPop(process).outcome, PopOutcome::kPopped);
  EXPECT_THAT(events, ElementsAre("window unsynced", "process ReplacedAll", "window unsynced"));
  EXPECT_TRUE(g->HasSynced());

  // Without UnlockWhileProcessing the window is never opened.
  events.clear();
  o.unlock_while_processing = false;
  auto h = MustCreate(o);
  fifo = h.get();
  ASSERT_TRUE(h->Replace({FifoObj("a", 1)}, "1").ok());
  ASSERT_EQ(h->TryPop(process).outcome, PopOutcome::kPopped);
  EXPECT_THAT(events, ElementsAre("process ReplacedAll"));
}

// D10 for RealFIFO: closing does not block producers and queued deltas
// stay poppable.
TEST(RealFIFOTest, CloseKeepsQueuedDeltasPoppable) {
  auto f = NewAtomicRealFIFO(false);
  ASSERT_TRUE(f->Add(FifoObj("a", 1)).ok());
  f->Close();
  ASSERT_TRUE(f->Add(FifoObj("b", 2)).ok());
  EXPECT_EQ(PopVal(*f), 1);
  EXPECT_EQ(PopVal(*f), 2);
  EXPECT_EQ(f->TryPop([](const Deltas&, bool) { return absl::OkStatus(); }).outcome,
            PopOutcome::kClosed);
}

// R1 with the queue's storage reuse: long interleavings of pushes and pops
// keep global arrival order.
TEST(RealFIFOTest, InterleavedPushPopKeepsOrder) {
  auto f = NewAtomicRealFIFO(false);
  int64_t next_in = 0, next_out = 0;
  for (int round = 0; round < 200; ++round) {
    const int pushes = 1 + (round * 7) % 13;
    const int pops = 1 + (round * 5) % 11;
    for (int i = 0; i < pushes; ++i) {
      ASSERT_TRUE(f->Add(FifoObj(absl::StrCat("k", next_in % 17), next_in)).ok());
      ++next_in;
    }
    for (int i = 0; i < pops && next_out < next_in; ++i) ASSERT_EQ(PopVal(*f), next_out++);
    ASSERT_EQ(f->size(), static_cast<size_t>(next_in - next_out));
  }
  while (next_out < next_in) ASSERT_EQ(PopVal(*f), next_out++);
  EXPECT_FALSE(f->HasPending());
}

}  // namespace
}  // namespace informersim
