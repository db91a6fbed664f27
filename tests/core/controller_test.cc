// The controller (C1-C5) and NewInformer, run with ManualRuntime (virtual
// time instead of sleeps) against FakeControllerSource through the real
// Reflector. Each end-to-end test names the client-go controller_test.go
// test it mirrors.
#include <algorithm>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "core/cache.h"
#include "core/controller.h"
#include "core/delta_fifo.h"
#include "core/fifo.h"
#include "core/keys.h"
#include "core/manual_runtime.h"
#include "core/real_fifo.h"
#include "core/reflector_feeder.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/core/informer_support/fake_controller_source.h"
#include "tests/core/informer_support/informer_test_util.h"

namespace informersim {
namespace {

using testing_support::EventRecord;
using testing_support::EventRecorder;
using testing_support::FakeControllerSource;
using testing_support::KeyOf;
using testing_support::LabelOf;
using testing_support::MakePod;
using testing_support::PodObject;
using testing_support::SortDeletesByKey;
using testing_support::TestRandom;
using ::testing::ElementsAre;
using ::testing::IsEmpty;

// client-go's Config around a RealFIFO (atomic or not) and a plain store,
// with processDeltas / processDeltasInBatch into `recorder`.
struct RealFIFOController {
  RealFIFOController(ManualRuntime* rt, FakeControllerSource* source, bool atomic)
      : store(NewStore(DeletionHandlingMetaNamespaceKeyFunc)), recorder(store.get()), random(7) {
    RealFIFOOptions options;
    options.atomic_events = atomic;
    if (!atomic) options.known_objects = store.get();
    fifo = *RealFIFO::Create(std::move(options));
    ControllerConfig config;
    config.queue = fifo.get();
    config.runtime = rt;
    if (source != nullptr) config.feeder_factory = ReflectorFeederFactory(source, rt, &random);
    config.process = [this](const Deltas& d, bool initial) {
      return ProcessDeltas(recorder, *store, d, initial);
    };
    config.process_batch = [this](absl::Span<const Delta> d, bool initial) {
      return ProcessDeltasInBatch(recorder, *store, d, initial);
    };
    config.batch_process = true;
    controller = std::make_unique<Controller>(std::move(config));
  }

