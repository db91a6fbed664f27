// FakeApiServer faults: each rate fault happens at rate 1 and never at rate
// 0; scripted faults (refused connections, failing requests); determinism
// of the whole server under one seed.
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "core/api_errors.h"
#include "core/manual_runtime.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "sim/api_server.h"
#include "sim/prng.h"
#include "sim/tracer.h"
#include "tests/sim/api_server_test_util.h"

namespace informersim {
namespace sim {
namespace {

using ::testing::ElementsAre;
using testing::DoList;
using testing::DoWatch;
using testing::Opts;
using testing::Pod;

struct Fixture {
  explicit Fixture(ServerFaultRates rates, uint64_t seed = 1) : server(&rt, Prng(seed), nullptr, {}) {
    for (const char* n : {"a", "b", "c"}) EXPECT_TRUE(server.Create(Pod("ns", n)).ok());
    server.SetFaultRates(rates);
  }
  ManualRuntime rt;
  FakeApiServer server;
};

TEST(ApiServerFaults, ZeroRatesNeverFault) {
  Fixture f(ServerFaultRates{});
  for (int k = 0; k < 50; ++k) {
    auto page = DoList(f.rt, f.server, Opts("", ResourceVersionMatch::kUnset, 1));
    ASSERT_TRUE(page.ok());
    ListOptions o = Opts("", ResourceVersionMatch::kUnset, 1);
    o.continue_token = page->continue_token;
    ASSERT_TRUE(DoList(f.rt, f.server, o).ok());
    auto w = DoWatch(f.rt, f.server, Opts("0"));
    ASSERT_TRUE(w.status.ok());
    EXPECT_EQ(w.consumer->events.size(), 3u);
    EXPECT_EQ(w.consumer->closed, 0);
    w.stream->Stop();
  }
  const ApiServerStats s = f.server.stats();
  EXPECT_EQ(s.too_many_requests + s.internal_errors + s.connections_refused +
                s.continue_expired + s.watch_breaks + s.expired_responses,
            0);
}

TEST(ApiServerFaults, ListTooManyRequests) {
  ServerFaultRates r;
  r.list_too_many_requests = 1;
  r.retry_after_seconds = 7;
  Fixture f(r);
  auto page = DoList(f.rt, f.server, Opts("0"));
  ASSERT_FALSE(page.ok());
  EXPECT_TRUE(IsTooManyRequests(page.status()));
  EXPECT_EQ(RetryAfterSeconds(page.status()), 7);
  EXPECT_EQ(f.server.stats().too_many_requests, 1);
  EXPECT_TRUE(DoWatch(f.rt, f.server, Opts("0")).status.ok()) << "LIST only";
}

TEST(ApiServerFaults, ListInternalError) {
  ServerFaultRates r;
  r.list_internal_error = 1;
  Fixture f(r);
  auto page = DoList(f.rt, f.server, Opts(""));
  ASSERT_FALSE(page.ok());
  EXPECT_TRUE(IsInternalError(page.status()));
  EXPECT_EQ(f.server.stats().internal_errors, 1);
}

TEST(ApiServerFaults, WatchTooManyRequests) {
  ServerFaultRates r;
  r.watch_too_many_requests = 1;
  Fixture f(r);
  auto w = DoWatch(f.rt, f.server, Opts("0"));
  EXPECT_TRUE(IsTooManyRequests(w.status));
  EXPECT_TRUE(w.consumer->log.empty());
  EXPECT_TRUE(DoList(f.rt, f.server, Opts("0")).ok()) << "WATCH only";
}

TEST(ApiServerFaults, ConnectionRefusedForListAndWatch) {
  ServerFaultRates r;
  r.connection_refused = 1;
  Fixture f(r);
  EXPECT_TRUE(IsConnectionRefused(DoList(f.rt, f.server, Opts("0")).status()));
  EXPECT_TRUE(IsConnectionRefused(DoWatch(f.rt, f.server, Opts("0")).status));
  EXPECT_EQ(f.server.stats().connections_refused, 2);
}

TEST(ApiServerFaults, ContinueExpired) {
  ServerFaultRates r;
  r.continue_expired = 1;
  Fixture f(r);
  auto page = DoList(f.rt, f.server, Opts("", ResourceVersionMatch::kUnset, 1));
  ASSERT_TRUE(page.ok()) << "first pages are not continue requests";
  ListOptions o = Opts("", ResourceVersionMatch::kUnset, 1);
  o.continue_token = page->continue_token;
  auto next = DoList(f.rt, f.server, o);
  EXPECT_TRUE(IsResourceExpired(next.status())) << next.status();
  EXPECT_EQ(f.server.stats().continue_expired, 1);
}

TEST(ApiServerFaults, WatchBreakEndsStreamAfterEachFirstEvent) {
  ServerFaultRates r;
  r.watch_break = 1;
  Fixture f(r);
  auto w = DoWatch(f.rt, f.server, Opts("1"));
  ASSERT_TRUE(w.status.ok());
  ASSERT_TRUE(f.server.Create(Pod("ns", "d")).ok());
  f.rt.RunUntilIdle();
  EXPECT_THAT(w.consumer->log, ElementsAre("ADDED ns/b rv=2", "CLOSED"));
  EXPECT_EQ(f.server.stats().watch_breaks, 1);
  EXPECT_EQ(f.server.open_watches(), 0u);
}

TEST(ApiServerFaults, WatchErrorEventThenEnd) {
  ServerFaultRates r;
  r.watch_error_event = 1;
  Fixture f(r);
  auto w = DoWatch(f.rt, f.server, Opts("1"));
  ASSERT_TRUE(w.status.ok());
  f.rt.RunUntilIdle();
  EXPECT_THAT(w.consumer->log, ElementsAre("ERROR Expired", "CLOSED"));
  EXPECT_TRUE(IsResourceExpired(w.consumer->events[0].error));
  EXPECT_EQ(f.server.stats().expired_responses, 1);
}

// An in-stream 500 (InternalError) instead of the event, then the end.
TEST(ApiServerFaults, WatchInternalErrorEventThenEnd) {
  ServerFaultRates r;
  r.watch_internal_error_event = 1;
  Fixture f(r);
  auto w = DoWatch(f.rt, f.server, Opts("1"));
  ASSERT_TRUE(w.status.ok());
  f.rt.RunUntilIdle();
  ASSERT_EQ(w.consumer->log.size(), 2u);
  EXPECT_EQ(w.consumer->log[1], "CLOSED");
  EXPECT_TRUE(IsInternalError(w.consumer->events[0].error)) << w.consumer->events[0].error;
  EXPECT_EQ(f.server.stats().internal_errors, 1);
  EXPECT_EQ(f.server.stats().watch_breaks, 1);
  EXPECT_EQ(f.server.open_watches(), 0u);
}

TEST(ApiServerFaults, RefuseConnectionsUntil) {
  Fixture f(ServerFaultRates{});
  f.server.RefuseConnectionsUntil(f.rt.Now() + absl::Seconds(10));
  EXPECT_TRUE(IsConnectionRefused(DoList(f.rt, f.server, Opts("0")).status()));
  EXPECT_TRUE(IsConnectionRefused(DoWatch(f.rt, f.server, Opts("0")).status));
  f.rt.RunFor(absl::Seconds(10));
  EXPECT_TRUE(DoList(f.rt, f.server, Opts("0")).ok());
  EXPECT_TRUE(DoWatch(f.rt, f.server, Opts("0")).status.ok());
}

TEST(ApiServerFaults, FailRequestsUntil) {
  Fixture f(ServerFaultRates{});
  f.server.FailRequestsUntil(f.rt.Now() + absl::Seconds(10));
  EXPECT_TRUE(IsInternalError(DoList(f.rt, f.server, Opts("0")).status()));
  EXPECT_TRUE(IsInternalError(DoWatch(f.rt, f.server, Opts("0")).status));
  f.rt.RunFor(absl::Seconds(10));
  EXPECT_TRUE(DoList(f.rt, f.server, Opts("0")).ok());
  EXPECT_TRUE(DoWatch(f.rt, f.server, Opts("0")).status.ok());
  EXPECT_EQ(f.server.stats().internal_errors, 2);
}

// A busy run: several lagging instances, latency, every rate fault, watches
// of each kind; returns the trace hash and the consumer logs.
std::pair<uint64_t, std::string> BusyRun(uint64_t seed) {
  ManualRuntime rt;
  Tracer tracer(&rt, rt.Now(), /*keep_steps=*/false);
  ApiServerOptions o;
  o.instance_lags = {absl::ZeroDuration(), absl::Milliseconds(300), absl::Seconds(2)};
  o.min_latency = absl::Milliseconds(1);
  o.max_latency = absl::Milliseconds(40);
  o.bookmark_interval = absl::Seconds(3);
  o.compaction_interval = absl::Seconds(20);
  o.history_window_events = 30;
  FakeApiServer server(&rt, Prng::Stream(seed, "server"), &tracer, o);
  ServerFaultRates r;
  r.list_too_many_requests = 0.1;
  r.list_internal_error = 0.1;
  r.watch_too_many_requests = 0.1;
  r.connection_refused = 0.1;
  r.continue_expired = 0.2;
  r.watch_break = 0.02;
  r.watch_error_event = 0.02;
  server.SetFaultRates(r);
  Prng driver = Prng::Stream(seed, "driver");
  std::string log;
  std::vector<testing::OpenedWatch> watches;
  for (int step = 0; step < 300; ++step) {
    const std::string name = absl::StrCat("p", driver.Below(20));
    switch (driver.Below(6)) {
      case 0:
      case 1:
        if (!server.Create(Pod("ns", name)).ok()) (void)server.Update(Pod("ns", name, "u"));
        break;
      case 2:
        (void)server.Delete("ns", name);
        break;
      case 3: {
        ListOptions lo = Opts(driver.Below(2) == 0 ? "0" : "", ResourceVersionMatch::kUnset, 5);
        server.List(lo, [&log](absl::StatusOr<ListPage> p) {
          absl::StrAppend(&log, p.ok() ? p->resource_version : ReasonOf(p.status()), ";");
        });
        break;
      }
      case 4: {
        ListOptions wo = Opts(absl::StrCat(server.current_rv()));
        wo.allow_watch_bookmarks = true;
        wo.timeout_seconds = 10;
        if (driver.Below(2) == 0) {
          wo.resource_version = "";
          wo.resource_version_match = ResourceVersionMatch::kNotOlderThan;
          wo.send_initial_events = true;
        }
        auto w = std::make_shared<testing::RecordingConsumer>(&rt);
        server.Watch(wo, w, [&log](absl::StatusOr<std::unique_ptr<WatchStream>> s) {
          absl::StrAppend(&log, s.ok() ? "W" : ReasonOf(s.status()), ";");
        });
        watches.push_back(testing::OpenedWatch{w, absl::OkStatus(), nullptr, false});
        break;
      }
      case 5:
        if (driver.Below(10) == 0) server.BreakWatches();
        break;
    }
    rt.RunFor(absl::Milliseconds(static_cast<int64_t>(driver.Below(200))));
  }
  rt.RunFor(absl::Seconds(30));
  for (const auto& w : watches) {
    for (const auto& line : w.consumer->log) absl::StrAppend(&log, line, ",");
    absl::StrAppend(&log, "|");
  }
  return {tracer.hash(), log};
}

TEST(ApiServerDeterminism, SameSeedSameTraceAndEvents) {
  const auto a = BusyRun(42);
  const auto b = BusyRun(42);
  EXPECT_EQ(a.first, b.first);
  EXPECT_EQ(a.second, b.second);
  const auto c = BusyRun(43);
  EXPECT_NE(a.first, c.first);
  EXPECT_GT(a.second.size(), 1000u);
}

}  // namespace
}  // namespace sim
}  // namespace informersim
