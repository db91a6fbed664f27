// FakeApiServer LIST: every resourceVersion mode, pagination and continue
// tokens, 410/400/too-large answers, lagging instances (the reflector's
// RF4-RF6 inputs, as the Kubernetes API server answers them).
#include <algorithm>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
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
using ::testing::HasSubstr;
using testing::DoList;
using testing::DoWatch;
using testing::OneInstance;
using testing::Names;
using testing::Opts;
using testing::Pod;
using testing::RunUntilTrue;

// FakeApiServer::OldestServableRv, the checker's licence to forget a deleted
// key (Checker::RetireGraves): once it has passed a key's delete, no LIST or
// WATCH, in any resourceVersion mode, on any instance, shows the deleted
// incarnation again. Lagging instances, paging and periodic compaction, and
// writes that keep deleting and re-creating a few names.
TEST(ApiServerList, NothingServedShowsAnIncarnationDeletedByOldestServableRv) {
  // Two worlds: a cache lagging further back than the compacted revision,
  // and a history window longer than any lag.
  for (uint64_t seed = 1; seed <= 6; ++seed) {
    const bool long_window = seed % 2 == 0;
    ManualRuntime rt;
    ApiServerOptions o;
    o.instance_lags = long_window ? std::vector<absl::Duration>{absl::ZeroDuration(),
                                                                 absl::Seconds(1)}
                                  : std::vector<absl::Duration>{absl::ZeroDuration(),
                                                                 absl::Seconds(2),
                                                                 absl::Seconds(10)};
    o.compaction_interval = absl::Seconds(3);
    o.history_window_events = long_window ? 60 : 20;
    FakeApiServer server(&rt, Prng(seed), nullptr, o);
    Prng pick(seed + 100);
    std::map<std::string, int64_t> deleted_at;  // uid -> the delete's RV
    int checked = 0, watch_checked = 0, stale_deleted_seen = 0;
    auto check = [&](const ObjectPtr& object, int64_t oldest, const std::string& how) {
      auto it = deleted_at.find(object->metadata().uid());
      if (it == deleted_at.end()) return;
      ++checked;
      if (absl::StartsWith(how, "WATCH")) ++watch_checked;
      EXPECT_GT(it->second, oldest) << how << " showed " << object->metadata().name() << " rv="
                                    << object->metadata().resource_version()
                                    << ", an incarnation deleted at rv=" << it->second
                                    << " (seed " << seed << ")";
    };
    for (int step = 0; step < 300; ++step) {
      const std::string name = absl::StrCat("k", pick.Below(12));
      if (server.store().Get(absl::StrCat("ns/", name)) == nullptr) {
        ASSERT_TRUE(server.Create(Pod("ns", name)).ok());
      } else if (pick.Below(3) == 0) {
        absl::StatusOr<ObjectPtr> gone = server.Delete("ns", name);
        ASSERT_TRUE(gone.ok()) << gone.status();
        int64_t rv = 0;
        ASSERT_TRUE(absl::SimpleAtoi((*gone)->metadata().resource_version(), &rv));
        deleted_at[(*gone)->metadata().uid()] = rv;
      } else {
        ASSERT_TRUE(server.Update(Pod("ns", name, absl::StrCat("v", step))).ok());
      }
      rt.AdvanceBy(absl::Milliseconds(250));
      if (step % 10 != 9) continue;
      const int64_t oldest = server.OldestServableRv();
      ASSERT_LE(oldest, server.current_rv());
      // Every request shape, several times each (instances are picked at
      // random per request).
      std::vector<std::pair<std::string, ListOptions>> lists = {
          {"LIST rv=0", Opts("0")},
          {"LIST rv=\"\"", Opts("")},
          {"LIST rv=oldest exact", Opts(absl::StrCat(oldest), ResourceVersionMatch::kExact)},
          {"LIST rv=oldest not older than",
           Opts(absl::StrCat(oldest), ResourceVersionMatch::kNotOlderThan)},
          {"LIST rv=oldest limit 2", Opts(absl::StrCat(oldest), ResourceVersionMatch::kUnset, 2)},
          {"LIST rv=\"\" limit 2", Opts("", ResourceVersionMatch::kUnset, 2)},
      };
      // And at any older version (below the compacted revision: 410).
      auto any_older = [&] {
        return absl::StrCat(1 + pick.Below(std::max<uint64_t>(static_cast<uint64_t>(oldest), 1)));
      };
      for (int k = 0; k < 4; ++k) {
        const std::string any = any_older();
        lists.push_back({absl::StrCat("LIST rv=", any, " exact"),
                         Opts(any, ResourceVersionMatch::kExact)});
        lists.push_back({absl::StrCat("LIST rv=", any, " limit 2"),
                         Opts(any, ResourceVersionMatch::kUnset, 2)});
      }
      const std::string older = any_older();
      for (int round = 0; round < 3; ++round) {
        for (auto& [how, options] : lists) {
          ListOptions next = options;
          for (int page = 0; page < 20; ++page) {
            absl::StatusOr<ListPage> got = DoList(rt, server, next);
            if (!got.ok()) break;  // 410 and too-large answers show nothing
            for (const ObjectPtr& item : got->items) check(item, oldest, how);
            if (got->continue_token.empty()) break;
            next.continue_token = got->continue_token;
          }
        }
        for (const std::string& from :
             {std::string("0"), std::string(""), absl::StrCat(oldest), older}) {
          ListOptions options = Opts(from);
          if (from.empty()) {
            options.send_initial_events = true;
            options.resource_version_match = ResourceVersionMatch::kNotOlderThan;
          }
          testing::OpenedWatch w = DoWatch(rt, server, options);
          if (!w.status.ok()) continue;
          rt.RunUntilIdle();
          for (const WatchEvent& e : w.consumer->events) {
            if (e.type == WatchEventType::kAdded || e.type == WatchEventType::kModified) {
              check(e.object, oldest, absl::StrCat("WATCH from rv=\"", from, "\""));
            }
          }
          w.stream->Stop();
        }
      }
      // Deleted incarnations newer than `oldest` are still served (from a
      // lagging cache, or a snapshot above the compacted revision): the
      // check above is not vacuous.
      for (int round = 0; round < 6; ++round) {
        const std::string at = absl::StrCat(std::max<int64_t>(oldest, 1));
        absl::StatusOr<ListPage> got =
            DoList(rt, server, long_window ? Opts(at, ResourceVersionMatch::kExact) : Opts("0"));
        if (!got.ok()) continue;
        for (const ObjectPtr& item : got->items) {
          if (deleted_at.count(item->metadata().uid()) > 0) ++stale_deleted_seen;
        }
      }
    }
    EXPECT_GT(checked, 0) << "seed " << seed;
    EXPECT_GT(watch_checked, 0) << "seed " << seed;
    EXPECT_GT(stale_deleted_seen, 0) << "seed " << seed;
  }
}

