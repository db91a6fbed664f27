// Tests of the Reflector's watch-list mode (rules RF3, RF15, RF16), mirroring
// client-go's tools/cache/reflector_watchlist_test.go and the watch-list cases
// of reflector_test.go. Profile: CURRENT (use_watch_list on) unless a case
// turns it off.
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "core/api_errors.h"
#include "core/cache.h"
#include "core/delta.h"
#include "core/delta_fifo.h"
#include "core/keys.h"
#include "core/manual_runtime.h"
#include "core/queue.h"
#include "core/real_fifo.h"
#include "core/reflector.h"
#include "core/reflector_store_ext.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/core/support/lister_watcher_doubles.h"

namespace informersim {
namespace {

using testing_support::FakeWatcher;
using testing_support::FuncListerWatcher;
using testing_support::MakeBookmark;
using testing_support::MakePod;
using testing_support::SplitMixRandom;
using ::testing::ElementsAre;

using Event = std::pair<WatchEventType, ObjectPtr>;
using Contents = std::map<std::string, std::string>;  // name -> rv

Contents ContentsOf(const Store& store) {
  Contents out;
  for (const Item& item : store.List()) {
    out[item.meta()->name()] = std::string(item.resource_version());
  }
  return out;
}

ListPage MakeList(std::string rv, std::vector<ObjectPtr> items = {}) {
  ListPage page;
  page.resource_version = std::move(rv);
  page.items = std::move(items);
  return page;
}

ListOptions WatchListOptions(std::string rv = "") {
  ListOptions o;
  o.resource_version = std::move(rv);
  o.send_initial_events = true;
  o.allow_watch_bookmarks = true;
  o.resource_version_match = ResourceVersionMatch::kNotOlderThan;
  o.timeout_seconds = 1;  // only its presence is compared
  return o;
}

ListOptions WatchOptions(std::string rv) {
  ListOptions o;
  o.resource_version = std::move(rv);
  o.allow_watch_bookmarks = true;
  o.timeout_seconds = 1;
  return o;
}

ListOptions ListOpts(std::string rv, int64_t limit) {
  ListOptions o;
  o.resource_version = std::move(rv);
  o.limit = limit;
  return o;
}

// client-go verifyRequestOptions: equal fields, TimeoutSeconds compared only
// for presence.
void VerifyRequestOptions(const std::vector<ListOptions>& got,
                          const std::vector<ListOptions>& want) {
  ASSERT_EQ(got.size(), want.size());
  for (size_t i = 0; i < want.size(); ++i) {
    SCOPED_TRACE(absl::StrCat("request ", i));
    EXPECT_EQ(got[i].resource_version, want[i].resource_version);
    EXPECT_EQ(got[i].resource_version_match, want[i].resource_version_match);
    EXPECT_EQ(got[i].limit, want[i].limit);
    EXPECT_EQ(got[i].continue_token, want[i].continue_token);
    EXPECT_EQ(got[i].allow_watch_bookmarks, want[i].allow_watch_bookmarks);
    EXPECT_EQ(got[i].send_initial_events, want[i].send_initial_events);
    EXPECT_EQ(got[i].timeout_seconds.has_value(), want[i].timeout_seconds.has_value());
  }
}

// client-go's fakeListWatcher: every successful watch gets the current fake
// watcher; StopAndRecreateWatch closes it and installs a fresh one.
class FakeListWatcher {
 public:
  FakeListWatcher()
      : watcher_(FakeWatcher::New()),
        lw_(
            [this](const ListOptions&) -> absl::StatusOr<ListPage> {
              ++list_counter;
              if (list_counter == close_after_list_requests) stop_fn();
              if (custom_list_response.has_value()) return *custom_list_response;
              return absl::UnimplementedError("not implemented");
            },
            [this](const ListOptions& o) -> absl::StatusOr<std::shared_ptr<FakeWatcher>> {
              ++watch_counter;
              if (watch_counter == close_after_watch_requests) stop_fn();
              if (watch_options_predicate) {
                absl::Status s = watch_options_predicate(o);
                if (!s.ok()) return s;
              }
              return watcher_;
            }) {}

  void StopAndRecreateWatch() {
    watcher_->Stop();
    watcher_ = FakeWatcher::New();
  }
  FakeWatcher& watcher() { return *watcher_; }
  FuncListerWatcher& lw() { return lw_; }

