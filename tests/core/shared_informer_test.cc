// SharedIndexInformer (SI1-SI12), run with ManualRuntime (virtual time
// instead of sleeps and fake clocks) against FakeControllerSource through
// the real Reflector, in both profiles. Each test names the client-go
// shared_informer_test.go test it mirrors, or the rule it checks.
#include <algorithm>
#include <map>
#include <memory>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "core/index.h"
#include "core/manual_runtime.h"
#include "core/reflector_feeder.h"
#include "core/shared_informer.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/core/informer_support/fake_controller_source.h"
#include "tests/core/informer_support/informer_test_util.h"

namespace informersim {
namespace {

using testing_support::EventRecorder;
using testing_support::FakeControllerSource;
using testing_support::KeyOf;
using testing_support::PodObject;
using testing_support::TestRandom;
using ::testing::IsEmpty;
using ::testing::UnorderedElementsAre;

// client-go testListener: the names of the objects it was told about, by
// adds and updates.
class TestListener final : public ResourceEventHandler {
 public:
  void OnAdd(const Item& obj, bool initial) override {
    names_.push_back(obj.meta()->name());
    if (initial) ++initial_adds_;
  }
  void OnUpdate(const Item&, const Item& new_obj) override {
    names_.push_back(new_obj.meta()->name());
  }
  void OnDelete(const Item&) override {}
  std::set<std::string> names() const { return {names_.begin(), names_.end()}; }
  size_t count() const { return names_.size(); }
  int initial_adds() const { return initial_adds_; }
  void Reset() { names_.clear(); }

 private:
  std::vector<std::string> names_;
  int initial_adds_ = 0;
};

// One informer over one fake source on one ManualRuntime.
struct Env {
  explicit Env(Profile profile, absl::Duration resync = absl::ZeroDuration(),
               bool watch_list_source = false)
      : source(&rt, watch_list_source), random(11) {
    SharedIndexInformerOptions options;
    options.profile.profile = profile;
    options.resync_period = resync;
    informer = std::make_unique<SharedIndexInformer>(
        &rt, ReflectorFeederFactory(&source, &rt, &random), std::move(options));
  }
  ~Env() {
    informer->Stop();
    rt.RunFor(absl::Seconds(2));
  }
  void Settle(absl::Duration d = absl::Milliseconds(100)) { rt.RunFor(d); }