  std::unique_ptr<Cache> store;
  EventRecorder recorder;
  TestRandom random;
  std::unique_ptr<RealFIFO> fifo;
  std::unique_ptr<Controller> controller;
};

// Mirrors client-go TestReplaceEvents: atomic and non-atomic RealFIFO give
// the same events and store state for a Replace fed into the queue.
TEST(ControllerTest, TestReplaceEvents) {
  for (bool atomic : {false, true}) {
    SCOPED_TRACE(absl::StrCat("atomic=", atomic));
    ManualRuntime rt;
    FakeControllerSource source(&rt);
    RealFIFOController c(&rt, &source, atomic);
    c.controller->Run();
    rt.RunFor(absl::Seconds(1));
    ASSERT_TRUE(c.controller->HasSynced());

    struct Case {
      std::string name;
      std::vector<ObjectPtr> initial;
      std::vector<ObjectPtr> replaced;
      std::string rv;
      std::vector<EventRecord> expected;
    };
    const std::vector<Case> cases = {
        {"Create with no initial objects",
         {},
         {MakePod("default", "pod-1", "1")},
         "1",
         {{"add", "default/pod-1", "1", "1"}}},
        {"Delete all objects",
         {MakePod("default", "pod-1", "1"), MakePod("default", "pod-3", "2")},
         {},
         "2",
         {{"delete", "default/pod-1", "1", ""}, {"delete", "default/pod-3", "2", ""}}},
        {"Create, update, delete",
         {MakePod("default", "pod-1", "1"), MakePod("default", "pod-2", "2", "1"),
          MakePod("default", "pod-3", "3")},
         {MakePod("default", "pod-1", "4"), MakePod("default", "pod-2", "5", "2"),
          MakePod("default", "pod-4", "6")},
         "6",
         {{"delete", "default/pod-3", "3", ""},
          {"update", "default/pod-1", "4", "4"},
          {"update", "default/pod-2", "5", "5"},
          {"add", "default/pod-4", "6", "6"}}},
    };
    for (const Case& tc : cases) {
      SCOPED_TRACE(tc.name);
      c.recorder.Clear();
      for (const ObjectPtr& o : tc.initial) ASSERT_TRUE(c.fifo->Add(o).ok());
      rt.RunUntilIdle();
      ASSERT_EQ(c.recorder.size(), tc.initial.size());
      c.recorder.Clear();
      std::vector<Item> list(tc.replaced.begin(), tc.replaced.end());
      ASSERT_TRUE(c.fifo->Replace(list, tc.rv).ok());
      rt.RunUntilIdle();
      EXPECT_EQ(SortDeletesByKey(c.recorder.history()), tc.expected);
      std::vector<std::string> keys = c.store->ListKeys();
      std::sort(keys.begin(), keys.end());
      std::vector<std::string> want;
      for (const ObjectPtr& o : tc.replaced) want.push_back(KeyOf(o));
      EXPECT_EQ(keys, want);
    }
    c.controller->Stop();
    rt.RunFor(absl::Seconds(1));
    EXPECT_TRUE(c.controller->IsStopped());
  }
}

// Mirrors client-go TestResetWatch: changes the watch never delivered come
// back through the relist after the watch is reset (and its history lost).
TEST(ControllerTest, TestResetWatch) {
  for (bool atomic : {false, true}) {
    SCOPED_TRACE(absl::StrCat("atomic=", atomic));
    ManualRuntime rt;
    FakeControllerSource source(&rt);
    source.Add(PodObject("default", "pod-1"));
    RealFIFOController c(&rt, &source, atomic);
    c.controller->Run();
    rt.RunFor(absl::Seconds(1));
    ASSERT_TRUE(c.controller->HasSynced());
    ASSERT_EQ(c.recorder.size(), 1u);
    EXPECT_EQ(c.recorder.history()[0].action, "add");
    EXPECT_EQ(c.recorder.history()[0].key, "default/pod-1");
    EXPECT_TRUE(c.recorder.history()[0].is_in_initial_list);

    c.recorder.Clear();
    source.ModifyDropWatch(PodObject("default", "pod-1"));
    source.AddDropWatch(PodObject("default", "pod-2"));
    source.ResetWatch();
    rt.RunFor(absl::Seconds(10));
    std::vector<EventRecord> history = c.recorder.history();
    ASSERT_EQ(history.size(), 2u);
    std::map<std::string, EventRecord> by_action;
    for (const EventRecord& r : history) by_action[r.action] = r;
    EXPECT_EQ(by_action["update"].key, "default/pod-1");
    EXPECT_FALSE(by_action["update"].is_in_initial_list);
    EXPECT_EQ(by_action["add"].key, "default/pod-2");
    EXPECT_FALSE(by_action["add"].is_in_initial_list);
    c.controller->Stop();
    rt.RunFor(absl::Seconds(1));
  }
}

// Mirrors client-go TestStoreResourceVersion (atomic RealFIFO, S5).
TEST(ControllerTest, TestStoreResourceVersion) {
  ManualRuntime rt;
  FakeControllerSource source(&rt);
  source.Add(PodObject("default", "pod-1"));
  RealFIFOController c(&rt, &source, /*atomic=*/true);
  c.controller->Run();
  rt.RunFor(absl::Seconds(1));
  ASSERT_EQ(c.recorder.size(), 1u);
  EXPECT_TRUE(c.recorder.history()[0].is_in_initial_list);

  c.recorder.Clear();
  source.Modify(PodObject("default", "pod-1", {{"foo", "bar"}}));
  rt.RunFor(absl::Seconds(1));
  ASSERT_EQ(c.recorder.size(), 1u);
  EXPECT_EQ(c.recorder.history()[0].event_rv, c.store->LastStoreSyncResourceVersion());

  c.recorder.Clear();
  source.Delete(PodObject("default", "pod-1"));
  rt.RunFor(absl::Seconds(1));
  ASSERT_EQ(c.recorder.size(), 1u);
  EXPECT_EQ(c.recorder.history()[0].event_rv, c.store->LastStoreSyncResourceVersion());
  c.controller->Stop();
  rt.RunFor(absl::Seconds(1));
}

class ProfileTest : public ::testing::TestWithParam<Profile> {};

INSTANTIATE_TEST_SUITE_P(Profiles, ProfileTest,
                         ::testing::Values(Profile::kClassic, Profile::kCurrent, Profile::kInterim),
                         [](const ::testing::TestParamInfo<Profile>& info) {
                           return std::string(ProfileName(info.param));
                         });

// Mirrors client-go TestUpdate: a handler that deletes each object once it
// sees it reach its final state; every object must end deleted and every
// observed transition must be an allowed one.
TEST_P(ProfileTest, TestUpdate) {
  ManualRuntime rt;
  FakeControllerSource source(&rt);
  TestRandom random(3);
  int deletions = 0;
  std::vector<std::string> bad_transitions;
  ResourceEventHandlerFuncs handler(
      nullptr,
      [&](const Item& old_obj, const Item& new_obj) {
        const std::string from = LabelOf(old_obj, "check"), to = LabelOf(new_obj, "check");
        const bool allowed = (from == "from" && to == "to") || (from == "to" && to == "to") ||
                             (from == "from" && to == "from");
        if (!allowed) bad_transitions.push_back(absl::StrCat(from, "->", to));
        if (LabelOf(new_obj, "final") == "true") {
          source.Delete(PodObject("", new_obj.meta()->name()));
        }
      },
      [&](const Item&) { ++deletions; });
  InformerOptions options;
  options.profile.profile = GetParam();
  options.runtime = &rt;
  options.feeder_factory = ReflectorFeederFactory(&source, &rt, &random);
  options.handler = &handler;
  auto informer = *Informer::Create(std::move(options));
  informer->Run();
  rt.RunFor(absl::Seconds(1));
  constexpr int kThreads = 3;
  for (int i = 0; i < kThreads; ++i) {
    const std::string name = absl::StrCat("a-", i, "-0");
    source.Add(PodObject("", name, {{"check", "from"}}));
    source.Modify(PodObject("", name, {{"check", "to"}, {"final", "true"}}));
  }
  rt.RunFor(absl::Seconds(5));
  EXPECT_EQ(deletions, kThreads);
  EXPECT_THAT(bad_transitions, IsEmpty());
  EXPECT_THAT(informer->store()->ListKeys(), IsEmpty());
  informer->Stop();
  rt.RunFor(absl::Seconds(1));
}

// Mirrors client-go's Example (the package example at the top of
// controller_test.go): a controller over a RealFIFO whose known objects are
// the downstream store, with a 100ms full resync, that deletes every object
// it is given and reports each deletion's key (through the fifo's key
// function, which handles tombstones). Deterministic on ManualRuntime:
// where Go waits on a channel, virtual time moves.
TEST(ControllerTest, Example) {
  ManualRuntime rt;
  FakeControllerSource source(&rt);
  TestRandom random(11);
  auto downstream = NewStore(DeletionHandlingMetaNamespaceKeyFunc);
  RealFIFOOptions fifo_options;
  fifo_options.key_function = MetaNamespaceKeyFunc;
  fifo_options.known_objects = downstream.get();
  std::unique_ptr<RealFIFO> fifo = *RealFIFO::Create(std::move(fifo_options));
  std::vector<std::string> deleted;
  ControllerConfig config;
  config.queue = fifo.get();
  config.runtime = &rt;
  config.feeder_factory = ReflectorFeederFactory(&source, &rt, &random);
  config.feeder_options.resync_period = absl::Milliseconds(100);
  config.process = [&](const Deltas& deltas, bool) -> absl::Status {
    const Delta& newest = deltas.back();
    if (newest.type != DeltaType::kDeleted) {
      absl::Status s = downstream->Add(newest.object);
      if (!s.ok()) return s;
      source.Delete(*newest.object.object());
      return absl::OkStatus();
    }
    absl::Status s = downstream->Delete(newest.object);
    if (!s.ok()) return s;
    absl::StatusOr<std::string> key = fifo->KeyOf(newest.object);
    if (!key.ok()) return key.status();
    deleted.push_back(*key);
    return absl::OkStatus();
  };
  Controller controller(std::move(config));
  controller.Run();
  for (const std::string name : {"a-hello", "b-controller", "c-framework"}) {
    source.Add(PodObject("", name));
  }
  rt.RunFor(absl::Seconds(1));
  std::sort(deleted.begin(), deleted.end());
  EXPECT_THAT(deleted, ElementsAre("a-hello", "b-controller", "c-framework"));
  EXPECT_THAT(downstream->ListKeys(), IsEmpty());
  EXPECT_TRUE(source.Items().empty());
  controller.Stop();
  rt.RunFor(absl::Seconds(1));
}

// Mirrors client-go ExampleNewInformer: an informer (100ms resync) whose add
// handler deletes the object from the source and whose delete handler
// reports the key; all three test objects come back as deletions.
TEST_P(ProfileTest, ExampleNewInformer) {
  ManualRuntime rt;
  FakeControllerSource source(&rt);
  TestRandom random(12);
  std::vector<std::string> deleted;
  ResourceEventHandlerFuncs handler(
      [&](const Item& o, bool) { source.Delete(*o.object()); }, nullptr,
      [&](const Item& o) {
        absl::StatusOr<std::string> key = DeletionHandlingMetaNamespaceKeyFunc(o);
        deleted.push_back(key.ok() ? *key : "oops something went wrong with the key");
      });
  InformerOptions options;
  options.profile.profile = GetParam();
  options.runtime = &rt;
  options.feeder_factory = ReflectorFeederFactory(&source, &rt, &random);
  options.handler = &handler;
  options.resync_period = absl::Milliseconds(100);
  auto informer = *Informer::Create(std::move(options));
  informer->Run();
  for (const std::string name : {"a-hello", "b-controller", "c-framework"}) {
    source.Add(PodObject("", name));
  }
  rt.RunFor(absl::Seconds(1));
  std::sort(deleted.begin(), deleted.end());
  EXPECT_THAT(deleted, ElementsAre("a-hello", "b-controller", "c-framework"));
  EXPECT_THAT(informer->store()->ListKeys(), IsEmpty());
  informer->Stop();
  rt.RunFor(absl::Seconds(1));
}

// Mirrors client-go TestHammerController, deterministically: a seeded mix of
// adds, updates and deletes; at quiescence the store equals the source, and
// every key's notifications follow add -> update* -> delete (INV3). As in
// client-go the informer resyncs every 100ms, and virtual time moves in
// between the operations so resync Sync deltas interleave with the watch's;
// client-go's final check (each key's first op is "add", and it is "delete"
// for deleted keys, i.e. the last op matches existence) is made here too.
TEST_P(ProfileTest, TestHammerController) {
  for (uint64_t seed = 1; seed <= 5; ++seed) {
    SCOPED_TRACE(absl::StrCat("seed=", seed));
    ManualRuntime rt;
    FakeControllerSource source(&rt);
    TestRandom random(seed);
    TestRandom op_random(seed * 1000 + 1);
    std::map<std::string, bool> present;  // handler's view
    std::map<std::string, std::vector<std::string>> ops;  // client-go's outputSet
    std::vector<std::string> violations;
    int resyncs_seen = 0;  // updates with an unchanged object: resyncs
    ResourceEventHandlerFuncs handler(
        [&](const Item& o, bool) {
          if (present[KeyOf(o)]) violations.push_back("add while present " + KeyOf(o));
          present[KeyOf(o)] = true;
          ops[KeyOf(o)].push_back("add");
        },
        [&](const Item& old, const Item& o) {
          if (old.resource_version() == o.resource_version()) ++resyncs_seen;
          if (!present[KeyOf(o)]) violations.push_back("update while absent " + KeyOf(o));
          ops[KeyOf(o)].push_back("update");
        },
        [&](const Item& o) {
          if (!present[KeyOf(o)]) violations.push_back("delete while absent " + KeyOf(o));
          present[KeyOf(o)] = false;
          ops[KeyOf(o)].push_back("delete");
        });
    InformerOptions options;
    options.resync_period = absl::Milliseconds(100);
    options.profile.profile = GetParam();
    options.runtime = &rt;
    options.feeder_factory = ReflectorFeederFactory(&source, &rt, &random);
    options.handler = &handler;
    auto informer = *Informer::Create(std::move(options));
    informer->Run();
    std::map<std::string, bool> exists;
    for (int step = 0; step < 300; ++step) {
      const std::string name = absl::StrCat("pod-", op_random.NextUint64() % 8);
      if (!exists[name]) {
        source.Add(PodObject("ns", name));
        exists[name] = true;
      } else if (op_random.NextUint64() % 3 == 0) {
        source.Delete(PodObject("ns", name));
        exists[name] = false;
      } else {
        source.Modify(PodObject("ns", name, {{"step", absl::StrCat(step)}}));
      }
      if (op_random.NextUint64() % 4 == 0) rt.RunOne();
      if (op_random.NextUint64() % 8 == 0) rt.RunFor(absl::Milliseconds(30));
    }
    rt.RunFor(absl::Seconds(5));
    EXPECT_THAT(violations, IsEmpty());
    EXPECT_GT(resyncs_seen, 0);
    for (const auto& [key, list] : ops) {
      SCOPED_TRACE(key);
      ASSERT_FALSE(list.empty());
      EXPECT_EQ(list.front(), "add");
      const std::string name = key.substr(key.find('/') + 1);
      EXPECT_EQ(list.back() == "delete", !exists[name]);
    }
    std::vector<ObjectPtr> truth = source.Items();
    ASSERT_EQ(informer->store()->ListKeys().size(), truth.size());
    for (const ObjectPtr& o : truth) {
      auto stored = informer->store()->GetByKey(KeyOf(o));
      ASSERT_TRUE(stored.ok() && stored->has_value());
      EXPECT_EQ((*stored)->resource_version(), o->metadata().resource_version());
      EXPECT_TRUE(present[KeyOf(o)]);
    }
    informer->Stop();
    rt.RunFor(absl::Seconds(1));
  }
}

// Mirrors client-go TestTransformingInformer: the queue's transformer shapes
// what the store keeps and what the handler gets, deletes included.
TEST_P(ProfileTest, TestTransformingInformer) {
  ManualRuntime rt;
  FakeControllerSource source(&rt);
  TestRandom random(4);
  auto make_pod = [](const std::string& name, const std::string& generation) {
    api::Object pod = PodObject("namespace", name, {{"generation", generation}});
    pod.set_spec("hostname=hostname;subdomain=subdomain");
    return pod;
  };
  source.Add(make_pod("pod1", "1"));
  source.Modify(make_pod("pod1", "2"));
  struct Event {
    std::string type, previous, current;  // "name/generation" of each side
  };
  std::vector<Event> events;
  auto describe = [](const Item& o) {
    if (o.is_null()) return std::string();
    EXPECT_EQ(o.object()->spec(), "hostname=new-hostname;nodename=nodename");
    EXPECT_EQ(o.resource_version(), "");
    return absl::StrCat(o.meta()->name(), "/", LabelOf(o, "generation"));
  };
  ResourceEventHandlerFuncs handler(
      [&](const Item& o, bool) { events.push_back({"ADDED", "", describe(o)}); },
      [&](const Item& a, const Item& b) {
        events.push_back({"MODIFIED", describe(a), describe(b)});
      },
      [&](const Item& o) { events.push_back({"DELETED", describe(o), ""}); });
  InformerOptions options;
  options.profile.profile = GetParam();
  options.runtime = &rt;
  options.feeder_factory = ReflectorFeederFactory(&source, &rt, &random);
  options.handler = &handler;
  options.transform = [](Item item) -> absl::StatusOr<Item> {
    if (!item.is_object()) return absl::InvalidArgumentError("unexpected object type");
    api::Object pod = *item.object();
    pod.set_spec("hostname=new-hostname;nodename=nodename");
    pod.mutable_metadata()->set_resource_version("");
    return Item(MakeObject(std::move(pod)));
  };
  auto informer = *Informer::Create(std::move(options));
  auto store_names = [&] {
    std::vector<std::string> out;
    for (const Item& o : informer->store()->List()) out.push_back(describe(o));
    std::sort(out.begin(), out.end());
    return out;
  };
  informer->Run();
  rt.RunFor(absl::Milliseconds(100));
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].type, "ADDED");
  EXPECT_EQ(events[0].current, "pod1/2");
  EXPECT_EQ(store_names(), std::vector<std::string>{"pod1/2"});
  source.Add(make_pod("pod2", "1"));
  rt.RunFor(absl::Milliseconds(100));
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[1].current, "pod2/1");
  EXPECT_EQ(store_names(), (std::vector<std::string>{"pod1/2", "pod2/1"}));
  source.Add(make_pod("pod3", "1"));
  source.Modify(make_pod("pod2", "2"));
  source.Delete(make_pod("pod1", "2"));
  rt.RunFor(absl::Milliseconds(100));
  ASSERT_EQ(events.size(), 5u);
  EXPECT_EQ(events[2].type, "ADDED");
  EXPECT_EQ(events[2].current, "pod3/1");
  EXPECT_EQ(events[3].type, "MODIFIED");
  EXPECT_EQ(events[3].previous, "pod2/1");
  EXPECT_EQ(events[3].current, "pod2/2");
  EXPECT_EQ(events[4].type, "DELETED");
  EXPECT_EQ(events[4].previous, "pod1/2");
  EXPECT_EQ(store_names(), (std::vector<std::string>{"pod2/2", "pod3/1"}));
  informer->Stop();
  rt.RunFor(absl::Seconds(1));
}

