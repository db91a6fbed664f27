// End to end: a real SharedIndexInformer (Reflector -> DeltaFIFO/RealFIFO
// -> indexer) over the FakeApiServer, in both profiles, through writes,
// lagging instances, latency, broken watches, compaction and rate faults.
// After the faults stop, the indexer equals the server's objects (INV1:
// keys and resourceVersions).
#include <map>
#include <string>
#include <tuple>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "core/keys.h"
#include "core/manual_runtime.h"
#include "core/profile.h"
#include "core/reflector_feeder.h"
#include "core/shared_informer.h"
#include "gtest/gtest.h"
#include "sim/api_server.h"
#include "sim/prng.h"
#include "tests/sim/api_server_test_util.h"

namespace informersim {
namespace sim {
namespace {

using testing::Pod;

std::map<std::string, std::string> Truth(const FakeApiServer& server) {
  std::map<std::string, std::string> out;
  for (const ObjectPtr& o : server.Objects()) {
    out[*MetaNamespaceKeyFunc(Item(o))] = o->metadata().resource_version();
  }
  return out;
}

std::map<std::string, std::string> View(const Store& store) {
  std::map<std::string, std::string> out;
  for (const Item& item : store.List()) {
    out[*MetaNamespaceKeyFunc(item)] = std::string(item.resource_version());
  }
  return out;
}

// profile, watch_list_supported, seed
using Param = std::tuple<Profile, bool, uint64_t>;

class ApiServerInformer : public ::testing::TestWithParam<Param> {};

// `slow_lag`: a third instance lags beyond fresh_wait, so watches and
// relists routed there fail "too large" and stale "0" lists travel back in
// time (the HA case); the informer still converges once faults stop.
void RunScenario(Profile profile, bool watch_list_supported, uint64_t seed, bool slow_lag) {
  ManualRuntime rt;
  // A seeded choice among the runnable strands explores interleavings.
  Prng sched = Prng::Stream(seed, "sched");
  rt.SetChooser([&sched](size_t n) { return static_cast<size_t>(sched.Below(n)); });
  ApiServerOptions o;
  o.instance_lags = {absl::ZeroDuration(), absl::Milliseconds(400)};
  if (slow_lag) o.instance_lags.push_back(absl::Seconds(5));
  o.fresh_wait = absl::Seconds(3);
  o.min_latency = absl::Milliseconds(1);
  o.max_latency = absl::Milliseconds(30);
  o.bookmark_interval = absl::Seconds(5);
  o.compaction_interval = absl::Seconds(30);
  o.history_window_events = 50;
  o.watch_list_supported = watch_list_supported;
  FakeApiServer server(&rt, Prng::Stream(seed, "server"), nullptr, o);
  Prng client_random = Prng::Stream(seed, "client");
  Prng workload = Prng::Stream(seed, "workload");

  for (int k = 0; k < 30; ++k) ASSERT_TRUE(server.Create(Pod("ns", absl::StrCat("p", k))).ok());

  SharedIndexInformerOptions io;
  io.profile.profile = profile;
  io.resync_period = absl::Seconds(7);
  io.watch_list_page_size = seed % 2 == 0 ? 7 : 0;  // paginated exact relists on even seeds
  SharedIndexInformer informer(&rt, ReflectorFeederFactory(&server, &rt, &client_random), io);
  informer.Run();

  auto write_some = [&](int n) {
    for (int k = 0; k < n; ++k) {
      const std::string name = absl::StrCat("p", workload.Below(40));
      switch (workload.Below(3)) {
        case 0:
          if (!server.Create(Pod("ns", name)).ok()) {
            ASSERT_TRUE(server.Update(Pod("ns", name, absl::StrCat("v", k))).ok());
          }
          break;
        case 1:
          (void)server.Update(Pod("ns", name, absl::StrCat("u", k)));
          break;
        case 2:
          (void)server.Delete("ns", name);  // a later create recreates it (new uid)
          break;
      }
      rt.RunFor(absl::Milliseconds(static_cast<int64_t>(workload.Below(300))));
    }
  };

  write_some(40);
  if (!slow_lag) {
    EXPECT_TRUE(informer.HasSynced());
  }
  server.BreakWatches();
  write_some(40);
  server.CompactNow();
  server.BreakWatches();
  write_some(20);

  ServerFaultRates faults;
  faults.list_too_many_requests = 0.1;
  faults.list_internal_error = 0.1;
  faults.watch_too_many_requests = 0.1;
  faults.connection_refused = 0.05;
  faults.continue_expired = 0.2;
  faults.watch_break = 0.05;
  faults.watch_error_event = 0.05;
  server.SetFaultRates(faults);
  write_some(80);
  server.SetInstanceLag(1, absl::Seconds(3));
  write_some(30);
  server.CompactNow();
  write_some(30);

  // Faults stop; the informer catches up.
  server.SetFaultRates(ServerFaultRates{});
  server.SetInstanceLag(1, absl::ZeroDuration());
  rt.RunFor(absl::Minutes(3));

  EXPECT_TRUE(informer.HasSynced());
  EXPECT_EQ(View(*informer.GetStore()), Truth(server))
      << "profile " << ProfileName(profile) << " seed " << seed;
  const ApiServerStats s = server.stats();
  EXPECT_GT(Truth(server).size(), 5u);
  if (!slow_lag) {
    EXPECT_GT(s.events_sent, 50);
  }
  ::testing::Test::RecordProperty(
      "server", absl::StrCat("lists=", s.list_requests, " watches=", s.watch_requests,
                             " opened=", s.watches_opened, " events=", s.events_sent,
                             " initial=", s.initial_events_sent, " bookmarks=", s.bookmarks_sent,
                             " expired=", s.expired_responses, " breaks=", s.watch_breaks,
                             " stale=", s.stale_lists, " bad=", s.bad_requests,
                             " writes=", s.writes, " objects=", Truth(server).size()));
  if (!slow_lag) {
    EXPECT_GT(s.watch_breaks, 0);
  }
  EXPECT_GT(s.list_requests + s.watch_requests, 2);
  if (profile == Profile::kCurrent && watch_list_supported) {
    EXPECT_GT(s.initial_events_sent, 0);
  }

  informer.Stop();
  server.Shutdown();
  rt.RunFor(absl::Minutes(1));
}

TEST_P(ApiServerInformer, ConvergesToServerState) {
  const auto [profile, watch_list_supported, seed] = GetParam();
  RunScenario(profile, watch_list_supported, seed, /*slow_lag=*/false);
}

TEST_P(ApiServerInformer, ConvergesWithAnInstanceLaggingBeyondFreshWait) {
  const auto [profile, watch_list_supported, seed] = GetParam();
  RunScenario(profile, watch_list_supported, seed, /*slow_lag=*/true);
}

INSTANTIATE_TEST_SUITE_P(
    Profiles, ApiServerInformer,
    ::testing::Combine(::testing::Values(Profile::kClassic, Profile::kCurrent),
                       ::testing::Bool(), ::testing::Range<uint64_t>(1, 9)),
    [](const ::testing::TestParamInfo<Param>& p) {
      return absl::StrCat(ProfileName(std::get<0>(p.param)),
                          std::get<1>(p.param) ? "_WatchList" : "_NoWatchList", "_seed",
                          std::get<2>(p.param));
    });

}  // namespace
}  // namespace sim
}  // namespace informersim
