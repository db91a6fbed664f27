#include "sim/sim_options.h"

#include <algorithm>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "gtest/gtest.h"
#include "sim/scenario.h"

namespace informersim {
namespace sim {
namespace {

absl::StatusOr<SimOptions> Parse(std::vector<std::string> flags) { return OptionsFromFlags(flags); }

TEST(SimOptions, NoFlagsIsTheDefaultScenarioAtSeedOne) {
  absl::StatusOr<SimOptions> o = Parse({});
  ASSERT_TRUE(o.ok()) << o.status();
  EXPECT_EQ(o->seed, 1u);
  EXPECT_EQ(o->scenario, "default");
  EXPECT_EQ(o->workload.initial_objects, 1000);
  EXPECT_EQ(o->workload.writes_per_second, 100);
  EXPECT_FALSE(o->faults.empty());
  EXPECT_GE(o->server.instance_lags.size(), 2u);
}

TEST(SimOptions, FlagsOverrideTheScenario) {
  absl::StatusOr<SimOptions> o =
      Parse({"--seed=42", "--profile=classic", "--duration=90s", "--objects=10",
             "--write_rate=5", "--instances=3", "--max_lag=4s", "--faults=1s:break,2s:lag:2:3s",
             "--handlers=3", "--late_handlers=1", "--page_size=7", "--nobookmarks",
             "--watch_list=false", "--resync=0s", "--spec_bytes=1000"});
  ASSERT_TRUE(o.ok()) << o.status();
  EXPECT_EQ(o->seed, 42u);
  EXPECT_EQ(o->profile, Profile::kClassic);
  EXPECT_EQ(o->duration, absl::Seconds(90));
  EXPECT_EQ(o->workload.initial_objects, 10);
  EXPECT_EQ(o->server.instance_lags,
            (std::vector<absl::Duration>{absl::ZeroDuration(), absl::Seconds(2), absl::Seconds(4)}));
  ASSERT_EQ(o->faults.size(), 2u);
  EXPECT_EQ(o->faults[1].kind, FaultKind::kLagInstance);
  EXPECT_EQ(o->faults[1].target, 2);
  EXPECT_EQ(o->faults[1].duration, absl::Seconds(3));
  ASSERT_EQ(o->handlers.size(), 4u);
  EXPECT_EQ(o->handlers[3].added_at, absl::Seconds(45));
  EXPECT_EQ(o->page_size, 7);
  EXPECT_EQ(o->server.bookmark_interval, absl::ZeroDuration());
  EXPECT_FALSE(o->server.watch_list_supported);
  EXPECT_EQ(o->resync_period, absl::ZeroDuration());
  EXPECT_EQ(o->workload.min_spec_bytes, 500);
  EXPECT_EQ(o->workload.max_spec_bytes, 1500);
}

TEST(SimOptions, BadFlagsAreClearErrors) {
  const std::vector<std::vector<std::string>> bad = {
      {"--bogus=1"},        {"--seed=abc"},          {"--profile=modern"},
      {"--duration=soon"},  {"--duration=0s"},       {"--objects=-1"},
      {"--instances=0"},    {"--faults=1s:explode"}, {"--faults=1s:lag:9:1s"},
      {"--faults=x:break"}, {"--scenario=nope"},     {"positional"},
      {"--page_size"},      {"--swarm=maybe"},       {"--faults=5s:stall:7:1s"},
  };
  for (const auto& flags : bad) {
    absl::StatusOr<SimOptions> o = Parse(flags);
    EXPECT_FALSE(o.ok()) << flags[0];
    if (!o.ok()) {
      EXPECT_FALSE(o.status().message().empty());
    }
  }
  absl::StatusOr<SimOptions> o = Parse({"--bogus=1"});
  EXPECT_NE(std::string(o.status().message()).find("--bogus"), std::string::npos);
}

TEST(SimOptions, ScriptedFaultsRoundTrip) {
  const std::string text = "10s:break,20s:compact,30s:lag:1:5s,40s:refuse:2s,45s:fail:1s,"
                           "50s:pause:3s,55s:stall:0:4s,1m:add,70s:restart";
  absl::StatusOr<std::vector<ScriptedFault>> f = ParseScriptedFaults(text);
  ASSERT_TRUE(f.ok()) << f.status();
  ASSERT_EQ(f->size(), 9u);
  absl::StatusOr<std::vector<ScriptedFault>> again = ParseScriptedFaults(FormatScriptedFaults(*f));
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(FormatScriptedFaults(*again), FormatScriptedFaults(*f));
  EXPECT_TRUE(ParseScriptedFaults("none")->empty());
  EXPECT_FALSE(ParseScriptedFaults("10s:lag:1").ok());
}

TEST(SimOptions, ChurnAndListTriggeredFaults) {
  absl::StatusOr<std::vector<ScriptedFault>> f =
      ParseScriptedFaults("5s:churn:2s,6s:compact@list,7s:lag@list:0:3s");
  ASSERT_TRUE(f.ok()) << f.status();
  ASSERT_EQ(f->size(), 3u);
  EXPECT_EQ((*f)[0].kind, FaultKind::kChurn);
  EXPECT_EQ((*f)[0].duration, absl::Seconds(2));
  EXPECT_FALSE((*f)[0].on_list);
  EXPECT_TRUE((*f)[1].on_list);
  EXPECT_EQ((*f)[1].kind, FaultKind::kCompact);
  EXPECT_TRUE((*f)[2].on_list);
  EXPECT_EQ((*f)[2].kind, FaultKind::kLagInstance);
  EXPECT_EQ(FormatScriptedFaults(*f), "5s:churn:2s,6s:compact@list,7s:lag@list:0:3s");
  EXPECT_FALSE(ParseScriptedFaults("5s:churn").ok());
  EXPECT_FALSE(ParseScriptedFaults("5s:compact@later").ok());
}

TEST(SimOptions, RatesOffTurnsSingleRateFaultsOff) {
  absl::StatusOr<SimOptions> o = Parse({"--rates_off=watch_break,continue_expired"});
  ASSERT_TRUE(o.ok()) << o.status();
  EXPECT_EQ(o->fault_rates.watch_break, 0);
  EXPECT_EQ(o->fault_rates.continue_expired, 0);
  EXPECT_GT(o->fault_rates.list_too_many_requests, 0);  // the default scenario's
  const std::vector<std::string> on = NonZeroRates(o->fault_rates);
  EXPECT_EQ(std::count(on.begin(), on.end(), "watch_break"), 0);
  EXPECT_EQ(std::count(on.begin(), on.end(), "list_too_many_requests"), 1);
  absl::StatusOr<SimOptions> bad = Parse({"--rates_off=watch_brake"});
  ASSERT_FALSE(bad.ok());
  EXPECT_TRUE(absl::StrContains(bad.status().message(), "watch_brake")) << bad.status();
}

TEST(SimOptions, RefusedTagsFlagAndSwarmDraw) {
  absl::StatusOr<SimOptions> o = Parse({"--refused_tags=0.1"});
  ASSERT_TRUE(o.ok()) << o.status();
  EXPECT_DOUBLE_EQ(o->workload.refused_tag_fraction, 0.1);
  EXPECT_GT(o->workload.tag_values, 0);  // a tags label to carry the value
  for (const char* bad : {"--refused_tags=1.5", "--refused_tags=-0.1", "--refused_tags=x"}) {
    absl::StatusOr<SimOptions> b = Parse({bad});
    ASSERT_FALSE(b.ok()) << bad;
    EXPECT_TRUE(absl::StrContains(b.status().message(), "--refused_tags")) << b.status();
  }
  // The swarm draws it in some small and medium worlds with tags, never
  // in large ones; the flag overrides the draw.
  int drawn = 0;
  for (uint64_t seed = 1; seed <= 400; ++seed) {
    const SimOptions w = DrawSwarm(SimOptions(), seed, false);
    if (w.workload.refused_tag_fraction > 0) {
      ++drawn;
      EXPECT_GT(w.workload.tag_values, 0);
      EXPECT_NE(w.swarm_world, SwarmWorld::kLarge);
    }
  }
  EXPECT_GT(drawn, 20);
  EXPECT_LT(drawn, 100);
  absl::StatusOr<SimOptions> off = Parse({"--swarm", "--seed=3", "--refused_tags=0"});
  ASSERT_TRUE(off.ok()) << off.status();
  EXPECT_EQ(off->workload.refused_tag_fraction, 0);
}

TEST(SimOptions, InterimProfile) {
  absl::StatusOr<SimOptions> o = Parse({"--profile=interim"});
  ASSERT_TRUE(o.ok()) << o.status();
  EXPECT_EQ(o->profile, Profile::kInterim);
  absl::StatusOr<SimOptions> bad = Parse({"--profile=newest"});
  ASSERT_FALSE(bad.ok());
  EXPECT_TRUE(absl::StrContains(bad.status().message(), "interim")) << bad.status();
  // The swarm draws every profile and every world size.
  std::set<Profile> profiles;
  std::set<SwarmWorld> worlds;
  for (uint64_t seed = 1; seed <= 100; ++seed) {
    const SimOptions d = DrawSwarm(*ScenarioOptions("default", seed), seed);
    profiles.insert(d.profile);
    worlds.insert(d.swarm_world);
  }
  EXPECT_EQ(profiles.size(), 3u);
  EXPECT_EQ(worlds, (std::set<SwarmWorld>{SwarmWorld::kSmall, SwarmWorld::kMedium,
                                          SwarmWorld::kLarge}));
}

TEST(SimOptions, SwarmIsDecidedByTheSeedAndExplicitFlagsWin) {
  absl::StatusOr<SimOptions> a = Parse({"--swarm", "--seed=5"});
  absl::StatusOr<SimOptions> b = Parse({"--swarm", "--seed=5"});
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ(FormatScriptedFaults(a->faults), FormatScriptedFaults(b->faults));
  EXPECT_EQ(a->profile, b->profile);
  EXPECT_EQ(a->page_size, b->page_size);
  // Different seeds explore different corners.
  bool differs = false;
  for (uint64_t seed = 6; seed < 16 && !differs; ++seed) {
    absl::StatusOr<SimOptions> c = Parse({"--swarm", "--seed=" + std::to_string(seed)});
    ASSERT_TRUE(c.ok()) << c.status();
    differs = c->profile != a->profile || c->page_size != a->page_size ||
              FormatScriptedFaults(c->faults) != FormatScriptedFaults(a->faults);
  }
  EXPECT_TRUE(differs);
  absl::StatusOr<SimOptions> pinned = Parse({"--swarm", "--seed=5", "--profile=classic"});
  ASSERT_TRUE(pinned.ok());
  EXPECT_EQ(pinned->profile, Profile::kClassic);
  for (uint64_t seed = 1; seed < 200; ++seed) {
    EXPECT_TRUE(ValidateOptions(DrawSwarm(*ScenarioOptions("default", seed), seed)).ok()) << seed;
  }
}

// --world forces the size class without shifting the other draws: a seed
// that drew that class anyway gives the same world with or without it.
TEST(SimOptions, WorldFlagForcesTheSizeClass) {
  int same_world_seeds = 0;
  for (uint64_t seed = 1; seed <= 40; ++seed) {
    const std::string s = "--seed=" + std::to_string(seed);
    absl::StatusOr<SimOptions> drawn = Parse({"--swarm", s});
    absl::StatusOr<SimOptions> small = Parse({"--swarm", s, "--world=small"});
    absl::StatusOr<SimOptions> large = Parse({"--swarm", s, "--world=large"});
    ASSERT_TRUE(drawn.ok() && small.ok() && large.ok()) << seed;
    EXPECT_EQ(small->swarm_world, SwarmWorld::kSmall);
    EXPECT_EQ(large->swarm_world, SwarmWorld::kLarge);
    EXPECT_LE(small->workload.initial_objects, 12) << seed;
    if (drawn->swarm_world == SwarmWorld::kSmall) {
      ++same_world_seeds;
      EXPECT_EQ(FormatScriptedFaults(small->faults), FormatScriptedFaults(drawn->faults)) << seed;
      EXPECT_EQ(small->workload.initial_objects, drawn->workload.initial_objects) << seed;
      EXPECT_EQ(small->profile, drawn->profile) << seed;
    }
  }
  EXPECT_GT(same_world_seeds, 0);
  EXPECT_FALSE(Parse({"--swarm", "--world=tiny"}).ok());
  absl::StatusOr<SimOptions> no_swarm = Parse({"--world=small"});
  ASSERT_FALSE(no_swarm.ok());
  EXPECT_NE(no_swarm.status().message().find("--swarm"), std::string::npos);
}

// Found by the flags fuzzer: --handlers=3 over the default scenario, whose
// late handler is named "handler-2", gave two handlers that name (and an
// emitted scenario that does not parse). Names stay unique.
TEST(SimOptions, HandlerNamesStayUnique) {
  absl::StatusOr<SimOptions> o = Parse({"--handlers=3"});
  ASSERT_TRUE(o.ok()) << o.status();
  std::set<std::string> names;
  for (size_t i = 0; i < o->handlers.size(); ++i) {
    const std::string name =
        o->handlers[i].name.empty() ? absl::StrCat("handler-", i) : o->handlers[i].name;
    EXPECT_TRUE(names.insert(name).second) << name;
  }
  EXPECT_EQ(names.size(), o->handlers.size());
  absl::StatusOr<ScenarioFile> again = ParseScenario(ScenarioText(*o, {}), "emitted", "x");
  EXPECT_TRUE(again.ok()) << again.status();
}

// Found by the flags fuzzer: a resync period beyond what a scenario file
// can state was accepted. Durations stay within 24h.
TEST(SimOptions, ResyncPeriodIsBounded) {
  absl::StatusOr<SimOptions> huge = Parse({"--swarm", "--resync=9999999099999s"});
  ASSERT_FALSE(huge.ok());
  EXPECT_NE(huge.status().message().find("longer than the maximum"), std::string::npos)
      << huge.status();
  absl::StatusOr<SimOptions> day = Parse({"--resync=24h"});
  ASSERT_TRUE(day.ok()) << day.status();
  EXPECT_TRUE(ParseScenario(ScenarioText(*day, {}), "emitted", "x").ok());
}

void ExpectRefused(std::vector<std::string> flags, const std::string& says) {
  absl::StatusOr<SimOptions> o = Parse(flags);
  ASSERT_FALSE(o.ok()) << absl::StrJoin(flags, " ") << " was accepted";
  EXPECT_NE(o.status().message().find(says), std::string::npos)
      << absl::StrJoin(flags, " ") << ": " << o.status();
}

// Each limit of sim/limits.h, at the flag and where only the product of
// in-range values passes it.
TEST(SimOptions, RunsBeyondTheStatedLimitsAreRefused) {
  ExpectRefused({"--objects=1000001"}, "not an integer in [0, 1000000]");
  // Sizes are drawn up to 3/2 of --spec_bytes, at most 1 MiB.
  ExpectRefused({"--spec_bytes=699051"}, "[2, 699050]");
  EXPECT_TRUE(Parse({"--spec_bytes=699050", "--objects=10", "--duration=1s"}).ok());
  ExpectRefused({"--write_rate=100001"}, "[0, 100000]");
  ExpectRefused({"--duration=25h"}, "longer than the maximum 24h");
  ExpectRefused({"--objects=1000000", "--spec_bytes=1000"},
                "953 MiB, more than the limit of 256 MiB");
  ExpectRefused({"--objects=1000000", "--spec_bytes=699050"}, "more than the limit of 256 MiB");
  ExpectRefused({"--write_rate=100000", "--duration=24h"},
                "8640000000 writes, more than the limit of 20000000");
  ExpectRefused({"--write_rate=20000", "--duration=3m"},
                "hold 3600000 writes before compacting them");
  ExpectRefused({"--write_rate=2000", "--duration=2m", "--spec_bytes=20000"},
                "MiB of written specs before compacting them");
  ExpectRefused({"--instances=17"}, "[1, 16]");
  ExpectRefused({"--handlers=65"}, "[0, 64]");
  ExpectRefused({"--page_size=1000001"}, "[0, 1000000]");
  ExpectRefused({"--seeds=1000000001"}, "[1, 1000000000]");
}

TEST(SimOptions, RunsAtTheLimitsAreAccepted) {
  // 1,000,000 objects of 136 bytes on average: 130 MiB of specs.
  EXPECT_TRUE(Parse({"--objects=1000000"}).ok());
  EXPECT_TRUE(Parse({"--objects=1900", "--spec_bytes=140000", "--duration=10s"}).ok());
  // 19.9M writes over 24h, held for 5 minutes at a time.
  EXPECT_TRUE(Parse({"--write_rate=230", "--duration=24h"}).ok());
  EXPECT_TRUE(Parse({"--write_rate=6000", "--duration=5m"}).ok());
  // Code-set options meet the same limits as flags.
  absl::StatusOr<SimOptions> o = Parse({});
  ASSERT_TRUE(o.ok());
  o->workload.initial_objects = 2000000;
  EXPECT_NE(ValidateOptions(*o).message().find("more than the limit of 1000000"),
            std::string::npos);
  o->workload.initial_objects = 10;
  o->server.compaction_interval = absl::ZeroDuration();
  o->workload.writes_per_second = 20000;
  o->duration = absl::Minutes(2);
  EXPECT_NE(ValidateOptions(*o).message().find("hold 2400000 writes"), std::string::npos)
      << ValidateOptions(*o);
}

TEST(SimOptions, RunFlagsDropToolFlagsAndPinTheSeed) {
  const std::vector<std::string> run =
      RunFlags({"--seed=3", "--profile=classic", "--trace_out=x", "--check_determinism",
                "--seeds=9", "--quiet"},
               4);
  EXPECT_EQ(run, (std::vector<std::string>{"--seed=4", "--profile=classic"}));
  EXPECT_TRUE(IsToolFlag("--replay=a"));
  EXPECT_FALSE(IsToolFlag("--profile=classic"));
}

}  // namespace
}  // namespace sim
}  // namespace informersim