  ManualRuntime rt;
  FakeControllerSource source;
  TestRandom random;
  std::unique_ptr<SharedIndexInformer> informer;
};

class SharedInformerTest : public ::testing::TestWithParam<Profile> {};

INSTANTIATE_TEST_SUITE_P(Profiles, SharedInformerTest,
                         ::testing::Values(Profile::kClassic, Profile::kCurrent, Profile::kInterim),
                         [](const ::testing::TestParamInfo<Profile>& info) {
                           return std::string(ProfileName(info.param));
                         });

// Mirrors client-go TestListenerResyncPeriods (SI5, SI6, INV11).
TEST_P(SharedInformerTest, TestListenerResyncPeriods) {
  Env env(GetParam(), absl::Seconds(1));
  env.source.Add(PodObject("", "pod1"));
  env.source.Add(PodObject("", "pod2"));
  auto l1 = std::make_shared<TestListener>();
  auto l2 = std::make_shared<TestListener>();
  auto l3 = std::make_shared<TestListener>();
  ASSERT_TRUE(env.informer->AddEventHandlerWithResyncPeriod(l1, absl::ZeroDuration()).ok());
  ASSERT_TRUE(env.informer->AddEventHandlerWithResyncPeriod(l2, absl::Seconds(2)).ok());
  ASSERT_TRUE(env.informer->AddEventHandlerWithResyncPeriod(l3, absl::Seconds(3)).ok());
  const absl::Time start = env.rt.Now();
  env.informer->Run();
  env.rt.RunUntil(start + absl::Milliseconds(500));
  for (auto* l : {l1.get(), l2.get(), l3.get()}) {
    EXPECT_EQ(l->names(), (std::set<std::string>{"pod1", "pod2"}));
    l->Reset();
  }
  env.rt.RunUntil(start + absl::Milliseconds(2500));
  EXPECT_EQ(l2->names(), (std::set<std::string>{"pod1", "pod2"}));
  EXPECT_EQ(l1->count(), 0u);
  EXPECT_EQ(l3->count(), 0u);
  for (auto* l : {l1.get(), l2.get(), l3.get()}) l->Reset();
  env.rt.RunUntil(start + absl::Milliseconds(3500));
  EXPECT_EQ(l3->names(), (std::set<std::string>{"pod1", "pod2"}));
  EXPECT_EQ(l1->count(), 0u);
  EXPECT_EQ(l2->count(), 0u);
}

// Mirrors client-go TestListenerResyncPeriodsDelayed: the processor's
// listeners start a second late (client-go's sharedProcessorRunHook sleeps
// in sharedProcessor.run), after the first notifications were already
// distributed; that used to deadlock. ManualRuntime gives the same
// interleaving deterministically: for the first second of virtual time only
// the reflector's and controller's strands run, never the listeners'. Then
// the listeners must still see the initial adds, and the 2s and 3s resyncs at
// the same times as without the delay.
TEST_P(SharedInformerTest, TestListenerResyncPeriodsDelayed) {
  const absl::Duration startup_delay = absl::Seconds(1);
  Env env(GetParam(), absl::Seconds(1));
  env.source.Add(PodObject("", "pod1"));
  env.source.Add(PodObject("", "pod2"));
  auto l1 = std::make_shared<TestListener>();
  auto l2 = std::make_shared<TestListener>();
  auto l3 = std::make_shared<TestListener>();
  ASSERT_TRUE(env.informer->AddEventHandlerWithResyncPeriod(l1, absl::ZeroDuration()).ok());
  ASSERT_TRUE(env.informer->AddEventHandlerWithResyncPeriod(l2, absl::Seconds(2)).ok());
  ASSERT_TRUE(env.informer->AddEventHandlerWithResyncPeriod(l3, absl::Seconds(3)).ok());
  const absl::Time start = env.rt.Now();
  env.informer->Run();
  // Everything but the listeners runs until the delay is over.
  for (;;) {
    bool ran = false;
    for (StrandId s : env.rt.RunnableStrands()) {
      if (env.rt.StrandName(s) != "processor_listener") {
        ran = env.rt.RunStrand(s);
        break;
      }
    }
    if (ran) continue;
    const absl::Time next = env.rt.NextTimerDeadline();
    if (next > start + startup_delay) break;
    env.rt.AdvanceTo(next);
  }
  // The notifications were distributed while no listener ran.
  EXPECT_TRUE(env.informer->HasSynced());
  bool listeners_pending = false;
  for (StrandId s : env.rt.RunnableStrands()) {
    listeners_pending |= env.rt.StrandName(s) == "processor_listener";
  }
  EXPECT_TRUE(listeners_pending);
  for (auto* l : {l1.get(), l2.get(), l3.get()}) EXPECT_EQ(l->count(), 0u);
  env.rt.RunUntil(start + startup_delay);
  for (auto* l : {l1.get(), l2.get(), l3.get()}) {
    EXPECT_EQ(l->names(), (std::set<std::string>{"pod1", "pod2"}));
    EXPECT_EQ(l->initial_adds(), 2);
    l->Reset();
  }
  env.rt.RunUntil(start + absl::Milliseconds(2500));
  EXPECT_EQ(l2->names(), (std::set<std::string>{"pod1", "pod2"}));
  EXPECT_EQ(l1->count(), 0u);
  EXPECT_EQ(l3->count(), 0u);
  for (auto* l : {l1.get(), l2.get(), l3.get()}) l->Reset();
  env.rt.RunUntil(start + absl::Milliseconds(3500));
  EXPECT_EQ(l3->names(), (std::set<std::string>{"pod1", "pod2"}));
  EXPECT_EQ(l1->count(), 0u);
  EXPECT_EQ(l2->count(), 0u);
}

// Mirrors client-go TestResyncCheckPeriod (SI6).
TEST(SharedInformerRulesTest, TestResyncCheckPeriod) {
  Env env(Profile::kCurrent, absl::Hours(12));
  auto* inf = env.informer.get();
  auto period_of = [](const std::shared_ptr<ResourceEventHandlerRegistration>& h) {
    return static_cast<ProcessorListener*>(h.get())->resync_period();
  };
  auto h1 = *inf->AddEventHandlerWithResyncPeriod(std::make_shared<TestListener>(),
                                                  absl::ZeroDuration());
  EXPECT_EQ(inf->resync_check_period(), absl::Hours(12));
  EXPECT_EQ(period_of(h1), absl::ZeroDuration());
  auto h2 = *inf->AddEventHandlerWithResyncPeriod(std::make_shared<TestListener>(),
                                                  absl::Minutes(1));
  EXPECT_EQ(inf->resync_check_period(), absl::Minutes(1));
  EXPECT_EQ(period_of(h1), absl::ZeroDuration());
  EXPECT_EQ(period_of(h2), absl::Minutes(1));
  auto h3 = *inf->AddEventHandlerWithResyncPeriod(std::make_shared<TestListener>(),
                                                  absl::Seconds(55));
  EXPECT_EQ(inf->resync_check_period(), absl::Seconds(55));
  EXPECT_EQ(period_of(h2), absl::Minutes(1));
  EXPECT_EQ(period_of(h3), absl::Seconds(55));
  auto h4 = *inf->AddEventHandlerWithResyncPeriod(std::make_shared<TestListener>(),
                                                  absl::Seconds(5));
  EXPECT_EQ(inf->resync_check_period(), absl::Seconds(5));
  EXPECT_EQ(period_of(h1), absl::ZeroDuration());
  EXPECT_EQ(period_of(h2), absl::Minutes(1));
  EXPECT_EQ(period_of(h3), absl::Seconds(55));
  EXPECT_EQ(period_of(h4), absl::Seconds(5));
}

TEST(SharedInformerRulesTest, ResyncPeriodsBelowOneSecondAndAfterStart) {  // SI6
  Env env(Profile::kCurrent, absl::Seconds(10));
  auto* inf = env.informer.get();
  auto period_of = [](const std::shared_ptr<ResourceEventHandlerRegistration>& h) {
    return static_cast<ProcessorListener*>(h.get())->resync_period();
  };
  auto h1 = *inf->AddEventHandlerWithResyncPeriod(std::make_shared<TestListener>(),
                                                  absl::Milliseconds(10));
  EXPECT_EQ(period_of(h1), absl::Seconds(1));
  EXPECT_EQ(inf->resync_check_period(), absl::Seconds(1));
  inf->Run();
  env.Settle();
  // After start a smaller period is raised to the check period instead.
  auto h2 = *inf->AddEventHandlerWithResyncPeriod(std::make_shared<TestListener>(),
                                                  absl::Milliseconds(500));
  EXPECT_EQ(period_of(h2), absl::Seconds(1));
  EXPECT_EQ(inf->resync_check_period(), absl::Seconds(1));
  // A default of 0 means no resync for the handler.
  Env env0(Profile::kCurrent);
  auto h3 = *env0.informer->AddEventHandler(std::make_shared<TestListener>());
  EXPECT_EQ(period_of(h3), absl::ZeroDuration());
}

// Mirrors client-go TestSharedInformerWatchDisruption (SI3, SI4): after a
// relist, an unchanged object reaches only the listener due for a resync.
TEST_P(SharedInformerTest, TestSharedInformerWatchDisruption) {
  Env env(GetParam(), absl::Seconds(1));
  env.source.Add(PodObject("", "pod1"));
  env.source.Add(PodObject("", "pod2"));
  auto no_resync = std::make_shared<TestListener>();
  auto resync = std::make_shared<TestListener>();
  ASSERT_TRUE(env.informer->AddEventHandlerWithResyncPeriod(no_resync, absl::ZeroDuration()).ok());
  ASSERT_TRUE(env.informer->AddEventHandlerWithResyncPeriod(resync, absl::Seconds(1)).ok());
  env.informer->Run();
  env.Settle(absl::Milliseconds(1500));  // past the first resync check
  EXPECT_EQ(no_resync->names(), (std::set<std::string>{"pod1", "pod2"}));
  EXPECT_EQ(resync->names(), (std::set<std::string>{"pod1", "pod2"}));

  env.source.AddDropWatch(PodObject("", "pod3"));
  env.source.ModifyDropWatch(PodObject("", "pod2"));
  env.Settle();
  no_resync->Reset();
  resync->Reset();
  env.source.ResetWatch();
  env.Settle(absl::Seconds(4));
  EXPECT_EQ(no_resync->names(), (std::set<std::string>{"pod2", "pod3"}));
  EXPECT_EQ(resync->names(), (std::set<std::string>{"pod1", "pod2", "pod3"}));
}

// Mirrors client-go TestSharedInformerErrorHandling (SI1, RF1).
TEST_P(SharedInformerTest, TestSharedInformerErrorHandling) {
  Env env(GetParam(), absl::Seconds(1));
  env.source.Add(PodObject("", "pod1"));
  env.source.SetListError(absl::PermissionDeniedError("Access Denied"));
  std::vector<absl::Status> errors;
  ASSERT_TRUE(env.informer
                  ->SetWatchErrorHandler([&](const absl::Status& s) { errors.push_back(s); })
                  .ok());
  env.informer->Run();
  env.Settle(absl::Seconds(1));
  ASSERT_FALSE(errors.empty());
  EXPECT_TRUE(absl::StrContains(errors.back().message(), "Access Denied")) << errors.back();
  EXPECT_FALSE(env.informer->HasSynced());
}

// Mirrors client-go TestSharedInformerTransformer (SI1: SetTransform before Run).
TEST_P(SharedInformerTest, TestSharedInformerTransformer) {
  Env env(GetParam(), absl::Seconds(1));
  env.source.Add(PodObject("", "pod1"));
  env.source.Add(PodObject("", "pod2"));
  ASSERT_TRUE(env.informer
                  ->SetTransform([](Item item) -> absl::StatusOr<Item> {
                    if (!item.is_object()) return item;
                    api::Object copy = *item.object();
                    std::string name = copy.metadata().name();
                    for (char& c : name) c = static_cast<char>(std::toupper(c));
                    copy.mutable_metadata()->set_name(name);
                    return Item(MakeObject(std::move(copy)));
                  })
                  .ok());
  auto l = std::make_shared<TestListener>();
  ASSERT_TRUE(env.informer->AddEventHandler(l).ok());
  env.informer->Run();
  env.Settle();
  EXPECT_EQ(l->names(), (std::set<std::string>{"POD1", "POD2"}));
  // SI1: too late now.
  EXPECT_FALSE(env.informer->SetTransform(nullptr).ok());
  EXPECT_FALSE(env.informer->SetWatchErrorHandler(nullptr).ok());
}

// Mirrors client-go TestSharedInformerRemoveHandler (SI8).
TEST(SharedInformerRulesTest, TestSharedInformerRemoveHandler) {
  Env env(Profile::kCurrent, absl::Seconds(1));
  auto h1 = *env.informer->AddEventHandler(std::make_shared<ResourceEventHandlerFuncs>());
  auto h2 = *env.informer->AddEventHandler(std::make_shared<ResourceEventHandlerFuncs>());
  EXPECT_EQ(env.informer->EventHandlerCount(), 2u);
  EXPECT_TRUE(env.informer->RemoveEventHandler(h2).ok());
  EXPECT_EQ(env.informer->EventHandlerCount(), 1u);
  EXPECT_TRUE(env.informer->RemoveEventHandler(h1).ok());
  EXPECT_EQ(env.informer->EventHandlerCount(), 0u);
}

// Mirrors client-go TestSharedInformerRemoveForeignHandler (SI8).
TEST(SharedInformerRulesTest, TestSharedInformerRemoveForeignHandler) {
  Env env(Profile::kCurrent, absl::Seconds(1));
  Env env2(Profile::kCurrent, absl::Seconds(1));
  auto h1 = *env.informer->AddEventHandler(std::make_shared<ResourceEventHandlerFuncs>());
  auto h2 = *env.informer->AddEventHandler(std::make_shared<ResourceEventHandlerFuncs>());
  EXPECT_FALSE(env2.informer->IsRegistered(h1));
  EXPECT_TRUE(env2.informer->RemoveEventHandler(h1).ok());
  EXPECT_EQ(env.informer->EventHandlerCount(), 2u);
  EXPECT_EQ(env2.informer->EventHandlerCount(), 0u);
  EXPECT_TRUE(env.informer->IsRegistered(h1));
  EXPECT_TRUE(env.informer->IsRegistered(h2));
  EXPECT_TRUE(env.informer->RemoveEventHandler(h2).ok());
  EXPECT_TRUE(env.informer->RemoveEventHandler(h1).ok());
  EXPECT_EQ(env.informer->EventHandlerCount(), 0u);
}

// Mirrors client-go TestSharedInformerMultipleRegistration (SI7).
TEST(SharedInformerRulesTest, TestSharedInformerMultipleRegistration) {
  Env env(Profile::kCurrent, absl::Seconds(1));
  auto handler = std::make_shared<ResourceEventHandlerFuncs>();
  auto r1 = *env.informer->AddEventHandler(handler);
  auto r2 = *env.informer->AddEventHandler(handler);
  EXPECT_NE(r1, r2);
  EXPECT_EQ(env.informer->EventHandlerCount(), 2u);
  EXPECT_TRUE(env.informer->RemoveEventHandler(r1).ok());
  EXPECT_FALSE(env.informer->IsRegistered(r1));
  EXPECT_TRUE(env.informer->IsRegistered(r2));
  EXPECT_TRUE(env.informer->RemoveEventHandler(r2).ok());
  EXPECT_EQ(env.informer->EventHandlerCount(), 0u);
}

// Mirrors client-go TestRemovingRemovedSharedInformer (SI8).
TEST(SharedInformerRulesTest, TestRemovingRemovedSharedInformer) {
  Env env(Profile::kCurrent, absl::Seconds(1));
  auto r = *env.informer->AddEventHandler(std::make_shared<ResourceEventHandlerFuncs>());
  EXPECT_TRUE(env.informer->RemoveEventHandler(r).ok());
  EXPECT_TRUE(env.informer->RemoveEventHandler(r).ok());
  EXPECT_FALSE(env.informer->IsRegistered(r));
}

// Mirrors client-go TestStateSharedInformer (SI1).
TEST_P(SharedInformerTest, TestStateSharedInformer) {
  Env env(GetParam(), absl::Seconds(1));
  env.source.Add(PodObject("", "pod1"));
  auto l = std::make_shared<TestListener>();
  ASSERT_TRUE(env.informer->AddEventHandlerWithResyncPeriod(l, absl::ZeroDuration()).ok());
  EXPECT_FALSE(env.informer->HasStarted());
  EXPECT_FALSE(env.informer->IsStopped());
  env.informer->Run();
  env.Settle();
  EXPECT_EQ(l->names(), (std::set<std::string>{"pod1"}));
  EXPECT_TRUE(env.informer->HasStarted());
  EXPECT_FALSE(env.informer->IsStopped());
  env.informer->Stop();
  env.Settle(absl::Seconds(1));
  EXPECT_TRUE(env.informer->IsStopped());
  EXPECT_TRUE(env.informer->HasStarted());
}

// Mirrors client-go TestAddOnStoppedSharedInformer (SI7).
TEST_P(SharedInformerTest, TestAddOnStoppedSharedInformer) {
  Env env(GetParam(), absl::Seconds(1));
  env.source.Add(PodObject("", "pod1"));
  env.informer->Run();
  env.informer->Stop();
  env.Settle(absl::Seconds(1));
  ASSERT_TRUE(env.informer->IsStopped());
  auto r = env.informer->AddEventHandler(std::make_shared<TestListener>());
  ASSERT_FALSE(r.ok());
  EXPECT_TRUE(absl::EndsWith(r.status().message(),
                             "was not added to shared informer because it has stopped already"));
  // It names the handler (client-go: "handler %v"), here by its type, not
  // the informer.
  EXPECT_TRUE(absl::StartsWith(r.status().message(), "handler "));
  EXPECT_TRUE(absl::StrContains(r.status().message(), "TestListener")) << r.status();
  // I7: AddIndexers is refused too once stopped.
  Indexers extra;
  extra["by-name"] = [](const Item&, std::vector<std::string>* out) {
    out->push_back("x");
    return absl::OkStatus();
  };
  EXPECT_FALSE(env.informer->AddIndexers(std::move(extra)).ok());
}

// Mirrors client-go TestRemoveOnStoppedSharedInformer (SI8).
TEST_P(SharedInformerTest, TestRemoveOnStoppedSharedInformer) {
  Env env(GetParam(), absl::Seconds(1));
  env.source.Add(PodObject("", "pod1"));
  auto h = *env.informer->AddEventHandler(std::make_shared<TestListener>());
  env.informer->Run();
  env.informer->Stop();
  env.Settle(absl::Seconds(1));
  ASSERT_TRUE(env.informer->IsStopped());
  EXPECT_TRUE(env.informer->RemoveEventHandler(h).ok());
}

// Mirrors client-go TestRemoveWhileActive (SI8).
TEST_P(SharedInformerTest, TestRemoveWhileActive) {
  Env env(GetParam());
  auto l = std::make_shared<TestListener>();
  auto h = *env.informer->AddEventHandler(l);
  env.informer->Run();
  env.Settle();
  env.source.Add(PodObject("", "pod1"));
  env.Settle();
  EXPECT_EQ(l->names(), (std::set<std::string>{"pod1"}));
  ASSERT_TRUE(env.informer->RemoveEventHandler(h).ok());
  EXPECT_FALSE(env.informer->IsRegistered(h));
  env.source.Add(PodObject("", "pod2"));
  env.Settle();
  EXPECT_EQ(l->names(), (std::set<std::string>{"pod1"}));
}

// Mirrors client-go TestAddWhileActive (SI7, SI11, SI12).
TEST_P(SharedInformerTest, TestAddWhileActive) {
  Env env(GetParam());
  auto l1 = std::make_shared<TestListener>();
  auto l2 = std::make_shared<TestListener>();
  auto h1 = *env.informer->AddEventHandler(l1);
  EXPECT_FALSE(h1->HasSynced()) << "Synced before Run";
  env.informer->Run();
  env.Settle();
  env.source.Add(PodObject("", "pod1"));
  env.Settle();
  EXPECT_EQ(l1->names(), (std::set<std::string>{"pod1"}));
  EXPECT_TRUE(h1->HasSynced());
  auto h2 = *env.informer->AddEventHandler(l2);
  EXPECT_FALSE(h2->HasSynced()) << "Synced before processing anything";
  env.source.Add(PodObject("", "pod2"));
  env.Settle();
  EXPECT_EQ(l2->names(), (std::set<std::string>{"pod1", "pod2"}));
  EXPECT_EQ(l2->initial_adds(), 1);  // the synthetic add of pod1 (SI12)
  EXPECT_TRUE(h2->HasSynced());
  EXPECT_TRUE(env.informer->IsRegistered(h1));
  EXPECT_TRUE(env.informer->IsRegistered(h2));
  EXPECT_EQ(l1->names(), l2->names());
}

// Mirrors client-go TestShutdown (its three subtests), with client-go's
// goleak check (main_test.go) as ours: once the informer is stopped and its
// handler removed, nothing of it is left on the Runtime (no runnable task, no
// pending timer, resync timers included); a never-run informer with a handler
// posts and arms nothing at all.
TEST_P(SharedInformerTest, TestShutdown) {
  auto expect_nothing_left = [](Env& env) {
    env.informer->Stop();
    env.rt.RunFor(absl::Seconds(2));
    EXPECT_TRUE(env.informer->IsStopped());
    EXPECT_EQ(env.rt.runnable_tasks(), 0u);
    EXPECT_EQ(env.rt.pending_timers(), 0u);
  };
  {  // no-context
    SCOPED_TRACE("no-context");
    Env env(GetParam(), absl::Seconds(1));
    auto h = *env.informer->AddEventHandler(std::make_shared<ResourceEventHandlerFuncs>());
    env.informer->Run();
    env.Settle();
    EXPECT_TRUE(env.informer->HasSynced());
    EXPECT_TRUE(env.informer->RemoveEventHandler(h).ok());
    expect_nothing_left(env);
  }
  {  // no-context-later
    SCOPED_TRACE("no-context-later");
    Env env(GetParam(), absl::Seconds(1));
    env.informer->Run();
    env.Settle();
    EXPECT_TRUE(env.informer->HasSynced());
    auto h = *env.informer->AddEventHandler(std::make_shared<ResourceEventHandlerFuncs>());
    EXPECT_TRUE(env.informer->RemoveEventHandler(h).ok());
    expect_nothing_left(env);
  }
  {  // no-run
    SCOPED_TRACE("no-run");
    Env env(GetParam(), absl::Seconds(1));
    EXPECT_TRUE(env.informer->AddEventHandler(std::make_shared<ResourceEventHandlerFuncs>()).ok());
    // Neither informer nor handler has anything running.
    EXPECT_EQ(env.rt.runnable_tasks(), 0u);
    EXPECT_EQ(env.rt.pending_timers(), 0u);
  }
}

// Mirrors client-go TestShutDownEventHandler_Lifecycles/InformerNeverStarted:
// shutting down a handler of an informer that never ran completes at once.
TEST_P(SharedInformerTest, TestShutDownEventHandler_InformerNeverStarted) {
  Env env(GetParam());
  auto handle = *env.informer->AddEventHandler(std::make_shared<ResourceEventHandlerFuncs>());
  bool done = false;
  ASSERT_TRUE(env.informer->ShutDownEventHandler(handle, [&] { done = true; }).ok());
  env.rt.RunUntilIdle();
  EXPECT_TRUE(done);
  EXPECT_TRUE(handle->IsShutDown());
  EXPECT_FALSE(env.informer->IsRegistered(handle));
  EXPECT_EQ(env.rt.runnable_tasks(), 0u);
  EXPECT_EQ(env.rt.pending_timers(), 0u);
}

// Mirrors client-go TestShutDownEventHandler_Lifecycles/
// StartedThenAddedThenShutDown: a handler added to a synced informer shuts
// down completely.
TEST_P(SharedInformerTest, TestShutDownEventHandler_StartedThenAddedThenShutDown) {
  Env env(GetParam());
  env.source.Add(PodObject("", "pod1"));
  env.informer->Run();
  env.Settle();
  ASSERT_TRUE(env.informer->HasSynced());
  int adds = 0;
  auto handler = std::make_shared<ResourceEventHandlerFuncs>();
  handler->add_func = [&](const Item&, bool) { ++adds; };
  auto handle = *env.informer->AddEventHandler(handler);
  bool done = false;
  ASSERT_TRUE(env.informer->ShutDownEventHandler(handle, [&] { done = true; }).ok());
  env.Settle();
  EXPECT_TRUE(done);
  EXPECT_TRUE(handle->IsShutDown());
  EXPECT_FALSE(env.informer->IsRegistered(handle));
  EXPECT_LE(adds, 1);
  // Nothing reaches it afterwards.
  const int adds_at_shutdown = adds;
  env.source.Add(PodObject("", "pod2"));
  env.Settle();
  EXPECT_EQ(adds, adds_at_shutdown);
}

// Mirrors client-go TestShutDownEventHandler_Lifecycles/
// AddedThenStartedThenShutDown: a handler registered before Run is shut
// down after the informer synced.
TEST_P(SharedInformerTest, TestShutDownEventHandler_AddedThenStartedThenShutDown) {
  Env env(GetParam());
  env.source.Add(PodObject("", "pod1"));
  int adds = 0;
  auto handler = std::make_shared<ResourceEventHandlerFuncs>();
  handler->add_func = [&](const Item&, bool) { ++adds; };
  auto handle = *env.informer->AddEventHandler(handler);
  env.informer->Run();
  env.Settle();
  ASSERT_TRUE(env.informer->HasSynced());
  EXPECT_EQ(adds, 1);
  bool done = false;
  ASSERT_TRUE(env.informer->ShutDownEventHandler(handle, [&] { done = true; }).ok());
  env.Settle();
  EXPECT_TRUE(done);
  EXPECT_TRUE(handle->IsShutDown());
  EXPECT_FALSE(env.informer->IsRegistered(handle));
  env.source.Add(PodObject("", "pod2"));
  env.Settle();
  EXPECT_EQ(adds, 1);
}

// A handler whose adds throw: the C++ form of a panicking handler (SI9).
std::shared_ptr<ResourceEventHandlerFuncs> ThrowingHandler(int* calls) {
  auto h = std::make_shared<ResourceEventHandlerFuncs>();
  h->add_func = [calls](const Item&, bool) {
    ++*calls;
    throw std::runtime_error("fake panic");
  };
  return h;
}

// Mirrors client-go TestEventPanics ("simple" and "many"): every panic is
// logged, the notification skipped, and the next delivered a second later.
TEST_P(SharedInformerTest, TestEventPanics) {
  {  // simple
    Env env(GetParam(), absl::Seconds(1));
    env.source.Add(PodObject("", "pod1"));
    int calls = 0;
    auto h = *env.informer->AddEventHandler(ThrowingHandler(&calls));
    env.informer->Run();
    env.Settle();
    EXPECT_TRUE(env.informer->HasSynced());
    EXPECT_EQ(env.informer->crash_log().count(), 1);
    ASSERT_FALSE(env.informer->crash_log().messages().empty());
    EXPECT_EQ(env.informer->crash_log().messages()[0], "Observed a panic: fake panic");
    // SI11: a handler that panicked on an initial add never syncs.
    EXPECT_FALSE(h->HasSynced());
    EXPECT_TRUE(env.informer->RemoveEventHandler(h).ok());
  }
  {  // many
    Env env(GetParam(), absl::Seconds(1));
    constexpr int kPods = 5;
    for (int i = 1; i <= kPods; ++i) env.source.Add(PodObject("", absl::StrCat("pod", i)));
    int calls1 = 0, calls2 = 0;
    auto h1 = *env.informer->AddEventHandler(ThrowingHandler(&calls1));
    auto h2 = *env.informer->AddEventHandler(ThrowingHandler(&calls2));
    const absl::Time start = env.rt.Now();
    env.informer->Run();
    // All five are delivered only after four one-second pauses.
    env.rt.RunUntil(start + absl::Milliseconds(3900));
    EXPECT_LT(calls1, kPods);
    env.rt.RunUntil(start + absl::Seconds(5));
    EXPECT_EQ(calls1, kPods);
    EXPECT_EQ(calls2, kPods);
    EXPECT_EQ(env.informer->crash_log().count(), 2 * kPods);
    EXPECT_TRUE(env.informer->RemoveEventHandler(h1).ok());
    EXPECT_TRUE(env.informer->RemoveEventHandler(h2).ok());
  }
}

// Mirrors client-go TestRemoveEventHandler_AsynchronousPanic and
// TestRemoveEventHandler_SynchronousShutdown (SI8; the three
// TestShutDownEventHandler_Lifecycles subtests have their own tests above): removal does not cut short a running callback; the shutdown
// callback runs only once it has returned, and nothing follows.
TEST_P(SharedInformerTest, TestRemoveEventHandler_FromInsideAndShutdownLifecycle) {
  Env env(GetParam());
  env.informer->Run();
  env.Settle();
  std::shared_ptr<ResourceEventHandlerRegistration> handle;
  std::vector<std::string> seen;
  bool shut_down = false;
  bool shut_down_seen_inside = true;
  auto handler = std::make_shared<ResourceEventHandlerFuncs>();
  handler->add_func = [&](const Item& o, bool) {
    seen.push_back(o.meta()->name());
    ASSERT_TRUE(env.informer
                    ->ShutDownEventHandler(handle, [&] { shut_down = true; })
                    .ok());
    shut_down_seen_inside = shut_down || handle->IsShutDown();
  };
  handle = *env.informer->AddEventHandler(handler);
  env.source.Add(PodObject("", "pod1"));
  env.source.Add(PodObject("", "pod2"));
  env.Settle();
  EXPECT_EQ(seen, std::vector<std::string>{"pod1"});
  EXPECT_FALSE(shut_down_seen_inside);
  EXPECT_TRUE(shut_down);
  EXPECT_TRUE(handle->IsShutDown());
  EXPECT_FALSE(env.informer->IsRegistered(handle));
}

// Mirrors client-go TestIndexer: indexes given at construction and added
// later (I7) serve the informer's cache.
TEST_P(SharedInformerTest, TestIndexer) {
  ManualRuntime rt;
  FakeControllerSource source(&rt);
  TestRandom random(5);
  source.Add(PodObject("", "a", {{"a", "a-val"}, {"b", "b-val1"}}));
  source.Add(PodObject("", "b", {{"b", "b-val2"}}));
  source.Add(PodObject("", "c", {{"b", "b-val1"}}));
  auto label_index = [](const std::string& label) -> IndexFunc {
    return [label](const Item& obj, std::vector<std::string>* out) {
      std::string v = testing_support::LabelOf(obj, label);
      if (!v.empty()) out->push_back(v);
      return absl::OkStatus();
    };
  };
  SharedIndexInformerOptions options;
  options.profile.profile = GetParam();
  options.indexers = {{"a", label_index("a")}};
  SharedIndexInformer informer(&rt, ReflectorFeederFactory(&source, &rt, &random), options);
  informer.Run();
  rt.RunFor(absl::Milliseconds(100));
  ASSERT_TRUE(informer.HasSynced());
  ASSERT_TRUE(informer.AddIndexers({{"b", label_index("b")}}).ok());
  auto by_a = informer.GetIndexer()->IndexKeys("a", "a-val");
  ASSERT_TRUE(by_a.ok());
  EXPECT_EQ(*by_a, std::vector<std::string>{"a"});
  auto by_b = informer.GetIndexer()->IndexKeys("b", "b-val1");
  ASSERT_TRUE(by_b.ok());
  EXPECT_EQ(*by_b, (std::vector<std::string>{"a", "c"}));
  informer.Stop();
  rt.RunFor(absl::Seconds(1));
}

// Mirrors client-go TestIndexer as written there: an index of label keys
// added with AddIndexers before Run, lookups by index value (the objects
// themselves), an object added later showing up in the index, a second
// index added after Run serving at once, and the values both indexes hold.
TEST_P(SharedInformerTest, TestIndexerAddIndexersBeforeRun) {
  ManualRuntime rt;
  FakeControllerSource source(&rt);
  TestRandom random(6);
  source.Add(PodObject("", "pod1", {{"a", "a-val"}, {"b", "b-val1"}}));
  source.Add(PodObject("", "pod2", {{"b", "b-val2"}}));
  IndexFunc label_keys = [](const Item& obj, std::vector<std::string>* out) {
    for (const auto& [k, v] : obj.meta()->labels()) out->push_back(k);
    return absl::OkStatus();
  };
  SharedIndexInformerOptions options;
  options.profile.profile = GetParam();
  options.resync_period = absl::Seconds(1);
  SharedIndexInformer informer(&rt, ReflectorFeederFactory(&source, &rt, &random), options);
  ASSERT_TRUE(informer.AddIndexers({{"labels", label_keys}}).ok());
  informer.Run();
  rt.RunFor(absl::Milliseconds(100));
  ASSERT_TRUE(informer.HasSynced());
  auto names = [&](const std::string& index, const std::string& value) {
    std::vector<std::string> out;
    auto items = informer.GetIndexer()->ByIndex(index, value);
    EXPECT_TRUE(items.ok()) << items.status();
    if (items.ok()) {
      for (const Item& i : *items) out.push_back(i.meta()->name());
    }
    std::sort(out.begin(), out.end());
    return out;
  };
  EXPECT_EQ(names("labels", "a"), std::vector<std::string>{"pod1"});
  source.Add(PodObject("", "pod3", {{"a", "a-val2"}}));
  rt.RunFor(absl::Milliseconds(100));
  EXPECT_EQ(names("labels", "a"), (std::vector<std::string>{"pod1", "pod3"}));
  ASSERT_TRUE(informer.AddIndexers({{"labels-again", label_keys}}).ok());
  EXPECT_EQ(names("labels-again", "a"), (std::vector<std::string>{"pod1", "pod3"}));
  for (const std::string index : {"labels", "labels-again"}) {
    std::vector<std::string> values = informer.GetIndexer()->ListIndexFuncValues(index);
    EXPECT_THAT(values, UnorderedElementsAre("a", "b")) << index;
  }
  informer.Stop();
  rt.RunFor(absl::Seconds(1));
}

// SI1: a second Run is ignored; LastSyncResourceVersion follows the source.
TEST_P(SharedInformerTest, RunTwiceIsIgnoredAndLastSyncResourceVersionFollows) {
  Env env(GetParam());
  EXPECT_EQ(env.informer->LastSyncResourceVersion(), "");
  env.source.Add(PodObject("", "pod1"));
  env.informer->Run();
  env.informer->Run();
  EXPECT_EQ(env.informer->stats().run_calls_ignored, 1);
  env.Settle();
  EXPECT_EQ(env.informer->LastSyncResourceVersion(), "1");
  env.source.Add(PodObject("", "pod2"));
  env.Settle();
  EXPECT_EQ(env.informer->LastSyncResourceVersion(), "2");
}

// SI10, SI11, SI12: the informer syncs only once the first list has been
// applied and distributed; a pre-run registration syncs once its handler
// has returned from every initial add; later relist adds are not initial.
TEST_P(SharedInformerTest, HasSyncedAndInitialListFlags) {
  Env env(GetParam());
  env.source.Add(PodObject("", "pod1"));
  env.source.Add(PodObject("", "pod2"));
  auto rec = std::make_shared<EventRecorder>(env.informer->GetStore());
  auto h = *env.informer->AddEventHandler(rec);
  EXPECT_FALSE(env.informer->HasSynced());
  EXPECT_FALSE(h->HasSynced());
  env.informer->Run();
  // Step until the informer syncs: the registration lags until its handler
  // has run every initial add.
  bool saw_lag = false;
  while (env.rt.RunOne()) {
    if (env.informer->HasSynced() && !h->HasSynced()) saw_lag = true;
    if (h->HasSynced()) {
      EXPECT_TRUE(env.informer->HasSynced());  // INV9
      EXPECT_EQ(rec->size(), 2u);
    }
  }
  EXPECT_TRUE(saw_lag);
  EXPECT_TRUE(h->HasSynced());
  for (const auto& r : rec->history()) EXPECT_TRUE(r.is_in_initial_list) << r;
  // A change the watch never delivers comes back by relist: not initial.
  rec->Clear();
  env.source.AddDropWatch(PodObject("", "pod3"));
  env.source.ResetWatch();
  env.Settle(absl::Seconds(5));
  // SI4: with no resync period the sync flags stay true, so the relist's
  // unchanged objects arrive as updates too.
  using testing_support::EventRecord;
  EXPECT_THAT(rec->history(), UnorderedElementsAre(EventRecord{"update", "pod1", "1", "1"},
                                                   EventRecord{"update", "pod2", "2", "2"},
                                                   EventRecord{"add", "pod3", "3", "3"}));
  for (const auto& r : rec->history()) EXPECT_FALSE(r.is_in_initial_list) << r;
}

// CURRENT with a source that streams watch-list initial events (RF15):
// the same cache, the same initial-list notifications.
TEST(SharedInformerRulesTest, CurrentProfileWithWatchListSource) {
  Env env(Profile::kCurrent, absl::ZeroDuration(), /*watch_list_source=*/true);
  env.source.Add(PodObject("", "pod1"));
  env.source.Add(PodObject("", "pod2"));
  auto l = std::make_shared<TestListener>();
  auto h = *env.informer->AddEventHandler(l);
  env.informer->Run();
  env.Settle();
  EXPECT_TRUE(h->HasSynced());
  EXPECT_EQ(l->initial_adds(), 2);
  EXPECT_EQ(env.source.list_calls(), 0);
  env.source.Add(PodObject("", "pod3"));
  env.Settle();
  EXPECT_EQ(l->names(), (std::set<std::string>{"pod1", "pod2", "pod3"}));
  EXPECT_EQ(env.informer->GetStore()->ListKeys().size(), 3u);
}

// The informer without a feeder: the queue is fed directly (HasSynced logic
// without a reflector).
TEST(SharedInformerRulesTest, QueueFedDirectly) {
  ManualRuntime rt;
  SharedIndexInformerOptions options;
  options.profile.profile = Profile::kClassic;
  SharedIndexInformer informer(&rt, nullptr, options);
  auto rec = std::make_shared<EventRecorder>(informer.GetStore());
  auto h = *informer.AddEventHandler(rec);
  informer.Run();
  rt.RunUntilIdle();
  ASSERT_NE(informer.queue(), nullptr);
  EXPECT_FALSE(informer.HasSynced());
  ASSERT_TRUE(informer.queue()
                  ->Replace({testing_support::MakePod("ns", "a", "1"),
                             testing_support::MakePod("ns", "b", "2")},
                            "2")
                  .ok());
  rt.RunUntilIdle();
  EXPECT_TRUE(informer.HasSynced());
  EXPECT_TRUE(h->HasSynced());
  // CLASSIC relist: a vanished key becomes a tombstone delete (D5, K5).
  ASSERT_TRUE(informer.queue()->Replace({testing_support::MakePod("ns", "a", "1")}, "3").ok());
  rt.RunUntilIdle();
  auto history = rec->history();
  // D6 order: the listed key first (an unchanged update, SI4), then the
  // tombstone.
  ASSERT_EQ(history.size(), 4u);
  EXPECT_EQ(history[2].action, "update");
  EXPECT_EQ(history[3].action, "delete");
  EXPECT_EQ(history[3].key, "ns/b");
  informer.Stop();
  rt.RunUntilIdle();
  EXPECT_TRUE(informer.IsStopped());
}

}  // namespace
}  // namespace informersim

