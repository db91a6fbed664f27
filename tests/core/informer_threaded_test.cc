// The shared informer on real threads (RealRuntime): producers, the
// reflector, the controller loop and the listeners all run concurrently.
// Meant for --config=tsan as well; bounded in time. Also the controller's
// transforming informer (client-go TestTransformingInformerRace).
#include <atomic>
#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "core/controller.h"
#include "core/mutex.h"
#include "core/real_env.h"
#include "core/reflector_feeder.h"
#include "core/shared_informer.h"
#include "gtest/gtest.h"
#include "tests/core/informer_support/fake_controller_source.h"
#include "tests/core/informer_support/informer_test_util.h"

namespace informersim {
namespace {

using testing_support::FakeControllerSource;
using testing_support::KeyOf;
using testing_support::LabelOf;
using testing_support::PodObject;

// The handler's view, replayed per key (INV3), under a lock.
class ViewHandler final : public ResourceEventHandler {
 public:
  void OnAdd(const Item& o, bool) override {
    MutexLock lock(&mu_);
    if (view_.count(KeyOf(o)) > 0) ++violations_;
    view_[KeyOf(o)] = std::string(o.resource_version());
  }
  void OnUpdate(const Item&, const Item& o) override {
    MutexLock lock(&mu_);
    if (view_.count(KeyOf(o)) == 0) ++violations_;
    view_[KeyOf(o)] = std::string(o.resource_version());
  }
  void OnDelete(const Item& o) override {
    MutexLock lock(&mu_);
    if (view_.erase(KeyOf(o)) == 0) ++violations_;
  }
  std::map<std::string, std::string> view() const {
    MutexLock lock(&mu_);
    return view_;
  }
  int violations() const {
    MutexLock lock(&mu_);
    return violations_;
  }