TEST(ApiServerList, ConsistentListReadsLatestFromStore) {
  ManualRuntime rt;
  FakeApiServer server(&rt, Prng(1), nullptr, OneInstance(absl::Seconds(30)));
  ASSERT_TRUE(server.Create(Pod("ns", "b")).ok());
  ASSERT_TRUE(server.Create(Pod("ns", "a")).ok());
  // RV "" ignores the lagging cache: the store's latest.
  auto page = DoList(rt, server, Opts(""));
  ASSERT_TRUE(page.ok()) << page.status();
  EXPECT_EQ(page->resource_version, "2");
  EXPECT_THAT(Names(page->items), ElementsAre("a@2", "b@1"));
  EXPECT_TRUE(page->continue_token.empty());
  EXPECT_EQ(server.stats().stale_lists, 0);
}

TEST(ApiServerList, ZeroFromLaggingInstanceIsStaleThenCatchesUp) {
  ManualRuntime rt;
  FakeApiServer server(&rt, Prng(1), nullptr, OneInstance(absl::Seconds(10)));
  ASSERT_TRUE(server.Create(Pod("ns", "a")).ok());
  ASSERT_TRUE(server.Create(Pod("ns", "b")).ok());
  // The HA time-travel case: "0" may answer older than anything written.
  auto page = DoList(rt, server, Opts("0", ResourceVersionMatch::kUnset, /*limit=*/500));
  ASSERT_TRUE(page.ok());
  EXPECT_EQ(page->resource_version, "0");
  EXPECT_TRUE(page->items.empty());
  EXPECT_TRUE(page->continue_token.empty()) << "limit is ignored at RV 0";
  EXPECT_EQ(server.stats().stale_lists, 1);
  rt.RunFor(absl::Seconds(10));
  page = DoList(rt, server, Opts("0"));
  ASSERT_TRUE(page.ok());
  EXPECT_EQ(page->resource_version, "2");
  EXPECT_THAT(Names(page->items), ElementsAre("a@1", "b@2"));
  EXPECT_EQ(server.stats().stale_lists, 1);
}