// ---------------------------------------------------------------------------
// The process loop itself, with the queue fed directly (no feeder).

struct DirectController {
  explicit DirectController(ManualRuntime* rt, bool batch, bool drain = false)
      : store(NewStore(DeletionHandlingMetaNamespaceKeyFunc)), recorder(store.get()) {
    RealFIFOOptions options;
    options.atomic_events = true;
    fifo = *RealFIFO::Create(std::move(options));
    ControllerConfig config;
    config.queue = fifo.get();
    config.runtime = rt;
    config.process = [this](const Deltas& d, bool initial) {
      ++single_calls;
      return ProcessDeltas(recorder, *store, d, initial);
    };
    config.process_batch = [this](absl::Span<const Delta> d, bool initial) {
      ++batch_calls;
      return ProcessDeltasInBatch(recorder, *store, d, initial);
    };
    config.batch_process = batch;
    config.drain_closed_queue_after_stop = drain;
    controller = std::make_unique<Controller>(std::move(config));
  }
  std::unique_ptr<Cache> store;
  EventRecorder recorder;
  std::unique_ptr<RealFIFO> fifo;
  std::unique_ptr<Controller> controller;
  int single_calls = 0;
  int batch_calls = 0;
};

TEST(ControllerLoopTest, OnePopPerTaskAndWokenByTheQueue) {  // C1, queue readiness hook
  ManualRuntime rt;
  DirectController c(&rt, /*batch=*/false);
  c.controller->Run();
  rt.RunUntilIdle();  // finds the queue empty and waits
  EXPECT_FALSE(rt.HasRunnable());
  ASSERT_TRUE(c.fifo->Add(MakePod("ns", "a", "1")).ok());
  ASSERT_TRUE(c.fifo->Add(MakePod("ns", "b", "2")).ok());
  EXPECT_TRUE(rt.HasRunnable());
  EXPECT_TRUE(rt.RunOne());
  EXPECT_EQ(c.recorder.size(), 1u);
  EXPECT_TRUE(rt.RunOne());
  EXPECT_EQ(c.recorder.size(), 2u);
  rt.RunUntilIdle();
  EXPECT_EQ(c.controller->stats().pops, 2);
  EXPECT_TRUE(c.controller->HasSynced());  // C2: any Add syncs the queue
}

