// Tests of the Reflector (rules RF1-RF14, RF17), each mirroring a test of
// client-go's tools/cache/reflector_test.go. ManualRuntime is the fake clock:
// where client-go sleeps or polls, these tests run tasks and move virtual time.
// Profile: CLASSIC unless a test says otherwise (use_watch_list off).
#include "core/reflector.h"

#include <algorithm>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "core/api_errors.h"
#include "core/backoff.h"
#include "core/cache.h"
#include "core/fifo.h"
#include "core/keys.h"
#include "core/manual_runtime.h"
#include "core/reflector_store_ext.h"
#include "core/retry_with_deadline.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/core/support/lister_watcher_doubles.h"

namespace informersim {
namespace {

using testing_support::FakeWatcher;
using testing_support::FixedRandom;
using testing_support::FuncListerWatcher;
using testing_support::MakePod;
using testing_support::SplitMixRandom;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

ListPage MakeList(std::string rv, std::vector<ObjectPtr> items = {},
                  std::string continue_token = "") {
  ListPage page;
  page.resource_version = std::move(rv);
  page.items = std::move(items);
  page.continue_token = std::move(continue_token);
  return page;
}

std::vector<ObjectPtr> Pods(int from, int to) {
  std::vector<ObjectPtr> out;
  for (int i = from; i < to; ++i) {
    out.push_back(MakePod(absl::StrCat("pod-", i), absl::StrCat(i)));
  }
  return out;
}

// name -> resource version of everything in the store.
std::map<std::string, std::string> Contents(const Store& store) {
  std::map<std::string, std::string> out;
  for (const Item& item : store.List()) {
    out[item.meta()->name()] = std::string(item.resource_version());
  }
  return out;
}

// A ReflectorStore over a Cache with hooks, like client-go's FakeCustomStore
// and fakeStore.
class HookStore : public ReflectorStore {
 public:
  HookStore() : cache_(NewStore(MetaNamespaceKeyFunc)) {}
  absl::Status Add(Item obj) override { return cache_->Add(std::move(obj)); }
  absl::Status Update(Item obj) override { return cache_->Update(std::move(obj)); }
  absl::Status Delete(Item obj) override { return cache_->Delete(std::move(obj)); }
  absl::Status Replace(std::vector<Item> list, absl::string_view rv) override {
    if (before_replace) before_replace(std::string(rv));
    absl::Status s = cache_->Replace(std::move(list), rv);
    if (after_replace) after_replace(std::string(rv), s);
    return s;
  }
  absl::Status Resync() override { return resync ? resync() : absl::OkStatus(); }

  Cache& cache() { return *cache_; }
  std::function<void(const std::string&)> before_replace;
  std::function<void(const std::string&, const absl::Status&)> after_replace;
  std::function<absl::Status()> resync;

 private:
  std::unique_ptr<Cache> cache_;
};

// Runs one ListAndWatch to its end, running tasks and moving virtual time
// (at most `limit`).
class Once {
 public:
  Once(Reflector* r, ManualRuntime* rt) : rt_(rt) {
    r->ListAndWatchOnce([this](absl::Status s) { result_ = std::move(s); });
  }
  // Runs until done or until `limit` of virtual time has passed.
  const std::optional<absl::Status>& Wait(absl::Duration limit = absl::Minutes(1)) {
    const absl::Time deadline = rt_->Now() + limit;
    while (!result_.has_value()) {
      rt_->RunUntilIdle();
      if (result_.has_value() || !rt_->AdvanceToNextTimer() || rt_->Now() > deadline) break;
    }
    return result_;
  }
  bool done() const { return result_.has_value(); }

 private:
  ManualRuntime* rt_;
  std::optional<absl::Status> result_;
};

ReflectorOptions Opts() {
  ReflectorOptions o;
  o.name = "test-reflector";
  return o;
}

// A ListerWatcher whose watch streams record what the reflector does with
// them, in order: "Watch" when a stream is opened (client-go's MockWatcher
// records "ResultChan" at that point) and "Stop" for every WatchStream::Stop.
// client-go's handleWatch tests check this sequence is exactly {ResultChan,
// Stop}: one stream, stopped once. Single-threaded (ManualRuntime) use only.
class RecordingListerWatcher final : public ListerWatcher {
 public:
  void List(const ListOptions&, ListCallback done) override {
    ++lists;
    done(MakeList("1"));
  }
  void Watch(const ListOptions&, std::shared_ptr<WatchConsumer> consumer,
             WatchCallback started) override {
    calls.push_back("Watch");
    this->consumer = std::move(consumer);
    if (on_watch) on_watch();
    started(std::unique_ptr<WatchStream>(new Stream(this)));
  }

  std::vector<std::string> calls;
  int lists = 0;
  std::shared_ptr<WatchConsumer> consumer;
  std::function<void()> on_watch;

 private:
  class Stream final : public WatchStream {
   public:
    explicit Stream(RecordingListerWatcher* lw) : lw_(lw) {}
    void Stop() override { lw_->calls.push_back("Stop"); }