TEST(ApiServerList, NotOlderThanWaitsForTheCache) {
  ManualRuntime rt;
  ApiServerOptions o = OneInstance(absl::Seconds(2));
  o.fresh_wait = absl::Seconds(3);
  FakeApiServer server(&rt, Prng(1), nullptr, o);
  ASSERT_TRUE(server.Create(Pod("ns", "a")).ok());
  const absl::Time start = rt.Now();
  for (ResourceVersionMatch m : {ResourceVersionMatch::kNotOlderThan, ResourceVersionMatch::kUnset}) {
    auto page = DoList(rt, server, Opts("1", m));
    ASSERT_TRUE(page.ok()) << page.status();
    EXPECT_EQ(page->resource_version, "1");
    EXPECT_EQ(rt.Now() - start, absl::Seconds(2)) << "answered once the cache had RV 1";
  }
  // NotOlderThan an old (even compacted) version: the cache's newer state.
  ASSERT_TRUE(server.Create(Pod("ns", "b")).ok());
  rt.RunFor(absl::Seconds(5));
  server.CompactNow();
  auto page = DoList(rt, server, Opts("1", ResourceVersionMatch::kNotOlderThan));
  ASSERT_TRUE(page.ok()) << page.status();
  EXPECT_EQ(page->resource_version, "2");
}

class TooLargeEncoding : public ::testing::TestWithParam<bool> {};

TEST_P(TooLargeEncoding, ListTooFreshFailsAfterFreshWait) {
  ManualRuntime rt;
  ApiServerOptions o = OneInstance(absl::Seconds(10));
  o.fresh_wait = absl::Seconds(3);
  o.legacy_too_large_encoding = GetParam();
  FakeApiServer server(&rt, Prng(1), nullptr, o);
  ASSERT_TRUE(server.Create(Pod("ns", "a")).ok());
  const absl::Time start = rt.Now();
  auto page = DoList(rt, server, Opts("1", ResourceVersionMatch::kNotOlderThan));
  ASSERT_FALSE(page.ok());
  EXPECT_EQ(rt.Now() - start, absl::Seconds(3));
  EXPECT_TRUE(IsTooLargeResourceVersion(page.status())) << page.status();
  EXPECT_TRUE(IsTimeout(page.status()));
  EXPECT_EQ(HasStatusCause(page.status(), kCauseResourceVersionTooLarge), !GetParam());
  // Exact beyond the store: etcd answers at once.
  page = DoList(rt, server, Opts("9", ResourceVersionMatch::kExact));
  ASSERT_FALSE(page.ok());
  EXPECT_TRUE(IsTooLargeResourceVersion(page.status()));
  EXPECT_EQ(server.stats().too_large_responses, 2);
}

INSTANTIATE_TEST_SUITE_P(Encodings, TooLargeEncoding, ::testing::Bool(),
                         [](const ::testing::TestParamInfo<bool>& p) {
                           return p.param ? "Legacy" : "Cause";
                         });

