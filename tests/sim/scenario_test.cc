// Tests of scenario files (sim/scenario.h): the embedded scenarios, the
// corpus of malformed files (each names its expected FILE:LINE:COLUMN
// error), what a file states and what it leaves alone, swarm + scenario,
// scripted writes, expectations, and --emit_scenario's text replaying a
// swarm seed exactly.
#include "sim/scenario.h"

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "sim/sim_options.h"
#include "sim/simulation.h"

namespace informersim {
namespace sim {
namespace {

using ::testing::HasSubstr;

absl::StatusOr<SimOptions> FromText(const std::string& text, std::vector<std::string> flags = {}) {
  const std::string path =
      absl::StrCat(::testing::TempDir(), "/t", std::hash<std::string>()(text), ".scenario");
  std::ofstream(path) << text;
  flags.push_back("--scenario=" + path);
  return OptionsFromFlags(flags);
}

TEST(Scenario, EmbeddedScenariosAreTheFilesAndKeepTheirShape) {
  absl::StatusOr<SimOptions> d = ScenarioOptions("default", 1);
  ASSERT_TRUE(d.ok()) << d.status();
  EXPECT_EQ(d->scenario, "default");
  EXPECT_EQ(d->server.instance_lags.size(), 2u);
  EXPECT_EQ(d->server.instance_lags[1], absl::Seconds(2));
  ASSERT_EQ(d->handlers.size(), 3u);
  EXPECT_EQ(d->handlers[1].speed, 0.05);
  EXPECT_EQ(d->handlers[2].added_at, absl::Seconds(45));
  EXPECT_EQ(d->faults.size(), 11u);
  EXPECT_EQ(d->faults[6].kind, FaultKind::kStallHandler);
  EXPECT_EQ(d->faults[6].target, 1);  // "handler-1"
  EXPECT_EQ(d->page_size, 100);
  EXPECT_TRUE(d->expect.empty());  // a base that flags adjust: no promises
  absl::StatusOr<SimOptions> c = ScenarioOptions("calm", 1);
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_TRUE(c->faults.empty());
  EXPECT_FALSE(ScenarioOptions("stormy", 1).ok());
}

// Each file under testdata/bad_scenarios opens with "# error: TEXT"; loading
// it must fail with a message containing TEXT (which names the file, the
// line and the column).
TEST(Scenario, MalformedFilesAreRefusedWithTheirPosition) {
  const std::string dir = "tests/sim/testdata/bad_scenarios";
  int files = 0;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    const std::string path = entry.path().string();
    std::ifstream in(path);
    std::string first;
    std::getline(in, first);
    ASSERT_TRUE(absl::StartsWith(first, "# error: ")) << path;
    const std::string want = first.substr(9);
    absl::StatusOr<ScenarioFile> f = LoadScenario(path);
    ASSERT_FALSE(f.ok()) << path << " loaded";
    EXPECT_TRUE(absl::IsInvalidArgument(f.status()));
    EXPECT_THAT(std::string(f.status().message()), HasSubstr(want)) << path;
    ++files;
  }
  EXPECT_GE(files, 20);
}

TEST(Scenario, FilesThatCannotBeReadAreErrors) {
  EXPECT_THAT(std::string(LoadScenario("/no/such.scenario").status().message()),
              HasSubstr("no such scenario file"));
  EXPECT_THAT(std::string(LoadScenario(::testing::TempDir()).status().message()),
              HasSubstr("not a regular file"));
  const std::string big = absl::StrCat(::testing::TempDir(), "/big.scenario");
  {
    std::ofstream out(big);
    out << "# ";
    out << std::string(kMaxScenarioBytes, 'x') << "\n";
  }
  EXPECT_THAT(std::string(LoadScenario(big).status().message()), HasSubstr("larger than"));
}

TEST(Scenario, AFileStatesOnlyWhatItSays) {
  absl::StatusOr<SimOptions> o = FromText("workload { initial_objects: 7 }\n");
  ASSERT_TRUE(o.ok()) << o.status();
  const SimOptions defaults;
  EXPECT_EQ(o->workload.initial_objects, 7);
  EXPECT_EQ(o->workload.writes_per_second, defaults.workload.writes_per_second);
  EXPECT_EQ(o->handlers.size(), defaults.handlers.size());
  EXPECT_EQ(o->duration, defaults.duration);
  EXPECT_EQ(o->indexes, defaults.indexes);
  EXPECT_EQ(o->profile, Profile::kCurrent);
  EXPECT_EQ(o->seed, 1u);
  // The first seed and profile of the file, unless flags say otherwise.
  absl::StatusOr<SimOptions> p = FromText("seeds: [9, 10]\nprofiles: [INTERIM, CLASSIC]\n");
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_EQ(p->seed, 9u);
  EXPECT_EQ(p->profile, Profile::kInterim);
  absl::StatusOr<SimOptions> q =
      FromText("seeds: [9, 10]\nprofiles: [INTERIM, CLASSIC]\n", {"--seed=4", "--profile=classic"});
  ASSERT_TRUE(q.ok()) << q.status();
  EXPECT_EQ(q->seed, 4u);
  EXPECT_EQ(q->profile, Profile::kClassic);
  // Flags override the file.
  absl::StatusOr<SimOptions> r = FromText("workload { initial_objects: 7 }\n", {"--objects=3"});
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->workload.initial_objects, 3);
}

TEST(Scenario, WithSwarmTheFileFixesWhatItStatesAndTheSeedDrawsTheRest) {
  const std::string text =
      "swarm: true\nprofiles: [CLASSIC]\nduration: \"4s\"\n"
      "workload { initial_objects: 5 }\nfault { at: \"1s\" kind: BREAK }\n";
  std::set<int64_t> page_sizes;
  for (uint64_t seed = 1; seed <= 12; ++seed) {
    absl::StatusOr<SimOptions> o = FromText(text, {absl::StrCat("--seed=", seed)});
    ASSERT_TRUE(o.ok()) << o.status();
    EXPECT_TRUE(o->swarm);
    EXPECT_EQ(o->profile, Profile::kClassic);
    EXPECT_EQ(o->duration, absl::Seconds(4));
    EXPECT_EQ(o->workload.initial_objects, 5);
    ASSERT_EQ(o->faults.size(), 1u);
    EXPECT_EQ(o->faults[0].kind, FaultKind::kBreakWatches);
    page_sizes.insert(o->page_size);
  }
  EXPECT_GT(page_sizes.size(), 2u);  // drawn
}

TEST(Scenario, ScriptedWritesAndATombstoneExpectation) {
  // A delete while the client cannot reach the server, then a compaction:
  // the informer relists and its handler gets a tombstone for the key.
  const std::string text = R"(
    duration: "10s"
    profiles: [CLASSIC]
    workload { initial_objects: 2 writes_per_second: 0 namespaces: 1 }
    handler { name: "h" }
    write { at: "1s" op: CREATE namespace: "ns-0" name: "a" labels { key: "app" value: "a1" } }
    fault { at: "2s" kind: REFUSE duration: "2s" }
    fault { at: "2s" kind: BREAK }
    write { at: "2500ms" op: DELETE namespace: "ns-0" name: "a" }
    fault { at: "3s" kind: COMPACT }
    expect { relist: true tombstone { handler: "h" key: "ns-0/a" } no_time_travel: true }
  )";
  absl::StatusOr<SimOptions> o = FromText(text);
  ASSERT_TRUE(o.ok()) << o.status();
  ASSERT_EQ(o->writes.size(), 2u);
  EXPECT_EQ(o->writes[0].labels.size(), 1u);
  absl::StatusOr<SimResult> r = RunSimulation(*o);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_TRUE(r->passed) << r->report;
  EXPECT_EQ(r->handlers[0].counts.tombstone_deletes, 1);
  // The same world without the delete: the tombstone expectation is unmet.
  std::string no_delete = text;
  no_delete.replace(no_delete.find("write { at: \"2500ms\""),
                    no_delete.find("fault { at: \"3s\"") - no_delete.find("write { at: \"2500ms\""),
                    "");
  absl::StatusOr<SimOptions> n = FromText(no_delete);
  ASSERT_TRUE(n.ok()) << n.status();
  absl::StatusOr<SimResult> m = RunSimulation(*n);
  ASSERT_TRUE(m.ok());
  EXPECT_FALSE(m->passed);
  ASSERT_FALSE(m->violations.empty());
  EXPECT_EQ(m->violations[0].invariant, "EXPECT") << m->report;
  EXPECT_THAT(m->report, HasSubstr("expected h to receive a tombstone for ns-0/a"));
}