TEST(ControllerLoopTest, BatchProcessingPopsDistinctKeysTogether) {  // C1 [N], R10
  ManualRuntime rt;
  DirectController c(&rt, /*batch=*/true);
  c.controller->Run();
  for (const char* n : {"a", "b", "c"}) ASSERT_TRUE(c.fifo->Add(MakePod("ns", n, "1")).ok());
  ASSERT_TRUE(c.fifo->Update(MakePod("ns", "a", "2")).ok());
  rt.RunUntilIdle();
  EXPECT_EQ(c.batch_calls, 1);   // a, b, c
  EXPECT_EQ(c.single_calls, 1);  // a again
  EXPECT_EQ(c.recorder.size(), 4u);
}

TEST(ControllerLoopTest, StopClosesTheQueueAndExitsTheLoop) {  // C1
  ManualRuntime rt;
  DirectController c(&rt, /*batch=*/true);
  bool stopped = false;
  c.controller->Run([&] { stopped = true; });
  rt.RunUntilIdle();
  EXPECT_FALSE(c.controller->IsStopped());
  c.controller->Stop();
  EXPECT_TRUE(c.fifo->IsClosed());
  rt.RunUntilIdle();
  EXPECT_TRUE(c.controller->IsStopped());
  EXPECT_TRUE(stopped);
  // Later items are not processed.
  ASSERT_TRUE(c.fifo->Add(MakePod("ns", "late", "1")).ok());
  rt.RunUntilIdle();
  EXPECT_EQ(c.recorder.size(), 0u);
}