 private:
  mutable Mutex mu_;
  std::map<std::string, std::string> view_ ABSL_GUARDED_BY(mu_);
  int violations_ ABSL_GUARDED_BY(mu_) = 0;
};

std::map<std::string, std::string> Truth(const FakeControllerSource& source) {
  std::map<std::string, std::string> out;
  for (const ObjectPtr& o : source.Items()) out[KeyOf(o)] = o->metadata().resource_version();
  return out;
}

std::map<std::string, std::string> CacheView(SharedIndexInformer& informer) {
  std::map<std::string, std::string> out;
  for (const Item& o : informer.GetStore()->List()) {
    out[KeyOf(o)] = std::string(o.resource_version());
  }
  return out;
}

template <typename F>
bool Eventually(F&& f, std::chrono::seconds limit = std::chrono::seconds(20)) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < deadline) {
    if (f()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  return f();
}

void RunScenario(Profile profile) {
  RealRuntime rt(3);
  testing_support::TestRandom random(9);
  auto source = std::make_unique<FakeControllerSource>(&rt);
  for (int i = 0; i < 20; ++i) source->Add(PodObject("ns", absl::StrCat("pre-", i)));
  SharedIndexInformerOptions options;
  options.profile.profile = profile;
  options.resync_period = absl::Milliseconds(1000);
  BackoffOptions backoff;
  backoff.initial = absl::Milliseconds(10);
  backoff.cap = absl::Milliseconds(50);
  auto informer = std::make_unique<SharedIndexInformer>(
      &rt, ReflectorFeederFactory(source.get(), &rt, &random, backoff), options);
  auto early = std::make_shared<ViewHandler>();
  auto early_handle = *informer->AddEventHandlerWithResyncPeriod(early, absl::Seconds(1));
  informer->Run();

  // Producers race the informer; a late joiner and a removal race them too.
  std::thread producer([&] {
    std::map<std::string, bool> exists;  // a well-behaved server deletes only what exists
    for (int i = 0; i < 300; ++i) {
      const std::string name = absl::StrCat("p-", i % 30);
      if (i % 7 == 3 && exists[name]) {
        source->Delete(PodObject("ns", name));
        exists[name] = false;
      } else {
        exists[name] = true;
        source->Modify(PodObject("ns", name, {{"i", absl::StrCat(i)}}));
      }
      if (i == 150) source->ResetWatch();
    }
  });
  auto late = std::make_shared<ViewHandler>();
  std::shared_ptr<ResourceEventHandlerRegistration> late_handle;
  std::thread joiner([&] {
    auto removed = *informer->AddEventHandler(std::make_shared<ViewHandler>());
    late_handle = *informer->AddEventHandler(late);
    EXPECT_TRUE(informer->RemoveEventHandler(removed).ok());
  });
  producer.join();
  joiner.join();

  EXPECT_TRUE(Eventually([&] { return informer->HasSynced() && early_handle->HasSynced(); }));
  EXPECT_TRUE(Eventually([&] { return CacheView(*informer) == Truth(*source); }));
  EXPECT_TRUE(Eventually([&] { return early->view() == Truth(*source); }));
  EXPECT_TRUE(Eventually([&] { return late->view() == Truth(*source); }));
  EXPECT_TRUE(late_handle->HasSynced());
  EXPECT_EQ(early->violations(), 0);
  EXPECT_EQ(late->violations(), 0);

  informer->Stop();
  EXPECT_TRUE(Eventually([&] { return informer->IsStopped(); }));
  rt.Shutdown();
  informer.reset();
  source.reset();
}

// Mirrors client-go TestTransformingInformerRace (controller_test.go) on real
// threads: a transforming informer resyncing every 5ms while reader threads
// keep fetching every object from its store for a second. The properties:
// the transformer never sees an object it already transformed (resync Sync
// deltas carry store objects and must not be transformed again), readers
// always find every object and always see it transformed, and TSan sees no
// race (run this target under --config=tsan). Objects are immutable here, so
// the transformer returns a changed copy where Go mutates in place.
void RunTransformingInformerRace(Profile profile) {
  const std::string label = "to-be-transformed";
  constexpr int kObjects = 5;
  RealRuntime rt(3);
  testing_support::TestRandom random(21);
  auto source = std::make_unique<FakeControllerSource>(&rt);
  for (int i = 0; i < kObjects; ++i) {
    source->Add(PodObject("namespace", absl::StrCat("pod-", i), {{label, "true"}}));
  }
  std::atomic<bool> bad_transform{false};
  std::atomic<int> events{0};
  ResourceEventHandlerFuncs handler([&](const Item&, bool) { ++events; },
                                    [&](const Item&, const Item&) { ++events; },
                                    [&](const Item&) { ++events; });
  InformerOptions options;
  options.profile.profile = profile;
  options.runtime = &rt;
  options.feeder_factory = ReflectorFeederFactory(source.get(), &rt, &random);
  options.handler = &handler;
  options.resync_period = absl::Milliseconds(5);
  options.transform = [&](Item item) -> absl::StatusOr<Item> {
    if (!item.is_object()) return absl::InvalidArgumentError("unexpected object type");
    if (LabelOf(item, label) != "true") {
      bad_transform = true;
      return absl::InvalidArgumentError("object already transformed");
    }
    api::Object pod = *item.object();
    (*pod.mutable_metadata()->mutable_labels())[label] = "false";
    return Item(MakeObject(std::move(pod)));
  };
  auto informer = *Informer::Create(std::move(options));
  informer->Run();
  ASSERT_TRUE(Eventually([&] { return events.load() >= kObjects; }));

  std::atomic<bool> stop{false};
  Mutex errors_mu;
  std::vector<std::string> errors;
  std::vector<std::thread> readers;
  for (int i = 0; i < kObjects; ++i) {
    readers.emplace_back([&, i] {
      const std::string key = absl::StrCat("namespace/pod-", i);
      while (!stop.load()) {
        auto got = informer->store()->GetByKey(key);
        std::string error;
        if (!got.ok() || !got->has_value()) {
          error = absl::StrCat("couldn't get the object for ", key);
        } else if (LabelOf(**got, label) != "false") {
          error = absl::StrCat("unexpected object for ", key);
        }
        if (!error.empty()) {
          MutexLock lock(&errors_mu);
          errors.push_back(error);
          return;
        }
      }
    });
  }
  // Let resyncs happen for a while.
  std::this_thread::sleep_for(std::chrono::seconds(1));
  stop = true;
  for (std::thread& t : readers) t.join();
  EXPECT_TRUE(errors.empty()) << errors.front();
  EXPECT_FALSE(bad_transform.load());
  EXPECT_GT(events.load(), kObjects);  // resyncs were delivered
  informer->Stop();
  rt.Shutdown();
  informer.reset();
  source.reset();
}

TEST(InformerThreadedTest, TransformingInformerRaceClassic) {
  RunTransformingInformerRace(Profile::kClassic);
}
TEST(InformerThreadedTest, TransformingInformerRaceCurrent) {
  RunTransformingInformerRace(Profile::kCurrent);
}

// Mirrors client-go TestSharedInformerInitializationRace: a handler is added
// from another thread while Run starts the informer. Threaded on RealRuntime
// (the property is the absence of a data race: run under --config=tsan); we
// also check the racing handler ends up registered, synced and told of the
// object, whichever side won.
TEST(InformerThreadedTest, SharedInformerInitializationRace) {
  RealRuntime rt(3);
  testing_support::TestRandom random(31);
  auto source = std::make_unique<FakeControllerSource>(&rt);
  source->Add(PodObject("ns", "pod1"));
  SharedIndexInformerOptions options;
  options.resync_period = absl::Seconds(1);
  auto informer = std::make_unique<SharedIndexInformer>(
      &rt, ReflectorFeederFactory(source.get(), &rt, &random), options);
  auto listener = std::make_shared<ViewHandler>();
  std::shared_ptr<ResourceEventHandlerRegistration> handle;
  std::thread adder([&] {
    handle = *informer->AddEventHandlerWithResyncPeriod(listener, absl::ZeroDuration());
  });
  informer->Run();
  adder.join();
  EXPECT_TRUE(Eventually([&] { return handle->HasSynced(); }));
  EXPECT_TRUE(Eventually([&] { return listener->view() == Truth(*source); }));
  EXPECT_EQ(listener->violations(), 0);
  informer->Stop();
  EXPECT_TRUE(Eventually([&] { return informer->IsStopped(); }));
  rt.Shutdown();
  informer.reset();
  source.reset();
}

// Mirrors client-go TestSharedInformerStartRace: another thread keeps calling
// SetTransform and SetWatchErrorHandler while the informer starts. Threaded
// on RealRuntime for TSan. Also checked: once the informer has started, both
// setters refuse (client-go: "informer has already started"), and the
// informer still syncs.
TEST(InformerThreadedTest, SharedInformerStartRace) {
  RealRuntime rt(3);
  testing_support::TestRandom random(32);
  auto source = std::make_unique<FakeControllerSource>(&rt);
  source->Add(PodObject("ns", "pod1"));
  SharedIndexInformerOptions options;
  options.resync_period = absl::Seconds(1);
  auto informer = std::make_unique<SharedIndexInformer>(
      &rt, ReflectorFeederFactory(source.get(), &rt, &random), options);
  std::atomic<bool> stop{false};
  std::atomic<bool> refused_after_start{false};
  std::thread setter([&] {
    while (!stop.load()) {
      const bool started = informer->HasStarted();
      absl::Status a = informer->SetTransform([](Item i) -> absl::StatusOr<Item> { return i; });
      absl::Status b = informer->SetWatchErrorHandler([](const absl::Status&) {});
      if (started) {
        EXPECT_FALSE(a.ok());
        EXPECT_FALSE(b.ok());
        refused_after_start = true;
      }
    }
  });
  informer->Run();
  EXPECT_TRUE(Eventually([&] { return informer->HasSynced(); }));
  EXPECT_TRUE(Eventually([&] { return refused_after_start.load(); }));
  stop = true;
  setter.join();
  EXPECT_EQ(CacheView(*informer), Truth(*source));
  informer->Stop();
  EXPECT_TRUE(Eventually([&] { return informer->IsStopped(); }));
  rt.Shutdown();
  informer.reset();
  source.reset();
}

TEST(InformerThreadedTest, ClassicConverges) { RunScenario(Profile::kClassic); }
TEST(InformerThreadedTest, CurrentConverges) { RunScenario(Profile::kCurrent); }

}  // namespace
}  // namespace informersim