TEST(Scenario, ARefusedScriptedWriteIsASetupViolation) {
  absl::StatusOr<SimOptions> o = FromText(
      "duration: \"3s\"\nworkload { initial_objects: 0 writes_per_second: 0 }\n"
      "write { at: \"1s\" op: UPDATE namespace: \"ns-0\" name: \"ghost\" }\n");
  ASSERT_TRUE(o.ok()) << o.status();
  absl::StatusOr<SimResult> r = RunSimulation(*o);
  ASSERT_TRUE(r.ok());
  ASSERT_FALSE(r->passed);
  EXPECT_EQ(r->violations[0].invariant, "SETUP");
  EXPECT_THAT(r->violations[0].detail, HasSubstr("scripted update at 1s was refused"));
}

TEST(Scenario, ExpectationsOnListsAndVerdicts) {
  const std::string calm = "duration: \"5s\"\nworkload { initial_objects: 3 writes_per_second: 2 }\n";
  absl::StatusOr<SimOptions> o = FromText(calm + "expect { relist: true min_lists: 2 }\n");
  ASSERT_TRUE(o.ok()) << o.status();
  absl::StatusOr<SimResult> r = RunSimulation(*o);
  ASSERT_TRUE(r.ok());
  EXPECT_FALSE(r->passed);
  std::string details;
  for (const Violation& v : r->violations) details += v.detail + "\n";
  EXPECT_THAT(details, HasSubstr("expected a relist"));
  EXPECT_THAT(details, HasSubstr("expected at least 2 LIST requests"));

  // Faults that must take effect: a scripted break does; a watch error
  // event with a zero rate does not.
  absl::StatusOr<SimOptions> t = FromText(
      calm + "fault { at: \"2s\" kind: BREAK }\n"
             "expect { fault_taken { fault: \"break\" at_least: 1 } "
             "fault_taken { fault: \"watch_error_event\" at_least: 1 } }\n");
  ASSERT_TRUE(t.ok()) << t.status();
  absl::StatusOr<SimResult> u = RunSimulation(*t);
  ASSERT_TRUE(u.ok());
  ASSERT_EQ(u->violations.size(), 1u) << u->report;
  EXPECT_THAT(u->violations[0].detail,
              HasSubstr("expected the fault watch_error_event to take effect 1 or more times; it did 0"));

  // A run expected to fail with exactly INV4 (a CLASSIC restart against a
  // lagging instance, declared a violation) passes when it does.
  const std::string restart =
      "profiles: [CLASSIC]\nduration: \"20s\"\n"
      "server { instance { lag: \"0s\" } instance { lag: \"5s\" } }\n"
      "workload { initial_objects: 40 writes_per_second: 30 }\n"
      "checks { restart_time_travel_is_violation: true }\n"
      "fault { at: \"8s\" kind: LAG instance: 1 duration: \"6s\" }\n"
      "fault { at: \"10s\" kind: RESTART }\n";
  int expected_failures = 0;
  for (uint64_t seed = 1; seed <= 30 && expected_failures == 0; ++seed) {
    absl::StatusOr<SimOptions> plain = FromText(restart, {absl::StrCat("--seed=", seed)});
    ASSERT_TRUE(plain.ok()) << plain.status();
    absl::StatusOr<SimResult> p = RunSimulation(*plain);
    ASSERT_TRUE(p.ok());
    if (p->passed) continue;
    absl::StatusOr<SimOptions> expecting = FromText(
        restart + "expect { verdict: FAILS fails_with: [\"INV4\"] }\n", {absl::StrCat("--seed=", seed)});
    ASSERT_TRUE(expecting.ok());
    absl::StatusOr<SimResult> e = RunSimulation(*expecting);
    ASSERT_TRUE(e.ok());
    EXPECT_TRUE(e->passed) << e->report;
    EXPECT_FALSE(e->expected_violations.empty());
    EXPECT_THAT(e->report, HasSubstr("were expected"));
    ++expected_failures;
  }
  EXPECT_EQ(expected_failures, 1) << "no seed in 1..30 went back in time across the restart";
  // Expected to fail, but passes: an EXPECT violation.
  absl::StatusOr<SimOptions> f = FromText(calm + "expect { verdict: FAILS fails_with: [\"INV1\"] }\n");
  ASSERT_TRUE(f.ok());
  absl::StatusOr<SimResult> g = RunSimulation(*f);
  ASSERT_TRUE(g.ok());
  EXPECT_FALSE(g->passed);
  EXPECT_THAT(g->violations.back().detail, HasSubstr("it passed"));
}

