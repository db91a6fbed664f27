// FilteredListerWatcher (client-go's filtered ListWatch and an informer
// factory's tweakListOptions): the Reflector builds fresh options for every
// request and sets no label selector itself, so a selector reaches the
// server only through the ListerWatcher; with the filter in place it is on
// every request: first LIST pages, continue pages, relists, WATCHes and
// watch-lists, in both profiles.
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "core/api_errors.h"
#include "core/cache.h"
#include "core/keys.h"
#include "core/lister_watcher.h"
#include "core/manual_runtime.h"
#include "core/reflector.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/core/support/lister_watcher_doubles.h"

namespace informersim {
namespace {

using testing_support::FakeWatcher;
using testing_support::FuncListerWatcher;
using testing_support::MakePod;
using testing_support::SplitMixRandom;

constexpr char kSelector[] = "app in (a0,a2),tier!=db";

// A server that pages its list in two, ends the first watch with an
// in-stream 410 (a relist follows) and keeps later watches open; with
// `watch_list_refused` it refuses watch-lists (the reflector falls back).
struct ScriptedServer {
  explicit ScriptedServer(bool watch_list_refused)
      : lw(
            [](const ListOptions& o) {
              ListPage page;
              page.resource_version = "10";
              if (o.continue_token.empty()) {
                page.items = {MakePod("a", "5")};
                page.continue_token = "next";
              } else {
                page.items = {MakePod("b", "6")};
              }
              return absl::StatusOr<ListPage>(page);
            },
            [this, watch_list_refused](const ListOptions& o)
                -> absl::StatusOr<std::shared_ptr<FakeWatcher>> {
              if (o.send_initial_events.value_or(false)) {
                if (watch_list_refused) return InvalidApiError("watch-list not supported");
              }
              auto w = FakeWatcher::New();
              watchers.push_back(w);
              if (o.send_initial_events.value_or(false)) {
                // The initial state, then its end.
                w->Add(MakePod("a", "5"));
                w->Bookmark(testing_support::MakeBookmark("10", /*initial_events_end=*/true));
              }
              return w;
            }) {}
  std::vector<std::shared_ptr<FakeWatcher>> watchers;
  FuncListerWatcher lw;
};

// Runs the reflector until `n` requests were made (or time runs out),
// ending the first watch with a 410 (the reflector then asks for a whole
// state again) and closing later ones from the server's side when nothing
// else happens (the reflector then watches again).
void RunUntilRequests(ManualRuntime& rt, ScriptedServer& server, size_t n) {
  bool expired = false;
  for (int i = 0; i < 1000 && server.lw.request_options().size() < n; ++i) {
    rt.RunUntilIdle();
    if (server.watchers.empty()) {
      if (!rt.AdvanceToNextTimer()) break;
      continue;
    }
    if (!expired) {
      expired = true;
      server.watchers.front()->Error(ExpiredError("too old resource version"));
      continue;
    }
    if (!server.watchers.back()->IsStopped()) {
      server.watchers.back()->Stop();
      continue;
    }
    if (!rt.AdvanceToNextTimer()) break;
  }
}

struct Mode {
  const char* name;
  bool use_watch_list;
  bool watch_list_refused;
};

class FilteredReflectorTest : public ::testing::TestWithParam<Mode> {};

TEST_P(FilteredReflectorTest, SelectorIsOnEveryRequest) {
  const Mode& mode = GetParam();
  ManualRuntime rt;
  SplitMixRandom random;
  auto store = NewStore(MetaNamespaceKeyFunc);
  ScriptedServer server(mode.watch_list_refused);
  FilteredListerWatcher filtered(&server.lw, WithLabelSelector(kSelector));
  ReflectorOptions ro;
  ro.name = "filtered";
  ro.use_watch_list = mode.use_watch_list;
  ro.watch_list_page_size = 1;
  Reflector r(&filtered, store.get(), &rt, &random, ro);
  r.Run();
  RunUntilRequests(rt, server, 8);
  r.Stop();
  rt.RunUntilIdle();
  const std::vector<ListOptions> requests = server.lw.request_options();
  ASSERT_GE(requests.size(), 4u) << mode.name;
  for (const ListOptions& o : requests) {
    EXPECT_EQ(o.label_selector, kSelector)
        << "rv=\"" << o.resource_version << "\" continue=\"" << o.continue_token << "\"";
  }
  bool saw_continue = false, saw_watch = false, saw_watch_list = false;
  for (const ListOptions& o : server.lw.list_options()) saw_continue |= !o.continue_token.empty();
  for (const ListOptions& o : server.lw.watch_options()) {
    if (o.send_initial_events.value_or(false)) {
      saw_watch_list = true;
    } else {
      saw_watch = true;
    }
  }
  EXPECT_EQ(saw_watch_list, mode.use_watch_list);
  // A watch after the watch-list's initial state, or after the fallback
  // LIST; then the 410 sends the reflector back to a whole state.
  EXPECT_TRUE(saw_watch || mode.use_watch_list);
  if (!mode.use_watch_list || mode.watch_list_refused) {
    EXPECT_TRUE(saw_continue) << "the paginated LIST was not reached";
    EXPECT_TRUE(saw_watch);
    // The 410 made it list again: two first pages at least.
    int first_pages = 0;
    for (const ListOptions& o : server.lw.list_options()) first_pages += o.continue_token.empty();
    EXPECT_GE(first_pages, 2);
  }
}

INSTANTIATE_TEST_SUITE_P(Profiles, FilteredReflectorTest,
                         ::testing::Values(Mode{"classic_list_watch", false, false},
                                           Mode{"current_watch_list", true, false},
                                           Mode{"current_watch_list_fallback", true, true}),
                         [](const ::testing::TestParamInfo<Mode>& info) {
                           return std::string(info.param.name);
                         });

// Without the filter the Reflector's own options carry no selector, as
// client-go's do: selecting is the ListerWatcher's business.
TEST(FilteredReflectorTest, ReflectorSetsNoSelectorOfItsOwn) {
  ManualRuntime rt;
  SplitMixRandom random;
  auto store = NewStore(MetaNamespaceKeyFunc);
  ScriptedServer server(false);
  ReflectorOptions ro;
  ro.watch_list_page_size = 1;
  Reflector r(&server.lw, store.get(), &rt, &random, ro);
  r.Run();
  RunUntilRequests(rt, server, 5);
  r.Stop();
  rt.RunUntilIdle();
  ASSERT_GE(server.lw.request_options().size(), 4u);
  for (const ListOptions& o : server.lw.request_options()) EXPECT_EQ(o.label_selector, "");
}

// The tweak sees (and may change) every field, and the filter passes
// everything else through unchanged.
TEST(FilteredListerWatcherTest, TweakAppliesToACopyOfEachRequest) {
  ManualRuntime rt;
  ScriptedServer server(false);
  int tweaks = 0;
  FilteredListerWatcher filtered(&server.lw, [&tweaks](ListOptions* o) {
    ++tweaks;
    o->label_selector = absl::StrCat("n=", tweaks);
  });
  ListOptions o;
  o.resource_version = "7";
  o.limit = 3;
  filtered.List(o, [](absl::StatusOr<ListPage>) {});
  o.allow_watch_bookmarks = true;
  filtered.Watch(o, nullptr, [](absl::StatusOr<std::unique_ptr<WatchStream>>) {});
  EXPECT_EQ(o.label_selector, "");  // the caller's options are not touched
  ASSERT_EQ(server.lw.request_options().size(), 2u);
  EXPECT_EQ(server.lw.list_options()[0].label_selector, "n=1");
  EXPECT_EQ(server.lw.list_options()[0].resource_version, "7");
  EXPECT_EQ(server.lw.list_options()[0].limit, 3);
  EXPECT_EQ(server.lw.watch_options()[0].label_selector, "n=2");
  EXPECT_TRUE(server.lw.watch_options()[0].allow_watch_bookmarks);
  EXPECT_FALSE(filtered.IsWatchListSemanticsUnsupported());
}

}  // namespace
}  // namespace informersim

