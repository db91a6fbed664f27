// Simulations of an informer with a label selector (SimOptions::
// label_selector): runs in both profiles pass with objects moving in and
// out of the selection under faults, and the checker compares the cache
// with the server's selected objects, so a client that drops the selector
// and a server that never says an object left are both caught. Also the
// option's flag, scenario field and swarm draw. The same for field
// selectors (SimOptions::field_selector), alone and with a label selector.
#include <memory>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "core/lister_watcher.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "sim/api_server.h"
#include "sim/identity.h"
#include "sim/scenario.h"
#include "sim/sim_options.h"
#include "sim/simulation.h"

namespace informersim {
namespace sim {
namespace {

using ::testing::HasSubstr;

SimOptions Selected(uint64_t seed, Profile profile, std::string selector) {
  absl::StatusOr<SimOptions> o = ScenarioOptions("calm", seed);
  EXPECT_TRUE(o.ok()) << o.status();
  o->profile = profile;
  o->workload.initial_objects = 60;
  o->workload.writes_per_second = 40;
  o->workload.label_values = 3;
  o->workload.label_change_fraction = 0.5;
  o->duration = absl::Seconds(30);
  o->page_size = 7;
  o->server.instance_lags = {absl::ZeroDuration(), absl::Milliseconds(500)};
  o->server.bookmark_interval = absl::Seconds(5);
  o->faults = *ParseScriptedFaults(
      "4s:break,8s:refuse:2s,8s:break,9s:compact,14s:restart,18s:break@list,22s:pause:2s");
  o->label_selector = std::move(selector);
  return *o;
}

int64_t Deletes(const SimResult& r) {
  int64_t n = 0;
  for (const HandlerSummary& h : r.handlers) n += h.counts.deletes;
  return n;
}

class SelectorRuns : public ::testing::TestWithParam<Profile> {};

TEST_P(SelectorRuns, PassWithObjectsMovingInAndOut) {
  for (const char* selector : {"app in (a0,a2)", "app!=a1", "!app", "app=a1,app notin (a0)"}) {
    for (uint64_t seed = 1; seed <= 3; ++seed) {
      const SimOptions o = Selected(seed, GetParam(), selector);
      absl::StatusOr<SimResult> r = RunSimulation(o);
      ASSERT_TRUE(r.ok()) << r.status();
      EXPECT_TRUE(r->passed) << selector << "\n" << FormatSummary(o, *r) << r->report;
      EXPECT_TRUE(r->converged) << selector;
      EXPECT_GT(r->workload.label_changes, 50) << selector;
      if (std::string(selector) != "!app") {
        // Objects left the selection (or were deleted) and handlers heard.
        EXPECT_GT(Deletes(*r), 0) << selector;
      }
      EXPECT_GT(r->quiescent_points_checked, 0) << selector;
    }
  }
}

TEST_P(SelectorRuns, SameSeedSameTrace) {
  const SimOptions o = Selected(7, GetParam(), "app in (a0,a2)");
  absl::StatusOr<SimResult> a = RunSimulation(o);
  absl::StatusOr<SimResult> b = RunSimulation(o);
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ(a->trace_hash, b->trace_hash);
  // A selector changes the run: without one the hash differs.
  SimOptions all = o;
  all.label_selector.clear();
  absl::StatusOr<SimResult> c = RunSimulation(all);
  ASSERT_TRUE(c.ok());
  EXPECT_TRUE(c->passed);
  EXPECT_NE(a->trace_hash, c->trace_hash);
}

INSTANTIATE_TEST_SUITE_P(Profiles, SelectorRuns,
                         ::testing::Values(Profile::kClassic, Profile::kCurrent),
                         [](const auto& info) { return std::string(ProfileName(info.param)); });

// A client layer that takes the selector off every request: the informer
// then caches objects outside its selection.
class DropSelector final : public ListerWatcher {
 public:
  explicit DropSelector(ListerWatcher* server) : server_(server) {}
  void List(const ListOptions& options, ListCallback done) override {
    ListOptions o = options;
    o.label_selector.clear();
    o.field_selector.clear();
    server_->List(o, std::move(done));
  }
  void Watch(const ListOptions& options, std::shared_ptr<WatchConsumer> consumer,
             WatchCallback started) override {
    ListOptions o = options;
    o.label_selector.clear();
    o.field_selector.clear();
    server_->Watch(o, std::move(consumer), std::move(started));
  }

