// The shared informer on real threads (RealRuntime): producers, the
// reflector, the controller loop and the listeners all run concurrently.
// Meant for --config=tsan as well; bounded in time.
#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
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

TEST(InformerThreadedTest, ClassicConverges) { RunScenario(Profile::kClassic); }
TEST(InformerThreadedTest, CurrentConverges) { RunScenario(Profile::kCurrent); }

}  // namespace
}  // namespace informersim
