#include "sim/mvcc_store.h"

#include <map>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "core/api_errors.h"
#include "gtest/gtest.h"

namespace informersim {
namespace sim {
namespace {

const absl::Time kT0 = absl::UnixEpoch();

api::Object Obj(const std::string& ns, const std::string& name, const std::string& spec = "") {
  api::Object o;
  o.set_kind("Widget");
  o.mutable_metadata()->set_namespace_(ns);
  o.mutable_metadata()->set_name(name);
  o.set_spec(spec);
  return o;
}

std::vector<std::string> Keys(const std::vector<ObjectPtr>& objects) {
  std::vector<std::string> out;
  for (const ObjectPtr& o : objects) {
    const auto& m = o->metadata();
    out.push_back(m.namespace_().empty() ? m.name() : m.namespace_() + "/" + m.name());
  }
  return out;
}

std::vector<std::string> Rvs(const std::vector<ObjectPtr>& objects) {
  std::vector<std::string> out;
  for (const ObjectPtr& o : objects) out.push_back(o->metadata().resource_version());
  return out;
}

// A fixed pseudo-random sequence for the model tests.
struct XorShift {
  uint64_t x;
  uint64_t operator()() {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    return x;
  }
};

// "ns/name=spec" for each object, in order.
std::vector<std::string> Render(const std::vector<ObjectPtr>& objects) {
  std::vector<std::string> out;
  for (const ObjectPtr& o : objects) {
    out.push_back(o->metadata().namespace_() + "/" + o->metadata().name() + "=" + o->spec());
  }
  return out;
}

TEST(MvccStore, EmptyStore) {
  MvccStore s;
  EXPECT_EQ(s.current_rv(), 0);
  EXPECT_EQ(s.compacted_rv(), 0);
  EXPECT_EQ(s.size(), 0u);
  EXPECT_EQ(s.Get("ns/a"), nullptr);
  auto snap = s.SnapshotAt(0);
  ASSERT_TRUE(snap.ok()) << snap.status();
  EXPECT_TRUE(snap->empty());
  auto changes = s.ChangesAfter(0, 100);
  ASSERT_TRUE(changes.ok());
  EXPECT_TRUE(changes->empty());
  EXPECT_EQ(s.ChangeAt(1), nullptr);
}

TEST(MvccStore, CreateStampsRvUidGeneration) {
  MvccStore s;
  auto a = s.Create(Obj("ns", "a", "x"), kT0 + absl::Seconds(1));
  ASSERT_TRUE(a.ok()) << a.status();
  EXPECT_EQ((*a)->metadata().resource_version(), "1");
  EXPECT_EQ((*a)->metadata().generation(), 1);
  EXPECT_FALSE((*a)->metadata().uid().empty());
  EXPECT_EQ((*a)->spec(), "x");
  auto b = s.Create(Obj("", "cluster-scoped"), kT0);
  ASSERT_TRUE(b.ok());
  EXPECT_EQ((*b)->metadata().resource_version(), "2");
  EXPECT_NE((*b)->metadata().uid(), (*a)->metadata().uid());
  EXPECT_EQ(s.current_rv(), 2);
  EXPECT_EQ(s.size(), 2u);
  EXPECT_EQ(s.Get("ns/a"), *a);
  EXPECT_EQ(s.Get("cluster-scoped"), *b);
  EXPECT_EQ(Keys(s.Objects()), (std::vector<std::string>{"cluster-scoped", "ns/a"}));

  const Change* c = s.ChangeAt(1);
  ASSERT_NE(c, nullptr);
  EXPECT_EQ(c->rv, 1);
  EXPECT_EQ(c->type, WatchEventType::kAdded);
  EXPECT_EQ(c->key, "ns/a");
  EXPECT_EQ(c->object, *a);
  EXPECT_EQ(c->committed_at, kT0 + absl::Seconds(1));
}

TEST(MvccStore, UpdateKeepsUidBumpsGeneration) {
  MvccStore s;
  auto a = s.Create(Obj("ns", "a", "v1"), kT0);
  ASSERT_TRUE(a.ok());
  api::Object next = Obj("ns", "a", "v2");
  next.mutable_metadata()->set_uid("ignored");  // the server keeps its own uid
  (*next.mutable_metadata()->mutable_labels())["app"] = "a1";
  auto u = s.Update(next, kT0);
  ASSERT_TRUE(u.ok()) << u.status();
  EXPECT_EQ((*u)->metadata().uid(), (*a)->metadata().uid());
  EXPECT_EQ((*u)->metadata().generation(), 2);
  EXPECT_EQ((*u)->metadata().resource_version(), "2");
  EXPECT_EQ((*u)->spec(), "v2");
  EXPECT_EQ((*u)->metadata().labels().at("app"), "a1");
  // The stored first version is untouched (immutable objects).
  EXPECT_EQ((*a)->spec(), "v1");
  EXPECT_EQ((*a)->metadata().resource_version(), "1");
  EXPECT_EQ(s.ChangeAt(2)->type, WatchEventType::kModified);
  EXPECT_EQ(s.size(), 1u);
}

TEST(MvccStore, DeleteCarriesDeletionRvAndLastState) {
  MvccStore s;
  ASSERT_TRUE(s.Create(Obj("ns", "a", "v1"), kT0).ok());
  ASSERT_TRUE(s.Update(Obj("ns", "a", "v2"), kT0).ok());
  ASSERT_TRUE(s.Create(Obj("ns", "b"), kT0).ok());
  auto d = s.Delete("ns/a", kT0 + absl::Seconds(3));
  ASSERT_TRUE(d.ok()) << d.status();
  EXPECT_EQ((*d)->metadata().resource_version(), "4");
  EXPECT_EQ((*d)->spec(), "v2");
  EXPECT_EQ((*d)->metadata().generation(), 2);
  EXPECT_EQ(s.Get("ns/a"), nullptr);
  EXPECT_EQ(s.size(), 1u);
  const Change* c = s.ChangeAt(4);
  ASSERT_NE(c, nullptr);
  EXPECT_EQ(c->type, WatchEventType::kDeleted);
  EXPECT_EQ(c->object, *d);
  EXPECT_EQ(c->key, "ns/a");
  EXPECT_EQ(c->committed_at, kT0 + absl::Seconds(3));
  EXPECT_EQ(Keys(s.Objects()), (std::vector<std::string>{"ns/b"}));
}

TEST(MvccStore, RecreateIsANewIncarnation) {
  MvccStore s;
  auto first = s.Create(Obj("ns", "a"), kT0);
  ASSERT_TRUE(first.ok());
  ASSERT_TRUE(s.Update(Obj("ns", "a", "x"), kT0).ok());
  ASSERT_TRUE(s.Delete("ns/a", kT0).ok());
  auto second = s.Create(Obj("ns", "a"), kT0);
  ASSERT_TRUE(second.ok()) << second.status();
  EXPECT_NE((*second)->metadata().uid(), (*first)->metadata().uid());
  EXPECT_EQ((*second)->metadata().generation(), 1);
  EXPECT_EQ((*second)->metadata().resource_version(), "4");
  EXPECT_EQ(s.ChangeAt(4)->type, WatchEventType::kAdded);
  // Snapshots see each incarnation at its time, and nothing in between.
  EXPECT_EQ(Keys(*s.SnapshotAt(2)), std::vector<std::string>{"ns/a"});
  EXPECT_TRUE(s.SnapshotAt(3)->empty());
  EXPECT_EQ((*s.SnapshotAt(4))[0], *second);
}

TEST(MvccStore, Errors) {
  MvccStore s;
  ASSERT_TRUE(s.Create(Obj("ns", "a"), kT0).ok());
  auto dup = s.Create(Obj("ns", "a"), kT0);
  EXPECT_TRUE(absl::IsAlreadyExists(dup.status()));
  EXPECT_EQ(dup.status().message(), "mvcc: create ns/a: already exists");
  auto upd = s.Update(Obj("ns", "zz"), kT0);
  EXPECT_TRUE(absl::IsNotFound(upd.status()));
  EXPECT_EQ(upd.status().message(), "mvcc: update ns/zz: not found");
  auto del = s.Delete("ns/zz", kT0);
  EXPECT_TRUE(absl::IsNotFound(del.status()));
  EXPECT_EQ(del.status().message(), "mvcc: delete ns/zz: not found");
  auto noname = s.Create(Obj("ns", ""), kT0);
  EXPECT_TRUE(absl::IsInvalidArgument(noname.status()));
  // Deleted objects are absent for update and delete too.
  ASSERT_TRUE(s.Delete("ns/a", kT0).ok());
  EXPECT_TRUE(absl::IsNotFound(s.Update(Obj("ns", "a"), kT0).status()));
  EXPECT_TRUE(absl::IsNotFound(s.Delete("ns/a", kT0).status()));
  // Failed writes take no revision.
  EXPECT_EQ(s.current_rv(), 2);
  // Reads beyond the current revision.
  auto future = s.SnapshotAt(3);
  EXPECT_TRUE(absl::IsInvalidArgument(future.status()));
  EXPECT_NE(future.status().message().find("beyond the current revision 2"), std::string::npos)
      << future.status();
  EXPECT_TRUE(absl::IsInvalidArgument(s.PageAt(3, "", 0).status()));
  EXPECT_TRUE(absl::IsInvalidArgument(s.PageAt(1, "", -1).status()));
}

TEST(MvccStore, SnapshotsAtOldRevisions) {
  MvccStore s;
  ASSERT_TRUE(s.Create(Obj("ns", "b", "b1"), kT0).ok());  // 1
  ASSERT_TRUE(s.Create(Obj("ns", "a", "a1"), kT0).ok());  // 2
  ASSERT_TRUE(s.Update(Obj("ns", "b", "b2"), kT0).ok());  // 3
  ASSERT_TRUE(s.Delete("ns/a", kT0).ok());                 // 4
  ASSERT_TRUE(s.Create(Obj("ns", "c", "c1"), kT0).ok());  // 5
  ASSERT_TRUE(s.Create(Obj("ns", "a", "a2"), kT0).ok());  // 6

  EXPECT_TRUE(s.SnapshotAt(0)->empty());
  EXPECT_EQ(Keys(*s.SnapshotAt(1)), std::vector<std::string>{"ns/b"});
  EXPECT_EQ(Keys(*s.SnapshotAt(2)), (std::vector<std::string>{"ns/a", "ns/b"}));
  EXPECT_EQ(Rvs(*s.SnapshotAt(2)), (std::vector<std::string>{"2", "1"}));
  EXPECT_EQ(Rvs(*s.SnapshotAt(3)), (std::vector<std::string>{"2", "3"}));
  EXPECT_EQ(Keys(*s.SnapshotAt(4)), std::vector<std::string>{"ns/b"});
  EXPECT_EQ(Keys(*s.SnapshotAt(5)), (std::vector<std::string>{"ns/b", "ns/c"}));
  EXPECT_EQ(Keys(*s.SnapshotAt(6)), (std::vector<std::string>{"ns/a", "ns/b", "ns/c"}));
  EXPECT_EQ(Rvs(*s.SnapshotAt(6)), (std::vector<std::string>{"6", "3", "5"}));
  EXPECT_EQ(*s.SnapshotAt(6), s.Objects());
}

TEST(MvccStore, PagesWithStartKeyLimitAndRemaining) {
  MvccStore s;
  for (const char* n : {"e", "a", "d", "b", "c"}) ASSERT_TRUE(s.Create(Obj("ns", n), kT0).ok());
  ASSERT_TRUE(s.Delete("ns/c", kT0).ok());  // rv 6

  auto p1 = s.PageAt(6, "", 2);
  ASSERT_TRUE(p1.ok()) << p1.status();
  EXPECT_EQ(p1->rv, 6);
  EXPECT_EQ(Keys(p1->items), (std::vector<std::string>{"ns/a", "ns/b"}));
  EXPECT_EQ(p1->next_key, "ns/d");  // ns/c is deleted at 6: skipped
  EXPECT_EQ(p1->remaining, 2);
  auto p2 = s.PageAt(6, p1->next_key, 2);
  ASSERT_TRUE(p2.ok());
  EXPECT_EQ(Keys(p2->items), (std::vector<std::string>{"ns/d", "ns/e"}));
  EXPECT_EQ(p2->next_key, "");
  EXPECT_EQ(p2->remaining, 0);

  // The same pages at an older revision still see ns/c.
  auto old1 = s.PageAt(5, "", 2);
  auto old2 = s.PageAt(5, old1->next_key, 2);
  EXPECT_EQ(old1->next_key, "ns/c");
  EXPECT_EQ(old1->remaining, 3);
  EXPECT_EQ(Keys(old2->items), (std::vector<std::string>{"ns/c", "ns/d"}));
  EXPECT_EQ(old2->remaining, 1);
  EXPECT_EQ(old2->next_key, "ns/e");

  // A start key between keys; limit 0 = everything.
  auto all = s.PageAt(6, "ns/bb", 0);
  EXPECT_EQ(Keys(all->items), (std::vector<std::string>{"ns/d", "ns/e"}));
  EXPECT_EQ(all->remaining, 0);
  EXPECT_EQ(all->next_key, "");
  // Exactly `limit` items left: the last page, nothing remains.
  auto exact = s.PageAt(6, "ns/d", 2);
  EXPECT_EQ(exact->items.size(), 2u);
  EXPECT_EQ(exact->next_key, "");
  // A start key past the end.
  EXPECT_TRUE(s.PageAt(6, "zz", 3)->items.empty());
  // An early revision sees only the first create.
  EXPECT_EQ(Rvs(s.PageAt(1, "", 0)->items), std::vector<std::string>{"1"});
}

TEST(MvccStore, ChangesAfterRanges) {
  MvccStore s;
  ASSERT_TRUE(s.Create(Obj("ns", "a"), kT0).ok());  // 1
  ASSERT_TRUE(s.Update(Obj("ns", "a"), kT0).ok());  // 2
  ASSERT_TRUE(s.Create(Obj("ns", "b"), kT0).ok());  // 3
  ASSERT_TRUE(s.Delete("ns/a", kT0).ok());           // 4

  auto all = s.ChangesAfter(0, 4);
  ASSERT_TRUE(all.ok());
  ASSERT_EQ(all->size(), 4u);
  for (int i = 0; i < 4; ++i) EXPECT_EQ((*all)[i]->rv, i + 1);
  EXPECT_EQ((*all)[3]->type, WatchEventType::kDeleted);

  auto mid = s.ChangesAfter(1, 3);
  ASSERT_EQ(mid->size(), 2u);
  EXPECT_EQ((*mid)[0]->rv, 2);
  EXPECT_EQ((*mid)[1]->rv, 3);
  EXPECT_EQ(s.ChangesAfter(1, 100)->size(), 3u);  // clamped to current_rv
  EXPECT_TRUE(s.ChangesAfter(4, 10)->empty());
  EXPECT_TRUE(s.ChangesAfter(3, 3)->empty());
  EXPECT_TRUE(s.ChangesAfter(9, 12)->empty());  // a future rv: nothing yet
  EXPECT_EQ(s.ChangeAt(0), nullptr);
  EXPECT_EQ(s.ChangeAt(5), nullptr);
  EXPECT_EQ(s.ChangeAt(3)->key, "ns/b");

  // Pointers stay valid while later writes are appended.
  const Change* first = (*all)[0];
  for (int i = 0; i < 1000; ++i) ASSERT_TRUE(s.Create(Obj("x", absl::StrCat(i)), kT0).ok());
  EXPECT_EQ(first->rv, 1);
  EXPECT_EQ(first->key, "ns/a");
}

TEST(MvccStore, CompactionMakesOldReadsExpired) {
  MvccStore s;
  ASSERT_TRUE(s.Create(Obj("ns", "a", "a1"), kT0).ok());  // 1
  ASSERT_TRUE(s.Create(Obj("ns", "b", "b1"), kT0).ok());  // 2
  ASSERT_TRUE(s.Update(Obj("ns", "a", "a2"), kT0).ok());  // 3
  ASSERT_TRUE(s.Delete("ns/b", kT0).ok());                 // 4
  ASSERT_TRUE(s.Update(Obj("ns", "a", "a3"), kT0).ok());  // 5
  ASSERT_TRUE(s.Create(Obj("ns", "c"), kT0).ok());        // 6
  auto kept = s.ChangesAfter(4, 6);
  ASSERT_TRUE(kept.ok());

  s.Compact(4);
  EXPECT_EQ(s.compacted_rv(), 4);
  EXPECT_EQ(s.current_rv(), 6);

  auto snap3 = s.SnapshotAt(3);
  EXPECT_TRUE(IsResourceExpired(snap3.status())) << snap3.status();
  EXPECT_NE(snap3.status().message().find("compacted"), std::string::npos);
  EXPECT_TRUE(IsResourceExpired(s.PageAt(1, "", 0).status()));
  EXPECT_TRUE(IsResourceExpired(s.ChangesAfter(3, 6).status()));
  EXPECT_EQ(s.ChangeAt(4), nullptr);
  EXPECT_EQ(s.ChangeAt(2), nullptr);

  // The compacted revision itself is still readable, as is all after it.
  auto at4 = s.SnapshotAt(4);
  ASSERT_TRUE(at4.ok()) << at4.status();
  EXPECT_EQ(Keys(*at4), std::vector<std::string>{"ns/a"});
  EXPECT_EQ((*at4)[0]->spec(), "a2");
  EXPECT_EQ(Rvs(*s.SnapshotAt(5)), (std::vector<std::string>{"5"}));
  EXPECT_EQ(Keys(*s.SnapshotAt(6)), (std::vector<std::string>{"ns/a", "ns/c"}));
  auto after4 = s.ChangesAfter(4, 6);
  ASSERT_TRUE(after4.ok());
  ASSERT_EQ(after4->size(), 2u);
  // Pointers into the retained log survive compaction.
  EXPECT_EQ((*after4)[0], (*kept)[0]);
  EXPECT_EQ((*kept)[0]->rv, 5);
  EXPECT_EQ((*kept)[1]->key, "ns/c");
  EXPECT_EQ(s.ChangeAt(5)->rv, 5);

  // No-ops: older or equal revisions; beyond current clamps.
  s.Compact(2);
  EXPECT_EQ(s.compacted_rv(), 4);
  s.Compact(100);
  EXPECT_EQ(s.compacted_rv(), 6);
  EXPECT_TRUE(s.ChangesAfter(6, 6)->empty());
  EXPECT_EQ(Keys(*s.SnapshotAt(6)), (std::vector<std::string>{"ns/a", "ns/c"}));
  EXPECT_TRUE(IsResourceExpired(s.ChangesAfter(5, 6).status()));
  // Writes continue after full compaction.
  ASSERT_TRUE(s.Create(Obj("ns", "b", "b2"), kT0).ok());  // 7, a recreate
  EXPECT_EQ(s.ChangeAt(7)->type, WatchEventType::kAdded);
  EXPECT_EQ(Keys(*s.SnapshotAt(7)), (std::vector<std::string>{"ns/a", "ns/b", "ns/c"}));
  EXPECT_EQ(Keys(*s.SnapshotAt(6)), (std::vector<std::string>{"ns/a", "ns/c"}));
  EXPECT_EQ(s.size(), 3u);
}

TEST(MvccStore, CompactionForgetsDeletedKeys) {
  MvccStore s;
  ASSERT_TRUE(s.Create(Obj("ns", "a"), kT0).ok());  // 1
  ASSERT_TRUE(s.Delete("ns/a", kT0).ok());           // 2
  ASSERT_TRUE(s.Create(Obj("ns", "b"), kT0).ok());  // 3
  s.Compact(2);
  EXPECT_TRUE(s.SnapshotAt(2)->empty());
  EXPECT_EQ(Keys(*s.SnapshotAt(3)), std::vector<std::string>{"ns/b"});
  EXPECT_EQ(s.Get("ns/a"), nullptr);
  auto page = s.PageAt(3, "", 1);
  EXPECT_EQ(page->remaining, 0);
  EXPECT_EQ(page->next_key, "");
  // Recreate after the key's history was dropped entirely.
  auto again = s.Create(Obj("ns", "a"), kT0);
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(Keys(s.Objects()), (std::vector<std::string>{"ns/a", "ns/b"}));
  EXPECT_EQ(Keys(*s.SnapshotAt(3)), std::vector<std::string>{"ns/b"});
}

// Many interleaved writes against a simple model: every retained snapshot
// equals the model's state at that revision, across compactions.
TEST(MvccStore, MatchesModelAcrossCompactions) {
  MvccStore s;
  std::vector<std::vector<std::string>> model_at;  // index = rv: "key=spec" sorted
  std::map<std::string, std::string> live;
  model_at.push_back({});
  XorShift next{12345};
  for (int step = 0; step < 3000; ++step) {
    const std::string name = absl::StrCat("k", next() % 40);
    const std::string key = "ns/" + name;
    const std::string spec = absl::StrCat(step);
    const bool exists = live.count(key) > 0;
    const uint64_t op = next() % 3;
    bool wrote = false;
    if (op == 0) {
      wrote = s.Create(Obj("ns", name, spec), kT0).ok();
      EXPECT_EQ(wrote, !exists);
      if (wrote) live[key] = spec;
    } else if (op == 1) {
      wrote = s.Update(Obj("ns", name, spec), kT0).ok();
      EXPECT_EQ(wrote, exists);
      if (wrote) live[key] = spec;
    } else {
      wrote = s.Delete(key, kT0).ok();
      EXPECT_EQ(wrote, exists);
      if (wrote) live.erase(key);
    }
    if (wrote) {
      std::vector<std::string> state;
      for (const auto& [k, v] : live) state.push_back(k + "=" + v);
      model_at.push_back(state);
    }
    if (step % 500 == 499) s.Compact(s.current_rv() - 50);
    if (step % 100 == 0) {
      for (int64_t rv = s.compacted_rv(); rv <= s.current_rv(); rv += 7) {
        auto snap = s.SnapshotAt(rv);
        ASSERT_TRUE(snap.ok()) << snap.status();
        ASSERT_EQ(Render(*snap), model_at[rv]) << "rv " << rv;
      }
    }
  }
  ASSERT_EQ(static_cast<int64_t>(model_at.size()) - 1, s.current_rv());
  EXPECT_EQ(s.size(), live.size());
}

// Objects() keeps its live keys lazily (added ones merged, dead ones dropped
// on the next read, and before a compaction erases a dead key): against a
// model over deletes and re-creates of the same keys, reads both rare and
// after every write, and compactions up to the current revision (which
// erase dead keys that the last read may still list).
TEST(MvccStore, ObjectsMatchModelAcrossRecreatesAndCompactions) {
  MvccStore s;
  std::map<std::string, std::string> live;
  XorShift next{987654321};
  auto model = [&live]() {
    std::vector<std::string> out;
    for (const auto& [k, v] : live) out.push_back(k + "=" + v);
    return out;
  };
  int reads = 0;
  for (int step = 0; step < 20000; ++step) {
    const std::string name = absl::StrCat("k", next() % 60);
    const std::string key = "ns/" + name;
    const std::string spec = absl::StrCat(step);
    const uint64_t op = next() % 8;
    if (op < 3) {
      if (s.Create(Obj("ns", name, spec), kT0).ok()) live[key] = spec;
    } else if (op < 5) {
      if (s.Update(Obj("ns", name, spec), kT0).ok()) live[key] = spec;
    } else if (op < 7) {
      if (s.Delete(key, kT0).ok()) live.erase(key);
    } else if (next() % 8 == 0) {
      // Sometimes to the current revision: every dead key's node goes.
      s.Compact(next() % 2 == 0 ? s.current_rv() : s.current_rv() - 20);
    }
    // Reads after every write for a while, then rarely, so both an empty
    // and a long backlog of added and dead keys get merged.
    const bool read = (step / 2000) % 2 == 0 ? true : next() % 50 == 0;
    if (read) {
      ++reads;
      ASSERT_EQ(Render(s.Objects()), model()) << "step " << step;
    }
    ASSERT_EQ(s.size(), live.size());
  }
  EXPECT_GT(reads, 10000);
  EXPECT_EQ(Render(s.Objects()), model());
  // The live state is also the snapshot at the current revision.
  EXPECT_EQ(*s.SnapshotAt(s.current_rv()), s.Objects());
}

// Snapshots and pages walk the keys in an order kept lazily (keys new since
// the last ordered read are merged in then; keys a compaction leaves
// without versions are dropped by it): against a model of every revision's
// state, with reads after every write for a while and then rarely, keys
// deleted and re-created, and compactions (some to the current revision,
// which drop every dead key).
TEST(MvccStore, PagesAndSnapshotsMatchModelAsKeysComeAndGo) {
  MvccStore s;
  std::vector<std::map<std::string, std::string>> model_at(1);  // index = rv
  XorShift next{424242};
  int reads = 0;
  for (int step = 0; step < 6000; ++step) {
    const std::string name = absl::StrCat("k", next() % 50);
    const std::string key = "ns/" + name;
    const std::string spec = absl::StrCat(step);
    std::map<std::string, std::string> live = model_at.back();
    const uint64_t op = next() % 8;
    bool wrote = false;
    if (op < 3) {
      wrote = s.Create(Obj("ns", name, spec), kT0).ok();
      if (wrote) live[key] = spec;
    } else if (op < 5) {
      wrote = s.Update(Obj("ns", name, spec), kT0).ok();
      if (wrote) live[key] = spec;
    } else if (op < 7) {
      wrote = s.Delete(key, kT0).ok();
      if (wrote) live.erase(key);
    } else if (next() % 4 == 0) {
      s.Compact(next() % 2 == 0 ? s.current_rv() : s.current_rv() - 30);
    }
    if (wrote) model_at.push_back(std::move(live));
    ASSERT_EQ(static_cast<int64_t>(model_at.size()) - 1, s.current_rv());

    const bool read = (step / 1000) % 2 == 0 ? true : next() % 40 == 0;
    if (!read) continue;
    ++reads;
    const int64_t span = s.current_rv() - s.compacted_rv();
    const int64_t rv = s.compacted_rv() + (span > 0 ? static_cast<int64_t>(next() % (span + 1)) : 0);
    std::vector<std::string> want;
    for (const auto& [k, v] : model_at[rv]) want.push_back(k + "=" + v);
    auto snap = s.SnapshotAt(rv);
    ASSERT_TRUE(snap.ok()) << snap.status();
    ASSERT_EQ(Render(*snap), want) << "step " << step << " rv " << rv;
    // A page from a start key that may or may not be a key.
    const std::string start = absl::StrCat("ns/k", next() % 60, next() % 2 == 0 ? "" : "0");
    const int64_t limit = static_cast<int64_t>(next() % 6);
    auto page = s.PageAt(rv, start, limit);
    ASSERT_TRUE(page.ok()) << page.status();
    std::vector<std::string> from;
    for (const std::string& line : want) {
      if (line.substr(0, line.find('=')) >= start) from.push_back(line);
    }
    const size_t taken = limit == 0 ? from.size() : std::min<size_t>(from.size(), limit);
    ASSERT_EQ(Render(page->items), std::vector<std::string>(from.begin(), from.begin() + taken))
        << "step " << step << " rv " << rv << " start " << start << " limit " << limit;
    ASSERT_EQ(page->remaining, static_cast<int64_t>(from.size() - taken));
    ASSERT_EQ(page->next_key,
              taken < from.size() ? from[taken].substr(0, from[taken].find('=')) : "");
  }
  EXPECT_GT(reads, 3000);
}

}  // namespace
}  // namespace sim
}  // namespace informersim