  int list_counter = 0;
  int watch_counter = 0;
  int close_after_watch_requests = 0;
  int close_after_list_requests = 0;
  std::function<void()> stop_fn;
  std::optional<ListPage> custom_list_response;
  std::function<absl::Status(const ListOptions&)> watch_options_predicate;

 private:
  std::shared_ptr<FakeWatcher> watcher_;
  FuncListerWatcher lw_;
};

ReflectorOptions WatchListOpts(bool use_watch_list = true) {
  ReflectorOptions o;
  o.name = "test-reflector";
  o.use_watch_list = use_watch_list;
  return o;
}

// Runs one ListAndWatch to the end.
std::optional<absl::Status> RunOnce(Reflector& r, ManualRuntime& rt,
                                    const std::function<void()>& drive = nullptr) {
  std::optional<absl::Status> result;
  r.ListAndWatchOnce([&](absl::Status s) { result = std::move(s); });
  rt.RunUntilIdle();
  if (drive) drive();
  for (int i = 0; i < 1000 && !result.has_value(); ++i) {
    rt.RunUntilIdle();
    if (result.has_value() || !rt.AdvanceToNextTimer()) break;
  }
  rt.RunUntilIdle();
  return result;
}

// Mirrors client-go TestWatchList: every scenario.
TEST(ReflectorWatchListTest, WatchList) {
  struct Scenario {
    std::string name;
    bool disable_use_watch_list = false;
    int close_after_watch_events = 0;
    int close_after_watch_requests = 0;
    int stop_after_watch_events = 0;
    std::function<absl::Status(const ListOptions&)> watch_options_predicate;
    std::vector<Event> watch_events;
    std::optional<ListPage> pod_list;
    std::vector<ListOptions> expected_request_options;
    int expected_watch_requests = 0;
    int expected_list_requests = 0;
    Contents expected_store;
    std::optional<absl::Status> expected_error;
  };
  std::vector<Scenario> scenarios;
  {
    Scenario s;
    s.name = "the reflector won't be synced if the bookmark event has not been received";
    s.watch_events = {{WatchEventType::kAdded, MakePod("p1", "1")}};
    s.close_after_watch_events = 1;
    s.expected_watch_requests = 1;
    s.expected_request_options = {WatchListOptions()};
    scenarios.push_back(s);
  }
  {
    Scenario s;
    s.name = "the reflector uses the old LIST/WATCH semantics if the UseWatchList is turned off";
    s.disable_use_watch_list = true;
    s.close_after_watch_requests = 1;
    s.pod_list = MakeList("1", {MakePod("p1", "1")});
    s.expected_watch_requests = 1;
    s.expected_list_requests = 1;
    s.expected_request_options = {ListOpts("0", 500), WatchOptions("1")};
    s.expected_store = {{"p1", "1"}};
    scenarios.push_back(s);
  }
  for (bool invalid : {false, true}) {
    Scenario s;
    s.name = invalid ? "the reflector can fall back to old LIST/WATCH semantics when a "
                       "server doesn't support streaming"
                     : "returning any other error than apierrors.NewInvalid forces fallback";
    s.watch_options_predicate = [invalid](const ListOptions& o) {
      if (o.send_initial_events.value_or(false)) {
        return invalid ? InvalidApiError("streaming is not allowed")
                       : absl::UnknownError("dummy error");
      }
      return absl::OkStatus();
    };
    s.pod_list = MakeList("1", {MakePod("p1", "1")});
    s.close_after_watch_events = 1;
    s.watch_events = {{WatchEventType::kAdded, MakePod("p2", "2")}};
    s.expected_watch_requests = 2;
    s.expected_list_requests = 1;
    s.expected_store = {{"p1", "1"}, {"p2", "2"}};
    s.expected_request_options = {WatchListOptions(), ListOpts("0", 500), WatchOptions("1")};
    scenarios.push_back(s);
  }
  {
    Scenario s;
    s.name = "prove that the reflector is synced after receiving a bookmark event";
    s.close_after_watch_events = 3;
    s.watch_events = {{WatchEventType::kAdded, MakePod("p1", "1")},
                      {WatchEventType::kAdded, MakePod("p2", "2")},
                      {WatchEventType::kBookmark, MakeBookmark("2", true)}};
    s.expected_watch_requests = 1;
    s.expected_request_options = {WatchListOptions()};
    s.expected_store = {{"p1", "1"}, {"p2", "2"}};
    scenarios.push_back(s);
  }
  {
    Scenario s;
    s.name =
        "check if Updates and Deletes events are propagated during streaming (until the "
        "bookmark is received)";
    s.close_after_watch_events = 6;
    s.watch_events = {{WatchEventType::kAdded, MakePod("p1", "1")},
                      {WatchEventType::kAdded, MakePod("p2", "2")},
                      {WatchEventType::kModified, MakePod("p1", "3")},
                      {WatchEventType::kAdded, MakePod("p3", "4")},
                      {WatchEventType::kDeleted, MakePod("p3", "5")},
                      {WatchEventType::kBookmark, MakeBookmark("5", true)}};
    s.expected_watch_requests = 1;
    s.expected_request_options = {WatchListOptions()};
    s.expected_store = {{"p2", "2"}, {"p1", "3"}};
    scenarios.push_back(s);
  }
  {
    Scenario s;
    s.name = "checks if the reflector retries 429";
    auto counter = std::make_shared<int>(1);
    s.watch_options_predicate = [counter](const ListOptions&) {
      if (*counter < 3) {
        ++*counter;
        return TooManyRequestsError("busy, check again later", 1);
      }
      return absl::OkStatus();
    };
    s.close_after_watch_events = 2;
    s.watch_events = {{WatchEventType::kAdded, MakePod("p1", "1")},
                      {WatchEventType::kBookmark, MakeBookmark("2", true)}};
    s.expected_watch_requests = 3;
    s.expected_request_options = {WatchListOptions(), WatchListOptions(), WatchListOptions()};
    s.expected_store = {{"p1", "1"}};
    scenarios.push_back(s);
  }
  {
    Scenario s;
    s.name = "check if stopping a watcher before sync results in creating a new watch-list "
             "request";
    s.stop_after_watch_events = 1;
    s.close_after_watch_events = 3;
    s.watch_events = {{WatchEventType::kAdded, MakePod("p1", "1")},
                      {WatchEventType::kAdded, MakePod("p1", "1")},
                      {WatchEventType::kBookmark, MakeBookmark("1", true)}};
    s.expected_watch_requests = 2;
    s.expected_request_options = {WatchListOptions(), WatchListOptions()};
    s.expected_store = {{"p1", "1"}};
    scenarios.push_back(s);
  }
  {
    Scenario s;
    s.name = "stopping a watcher after synchronization results in creating a new watch "
             "request";
    s.stop_after_watch_events = 4;
    s.close_after_watch_events = 5;
    s.watch_events = {{WatchEventType::kAdded, MakePod("p1", "1")},
                      {WatchEventType::kAdded, MakePod("p2", "2")},
                      {WatchEventType::kBookmark, MakeBookmark("2", true)},
                      {WatchEventType::kAdded, MakePod("p3", "3")},
                      {WatchEventType::kAdded, MakePod("p4", "4")}};
    s.expected_watch_requests = 2;
    s.expected_request_options = {WatchListOptions(), WatchOptions("3")};
    s.expected_store = {{"p1", "1"}, {"p2", "2"}, {"p3", "3"}, {"p4", "4"}};
    scenarios.push_back(s);
  }
  {
    Scenario s;
    s.name = "expiring an established watcher results in returning an error from the "
             "reflector";
    auto counter = std::make_shared<int>(0);
    s.watch_options_predicate = [counter](const ListOptions&) {
      ++*counter;
      if (*counter == 2) return ExpiredError("rv already expired");
      return absl::OkStatus();
    };
    s.stop_after_watch_events = 3;
    s.watch_events = {{WatchEventType::kAdded, MakePod("p1", "1")},
                      {WatchEventType::kBookmark, MakeBookmark("2", true)},
                      {WatchEventType::kAdded, MakePod("p3", "3")}};
    s.expected_watch_requests = 2;
    s.expected_request_options = {WatchListOptions(), WatchOptions("3")};
    s.expected_store = {{"p1", "1"}, {"p3", "3"}};
    s.expected_error = ExpiredError("rv already expired");
    scenarios.push_back(s);
  }
  {
    Scenario s;
    s.name = "prove that the reflector is checking the value of the initialEventsEnd "
             "annotation";
    s.close_after_watch_events = 3;
    s.watch_events = {{WatchEventType::kAdded, MakePod("p1", "1")},
                      {WatchEventType::kAdded, MakePod("p2", "2")},
                      {WatchEventType::kBookmark, MakeBookmark("2", true, "false")}};
    s.expected_watch_requests = 1;
    s.expected_request_options = {WatchListOptions()};
    scenarios.push_back(s);
  }

  for (const Scenario& scenario : scenarios) {
    SCOPED_TRACE(scenario.name);
    ManualRuntime rt;
    SplitMixRandom random;
    auto store = NewStore(MetaNamespaceKeyFunc);
    FakeListWatcher flw;
    Reflector r(&flw.lw(), store.get(), &rt, &random,
                WatchListOpts(!scenario.disable_use_watch_list));
    flw.stop_fn = [&r] { r.CancelListAndWatch(); };
    flw.watch_options_predicate = scenario.watch_options_predicate;
    flw.close_after_watch_requests = scenario.close_after_watch_requests;
    flw.custom_list_response = scenario.pod_list;

    auto result = RunOnce(r, rt, [&] {
      for (size_t i = 0; i < scenario.watch_events.size(); ++i) {
        // Like client-go's unbuffered fake watcher, the next event waits for
        // the reflector to take the previous one.
        for (int k = 0; k < 1000 && rt.RunUntilIdle() + rt.AdvanceToNextTimer() > 0; ++k) {
        }
        const Event& e = scenario.watch_events[i];
        flw.watcher().Action(e.first, e.second);
        rt.RunUntilIdle();
        if (static_cast<int>(i) + 1 == scenario.stop_after_watch_events) {
          flw.StopAndRecreateWatch();
          continue;
        }
        if (static_cast<int>(i) + 1 == scenario.close_after_watch_events) {
          r.CancelListAndWatch();
        }
      }
    });
    ASSERT_TRUE(result.has_value());
    if (scenario.expected_error.has_value()) {
      EXPECT_EQ(result->message(), scenario.expected_error->message());
      EXPECT_TRUE(IsResourceExpired(*result));
    } else {
      EXPECT_TRUE(result->ok()) << *result;
    }
    EXPECT_EQ(flw.watch_counter, scenario.expected_watch_requests);
    EXPECT_EQ(flw.list_counter, scenario.expected_list_requests);
    VerifyRequestOptions(flw.lw().request_options(), scenario.expected_request_options);
    EXPECT_EQ(ContentsOf(*store), scenario.expected_store);
  }
}

// Mirrors client-go TestReflectorListAndWatch, case "UseWatchList enabled":
// the watch-list stream stays open after the bookmark and carries on as the
// watch (RF15).
TEST(ReflectorWatchListTest, ListAndWatchUseWatchListEnabled) {
  ManualRuntime rt;
  SplitMixRandom random;
  auto store = NewStore(MetaNamespaceKeyFunc);
  std::vector<std::shared_ptr<FakeWatcher>> watchers;
  FuncListerWatcher lw(
      [](const ListOptions&) -> absl::StatusOr<ListPage> {
        return absl::InternalError("no list expected");
      },
      [&](const ListOptions&) -> absl::StatusOr<std::shared_ptr<FakeWatcher>> {
        if (!watchers.empty()) return absl::InternalError("only one watch expected");
        watchers.push_back(FakeWatcher::New());
        return watchers.back();
      });
  Reflector r(&lw, store.get(), &rt, &random, WatchListOpts());
  std::optional<absl::Status> result;
  r.ListAndWatchOnce([&](absl::Status s) { result = s; });
  rt.RunUntilIdle();
  ASSERT_EQ(watchers.size(), 1u);
  FakeWatcher& fw = *watchers[0];
  fw.Add(MakePod("foo", "1"));
  fw.Bookmark(MakeBookmark("1", true));
  rt.RunUntilIdle();
  EXPECT_EQ(ContentsOf(*store), (Contents{{"foo", "1"}}));
  EXPECT_EQ(r.LastSyncResourceVersion(), "1");
  fw.Modify(MakePod("foo", "2"));
  fw.Add(MakePod("bar", "3"));
  fw.Add(MakePod("baz", "4"));
  fw.Add(MakePod("qux", "5"));
  fw.Add(MakePod("zoo", "6"));
  rt.RunUntilIdle();
  EXPECT_EQ(ContentsOf(*store), (Contents{{"foo", "2"},
                                          {"bar", "3"},
                                          {"baz", "4"},
                                          {"qux", "5"},
                                          {"zoo", "6"}}));
  EXPECT_EQ(r.LastSyncResourceVersion(), "6");
  VerifyRequestOptions(lw.request_options(), {WatchListOptions()});
  EXPECT_EQ(r.stats().watch_list_syncs, 1);
  r.CancelListAndWatch();
  rt.RunUntilIdle();
  ASSERT_TRUE(result.has_value());
  EXPECT_TRUE(result->ok());
  EXPECT_TRUE(fw.StoppedByClient());
}

// Mirrors client-go TestNewReflectorWithDisablementWatchList (RF3): the gate
// and the client's IsWatchListSemanticsUnsupported decide the first request.
TEST(ReflectorWatchListTest, NewReflectorWithDisablementWatchList) {
  struct Case {
    bool gate;
    bool unsupported;
    bool expect_watch_list;
  };
  for (const Case& c : {Case{false, false, false}, Case{true, false, true},
                        Case{true, true, false}}) {
    SCOPED_TRACE(absl::StrCat(c.gate, c.unsupported));
    ManualRuntime rt;
    SplitMixRandom random;
    auto store = NewStore(MetaNamespaceKeyFunc);
    Reflector* rp = nullptr;
    FuncListerWatcher lw(
        [&](const ListOptions&) -> absl::StatusOr<ListPage> {
          rp->CancelListAndWatch();
          return MakeList("1");
        },
        [&](const ListOptions&) {
          rp->CancelListAndWatch();
          return FakeWatcher::New();
        },
        c.unsupported);
    Reflector r(&lw, store.get(), &rt, &random, WatchListOpts(c.gate));
    rp = &r;
    auto result = RunOnce(r, rt);
    ASSERT_TRUE(result.has_value());
    auto requests = lw.request_options();
    ASSERT_EQ(requests.size(), 1u);
    EXPECT_EQ(requests[0].send_initial_events.value_or(false), c.expect_watch_list);
  }
}

// Mirrors client-go TestWatchListResourceVersion: the sync's version is that
// of the last non-Added event (the bookmark); without it there is no sync.
TEST(ReflectorWatchListTest, WatchListResourceVersion) {
  struct Case {
    std::string name;
    std::vector<Event> events;
    std::string expected_rv;
  };
  for (const Case& c :
       {Case{"empty resource version", {}, ""},
        Case{"empty resource version without bookmark event",
             {{WatchEventType::kAdded, MakePod("p1", "1")}},
             ""},
        Case{"non empty resource version with bookmark event and initial events annotation",
             {{WatchEventType::kAdded, MakePod("p1", "1")},
              {WatchEventType::kBookmark, MakeBookmark("2", true)}},
             "2"}}) {
    SCOPED_TRACE(c.name);
    ManualRuntime rt;
    SplitMixRandom random;
    auto store = NewStore(MetaNamespaceKeyFunc);
    auto fw = FakeWatcher::New();
    FuncListerWatcher lw([](const ListOptions&) { return MakeList("99"); },
                         [&](const ListOptions&) { return fw; });
    Reflector r(&lw, store.get(), &rt, &random, WatchListOpts());
    auto result = RunOnce(r, rt, [&] {
      for (const auto& [type, obj] : c.events) fw->Action(type, obj);
      rt.RunUntilIdle();
      r.CancelListAndWatch();
    });
    ASSERT_TRUE(result.has_value());
    EXPECT_TRUE(result->ok());
    EXPECT_EQ(r.LastSyncResourceVersion(), c.expected_rv);
    EXPECT_TRUE(lw.list_options().empty());
  }
}

// A store with a transformer (client-go TransformingStore), over a Cache that
// applies the same transformer.
class TransformingTestStore : public ReflectorStore, public TransformingStore {
 public:
  explicit TransformingTestStore(int* counter)
      : transformer_([counter](Item item) -> absl::StatusOr<Item> {
          ++*counter;
          api::Object copy = *item.object();
          copy.set_spec("transformed");
          return Item(MakeObject(std::move(copy)));
        }),
        cache_(NewStore(MetaNamespaceKeyFunc, StoreOptions{transformer_, true})) {}
  absl::Status Add(Item obj) override { return cache_->Add(std::move(obj)); }
  absl::Status Update(Item obj) override { return cache_->Update(std::move(obj)); }
  absl::Status Delete(Item obj) override { return cache_->Delete(std::move(obj)); }
  absl::Status Replace(std::vector<Item> list, absl::string_view rv) override {
    return cache_->Replace(std::move(list), rv);
  }
  absl::Status Resync() override { return absl::OkStatus(); }
  const TransformFunc& Transformer() const override { return transformer_; }
  Cache& cache() { return *cache_; }