TEST(ApiServerList, ExactReadsSnapshotAndExpiresWhenCompacted) {
  ManualRuntime rt;
  FakeApiServer server(&rt, Prng(1), nullptr, OneInstance());
  ASSERT_TRUE(server.Create(Pod("ns", "a", "v1")).ok());
  ASSERT_TRUE(server.Update(Pod("ns", "a", "v2")).ok());
  ASSERT_TRUE(server.Create(Pod("ns", "b")).ok());
  auto page = DoList(rt, server, Opts("1", ResourceVersionMatch::kExact));
  ASSERT_TRUE(page.ok()) << page.status();
  EXPECT_EQ(page->resource_version, "1");
  EXPECT_THAT(Names(page->items), ElementsAre("a@1"));
  // Unset match with a limit at a version is also exact (legacy rule).
  page = DoList(rt, server, Opts("2", ResourceVersionMatch::kUnset, 10));
  ASSERT_TRUE(page.ok());
  EXPECT_THAT(Names(page->items), ElementsAre("a@2"));
  EXPECT_EQ(server.stats().stale_lists, 2);
  server.CompactNow();
  page = DoList(rt, server, Opts("2", ResourceVersionMatch::kExact));
  ASSERT_FALSE(page.ok());
  EXPECT_TRUE(IsResourceExpired(page.status())) << page.status();
  page = DoList(rt, server, Opts("3", ResourceVersionMatch::kExact));
  ASSERT_TRUE(page.ok()) << "the compacted revision itself is readable";
  page = DoList(rt, server, Opts("0", ResourceVersionMatch::kExact));
  ASSERT_FALSE(page.ok());
  EXPECT_EQ(ReasonOf(page.status()), "Invalid");
}

TEST(ApiServerList, PaginatesConsistentSnapshot) {
  ManualRuntime rt;
  FakeApiServer server(&rt, Prng(1), nullptr, OneInstance());
  for (const char* n : {"e", "d", "c", "b", "a"}) ASSERT_TRUE(server.Create(Pod("ns", n)).ok());
  auto page = DoList(rt, server, Opts("", ResourceVersionMatch::kUnset, 2));
  ASSERT_TRUE(page.ok());
  EXPECT_EQ(page->resource_version, "5");
  EXPECT_THAT(Names(page->items), ElementsAre("a@5", "b@4"));
  ASSERT_FALSE(page->continue_token.empty());
  EXPECT_EQ(page->remaining_item_count, 3);
  // Writes between pages do not show: the pages read the first snapshot.
  ASSERT_TRUE(server.Delete("ns", "c").ok());
  ASSERT_TRUE(server.Create(Pod("ns", "bb")).ok());
  std::vector<std::string> rest;
  std::string token = page->continue_token;
  while (!token.empty()) {
    ListOptions o = Opts("", ResourceVersionMatch::kUnset, 2);
    o.continue_token = token;
    auto next = DoList(rt, server, o);
    ASSERT_TRUE(next.ok()) << next.status();
    EXPECT_EQ(next->resource_version, "5");
    for (auto& n : Names(next->items)) rest.push_back(n);
    token = next->continue_token;
  }
  EXPECT_THAT(rest, ElementsAre("c@3", "d@2", "e@1"));
  EXPECT_EQ(server.stats().list_pages_served, 3);
}