// C1 by profile: what is queued when Stop comes. client-go up to v0.33
// (CLASSIC) pops on until the closed queue is empty; later versions return
// at the next iteration, leaving it.
TEST(ControllerLoopTest, ClassicDrainsTheClosedQueueAfterStop) {
  for (const bool drain : {false, true}) {
    SCOPED_TRACE(drain ? "drains (CLASSIC)" : "returns (CURRENT)");
    ManualRuntime rt;
    DirectController c(&rt, /*batch=*/false, drain);
    bool stopped = false;
    c.controller->Run([&] { stopped = true; });
    rt.RunUntilIdle();
    for (const char* n : {"a", "b", "c"}) ASSERT_TRUE(c.fifo->Add(MakePod("ns", n, "1")).ok());
    c.controller->Stop();  // before any of them was popped
    rt.RunUntilIdle();
    EXPECT_TRUE(stopped);
    EXPECT_TRUE(c.controller->IsStopped());
    EXPECT_EQ(c.recorder.size(), drain ? 3u : 0u);
  }
  EXPECT_TRUE(DrainsClosedQueueAfterStop(Profile::kClassic));
  EXPECT_FALSE(DrainsClosedQueueAfterStop(Profile::kInterim));
  EXPECT_FALSE(DrainsClosedQueueAfterStop(Profile::kCurrent));
}

