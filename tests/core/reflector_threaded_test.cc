// The Reflector on RealRuntime (worker threads, the steady clock) against
// thread-safe doubles: events pushed from the test thread, resync on its own
// strand, watch restarts and relists, statistics read concurrently, then Stop.
// Small enough for --config=tsan:
//   bazel test --config=tsan //tests/core:reflector_threaded_test
#include <chrono>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "core/cache.h"
#include "core/keys.h"
#include "core/mutex.h"
#include "core/real_env.h"
#include "core/reflector.h"
#include "gtest/gtest.h"
#include "tests/core/support/lister_watcher_doubles.h"

namespace informersim {
namespace {

using testing_support::FakeWatcher;
using testing_support::FuncListerWatcher;
using testing_support::MakePod;
using testing_support::SplitMixRandom;

// Polls `cond` for up to 20 seconds of real time.
template <typename F>
bool Eventually(F cond) {
  for (int i = 0; i < 20000; ++i) {
    if (cond()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  return cond();
}

class CountingStore : public ReflectorStore {
 public:
  CountingStore() : cache_(NewStore(MetaNamespaceKeyFunc)) {}
  absl::Status Add(Item obj) override { return cache_->Add(std::move(obj)); }
  absl::Status Update(Item obj) override { return cache_->Update(std::move(obj)); }
  absl::Status Delete(Item obj) override { return cache_->Delete(std::move(obj)); }
  absl::Status Replace(std::vector<Item> list, absl::string_view rv) override {
    return cache_->Replace(std::move(list), rv);
  }
  absl::Status Resync() override {
    MutexLock l(&mu_);
    ++resyncs_;
    return absl::OkStatus();
  }
  int resyncs() {
    MutexLock l(&mu_);
    return resyncs_;
  }
  Cache& cache() { return *cache_; }

 private:
  std::unique_ptr<Cache> cache_;
  Mutex mu_;
  int resyncs_ ABSL_GUARDED_BY(mu_) = 0;
};

TEST(ReflectorThreadedTest, ListWatchResyncRewatchAndStop) {
  RealRuntime rt(3);
  SplitMixRandom random(7);
  CountingStore store;
  Mutex mu;
  std::vector<std::shared_ptr<FakeWatcher>> watchers;  // guarded by mu
  int lists = 0;                                       // guarded by mu
  FuncListerWatcher lw(
      [&](const ListOptions&) {
        MutexLock l(&mu);
        ++lists;
        ListPage page;
        page.resource_version = "1";
        page.items = {MakePod("listed", "1")};
        return page;
      },
      [&](const ListOptions&) {
        MutexLock l(&mu);
        watchers.push_back(FakeWatcher::New());
        return watchers.back();
      });
  auto latest = [&]() -> std::shared_ptr<FakeWatcher> {
    MutexLock l(&mu);
    return watchers.empty() ? nullptr : watchers.back();
  };
  auto watcher_count = [&] {
    MutexLock l(&mu);
    return watchers.size();
  };

  ReflectorOptions o;
  o.name = "threaded";
  o.resync_period = absl::Milliseconds(2);
  o.backoff.emplace();
  o.backoff->initial = absl::Milliseconds(1);
  o.backoff->cap = absl::Milliseconds(4);
  Reflector r(&lw, &store, &rt, &random, o);
  r.Run();

  ASSERT_TRUE(Eventually([&] { return latest() != nullptr; }));
  std::thread reader([&] {
    for (int i = 0; i < 2000; ++i) {
      (void)r.LastSyncResourceVersion();
      (void)r.stats();
    }
  });
  for (int i = 2; i < 50; ++i) {
    latest()->Add(MakePod(absl::StrCat("pod-", i), absl::StrCat(i)));
  }
  ASSERT_TRUE(Eventually([&] { return r.LastSyncResourceVersion() == "49"; }));
  EXPECT_TRUE(Eventually([&] { return store.resyncs() >= 3; }));

  // A broken stream: ListAndWatch ends, the backoff passes, a relist at 49.
  const size_t before = watcher_count();
  latest()->Error(absl::InternalError("broken stream"));
  ASSERT_TRUE(Eventually([&] { return watcher_count() > before; }));
  EXPECT_TRUE(Eventually([&] {
    MutexLock l(&mu);
    return lists >= 2;
  }));
  reader.join();

  r.Stop();
  auto last = latest();
  EXPECT_TRUE(Eventually([&] { return last->StoppedByClient(); }));
  EXPECT_TRUE(r.IsStopped());
  rt.Shutdown();
  EXPECT_EQ(store.cache().List().size(), 1u);  // the relist replaced the watch's pods
}

}  // namespace
}  // namespace informersim
