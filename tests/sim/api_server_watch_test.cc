// FakeApiServer WATCH: history replay, synthetic initial events, watch-list
// (initial events + initial-events-end bookmark), 410 in both encodings,
// too-fresh versions, bookmarks, timeouts, lag, ordering under latency, and
// the ListerWatcher contract (no event before `started`, none after Stop).
#include <algorithm>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/time/time.h"
#include "core/api_errors.h"
#include "core/manual_runtime.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "sim/api_server.h"
#include "sim/prng.h"
#include "tests/sim/api_server_test_util.h"

namespace informersim {
namespace sim {
namespace {

using ::testing::ElementsAre;
using ::testing::UnorderedElementsAre;
using testing::DoList;
using testing::DoWatch;
using testing::OneInstance;
using testing::Opts;
using testing::Pod;
using testing::RecordingConsumer;
using testing::RunUntilTrue;

ListOptions WatchListOpts(std::string rv) {
  ListOptions o = Opts(std::move(rv), ResourceVersionMatch::kNotOlderThan);
  o.send_initial_events = true;
  o.allow_watch_bookmarks = true;
  return o;
}

TEST(ApiServerWatch, ReplaysHistoryAfterVersionThenStreams) {
  ManualRuntime rt;
  FakeApiServer server(&rt, Prng(1), nullptr, OneInstance());
  ASSERT_TRUE(server.Create(Pod("ns", "a")).ok());
  ASSERT_TRUE(server.Update(Pod("ns", "a", "x")).ok());
  ASSERT_TRUE(server.Create(Pod("ns", "b")).ok());
  auto w = DoWatch(rt, server, Opts("1"));
  ASSERT_TRUE(w.status.ok()) << w.status;
  ASSERT_NE(w.stream, nullptr);
  ASSERT_TRUE(server.Delete("ns", "a").ok());
  rt.RunUntilIdle();
  EXPECT_THAT(w.consumer->log,
              ElementsAre("MODIFIED ns/a rv=2", "ADDED ns/b rv=3", "DELETED ns/a rv=4"));
  EXPECT_EQ(server.open_watches(), 1u);
  EXPECT_EQ(server.stats().events_sent, 3);
  EXPECT_EQ(server.stats().watches_opened, 1);
}

TEST(ApiServerWatch, ZeroStartsWithSyntheticAddedEvents) {
  ManualRuntime rt;
  FakeApiServer server(&rt, Prng(1), nullptr, OneInstance());
  for (const char* n : {"a", "b", "c"}) ASSERT_TRUE(server.Create(Pod("ns", n)).ok());
  ASSERT_TRUE(server.Delete("ns", "b").ok());
  for (const char* rv : {"0", ""}) {
    auto w = DoWatch(rt, server, Opts(rv));
    ASSERT_TRUE(w.status.ok());
    EXPECT_THAT(w.consumer->log, UnorderedElementsAre("ADDED ns/a rv=1", "ADDED ns/c rv=3"));
  }
  EXPECT_EQ(server.stats().initial_events_sent, 4);
  // sendInitialEvents=false at "0": no synthetic events.
  ListOptions o = Opts("0", ResourceVersionMatch::kNotOlderThan);
  o.send_initial_events = false;
  auto w = DoWatch(rt, server, o);
  ASSERT_TRUE(w.status.ok()) << w.status;
  ASSERT_TRUE(server.Create(Pod("ns", "d")).ok());
  rt.RunUntilIdle();
  EXPECT_THAT(w.consumer->log, ElementsAre("ADDED ns/d rv=5"));
}

TEST(ApiServerWatch, WatchListStreamsInitialStateThenEndBookmark) {
  ManualRuntime rt;
  FakeApiServer server(&rt, Prng(5), nullptr, OneInstance());
  for (int k = 0; k < 20; ++k) ASSERT_TRUE(server.Create(Pod("ns", absl::StrCat("p", k))).ok());
  auto w = DoWatch(rt, server, WatchListOpts(""));
  ASSERT_TRUE(w.status.ok()) << w.status;
  ASSERT_EQ(w.consumer->log.size(), 21u);
  EXPECT_EQ(w.consumer->log.back(), "BOOKMARK rv=20 end=true");
  std::vector<std::string> added(w.consumer->log.begin(), w.consumer->log.end() - 1);
  std::vector<std::string> sorted = added;
  std::sort(sorted.begin(), sorted.end());
  EXPECT_NE(added, sorted) << "initial events come in a random order";
  std::set<std::string> unique(added.begin(), added.end());
  EXPECT_EQ(unique.size(), 20u);
  for (const auto& e : added) EXPECT_EQ(e.rfind("ADDED ns/p", 0), 0u) << e;
  // The bookmark carries only a resourceVersion and the annotation.
  const WatchEvent& bm = w.consumer->events.back();
  EXPECT_TRUE(bm.object->metadata().name().empty());
  ASSERT_TRUE(server.Update(Pod("ns", "p3", "x")).ok());
  rt.RunUntilIdle();
  EXPECT_EQ(w.consumer->log.back(), "MODIFIED ns/p3 rv=21");
  EXPECT_EQ(server.stats().bookmarks_sent, 1);
  EXPECT_EQ(server.stats().initial_events_sent, 20);
}

// The API server's validation: a watch-list must allow bookmarks (its end
// is a bookmark).
TEST(ApiServerWatch, WatchListWithoutBookmarksIsInvalid) {
  ManualRuntime rt;
  FakeApiServer server(&rt, Prng(5), nullptr, OneInstance());
  ListOptions o = WatchListOpts("");
  o.allow_watch_bookmarks = false;
  auto w = DoWatch(rt, server, o);
  ASSERT_FALSE(w.status.ok());
  EXPECT_EQ(ReasonOf(w.status), "Invalid");
}

TEST(ApiServerWatch, WatchListAtVersionWaitsNotOlderThan) {
  ManualRuntime rt;
  FakeApiServer server(&rt, Prng(5), nullptr, OneInstance(absl::Seconds(2)));
  ASSERT_TRUE(server.Create(Pod("ns", "a")).ok());
  const absl::Time start = rt.Now();
  auto w = DoWatch(rt, server, WatchListOpts("1"));
  ASSERT_TRUE(w.status.ok()) << w.status;
  EXPECT_EQ(rt.Now() - start, absl::Seconds(2));
  EXPECT_THAT(w.consumer->log, ElementsAre("ADDED ns/a rv=1", "BOOKMARK rv=1 end=true"));
}

TEST(ApiServerWatch, WatchListUnsupportedIsRefusedAsInvalid) {
  ManualRuntime rt;
  ApiServerOptions o = OneInstance();
  o.watch_list_supported = false;
  FakeApiServer server(&rt, Prng(5), nullptr, o);
  auto w = DoWatch(rt, server, WatchListOpts(""));
  ASSERT_FALSE(w.status.ok());
  EXPECT_EQ(ReasonOf(w.status), "Invalid");
  EXPECT_TRUE(w.consumer->log.empty());
  // A plain watch still works.
  w = DoWatch(rt, server, Opts("0"));
  EXPECT_TRUE(w.status.ok());
  // resourceVersionMatch without sendInitialEvents is refused by any server.
  w = DoWatch(rt, server, Opts("0", ResourceVersionMatch::kNotOlderThan));
  EXPECT_EQ(ReasonOf(w.status), "Invalid");
}

TEST(ApiServerWatch, CompactedVersionGets410InBothEncodings) {
  bool http = false, in_stream = false;
  std::set<std::string> reasons;
  for (uint64_t seed = 1; seed <= 40 && !(http && in_stream && reasons.size() == 2); ++seed) {
    ManualRuntime rt;
    FakeApiServer server(&rt, Prng(seed), nullptr, OneInstance());
    ASSERT_TRUE(server.Create(Pod("ns", "a")).ok());
    ASSERT_TRUE(server.Create(Pod("ns", "b")).ok());
    server.CompactNow();
    auto w = DoWatch(rt, server, Opts("1"));
    rt.RunUntilIdle();
    if (!w.status.ok()) {
      http = true;
      EXPECT_TRUE(IsExpiredOrGone(w.status)) << w.status;
      reasons.insert(ReasonOf(w.status));
      EXPECT_TRUE(w.consumer->log.empty());
    } else {
      in_stream = true;
      ASSERT_EQ(w.consumer->events.size(), 1u);
      EXPECT_EQ(w.consumer->events[0].type, WatchEventType::kError);
      EXPECT_TRUE(IsExpiredOrGone(w.consumer->events[0].error));
      reasons.insert(ReasonOf(w.consumer->events[0].error));
      EXPECT_EQ(w.consumer->closed, 1);
      EXPECT_EQ(server.open_watches(), 0u);
    }
    EXPECT_EQ(server.stats().expired_responses, 1);
    // The compacted revision itself is still watchable.
    auto ok = DoWatch(rt, server, Opts("2"));
    EXPECT_TRUE(ok.status.ok());
  }
  EXPECT_TRUE(http);
  EXPECT_TRUE(in_stream);
  EXPECT_EQ(reasons, (std::set<std::string>{"Expired", "Gone"}));
}

// A run may pin the 410's reason and the way an expired WATCH is refused:
// a client that knows only one shape loops on the other for ever.
TEST(ApiServerWatch, ExpiredShapesPinnedForTheRun) {
  using Reason = ApiServerOptions::ExpiredReason;
  using Encoding = ApiServerOptions::ExpiredWatch;
  for (Reason reason : {Reason::kExpired, Reason::kGone}) {
    for (Encoding encoding : {Encoding::kHttpError, Encoding::kInStream}) {
      for (uint64_t seed = 1; seed <= 8; ++seed) {
        ManualRuntime rt;
        ApiServerOptions o = OneInstance();
        o.expired_reason = reason;
        o.expired_watch = encoding;
        FakeApiServer server(&rt, Prng(seed), nullptr, o);
        ASSERT_TRUE(server.Create(Pod("ns", "a")).ok());
        ASSERT_TRUE(server.Create(Pod("ns", "b")).ok());
        server.CompactNow();
        const char* want = reason == Reason::kExpired ? "Expired" : "Gone";
        auto w = DoWatch(rt, server, Opts("1"));
        rt.RunUntilIdle();
        if (encoding == Encoding::kHttpError) {
          ASSERT_FALSE(w.status.ok());
          EXPECT_EQ(ReasonOf(w.status), want);
        } else {
          ASSERT_TRUE(w.status.ok()) << w.status;
          ASSERT_EQ(w.consumer->events.size(), 1u);
          EXPECT_EQ(ReasonOf(w.consumer->events[0].error), want);
        }
        // A LIST at a compacted RV (Exact) carries the same reason.
        absl::StatusOr<ListPage> list =
            DoList(rt, server, Opts("1", ResourceVersionMatch::kExact));
        ASSERT_FALSE(list.ok());
        EXPECT_EQ(ReasonOf(list.status()), want);
      }
    }
  }
}

// Servers before 1.17 said "too large resource version" only in the message
// of a Timeout; client-go's predicate still knows it.
TEST(ApiServerWatch, MessageOnlyTooLarge) {
  ManualRuntime rt;
  ApiServerOptions o = OneInstance();
  o.fresh_wait = absl::Seconds(1);
  o.message_only_too_large = true;
  FakeApiServer server(&rt, Prng(1), nullptr, o);
  ASSERT_TRUE(server.Create(Pod("ns", "a")).ok());
  auto w = DoWatch(rt, server, Opts("9"));
  ASSERT_FALSE(w.status.ok());
  const std::optional<api::Status> s = ApiStatusOf(w.status);
  ASSERT_TRUE(s.has_value());
  EXPECT_EQ(s->code(), 504);
  EXPECT_TRUE(s->causes().empty());
  EXPECT_TRUE(absl::StrContains(s->message(), kTooLargeResourceVersionText)) << s->message();
  EXPECT_TRUE(IsTooLargeResourceVersion(w.status));
}

// A broken streaming list: every watch-list request answers 500, plain
// watches still work.
TEST(ApiServerWatch, WatchListFailsForTheRun) {
  ManualRuntime rt;
  ApiServerOptions o = OneInstance();
  o.watch_list_fails = true;
  FakeApiServer server(&rt, Prng(1), nullptr, o);
  ASSERT_TRUE(server.Create(Pod("ns", "a")).ok());
  ListOptions wl;
  wl.send_initial_events = true;
  wl.allow_watch_bookmarks = true;
  wl.resource_version_match = ResourceVersionMatch::kNotOlderThan;
  auto w = DoWatch(rt, server, wl);
  ASSERT_FALSE(w.status.ok());
  EXPECT_TRUE(IsInternalError(w.status)) << w.status;
  EXPECT_TRUE(DoWatch(rt, server, Opts("1")).status.ok());
}

// The simulation's store starts at revision 1, as etcd does: an empty list
// never carries "0".
TEST(ApiServerWatch, InitialRevision) {
  ManualRuntime rt;
  ApiServerOptions o = OneInstance();
  o.initial_revision = 1;
  FakeApiServer server(&rt, Prng(1), nullptr, o);
  absl::StatusOr<ListPage> empty = DoList(rt, server, Opts("0"));
  ASSERT_TRUE(empty.ok());
  EXPECT_EQ(empty->resource_version, "1");
  absl::StatusOr<ObjectPtr> a = server.Create(Pod("ns", "a"));
  ASSERT_TRUE(a.ok());
  EXPECT_EQ((*a)->metadata().resource_version(), "2");
}

class WatchTooLarge : public ::testing::TestWithParam<bool> {};

TEST_P(WatchTooLarge, TooFreshWatchFailsAfterFreshWait) {
  ManualRuntime rt;
  ApiServerOptions o = OneInstance();
  o.fresh_wait = absl::Seconds(3);
  o.legacy_too_large_encoding = GetParam();
  FakeApiServer server(&rt, Prng(1), nullptr, o);
  ASSERT_TRUE(server.Create(Pod("ns", "a")).ok());
  const absl::Time start = rt.Now();
  auto w = DoWatch(rt, server, Opts("5"));
  ASSERT_FALSE(w.status.ok());
  EXPECT_EQ(rt.Now() - start, absl::Seconds(3));
  EXPECT_TRUE(IsTooLargeResourceVersion(w.status)) << w.status;
  EXPECT_EQ(HasStatusCause(w.status, kCauseResourceVersionTooLarge), !GetParam());
  // A version reached during the wait answers at once.
  bool answered = false;
  absl::Status status;
  auto consumer = std::make_shared<RecordingConsumer>(&rt);
  server.Watch(Opts("2"), consumer, [&](absl::StatusOr<std::unique_ptr<WatchStream>> s) {
    answered = true;
    status = s.status();
  });
  rt.RunFor(absl::Seconds(1));
  EXPECT_FALSE(answered);
  ASSERT_TRUE(server.Create(Pod("ns", "b")).ok());
  rt.RunUntilIdle();
  EXPECT_TRUE(answered);
  EXPECT_TRUE(status.ok());
  EXPECT_TRUE(consumer->log.empty()) << "nothing after RV 2 yet";
}

INSTANTIATE_TEST_SUITE_P(Encodings, WatchTooLarge, ::testing::Bool(),
                         [](const ::testing::TestParamInfo<bool>& p) {
                           return p.param ? "Legacy" : "Cause";
                         });

TEST(ApiServerWatch, LaggingInstanceDelaysEvents) {
  ManualRuntime rt;
  FakeApiServer server(&rt, Prng(1), nullptr, OneInstance(absl::Seconds(5)));
  auto w = DoWatch(rt, server, Opts("0"));
  ASSERT_TRUE(w.status.ok());
  const absl::Time start = rt.Now();
  ASSERT_TRUE(server.Create(Pod("ns", "a")).ok());
  rt.RunFor(absl::Seconds(4));
  EXPECT_TRUE(w.consumer->log.empty());
  rt.RunFor(absl::Seconds(1));
  EXPECT_THAT(w.consumer->log, ElementsAre("ADDED ns/a rv=1"));
  EXPECT_EQ(w.consumer->times[0] - start, absl::Seconds(5));
}

// Changes an idle instance received before a watch opened reach the
// watch when they fall due, as if the instance had applied each on time;
// once the watch ends the instance holds no timer.
TEST(ApiServerWatch, WatchOnAnIdleLaggingInstanceHearsEarlierChangesOnTime) {
  ManualRuntime rt;
  ApiServerOptions o = OneInstance(absl::Seconds(10));
  o.compaction_interval = absl::ZeroDuration();  // its timer aside
  FakeApiServer server(&rt, Prng(1), nullptr, o);
  const absl::Time start = rt.Now();
  ASSERT_TRUE(server.Create(Pod("ns", "a")).ok());
  rt.AdvanceTo(start + absl::Seconds(3));
  ASSERT_TRUE(server.Create(Pod("ns", "b")).ok());
  rt.AdvanceTo(start + absl::Seconds(5));
  auto w = DoWatch(rt, server, Opts("0"));
  ASSERT_TRUE(w.status.ok());
  EXPECT_TRUE(w.consumer->log.empty()) << "the cache is still at RV 0";
  rt.RunFor(absl::Seconds(10));
  EXPECT_THAT(w.consumer->log, ElementsAre("ADDED ns/a rv=1", "ADDED ns/b rv=2"));
  ASSERT_EQ(w.consumer->times.size(), 2u);
  EXPECT_EQ(w.consumer->times[0] - start, absl::Seconds(10));
  EXPECT_EQ(w.consumer->times[1] - start, absl::Seconds(13));
  w.stream->Stop();
  ASSERT_TRUE(server.Create(Pod("ns", "c")).ok());
  rt.RunFor(absl::Seconds(20));
  EXPECT_EQ(rt.NextTimerDeadline(), absl::InfiniteFuture()) << "no watch, no timer";
}

// A watch whose timeout falls at the time a change falls due sends the
// change before it closes.
TEST(ApiServerWatch, TimeoutWhenAChangeFallsDueSendsItFirst) {
  ManualRuntime rt;
  ApiServerOptions o = OneInstance(absl::Seconds(10));
  o.compaction_interval = absl::ZeroDuration();
  FakeApiServer server(&rt, Prng(1), nullptr, o);
  const absl::Time start = rt.Now();
  ASSERT_TRUE(server.Create(Pod("ns", "a")).ok());
  rt.AdvanceTo(start + absl::Seconds(1));
  ASSERT_TRUE(server.Create(Pod("ns", "b")).ok());
  rt.AdvanceTo(start + absl::Seconds(2));
  ListOptions opts = Opts("0");
  opts.timeout_seconds = 9;  // ends at 11 s, when b falls due
  auto w = DoWatch(rt, server, opts);
  ASSERT_TRUE(w.status.ok());
  rt.RunFor(absl::Seconds(20));
  EXPECT_THAT(w.consumer->log, ElementsAre("ADDED ns/a rv=1", "ADDED ns/b rv=2", "CLOSED"));
}

// A watch from an RV on an idle lagging instance: the stored history the
// cache has reached first, then the changes still waiting at their times.
TEST(ApiServerWatch, WatchFromAnRvOnAnIdleLaggingInstance) {
  ManualRuntime rt;
  ApiServerOptions o = OneInstance(absl::Seconds(5));
  o.compaction_interval = absl::ZeroDuration();
  FakeApiServer server(&rt, Prng(1), nullptr, o);
  const absl::Time start = rt.Now();
  ASSERT_TRUE(server.Create(Pod("ns", "a")).ok());
  ASSERT_TRUE(server.Create(Pod("ns", "b")).ok());
  rt.AdvanceTo(start + absl::Seconds(6));
  ASSERT_TRUE(server.Create(Pod("ns", "c")).ok());  // due at 11 s
  auto w = DoWatch(rt, server, Opts("1"));
  ASSERT_TRUE(w.status.ok());
  rt.RunUntilIdle();
  EXPECT_THAT(w.consumer->log, ElementsAre("ADDED ns/b rv=2"));
  rt.RunFor(absl::Seconds(10));
  EXPECT_THAT(w.consumer->log, ElementsAre("ADDED ns/b rv=2", "ADDED ns/c rv=3"));
  ASSERT_EQ(w.consumer->times.size(), 2u);
  EXPECT_EQ(w.consumer->times[1] - start, absl::Seconds(11));
}

TEST(ApiServerWatch, PeriodicBookmarksOnlyWhenAllowed) {
  ManualRuntime rt;
  ApiServerOptions o = OneInstance();
  o.bookmark_interval = absl::Seconds(10);
  FakeApiServer server(&rt, Prng(1), nullptr, o);
  ASSERT_TRUE(server.Create(Pod("ns", "a")).ok());
  ListOptions with = Opts("1");
  with.allow_watch_bookmarks = true;
  auto a = DoWatch(rt, server, with);
  auto b = DoWatch(rt, server, Opts("1"));
  rt.RunFor(absl::Seconds(15));
  ASSERT_TRUE(server.Create(Pod("ns", "b")).ok());
  rt.RunFor(absl::Seconds(20));
  EXPECT_THAT(a.consumer->log,
              ElementsAre("BOOKMARK rv=1", "ADDED ns/b rv=2", "BOOKMARK rv=2", "BOOKMARK rv=2"));
  EXPECT_THAT(b.consumer->log, ElementsAre("ADDED ns/b rv=2"));
  EXPECT_EQ(server.stats().bookmarks_sent, 3);
}

TEST(ApiServerWatch, ClosesAtTimeoutSeconds) {
  ManualRuntime rt;
  FakeApiServer server(&rt, Prng(1), nullptr, OneInstance());
  ListOptions o = Opts("0");
  o.timeout_seconds = 30;
  const absl::Time start = rt.Now();
  auto w = DoWatch(rt, server, o);
  ASSERT_TRUE(w.status.ok());
  ASSERT_TRUE(RunUntilTrue(rt, [&] { return w.consumer->closed > 0; }));
  EXPECT_EQ(rt.Now() - start, absl::Seconds(30));
  EXPECT_EQ(server.stats().watch_timeouts, 1);
  EXPECT_EQ(server.open_watches(), 0u);
  ASSERT_TRUE(server.Create(Pod("ns", "a")).ok());
  rt.RunUntilIdle();
  EXPECT_THAT(w.consumer->log, ElementsAre("CLOSED"));
}

TEST(ApiServerWatch, LatencyNeverReordersAStream) {
  ManualRuntime rt;
  ApiServerOptions o = OneInstance();
  o.min_latency = absl::ZeroDuration();
  o.max_latency = absl::Milliseconds(200);
  FakeApiServer server(&rt, Prng(9), nullptr, o);
  auto w = DoWatch(rt, server, Opts("0"));
  ASSERT_TRUE(w.status.ok());
  for (int k = 0; k < 200; ++k) {
    ASSERT_TRUE(server.Create(Pod("ns", absl::StrCat("p", k))).ok());
    rt.RunFor(absl::Milliseconds(7));
  }
  rt.RunFor(absl::Seconds(1));
  ASSERT_EQ(w.consumer->events.size(), 200u);
  int64_t last = 0;
  for (const WatchEvent& e : w.consumer->events) {
    int64_t rv = 0;
    ASSERT_TRUE(absl::SimpleAtoi(e.object->metadata().resource_version(), &rv));
    EXPECT_EQ(rv, last + 1);
    last = rv;
  }
  EXPECT_TRUE(std::is_sorted(w.consumer->times.begin(), w.consumer->times.end()));
}

// The ListerWatcher contract: `started` precedes every event, and after Stop
// nothing more reaches the consumer, not even what was already queued.
TEST(ApiServerWatch, NoEventBeforeStartedNoneAfterStop) {
  ManualRuntime rt;
  ApiServerOptions o = OneInstance();
  o.min_latency = absl::Milliseconds(1);
  o.max_latency = absl::Milliseconds(100);
  o.bookmark_interval = absl::Seconds(1);
  FakeApiServer server(&rt, Prng(2), nullptr, o);
  for (int k = 0; k < 5; ++k) ASSERT_TRUE(server.Create(Pod("ns", absl::StrCat("p", k))).ok());
  bool started = false;
  bool event_before_started = false;
  std::unique_ptr<WatchStream> stream;
  struct Consumer final : WatchConsumer {
    bool* started;
    bool* early;
    int events = 0;
    void OnEvent(WatchEvent) override {
      if (!*started) *early = true;
      ++events;
    }
    void OnClosed() override { ++events; }
  };
  auto consumer = std::make_shared<Consumer>();
  consumer->started = &started;
  consumer->early = &event_before_started;
  ListOptions wo = Opts("0");
  wo.allow_watch_bookmarks = true;
  wo.timeout_seconds = 5;
  server.Watch(wo, consumer, [&](absl::StatusOr<std::unique_ptr<WatchStream>> s) {
    started = true;
    stream = std::move(s).value();
  });
  // Run only until `started`; the initial events are still queued.
  while (!started) {
    if (!rt.RunOne()) {
      ASSERT_TRUE(rt.AdvanceToNextTimer());
    }
  }
  const int seen = consumer->events;
  EXPECT_LT(seen, 5);
  stream->Stop();
  stream->Stop();  // idempotent
  ASSERT_TRUE(server.Create(Pod("ns", "late")).ok());
  server.BreakWatches();
  rt.RunFor(absl::Seconds(10));
  EXPECT_FALSE(event_before_started);
  EXPECT_EQ(consumer->events, seen);
  EXPECT_EQ(server.open_watches(), 0u);
  EXPECT_EQ(server.stats().watch_timeouts, 0) << "Stop cancels the timeout";
}

TEST(ApiServerWatch, BreakWatchesClosesEveryStream) {
  ManualRuntime rt;
  ApiServerOptions o;
  o.instance_lags = {absl::ZeroDuration(), absl::Seconds(1)};
  FakeApiServer server(&rt, Prng(4), nullptr, o);
  std::vector<testing::OpenedWatch> ws;
  for (int k = 0; k < 4; ++k) ws.push_back(DoWatch(rt, server, Opts("0")));
  EXPECT_EQ(server.open_watches(), 4u);
  server.BreakWatches();
  rt.RunUntilIdle();
  for (auto& w : ws) EXPECT_EQ(w.consumer->closed, 1);
  EXPECT_EQ(server.open_watches(), 0u);
  EXPECT_EQ(server.stats().watch_breaks, 4);
  ASSERT_TRUE(server.Create(Pod("ns", "a")).ok());
  rt.RunFor(absl::Seconds(2));
  for (auto& w : ws) EXPECT_THAT(w.consumer->log, ElementsAre("CLOSED"));
}

TEST(ApiServerWatch, LaggingInstanceSurvivesCompaction) {
  // The cache has received what it has not yet shown: compaction in the
  // store does not break its open streams.
  ManualRuntime rt;
  FakeApiServer server(&rt, Prng(1), nullptr, OneInstance(absl::Seconds(5)));
  auto w = DoWatch(rt, server, Opts("0"));
  ASSERT_TRUE(server.Create(Pod("ns", "a")).ok());
  ASSERT_TRUE(server.Update(Pod("ns", "a", "x")).ok());
  server.CompactNow();
  rt.RunFor(absl::Seconds(6));
  EXPECT_THAT(w.consumer->log, ElementsAre("ADDED ns/a rv=1", "MODIFIED ns/a rv=2"));
  auto page = testing::DoList(rt, server, Opts("0"));
  ASSERT_TRUE(page.ok());
  EXPECT_EQ(page->resource_version, "2");
}

TEST(ApiServerWatch, ShutdownDropsStreamsAndRefusesRequests) {
  ManualRuntime rt;
  ApiServerOptions o = OneInstance(absl::Seconds(30));
  FakeApiServer server(&rt, Prng(1), nullptr, o);
  auto open = DoWatch(rt, server, Opts("0"));
  ASSERT_TRUE(open.status.ok());
  ASSERT_TRUE(server.Create(Pod("ns", "a")).ok());
  // A request waiting for the cache is answered (refused) at shutdown.
  bool answered = false;
  absl::Status status;
  server.Watch(Opts("1"), std::make_shared<RecordingConsumer>(&rt),
               [&](absl::StatusOr<std::unique_ptr<WatchStream>> s) {
                 answered = true;
                 status = s.status();
               });
  rt.RunUntilIdle();
  EXPECT_FALSE(answered);
  server.Shutdown();
  rt.RunFor(absl::Minutes(1));
  EXPECT_TRUE(answered);
  EXPECT_TRUE(IsConnectionRefused(status)) << status;
  EXPECT_TRUE(open.consumer->log.empty()) << "streams are dropped without a word";
  EXPECT_EQ(server.open_watches(), 0u);
  auto page = testing::DoList(rt, server, Opts(""));
  EXPECT_TRUE(IsConnectionRefused(page.status()));
  EXPECT_EQ(rt.pending_timers(), 0u);
}

TEST(ApiServerWatch, TasksOutlivingTheServerDoNothing) {
  ManualRuntime rt;
  std::shared_ptr<RecordingConsumer> consumer;
  {
    ApiServerOptions o = OneInstance(absl::Seconds(1));
    o.min_latency = absl::Milliseconds(5);
    o.max_latency = absl::Milliseconds(5);
    FakeApiServer server(&rt, Prng(1), nullptr, o);
    auto w = DoWatch(rt, server, Opts("0"));
    consumer = w.consumer;
    ASSERT_TRUE(server.Create(Pod("ns", "a")).ok());
    server.List(Opts(""), [](absl::StatusOr<ListPage>) { ADD_FAILURE() << "late answer"; });
  }
  rt.RunFor(absl::Minutes(1));
  EXPECT_TRUE(consumer->log.empty());
}

}  // namespace
}  // namespace sim
}  // namespace informersim