TEST(ControllerLoopTest, HasSyncedFollowsTheQueueAfterProcessing) {  // C2, D11
  ManualRuntime rt;
  auto store = NewStore(DeletionHandlingMetaNamespaceKeyFunc);
  DeltaFIFOOptions options;
  options.known_objects = store.get();
  options.emit_delta_type_replaced = true;
  DeltaFIFO fifo(std::move(options));
  int processed = 0;
  ControllerConfig config;
  config.queue = &fifo;
  config.runtime = &rt;
  // Runs under the queue's lock (D8): it must not call back into the queue,
  // so HasSynced is read between steps instead.
  config.process = [&](const Deltas&, bool initial) {
    EXPECT_TRUE(initial);
    ++processed;
    return absl::OkStatus();
  };
  Controller controller(std::move(config));
  controller.Run();
  rt.RunUntilIdle();
  ASSERT_TRUE(fifo.Replace({MakePod("ns", "a", "1"), MakePod("ns", "b", "2")}, "2").ok());
  EXPECT_FALSE(controller.HasSynced());
  ASSERT_TRUE(rt.RunOne());
  EXPECT_EQ(processed, 1);
  EXPECT_FALSE(controller.HasSynced());
  ASSERT_TRUE(rt.RunOne());
  EXPECT_EQ(processed, 2);
  EXPECT_TRUE(controller.HasSynced());
}