 private:
  ListerWatcher* const server_;
};

bool Has(const SimResult& r, const char* invariant, const char* detail = "") {
  for (const Violation& v : r.violations) {
    if (v.invariant == invariant && absl::StrContains(v.detail, detail)) return true;
  }
  return false;
}

TEST(SelectorChecker, CatchesAClientThatDropsTheSelector) {
  for (Profile profile : {Profile::kClassic, Profile::kCurrent}) {
    SimOptions o = Selected(1, profile, "app=a1");
    o.client_layer = [](ListerWatcher* server) {
      return std::unique_ptr<ListerWatcher>(std::make_unique<DropSelector>(server));
    };
    absl::StatusOr<SimResult> r = RunSimulation(o);
    ASSERT_TRUE(r.ok()) << r.status();
    EXPECT_FALSE(r->passed);
    // Every request is seen without the selector ...
    EXPECT_TRUE(Has(*r, "INV2", "not the informer's \"app=a1\"")) << r->report;
    // ... and the cache holds more than the selected truth.
    EXPECT_TRUE(Has(*r, "INV1")) << r->report;
  }
}

// A watch cache that filters but never tells a watcher that an object left
// its selection (it drops DELETED events for objects still on the server).
class ForgetsLeaving final : public ListerWatcher {
 public:
  explicit ForgetsLeaving(ListerWatcher* server)
      : server_(server), fake_(dynamic_cast<FakeApiServer*>(server)) {}
  void List(const ListOptions& options, ListCallback done) override {
    server_->List(options, std::move(done));
  }
  void Watch(const ListOptions& options, std::shared_ptr<WatchConsumer> consumer,
             WatchCallback started) override {
    server_->Watch(options, std::make_shared<Filter>(fake_, std::move(consumer)),
                   std::move(started));
  }

 private:
  class Filter final : public WatchConsumer {
   public:
    Filter(FakeApiServer* fake, std::shared_ptr<WatchConsumer> inner)
        : fake_(fake), inner_(std::move(inner)) {}
    void OnEvent(WatchEvent event) override {
      if (event.type == WatchEventType::kDeleted && event.object != nullptr) {
        const api::ObjectMeta& m = event.object->metadata();
        if (fake_->store().Get(ObjectKey(m.namespace_(), m.name())) != nullptr) return;
      }
      inner_->OnEvent(std::move(event));
    }
    void OnClosed() override { inner_->OnClosed(); }