namespace informersim {
namespace {

// Determinism (DESIGN.md): the same script on ManualRuntime gives the same
// notification trace, handler by handler.
std::vector<std::string> TraceOf(Profile profile) {
  Env env(profile, absl::Seconds(1));
  std::vector<std::string> trace;
  auto make = [&trace](const std::string& who) {
    auto h = std::make_shared<ResourceEventHandlerFuncs>();
    h->add_func = [&trace, who](const Item& o, bool i) {
      trace.push_back(absl::StrCat(who, " add ", KeyOf(o), "@", o.resource_version(), i));
    };
    h->update_func = [&trace, who](const Item&, const Item& o) {
      trace.push_back(absl::StrCat(who, " update ", KeyOf(o), "@", o.resource_version()));
    };
    h->delete_func = [&trace, who](const Item& o) {
      trace.push_back(absl::StrCat(who, " delete ", KeyOf(o)));
    };
    return h;
  };
  for (int i = 0; i < 10; ++i) env.source.Add(PodObject("ns", absl::StrCat("p", i)));
  (void)*env.informer->AddEventHandlerWithResyncPeriod(make("a"), absl::Seconds(1));
  (void)*env.informer->AddEventHandler(make("b"));
  env.informer->Run();
  for (int i = 0; i < 30; ++i) {
    env.source.Modify(PodObject("ns", absl::StrCat("p", i % 10), {{"i", absl::StrCat(i)}}));
    if (i % 5 == 0) env.rt.RunOne();
    if (i == 12) (void)*env.informer->AddEventHandler(make("late"));
    if (i == 20) env.source.ResetWatch();
  }
  env.Settle(absl::Seconds(5));
  return trace;
}

TEST_P(SharedInformerTest, SameScriptSameTrace) {
  const std::vector<std::string> first = TraceOf(GetParam());
  EXPECT_FALSE(first.empty());
  EXPECT_EQ(first, TraceOf(GetParam()));
}

}  // namespace
}  // namespace informersim