TEST(ControllerLoopTest, ProcessErrorsDropTheItemAndAreCounted) {  // C1, D8
  ManualRuntime rt;
  DeltaFIFO fifo;
  ControllerConfig config;
  config.queue = &fifo;
  config.runtime = &rt;
  config.process = [](const Deltas&, bool) { return absl::InternalError("boom"); };
  Controller controller(std::move(config));
  controller.Run();
  ASSERT_TRUE(fifo.Add(MakePod("ns", "a", "1")).ok());
  rt.RunUntilIdle();
  EXPECT_EQ(controller.stats().process_errors, 1);
  EXPECT_EQ(fifo.size(), 0u);
}

TEST(ControllerLoopTest, DestroyedControllerLeavesHarmlessTasks) {
  ManualRuntime rt;
  auto c = std::make_unique<DirectController>(&rt, true);
  c->controller->Run();
  ASSERT_TRUE(c->fifo->Add(MakePod("ns", "a", "1")).ok());
  c->controller.reset();
  rt.RunUntilIdle();
  EXPECT_EQ(c->recorder.size(), 0u);
}

// The queues' readiness hook (core/queue.h): called on every empty ->
// non-empty edge and on Close, at once when installed on a non-empty queue.
template <typename Q>
void CheckReadyHook(Q& q) {
  int calls = 0;
  q.SetReadyCallback([&calls] { ++calls; });
  EXPECT_EQ(calls, 0);
  ASSERT_TRUE(q.Add(MakePod("ns", "a", "1")).ok());
  EXPECT_EQ(calls, 1);
  ASSERT_TRUE(q.Add(MakePod("ns", "b", "1")).ok());
  EXPECT_EQ(calls, 1);  // already non-empty
  const auto noop = [](const Deltas&, bool) { return absl::OkStatus(); };
  EXPECT_EQ(q.TryPop(noop).outcome, PopOutcome::kPopped);
  ASSERT_TRUE(q.Add(MakePod("ns", "c", "1")).ok());
  EXPECT_EQ(calls, 1);  // never went empty
  EXPECT_EQ(q.TryPop(noop).outcome, PopOutcome::kPopped);
  EXPECT_EQ(q.TryPop(noop).outcome, PopOutcome::kPopped);
  EXPECT_EQ(q.TryPop(noop).outcome, PopOutcome::kEmpty);
  ASSERT_TRUE(q.Add(MakePod("ns", "d", "1")).ok());
  EXPECT_EQ(calls, 2);
  int late = 0;
  q.SetReadyCallback([&late] { ++late; });  // installed on a non-empty queue
  EXPECT_EQ(late, 1);
  q.Close();
  EXPECT_EQ(late, 2);
  q.SetReadyCallback(nullptr);
}

TEST(QueueReadyHookTest, DeltaFIFO) {
  DeltaFIFO q;
  CheckReadyHook(q);
}

TEST(QueueReadyHookTest, RealFIFO) {
  RealFIFOOptions options;
  options.atomic_events = true;
  auto q = *RealFIFO::Create(std::move(options));
  CheckReadyHook(*q);
}

TEST(QueueReadyHookTest, FIFO) {
  FIFO q;
  CheckReadyHook(q);
}

}  // namespace
}  // namespace informersim