TEST(ApiServerList, ContinueErrors) {
  ManualRuntime rt;
  FakeApiServer server(&rt, Prng(1), nullptr, OneInstance());
  for (const char* n : {"a", "b", "c"}) ASSERT_TRUE(server.Create(Pod("ns", n)).ok());
  auto page = DoList(rt, server, Opts("", ResourceVersionMatch::kUnset, 1));
  ASSERT_TRUE(page.ok());
  const std::string token = page->continue_token;
  ASSERT_FALSE(token.empty());

  // 400: a continue token with a resourceVersion.
  ListOptions o = Opts("3", ResourceVersionMatch::kUnset, 1);
  o.continue_token = token;
  auto r = DoList(rt, server, o);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(ReasonOf(r.status()), "BadRequest");
  EXPECT_THAT(std::string(r.status().message()), HasSubstr("continue"));

  // A continue may come with resourceVersion "0" (etcd3 ignores it), never
  // with a resourceVersionMatch (422).
  o = Opts("0", ResourceVersionMatch::kUnset, 1);
  o.continue_token = token;
  auto zero = DoList(rt, server, o);
  ASSERT_TRUE(zero.ok()) << zero.status();
  EXPECT_EQ(Names(zero->items), std::vector<std::string>{"b@2"});
  o = Opts("", ResourceVersionMatch::kNotOlderThan, 1);
  o.continue_token = token;
  auto match = DoList(rt, server, o);
  ASSERT_FALSE(match.ok());
  EXPECT_EQ(ReasonOf(match.status()), "Invalid");

  // 400: a malformed token.
  for (const char* bad : {"garbage", "c1:zz:61", "c1:3:6", "c1::61", "c2:3:61"}) {
    o = Opts("", ResourceVersionMatch::kUnset, 1);
    o.continue_token = bad;
    r = DoList(rt, server, o);
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_EQ(ReasonOf(r.status()), "BadRequest") << bad;
    EXPECT_THAT(std::string(r.status().message()), HasSubstr("continue key is not valid"));
  }
  EXPECT_EQ(server.stats().bad_requests, 7);  // with the 422

  // 410 once the snapshot is compacted (RF6's inconsistent continue).
  ASSERT_TRUE(server.Create(Pod("ns", "d")).ok());
  server.CompactNow();
  o = Opts("", ResourceVersionMatch::kUnset, 1);
  o.continue_token = token;
  r = DoList(rt, server, o);
  ASSERT_FALSE(r.ok());
  EXPECT_TRUE(IsResourceExpired(r.status())) << r.status();
  EXPECT_THAT(std::string(r.status().message()), HasSubstr("continue parameter is too old"));
  EXPECT_EQ(server.stats().continue_expired, 1);
}

TEST(ApiServerList, InvalidResourceVersionIsBadRequest) {
  ManualRuntime rt;
  FakeApiServer server(&rt, Prng(1), nullptr, OneInstance());
  auto r = DoList(rt, server, Opts("abc"));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(ReasonOf(r.status()), "BadRequest");
  r = DoList(rt, server, Opts("", ResourceVersionMatch::kNotOlderThan));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(ReasonOf(r.status()), "Invalid");
}

TEST(ApiServerList, RoutesRequestsAcrossInstances) {
  ManualRuntime rt;
  ApiServerOptions o;
  o.instance_lags = {absl::ZeroDuration(), absl::Hours(1)};
  FakeApiServer server(&rt, Prng(7), nullptr, o);
  ASSERT_EQ(server.instance_count(), 2u);
  ASSERT_TRUE(server.Create(Pod("ns", "a")).ok());
  int fresh = 0, stale = 0;
  for (int k = 0; k < 40; ++k) {
    auto page = DoList(rt, server, Opts("0"));
    ASSERT_TRUE(page.ok());
    (page->resource_version == "1" ? fresh : stale)++;
  }
  EXPECT_GT(fresh, 5);
  EXPECT_GT(stale, 5);
  EXPECT_EQ(server.stats().stale_lists, stale);
}

TEST(ApiServerList, SetInstanceLagZeroCatchesUpAtOnce) {
  ManualRuntime rt;
  FakeApiServer server(&rt, Prng(1), nullptr, OneInstance(absl::Hours(1)));
  ASSERT_TRUE(server.Create(Pod("ns", "a")).ok());
  EXPECT_EQ(DoList(rt, server, Opts("0"))->resource_version, "0");
  server.SetInstanceLag(0, absl::ZeroDuration());
  EXPECT_EQ(DoList(rt, server, Opts("0"))->resource_version, "1");
  ASSERT_TRUE(server.Create(Pod("ns", "b")).ok());
  EXPECT_EQ(DoList(rt, server, Opts("0"))->resource_version, "2");
}

