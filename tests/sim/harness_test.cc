// The user harness (sim/harness.h, sim/harness_gtest.h, sim/user_code.h):
// user handlers made per informer process, user invariants reported with
// the built-in ones, honest replay lines, seeds across shards.
#include "sim/harness.h"

#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "core/resource_event_handler.h"
#include "gtest/gtest.h"
#include "sim/harness_gtest.h"

namespace informersim {
namespace sim {
namespace {

class Counter : public ResourceEventHandler {
 public:
  void OnAdd(const Item&, bool) override { ++adds; }
  void OnUpdate(const Item&, const Item&) override { ++updates; }
  void OnDelete(const Item&) override { ++deletes; }
  int64_t adds = 0, updates = 0, deletes = 0;
};

Simulation Calm(std::vector<std::string> extra = {}) {
  std::vector<std::string> flags = {"--scenario=calm", "--duration=6s", "--objects=20",
                                    "--write_rate=10"};
  flags.insert(flags.end(), extra.begin(), extra.end());
  absl::StatusOr<Simulation> sim = Simulation::FromFlags(flags);
  EXPECT_TRUE(sim.ok()) << sim.status();
  return *std::move(sim);
}

TEST(HarnessTest, UserHandlerIsMadePerProcessAndSeesTheInformer) {
  auto made = std::make_shared<int>(0);
  auto last = std::make_shared<std::shared_ptr<Counter>>();
  Simulation sim = Calm({"--faults=3s:restart"});
  sim.AddHandler("counter", [made, last] {
    ++*made;
    *last = std::make_shared<Counter>();
    return *last;
  });
  absl::StatusOr<SimResult> r = sim.Run(3);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_TRUE(r->passed) << r->report;
  EXPECT_EQ(r->restarts, 1);
  EXPECT_EQ(*made, 2);  // once at the start, once after the restart
  // The restarted process's handler got the new informer's initial list.
  EXPECT_GE((*last)->adds, 20);
}

TEST(HarnessTest, LateUserHandlerJoinsAtItsTime) {
  auto made = std::make_shared<int>(0);
  Simulation sim = Calm();
  UserHandler h;
  h.name = "late";
  h.added_at = absl::Seconds(2);
  h.speed = 0.5;
  h.make = [made] {
    ++*made;
    return std::make_shared<Counter>();
  };
  sim.AddHandler(h);
  absl::StatusOr<SimResult> r = sim.Run(1);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_TRUE(r->passed) << r->report;
  EXPECT_EQ(*made, 1);
  bool injected = false;
  for (const std::string& line : r->injected) injected |= absl::StrContains(line, "add late");
  EXPECT_TRUE(injected);
}

TEST(HarnessTest, FailingQuiescentInvariantIsAViolationWithTheReplayLine) {
  Simulation sim = Calm();
  sim.CheckAtQuiescence("never-holds", [](const InvariantContext& c) {
    EXPECT_TRUE(c.quiescent());
    EXPECT_EQ(c.notified(), nullptr);
    return absl::InternalError(absl::StrCat("cache has ", c.cache().List().size(),
                                            " items, server ", c.truth().size()));
  });
  sim.ReplayWith([](uint64_t seed) { return absl::StrCat("rerun me with seed ", seed); });
  absl::StatusOr<SimResult> r = sim.Run(4);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_FALSE(r->passed);
  ASSERT_FALSE(r->violations.empty());
  const Violation& v = r->violations.front();
  EXPECT_EQ(v.invariant, "USER:never-holds");
  EXPECT_GT(v.step, 0u);
  EXPECT_GE(v.at, absl::ZeroDuration());  // time zero is the informer's start
  EXPECT_TRUE(absl::StrContains(v.detail, "cache has")) << v.detail;
  EXPECT_TRUE(absl::StrContains(r->report, "replay: rerun me with seed 4")) << r->report;
  EXPECT_FALSE(absl::StrContains(r->report, "informer_sim --")) << r->report;
}

TEST(HarnessTest, AfterNotificationInvariantSeesTheNotification) {
  auto seen = std::make_shared<int64_t>(0);
  Simulation sim = Calm();
  sim.AddHandler("counter", [] { return std::make_shared<Counter>(); });
  sim.CheckAfterEachNotification("sees", [seen](const InvariantContext& c) {
    ++*seen;
    EXPECT_EQ(c.notified_handler(), "counter");
    EXPECT_TRUE(c.notification() == "add" || c.notification() == "update" ||
                c.notification() == "delete");
    EXPECT_NE(c.notified(), nullptr);
    EXPECT_NE(c.handler_as<Counter>("counter"), nullptr);
    EXPECT_EQ(c.handler("nobody"), nullptr);
    EXPECT_FALSE(c.quiescent());
    return absl::OkStatus();
  });
  absl::StatusOr<SimResult> r = sim.Run(2);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_TRUE(r->passed) << r->report;
  EXPECT_GE(*seen, 20);
}

TEST(HarnessTest, SameSeedSameRunWithUserCode) {
  Simulation sim = Calm({"--faults=2s:break"});
  sim.AddHandler("counter", [] { return std::make_shared<Counter>(); });
  sim.CheckAtQuiescence("ok", [](const InvariantContext&) { return absl::OkStatus(); });
  absl::StatusOr<SimResult> a = sim.Run(9);
  absl::StatusOr<SimResult> b = sim.Run(9);
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ(a->trace_hash, b->trace_hash);
  EXPECT_EQ(a->trace_steps, b->trace_steps);
}

TEST(HarnessTest, ReplayLineNamesTheTestTarget) {
  setenv("TEST_TARGET", "//my/pkg:my_test", 1);
  EXPECT_EQ(TestReplayLine(12), "bazel test //my/pkg:my_test --test_env=INFORMERSIM_SEED=12");
  unsetenv("TEST_TARGET");
  const std::string outside = TestReplayLine(12);
  EXPECT_TRUE(absl::StrContains(outside, "seed 12")) << outside;
  EXPECT_FALSE(absl::StrContains(outside, "informer_sim")) << outside;
}

TEST(HarnessTest, CodeSetPartsWithoutAReplayLineDoNotPrintAFlagCommand) {
  absl::StatusOr<SimOptions> o = OptionsFromFlags({"--scenario=calm", "--duration=3s"});
  ASSERT_TRUE(o.ok());
  o->invariants.push_back(UserInvariant{"fails", UserInvariant::When::kQuiescent,
                                        [](const InvariantContext&) {
                                          return absl::InternalError("no");
                                        }});
  absl::StatusOr<SimResult> r = RunSimulation(*o, {"--scenario=calm", "--duration=3s"});
  ASSERT_TRUE(r.ok());
  EXPECT_FALSE(r->passed);
  EXPECT_TRUE(absl::StrContains(r->report, "run the code that set up this simulation"))
      << r->report;
}

TEST(HarnessTest, BadUserPartsAreClearErrors) {
  Simulation nameless = Calm();
  nameless.AddHandler("", [] { return std::make_shared<Counter>(); });
  EXPECT_FALSE(nameless.Run(1).ok());
  Simulation twice = Calm();
  twice.AddHandler("a", [] { return std::make_shared<Counter>(); })
      .AddHandler("a", [] { return std::make_shared<Counter>(); });
  absl::StatusOr<SimResult> r = twice.Run(1);
  ASSERT_FALSE(r.ok());
  EXPECT_TRUE(absl::StrContains(r.status().message(), "\"a\"")) << r.status();
  Simulation no_make = Calm();
  no_make.AddHandler("m", nullptr);
  EXPECT_FALSE(no_make.Run(1).ok());
  Simulation no_check = Calm();
  no_check.CheckAtQuiescence("c", nullptr);
  EXPECT_FALSE(no_check.Run(1).ok());
  EXPECT_FALSE(Simulation::FromFlags({"--seed=3"}).ok());
  EXPECT_FALSE(Simulation::FromFlags({"--objects=many"}).ok());
  EXPECT_FALSE(Simulation::FromScenario("no-such-scenario").ok());
}

TEST(HarnessTest, NullHandlerFromMakeIsASetupViolation) {
  Simulation sim = Calm();
  sim.AddHandler("null", [] { return std::shared_ptr<ResourceEventHandler>(); });
  absl::StatusOr<SimResult> r = sim.Run(1);
  ASSERT_TRUE(r.ok());
  EXPECT_FALSE(r->passed);
  ASSERT_FALSE(r->violations.empty());
  EXPECT_EQ(r->violations.front().invariant, "SETUP");
}

// A user index is checked by the built-in INV8: one that answers
// differently for the same object (here: by call count) is caught; a
// deterministic one passes; one that errors crashes the informer.
TEST(HarnessTest, UserIndexesAreCheckedByInv8) {
  Simulation good = Calm();
  good.AddIndex("by-name-length", [](const Item& item, std::vector<std::string>* values) {
    if (item.meta() != nullptr) values->push_back(std::to_string(item.meta()->name().size()));
    return absl::OkStatus();
  });
  absl::StatusOr<SimResult> r = good.Run(5);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_TRUE(r->passed) << r->report;

  auto calls = std::make_shared<int64_t>(0);
  Simulation flaky = Calm();
  flaky.AddIndex("flaky", [calls](const Item&, std::vector<std::string>* values) {
    values->push_back(std::to_string(++*calls % 2));
    return absl::OkStatus();
  });
  r = flaky.Run(5);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_FALSE(r->passed);
  bool inv8 = false;
  for (const Violation& v : r->violations) inv8 |= v.invariant == "INV8";
  EXPECT_TRUE(inv8) << r->report;

  Simulation failing = Calm();
  failing.AddIndex("fails", [](const Item&, std::vector<std::string>*) {
    return absl::InternalError("refused");
  });
  r = failing.Run(5);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_GE(r->index_crashes, 1);
  EXPECT_FALSE(r->passed);  // it crashes every process: no convergence

  Simulation clash = Calm();
  clash.AddIndex("namespace", [](const Item&, std::vector<std::string>*) { return absl::OkStatus(); });
  EXPECT_FALSE(clash.Run(1).ok());
}

// A transform that strips annotations and the spec: the cache holds the
// transformed objects and the built-in checks compare with the server's
// objects transformed alike. One that is not idempotent-safe in the same
// way (it stamps the call count) is caught by INV1.
TEST(HarnessTest, UserTransformIsCheckedAgainstTransformedTruth) {
  Simulation sim = Calm({"--faults=2s:break,3s:restart"});
  sim.UseTransform([](Item item) -> absl::StatusOr<Item> {
    if (!item.is_object()) return item;
    api::Object copy = *item.object();
    copy.clear_spec();
    copy.mutable_metadata()->mutable_annotations()->clear();
    return Item(MakeObject(std::move(copy)));
  });
  sim.CheckAtQuiescence("specs-stripped", [](const InvariantContext& c) {
    for (const Item& item : c.cache().List()) {
      if (!item.object()->spec().empty()) return absl::InternalError("a spec survived");
    }
    return absl::OkStatus();
  });
  absl::StatusOr<SimResult> r = sim.Run(6);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_TRUE(r->passed) << r->report;

  auto calls = std::make_shared<int64_t>(0);
  Simulation stamping = Calm();
  stamping.UseTransform([calls](Item item) -> absl::StatusOr<Item> {
    if (!item.is_object()) return item;
    api::Object copy = *item.object();
    copy.set_spec(std::to_string(++*calls));
    return Item(MakeObject(std::move(copy)));
  });
  r = stamping.Run(6);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_FALSE(r->passed);
  bool inv1 = false;
  for (const Violation& v : r->violations) inv1 |= v.invariant == "INV1";
  EXPECT_TRUE(inv1) << r->report;
}

TEST(HarnessTest, FromOptionsRunsThoseOptionsWithEachSeed) {
  absl::StatusOr<SimOptions> base = OptionsFromFlags({"--scenario=calm", "--duration=4s"});
  ASSERT_TRUE(base.ok());
  base->workload.initial_objects = 7;
  Simulation sim = Simulation::FromOptions(*base);
  absl::StatusOr<SimOptions> o = sim.OptionsFor(11);
  ASSERT_TRUE(o.ok()) << o.status();
  EXPECT_EQ(o->seed, 11u);
  EXPECT_EQ(o->workload.initial_objects, 7);
  absl::StatusOr<SimResult> r = sim.Run(11);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_TRUE(r->passed) << r->report;
  EXPECT_EQ(r->seed, 11u);
}

TEST(HarnessGtestTest, SeedsForThisShard) {
  unsetenv("INFORMERSIM_SEED");
  setenv("TEST_TOTAL_SHARDS", "3", 1);
  setenv("TEST_SHARD_INDEX", "1", 1);
  EXPECT_EQ(SeedsForThisShard(10, 7), (std::vector<uint64_t>{11, 14}));
  setenv("TEST_SHARD_INDEX", "0", 1);
  EXPECT_EQ(SeedsForThisShard(10, 7), (std::vector<uint64_t>{10, 13, 16}));
  setenv("INFORMERSIM_SEED", "42", 1);
  EXPECT_EQ(SeedsForThisShard(10, 7), (std::vector<uint64_t>{42}));
  unsetenv("INFORMERSIM_SEED");
  unsetenv("TEST_TOTAL_SHARDS");
  unsetenv("TEST_SHARD_INDEX");
  EXPECT_EQ(SeedsForThisShard(5, 3), (std::vector<uint64_t>{5, 6, 7}));
}

TEST(HarnessGtestTest, SummariesNameInvariantsSeedsAndTheReplay) {
  Simulation sim = Calm();
  sim.CheckAtQuiescence("odd-seeds-fail", [](const InvariantContext& c) {
    return c.truth().size() % 2 == 0 ? absl::OkStatus() : absl::InternalError("odd");
  });
  sim.ReplayWith([](uint64_t seed) { return absl::StrCat("replay-", seed); });
  std::vector<uint64_t> seeds = {1, 2, 3, 4, 5, 6};
  const ::testing::AssertionResult passes = PassesOnSeeds(sim, seeds);
  const ::testing::AssertionResult caught = CaughtOnSomeSeed(sim, seeds, "USER:odd-seeds-fail");
  // Which seeds fail depends on the worlds; either way the verdicts agree.
  EXPECT_NE(static_cast<bool>(passes), static_cast<bool>(caught));
  if (!passes) {
    const std::string m = passes.message();
    EXPECT_TRUE(absl::StrContains(m, "USER:odd-seeds-fail: ")) << m;
    EXPECT_TRUE(absl::StrContains(m, "replay: replay-")) << m;
  }
  EXPECT_FALSE(CaughtOnSomeSeed(sim, seeds, "INV1"));
}

}  // namespace
}  // namespace sim
}  // namespace informersim