namespace informersim {
namespace {

// Mirrors client-go TestSharedInformerHandlerAbuse, deterministically:
// handlers come and go at random while the source churns and the runtime
// interleaves; every surviving handler ends with the cache's view.
TEST_P(SharedInformerTest, TestSharedInformerHandlerAbuse) {
  Env env(GetParam(), absl::Seconds(1));
  TestRandom r(21);
  struct Reg {
    std::shared_ptr<EventRecorder> rec;
    std::shared_ptr<ResourceEventHandlerRegistration> handle;
  };
  std::vector<Reg> regs;
  env.informer->Run();
  std::map<int, bool> exists;
  for (int i = 0; i < 2000; ++i) {
    switch (r.NextUint64() % 6) {
      case 0: {
        auto rec = std::make_shared<EventRecorder>();
        auto handle = env.informer->AddEventHandlerWithResyncPeriod(rec, absl::Seconds(1));
        ASSERT_TRUE(handle.ok());
        regs.push_back({rec, *handle});
        break;
      }
      case 1:
        if (!regs.empty()) {
          const size_t idx = r.NextUint64() % regs.size();
          ASSERT_TRUE(env.informer->RemoveEventHandler(regs[idx].handle).ok());
          regs.erase(regs.begin() + static_cast<std::ptrdiff_t>(idx));
        }
        break;
      default: {
        const int n = static_cast<int>(r.NextUint64() % 20);
        const std::string name = absl::StrCat("pod", n);
        if (!exists[n]) {
          env.source.Add(PodObject("", name));
          exists[n] = true;
        } else if (r.NextUint64() % 2 == 0) {
          env.source.Modify(PodObject("", name, {{"i", absl::StrCat(i)}}));
        } else {
          env.source.Delete(PodObject("", name));
          exists[n] = false;
        }
        break;
      }
    }
    for (int k = static_cast<int>(r.NextUint64() % 4); k > 0; --k) env.rt.RunOne();
  }
  env.Settle(absl::Seconds(3));
  EXPECT_EQ(env.informer->EventHandlerCount(), regs.size());
  const size_t cached = env.informer->GetStore()->ListKeys().size();
  for (const Reg& reg : regs) {
    EXPECT_TRUE(reg.handle->HasSynced());
    // Replay adds and deletes: the view ends equal to the cache's key set.
    std::map<std::string, bool> view;
    for (const auto& e : reg.rec->history()) {
      if (e.action == "add" || e.action == "update") view[e.key] = true;
      if (e.action == "delete") view.erase(e.key);
    }
    EXPECT_EQ(view.size(), cached);
  }
}

}  // namespace
}  // namespace informersim