namespace informersim {
namespace {

// A ListerWatcher that does not override IsWatchListSemanticsUnsupported (Go:
// a client that does not implement the optional interface).
class PlainListerWatcher final : public ListerWatcher {
 public:
  void List(const ListOptions&, ListCallback done) override {
    done(absl::UnimplementedError("not used"));
  }
  void Watch(const ListOptions&, std::shared_ptr<WatchConsumer>,
             WatchCallback started) override {
    started(absl::UnimplementedError("not used"));
  }
};

// Mirrors client-go TestToListWatcherWithWatchListSemantics (listwatch_test.go):
// wrapping a ListerWatcher keeps the client's answer to "does it support
// watch-list semantics?"; a client that does not say supports them. Our
// wrapper is FilteredListerWatcher (with each of the selector tweaks), which
// forwards the inner ListerWatcher's answer; there is no separate
// ToListWatcherWithWatchListSemantics, as the answer is a virtual method of
// ListerWatcher itself.
TEST(FilteredListerWatcherTest, KeepsWatchListSemantics) {
  struct Scenario {
    const char* name;
    std::unique_ptr<ListerWatcher> inner;
    bool expect_unsupported;
  };
  auto fn = [](bool unsupported) {
    return std::make_unique<FuncListerWatcher>(
        [](const ListOptions&) -> absl::StatusOr<ListPage> { return ListPage(); },
        [](const ListOptions&) -> absl::StatusOr<std::shared_ptr<FakeWatcher>> {
          return FakeWatcher::New();
        },
        unsupported);
  };
  std::vector<Scenario> scenarios;
  scenarios.push_back({"client which does not say supports watch-list semantics",
                       std::make_unique<PlainListerWatcher>(), false});
  scenarios.push_back({"client does not support watch-list semantics", fn(true), true});
  scenarios.push_back({"client supports watch-list semantics", fn(false), false});
  for (const Scenario& s : scenarios) {
    SCOPED_TRACE(s.name);
    EXPECT_EQ(s.inner->IsWatchListSemanticsUnsupported(), s.expect_unsupported);
    for (TweakListOptionsFunc tweak :
         {TweakListOptionsFunc([](ListOptions*) {}), WithLabelSelector("app=x"),
          WithSelectors("app=x", "metadata.name=y")}) {
      FilteredListerWatcher filtered(s.inner.get(), tweak);
      EXPECT_EQ(filtered.IsWatchListSemanticsUnsupported(), s.expect_unsupported);
      // And through two layers of wrapping.
      FilteredListerWatcher twice(&filtered, tweak);
      EXPECT_EQ(twice.IsWatchListSemanticsUnsupported(), s.expect_unsupported);
    }
  }
}

// What the answer decides (RF3): with watch-list enabled, a Reflector over a
// filtered client that cannot do watch-list starts with a LIST carrying the
// selectors; over one that can, with a watch-list WATCH carrying them.
TEST(FilteredListerWatcherTest, ReflectorHonoursWrappedWatchListSemantics) {
  for (bool unsupported : {true, false}) {
    SCOPED_TRACE(unsupported);
    ManualRuntime rt;
    SplitMixRandom random;
    auto store = NewStore(MetaNamespaceKeyFunc);
    FuncListerWatcher inner(
        [](const ListOptions&) -> absl::StatusOr<ListPage> {
          ListPage page;
          page.resource_version = "1";
          return page;
        },
        [](const ListOptions&) -> absl::StatusOr<std::shared_ptr<FakeWatcher>> {
          return FakeWatcher::New();
        },
        unsupported);
    FilteredListerWatcher filtered(&inner, WithSelectors("app=x", "metadata.name=y"));
    ReflectorOptions ro;
    ro.use_watch_list = true;
    Reflector r(&filtered, store.get(), &rt, &random, ro);
    r.Run();
    rt.RunUntilIdle();
    r.Stop();
    rt.RunUntilIdle();
    const std::vector<ListOptions> requests = inner.request_options();
    ASSERT_FALSE(requests.empty());
    if (unsupported) {
      ASSERT_FALSE(inner.list_options().empty());
      EXPECT_EQ(inner.list_options()[0].resource_version, requests[0].resource_version);
      EXPECT_FALSE(requests[0].send_initial_events.has_value());
    } else {
      EXPECT_TRUE(inner.list_options().empty());
      EXPECT_EQ(requests[0].send_initial_events, std::optional<bool>(true));
    }
    for (const ListOptions& o : requests) {
      EXPECT_EQ(o.label_selector, "app=x");
      EXPECT_EQ(o.field_selector, "metadata.name=y");
    }
  }
}

}  // namespace
}  // namespace informersim