   private:
    RecordingListerWatcher* lw_;
  };
};

// Options whose watch error handler counts its calls: client-go's watch()
// turns errorStopRequested (and every handleWatch error) into a nil return,
// so the handler must never see one.
ReflectorOptions CountingOpts(int* handler_calls) {
  ReflectorOptions o = Opts();
  o.watch_error_handler = [handler_calls](const absl::Status&) { ++*handler_calls; };
  return o;
}

// True if any logged line contains `text`.
bool Logged(const Reflector& r, absl::string_view text) {
  for (const std::string& line : r.RecentLog()) {
    if (absl::StrContains(line, text)) return true;
  }
  return false;
}

// Mirrors client-go TestCloseWatchChannelOnError: an error event ends the
// watch, the reflector stops the stream, and ListAndWatch returns nil.
TEST(ReflectorTest, CloseWatchChannelOnError) {
  ManualRuntime rt;
  SplitMixRandom random;
  auto store = NewStore(MetaNamespaceKeyFunc);
  auto fw = FakeWatcher::New();
  FuncListerWatcher lw([](const ListOptions&) { return MakeList("1"); },
                       [&](const ListOptions&) { return fw; });
  Reflector r(&lw, store.get(), &rt, &random, Opts());
  Once once(&r, &rt);
  rt.RunUntilIdle();
  fw->Error(absl::InternalError("not an API status"));
  ASSERT_TRUE(once.Wait().has_value());
  EXPECT_TRUE(once.Wait()->ok());
  EXPECT_TRUE(fw->StoppedByClient());
}

// Mirrors client-go TestRunUntil: stopping the reflector stops its watch and
// ends Run.
TEST(ReflectorTest, RunUntil) {
  ManualRuntime rt;
  SplitMixRandom random;
  auto store = NewStore(MetaNamespaceKeyFunc);
  auto fw = FakeWatcher::New();
  FuncListerWatcher lw([](const ListOptions&) { return MakeList("1"); },
                       [&](const ListOptions&) { return fw; });
  Reflector r(&lw, store.get(), &rt, &random, Opts());
  r.Run();
  rt.RunUntilIdle();
  fw->Add(MakePod("bar", "2"));
  rt.RunUntilIdle();
  EXPECT_EQ(Contents(*store), (std::map<std::string, std::string>{{"bar", "2"}}));
  r.Stop();
  rt.RunUntilIdle();
  EXPECT_TRUE(r.IsStopped());
  EXPECT_TRUE(fw->StoppedByClient());
  EXPECT_EQ(rt.pending_timers(), 0u);
  // Nothing more happens, however long we wait.
  rt.RunFor(absl::Hours(1));
  EXPECT_EQ(lw.list_options().size(), 1u);
  EXPECT_EQ(lw.watch_options().size(), 1u);
}

// Mirrors client-go TestReflectorWatchStoppedBefore (and TestReflectorStopWatch):
// a stopped reflector makes no request.
TEST(ReflectorTest, WatchStoppedBefore) {
  ManualRuntime rt;
  SplitMixRandom random;
  auto store = NewStore(MetaNamespaceKeyFunc);
  FuncListerWatcher lw(
      [](const ListOptions&) -> absl::StatusOr<ListPage> {
        ADD_FAILURE() << "List called unexpectedly";
        return MakeList("1");
      },
      [](const ListOptions&) -> absl::StatusOr<std::shared_ptr<FakeWatcher>> {
        ADD_FAILURE() << "Watch called unexpectedly";
        return FakeWatcher::New();
      });
  Reflector r(&lw, store.get(), &rt, &random, Opts());
  r.Stop();
  Once once(&r, &rt);
  ASSERT_TRUE(once.Wait().has_value());
  EXPECT_TRUE(once.Wait()->ok());
  r.Run();
  rt.RunFor(absl::Minutes(1));
}

// Mirrors client-go TestReflectorWatchStoppedAfter and
// TestReflectorHandleWatchStoppedBefore: a cancel that arrives with the watch
// ends ListAndWatch with nil and stops that watch.
TEST(ReflectorTest, WatchStoppedAfter) {
  ManualRuntime rt;
  SplitMixRandom random;
  auto store = NewStore(MetaNamespaceKeyFunc);
  std::vector<std::shared_ptr<FakeWatcher>> watchers;
  Reflector* rp = nullptr;
  FuncListerWatcher lw([](const ListOptions&) { return MakeList("1"); },
                       [&](const ListOptions&) {
                         rp->CancelListAndWatch();
                         watchers.push_back(FakeWatcher::New());
                         return watchers.back();
                       });
  Reflector r(&lw, store.get(), &rt, &random, Opts());
  rp = &r;
  Once once(&r, &rt);
  ASSERT_TRUE(once.Wait().has_value());
  EXPECT_TRUE(once.Wait()->ok());
  ASSERT_EQ(watchers.size(), 1u);
  EXPECT_TRUE(watchers[0]->StoppedByClient());
}

// Mirrors client-go TestReflectorHandleWatchStoppedAfter: a cancel while the
// watch is open (10ms in) stops it.
TEST(ReflectorTest, HandleWatchStoppedAfter) {
  ManualRuntime rt;
  SplitMixRandom random;
  auto store = NewStore(MetaNamespaceKeyFunc);
  auto fw = FakeWatcher::New();
  FuncListerWatcher lw([](const ListOptions&) { return MakeList("1"); },
                       [&](const ListOptions&) { return fw; });
  Reflector r(&lw, store.get(), &rt, &random, Opts());
  Once once(&r, &rt);
  rt.RunUntilIdle();
  rt.AdvanceBy(absl::Milliseconds(10));
  r.CancelListAndWatch();
  ASSERT_TRUE(once.Wait().has_value());
  EXPECT_TRUE(once.Wait()->ok());
  EXPECT_TRUE(fw->StoppedByClient());
}

// Mirrors client-go TestReflectorHandleWatchResultChanClosedBefore and
// ...ClosedAfter (RF11): a stream closed within a second without events is a
// very short watch; the watch loop ends (nil) instead of re-watching, and the
// stream is stopped.
TEST(ReflectorTest, HandleWatchResultChanClosedBeforeAndAfter) {
  for (absl::Duration close_after : {absl::ZeroDuration(), absl::Milliseconds(10)}) {
    ManualRuntime rt;
    SplitMixRandom random;
    auto store = NewStore(MetaNamespaceKeyFunc);
    auto fw = FakeWatcher::New();
    FuncListerWatcher lw([](const ListOptions&) { return MakeList("1"); },
                         [&](const ListOptions&) { return fw; });
    Reflector r(&lw, store.get(), &rt, &random, Opts());
    Once once(&r, &rt);
    rt.RunUntilIdle();
    rt.AdvanceBy(close_after);
    fw->Stop();
    ASSERT_TRUE(once.Wait().has_value());
    EXPECT_TRUE(once.Wait()->ok());
    EXPECT_EQ(r.stats().very_short_watches, 1);
    EXPECT_EQ(lw.watch_options().size(), 1u);
    EXPECT_TRUE(fw->StoppedByClient());
    EXPECT_THAT(r.RecentLog().back(), HasSubstr("very short watch"));
  }
}

// RF11/RF12: a stream that lasted a second or more ends cleanly, and the
// reflector re-watches at once from lastSync, without a relist or a backoff.
TEST(ReflectorTest, LongWatchCloseRewatchesWithoutRelist) {
  ManualRuntime rt;
  SplitMixRandom random;
  auto store = NewStore(MetaNamespaceKeyFunc);
  std::vector<std::shared_ptr<FakeWatcher>> watchers;
  FuncListerWatcher lw([](const ListOptions&) { return MakeList("7"); },
                       [&](const ListOptions&) {
                         watchers.push_back(FakeWatcher::New());
                         return watchers.back();
                       });
  Reflector r(&lw, store.get(), &rt, &random, Opts());
  Once once(&r, &rt);
  rt.RunUntilIdle();
  rt.AdvanceBy(absl::Seconds(1));
  watchers[0]->Stop();
  rt.RunUntilIdle();
  EXPECT_FALSE(once.done());
  ASSERT_EQ(lw.watch_options().size(), 2u);
  EXPECT_EQ(lw.watch_options()[1].resource_version, "7");
  EXPECT_EQ(lw.list_options().size(), 1u);
  EXPECT_EQ(r.stats().backoffs, 0);
  EXPECT_EQ(r.stats().very_short_watches, 0);
  r.CancelListAndWatch();
  ASSERT_TRUE(once.Wait().has_value());
}

// Mirrors client-go TestReflectorWatchHandler (RF10): events are applied,
// an event whose object cannot be understood is skipped, and lastSync follows
// the events.
TEST(ReflectorTest, WatchHandler) {
  ManualRuntime rt;
  SplitMixRandom random;
  auto store = NewStore(MetaNamespaceKeyFunc);
  auto fw = FakeWatcher::New();
  FuncListerWatcher lw(
      [](const ListOptions&) {
        return MakeList("10", {MakePod("foo", ""), MakePod("bar", "")});
      },
      [&](const ListOptions&) { return fw; });
  Reflector r(&lw, store.get(), &rt, &random, Opts());
  Once once(&r, &rt);
  rt.RunUntilIdle();
  // client-go rejects a Service in a Pod watch; here, an object without meta.
  fw->Add(MakeObject(api::Object()));
  fw->Delete(MakePod("foo", ""));
  fw->Modify(MakePod("bar", "55"));
  fw->Add(MakePod("baz", "32"));
  rt.RunUntilIdle();
  EXPECT_EQ(r.LastSyncResourceVersion(), "32");
  r.CancelListAndWatch();
  ASSERT_TRUE(once.Wait().has_value());
  EXPECT_TRUE(once.Wait()->ok());
  EXPECT_EQ(Contents(*store),
            (std::map<std::string, std::string>{{"bar", "55"}, {"baz", "32"}}));
  EXPECT_EQ(r.stats().watch_events, 3);
}

// Mirrors client-go TestReflectorListAndWatch, case "UseWatchList disabled"
// (the watch-list case is in reflector_watchlist_test.cc).
TEST(ReflectorTest, ListAndWatch) {
  ManualRuntime rt;
  SplitMixRandom random;
  auto store = NewStore(MetaNamespaceKeyFunc);
  std::vector<std::shared_ptr<FakeWatcher>> watchers;
  FuncListerWatcher lw(
      [](const ListOptions&) { return MakeList("1", {MakePod("foo", "1")}); },
      [&](const ListOptions&) -> absl::StatusOr<std::shared_ptr<FakeWatcher>> {
        if (!watchers.empty()) return absl::InternalError("only one watch expected");
        watchers.push_back(FakeWatcher::New());
        return watchers.back();
      },
      /*watch_list_unsupported=*/false);
  Reflector r(&lw, store.get(), &rt, &random, Opts());
  Once once(&r, &rt);
  rt.RunUntilIdle();
  ASSERT_EQ(watchers.size(), 1u);
  watchers[0]->Modify(MakePod("foo", "2"));
  watchers[0]->Add(MakePod("bar", "3"));
  watchers[0]->Add(MakePod("baz", "4"));
  watchers[0]->Add(MakePod("qux", "5"));
  watchers[0]->Add(MakePod("zoo", "6"));
  rt.RunUntilIdle();
  EXPECT_EQ(Contents(*store), (std::map<std::string, std::string>{{"foo", "2"},
                                                                   {"bar", "3"},
                                                                   {"baz", "4"},
                                                                   {"qux", "5"},
                                                                   {"zoo", "6"}}));
  ASSERT_EQ(lw.list_options().size(), 1u);
  const ListOptions lo = lw.list_options()[0];
  EXPECT_EQ(lo.resource_version, "0");
  EXPECT_EQ(lo.limit, 500);
  EXPECT_FALSE(lo.allow_watch_bookmarks);
  EXPECT_FALSE(lo.send_initial_events.has_value());
  ASSERT_EQ(lw.watch_options().size(), 1u);
  const ListOptions wo = lw.watch_options()[0];
  EXPECT_EQ(wo.resource_version, "1");
  EXPECT_TRUE(wo.allow_watch_bookmarks);
  EXPECT_FALSE(wo.send_initial_events.has_value());
  EXPECT_TRUE(wo.timeout_seconds.has_value());
  r.CancelListAndWatch();
  ASSERT_TRUE(once.Wait().has_value());
  EXPECT_TRUE(once.Wait()->ok());
}

// ---- Exact watcher calls (client-go's MockWatcher tests) ----
//
// client-go's handleWatch returns errorStopRequested when its context is
// cancelled, and watch() turns that into a nil return without consulting the
// error handler or logging. Here the cycle's result is that nil (OK), the
// watch error handler is never called and nothing is logged as a watch
// error; the stream's call sequence is checked exactly as client-go checks
// {ResultChan, Stop}.

// Mirrors client-go TestReflectorHandleWatchStoppedBefore: the cancel is
// already pending when the watch opens (it is queued before the stream reaches
// the reflector's strand).
TEST(ReflectorTest, HandleWatchStoppedBeforeExactCalls) {
  ManualRuntime rt;
  SplitMixRandom random;
  auto store = NewStore(MetaNamespaceKeyFunc);
  RecordingListerWatcher lw;
  int handler_calls = 0;
  Reflector r(&lw, store.get(), &rt, &random, CountingOpts(&handler_calls));
  lw.on_watch = [&] { r.CancelListAndWatch(); };
  Once once(&r, &rt);
  ASSERT_TRUE(once.Wait().has_value());
  EXPECT_TRUE(once.Wait()->ok());  // errorStopRequested -> nil
  EXPECT_THAT(lw.calls, ElementsAre("Watch", "Stop"));
  EXPECT_EQ(lw.lists, 1);
  EXPECT_EQ(handler_calls, 0);
  EXPECT_FALSE(Logged(r, "watch ended with error"));
  // Nothing else happens later either.
  rt.RunFor(absl::Minutes(1));
  EXPECT_THAT(lw.calls, ElementsAre("Watch", "Stop"));
}

// Mirrors client-go TestReflectorHandleWatchStoppedAfter: the cancel comes
// 10ms after the stream opened.
TEST(ReflectorTest, HandleWatchStoppedAfterExactCalls) {
  ManualRuntime rt;
  SplitMixRandom random;
  auto store = NewStore(MetaNamespaceKeyFunc);
  RecordingListerWatcher lw;
  int handler_calls = 0;
  Reflector r(&lw, store.get(), &rt, &random, CountingOpts(&handler_calls));
  Once once(&r, &rt);
  rt.RunUntilIdle();
  EXPECT_THAT(lw.calls, ElementsAre("Watch"));
  rt.AdvanceBy(absl::Milliseconds(10));
  r.CancelListAndWatch();
  ASSERT_TRUE(once.Wait().has_value());
  EXPECT_TRUE(once.Wait()->ok());
  EXPECT_THAT(lw.calls, ElementsAre("Watch", "Stop"));
  EXPECT_EQ(handler_calls, 0);
  EXPECT_FALSE(Logged(r, "watch ended with error"));
  rt.RunFor(absl::Minutes(1));
  EXPECT_THAT(lw.calls, ElementsAre("Watch", "Stop"));
}

// Mirrors client-go TestReflectorHandleWatchResultChanClosedBefore and
// ...ClosedAfter: the server closes the stream (at once, or 10ms in) with no
// event. handleWatch returns exactly VeryShortWatchError{Name: r.name}; the
// client still calls Stop once, and watch() logs it and returns nil (no
// re-watch, no relist, no error handler).
TEST(ReflectorTest, HandleWatchResultChanClosedExactCallsAndError) {
  for (absl::Duration close_after : {absl::ZeroDuration(), absl::Milliseconds(10)}) {
    SCOPED_TRACE(absl::FormatDuration(close_after));
    ManualRuntime rt;
    SplitMixRandom random;
    auto store = NewStore(MetaNamespaceKeyFunc);
    RecordingListerWatcher lw;
    int handler_calls = 0;
    Reflector r(&lw, store.get(), &rt, &random, CountingOpts(&handler_calls));
    Once once(&r, &rt);
    rt.RunUntilIdle();
    rt.AdvanceBy(close_after);
    ASSERT_NE(lw.consumer, nullptr);
    lw.consumer->OnClosed();
    ASSERT_TRUE(once.Wait().has_value());
    EXPECT_TRUE(once.Wait()->ok());
    EXPECT_THAT(lw.calls, ElementsAre("Watch", "Stop"));
    EXPECT_EQ(lw.lists, 1);
    EXPECT_EQ(handler_calls, 0);
    EXPECT_EQ(r.stats().very_short_watches, 1);
    const std::string want =
        "very short watch: test-reflector: Unexpected watch close - watch lasted less "
        "than a second and no items received";
    EXPECT_TRUE(Logged(r, want)) << ::testing::PrintToString(r.RecentLog());
  }
}

// Mirrors client-go TestReflectorStopWatch: the whole reflector is stopped
// (its context done) before the watch gets going. The stream is stopped
// exactly once, ListAndWatch gives nil, and the stopped reflector never
// lists or watches again.
TEST(ReflectorTest, StopWatchExactCalls) {
  ManualRuntime rt;
  SplitMixRandom random;
  auto store = NewStore(MetaNamespaceKeyFunc);
  RecordingListerWatcher lw;
  int handler_calls = 0;
  Reflector r(&lw, store.get(), &rt, &random, CountingOpts(&handler_calls));
  lw.on_watch = [&] { r.Stop(); };
  r.Run();
  rt.RunFor(absl::Minutes(5));
  EXPECT_TRUE(r.IsStopped());
  EXPECT_THAT(lw.calls, ElementsAre("Watch", "Stop"));
  EXPECT_EQ(lw.lists, 1);
  EXPECT_EQ(handler_calls, 0);
  EXPECT_FALSE(Logged(r, "watch ended with error"));
  EXPECT_EQ(rt.pending_timers(), 0u);
}

// Mirrors client-go TestReflectorListAndWatch ("UseWatchList disabled") with
// its store: client-go's reflector feeds a FIFO and the test Pops it,
// checking name and resource version in order. foo was queued by the list's
// Replace and then modified, so it keeps its first place with the new version.
TEST(ReflectorTest, ListAndWatchPopOrderFromFIFO) {
  ManualRuntime rt;
  SplitMixRandom random;
  FIFO fifo(MetaNamespaceKeyFunc);
  std::vector<std::shared_ptr<FakeWatcher>> watchers;
  FuncListerWatcher lw(
      [](const ListOptions&) { return MakeList("1", {MakePod("foo", "1")}); },
      [&](const ListOptions&) -> absl::StatusOr<std::shared_ptr<FakeWatcher>> {
        if (!watchers.empty()) return absl::InternalError("only one watch expected");
        watchers.push_back(FakeWatcher::New());
        return watchers.back();
      });
  Reflector r(&lw, &fifo, &rt, &random, Opts());
  Once once(&r, &rt);
  rt.RunUntilIdle();
  ASSERT_EQ(watchers.size(), 1u);
  watchers[0]->Modify(MakePod("foo", "2"));
  watchers[0]->Add(MakePod("bar", "3"));
  watchers[0]->Add(MakePod("baz", "4"));
  watchers[0]->Add(MakePod("qux", "5"));
  watchers[0]->Add(MakePod("zoo", "6"));
  rt.RunUntilIdle();
  std::vector<std::string> popped;
  for (int i = 0; i < 5; ++i) {
    PopResult res = fifo.TryPopItem([&](const Item& obj, bool) {
      popped.push_back(absl::StrCat(obj.meta()->name(), "/", obj.resource_version()));
      return absl::OkStatus();
    });
    ASSERT_EQ(res.outcome, PopOutcome::kPopped);
  }
  EXPECT_THAT(popped, ElementsAre("foo/2", "bar/3", "baz/4", "qux/5", "zoo/6"));
  EXPECT_EQ(fifo.size(), 0u);
  ASSERT_EQ(lw.list_options().size(), 1u);
  ASSERT_EQ(lw.watch_options().size(), 1u);
  r.CancelListAndWatch();
  ASSERT_TRUE(once.Wait().has_value());
  EXPECT_TRUE(once.Wait()->ok());
}

// Mirrors client-go TestReflectorResyncChan: with a 1ms resync period the
// first resync tick comes after exactly that period (client-go only checks it
// comes before wait.ForeverTestTimeout). Our resync channel is a timer on the
// Runtime; the tick is observed as the store's Resync call.
TEST(ReflectorTest, ResyncChan) {
  ManualRuntime rt;
  SplitMixRandom random;
  HookStore store;
  std::vector<absl::Time> ticks;
  store.resync = [&] {
    ticks.push_back(rt.Now());
    return absl::OkStatus();
  };
  auto fw = FakeWatcher::New();
  FuncListerWatcher lw([](const ListOptions&) { return MakeList("1"); },
                       [&](const ListOptions&) { return fw; });
  ReflectorOptions o = Opts();
  o.resync_period = absl::Milliseconds(1);
  Reflector r(&lw, &store, &rt, &random, o);
  const absl::Time start = rt.Now();
  Once once(&r, &rt);
  rt.RunUntilIdle();
  EXPECT_TRUE(ticks.empty());
  rt.RunFor(absl::Microseconds(999));
  EXPECT_TRUE(ticks.empty());
  rt.RunFor(absl::Microseconds(1));
  ASSERT_EQ(ticks.size(), 1u);
  EXPECT_EQ(ticks[0] - start, absl::Milliseconds(1));
  r.CancelListAndWatch();
  ASSERT_TRUE(once.Wait().has_value());
  // client-go's stop func stops the timer: nothing is left pending.
  rt.RunUntilIdle();
  EXPECT_EQ(rt.pending_timers(), 0u);
}

// Mirrors client-go TestReflectorListExtract: after a paginated list (5 pages
// of 100 pods) fills the store, deleting every pod but one per page must
// free the deleted pods' memory: the reflector keeps no reference to the list
// pages (Go: the items are copied out of the page slices so one surviving
// item does not pin its whole page). Go watches the first pod of each page
// with a finalizer; here a weak_ptr to it, while the watch is still open.
TEST(ReflectorTest, ListExtract) {
  constexpr int kItems = 100;
  constexpr int kPages = 5;
  constexpr int kExempt = kItems / 4;
  ManualRuntime rt;
  SplitMixRandom random;
  auto store = NewStore(MetaNamespaceKeyFunc);
  std::vector<std::weak_ptr<const api::Object>> detected;
  std::vector<std::string> exempt;
  int fetched = 0;
  auto fw = FakeWatcher::New();
  FuncListerWatcher lw(
      [&](const ListOptions& o) -> absl::StatusOr<ListPage> {
        EXPECT_EQ(o.limit, kItems);
        std::vector<ObjectPtr> items = Pods(fetched * kItems, (fetched + 1) * kItems);
        detected.push_back(items.front());
        exempt.push_back(items[kExempt]->metadata().name());
        ++fetched;
        return MakeList("1", std::move(items), fetched < kPages ? "true" : "");
      },
      [&](const ListOptions&) { return fw; });
  ReflectorOptions o = Opts();
  o.watch_list_page_size = kItems;
  Reflector r(&lw, store.get(), &rt, &random, o);
  Once once(&r, &rt);
  rt.RunUntilIdle();
  ASSERT_EQ(fetched, kPages);
  ASSERT_EQ(store->List().size(), static_cast<size_t>(kItems * kPages));
  for (const auto& w : detected) {
    ObjectPtr pod = w.lock();
    ASSERT_NE(pod, nullptr);
    auto got = store->GetByKey(pod->metadata().name());
    ASSERT_TRUE(got.ok() && got->has_value());
  }
  for (const std::string& key : store->ListKeys()) {
    if (std::find(exempt.begin(), exempt.end(), key) != exempt.end()) continue;
    auto got = store->GetByKey(key);
    ASSERT_TRUE(got.ok() && got->has_value());
    ASSERT_TRUE(store->Delete(**got).ok());
  }
  EXPECT_EQ(store->List().size(), exempt.size());
  for (size_t i = 0; i < detected.size(); ++i) {
    EXPECT_TRUE(detected[i].expired()) << "first pod of page " << i << " still referenced";
  }
  r.CancelListAndWatch();
  ASSERT_TRUE(once.Wait().has_value());
}

// Mirrors client-go TestReflectorListAndWatchWithErrors: a sequence of
// ListAndWatch runs on one store, each row's list checked against what the
// previous rows left in the store.
TEST(ReflectorTest, ListAndWatchWithErrors) {
  struct Row {
    std::optional<ListPage> list;
    absl::Status list_err;
    std::vector<std::pair<WatchEventType, ObjectPtr>> events;
    absl::Status watch_err;
  };
  std::vector<Row> table;
  table.push_back({MakeList("1"),
                   absl::OkStatus(),
                   {{WatchEventType::kAdded, MakePod("foo", "2")},
                    {WatchEventType::kAdded, MakePod("bar", "3")}},
                   absl::OkStatus()});
  table.push_back({MakeList("3", {MakePod("foo", "2"), MakePod("bar", "3")}),
                   absl::OkStatus(),
                   {{WatchEventType::kDeleted, MakePod("foo", "4")},
                    {WatchEventType::kAdded, MakePod("qux", "5")}},
                   absl::OkStatus()});
  table.push_back({std::nullopt, absl::UnknownError("a list error"), {}, absl::OkStatus()});
  table.push_back({MakeList("5", {MakePod("bar", "3"), MakePod("qux", "5")}),
                   absl::OkStatus(),
                   {},
                   absl::UnknownError("a watch error")});
  table.push_back({MakeList("5", {MakePod("bar", "3"), MakePod("qux", "5")}),
                   absl::OkStatus(),
                   {{WatchEventType::kAdded, MakePod("baz", "6")}},
                   absl::OkStatus()});
  table.push_back(
      {MakeList("6", {MakePod("bar", "3"), MakePod("qux", "5"), MakePod("baz", "6")}),
       absl::OkStatus(),
       {},
       absl::OkStatus()});

  auto store = NewStore(MetaNamespaceKeyFunc);
  for (size_t line = 0; line < table.size(); ++line) {
    SCOPED_TRACE(line);
    const Row& row = table[line];
    if (row.list.has_value()) {
      std::map<std::string, std::string> want;
      for (const auto& pod : row.list->items) {
        want[pod->metadata().name()] = pod->metadata().resource_version();
      }
      EXPECT_EQ(Contents(*store), want);
    }
    ManualRuntime rt;
    SplitMixRandom random;
    absl::Status watch_err = row.watch_err;
    std::shared_ptr<FakeWatcher> fw;
    FuncListerWatcher lw(
        [&](const ListOptions&) -> absl::StatusOr<ListPage> {
          if (!row.list_err.ok()) return row.list_err;
          return *row.list;
        },
        [&](const ListOptions&) -> absl::StatusOr<std::shared_ptr<FakeWatcher>> {
          if (!watch_err.ok()) return watch_err;
          watch_err = absl::UnknownError("second watch");
          fw = FakeWatcher::New();
          return fw;
        },
        /*watch_list_unsupported=*/true);
    Reflector r(&lw, store.get(), &rt, &random, Opts());
    Once once(&r, &rt);
    rt.RunUntilIdle();
    if (fw != nullptr) {
      for (const auto& [type, obj] : row.events) fw->Action(type, obj);
      rt.RunUntilIdle();
      r.CancelListAndWatch();
    }
    ASSERT_TRUE(once.Wait().has_value());
    const absl::Status& err = *once.Wait();
    if (!row.list_err.ok()) {
      EXPECT_THAT(std::string(err.message()), HasSubstr("a list error"));
    } else if (!row.watch_err.ok()) {
      EXPECT_EQ(err, row.watch_err);
    } else {
      EXPECT_TRUE(err.ok()) << err;
    }
  }
}

// One ListAndWatch whose first `fails` watch connections are refused (RF9):
// the virtual time it took, its backoffs and its LIST requests.
struct RefusedWatches {
  absl::Duration elapsed;
  int64_t backoffs = 0;
  size_t lists = 0;
};
RefusedWatches RunWithRefusedWatches(int fails, const ReflectorOptions& o, RandomSource* random) {
  ManualRuntime rt;
  auto store = NewStore(MetaNamespaceKeyFunc);
  Reflector* rp = nullptr;
  FuncListerWatcher lw(
      [](const ListOptions&) { return MakeList("1"); },
      [&](const ListOptions&) -> absl::StatusOr<std::shared_ptr<FakeWatcher>> {
        if (fails > 0) {
          --fails;
          return ConnectionRefusedError("watch");
        }
        rp->CancelListAndWatch();
        return FakeWatcher::New();
      });
  Reflector r(&lw, store.get(), &rt, random, o);
  rp = &r;
  const absl::Time start = rt.Now();
  Once once(&r, &rt);
  EXPECT_TRUE(once.Wait(absl::Hours(1)).has_value());
  if (once.Wait().has_value()) EXPECT_TRUE(once.Wait()->ok());
  return RefusedWatches{rt.Now() - start, r.stats().backoffs, lw.list_options().size()};
}

// Mirrors client-go TestReflectorListAndWatchInitConnBackoff: refused watch
// connections are retried after backoff delays (RF9) and never cause a relist.
// client-go measures its own fake-clock stepping; here virtual time is the
// sum of the delays themselves, so the bounds are those of the delays.
TEST(ReflectorTest, ListAndWatchInitConnBackoff) {
  const absl::Duration max_backoff = absl::Milliseconds(50);
  struct Case {
    int conn_fails;
    absl::Duration lower;
    absl::Duration upper;
  };
  for (const Case& c : {Case{5, absl::Milliseconds(32), absl::Milliseconds(64)},
                        // Lower bound: the jitter-free sum of the delays with
                        // the 100ms reset (ListAndWatchInitConnBackoffExactDelays).
                        Case{40, absl::Milliseconds(596), 40 * 2 * max_backoff}}) {
    SCOPED_TRACE(c.conn_fails);
    FixedRandom random(0.5);
    ReflectorOptions o = Opts();
    o.backoff.emplace();
    o.backoff->initial = absl::Milliseconds(1);
    o.backoff->cap = max_backoff;
    o.backoff->steps = 1000;
    o.backoff->factor = 2.0;
    o.backoff->jitter = 1.0;
    o.backoff->reset_after = absl::Milliseconds(100);
    const RefusedWatches run = RunWithRefusedWatches(c.conn_fails, o, &random);
    EXPECT_GE(run.elapsed, c.lower);
    EXPECT_LE(run.elapsed, c.upper);
    EXPECT_EQ(run.backoffs, c.conn_fails);
    EXPECT_EQ(run.lists, 1u);
  }
}

// The virtual time `fails` refused watches must take under client-go's rules
// (wait.Backoff{Duration: 1ms, Cap: 50ms, Factor: 2, Jitter: 1} with
// DelayWithReset(clock, 100ms)) when every jitter draw is `fraction`: each
// delay is d*(1+fraction), d doubles up to the cap, and the whole backoff goes
// back to 1ms once more than 100ms have passed since the last reset.
absl::Duration ModelInitConnBackoff(int fails, double fraction) {
  const absl::Duration initial = absl::Milliseconds(1), cap = absl::Milliseconds(50);
  absl::Duration t, last_reset, d = initial;
  for (int i = 0; i < fails; ++i) {
    if (t - last_reset > absl::Milliseconds(100)) {
      d = initial;
      last_reset = t;
    }
    t += d + d * fraction;
    d = std::min(d * 2, cap);
  }
  return t;
}

// Strengthens the lower bound of ListAndWatchInitConnBackoff. client-go's
// bounds for 40 failures (3.5s-4s) measure its test's clock-stepping
// goroutine, which jumps the fake clock by min(2^(i+1)ms, 100ms) per wait
// whatever the pending delay is; with virtual time the elapsed time is the sum
// of the delays themselves, so we check that sum exactly for fixed jitter
// draws, and that the jitter-free sum is a lower bound reached with draw 0.
TEST(ReflectorTest, ListAndWatchInitConnBackoffExactDelays) {
  for (int fails : {5, 40}) {
    for (double fraction : {0.0, 0.5, 0.99}) {
      SCOPED_TRACE(absl::StrCat(fails, " fails, jitter draw ", fraction));
      FixedRandom random(fraction);
      ReflectorOptions o = Opts();
      o.backoff.emplace();
      o.backoff->initial = absl::Milliseconds(1);
      o.backoff->cap = absl::Milliseconds(50);
      o.backoff->steps = 1000;
      o.backoff->factor = 2.0;
      o.backoff->jitter = 1.0;
      o.backoff->reset_after = absl::Milliseconds(100);
      const RefusedWatches run = RunWithRefusedWatches(fails, o, &random);
      const absl::Duration want = ModelInitConnBackoff(fails, fraction);
      EXPECT_LE(absl::AbsDuration(run.elapsed - want), fails * absl::Microseconds(1))
          << run.elapsed << " vs " << want;
      EXPECT_GE(run.elapsed, ModelInitConnBackoff(fails, 0.0) - fails * absl::Microseconds(1));
      if (fails == 5) {
        // client-go's own bounds hold for the un-reset exponential phase.
        EXPECT_GE(run.elapsed, absl::Milliseconds(31));
        EXPECT_LE(run.elapsed, absl::Milliseconds(64));
      }
    }
  }
  EXPECT_EQ(ModelInitConnBackoff(5, 0.0), absl::Milliseconds(31));
  EXPECT_EQ(ModelInitConnBackoff(40, 0.0), absl::Milliseconds(596));
}

// Mirrors client-go TestNewReflectorWithCustomBackoff.
TEST(ReflectorTest, NewReflectorWithCustomBackoff) {
  struct Case {
    std::string name;
    std::optional<BackoffOptions> backoff;
    int conn_fails;
    absl::Duration lower;
    absl::Duration upper;
  };
  BackoffOptions custom;
  custom.initial = absl::Milliseconds(10);
  custom.factor = 2.0;
  custom.jitter = 0;
  custom.steps = 100;
  custom.cap = absl::Milliseconds(100);
  for (const Case& c :
       {Case{"default backoff", std::nullopt, 2, absl::ZeroDuration(), absl::Seconds(10)},
        Case{"custom backoff", custom, 5, absl::Milliseconds(250),
             absl::Milliseconds(300)}}) {
    SCOPED_TRACE(c.name);
    SplitMixRandom random;
    ReflectorOptions o = Opts();
    if (c.backoff.has_value()) o.backoff = *c.backoff;
    const absl::Duration elapsed = RunWithRefusedWatches(c.conn_fails, o, &random).elapsed;
    EXPECT_GE(elapsed, c.lower);
    EXPECT_LE(elapsed, c.upper);
  }
}

// RF1: client-go fills in Steps only when no backoff is supplied at all; a
// supplied wait.Backoff without Steps never grows. Five refused watches
// with a 10 ms backoff take 5 x 10 ms, not 10 + 20 + 40 + 80 + 100.
TEST(ReflectorTest, SuppliedBackoffWithoutStepsNeverGrows) {
  for (const bool with_steps : {false, true}) {
    SCOPED_TRACE(with_steps ? "steps 100" : "no steps");
    SplitMixRandom random;
    ReflectorOptions o = Opts();
    BackoffOptions supplied;
    supplied.initial = absl::Milliseconds(10);
    supplied.factor = 2.0;
    supplied.jitter = 0;
    supplied.cap = absl::Milliseconds(100);
    if (with_steps) supplied.steps = 100;
    o.backoff = supplied;
    EXPECT_EQ(RunWithRefusedWatches(5, o, &random).elapsed,
              with_steps ? absl::Milliseconds(250) : absl::Milliseconds(50));
  }
}

// Mirrors client-go TestBackoffOnTooManyRequests (RF9, RF12): a 429 at watch
// start and a 429 error event each cost one backoff; a watch closed at once
// then ends ListAndWatch with nil.
TEST(ReflectorTest, BackoffOnTooManyRequests) {
  ManualRuntime rt;
  SplitMixRandom random;
  auto store = NewStore(MetaNamespaceKeyFunc);
  const absl::Status err = TooManyRequestsError("too many requests", 1);
  Reflector* rp = nullptr;
  FuncListerWatcher lw(
      [](const ListOptions&) { return MakeList("1"); },
      [&](const ListOptions&) -> absl::StatusOr<std::shared_ptr<FakeWatcher>> {
        auto w = FakeWatcher::New();
        switch (rp->stats().backoffs) {
          case 0:
            return err;
          case 1:
            w->Error(err);
            return w;
          default:
            w->Stop();
            return w;
        }
      });
  Reflector r(&lw, store.get(), &rt, &random, Opts());
  rp = &r;
  Once once(&r, &rt);
  ASSERT_TRUE(once.Wait().has_value());
  EXPECT_TRUE(once.Wait()->ok());
  EXPECT_EQ(r.stats().backoffs, 2);
}

// Mirrors client-go TestNoRelistOnTooManyRequests.
TEST(ReflectorTest, NoRelistOnTooManyRequests) {
  ManualRuntime rt;
  SplitMixRandom random;
  auto store = NewStore(MetaNamespaceKeyFunc);
  const absl::Status err = TooManyRequestsError("too many requests", 1);
  int list_calls = 0, watch_calls = 0;
  FuncListerWatcher lw(
      [&](const ListOptions&) {
        ++list_calls;
        return MakeList("1");
      },
      [&](const ListOptions&) -> absl::StatusOr<std::shared_ptr<FakeWatcher>> {
        ++watch_calls;
        if (watch_calls < 5) return err;
        auto w = FakeWatcher::New();
        w->Stop();
        return w;
      });
  Reflector r(&lw, store.get(), &rt, &random, Opts());
  Once once(&r, &rt);
  ASSERT_TRUE(once.Wait().has_value());
  EXPECT_TRUE(once.Wait()->ok());
  EXPECT_EQ(list_calls, 1);
  EXPECT_EQ(watch_calls, 5);
}

// Mirrors client-go TestRetryInternalError (RF12, RF13).
TEST(ReflectorTest, RetryInternalError) {
  struct Case {
    std::string name;
    absl::Duration max_internal;
    int rewind_time;
    int want_retries;
  };
  for (const Case& c : {Case{"retries off", absl::ZeroDuration(), 0, 0},
                        Case{"retries on, all calls fail", absl::Seconds(30), 0, 31},
                        Case{"retries on, one call successful", absl::Seconds(30), 10, 40}}) {
    SCOPED_TRACE(c.name);
    ManualRuntime rt;
    SplitMixRandom random;
    auto store = NewStore(MetaNamespaceKeyFunc);
    const absl::Status err = InternalApiError("etcdserver: no leader");
    int counter = 0;
    FuncListerWatcher lw([](const ListOptions&) { return MakeList("1"); },
                         [&](const ListOptions&) {
                           ++counter;
                           if (counter == c.rewind_time) rt.AdvanceBy(absl::Minutes(1));
                           rt.AdvanceBy(absl::Seconds(1));
                           auto w = FakeWatcher::New();
                           w->Error(err);
                           return w;
                         });
    ReflectorOptions o = Opts();
    o.max_internal_error_retry_duration = c.max_internal;
    Reflector r(&lw, store.get(), &rt, &random, o);
    Once once(&r, &rt);
    ASSERT_TRUE(once.Wait().has_value());
    EXPECT_TRUE(once.Wait()->ok());
    EXPECT_EQ(counter - 1, c.want_retries);
  }
}

// Mirrors client-go TestReflectorResync (RF14): a Resync error ends the watch,
// and ListAndWatch returns nil.
TEST(ReflectorTest, Resync) {
  ManualRuntime rt;
  SplitMixRandom random;
  HookStore store;
  int iteration = 0;
  store.resync = [&]() -> absl::Status {
    ++iteration;
    if (iteration == 2) return absl::UnknownError("expected resync reached");
    return absl::OkStatus();
  };
  auto fw = FakeWatcher::New();
  FuncListerWatcher lw([](const ListOptions&) { return MakeList("0"); },
                       [&](const ListOptions&) { return fw; },
                       /*watch_list_unsupported=*/true);
  ReflectorOptions o = Opts();
  o.resync_period = absl::Milliseconds(1);
  Reflector r(&lw, &store, &rt, &random, o);
  Once once(&r, &rt);
  ASSERT_TRUE(once.Wait().has_value());
  EXPECT_TRUE(once.Wait()->ok());
  EXPECT_EQ(iteration, 2);
  EXPECT_TRUE(fw->StoppedByClient());
  EXPECT_EQ(rt.Now() - absl::UnixEpoch(), absl::Milliseconds(2));
  // The resync timer is gone with the cycle.
  rt.RunFor(absl::Seconds(1));
  EXPECT_EQ(iteration, 2);
}

// RF14: a ListAndWatch ends only after a Resync already running has returned
// (client-go watchWithResync waits for its resync goroutine), so the next
// cycle cannot Replace while the previous one's Resync is still running.
// The overlap needs two threads; here the Resync itself runs the reflector's
// strand (nested ManualRuntime steps) to end the cycle mid-Resync.
TEST(ReflectorTest, CycleEndsOnlyAfterARunningResyncReturns) {
  ManualRuntime rt;
  SplitMixRandom random;
  HookStore store;
  auto fw = FakeWatcher::New();
  FuncListerWatcher lw([](const ListOptions&) { return MakeList("1"); },
                       [&](const ListOptions&) { return fw; },
                       /*watch_list_unsupported=*/true);
  ReflectorOptions o = Opts();
  o.resync_period = absl::Seconds(1);
  Reflector r(&lw, &store, &rt, &random, o);
  std::optional<absl::Status> result;
  bool in_resync = false;
  bool ended_during_resync = false;
  store.resync = [&]() -> absl::Status {
    in_resync = true;
    r.CancelListAndWatch();
    for (StrandId s : rt.RunnableStrands()) {
      if (rt.StrandName(s) == "test-reflector") rt.RunStrand(s);
    }
    ended_during_resync = result.has_value();
    in_resync = false;
    return absl::OkStatus();
  };
  r.ListAndWatchOnce([&](absl::Status s) { result = std::move(s); });
  rt.RunFor(absl::Milliseconds(1500));
  EXPECT_FALSE(ended_during_resync);
  ASSERT_TRUE(result.has_value());
  EXPECT_TRUE(result->ok());
  EXPECT_FALSE(in_resync);
}

// RF14: ShouldResync false skips the store's Resync but keeps the timer going.
TEST(ReflectorTest, ShouldResyncFalseSkipsResync) {
  ManualRuntime rt;
  SplitMixRandom random;
  HookStore store;
  int resyncs = 0, asked = 0;
  store.resync = [&] {
    ++resyncs;
    return absl::OkStatus();
  };
  auto fw = FakeWatcher::New();
  FuncListerWatcher lw([](const ListOptions&) { return MakeList("1"); },
                       [&](const ListOptions&) { return fw; });
  ReflectorOptions o = Opts();
  o.resync_period = absl::Seconds(1);
  o.should_resync = [&] { return ++asked % 2 == 0; };
  Reflector r(&lw, &store, &rt, &random, o);
  Once once(&r, &rt);
  rt.RunFor(absl::Milliseconds(4500));
  EXPECT_EQ(asked, 4);
  EXPECT_EQ(resyncs, 2);
  r.CancelListAndWatch();
  ASSERT_TRUE(once.Wait().has_value());
}

// Mirrors client-go TestReflectorWatchListPageSize (RF5).
TEST(ReflectorTest, WatchListPageSize) {
  ManualRuntime rt;
  SplitMixRandom random;
  auto store = NewStore(MetaNamespaceKeyFunc);
  Reflector* rp = nullptr;
  FuncListerWatcher lw(
      [](const ListOptions& o) -> absl::StatusOr<ListPage> {
        EXPECT_EQ(o.limit, 4);
        auto pods = Pods(0, 10);
        if (o.continue_token.empty()) {
          return MakeList("10", {pods.begin(), pods.begin() + 4}, "C1");
        }
        if (o.continue_token == "C1") {
          return MakeList("10", {pods.begin() + 4, pods.begin() + 8}, "C2");
        }
        if (o.continue_token == "C2") return MakeList("10", {pods.begin() + 8, pods.end()});
        ADD_FAILURE() << "unrecognized continue " << o.continue_token;
        return absl::InternalError("bad continue");
      },
      [&](const ListOptions&) {
        rp->CancelListAndWatch();
        return FakeWatcher::New();
      },
      /*watch_list_unsupported=*/true);
  ReflectorOptions o = Opts();
  o.watch_list_page_size = 4;
  Reflector r(&lw, store.get(), &rt, &random, o);
  rp = &r;
  r.SetLastSyncResourceVersionForTest("10");
  Once once(&r, &rt);
  ASSERT_TRUE(once.Wait().has_value());
  EXPECT_TRUE(once.Wait()->ok());
  EXPECT_EQ(store->List().size(), 10u);
  EXPECT_EQ(r.stats().list_calls, 3);
  // Continuation pages carry no resource version.
  auto lo = lw.list_options();
  EXPECT_EQ(lo[0].resource_version, "10");
  EXPECT_EQ(lo[1].resource_version, "");
  EXPECT_EQ(lo[1].continue_token, "C1");
  EXPECT_EQ(lo[2].continue_token, "C2");
}

// Mirrors client-go TestReflectorNotPaginatingNotConsistentReads (RF5).
TEST(ReflectorTest, NotPaginatingNotConsistentReads) {
  ManualRuntime rt;
  SplitMixRandom random;
  auto store = NewStore(MetaNamespaceKeyFunc);
  Reflector* rp = nullptr;
  FuncListerWatcher lw(
      [](const ListOptions& o) -> absl::StatusOr<ListPage> {
        EXPECT_EQ(o.resource_version, "10");
        EXPECT_EQ(o.limit, 0);
        return MakeList("10", Pods(0, 10));
      },
      [&](const ListOptions&) {
        rp->CancelListAndWatch();
        return FakeWatcher::New();
      },
      /*watch_list_unsupported=*/true);
  Reflector r(&lw, store.get(), &rt, &random, Opts());
  rp = &r;
  r.SetLastSyncResourceVersionForTest("10");
  Once once(&r, &rt);
  ASSERT_TRUE(once.Wait().has_value());
  EXPECT_TRUE(once.Wait()->ok());
  EXPECT_EQ(store->List().size(), 10u);
}

// Mirrors client-go TestReflectorPaginatingNonConsistentReadsIfWatchCacheDisabled
// (RF5: a paginated answer to a list at "0" makes pagination sticky).
TEST(ReflectorTest, PaginatingNonConsistentReadsIfWatchCacheDisabled) {
  ManualRuntime rt;
  SplitMixRandom random;
  auto store = NewStore(MetaNamespaceKeyFunc);
  Reflector* rp = nullptr;
  FuncListerWatcher lw(
      [](const ListOptions& o) -> absl::StatusOr<ListPage> {
        EXPECT_EQ(o.limit, 500);
        auto pods = Pods(0, 10);
        if (o.continue_token.empty()) {
          return MakeList("10", {pods.begin(), pods.begin() + 4}, "C1");
        }
        if (o.continue_token == "C1") {
          return MakeList("10", {pods.begin() + 4, pods.begin() + 8}, "C2");
        }
        return MakeList("10", {pods.begin() + 8, pods.end()});
      },
      [&](const ListOptions&) {
        rp->CancelListAndWatch();
        return FakeWatcher::New();
      },
      /*watch_list_unsupported=*/true);
  Reflector r(&lw, store.get(), &rt, &random, Opts());
  rp = &r;
  for (int i = 0; i < 2; ++i) {
    Once once(&r, &rt);
    ASSERT_TRUE(once.Wait().has_value());
    EXPECT_TRUE(once.Wait()->ok());
    EXPECT_EQ(store->List().size(), 10u);
  }
  auto lo = lw.list_options();
  ASSERT_EQ(lo.size(), 6u);
  EXPECT_EQ(lo[0].resource_version, "0");
  EXPECT_EQ(lo[3].resource_version, "10");
}

// Mirrors client-go TestReflectorResyncWithResourceVersion (RF4).
TEST(ReflectorTest, ResyncWithResourceVersion) {
  ManualRuntime rt;
  SplitMixRandom random;
  auto store = NewStore(MetaNamespaceKeyFunc);
  std::vector<std::string> rvs;
  Reflector* rp = nullptr;
  FuncListerWatcher lw(
      [&](const ListOptions& o) -> absl::StatusOr<ListPage> {
        rvs.push_back(o.resource_version);
        if (o.resource_version == "0") return MakeList("10", Pods(0, 4));
        if (o.resource_version == "10") return MakeList("11", Pods(0, 8));
        ADD_FAILURE() << "unrecognized RV " << o.resource_version;
        return absl::InternalError("bad rv");
      },
      [&](const ListOptions&) {
        rp->CancelListAndWatch();
        return FakeWatcher::New();
      },
      /*watch_list_unsupported=*/true);
  Reflector r(&lw, store.get(), &rt, &random, Opts());
  rp = &r;
  {
    Once once(&r, &rt);
    ASSERT_TRUE(once.Wait().has_value());
    EXPECT_TRUE(once.Wait()->ok());
    EXPECT_EQ(store->List().size(), 4u);
  }
  {
    Once once(&r, &rt);
    ASSERT_TRUE(once.Wait().has_value());
    EXPECT_TRUE(once.Wait()->ok());
    EXPECT_EQ(store->List().size(), 8u);
  }
  EXPECT_THAT(rvs, ElementsAre("0", "10"));
}

// A list at "0", then a list at "10" answered `expired`, then (RF6) a
// relist from "": the RVs the reflector asked for.
std::vector<std::string> ListsAfterExpiredList(const absl::Status& expired) {
  ManualRuntime rt;
  SplitMixRandom random;
  auto store = NewStore(MetaNamespaceKeyFunc);
  std::vector<std::string> rvs;
  Reflector* rp = nullptr;
  FuncListerWatcher lw(
      [&](const ListOptions& o) -> absl::StatusOr<ListPage> {
        rvs.push_back(o.resource_version);
        if (o.resource_version == "0") return MakeList("10", Pods(0, 4));
        if (o.resource_version == "10") return expired;
        if (o.resource_version.empty()) return MakeList("11", Pods(0, 8));
        ADD_FAILURE() << "unrecognized RV " << o.resource_version;
        return absl::InternalError("bad rv");
      },
      [&](const ListOptions&) {
        rp->CancelListAndWatch();
        return FakeWatcher::New();
      },
      /*watch_list_unsupported=*/true);
  Reflector r(&lw, store.get(), &rt, &random, Opts());
  rp = &r;
  for (size_t want : {4u, 8u}) {
    Once once(&r, &rt);
    EXPECT_TRUE(once.Wait().has_value());
    if (once.Wait().has_value()) EXPECT_TRUE(once.Wait()->ok());
    EXPECT_EQ(store->List().size(), want);
  }
  return rvs;
}

// Mirrors client-go TestReflectorExpiredExactResourceVersion (RF6).
TEST(ReflectorTest, ExpiredExactResourceVersion) {
  EXPECT_THAT(ListsAfterExpiredList(
                  ExpiredError("The resourceVersion for the provided watch is too old.")),
              ElementsAre("0", "10", ""));
}

// RF6 with a 410 whose reason is empty: apimachinery's IsGone matches an
// unknown reason by its code, so the reflector relists from "" at once, as
// with a reasoned 410 (not backing off and asking for "10" again).
TEST(ReflectorTest, ReasonlessGoneRelistsFromEmpty) {
  api::Status reasonless;
  reasonless.set_code(410);
  reasonless.set_message("too old");
  EXPECT_THAT(ListsAfterExpiredList(ApiError(reasonless)), ElementsAre("0", "10", ""));
}

// Mirrors client-go TestReflectorFullListIfExpired (RF6: an expired continue
// token makes the pager list everything at the original version).
TEST(ReflectorTest, FullListIfExpired) {
  ManualRuntime rt;
  SplitMixRandom random;
  auto store = NewStore(MetaNamespaceKeyFunc);
  std::vector<std::string> rvs;
  Reflector* rp = nullptr;
  FuncListerWatcher lw(
      [&](const ListOptions& o) -> absl::StatusOr<ListPage> {
        rvs.push_back(o.resource_version);
        auto pods = Pods(0, 8);
        const auto key = std::make_tuple(o.resource_version, o.continue_token, o.limit);
        if (key == std::make_tuple(std::string("0"), std::string(""), int64_t{4})) {
          return MakeList("10", {pods.begin(), pods.begin() + 4});
        }
        if (key == std::make_tuple(std::string("10"), std::string(""), int64_t{4})) {
          return MakeList("11", {pods.begin(), pods.begin() + 4}, "C1");
        }
        if (key == std::make_tuple(std::string(""), std::string("C1"), int64_t{4})) {
          return ExpiredError("The resourceVersion for the provided watch is too old.");
        }
        if (key == std::make_tuple(std::string("10"), std::string(""), int64_t{0})) {
          return MakeList("11", pods);
        }
        ADD_FAILURE() << "unexpected list options " << o.resource_version << " "
                      << o.continue_token << " " << o.limit;
        return absl::InternalError("unexpected list options");
      },
      [&](const ListOptions&) {
        rp->CancelListAndWatch();
        return FakeWatcher::New();
      },
      /*watch_list_unsupported=*/true);
  ReflectorOptions o = Opts();
  o.watch_list_page_size = 4;
  Reflector r(&lw, store.get(), &rt, &random, o);
  rp = &r;
  for (size_t want : {4u, 8u}) {
    Once once(&r, &rt);
    ASSERT_TRUE(once.Wait().has_value());
    EXPECT_TRUE(once.Wait()->ok()) << *once.Wait();
    EXPECT_EQ(store->List().size(), want);
  }
  EXPECT_THAT(rvs, ElementsAre("0", "10", "", "10"));
}

// Mirrors client-go TestReflectorFullListIfTooLarge (RF6: all three forms of
// "resource version too large").
TEST(ReflectorTest, FullListIfTooLarge) {
  ManualRuntime rt;
  SplitMixRandom random;
  auto store = NewStore(MetaNamespaceKeyFunc);
  std::vector<std::string> rvs;
  int version = 30;
  Reflector* rp = nullptr;
  FuncListerWatcher lw(
      [&](const ListOptions& o) -> absl::StatusOr<ListPage> {
        rvs.push_back(o.resource_version);
        const std::string rv = absl::StrCat(version);
        if (o.resource_version == "0") return MakeList("20");
        if (o.resource_version == "20") {
          return TooLargeResourceVersionError("too large resource version", 1);
        }
        if (o.resource_version == "30") {
          return LegacyTooLargeResourceVersionError("too large resource version", 1);
        }
        if (o.resource_version == "40") {
          return TimeoutApiError("Too large resource version", 1);
        }
        if (o.resource_version.empty()) {
          version += 10;
          return MakeList(rv);
        }
        return absl::InternalError(absl::StrCat("unexpected List call: ", o.resource_version));
      },
      [&](const ListOptions&) {
        rp->CancelListAndWatch();
        return FakeWatcher::New();
      },
      /*watch_list_unsupported=*/true);
  Reflector r(&lw, store.get(), &rt, &random, Opts());
  rp = &r;
  for (int i = 0; i < 4; ++i) {
    Once once(&r, &rt);
    ASSERT_TRUE(once.Wait().has_value());
    EXPECT_TRUE(once.Wait()->ok()) << *once.Wait();
  }
  EXPECT_THAT(rvs, ElementsAre("0", "20", "", "30", "", "40", ""));
}

// Mirrors client-go TestWatchTimeout (RF8).
TEST(ReflectorTest, WatchTimeout) {
  struct Case {
    std::string name;
    absl::Duration min_watch_timeout;
    int64_t expected_min_seconds;
  };
  for (const Case& c : {Case{"no timeout", absl::ZeroDuration(), 5 * 60},
                        Case{"small timeout not honored", absl::Seconds(1), 5 * 60},
                        Case{"30m timeout", absl::Minutes(30), 30 * 60}}) {
    SCOPED_TRACE(c.name);
    for (uint64_t seed = 1; seed <= 20; ++seed) {
      ManualRuntime rt;
      SplitMixRandom random(seed);
      auto store = NewStore(MetaNamespaceKeyFunc);
      int64_t got = -1;
      Reflector* rp = nullptr;
      FuncListerWatcher lw([](const ListOptions&) { return MakeList("10"); },
                           [&](const ListOptions& o) {
                             if (o.timeout_seconds.has_value()) got = *o.timeout_seconds;
                             rp->CancelListAndWatch();
                             return FakeWatcher::New();
                           });
      ReflectorOptions o = Opts();
      o.min_watch_timeout = c.min_watch_timeout;
      Reflector r(&lw, store.get(), &rt, &random, o);
      rp = &r;
      Once once(&r, &rt);
      ASSERT_TRUE(once.Wait().has_value());
      EXPECT_TRUE(once.Wait()->ok());
      EXPECT_GE(got, c.expected_min_seconds);
      EXPECT_LE(got, 2 * c.expected_min_seconds);
    }
  }
}

// client-go's storeWithRV: a store that records UpdateResourceVersion calls.
class StoreWithRV : public HookStore, public ResourceVersionUpdater {
 public:
  void UpdateResourceVersion(absl::string_view rv) override {
    resource_versions.emplace_back(rv);
  }
  std::vector<std::string> resource_versions;
};

// Mirrors client-go TestReflectorResourceVersionUpdate (RF10).
TEST(ReflectorTest, ResourceVersionUpdate) {
  ManualRuntime rt;
  SplitMixRandom random;
  StoreWithRV store;
  auto fw = FakeWatcher::New();
  FuncListerWatcher lw([](const ListOptions&) { return MakeList("10"); },
                       [&](const ListOptions&) { return fw; },
                       /*watch_list_unsupported=*/true);
  Reflector r(&lw, &store, &rt, &random, Opts());
  Once once(&r, &rt);
  rt.RunUntilIdle();
  fw->Action(WatchEventType::kAdded, MakePod("", "10"));
  fw->Action(WatchEventType::kModified, MakePod("", "20"));
  fw->Action(WatchEventType::kBookmark, MakePod("", "30"));
  fw->Action(WatchEventType::kDeleted, MakePod("", "40"));
  rt.RunUntilIdle();
  r.CancelListAndWatch();
  ASSERT_TRUE(once.Wait().has_value());
  EXPECT_TRUE(once.Wait()->ok());
  EXPECT_THAT(store.resource_versions, ElementsAre("10", "20", "30", "40"));
}

// RF10: a watch from "0" (after a list answered with "0") does not move
// lastSync with Added events until another kind of event arrives.
TEST(ReflectorTest, WatchFromZeroPropagatesOnlyAfterNonAdded) {
  ManualRuntime rt;
  SplitMixRandom random;
  StoreWithRV store;
  auto fw = FakeWatcher::New();
  FuncListerWatcher lw([](const ListOptions&) { return MakeList("0"); },
                       [&](const ListOptions&) { return fw; });
  Reflector r(&lw, &store, &rt, &random, Opts());
  Once once(&r, &rt);
  rt.RunUntilIdle();
  fw->Add(MakePod("a", "5"));
  rt.RunUntilIdle();
  EXPECT_EQ(r.LastSyncResourceVersion(), "0");
  fw->Modify(MakePod("a", "6"));
  fw->Add(MakePod("b", "7"));
  rt.RunUntilIdle();
  EXPECT_EQ(r.LastSyncResourceVersion(), "7");
  EXPECT_THAT(store.resource_versions, ElementsAre("6", "7"));
  r.CancelListAndWatch();
  ASSERT_TRUE(once.Wait().has_value());
}

// A store that takes bookmarks (client-go ReflectorBookmarkStore).
class BookmarkStore : public HookStore, public ReflectorBookmarkStore {
 public:
  absl::Status Bookmark(absl::string_view rv) override {
    bookmarks.emplace_back(rv);
    return absl::OkStatus();
  }
  std::vector<std::string> bookmarks;
};

// RF10: bookmarks reach a ReflectorBookmarkStore and move lastSync.
TEST(ReflectorTest, BookmarkReachesBookmarkStore) {
  ManualRuntime rt;
  SplitMixRandom random;
  BookmarkStore store;
  auto fw = FakeWatcher::New();
  FuncListerWatcher lw([](const ListOptions&) { return MakeList("3"); },
                       [&](const ListOptions&) { return fw; });
  Reflector r(&lw, &store, &rt, &random, Opts());
  Once once(&r, &rt);
  rt.RunUntilIdle();
  fw->Bookmark(testing_support::MakeBookmark("9"));
  rt.RunUntilIdle();
  EXPECT_THAT(store.bookmarks, ElementsAre("9"));
  EXPECT_EQ(r.LastSyncResourceVersion(), "9");
  EXPECT_TRUE(store.cache().List().empty());
  r.CancelListAndWatch();
  ASSERT_TRUE(once.Wait().has_value());
}

// RF12: an expired watch ends ListAndWatch with nil, and the next one relists
// at lastSync (not at ""): a failed watch never marks the version unavailable.
TEST(ReflectorTest, ExpiredWatchRelistsAtLastSync) {
  ManualRuntime rt;
  SplitMixRandom random;
  auto store = NewStore(MetaNamespaceKeyFunc);
  std::vector<std::shared_ptr<FakeWatcher>> watchers;
  FuncListerWatcher lw([](const ListOptions&) { return MakeList("5"); },
                       [&](const ListOptions&) {
                         watchers.push_back(FakeWatcher::New());
                         return watchers.back();
                       });
  Reflector r(&lw, store.get(), &rt, &random, Opts());
  r.Run();
  rt.RunUntilIdle();
  watchers[0]->Add(MakePod("a", "8"));
  watchers[0]->Error(GoneError("too old"));
  rt.RunUntilIdle();
  EXPECT_TRUE(watchers[0]->StoppedByClient());
  rt.RunFor(absl::Seconds(2));  // RF1: the backoff (800ms..1.6s) passes
  auto lo = lw.list_options();
  ASSERT_EQ(lo.size(), 2u);
  EXPECT_EQ(lo[1].resource_version, "8");
  EXPECT_EQ(r.stats().relists, 1);
  r.Stop();
  rt.RunUntilIdle();
}

// RF1/RF2: Run waits a backoff after every ListAndWatch, failed or not, and
// hands errors to the watch error handler.
TEST(ReflectorTest, RunLoopBacksOffAndReportsErrors) {
  ManualRuntime rt;
  FixedRandom random(0.0);  // no jitter: delays are exactly 800ms, 1.6s, ...
  auto store = NewStore(MetaNamespaceKeyFunc);
  std::vector<absl::Time> list_times;
  FuncListerWatcher lw(
      [&](const ListOptions&) -> absl::StatusOr<ListPage> {
        list_times.push_back(rt.Now());
        return absl::UnavailableError("list down");
      },
      [](const ListOptions&) { return FakeWatcher::New(); });
  std::vector<absl::Status> errors;
  ReflectorOptions o = Opts();
  o.watch_error_handler = [&](const absl::Status& s) { errors.push_back(s); };
  Reflector r(&lw, store.get(), &rt, &random, o);
  r.Run();
  rt.RunFor(absl::Seconds(6));
  ASSERT_GE(list_times.size(), 4u);
  EXPECT_EQ(list_times[1] - list_times[0], absl::Milliseconds(800));
  EXPECT_EQ(list_times[2] - list_times[1], absl::Milliseconds(1600));
  EXPECT_EQ(list_times[3] - list_times[2], absl::Milliseconds(3200));
  ASSERT_EQ(errors.size(), list_times.size());
  EXPECT_THAT(std::string(errors[0].message()), HasSubstr("failed to list test-reflector"));
  EXPECT_THAT(std::string(errors[0].message()), HasSubstr("list down"));
  r.Stop();
  rt.RunUntilIdle();
  EXPECT_EQ(rt.pending_timers(), 0u);
}

// Mirrors client-go TestReflectorReplacesStoreOnUnsafeDelete: after a watch
// error the reflector relists and Replace removes the object the watch added.
TEST(ReflectorTest, ReplacesStoreOnUnsafeDelete) {
  ManualRuntime rt;
  SplitMixRandom random;
  HookStore store;
  auto pre_existing = MakePod("foo-1", "1", "ns");
  std::vector<ObjectPtr> pods = {pre_existing, MakePod("foo-2", "2", "ns"),
                                 MakePod("foo-3", "3", "ns")};
  const std::string last_expected_rv = "5";
  std::vector<ListPage> lists = {MakeList("3", pods), MakeList(last_expected_rv, pods)};
  auto corrupt = MakePod("foo", "4", "ns");
  int replace_invoked = 0;
  store.before_replace = [&](const std::string& rv) {
    if (rv != last_expected_rv) return;
    ++replace_invoked;
    EXPECT_TRUE(store.cache().Get(Item(corrupt)).value().has_value());
    EXPECT_TRUE(store.cache().Get(Item(pre_existing)).value().has_value());
  };
  store.after_replace = [&](const std::string& rv, const absl::Status& s) {
    if (rv != last_expected_rv) return;
    ++replace_invoked;
    EXPECT_TRUE(s.ok()) << s;
    EXPECT_FALSE(store.cache().Get(Item(corrupt)).value().has_value());
    EXPECT_TRUE(store.cache().Get(Item(pre_existing)).value().has_value());
  };
  api::Status status;
  status.set_code(500);
  status.set_reason("StoreReadError");
  status.set_message(
      "failed to prepare current and previous objects: corrupt object has been deleted");
  bool sent = false;
  FuncListerWatcher lw(
      [&](const ListOptions&) {
        ListPage page;
        if (!lists.empty()) {
          page = lists.front();
          lists.erase(lists.begin());
        }
        return page;
      },
      [&](const ListOptions&) {
        auto fw = FakeWatcher::New();
        if (!sent) {
          sent = true;
          fw->Add(corrupt);
          fw->Error(ApiError(status));
        }
        return fw;
      },
      /*watch_list_unsupported=*/true);
  Reflector r(&lw, &store, &rt, &random, Opts());
  r.Run();
  for (int i = 0; i < 100 && r.LastSyncResourceVersion() != last_expected_rv; ++i) {
    rt.RunFor(absl::Milliseconds(100));
  }
  EXPECT_EQ(r.LastSyncResourceVersion(), last_expected_rv);
  EXPECT_EQ(replace_invoked, 2);
  EXPECT_EQ(store.cache().List().size(), pods.size());
  r.Stop();
  rt.RunUntilIdle();
}

// Stop() while a backoff delay is pending cancels the timer; a list answer
// that arrives after a cancel is ignored (generation check).
TEST(ReflectorTest, LateListAnswerAfterCancelIsIgnored) {
  ManualRuntime rt;
  SplitMixRandom random;
  auto store = NewStore(MetaNamespaceKeyFunc);
  // An asynchronous lister: the test answers by hand.
  class ManualLW : public ListerWatcher {
   public:
    void List(const ListOptions&, ListCallback done) override {
      pending.push_back(std::move(done));
    }
    void Watch(const ListOptions&, std::shared_ptr<WatchConsumer>, WatchCallback started) override {
      started(absl::UnavailableError("no watch"));
    }
    std::vector<ListCallback> pending;
  } lw;
  Reflector r(&lw, store.get(), &rt, &random, Opts());
  Once once(&r, &rt);
  rt.RunUntilIdle();
  ASSERT_EQ(lw.pending.size(), 1u);
  r.CancelListAndWatch();
  ASSERT_TRUE(once.Wait().has_value());
  EXPECT_TRUE(once.Wait()->ok());
  lw.pending[0](MakeList("9", {MakePod("late", "9")}));
  rt.RunUntilIdle();
  EXPECT_TRUE(store->List().empty());
  EXPECT_EQ(r.LastSyncResourceVersion(), "");
}

// RF14: a resync error that arrives while no watch is being handled (here,
// during the backoff after a 429 at watch start) ends the next watch as soon
// as it opens, as client-go's buffered error channel does.
TEST(ReflectorTest, ResyncErrorDuringWatchBackoffEndsNextWatch) {
  ManualRuntime rt;
  FixedRandom random(0.0);
  HookStore store;
  store.resync = [] { return absl::UnknownError("resync failed"); };
  std::vector<std::shared_ptr<FakeWatcher>> watchers;
  int watch_calls = 0;
  FuncListerWatcher lw(
      [](const ListOptions&) { return MakeList("1"); },
      [&](const ListOptions&) -> absl::StatusOr<std::shared_ptr<FakeWatcher>> {
        if (++watch_calls == 1) return TooManyRequestsError("busy", 1);
        watchers.push_back(FakeWatcher::New());
        return watchers.back();
      });
  ReflectorOptions o = Opts();
  o.resync_period = absl::Milliseconds(100);
  o.backoff.emplace();
  o.backoff->initial = absl::Seconds(1);
  o.backoff->jitter = 0;
  Reflector r(&lw, &store, &rt, &random, o);
  Once once(&r, &rt);
  ASSERT_TRUE(once.Wait().has_value());
  EXPECT_TRUE(once.Wait()->ok());
  EXPECT_EQ(watch_calls, 2);
  ASSERT_EQ(watchers.size(), 1u);
  EXPECT_TRUE(watchers[0]->StoppedByClient());
  EXPECT_EQ(r.stats().resyncs, 1);
  EXPECT_EQ(rt.Now() - absl::UnixEpoch(), absl::Seconds(1));
}

// Determinism: the same seed gives the same requests at the same virtual
// times (backoff jitter and watch timeouts come from the RandomSource).
TEST(ReflectorTest, SameSeedSameTrace) {
  auto trace = [](uint64_t seed) {
    ManualRuntime rt;
    SplitMixRandom random(seed);
    auto store = NewStore(MetaNamespaceKeyFunc);
    std::vector<std::string> out;
    int calls = 0;
    FuncListerWatcher lw(
        [&](const ListOptions& o) -> absl::StatusOr<ListPage> {
          out.push_back(absl::StrCat(absl::FormatTime(rt.Now()), " list ", o.resource_version));
          if (++calls % 3 == 0) return absl::UnavailableError("down");
          return MakeList(absl::StrCat(calls));
        },
        [&](const ListOptions& o) -> absl::StatusOr<std::shared_ptr<FakeWatcher>> {
          out.push_back(absl::StrCat(absl::FormatTime(rt.Now()), " watch ", o.resource_version,
                                     " timeout ", o.timeout_seconds.value_or(-1)));
          if (calls % 2 == 0) return TooManyRequestsError("busy", 1);
          auto w = FakeWatcher::New();
          w->Stop();
          return w;
        });
    Reflector r(&lw, store.get(), &rt, &random, Opts());
    r.Run();
    rt.RunFor(absl::Minutes(3));
    r.Stop();
    rt.RunUntilIdle();
    return out;
  };
  const auto a = trace(42);
  EXPECT_GT(a.size(), 10u);
  EXPECT_EQ(a, trace(42));
  EXPECT_NE(a, trace(43));
}

// RF1: wait.Backoff.Step with DelayWithReset. Without jitter the delays double
// up to the cap; the state goes back to the start once more than reset_after
// has passed since the last reset (measured from the reset, as client-go's
// backoffManager does, not from the last delay).
TEST(BackoffManagerTest, DoublesToCapAndResetsAfterInterval) {
  ManualRuntime rt;
  FixedRandom random(0.0);
  BackoffOptions o;  // 800ms, x2, cap 30s, reset 2m
  o.jitter = 0;
  BackoffManager b(o, &rt, &random);
  std::vector<absl::Duration> got;
  for (int i = 0; i < 8; ++i) got.push_back(b.Next());
  EXPECT_THAT(got, ElementsAre(absl::Milliseconds(800), absl::Milliseconds(1600),
                               absl::Milliseconds(3200), absl::Milliseconds(6400),
                               absl::Milliseconds(12800), absl::Milliseconds(25600),
                               absl::Seconds(30), absl::Seconds(30)));
  rt.AdvanceBy(absl::Minutes(2));
  EXPECT_EQ(b.Next(), absl::Seconds(30));  // exactly 2m: no reset yet
  rt.AdvanceBy(absl::Milliseconds(1));
  EXPECT_EQ(b.Next(), absl::Milliseconds(800));
  EXPECT_EQ(b.Next(), absl::Milliseconds(1600));
}

// wait.Jitter: the delay lies in [d, d + jitter*d).
TEST(BackoffManagerTest, JitterFromRandomSource) {
  ManualRuntime rt;
  FixedRandom random(0.5);
  BackoffOptions o;
  BackoffManager b(o, &rt, &random);
  EXPECT_EQ(b.Next(), absl::Milliseconds(1200));
  EXPECT_EQ(b.Next(), absl::Milliseconds(2400));
  EXPECT_EQ(Jitter(absl::Seconds(1), 0, &random), absl::Milliseconds(1500));
}

// client-go DelayWithReset: no reset interval means a constant delay.
TEST(BackoffManagerTest, NoResetIntervalMeansConstantDelay) {
  ManualRuntime rt;
  FixedRandom random(0.0);
  BackoffOptions o;
  o.reset_after = absl::ZeroDuration();
  BackoffManager b(o, &rt, &random);
  EXPECT_EQ(b.Next(), absl::Milliseconds(800));
  EXPECT_EQ(b.Next(), absl::Milliseconds(800));
}

// RF13: the internal-error retry window.
TEST(RetryWithDeadlineTest, Window) {
  ManualRuntime rt;
  RetryWithDeadline r(absl::Seconds(30), absl::Minutes(1),
                      [](const absl::Status& s) { return IsInternalError(s); }, &rt);
  EXPECT_FALSE(r.ShouldRetry());  // no error yet
  r.After(InternalApiError("x"));
  EXPECT_TRUE(r.ShouldRetry());
  rt.AdvanceBy(absl::Seconds(20));
  r.After(absl::UnknownError("not retryable"));  // ignored
  r.After(InternalApiError("x"));
  rt.AdvanceBy(absl::Seconds(10));
  EXPECT_TRUE(r.ShouldRetry());  // exactly 30s since the first
  rt.AdvanceBy(absl::Seconds(1));
  EXPECT_FALSE(r.ShouldRetry());  // expired, and cleared
  r.After(InternalApiError("x"));
  EXPECT_TRUE(r.ShouldRetry());  // a new window
  RetryWithDeadline off(absl::ZeroDuration(), absl::Minutes(1),
                        [](const absl::Status& s) { return IsInternalError(s); }, &rt);
  off.After(InternalApiError("x"));
  EXPECT_FALSE(off.ShouldRetry());
}

}  // namespace
}  // namespace informersim

