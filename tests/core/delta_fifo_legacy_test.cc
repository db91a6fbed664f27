// Tests of DeltaFIFO's legacy (CLASSIC profile) behaviour, rule D9: the
// process callback's ErrRequeue and AddIfNotPresent. The first two tests
// mirror the client-go tests that existed at f29637f7 (the last commit before
// that API was removed); the others pin details of the same rule.
//
// client-go's testFifoObject{name, val} is an api::Object whose metadata.name
// is `name` and whose resource_version holds `val`.
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "core/delta_fifo.h"
#include "core/errors.h"
#include "core/keys.h"
#include "gtest/gtest.h"

namespace informersim {
namespace {

Item Obj(const std::string& name, int val) {
  api::Object o;
  o.mutable_metadata()->set_name(name);
  o.mutable_metadata()->set_resource_version(absl::StrCat(val));
  return Item(MakeObject(std::move(o)));
}

absl::StatusOr<std::string> TestKeyFunc(const Item& item) {
  if (item.meta() == nullptr) return absl::InvalidArgumentError("not a test object");
  return item.meta()->name();
}

DeltaFIFOOptions LegacyOptions() {
  DeltaFIFOOptions options;
  options.key_function = TestKeyFunc;
  options.legacy_requeue = true;
  return options;
}

std::string NameOf(const Deltas& d) { return d.front().object.meta()->name(); }
std::string NewestVal(const Deltas& d) { return d.back().object.meta()->resource_version(); }

Deltas PopNow(DeltaFIFO& f, bool* initial = nullptr) {
  Deltas popped;
  const PopResult r = f.TryPop(
      [&](const Deltas&, bool is_in_initial_list) {
        if (initial != nullptr) *initial = is_in_initial_list;
        return absl::OkStatus();
      },
      &popped);
  EXPECT_EQ(r.outcome, PopOutcome::kPopped);
  return popped;
}

// Mirrors client-go TestDeltaFIFO_requeueOnPop (f29637f7).
TEST(DeltaFIFOLegacy, RequeueOnPop) {
  DeltaFIFO f(LegacyOptions());
  ASSERT_TRUE(f.Add(Obj("foo", 10)).ok());

  PopResult r = f.TryPop([](const Deltas& d, bool) {
    EXPECT_EQ(NameOf(d), "foo");
    return RequeueError(absl::OkStatus());
  });
  ASSERT_EQ(r.outcome, PopOutcome::kPopped);
  EXPECT_TRUE(r.process_status.ok()) << r.process_status;
  EXPECT_TRUE(f.GetDeltasByKey("foo").has_value()) << "object should have been requeued";

  r = f.TryPop([](const Deltas& d, bool) {
    EXPECT_EQ(NameOf(d), "foo");
    return RequeueError(absl::UnknownError("test error"));
  });
  ASSERT_EQ(r.outcome, PopOutcome::kPopped);
  EXPECT_FALSE(r.process_status.ok());
  EXPECT_EQ(r.process_status.message(), "test error");
  EXPECT_FALSE(IsRequeueError(r.process_status));
  EXPECT_TRUE(f.GetDeltasByKey("foo").has_value()) << "object should have been requeued";

  r = f.TryPop([](const Deltas& d, bool) {
    EXPECT_EQ(NameOf(d), "foo");
    return absl::OkStatus();
  });
  ASSERT_EQ(r.outcome, PopOutcome::kPopped);
  EXPECT_TRUE(r.process_status.ok()) << r.process_status;
  EXPECT_FALSE(f.GetDeltasByKey("foo").has_value()) << "object should have been removed";
}

// Mirrors client-go TestDeltaFIFO_addIfNotPresent (f29637f7).
TEST(DeltaFIFOLegacy, AddIfNotPresent) {
  DeltaFIFO f(LegacyOptions());

  const absl::Status empty = f.AddIfNotPresent(Deltas());
  EXPECT_FALSE(empty.ok());
  EXPECT_TRUE(HasTag(empty, kZeroLengthDeltasTag)) << empty;
  EXPECT_TRUE(IsKeyError(empty));

  ASSERT_TRUE(f.Add(Obj("b", 3)).ok());
  const Deltas b3 = PopNow(f);
  ASSERT_TRUE(f.Add(Obj("c", 4)).ok());
  const Deltas c4 = PopNow(f);
  ASSERT_EQ(f.size(), 0u);

  ASSERT_TRUE(f.Add(Obj("a", 1)).ok());
  ASSERT_TRUE(f.Add(Obj("b", 2)).ok());
  ASSERT_TRUE(f.AddIfNotPresent(b3).ok());
  ASSERT_TRUE(f.AddIfNotPresent(c4).ok());
  ASSERT_EQ(f.size(), 3u);

  for (const char* expected : {"1", "2", "4"}) EXPECT_EQ(NewestVal(PopNow(f)), expected);
}

// D9: the requeued Deltas go to the tail, behind keys queued before the pop.
TEST(DeltaFIFOLegacy, RequeueGoesToTheTailUnchanged) {
  DeltaFIFO f(LegacyOptions());
  ASSERT_TRUE(f.Add(Obj("a", 1)).ok());
  ASSERT_TRUE(f.Update(Obj("a", 2)).ok());
  ASSERT_TRUE(f.Add(Obj("b", 1)).ok());
  Deltas handed_out;
  const PopResult r = f.TryPop([](const Deltas&, bool) { return RequeueError(absl::OkStatus()); },
                               &handed_out);
  ASSERT_EQ(r.outcome, PopOutcome::kPopped);
  EXPECT_EQ(handed_out.size(), 2u);  // the caller still gets what was popped
  EXPECT_EQ(f.ListKeys(), (std::vector<std::string>{"b", "a"}));
  const std::optional<Deltas> a = f.GetDeltasByKey("a");
  ASSERT_TRUE(a.has_value());
  ASSERT_EQ(a->size(), 2u);
  EXPECT_EQ((*a)[0].type, DeltaType::kAdded);
  EXPECT_EQ((*a)[1].type, DeltaType::kUpdated);
}

// D9 with D11: a requeued initial item is popped again, but the count of
// initial pops was spent by the first pop, so the second one is not initial.
TEST(DeltaFIFOLegacy, RequeueDuringInitialList) {
  DeltaFIFO f(LegacyOptions());
  ASSERT_TRUE(f.Replace({Obj("a", 1), Obj("b", 1)}, "1").ok());
  bool initial = false;
  PopResult r = f.TryPop([&](const Deltas&, bool is_initial) {
    initial = is_initial;
    return RequeueError(absl::OkStatus());
  });
  ASSERT_EQ(r.outcome, PopOutcome::kPopped);
  EXPECT_TRUE(initial);
  EXPECT_FALSE(f.HasSynced());
  EXPECT_EQ(f.ListKeys(), (std::vector<std::string>{"b", "a"}));
  PopNow(f, &initial);  // b, the last initial pop
  EXPECT_TRUE(initial);
  EXPECT_TRUE(f.HasSynced());
  PopNow(f, &initial);  // a again
  EXPECT_FALSE(initial);
}

// AddIfNotPresent marks the queue populated (D9), so it syncs a fresh queue.
TEST(DeltaFIFOLegacy, AddIfNotPresentPopulates) {
  DeltaFIFO f(LegacyOptions());
  EXPECT_FALSE(f.HasSynced());
  Deltas d;
  d.push_back(Delta{DeltaType::kAdded, Obj("x", 1)});
  ASSERT_TRUE(f.AddIfNotPresent(d).ok());
  EXPECT_TRUE(f.HasSynced());
  EXPECT_EQ(f.ListKeys(), std::vector<std::string>{"x"});
}

TEST(DeltaFIFOLegacy, RequeueErrorHelpers) {
  const absl::Status ok_inner = RequeueError(absl::OkStatus());
  EXPECT_FALSE(ok_inner.ok());
  EXPECT_TRUE(IsRequeueError(ok_inner));
  EXPECT_TRUE(RequeueInner(ok_inner).ok());
  EXPECT_EQ(ok_inner.message(), "the popped item should be requeued without returning an error");

  const absl::Status inner = WithTag(absl::NotFoundError("inner"), "test/inner");
  const absl::Status wrapped = RequeueError(inner);
  EXPECT_TRUE(IsRequeueError(wrapped));
  EXPECT_EQ(wrapped.message(), "inner");
  const absl::Status back = RequeueInner(wrapped);
  EXPECT_EQ(back, inner);
  EXPECT_TRUE(HasTag(back, "test/inner"));
  EXPECT_FALSE(IsRequeueError(back));
  EXPECT_FALSE(IsRequeueError(absl::InternalError("plain")));
}

}  // namespace
}  // namespace informersim