// --emit_scenario's text: the swarm seed's world with every option stated
// replays the seed exactly (same trace hash), without --swarm.
TEST(Scenario, EmittedTextReplaysASwarmSeedExactly) {
  int compared = 0;
  for (uint64_t seed = 1; seed <= 40 && compared < 12; ++seed) {
    absl::StatusOr<SimOptions> drawn =
        OptionsFromFlags({"--swarm", absl::StrCat("--seed=", seed)});
    ASSERT_TRUE(drawn.ok()) << drawn.status();
    if (drawn->swarm_world != SwarmWorld::kSmall) continue;
    const std::string text = ScenarioText(*drawn, {"test"});
    absl::StatusOr<ScenarioFile> file = ParseScenario(text, "emitted", "emitted");
    ASSERT_TRUE(file.ok()) << file.status() << "\n" << text;
    absl::StatusOr<SimOptions> again = FromText(text);
    ASSERT_TRUE(again.ok()) << again.status();
    EXPECT_FALSE(again->swarm);
    absl::StatusOr<SimResult> a = RunSimulation(*drawn);
    absl::StatusOr<SimResult> b = RunSimulation(*again);
    ASSERT_TRUE(a.ok() && b.ok());
    EXPECT_EQ(a->trace_hash, b->trace_hash) << "seed " << seed << "\n" << text;
    EXPECT_EQ(a->passed, b->passed);
    ++compared;
  }
  EXPECT_GE(compared, 8);
}

TEST(Scenario, RunsAreEverySeedInEveryProfile) {
  absl::StatusOr<ScenarioFile> f =
      ParseScenario("seeds: [4, 5]\nprofiles: [CLASSIC, CURRENT]\n", "x", "x");
  ASSERT_TRUE(f.ok()) << f.status();
  const std::vector<std::pair<uint64_t, Profile>> runs = ScenarioRuns(*f);
  ASSERT_EQ(runs.size(), 4u);
  EXPECT_EQ(runs[0], std::make_pair(uint64_t{4}, Profile::kClassic));
  EXPECT_EQ(runs[3], std::make_pair(uint64_t{5}, Profile::kCurrent));
  absl::StatusOr<ScenarioFile> e = ParseScenario("", "x", "x");
  ASSERT_TRUE(e.ok());
  ASSERT_EQ(ScenarioRuns(*e).size(), 1u);
}

}  // namespace
}  // namespace sim
}  // namespace informersim