// An instance nobody watches or waits on applies its changes when it is
// next read or written, not on a timer per write; what a request sees is
// the same: every change whose lag has passed, none other.
TEST(ApiServerList, IdleInstanceTakesNoTimerPerWrite) {
  ManualRuntime rt;
  ApiServerOptions o = OneInstance(absl::Seconds(10));
  o.compaction_interval = absl::ZeroDuration();  // its timer aside
  FakeApiServer server(&rt, Prng(1), nullptr, o);
  const absl::Time start = rt.Now();
  ASSERT_TRUE(server.Create(Pod("ns", "a")).ok());
  EXPECT_EQ(rt.NextTimerDeadline(), absl::InfiniteFuture());
  rt.AdvanceTo(start + absl::Seconds(4));
  ASSERT_TRUE(server.Create(Pod("ns", "b")).ok());
  EXPECT_EQ(rt.NextTimerDeadline(), absl::InfiniteFuture());
  rt.AdvanceTo(start + absl::Seconds(10));
  auto page = DoList(rt, server, Opts("0"));
  ASSERT_TRUE(page.ok());
  EXPECT_EQ(page->resource_version, "1") << "a is due at 10s, b at 14s";
  EXPECT_THAT(Names(page->items), ElementsAre("a@1"));
  rt.AdvanceTo(start + absl::Seconds(14));
  page = DoList(rt, server, Opts("0"));
  ASSERT_TRUE(page.ok());
  EXPECT_EQ(page->resource_version, "2");
  EXPECT_THAT(Names(page->items), ElementsAre("a@1", "b@2"));
}

// The changes an idle instance holds are let go as they fall due, at its
// next write: a lagging cache nobody reads keeps only its lag's worth.
TEST(ApiServerList, IdleInstanceLetsGoOfDueChangesAtTheNextWrite) {
  ManualRuntime rt;
  FakeApiServer server(&rt, Prng(1), nullptr, OneInstance(absl::Seconds(1)));
  absl::StatusOr<ObjectPtr> first = server.Create(Pod("ns", "a", "one"));
  ASSERT_TRUE(first.ok());
  std::weak_ptr<const api::Object> first_version = *first;
  first = absl::StatusOr<ObjectPtr>(nullptr);
  ASSERT_TRUE(server.Update(Pod("ns", "a", "two")).ok());
  server.CompactNow();  // the store keeps only a@2
  rt.AdvanceTo(rt.Now() + absl::Seconds(5));
  EXPECT_FALSE(first_version.expired()) << "nothing has touched the instance";
  ASSERT_TRUE(server.Update(Pod("ns", "a", "three")).ok());
  EXPECT_TRUE(first_version.expired()) << "a@1 and a@2 were due: applied, a@1 dropped";
}

// A longer lag on an idle instance applies to later commits only.
TEST(ApiServerList, LongerLagOnAnIdleInstanceKeepsEarlierChangesTimes) {
  ManualRuntime rt;
  FakeApiServer server(&rt, Prng(1), nullptr, OneInstance(absl::Seconds(2)));
  const absl::Time start = rt.Now();
  ASSERT_TRUE(server.Create(Pod("ns", "a")).ok());
  rt.AdvanceTo(start + absl::Seconds(1));
  server.SetInstanceLag(0, absl::Seconds(10));
  ASSERT_TRUE(server.Create(Pod("ns", "b")).ok());
  rt.AdvanceTo(start + absl::Seconds(2));
  EXPECT_EQ(DoList(rt, server, Opts("0"))->resource_version, "1");
  rt.AdvanceTo(start + absl::Seconds(10));
  EXPECT_EQ(DoList(rt, server, Opts("0"))->resource_version, "1");
  rt.AdvanceTo(start + absl::Seconds(11));
  EXPECT_EQ(DoList(rt, server, Opts("0"))->resource_version, "2");
}