 private:
  TransformFunc transformer_;
  std::unique_ptr<Cache> cache_;
};

// client-go TestReflectorRespectStoreTransformer's source: no LIST; the first
// watch streams two objects, the initial-events-end bookmark at "3" and one
// more object.
FuncListerWatcher TransformerTestSource(bool* sent) {
  return FuncListerWatcher(
      [](const ListOptions&) -> absl::StatusOr<ListPage> {
        return absl::InternalError("list call not expected in WatchList mode");
      },
      [sent](const ListOptions&) {
        auto fw = FakeWatcher::New();
        if (!*sent) {
          *sent = true;
          fw->Add(MakePod("foo-1", "1", "ns"));
          fw->Add(MakePod("foo-2", "2", "ns"));
          fw->Bookmark(MakeBookmark("3", true));
          fw->Add(MakePod("foo-3", "3", "ns"));
        }
        return fw;
      });
}

// Mirrors client-go TestReflectorRespectStoreTransformer: the watch-list's
// temporary store uses the store's transformer (2 calls), Replace transforms
// again (2), and the watch's Add once more (1).
TEST(ReflectorWatchListTest, RespectStoreTransformer) {
  ManualRuntime rt;
  SplitMixRandom random;
  int transformer_invoked = 0;
  TransformingTestStore store(&transformer_invoked);
  bool sent = false;
  FuncListerWatcher lw = TransformerTestSource(&sent);
  Reflector r(&lw, &store, &rt, &random, WatchListOpts());
  r.Run();
  rt.RunFor(absl::Seconds(1));
  EXPECT_EQ(r.LastSyncResourceVersion(), "3");
  auto items = store.cache().List();
  EXPECT_EQ(items.size(), 3u);
  for (const Item& item : items) EXPECT_EQ(item.object()->spec(), "transformed");
  EXPECT_EQ(transformer_invoked, 5);
  r.Stop();
  rt.RunUntilIdle();
}

// Mirrors client-go TestReflectorRespectStoreTransformer's two queues
// ("delta-fifo" and "real-fifo"): the reflector runs straight on the queue, as
// client-go's NewReflector(lw, &v1.Pod{}, queue, 0) does. Each queue carries
// the transformer, so the watch-list's temporary store transforms the two
// initial events (2), the final Replace into the queue transforms them again
// (2) and the watch's later Add once (1): 5 calls, and every queued object is
// transformed.
enum class QueueKind { kDeltaFIFO, kRealFIFO };

class RespectStoreTransformerTest : public ::testing::TestWithParam<QueueKind> {};

TEST_P(RespectStoreTransformerTest, BothQueues) {
  int transformer_invoked = 0;
  TransformFunc transform = [&](Item item) -> absl::StatusOr<Item> {
    ++transformer_invoked;
    api::Object copy = *item.object();
    copy.set_spec("transformed");
    return Item(MakeObject(std::move(copy)));
  };
  auto known = NewStore(MetaNamespaceKeyFunc);
  std::unique_ptr<DeltaFIFO> delta_fifo;
  std::unique_ptr<RealFIFO> real_fifo;
  ReflectorStore* queue = nullptr;
  if (GetParam() == QueueKind::kDeltaFIFO) {
    DeltaFIFOOptions o;
    o.key_function = MetaNamespaceKeyFunc;
    o.transformer = transform;
    delta_fifo = std::make_unique<DeltaFIFO>(std::move(o));
    queue = delta_fifo.get();
  } else {
    RealFIFOOptions o;
    o.key_function = MetaNamespaceKeyFunc;
    o.known_objects = known.get();
    o.transformer = transform;
    real_fifo = *RealFIFO::Create(std::move(o));
    queue = real_fifo.get();
  }
  ManualRuntime rt;
  SplitMixRandom random;
  bool sent = false;
  FuncListerWatcher lw = TransformerTestSource(&sent);
  Reflector r(&lw, queue, &rt, &random, WatchListOpts());
  r.Run();
  rt.RunFor(absl::Seconds(1));
  EXPECT_EQ(r.LastSyncResourceVersion(), "3");
  // What the queue holds, latest object per key (client-go: DeltaFIFO.list(),
  // or RealFIFO's items folded by key with Deleted removing).
  std::map<std::string, std::string> items;  // key -> spec
  Queue* q = delta_fifo != nullptr ? static_cast<Queue*>(delta_fifo.get())
                                   : static_cast<Queue*>(real_fifo.get());
  while (q->TryPop([&](const Deltas& deltas, bool) {
           for (const Delta& d : deltas) {
             const std::string key = *MetaNamespaceKeyFunc(d.object);
             if (d.type == DeltaType::kDeleted) {
               items.erase(key);
             } else {
               items[key] = d.object.object()->spec();
             }
           }
           return absl::OkStatus();
         }).outcome == PopOutcome::kPopped) {
  }
  EXPECT_EQ(items.size(), 3u);
  for (const auto& [key, spec] : items) EXPECT_EQ(spec, "transformed") << key;
  EXPECT_EQ(transformer_invoked, 5);
  r.Stop();
  rt.RunUntilIdle();
}

INSTANTIATE_TEST_SUITE_P(Queues, RespectStoreTransformerTest,
                         ::testing::Values(QueueKind::kDeltaFIFO, QueueKind::kRealFIFO),
                         [](const ::testing::TestParamInfo<QueueKind>& info) {
                           return info.param == QueueKind::kDeltaFIFO ? "DeltaFIFO"
                                                                      : "RealFIFO";
                         });

// client-go's RealFIFO has a Bookmark method, so it is a
// ReflectorBookmarkStore: a Reflector fed straight into it (no adapter) hands
// it each watch bookmark, which it queues as a Bookmark delta when
// EmitDeltaTypeBookmark is on (RF10, R8).
TEST(ReflectorTest, BookmarksReachARealFIFOFedStraight) {
  RealFIFOOptions o;
  o.key_function = MetaNamespaceKeyFunc;
  o.atomic_events = true;
  o.emit_delta_type_bookmark = true;
  std::unique_ptr<RealFIFO> fifo = *RealFIFO::Create(std::move(o));
  ManualRuntime rt;
  SplitMixRandom random;
  std::shared_ptr<FakeWatcher> watcher;
  FuncListerWatcher lw([](const ListOptions&) { return MakeList("1", {MakePod("a", "1")}); },
                       [&](const ListOptions&) {
                         watcher = FakeWatcher::New();
                         return watcher;
                       });
  ReflectorOptions ro;
  Reflector r(&lw, fifo.get(), &rt, &random, ro);
  r.Run();
  rt.RunFor(absl::Milliseconds(10));
  ASSERT_NE(watcher, nullptr);
  watcher->Bookmark(MakeBookmark("5"));
  watcher->Add(MakePod("b", "6"));
  rt.RunFor(absl::Milliseconds(10));
  std::vector<std::string> seen;
  while (true) {
    std::vector<std::string> batch;
    PopResult popped = fifo->TryPop([&](const Deltas& deltas, bool) {
      for (const Delta& d : deltas) {
        if (d.object.kind() == Item::Kind::kBookmark) {
          batch.push_back(absl::StrCat("Bookmark@", d.object.bookmark().resource_version));
        } else if (d.object.kind() == Item::Kind::kObject) {
          batch.push_back(
              absl::StrCat(DeltaTypeName(d.type), ":", d.object.object()->metadata().name()));
        } else {
          batch.push_back(std::string(DeltaTypeName(d.type)));
        }
      }
      return absl::OkStatus();
    });
    if (popped.outcome != PopOutcome::kPopped) break;
    for (std::string& e : batch) seen.push_back(std::move(e));
  }
  EXPECT_THAT(seen, ::testing::Contains("Bookmark@5"));
  EXPECT_THAT(seen, ::testing::Contains("Added:b"));
  r.Stop();
  rt.RunUntilIdle();
}

// RF16: an expired watch-list start marks the version unusable and retries at
// once with RV "" (no backoff, no fallback).
TEST(ReflectorWatchListTest, ExpiredWatchListRetriesFromEmptyVersion) {
  ManualRuntime rt;
  SplitMixRandom random;
  auto store = NewStore(MetaNamespaceKeyFunc);
  std::vector<std::shared_ptr<FakeWatcher>> watchers;
  FuncListerWatcher lw(
      [](const ListOptions&) -> absl::StatusOr<ListPage> {
        return absl::InternalError("no list expected");
      },
      [&](const ListOptions& o) -> absl::StatusOr<std::shared_ptr<FakeWatcher>> {
        if (o.resource_version == "5") return GoneError("too old");
        watchers.push_back(FakeWatcher::New());
        return watchers.back();
      });
  Reflector r(&lw, store.get(), &rt, &random, WatchListOpts());
  r.SetLastSyncResourceVersionForTest("5");
  auto result = RunOnce(r, rt, [&] {
    ASSERT_EQ(watchers.size(), 1u);
    watchers[0]->Add(MakePod("a", "7"));
    watchers[0]->Bookmark(MakeBookmark("8", true));
    rt.RunUntilIdle();
    EXPECT_EQ(r.LastSyncResourceVersion(), "8");
    r.CancelListAndWatch();
  });
  ASSERT_TRUE(result.has_value());
  auto requests = lw.request_options();
  ASSERT_EQ(requests.size(), 2u);
  EXPECT_EQ(requests[0].resource_version, "5");
  EXPECT_EQ(requests[1].resource_version, "");
  EXPECT_EQ(r.stats().backoffs, 0);
  EXPECT_EQ(ContentsOf(*store), (Contents{{"a", "7"}}));
}

// RF16: a very short watch-list stream is an error that makes this
// ListAndWatch fall back to LIST.
TEST(ReflectorWatchListTest, VeryShortWatchListFallsBackToList) {
  ManualRuntime rt;
  SplitMixRandom random;
  auto store = NewStore(MetaNamespaceKeyFunc);
  Reflector* rp = nullptr;
  int watch_calls = 0;
  FuncListerWatcher lw([](const ListOptions&) { return MakeList("4", {MakePod("x", "4")}); },
                       [&](const ListOptions&) {
                         auto fw = FakeWatcher::New();
                         if (++watch_calls == 1) {
                           fw->Stop();
                         } else {
                           rp->CancelListAndWatch();
                         }
                         return fw;
                       });
  Reflector r(&lw, store.get(), &rt, &random, WatchListOpts());
  rp = &r;
  auto result = RunOnce(r, rt);
  ASSERT_TRUE(result.has_value());
  EXPECT_TRUE(result->ok());
  auto requests = lw.request_options();
  ASSERT_EQ(requests.size(), 3u);
  EXPECT_TRUE(requests[0].send_initial_events.value_or(false));
  EXPECT_EQ(requests[1].resource_version, "0");  // the LIST
  EXPECT_EQ(requests[2].resource_version, "4");  // its watch
  EXPECT_EQ(ContentsOf(*store), (Contents{{"x", "4"}}));
}

// RF16: a watch-list stream closed (not very short) before the bookmark is
// retried from scratch; the partial temporary store is dropped.
TEST(ReflectorWatchListTest, ClosedBeforeBookmarkRestartsWatchList) {
  ManualRuntime rt;
  SplitMixRandom random;
  auto store = NewStore(MetaNamespaceKeyFunc);
  std::vector<std::shared_ptr<FakeWatcher>> watchers;
  FuncListerWatcher lw(
      [](const ListOptions&) -> absl::StatusOr<ListPage> {
        return absl::InternalError("no list expected");
      },
      [&](const ListOptions&) {
        watchers.push_back(FakeWatcher::New());
        return watchers.back();
      });
  Reflector r(&lw, store.get(), &rt, &random, WatchListOpts());
  auto result = RunOnce(r, rt, [&] {
    watchers[0]->Add(MakePod("gone", "1"));
    rt.RunUntilIdle();
    watchers[0]->Stop();
    rt.RunUntilIdle();
    ASSERT_EQ(watchers.size(), 2u);
    watchers[1]->Add(MakePod("kept", "2"));
    watchers[1]->Bookmark(MakeBookmark("2", true));
    rt.RunUntilIdle();
    r.CancelListAndWatch();
  });
  ASSERT_TRUE(result.has_value());
  EXPECT_EQ(ContentsOf(*store), (Contents{{"kept", "2"}}));
  EXPECT_EQ(r.LastSyncResourceVersion(), "2");
}

}  // namespace
}  // namespace informersim
