// Conformance tests of the simple FIFO (rules F1-F5): every test of
// client-go's tools/cache/fifo_test.go at the matched commit, re-expressed
// in C++ with the same expected outcomes, plus tests of the C++ choices
// (Queue::Pop's Deltas view, deterministic Replace order).
//
// client-go's tests that pop from goroutines run here deterministically
// with TryPopItem; their threaded forms are in fifo_blocking_test.cc.
#include "core/fifo.h"

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "core/keys.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/core/real_fifo_test_support.h"

namespace informersim {
namespace {

using ::informersim::testing_fifo::Canonical;
using ::informersim::testing_fifo::FifoKey;
using ::informersim::testing_fifo::FifoObj;
using ::informersim::testing_fifo::NameOf;
using ::informersim::testing_fifo::ValOf;
using ::testing::ElementsAre;
using ::testing::UnorderedElementsAre;

// client-go's Pop(f) helper, non-blocking: the popped object, or nullopt.
std::optional<Item> PopObj(FIFO& f, bool* is_in_initial_list = nullptr) {
  std::optional<Item> got;
  PopResult r = f.TryPopItem([&](const Item& obj, bool initial) {
    got = obj;
    if (is_in_initial_list != nullptr) *is_in_initial_list = initial;
    return absl::OkStatus();
  });
  EXPECT_EQ(r.outcome == PopOutcome::kPopped, got.has_value());
  return got;
}

int64_t PopVal(FIFO& f) {
  std::optional<Item> obj = PopObj(f);
  return obj.has_value() ? ValOf(*obj) : -1;
}

bool Exists(const FIFO& f, const Item& obj) {
  absl::StatusOr<std::optional<Item>> got = f.Get(obj);
  EXPECT_TRUE(got.ok()) << got.status();
  return got.ok() && got->has_value();
}

// Mirrors client-go TestFIFO_basic (deterministic form).
TEST(FIFOTest, Basic) {
  FIFO f(FifoKey);
  constexpr int kAmount = 500;
  for (int i = 0; i < kAmount; ++i) {
    ASSERT_TRUE(f.Add(FifoObj(absl::StrCat("a", i), i + 1)).ok());
    ASSERT_TRUE(f.Add(FifoObj(absl::StrCat("b", i), i + 1)).ok());
  }
  int64_t last_a = 0, last_b = 0;
  for (int i = 0; i < 2 * kAmount; ++i) {
    std::optional<Item> obj = PopObj(f);
    ASSERT_TRUE(obj.has_value());
    int64_t& last = NameOf(*obj)[0] == 'a' ? last_a : last_b;
    EXPECT_GT(ValOf(*obj), last) << NameOf(*obj) << " out of order";
    last = ValOf(*obj);
  }
  EXPECT_EQ(last_a, kAmount);
  EXPECT_EQ(last_b, kAmount);
}

// Mirrors client-go TestFIFO_addUpdate (deterministic form).
TEST(FIFOTest, AddUpdate) {
  FIFO f(FifoKey);
  ASSERT_TRUE(f.Add(FifoObj("foo", 10)).ok());
  ASSERT_TRUE(f.Update(FifoObj("foo", 15)).ok());
  std::vector<std::string> listed;
  for (const Item& obj : f.List()) listed.push_back(Canonical(obj));
  EXPECT_THAT(listed, ElementsAre(Canonical(FifoObj("foo", 15))));
  EXPECT_THAT(f.ListKeys(), ElementsAre("foo"));

  EXPECT_EQ(PopVal(f), 15);  // F1: only the latest object
  EXPECT_FALSE(PopObj(f).has_value());
  EXPECT_FALSE(Exists(f, FifoObj("foo", 0)));
  f.Close();
}

// Mirrors client-go TestFIFO_addReplace (deterministic form).
TEST(FIFOTest, AddReplace) {
  FIFO f(FifoKey);
  ASSERT_TRUE(f.Add(FifoObj("foo", 10)).ok());
  ASSERT_TRUE(f.Replace({FifoObj("foo", 15)}, "15").ok());
  EXPECT_EQ(PopVal(f), 15);
  EXPECT_FALSE(PopObj(f).has_value());
  EXPECT_FALSE(Exists(f, FifoObj("foo", 0)));
  f.Close();
}

// Mirrors client-go TestFIFO_detectLineJumpers (F1: no line jumping).
TEST(FIFOTest, DetectLineJumpers) {
  FIFO f(FifoKey);
  ASSERT_TRUE(f.Add(FifoObj("foo", 10)).ok());
  ASSERT_TRUE(f.Add(FifoObj("bar", 1)).ok());
  ASSERT_TRUE(f.Add(FifoObj("foo", 11)).ok());
  ASSERT_TRUE(f.Add(FifoObj("foo", 13)).ok());
  ASSERT_TRUE(f.Add(FifoObj("zab", 30)).ok());
  ASSERT_EQ(PopVal(f), 13);
  ASSERT_TRUE(f.Add(FifoObj("foo", 14)).ok());  // foo must not jump back in line
  ASSERT_EQ(PopVal(f), 1);
  ASSERT_EQ(PopVal(f), 30);
  ASSERT_EQ(PopVal(f), 14);
}

// Mirrors client-go TestFIFO_HasSynced (F5).
TEST(FIFOTest, HasSynced) {
  struct Case {
    std::vector<std::function<void(FIFO&)>> actions;
    bool expected_synced;
  };
  auto pop = [](FIFO& f) { ASSERT_TRUE(PopObj(f).has_value()); };
  auto replace_ab = [](FIFO& f) {
    ASSERT_TRUE(f.Replace({FifoObj("a", 1), FifoObj("b", 2)}, "0").ok());
  };
  const std::vector<Case> cases = {
      {{}, false},
      {{[](FIFO& f) { ASSERT_TRUE(f.Add(FifoObj("a", 1)).ok()); }}, true},
      {{[](FIFO& f) { ASSERT_TRUE(f.Replace({}, "0").ok()); }}, true},
      {{replace_ab}, false},
      {{replace_ab, pop}, false},
      {{replace_ab, pop, pop}, true},
  };
  for (size_t i = 0; i < cases.size(); ++i) {
    SCOPED_TRACE(absl::StrCat("case ", i));
    FIFO f(FifoKey);
    for (const auto& action : cases[i].actions) action(f);
    EXPECT_EQ(f.HasSynced(), cases[i].expected_synced);
  }
}

// Mirrors client-go TestFIFO_PopShouldUnblockWhenClosed (deterministic
// form; the blocking form is in fifo_blocking_test.cc).
TEST(FIFOTest, PopOnClosedEmptyQueueReturnsClosed) {
  FIFO f(FifoKey);
  auto noop = [](const Item&, bool) { return absl::OkStatus(); };
  EXPECT_EQ(f.TryPopItem(noop).outcome, PopOutcome::kEmpty);
  f.Close();
  EXPECT_TRUE(f.IsClosed());
  EXPECT_EQ(f.TryPopItem(noop).outcome, PopOutcome::kClosed);
  EXPECT_EQ(f.PopItem(noop).outcome, PopOutcome::kClosed);  // does not block
}

// ---------------------------------------------------------------------------
// Beyond client-go's test file.

// F2: a deleted key is skipped; a delete of an unknown key changes nothing
// but still marks the queue populated.
TEST(FIFOTest, DeleteDropsQueuedObject) {
  FIFO f(FifoKey);
  ASSERT_TRUE(f.Delete(FifoObj("nobody", 1)).ok());
  EXPECT_TRUE(f.HasSynced());
  ASSERT_TRUE(f.Add(FifoObj("a", 1)).ok());
  ASSERT_TRUE(f.Add(FifoObj("b", 2)).ok());
  ASSERT_TRUE(f.Delete(FifoObj("a", 1)).ok());
  EXPECT_EQ(f.size(), 2u);  // a's entry stays until a pop skips it
  EXPECT_EQ(PopVal(f), 2);
  EXPECT_FALSE(PopObj(f).has_value());
  EXPECT_EQ(f.size(), 0u);
}

// F1/F2: delete then re-add queues the key again at the tail; the older
// entry finds the object first, the newer one is skipped.
TEST(FIFOTest, DeleteThenAddRequeues) {
  FIFO f(FifoKey);
  ASSERT_TRUE(f.Add(FifoObj("a", 1)).ok());
  ASSERT_TRUE(f.Add(FifoObj("b", 2)).ok());
  ASSERT_TRUE(f.Delete(FifoObj("a", 1)).ok());
  ASSERT_TRUE(f.Add(FifoObj("a", 3)).ok());
  EXPECT_EQ(f.size(), 3u);
  EXPECT_EQ(PopVal(f), 3);  // a's original entry
  EXPECT_EQ(PopVal(f), 2);
  EXPECT_FALSE(PopObj(f).has_value());  // a's second entry: nothing left
}

// F3: Replace swaps items and queue; here the order is the list's (first
// occurrence of each key) and a duplicate's last object wins.
TEST(FIFOTest, ReplaceSwapsContentInListOrder) {
  FIFO f(FifoKey);
  ASSERT_TRUE(f.Add(FifoObj("old", 1)).ok());
  ASSERT_TRUE(
      f.Replace({FifoObj("c", 1), FifoObj("a", 2), FifoObj("c", 3), FifoObj("b", 4)}, "9").ok());
  EXPECT_THAT(f.ListKeys(), UnorderedElementsAre("a", "b", "c"));
  EXPECT_EQ(PopVal(f), 3);
  EXPECT_EQ(PopVal(f), 2);
  EXPECT_EQ(PopVal(f), 4);
  EXPECT_FALSE(PopObj(f).has_value());
}

// F3: a key error applies nothing.
TEST(FIFOTest, ReplaceKeyErrorAppliesNothing) {
  FIFO f(FifoKey);
  ASSERT_TRUE(f.Add(FifoObj("a", 1)).ok());
  absl::Status s = f.Replace({FifoObj("b", 1), Item::ExplicitKey("x")}, "1");
  EXPECT_TRUE(IsKeyError(s)) << s;
  EXPECT_THAT(f.ListKeys(), ElementsAre("a"));
}

// F1: a key error is returned before the queue is touched, so it does not
// mark the queue populated.
TEST(FIFOTest, AddKeyErrorDoesNotPopulate) {
  FIFO f(FifoKey);
  absl::Status s = f.Add(Item::ExplicitKey("x"));
  EXPECT_TRUE(IsKeyError(s)) << s;
  EXPECT_FALSE(f.HasSynced());
  EXPECT_EQ(f.size(), 0u);
}

// F4: every stored key is already queued, so Resync adds nothing.
TEST(FIFOTest, ResyncIsANoOpWhenEveryItemIsQueued) {
  FIFO f(FifoKey);
  ASSERT_TRUE(f.Add(FifoObj("a", 1)).ok());
  ASSERT_TRUE(f.Add(FifoObj("b", 2)).ok());
  ASSERT_TRUE(f.Resync().ok());
  EXPECT_EQ(f.size(), 2u);
  EXPECT_EQ(PopVal(f), 1);
  EXPECT_EQ(PopVal(f), 2);
  ASSERT_TRUE(f.Resync().ok());
  EXPECT_EQ(f.size(), 0u);
}

// F5: entries of deleted keys count towards the initial population.
TEST(FIFOTest, SkippedEntriesCountTowardsSync) {
  FIFO f(FifoKey);
  ASSERT_TRUE(f.Replace({FifoObj("a", 1), FifoObj("b", 2), FifoObj("c", 3)}, "1").ok());
  ASSERT_TRUE(f.Delete(FifoObj("a", 1)).ok());
  bool initial = false;
  ASSERT_EQ(ValOf(*PopObj(f, &initial)), 2);  // a skipped, b popped
  EXPECT_TRUE(initial);
  EXPECT_FALSE(f.HasSynced());
  ASSERT_EQ(ValOf(*PopObj(f, &initial)), 3);
  EXPECT_TRUE(initial);
  EXPECT_TRUE(f.HasSynced());
}

// F5 with the documented difference: when a pop consumes only skipped
// initial entries, the sync check runs before it reports the queue empty.
TEST(FIFOTest, SyncCheckedWhenOnlySkippedEntriesRemain) {
  FIFO f(FifoKey);
  ASSERT_TRUE(f.Replace({FifoObj("a", 1)}, "1").ok());
  ASSERT_TRUE(f.Delete(FifoObj("a", 1)).ok());
  EXPECT_FALSE(f.HasSynced());
  EXPECT_FALSE(PopObj(f).has_value());
  EXPECT_TRUE(f.HasSynced());
}

// Queue::Pop's view: one Updated delta carrying the latest object.
TEST(FIFOTest, QueuePopWrapsObjectAsOneUpdatedDelta) {
  FIFO f(FifoKey);
  ASSERT_TRUE(f.Replace({FifoObj("a", 1)}, "1").ok());
  Queue& q = f;
  std::vector<std::string> got;
  bool initial = false;
  PopResult r = q.TryPop([&](const Deltas& d, bool in_initial) {
    got = Canonical(d);
    initial = in_initial;
    return absl::OkStatus();
  });
  EXPECT_EQ(r.outcome, PopOutcome::kPopped);
  EXPECT_THAT(got, ElementsAre(Canonical(Delta{DeltaType::kUpdated, FifoObj("a", 1)})));
  EXPECT_TRUE(initial);
  EXPECT_TRUE(f.HasSynced());
}

// The callback's error is returned; the object is gone (no requeue).
TEST(FIFOTest, ProcessErrorIsReturnedAndNotRequeued) {
  FIFO f(FifoKey);
  ASSERT_TRUE(f.Add(FifoObj("a", 1)).ok());
  PopResult r = f.TryPopItem([](const Item&, bool) { return absl::AbortedError("boom"); });
  EXPECT_EQ(r.outcome, PopOutcome::kPopped);
  EXPECT_EQ(r.process_status.message(), "boom");
  EXPECT_FALSE(Exists(f, FifoObj("a", 0)));
  EXPECT_EQ(f.size(), 0u);
}

// D10 for FIFO: closing does not block producers; queued items stay.
TEST(FIFOTest, CloseKeepsQueuedItemsPoppable) {
  FIFO f(FifoKey);
  ASSERT_TRUE(f.Add(FifoObj("a", 1)).ok());
  f.Close();
  ASSERT_TRUE(f.Add(FifoObj("b", 2)).ok());
  EXPECT_EQ(PopVal(f), 1);
  EXPECT_EQ(PopVal(f), 2);
  EXPECT_EQ(f.TryPopItem([](const Item&, bool) { return absl::OkStatus(); }).outcome,
            PopOutcome::kClosed);
}

TEST(FIFOTest, GetByKeyAndDefaultKeyFunction) {
  FIFO f;  // MetaNamespaceKeyFunc
  api::Object o;
  o.mutable_metadata()->set_namespace_("ns");
  o.mutable_metadata()->set_name("a");
  ASSERT_TRUE(f.Add(Item(MakeObject(o))).ok());
  absl::StatusOr<std::optional<Item>> got = f.GetByKey("ns/a");
  ASSERT_TRUE(got.ok());
  EXPECT_TRUE(got->has_value());
  EXPECT_FALSE(f.GetByKey("a")->has_value());
}

}  // namespace
}  // namespace informersim