namespace informersim {
namespace {

// A ListerWatcher whose watches "succeed" without a stream: a broken
// implementation. The reflector must treat it as a failed watch (and go on
// relisting after backoff), never hang or dereference it.
class NullStreamListerWatcher final : public ListerWatcher {
 public:
  void List(const ListOptions&, ListCallback done) override {
    ++lists;
    ListPage page;
    page.resource_version = "1";
    done(std::move(page));
  }
  void Watch(const ListOptions&, std::shared_ptr<WatchConsumer>, WatchCallback started) override {
    ++watches;
    started(std::unique_ptr<WatchStream>());
  }
  int lists = 0;
  int watches = 0;
};

TEST(ReflectorBadInput, WatchWithoutStreamIsAnErrorNotAHang) {
  ManualRuntime rt;
  testing_support::SplitMixRandom random(5);
  NullStreamListerWatcher lw;
  std::unique_ptr<Cache> store = NewStore(MetaNamespaceKeyFunc);
  std::vector<absl::Status> errors;
  ReflectorOptions options;
  options.watch_error_handler = [&errors](const absl::Status& s) { errors.push_back(s); };
  Reflector reflector(&lw, store.get(), &rt, &random, options);
  reflector.Run();
  rt.RunFor(absl::Seconds(10));
  reflector.Stop();
  rt.RunFor(absl::Seconds(1));
  ASSERT_FALSE(errors.empty());
  EXPECT_EQ(errors[0].code(), absl::StatusCode::kInternal);
  EXPECT_NE(errors[0].message().find("without a stream"), absl::string_view::npos) << errors[0];
  EXPECT_GE(lw.lists, 2);  // it went on: relist after the backoff
  EXPECT_EQ(lw.watches, lw.lists);
}

}  // namespace
}  // namespace informersim