// A change due at the very time a wait times out is in time: the wait is
// answered, on an idle instance and on one whose watch keeps a timer.
TEST(ApiServerList, WaitEndingWhenTheChangeFallsDueIsAnswered) {
  {
    ManualRuntime rt;
    ApiServerOptions o = OneInstance(absl::Seconds(3));
    o.fresh_wait = absl::Seconds(3);
    FakeApiServer server(&rt, Prng(1), nullptr, o);
    ASSERT_TRUE(server.Create(Pod("ns", "a")).ok());
    auto page = DoList(rt, server, Opts("1", ResourceVersionMatch::kNotOlderThan));
    ASSERT_TRUE(page.ok()) << page.status();
    EXPECT_EQ(page->resource_version, "1");
  }
  {
    ManualRuntime rt;
    ApiServerOptions o = OneInstance(absl::Seconds(10));
    o.fresh_wait = absl::Seconds(3);
    FakeApiServer server(&rt, Prng(1), nullptr, o);
    const absl::Time start = rt.Now();
    auto w = DoWatch(rt, server, Opts("0"));  // keeps the instance's timer
    ASSERT_TRUE(w.status.ok());
    ASSERT_TRUE(server.Create(Pod("ns", "a")).ok());
    rt.AdvanceTo(start + absl::Seconds(1));
    ASSERT_TRUE(server.Create(Pod("ns", "b")).ok());
    rt.RunFor(absl::Seconds(7));  // a shows at 10 s, b at 11 s
    auto page = DoList(rt, server, Opts("2", ResourceVersionMatch::kNotOlderThan));
    ASSERT_TRUE(page.ok()) << page.status();
    EXPECT_EQ(page->resource_version, "2");
    EXPECT_EQ(rt.Now() - start, absl::Seconds(11));
  }
}

// A shorter lag on an instance a watch reads brings its waiting changes
// forward: the stream hears of them at the new time.
TEST(ApiServerList, ShorterLagOnAWatchedInstanceBringsEventsForward) {
  ManualRuntime rt;
  FakeApiServer server(&rt, Prng(1), nullptr, OneInstance(absl::Seconds(10)));
  const absl::Time start = rt.Now();
  auto w = DoWatch(rt, server, Opts("0"));
  ASSERT_TRUE(w.status.ok());
  ASSERT_TRUE(server.Create(Pod("ns", "a")).ok());
  rt.AdvanceTo(start + absl::Seconds(2));
  ASSERT_TRUE(server.Create(Pod("ns", "b")).ok());
  server.SetInstanceLag(0, absl::Seconds(1));  // a is due now, b at 3 s
  rt.RunUntilIdle();
  ASSERT_EQ(w.consumer->log.size(), 1u);
  EXPECT_EQ(w.consumer->log[0], "ADDED ns/a rv=1");
  rt.RunFor(absl::Seconds(5));
  ASSERT_EQ(w.consumer->times.size(), 2u);
  EXPECT_EQ(w.consumer->log[1], "ADDED ns/b rv=2");
  EXPECT_EQ(w.consumer->times[0] - start, absl::Seconds(2));
  EXPECT_EQ(w.consumer->times[1] - start, absl::Seconds(3));
}

TEST(ApiServerList, ResponseLatencyIsDrawnInRange) {
  ManualRuntime rt;
  ApiServerOptions o = OneInstance();
  o.min_latency = absl::Milliseconds(10);
  o.max_latency = absl::Milliseconds(50);
  FakeApiServer server(&rt, Prng(3), nullptr, o);
  for (int k = 0; k < 20; ++k) {
    const absl::Time start = rt.Now();
    ASSERT_TRUE(DoList(rt, server, Opts("0")).ok());
    EXPECT_GE(rt.Now() - start, absl::Milliseconds(10));
    EXPECT_LE(rt.Now() - start, absl::Milliseconds(50));
  }
}

TEST(ApiServerList, PeriodicCompactionKeepsTheHistoryWindow) {
  ManualRuntime rt;
  ApiServerOptions o = OneInstance();
  o.compaction_interval = absl::Minutes(1);
  o.history_window_events = 2;
  FakeApiServer server(&rt, Prng(1), nullptr, o);
  for (int k = 0; k < 5; ++k) ASSERT_TRUE(server.Create(Pod("ns", absl::StrCat("p", k))).ok());
  rt.RunFor(absl::Minutes(1));
  EXPECT_EQ(server.store().compacted_rv(), 3);
  EXPECT_EQ(server.stats().compactions, 1);
  auto r = DoList(rt, server, Opts("2", ResourceVersionMatch::kExact));
  EXPECT_TRUE(IsResourceExpired(r.status()));
  rt.RunFor(absl::Minutes(1));
  EXPECT_EQ(server.stats().compactions, 1) << "nothing new to compact";
}

}  // namespace
}  // namespace sim
}  // namespace informersim