namespace informersim {
namespace {

// client-go: Run with a context that is already done starts nothing. Here a
// Stop before Run must keep the Reflector from ever listing or watching.
TEST_P(SharedInformerTest, StopBeforeRunStartsNothing) {
  Env env(GetParam());
  env.source.Add(PodObject("", "pod1"));
  auto l = std::make_shared<TestListener>();
  ASSERT_TRUE(env.informer->AddEventHandler(l).ok());
  env.informer->Stop();
  env.informer->Run();
  env.rt.RunFor(absl::Minutes(10));
  EXPECT_TRUE(env.informer->IsStopped());
  EXPECT_TRUE(env.informer->RunStatus().ok());
  EXPECT_EQ(l->count(), 0u);
  EXPECT_FALSE(env.informer->HasSynced());
  EXPECT_EQ(env.source.list_calls(), 0);
  EXPECT_EQ(env.source.watch_calls(), 0);
  EXPECT_EQ(env.rt.pending_timers(), 0u);  // no watch, no backoff, no resync
  EXPECT_FALSE(env.informer->AddEventHandler(std::make_shared<TestListener>()).ok());
}

// Options the queue refuses are reported, not a crash.
TEST(SharedInformerRulesTest, RunWithInvalidOptionsReportsAndStops) {
  ManualRuntime rt;
  FakeControllerSource source(&rt, false);
  TestRandom random(3);
  SharedIndexInformerOptions options;
  options.profile.profile = Profile::kCurrent;
  options.batch_size = 0;
  SharedIndexInformer informer(&rt, ReflectorFeederFactory(&source, &rt, &random),
                               std::move(options));
  informer.Run();
  rt.RunFor(absl::Seconds(5));
  EXPECT_TRUE(informer.IsStopped());
  EXPECT_FALSE(informer.RunStatus().ok());
  EXPECT_NE(informer.RunStatus().message().find("cannot start"), absl::string_view::npos)
      << informer.RunStatus();
}

}  // namespace
}  // namespace informersim