   private:
    FakeApiServer* const fake_;
    const std::shared_ptr<WatchConsumer> inner_;
  };
  ListerWatcher* const server_;
  FakeApiServer* const fake_;
};

TEST(SelectorChecker, CatchesAServerThatNeverSaysAnObjectLeft) {
  for (Profile profile : {Profile::kClassic, Profile::kCurrent}) {
    SimOptions o = Selected(2, profile, "app in (a0,a2)");
    o.faults.clear();
    o.server_layer = [](ListerWatcher* server) {
      return std::unique_ptr<ListerWatcher>(std::make_unique<ForgetsLeaving>(server));
    };
    absl::StatusOr<SimResult> r = RunSimulation(o);
    ASSERT_TRUE(r.ok()) << r.status();
    EXPECT_FALSE(r->passed) << FormatSummary(o, *r);
    EXPECT_TRUE(Has(*r, "INV1") || Has(*r, "INV5")) << r->report;
  }
}

TEST(SelectorOptions, FlagScenarioAndValidation) {
  absl::StatusOr<SimOptions> o =
      OptionsFromFlags({"--seed=3", "--label_selector=app in (a0, a1)"});
  ASSERT_TRUE(o.ok()) << o.status();
  EXPECT_EQ(o->label_selector, "app in (a0, a1)");
  absl::StatusOr<SimOptions> bad = OptionsFromFlags({"--label_selector=app in (a0"});
  ASSERT_FALSE(bad.ok());
  EXPECT_THAT(std::string(bad.status().message()),
              HasSubstr("--label_selector: \"app in (a0\" is not a label selector"));
  SimOptions set = *o;
  set.label_selector = "a b";
  EXPECT_THAT(std::string(ValidateOptions(set).message()), HasSubstr("label selector \"a b\""));
  // A flag given with --swarm overrides the draw.
  absl::StatusOr<SimOptions> swarm =
      OptionsFromFlags({"--seed=5", "--swarm", "--label_selector=!app"});
  ASSERT_TRUE(swarm.ok());
  EXPECT_EQ(swarm->label_selector, "!app");
  // A scenario file states it, and a run's options written out keep it.
  absl::StatusOr<ScenarioFile> file =
      ParseScenario("duration: \"5s\"\ninformer { label_selector: \"app notin (a2)\" }\n", "x",
                    "x");
  ASSERT_TRUE(file.ok()) << file.status();
  SimOptions from_file;
  ApplyScenario(*file, &from_file);
  EXPECT_EQ(from_file.label_selector, "app notin (a2)");
  absl::StatusOr<ScenarioFile> again = ParseScenario(ScenarioText(from_file, {}), "y", "y");
  ASSERT_TRUE(again.ok()) << again.status();
  SimOptions round;
  ApplyScenario(*again, &round);
  EXPECT_EQ(round.label_selector, "app notin (a2)");
}

TEST(SelectorSwarm, AFifthOfSeedsDrawASelectorAndNothingElseMoves) {
  int with = 0;
  std::set<std::string> shapes;
  for (uint64_t seed = 1; seed <= 1000; ++seed) {
    const SimOptions w = DrawSwarm(SimOptions(), seed);
    if (w.label_selector.empty()) continue;
    ++with;
    EXPECT_TRUE(ValidateOptions(w).ok()) << w.label_selector;
    std::string shape = w.label_selector;
    for (char& c : shape) {
      if (c >= '0' && c <= '9') c = 'N';
    }
    shapes.insert(shape);
    // The selector's stream is its own: the rest of the world is what the
    // seed draws with the selector taken away.
    SimOptions without = w;
    without.label_selector.clear();
    const SimOptions base = DrawSwarm(SimOptions(), seed);
    EXPECT_EQ(ScenarioText(without, {}), [&] {
      SimOptions b = base;
      b.label_selector.clear();
      return ScenarioText(b, {});
    }()) << seed;
  }
  EXPECT_GT(with, 150);
  EXPECT_LT(with, 250);
  EXPECT_GE(shapes.size(), 6u);
  // The golden swarm seed (tests/sim/golden_trace_test.cc) draws none.
  EXPECT_EQ(DrawSwarm(SimOptions(), 42).label_selector, "");
}

class FieldSelectorRuns : public ::testing::TestWithParam<Profile> {};

TEST_P(FieldSelectorRuns, PassAloneAndWithALabelSelector) {
  struct Case {
    const char* label;
    const char* field;
  };
  for (const Case& c : std::vector<Case>{{"", "metadata.namespace!=ns-1"},
                                         {"", "metadata.namespace=ns-2,metadata.name!=obj-3"},
                                         {"app in (a0,a2)", "metadata.namespace!=ns-0"},
                                         {"", "metadata.name=obj-5"}}) {
    for (uint64_t seed = 1; seed <= 3; ++seed) {
      SimOptions o = Selected(seed, GetParam(), c.label);
      o.field_selector = c.field;
      o.workload.namespaces = 3;
      absl::StatusOr<SimResult> r = RunSimulation(o);
      ASSERT_TRUE(r.ok()) << r.status();
      EXPECT_TRUE(r->passed) << c.field << "\n" << FormatSummary(o, *r) << r->report;
      EXPECT_TRUE(r->converged) << c.field;
      EXPECT_GT(r->quiescent_points_checked, 0) << c.field;
      EXPECT_THAT(FormatSummary(o, *r), HasSubstr(absl::StrCat("field selector \"", c.field)));
    }
  }
}

TEST_P(FieldSelectorRuns, ChangesTheRunAndReplays) {
  SimOptions o = Selected(7, GetParam(), "");
  o.field_selector = "metadata.namespace!=ns-1";
  absl::StatusOr<SimResult> a = RunSimulation(o);
  absl::StatusOr<SimResult> b = RunSimulation(o);
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ(a->trace_hash, b->trace_hash);
  SimOptions all = o;
  all.field_selector.clear();
  absl::StatusOr<SimResult> c = RunSimulation(all);
  ASSERT_TRUE(c.ok());
  EXPECT_NE(a->trace_hash, c->trace_hash);
}

INSTANTIATE_TEST_SUITE_P(Profiles, FieldSelectorRuns,
                         ::testing::Values(Profile::kClassic, Profile::kCurrent),
                         [](const auto& info) { return std::string(ProfileName(info.param)); });

TEST(SelectorChecker, CatchesAClientThatDropsTheFieldSelector) {
  for (Profile profile : {Profile::kClassic, Profile::kCurrent}) {
    SimOptions o = Selected(1, profile, "");
    o.field_selector = "metadata.namespace=ns-1";
    o.client_layer = [](ListerWatcher* server) {
      return std::unique_ptr<ListerWatcher>(std::make_unique<DropSelector>(server));
    };
    absl::StatusOr<SimResult> r = RunSimulation(o);
    ASSERT_TRUE(r.ok()) << r.status();
    EXPECT_FALSE(r->passed);
    EXPECT_TRUE(Has(*r, "INV2", "with fieldSelector \"\", not the informer's")) << r->report;
    EXPECT_TRUE(Has(*r, "INV1")) << r->report;
  }
}

TEST(SelectorOptions, FieldSelectorFlagScenarioAndValidation) {
  absl::StatusOr<SimOptions> o =
      OptionsFromFlags({"--seed=3", "--field_selector=metadata.namespace!=ns-1"});
  ASSERT_TRUE(o.ok()) << o.status();
  EXPECT_EQ(o->field_selector, "metadata.namespace!=ns-1");
  absl::StatusOr<SimOptions> bad = OptionsFromFlags({"--field_selector=spec.nodeName=a"});
  ASSERT_FALSE(bad.ok());
  EXPECT_THAT(std::string(bad.status().message()),
              HasSubstr("--field_selector: \"spec.nodeName=a\" is not a field selector: "
                        "\"spec.nodeName\" is not a known field selector"));
  SimOptions set = *o;
  set.field_selector = "metadata.name";
  EXPECT_THAT(std::string(ValidateOptions(set).message()),
              HasSubstr("field selector \"metadata.name\": unable to parse fieldSelector"));
  absl::StatusOr<ScenarioFile> file = ParseScenario(
      "duration: \"5s\"\ninformer { field_selector: \"metadata.name=obj-1\" }\n", "x", "x");
  ASSERT_TRUE(file.ok()) << file.status();
  SimOptions from_file;
  ApplyScenario(*file, &from_file);
  EXPECT_EQ(from_file.field_selector, "metadata.name=obj-1");
  absl::StatusOr<ScenarioFile> again = ParseScenario(ScenarioText(from_file, {}), "y", "y");
  ASSERT_TRUE(again.ok()) << again.status();
  SimOptions round;
  ApplyScenario(*again, &round);
  EXPECT_EQ(round.field_selector, "metadata.name=obj-1");
  absl::StatusOr<ScenarioFile> wrong =
      ParseScenario("informer { field_selector: \"status.phase=Running\" }\n", "z", "z");
  ASSERT_FALSE(wrong.ok());
  EXPECT_THAT(std::string(wrong.status().message()), HasSubstr("field_selector"));
}

TEST(SelectorSwarm, SomeSeedsDrawAFieldSelectorAndNothingElseMoves) {
  int with = 0;
  int both = 0;
  std::set<std::string> shapes;
  for (uint64_t seed = 1; seed <= 1000; ++seed) {
    const SimOptions w = DrawSwarm(SimOptions(), seed);
    if (w.field_selector.empty()) continue;
    ++with;
    if (!w.label_selector.empty()) ++both;
    EXPECT_TRUE(ValidateOptions(w).ok()) << w.field_selector;
    // Numbers of any length read as N.
    std::string shape;
    for (char c : w.field_selector) {
      if (c < '0' || c > '9') {
        shape.push_back(c);
      } else if (shape.empty() || shape.back() != 'N') {
        shape.push_back('N');
      }
    }
    shapes.insert(shape);
    SimOptions without = w;
    without.field_selector.clear();
    without.label_selector.clear();
    SimOptions base = DrawSwarm(SimOptions(), seed);
    base.field_selector.clear();
    base.label_selector.clear();
    EXPECT_EQ(ScenarioText(without, {}), ScenarioText(base, {})) << seed;
  }
  EXPECT_GT(with, 100);
  EXPECT_LT(with, 200);
  EXPECT_GT(both, 0);
  EXPECT_EQ(shapes.size(), 5u);
  // The golden swarm seed (tests/sim/golden_trace_test.cc) draws none.
  EXPECT_EQ(DrawSwarm(SimOptions(), 42).field_selector, "");
}

}  // namespace
}  // namespace sim
}  // namespace informersim
