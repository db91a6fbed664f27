// FakeApiServer with label selectors (ListOptions::label_selector): LIST
// (consistent, "0", exact, paginated with continue tokens over the selected
// objects), WATCH from a version (live and replayed history), synthetic
// initial events and watch-list, an object moving in (ADDED) and out
// (DELETED with its last selected state at the change's RV) of the
// selection, bookmarks unchanged, and a selector that does not parse (400).
// Field selectors (ListOptions::field_selector) on metadata.name and
// metadata.namespace, alone and with a label selector; any other field, or
// a bad escape, is a 400 as the API server's field label conversion says.
#include <algorithm>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "core/api_errors.h"
#include "core/manual_runtime.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "sim/api_server.h"
#include "sim/prng.h"
#include "tests/sim/api_server_test_util.h"

namespace informersim {
namespace sim {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;
using ::testing::UnorderedElementsAre;
using testing::DoList;
using testing::DoWatch;
using testing::Names;
using testing::OneInstance;
using testing::Opts;
using testing::Pod;
using testing::RunUntilTrue;

api::Object Labeled(const std::string& name, const std::string& app,
                    const std::string& spec = "") {
  api::Object o = Pod("ns", name, spec);
  if (!app.empty()) (*o.mutable_metadata()->mutable_labels())["app"] = app;
  return o;
}

ListOptions Selecting(ListOptions o, std::string selector) {
  o.label_selector = std::move(selector);
  return o;
}

std::string AppOf(const WatchEvent& e) {
  auto it = e.object->metadata().labels().find("app");
  return it == e.object->metadata().labels().end() ? "-" : it->second;
}

// a: app=v1 (rv 1), b: app=v2 (rv 2), c: no label (rv 3), d: app=v1 (rv 4).
void Seed(FakeApiServer& server) {
  ASSERT_TRUE(server.Create(Labeled("a", "v1")).ok());
  ASSERT_TRUE(server.Create(Labeled("b", "v2")).ok());
  ASSERT_TRUE(server.Create(Labeled("c", "")).ok());
  ASSERT_TRUE(server.Create(Labeled("d", "v1")).ok());
}

TEST(ApiServerSelector, ListReturnsSelectedObjectsOnly) {
  ManualRuntime rt;
  FakeApiServer server(&rt, Prng(1), nullptr, OneInstance());
  Seed(server);
  struct Case {
    const char* selector;
    std::vector<std::string> names;
  };
  for (const Case& c : std::vector<Case>{{"app=v1", {"a@1", "d@4"}},
                                         {"app!=v1", {"b@2", "c@3"}},
                                         {"app in (v2,v3)", {"b@2"}},
                                         {"app notin (v2)", {"a@1", "c@3", "d@4"}},
                                         {"app", {"a@1", "b@2", "d@4"}},
                                         {"!app", {"c@3"}},
                                         {"", {"a@1", "b@2", "c@3", "d@4"}}}) {
    for (const char* rv : {"", "0", "4"}) {
      absl::StatusOr<ListPage> page = DoList(rt, server, Selecting(Opts(rv), c.selector));
      ASSERT_TRUE(page.ok()) << page.status();
      EXPECT_THAT(Names(page->items), ::testing::ElementsAreArray(c.names))
          << c.selector << " at rv=\"" << rv << "\"";
      // The list's RV is the state's, whatever it selects.
      EXPECT_EQ(page->resource_version, "4");
    }
  }
}

TEST(ApiServerSelector, ExactListSelectsByTheLabelsOfThatVersion) {
  ManualRuntime rt;
  FakeApiServer server(&rt, Prng(1), nullptr, OneInstance());
  Seed(server);
  ASSERT_TRUE(server.Update(Labeled("b", "v1")).ok());  // rv 5: b enters app=v1
  ASSERT_TRUE(server.Update(Labeled("a", "v2")).ok());  // rv 6: a leaves
  absl::StatusOr<ListPage> at4 =
      DoList(rt, server, Selecting(Opts("4", ResourceVersionMatch::kExact), "app=v1"));
  ASSERT_TRUE(at4.ok()) << at4.status();
  EXPECT_THAT(Names(at4->items), ElementsAre("a@1", "d@4"));
  absl::StatusOr<ListPage> now = DoList(rt, server, Selecting(Opts(""), "app=v1"));
  ASSERT_TRUE(now.ok()) << now.status();
  EXPECT_THAT(Names(now->items), ElementsAre("b@5", "d@4"));
  EXPECT_EQ(now->resource_version, "6");
}

TEST(ApiServerSelector, PagesHoldSelectedObjectsAndContinueOverThem) {
  ManualRuntime rt;
  FakeApiServer server(&rt, Prng(1), nullptr, OneInstance());
  // Every third object is selected, so a page of 2 skips over others.
  for (int i = 0; i < 12; ++i) {
    ASSERT_TRUE(server.Create(Labeled(absl::StrCat("p", i < 10 ? "0" : "", i),
                                      i % 3 == 0 ? "v1" : "v2"))
                    .ok());
  }
  std::vector<std::string> all;
  ListOptions o = Selecting(Opts("", ResourceVersionMatch::kUnset, 2), "app=v1");
  int pages = 0;
  for (;;) {
    absl::StatusOr<ListPage> page = DoList(rt, server, o);
    ASSERT_TRUE(page.ok()) << page.status();
    ++pages;
    EXPECT_LE(page->items.size(), 2u);
    EXPECT_EQ(page->resource_version, "12");
    // The count of what follows is unknown to a filtered read: not sent.
    EXPECT_FALSE(page->remaining_item_count.has_value());
    for (const std::string& n : Names(page->items)) all.push_back(n);
    if (page->continue_token.empty()) break;
    // A write between pages does not show: continue reads the snapshot.
    if (pages == 1) {
      ASSERT_TRUE(server.Create(Labeled("p99", "v1")).ok());
    }
    o.continue_token = page->continue_token;
    o.resource_version.clear();
  }
  EXPECT_EQ(pages, 2);
  EXPECT_THAT(all, ElementsAre("p00@1", "p03@4", "p06@7", "p09@10"));
  // Without a selector the remaining count is there, as before.
  absl::StatusOr<ListPage> plain = DoList(rt, server, Opts("", ResourceVersionMatch::kUnset, 2));
  ASSERT_TRUE(plain.ok());
  EXPECT_EQ(plain->remaining_item_count, 11);
}

TEST(ApiServerSelector, WatchSendsTransitionsInAndOut) {
  ManualRuntime rt;
  FakeApiServer server(&rt, Prng(1), nullptr, OneInstance());
  Seed(server);
  auto live = DoWatch(rt, server, Selecting(Opts("4"), "app=v1"));
  ASSERT_TRUE(live.status.ok()) << live.status;
  ASSERT_TRUE(server.Update(Labeled("b", "v1")).ok());         // 5: b enters
  ASSERT_TRUE(server.Update(Labeled("a", "v2")).ok());         // 6: a leaves
  ASSERT_TRUE(server.Update(Labeled("a", "v2", "x")).ok());    // 7: a stays out
  ASSERT_TRUE(server.Update(Labeled("b", "v1", "y")).ok());    // 8: b stays in
  ASSERT_TRUE(server.Delete("ns", "b").ok());                  // 9: b deleted
  ASSERT_TRUE(server.Delete("ns", "a").ok());                  // 10: a deleted, unseen
  ASSERT_TRUE(server.Create(Labeled("a", "v1")).ok());         // 11: a again, selected
  ASSERT_TRUE(server.Update(Labeled("c", "")).ok());           // 12: never selected
  rt.RunUntilIdle();
  const std::vector<std::string> expected = {"ADDED ns/b rv=5",    "DELETED ns/a rv=6",
                                             "MODIFIED ns/b rv=8", "DELETED ns/b rv=9",
                                             "ADDED ns/a rv=11"};
  EXPECT_EQ(live.consumer->log, expected);
  // The DELETED for leaving carries the last state that matched, at the
  // change's RV (as the watch cache sends it).
  ASSERT_EQ(live.consumer->events.size(), 5u);
  EXPECT_EQ(AppOf(live.consumer->events[1]), "v1");
  EXPECT_EQ(live.consumer->events[1].object->metadata().generation(), 1);
  // The same from the store's history (a watch opened after the writes).
  auto replay = DoWatch(rt, server, Selecting(Opts("4"), "app=v1"));
  ASSERT_TRUE(replay.status.ok()) << replay.status;
  rt.RunUntilIdle();
  EXPECT_EQ(replay.consumer->log, expected);
  EXPECT_EQ(AppOf(replay.consumer->events[1]), "v1");
  // The complement sees the other side of each move.
  auto other = DoWatch(rt, server, Selecting(Opts("4"), "app notin (v1)"));
  ASSERT_TRUE(other.status.ok());
  rt.RunUntilIdle();
  EXPECT_THAT(other.consumer->log,
              ElementsAre("DELETED ns/b rv=5", "ADDED ns/a rv=6", "MODIFIED ns/a rv=7",
                          "DELETED ns/a rv=10", "MODIFIED ns/c rv=12"));
  EXPECT_EQ(AppOf(other.consumer->events[0]), "v2");
}

TEST(ApiServerSelector, InitialEventsAndWatchListAreSelected) {
  ManualRuntime rt;
  FakeApiServer server(&rt, Prng(1), nullptr, OneInstance());
  Seed(server);
  auto synthetic = DoWatch(rt, server, Selecting(Opts("0"), "app=v1"));
  ASSERT_TRUE(synthetic.status.ok());
  rt.RunUntilIdle();
  EXPECT_THAT(synthetic.consumer->log, UnorderedElementsAre("ADDED ns/a rv=1", "ADDED ns/d rv=4"));

  ListOptions wl = Selecting(Opts("", ResourceVersionMatch::kNotOlderThan), "!app");
  wl.send_initial_events = true;
  wl.allow_watch_bookmarks = true;
  auto list = DoWatch(rt, server, wl);
  ASSERT_TRUE(list.status.ok()) << list.status;
  rt.RunUntilIdle();
  // The end bookmark carries the state's RV, not the last selected one.
  EXPECT_THAT(list.consumer->log, ElementsAre("ADDED ns/c rv=3", "BOOKMARK rv=4 end=true"));
  ASSERT_TRUE(server.Update(Labeled("a", "")).ok());  // 5: a loses its label: enters !app
  rt.RunUntilIdle();
  EXPECT_THAT(list.consumer->log,
              ElementsAre("ADDED ns/c rv=3", "BOOKMARK rv=4 end=true", "ADDED ns/a rv=5"));
}

TEST(ApiServerSelector, BookmarksGoOnWhenNothingSelectedChanges) {
  ManualRuntime rt;
  ApiServerOptions opts = OneInstance();
  opts.bookmark_interval = absl::Seconds(1);
  FakeApiServer server(&rt, Prng(1), nullptr, opts);
  Seed(server);
  ListOptions o = Selecting(Opts("4"), "app=v9");
  o.allow_watch_bookmarks = true;
  auto w = DoWatch(rt, server, o);
  ASSERT_TRUE(w.status.ok());
  ASSERT_TRUE(server.Update(Labeled("b", "v3")).ok());  // 5, not selected
  RunUntilTrue(rt, [&] { return !w.consumer->log.empty(); });
  EXPECT_THAT(w.consumer->log, ElementsAre("BOOKMARK rv=5"));
}

TEST(ApiServerSelector, SelectorThatDoesNotParseIsBadRequest) {
  ManualRuntime rt;
  FakeApiServer server(&rt, Prng(1), nullptr, OneInstance());
  Seed(server);
  for (const char* bad : {"app in (", "app=v1,", "!", "app==a==b", "-app"}) {
    absl::StatusOr<ListPage> page = DoList(rt, server, Selecting(Opts(""), bad));
    ASSERT_FALSE(page.ok()) << bad;
    ASSERT_TRUE(ApiStatusOf(page.status()).has_value()) << page.status();
    EXPECT_EQ(ApiStatusOf(page.status())->code(), 400) << bad;
    EXPECT_EQ(ApiStatusOf(page.status())->reason(), "BadRequest") << bad;
    auto w = DoWatch(rt, server, Selecting(Opts("0"), bad));
    ASSERT_FALSE(w.status.ok()) << bad;
    EXPECT_EQ(ApiStatusOf(w.status)->code(), 400) << bad;
  }
  EXPECT_EQ(server.stats().bad_requests, 10);
}

ListOptions Fielded(ListOptions o, std::string label, std::string field) {
  o.label_selector = std::move(label);
  o.field_selector = std::move(field);
  return o;
}

api::Object In(const std::string& ns, const std::string& name, const std::string& app) {
  api::Object o = Pod(ns, name);
  if (!app.empty()) (*o.mutable_metadata()->mutable_labels())["app"] = app;
  return o;
}

// x/a v1 (1), x/b v2 (2), y/a v1 (3), y/c (4), and a cluster-scoped z (5).
void SeedNamespaces(FakeApiServer& server) {
  ASSERT_TRUE(server.Create(In("x", "a", "v1")).ok());
  ASSERT_TRUE(server.Create(In("x", "b", "v2")).ok());
  ASSERT_TRUE(server.Create(In("y", "a", "v1")).ok());
  ASSERT_TRUE(server.Create(In("y", "c", "")).ok());
  ASSERT_TRUE(server.Create(In("", "z", "v1")).ok());
}

std::vector<std::string> Keys(const std::vector<ObjectPtr>& items) {
  std::vector<std::string> out;
  for (const ObjectPtr& o : items) {
    out.push_back(absl::StrCat(o->metadata().namespace_(), "/", o->metadata().name()));
  }
  return out;
}

TEST(ApiServerFieldSelector, ListSelectsByNameAndNamespace) {
  ManualRuntime rt;
  FakeApiServer server(&rt, Prng(1), nullptr, OneInstance());
  SeedNamespaces(server);
  struct Case {
    const char* label;
    const char* field;
    std::vector<std::string> keys;
  };
  for (const Case& c : std::vector<Case>{
           {"", "metadata.namespace=x", {"x/a", "x/b"}},
           {"", "metadata.namespace!=x", {"/z", "y/a", "y/c"}},
           {"", "metadata.name=a", {"x/a", "y/a"}},
           {"", "metadata.name==a,metadata.namespace=y", {"y/a"}},
           {"", "metadata.name!=a,metadata.name!=c", {"/z", "x/b"}},
           // A cluster-scoped object has no namespace field: it reads "".
           {"", "metadata.namespace=", {"/z"}},
           {"", ",", {"/z", "x/a", "x/b", "y/a", "y/c"}},
           {"app=v1", "metadata.namespace!=x", {"/z", "y/a"}},
           {"!app", "metadata.name=c", {"y/c"}},
           {"app=v2", "metadata.namespace=y", {}},
       }) {
    for (const char* rv : {"", "0"}) {
      absl::StatusOr<ListPage> page =
          DoList(rt, server, Fielded(Opts(rv), c.label, c.field));
      ASSERT_TRUE(page.ok()) << page.status();
      std::vector<std::string> keys = Keys(page->items);
      std::sort(keys.begin(), keys.end());
      EXPECT_EQ(keys, c.keys) << c.label << " / " << c.field << " at rv=\"" << rv << "\"";
      EXPECT_EQ(page->resource_version, "5");
    }
  }
}

TEST(ApiServerFieldSelector, WatchFiltersAndLabelsStillMoveObjects) {
  ManualRuntime rt;
  FakeApiServer server(&rt, Prng(1), nullptr, OneInstance());
  SeedNamespaces(server);
  auto w = DoWatch(rt, server, Fielded(Opts("5"), "app=v1", "metadata.namespace=x"));
  ASSERT_TRUE(w.status.ok()) << w.status;
  ASSERT_TRUE(server.Update(In("x", "b", "v1")).ok());  // 6: x/b enters by its label
  ASSERT_TRUE(server.Update(In("y", "c", "v1")).ok());  // 7: y/c matches the label only
  ASSERT_TRUE(server.Update(In("x", "a", "v2")).ok());  // 8: x/a leaves by its label
  ASSERT_TRUE(server.Delete("y", "a").ok());            // 9: never selected
  ASSERT_TRUE(server.Delete("x", "b").ok());            // 10: deleted while selected
  rt.RunUntilIdle();
  const std::vector<std::string> expected = {"ADDED x/b rv=6", "DELETED x/a rv=8",
                                             "DELETED x/b rv=10"};
  EXPECT_EQ(w.consumer->log, expected);
  // The same from history, and as a watch-list's initial events.
  auto replay = DoWatch(rt, server, Fielded(Opts("5"), "app=v1", "metadata.namespace=x"));
  ASSERT_TRUE(replay.status.ok());
  rt.RunUntilIdle();
  EXPECT_EQ(replay.consumer->log, expected);
  ListOptions wl = Fielded(Opts("", ResourceVersionMatch::kNotOlderThan), "",
                           "metadata.name!=c,metadata.namespace!=");
  wl.send_initial_events = true;
  wl.allow_watch_bookmarks = true;
  auto list = DoWatch(rt, server, wl);
  ASSERT_TRUE(list.status.ok()) << list.status;
  rt.RunUntilIdle();
  EXPECT_THAT(list.consumer->log, ElementsAre("ADDED x/a rv=8", "BOOKMARK rv=10 end=true"));
}

TEST(ApiServerFieldSelector, UnknownFieldOrBadSelectorIsBadRequest) {
  ManualRuntime rt;
  FakeApiServer server(&rt, Prng(1), nullptr, OneInstance());
  SeedNamespaces(server);
  struct Case {
    const char* field;
    const char* message;
  };
  for (const Case& c : std::vector<Case>{
           {"spec.nodeName=n1",
            "\"spec.nodeName\" is not a known field selector: only \"metadata.name\", "
            "\"metadata.namespace\""},
           {"metadata.name", "unable to parse fieldSelector \"metadata.name\": invalid selector: "
                             "'metadata.name'; can't understand 'metadata.name'"},
           {"metadata.name=a\\", "unable to parse fieldSelector \"metadata.name=a\\\": invalid "
                                  "field selector: invalid escape sequence: \\"},
           {"metadata.name==a==b", "unable to parse fieldSelector \"metadata.name==a==b\": "
                                   "invalid field selector: unescaped character in value: 61"},
       }) {
    absl::StatusOr<ListPage> page = DoList(rt, server, Fielded(Opts(""), "", c.field));
    ASSERT_FALSE(page.ok()) << c.field;
    ASSERT_TRUE(ApiStatusOf(page.status()).has_value()) << page.status();
    EXPECT_EQ(ApiStatusOf(page.status())->code(), 400) << c.field;
    EXPECT_EQ(ApiStatusOf(page.status())->message(), c.message) << c.field;
    auto w = DoWatch(rt, server, Fielded(Opts("0"), "", c.field));
    ASSERT_FALSE(w.status.ok()) << c.field;
    EXPECT_EQ(ApiStatusOf(w.status)->code(), 400) << c.field;
  }
  EXPECT_EQ(server.stats().bad_requests, 8);
}

}  // namespace
}  // namespace sim
}  // namespace informersim
