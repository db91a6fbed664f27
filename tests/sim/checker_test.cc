// Tests of the simulator's checker (sim/checker.h): each invariant it owns
// is caught with the right key, handler and step, legal behaviour is not
// flagged, and the report names the seed and the replay command.
//
// Most tests drive a HandlerRecorder directly with hand-made items over a
// real Cache, applying each change to the cache before notifying, as the
// informer does (C5). One test runs a real SharedIndexInformer.
#include "sim/checker.h"

#include <functional>
#include <iostream>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "core/cache.h"
#include "core/index.h"
#include "core/keys.h"
#include "core/manual_runtime.h"
#include "core/reflector_feeder.h"
#include "core/shared_informer.h"
#include "gtest/gtest.h"
#include "sim/identity.h"
#include "sim/mvcc_store.h"
#include "sim/tracer.h"
#include "tests/core/informer_support/fake_controller_source.h"
#include "tests/core/informer_support/informer_test_util.h"

namespace informersim {
namespace sim {
namespace {

using ::testing::Test;

ObjectPtr Pod(const std::string& name, const std::string& rv,
              std::map<std::string, std::string> labels = {}, const std::string& uid = "uid-1") {
  api::Object obj;
  obj.set_kind("Pod");
  obj.mutable_metadata()->set_namespace_("ns");
  obj.mutable_metadata()->set_name(name);
  obj.mutable_metadata()->set_uid(uid);
  obj.mutable_metadata()->set_resource_version(rv);
  for (auto& [k, v] : labels) (*obj.mutable_metadata()->mutable_labels())[k] = v;
  return MakeObject(std::move(obj));
}

std::unique_ptr<Cache> NewPodIndexer(Indexers extra = {}) {
  Indexers indexers = std::move(extra);
  indexers.emplace(std::string(kNamespaceIndex), MetaNamespaceIndexFunc);
  return NewIndexer(DeletionHandlingMetaNamespaceKeyFunc, std::move(indexers));
}

class FakeRegistration final : public ResourceEventHandlerRegistration {
 public:
  bool synced = false;
  bool HasSynced() const override { return synced; }
  bool IsShutDown() const override { return false; }
};

class CheckerTest : public Test {
 protected:
  void Make(CheckerOptions options = {}) {
    checker_ = std::make_unique<Checker>(&tracer_, &rt_, options);
    h_ = checker_->AddHandler("h", cache_.get());
  }

  // The informer's order: the indexer first, then the handler (C5).
  void Add(const ObjectPtr& o, bool initial = false) {
    ASSERT_TRUE(cache_->Add(o).ok());
    h_->OnAdd(o, initial);
  }
  void Update(const ObjectPtr& old_obj, const ObjectPtr& o) {
    ASSERT_TRUE(cache_->Update(o).ok());
    h_->OnUpdate(old_obj, o);
  }
  void Delete(const Item& o) {
    ASSERT_TRUE(cache_->Delete(o).ok());
    h_->OnDelete(o);
  }

  // The only violation, which must be `invariant` on `key` for handler "h".
  Violation Only(const std::string& invariant, const std::string& key,
                 const std::string& handler = "h") {
    EXPECT_EQ(checker_->violations().size(), 1u) << checker_->Describe(1, "replay");
    if (checker_->violations().empty()) return Violation{};
    const Violation& v = checker_->violations().front();
    EXPECT_EQ(v.invariant, invariant) << v.detail;
    EXPECT_EQ(v.key, key) << v.detail;
    EXPECT_EQ(v.handler, handler) << v.detail;
    return v;
  }

  // `v.step` is the index of the VIOLATION step the checker traced.
  void ExpectTracedAt(const Violation& v) {
    ASSERT_LT(v.step, tracer_.steps().size());
    const TraceStep& step = tracer_.steps()[v.step];
    EXPECT_EQ(step.kind(), VIOLATION);
    EXPECT_EQ(step.actor(), v.invariant);
    EXPECT_TRUE(absl::StrContains(step.detail(), v.key)) << step.detail();
  }

  ManualRuntime rt_;
  Tracer tracer_{&rt_, rt_.Now(), /*keep_steps=*/true};
  std::unique_ptr<Cache> cache_ = NewPodIndexer();
  std::unique_ptr<Checker> checker_;
  std::shared_ptr<HandlerRecorder> h_;
};

TEST_F(CheckerTest, CleanRunHasNoViolations) {
  Make();
  const ObjectPtr a3 = Pod("a", "3");
  const ObjectPtr c5 = Pod("c", "5");
  Add(Pod("a", "1"), /*initial=*/true);
  Add(Pod("b", "2"), /*initial=*/true);
  Update(Pod("a", "1"), a3);
  Delete(Pod("b", "4"));  // the DELETED event carries the deletion's RV
  Add(c5);
  Update(c5, c5);  // a resync (SI3: old.RV == new.RV)
  // Delete and recreate between relists seen as one Update (INV3 note).
  const ObjectPtr c9 = Pod("c", "9", {}, "uid-2");
  Update(c5, c9);
  checker_->CheckQuiescent({a3, c9}, *cache_);

  EXPECT_TRUE(checker_->ok()) << checker_->Describe(7, "replay");
  EXPECT_EQ(checker_->time_travel_findings(), 0);
  const HandlerCounts& n = h_->counts();
  EXPECT_EQ(n.adds, 3);
  EXPECT_EQ(n.initial_adds, 2);
  EXPECT_EQ(n.updates, 3);
  EXPECT_EQ(n.sync_updates, 1);
  EXPECT_EQ(n.deletes, 1);
  EXPECT_EQ(n.tombstone_deletes, 0);
  EXPECT_EQ(h_->view().size(), 2u);
  EXPECT_EQ(h_->view().at("ns/c").rv, 9);
  EXPECT_TRUE(h_->EverSaw("ns/b"));
  EXPECT_TRUE(h_->GotDelete("ns/b"));
  EXPECT_FALSE(h_->GotDelete("ns/a"));
  EXPECT_FALSE(h_->EverSaw("ns/zzz"));
  EXPECT_EQ(tracer_.count(NOTIFY), 7u);
  EXPECT_EQ(tracer_.count(VIOLATION), 0u);
  ASSERT_FALSE(tracer_.steps().empty());
  EXPECT_EQ(tracer_.steps()[0].actor(), "h");
  EXPECT_EQ(tracer_.steps()[0].detail(), "add ns/a rv=1 initial");
  EXPECT_EQ(checker_->Describe(7, "informer_sim --seed=7"),
            "seed 7: 0 violations\nreplay: informer_sim --seed=7\n");
}

// INV3: Add while present.
TEST_F(CheckerTest, Inv3AddWhilePresent) {
  Make();
  Add(Pod("a", "1"));
  Add(Pod("a", "2"));
  const Violation v = Only("INV3", "ns/a");
  EXPECT_TRUE(absl::StrContains(v.detail, "while present")) << v.detail;
  // Seen right after the second NOTIFY (steps 0 and 1).
  EXPECT_EQ(v.step, 2u);
  ExpectTracedAt(v);
  EXPECT_EQ(v.diverged_at_step, -1);
}

// INV3: Update while absent.
TEST_F(CheckerTest, Inv3UpdateWhileAbsent) {
  Make();
  Update(Pod("a", "1"), Pod("a", "2"));
  const Violation v = Only("INV3", "ns/a");
  EXPECT_TRUE(absl::StrContains(v.detail, "while absent")) << v.detail;
  ExpectTracedAt(v);
}

// INV3: Delete while absent, unless the scenario allows unknown deletes
// (RealFIFO forwards them when the server misbehaves).
TEST_F(CheckerTest, Inv3DeleteWhileAbsent) {
  Make();
  Delete(Pod("a", "2"));
  const Violation v = Only("INV3", "ns/a");
  EXPECT_TRUE(absl::StrContains(v.detail, "while absent")) << v.detail;
}

TEST_F(CheckerTest, Inv3UnknownDeleteAllowedByOption) {
  CheckerOptions options;
  options.allow_unknown_deletes = true;
  Make(options);
  Delete(Pod("a", "2"));
  EXPECT_TRUE(checker_->ok()) << checker_->Describe(1, "replay");
  EXPECT_EQ(h_->counts().unknown_deletes, 1);
  EXPECT_TRUE(h_->GotDelete("ns/a"));
}

// INV3: an Update's old object is the one the handler holds.
TEST_F(CheckerTest, Inv3UpdateFromAnObjectTheHandlerDoesNotHold) {
  Make();
  Add(Pod("a", "5"));
  Update(Pod("a", "6"), Pod("a", "7"));  // the handler never got rv=6
  const Violation v = Only("INV3", "ns/a");
  EXPECT_TRUE(absl::StrContains(v.detail, "lost or extra")) << v.detail;
}

TEST_F(CheckerTest, Inv3NotificationWithoutKey) {
  Make();
  h_->OnAdd(Item(), false);
  Only("INV3", "");
}

// INV4: the RVs a handler is given never go back.
TEST_F(CheckerTest, Inv4RvGoesBack) {
  Make();
  const ObjectPtr a5 = Pod("a", "5");
  Add(a5);
  Update(a5, Pod("a", "3"));  // a stale relist replaced it
  const Violation v = Only("INV4", "ns/a");
  EXPECT_TRUE(absl::StrContains(v.detail, "time travel")) << v.detail;
  EXPECT_EQ(checker_->time_travel_findings(), 0);
  ExpectTracedAt(v);
}

TEST_F(CheckerTest, Inv4AllowedTimeTravelIsCounted) {
  CheckerOptions options;
  options.allow_time_travel = true;
  Make(options);
  const ObjectPtr a5 = Pod("a", "5");
  const ObjectPtr a3 = Pod("a", "3");
  Add(a5);
  Update(a5, a3);
  // Compared with the last delivered RV: later events after the stale
  // relist are not counted again.
  const ObjectPtr a4 = Pod("a", "4");
  Update(a3, a4);
  EXPECT_TRUE(checker_->ok()) << checker_->Describe(1, "replay");
  EXPECT_EQ(checker_->time_travel_findings(), 1);
  const std::string report = checker_->Describe(3, "replay");
  EXPECT_TRUE(absl::StrContains(report, "time travel (allowed by the scenario): 1")) << report;
  EXPECT_TRUE(absl::StrContains(report, "key=ns/a")) << report;
  EXPECT_EQ(tracer_.count(VIOLATION), 0u);
}

// INV4: a plain delete carries the deletion's RV, so it is not older than
// what was delivered; a later add is not older than the delete.
TEST_F(CheckerTest, Inv4PlainDeleteOlderIsTimeTravel) {
  Make();
  Add(Pod("a", "5"));
  Delete(Pod("a", "4"));
  Only("INV4", "ns/a");
}

TEST_F(CheckerTest, Inv4ResurrectionAfterDeleteIsTimeTravel) {
  Make();
  Add(Pod("a", "5"));
  Delete(Pod("a", "6"));
  Add(Pod("a", "5"));  // a lagging instance still has it
  Only("INV4", "ns/a");
}

// A deleted key's record outlives its view (the recorder keeps it apart from
// the held keys): what was delivered before the delete still counts for
// INV4 after other keys come and go, across a re-create, and across a
// restart, which forgets every view but not the records.
TEST_F(CheckerTest, DeletedKeysKeepTheirRecords) {
  CheckerOptions options;
  options.restart_time_travel_is_violation = true;
  Make(options);
  Add(Pod("a", "5"));
  Delete(Pod("a", "6"));
  for (int i = 0; i < 50; ++i) {
    const std::string name = absl::StrCat("other-", i);
    Add(Pod(name, absl::StrCat(10 + i)));
    if (i % 2 == 0) Delete(Pod(name, absl::StrCat(100 + i)));
  }
  EXPECT_TRUE(checker_->ok()) << checker_->Describe(1, "replay");
  EXPECT_TRUE(h_->EverSaw("ns/a"));
  EXPECT_TRUE(h_->GotDelete("ns/a"));
  EXPECT_FALSE(h_->GotDelete("ns/other-1"));
  EXPECT_FALSE(h_->EverSaw("ns/never"));
  EXPECT_EQ(h_->view().count("ns/a"), 0u);
  EXPECT_EQ(h_->view().size(), 25u);

  // A newer incarnation is fine and is held again; then an update of it.
  const ObjectPtr a7 = Pod("a", "7", {}, "uid-2");
  Add(a7);
  Update(a7, Pod("a", "8", {}, "uid-2"));
  EXPECT_TRUE(checker_->ok()) << checker_->Describe(1, "replay");
  ASSERT_EQ(h_->view().count("ns/a"), 1u);
  EXPECT_EQ(h_->view().at("ns/a").rv, 8);

  // Deleted again; a restart forgets the views (a new cache); the old
  // incarnation's RV coming back after it is restart time travel, reported
  // for the retired key as for a held one.
  Delete(Pod("a", "9", {}, "uid-2"));
  cache_ = NewPodIndexer();
  checker_->InformerRestarted(cache_.get());
  EXPECT_TRUE(h_->view().empty());
  EXPECT_FALSE(h_->GotInitialAdd("ns/other-1"));
  Add(Pod("other-1", "11"), /*initial=*/true);
  EXPECT_TRUE(h_->GotInitialAdd("ns/other-1"));
  EXPECT_TRUE(checker_->ok()) << checker_->Describe(1, "replay");
  Add(Pod("a", "5"));
  const Violation v = Only("INV4", "ns/a");
  EXPECT_TRUE(absl::StrContains(v.detail, "after the informer restarted is older than rv=9"))
      << v.detail;
}

// Graves (Checker::BuryDead): once the server's deleted keys outnumber the
// live ones, a deleted key whose handlers all got its delete is kept as one
// grave; what the handlers were told before still counts exactly as in
// DeletedKeysKeepTheirRecords.
class CheckerGraveTest : public CheckerTest {
 protected:
  void SetUpWorld(CheckerOptions options = {}) {
    Make(options);
    h2_ = checker_->AddHandler("h2", cache_.get());
    // One key that h2 still holds when the others are buried: its delete
    // has reached h but not h2, so it stays a record.
    Create("slow", /*notify_h2=*/true);
    Remove("slow", /*notify_h2=*/false);
    for (int i = 0; i < 3000; ++i) {
      const std::string name = absl::StrCat("k-", i);
      Create(name, true);
      Remove(name, true);
    }
    ASSERT_TRUE(checker_->ok()) << checker_->Describe(1, "replay");
    ASSERT_GT(checker_->buried_keys(), 2000u);
  }
  // The server writes the key, then both handlers are told (h2 if asked).
  void Create(const std::string& name, bool notify_h2) {
    const ObjectPtr o = Pod(name, absl::StrCat(++rv_));
    Write(WatchEventType::kAdded, o);
    Add(o);
    if (notify_h2) h2_->OnAdd(o, false);
    last_[name] = o;
  }
  void Remove(const std::string& name, bool notify_h2) {
    const ObjectPtr o = Pod(name, absl::StrCat(++rv_));
    Write(WatchEventType::kDeleted, o);
    Delete(o);
    if (notify_h2) h2_->OnDelete(o);
  }
  // k-i is created at rv 3 + 2i and deleted at 4 + 2i (after "slow"'s 1
  // and 2): its created object coming back to h is time travel.
  void ExpectStaleAddIsTimeTravel(int i) {
    const std::string name = absl::StrCat("k-", i);
    Add(last_[name]);
    const Violation v = Only("INV4", "ns/" + name);
    EXPECT_TRUE(absl::StrContains(v.detail, absl::StrCat("add rv=", 3 + 2 * i, " is older than rv=",
                                                          4 + 2 * i, " delivered before")))
        << v.detail;
  }
  // A new incarnation of `name` (uid-2): written, added to both handlers,
  // then updated; returns its two objects.
  std::pair<ObjectPtr, ObjectPtr> Recreate(const std::string& name) {
    const ObjectPtr a = Pod(name, absl::StrCat(++rv_), {}, "uid-2");
    Write(WatchEventType::kAdded, a);
    Add(a);
    h2_->OnAdd(a, false);
    const ObjectPtr a2 = Pod(name, absl::StrCat(++rv_), {}, "uid-2");
    Write(WatchEventType::kModified, a2);
    Update(a, a2);
    h2_->OnUpdate(a, a2);
    return {a, a2};
  }
  void Write(WatchEventType type, const ObjectPtr& o) {
    Change c;
    c.rv = rv_;
    c.type = type;
    c.key = ObjectKey(o->metadata().namespace_(), o->metadata().name());
    c.object = o;
    checker_->NoteWrite(c);
  }

  std::shared_ptr<HandlerRecorder> h2_;
  int64_t rv_ = 0;
  std::map<std::string, ObjectPtr> last_;
};

TEST_F(CheckerGraveTest, AStaleObjectOfABuriedKeyIsStillTimeTravel) {
  SetUpWorld();
  for (const auto& h : {h_, h2_}) {
    EXPECT_TRUE(h->EverSaw("ns/k-0")) << h->name();
    EXPECT_TRUE(h->GotDelete("ns/k-0")) << h->name();
    EXPECT_FALSE(h->GotInitialAdd("ns/k-0")) << h->name();
    EXPECT_FALSE(h->EverSaw("ns/never")) << h->name();
    EXPECT_EQ(h->view().count("ns/k-0"), 0u);
  }
  // Not buried while h2 holds it; its delete then reaches h2 as usual.
  EXPECT_EQ(h2_->view().count("ns/slow"), 1u);
  h2_->OnDelete(Pod("slow", "2"));
  EXPECT_TRUE(checker_->ok()) << checker_->Describe(1, "replay");

  ExpectStaleAddIsTimeTravel(0);
}

TEST_F(CheckerGraveTest, RetiredGravesAreForgottenUpToTheirRv) {
  SetUpWorld();
  const size_t buried = checker_->buried_keys();
  // Retiring up to k-499's delete forgets k-0 .. k-499, all buried by the
  // first sweep.
  checker_->RetireGraves(4 + 2 * 499);
  EXPECT_EQ(checker_->buried_keys(), buried - 500);
  checker_->RetireGraves(4 + 2 * 499);  // again: nothing more
  checker_->RetireGraves(0);
  EXPECT_EQ(checker_->buried_keys(), buried - 500);

  // What the handlers were told of a retired key is gone...
  EXPECT_FALSE(h_->EverSaw("ns/k-0"));
  EXPECT_FALSE(h2_->GotDelete("ns/k-499"));
  // ... while a key deleted later still has its grave and its checks.
  EXPECT_TRUE(h_->EverSaw("ns/k-500"));
  EXPECT_TRUE(h2_->GotDelete("ns/k-500"));
  // One more delete's worth: one more grave.
  checker_->RetireGraves(4 + 2 * 500);
  EXPECT_EQ(checker_->buried_keys(), buried - 501);
  ExpectStaleAddIsTimeTravel(501);
}

TEST_F(CheckerGraveTest, AGraveBuriedAfterARetirementWithAnOlderDeleteIsRetiredNext) {
  SetUpWorld();
  checker_->RetireGraves(4 + 2 * 499);
  // "slow" was deleted at rv 2 but h2 still held it; once h2 has the
  // delete, a later sweep buries it, older than every grave left.
  h2_->OnDelete(Pod("slow", "2"));
  for (int i = 3000; i < 7000; ++i) {
    const std::string name = absl::StrCat("k-", i);
    Create(name, true);
    Remove(name, true);
  }
  ASSERT_TRUE(checker_->ok()) << checker_->Describe(1, "replay");
  ASSERT_TRUE(h2_->GotDelete("ns/slow"));
  const size_t buried = checker_->buried_keys();
  checker_->RetireGraves(4 + 2 * 499);
  EXPECT_EQ(checker_->buried_keys(), buried - 1);
  EXPECT_FALSE(h2_->EverSaw("ns/slow"));
}

TEST_F(CheckerGraveTest, ARetiredKeyStartsAfreshWhenWrittenAgain) {
  SetUpWorld();
  checker_->RetireGraves(rv_);
  // Only "slow" (held by h2, never buried) and the keys after the last
  // sweep are left as records; no grave is.
  EXPECT_EQ(checker_->buried_keys(), 0u);
  const auto [a, a2] = Recreate("k-7");
  EXPECT_TRUE(checker_->ok()) << checker_->Describe(1, "replay");
  EXPECT_EQ(h_->view().at("ns/k-7").rv, rv_);
  EXPECT_TRUE(h2_->EverSaw("ns/k-7"));
  EXPECT_FALSE(h2_->GotDelete("ns/k-7"));
  // The new incarnation is judged as any key: an older RV of it after the
  // update is time travel.
  Update(a2, a);
  Only("INV4", "ns/k-7");
}

TEST_F(CheckerGraveTest, BuriedKeysComeBackWhole) {
  CheckerOptions options;
  options.restart_time_travel_is_violation = true;
  SetUpWorld(options);
  // A new incarnation of a buried key: written, added to both, updated.
  const size_t buried = checker_->buried_keys();
  Recreate("k-1");
  EXPECT_EQ(checker_->buried_keys(), buried - 1);
  EXPECT_TRUE(checker_->ok()) << checker_->Describe(1, "replay");
  EXPECT_EQ(h_->view().at("ns/k-1").rv, rv_);

  // A restart forgets every view; what was delivered before it still
  // counts, for buried keys as for the rest.
  cache_ = NewPodIndexer();
  checker_->InformerRestarted(cache_.get());
  EXPECT_TRUE(h_->EverSaw("ns/k-2"));
  EXPECT_FALSE(h_->GotInitialAdd("ns/k-2"));
  ASSERT_TRUE(cache_->Add(last_["k-2"]).ok());
  h2_->OnAdd(last_["k-2"], /*is_in_initial_list=*/true);
  const Violation v = Only("INV4", "ns/k-2", "h2");
  // k-2 was created at rv 7 and deleted at rv 8.
  EXPECT_TRUE(absl::StrContains(v.detail, "after the informer restarted is older than rv=8"))
      << v.detail;
  EXPECT_TRUE(h2_->GotInitialAdd("ns/k-2"));
}

// A buried key's last write comes back with it: INV11 still knows that no
// state was served since the delete, so a sync update of the deleted
// object is a duplicated event (resync off).
TEST_F(CheckerGraveTest, ABuriedKeysLastWriteStillCountsForInv11) {
  CheckerOptions options;
  options.informer_resyncs = false;
  SetUpWorld(options);
  // k-5 was created at rv 13 and deleted at rv 14; its deleted object.
  const ObjectPtr deleted = Pod("k-5", "14");
  h_->OnAdd(deleted, false);  // a stale re-add: not time travel (same rv)
  ASSERT_TRUE(checker_->ok()) << checker_->Describe(1, "replay");
  h_->OnUpdate(deleted, deleted);
  const Violation v = Only("INV11", "ns/k-5");
  EXPECT_TRUE(absl::StrContains(v.detail, "sync update of rv=14 with resync off")) << v.detail;
}

// A grave names at most 64 handlers: a 65th, added after keys were buried,
// never saw them (a stale object of one is nothing to it, as for a key it
// was never told of), and with 65 handlers nothing more is buried.
TEST_F(CheckerGraveTest, HandlersPastTheSixtyFourthAreNotInGraves) {
  Make();
  std::vector<std::shared_ptr<HandlerRecorder>> all{h_};
  for (int i = 1; i < 64; ++i) all.push_back(checker_->AddHandler(absl::StrCat("h", i), nullptr));
  const auto cycle = [&](const std::string& name) {
    const ObjectPtr o = Pod(name, absl::StrCat(++rv_));
    Write(WatchEventType::kAdded, o);
    for (const auto& h : all) h->OnAdd(o, false);
    const ObjectPtr d = Pod(name, absl::StrCat(++rv_));
    Write(WatchEventType::kDeleted, d);
    for (const auto& h : all) h->OnDelete(d);
    last_[name] = o;
  };
  for (int i = 0; i < 3000; ++i) cycle(absl::StrCat("k-", i));
  ASSERT_TRUE(checker_->ok()) << checker_->Describe(1, "replay");
  const size_t buried = checker_->buried_keys();
  ASSERT_GT(buried, 2000u);
  EXPECT_TRUE(all.back()->EverSaw("ns/k-0"));

  const std::shared_ptr<HandlerRecorder> late = checker_->AddHandler("late", nullptr);
  EXPECT_FALSE(late->EverSaw("ns/k-0"));
  EXPECT_FALSE(late->GotDelete("ns/k-0"));
  late->OnAdd(last_["k-0"], false);
  EXPECT_TRUE(checker_->ok()) << checker_->Describe(1, "replay");
  // k-0 came back for every handler; the 64th still remembers its delete.
  EXPECT_EQ(checker_->buried_keys(), buried - 1);
  all.back()->OnAdd(last_["k-0"], false);
  Only("INV4", "ns/k-0", "h63");

  all.push_back(late);
  for (int i = 3000; i < 6000; ++i) cycle(absl::StrCat("k-", i));
  EXPECT_EQ(checker_->buried_keys(), buried - 1);
}

// INV4: a sync update repeats the held RV as old and new.
TEST_F(CheckerTest, Inv4SyncUpdateWithDifferentOldRv) {
  Make();
  const ObjectPtr a5 = Pod("a", "5");
  Add(a5);
  Update(Pod("a", "4"), a5);
  const Violation v = Only("INV4", "ns/a");
  EXPECT_TRUE(absl::StrContains(v.detail, "old.RV != new.RV")) << v.detail;
}

TEST_F(CheckerTest, Inv4SyncUpdateOfAnRvTheHandlerDoesNotHold) {
  Make();
  Add(Pod("a", "5"));
  const ObjectPtr a6 = Pod("a", "6");
  Update(a6, a6);
  const Violation v = Only("INV4", "ns/a");
  EXPECT_TRUE(absl::StrContains(v.detail, "sync update of rv=6")) << v.detail;
}

// INV4 / K5: a tombstone's object may be older than what was delivered,
// never newer.
TEST_F(CheckerTest, Inv4TombstoneNewerThanDelivered) {
  Make();
  Add(Pod("a", "5"));
  Delete(Item::Tombstone("ns/a", Pod("a", "7")));
  const Violation v = Only("INV4", "ns/a");
  EXPECT_TRUE(absl::StrContains(v.detail, "tombstone")) << v.detail;
  EXPECT_EQ(h_->counts().tombstone_deletes, 1);
}

TEST_F(CheckerTest, TombstoneOlderOrWithoutObjectIsFine) {
  Make();
  const ObjectPtr a5 = Pod("a", "5");
  Add(a5);
  Update(a5, Pod("a", "6"));
  Delete(Item::Tombstone("ns/a", a5));
  Add(Pod("b", "8"));
  Delete(Item::Tombstone("ns/b", nullptr));
  checker_->CheckQuiescent({}, *cache_);
  EXPECT_TRUE(checker_->ok()) << checker_->Describe(1, "replay");
  EXPECT_EQ(h_->counts().tombstone_deletes, 2);
  EXPECT_EQ(tracer_.steps()[2].detail(), "delete ns/a tombstone rv=5");
  EXPECT_EQ(tracer_.steps()[4].detail(), "delete ns/b tombstone rv=?");
}

// INV5 with tombstones_carry_state: an informer's tombstone is never empty.
TEST_F(CheckerTest, Inv5TombstoneWithoutObjectWhenStateIsKnown) {
  CheckerOptions o;
  o.tombstones_carry_state = true;
  Make(o);
  const ObjectPtr a5 = Pod("a", "5");
  Add(a5);
  Delete(Item::Tombstone("ns/a", a5));  // carries its state: fine
  Add(Pod("b", "8"));
  Delete(Item::Tombstone("ns/b", nullptr));
  const Violation v = Only("INV5", "ns/b");
  EXPECT_TRUE(absl::StrContains(v.detail, "tombstone without")) << v.detail;
}

// INV11: the sources of sync updates (old.RV == new.RV).
class CheckerSyncTest : public CheckerTest {
 protected:
  // The server writes `o` (its last write of the key).
  void Written(const ObjectPtr& o) {
    Change c;
    c.key = ObjectKey(o->metadata().namespace_(), o->metadata().name());
    c.rv = std::stoll(o->metadata().resource_version());
    c.object = o;
    checker_->NoteWrite(c);
  }
  void Sync(const ObjectPtr& o) { Update(o, o); }
};

TEST_F(CheckerSyncTest, ResyncOffSyncWithoutAServedStateIsADuplicatedEvent) {
  CheckerOptions o;
  o.informer_resyncs = false;
  Make(o);
  const ObjectPtr a5 = Pod("a", "5");
  Written(a5);
  Add(a5);
  Sync(a5);  // nothing was listed since the write: a repeated watch event
  const Violation v = Only("INV11", "ns/a");
  EXPECT_TRUE(absl::StrContains(v.detail, "resync off")) << v.detail;
}

TEST_F(CheckerSyncTest, ResyncOffSyncFromARelistIsFine) {
  CheckerOptions o;
  o.informer_resyncs = false;
  Make(o);
  const ObjectPtr a5 = Pod("a", "5");
  Written(a5);
  Add(a5);
  checker_->NoteListServed();  // a relist lists a at rv 5 again
  Sync(a5);
  EXPECT_TRUE(checker_->ok()) << checker_->Describe(1, "replay");
  EXPECT_EQ(h_->counts().sync_updates, 1);
}

TEST_F(CheckerSyncTest, ResyncPassToAPeriodZeroHandler) {
  Make();
  h_->SetResyncPolicy(/*receives_resyncs=*/false, /*registered_before_run=*/true);
  const ObjectPtr a5 = Pod("a", "5");
  Written(a5);
  Add(a5);
  Sync(a5);
  const Violation v = Only("INV11", "ns/a");
  EXPECT_TRUE(absl::StrContains(v.detail, "resync period is 0")) << v.detail;
}

TEST_F(CheckerSyncTest, RelistAfterResyncChecksBeganSkipsPeriodZeroHandlers) {
  Make();
  h_->SetResyncPolicy(/*receives_resyncs=*/false, /*registered_before_run=*/true);
  std::shared_ptr<HandlerRecorder> syncing = checker_->AddHandler("s", cache_.get());
  syncing->SetResyncPolicy(/*receives_resyncs=*/true, /*registered_before_run=*/true);
  const ObjectPtr a5 = Pod("a", "5");
  Written(a5);
  Add(a5);
  syncing->OnAdd(a5, false);
  checker_->NoteListServed();
  Sync(a5);  // a relist before any resync pass: every listener syncs
  EXPECT_TRUE(checker_->ok()) << checker_->Describe(1, "replay");
  const ObjectPtr b7 = Pod("b", "7");
  Written(b7);
  Add(b7);
  syncing->OnAdd(b7, false);
  syncing->OnUpdate(b7, b7);  // a resync pass: shouldResync has run
  EXPECT_TRUE(checker_->ok()) << checker_->Describe(1, "replay");
  checker_->NoteListServed();
  Sync(b7);  // a later relist's unchanged object: not for a period-0 handler
  const Violation v = Only("INV11", "ns/b");
  EXPECT_TRUE(absl::StrContains(v.detail, "after resync checks began")) << v.detail;
}

// INV7: the indexer holds the notified object or a newer one.
TEST_F(CheckerTest, Inv7IndexerOlderThanNotification) {
  Make();
  ASSERT_TRUE(cache_->Add(Pod("a", "3")).ok());
  h_->OnAdd(Pod("a", "5"), false);  // notified before the store has it
  const Violation v = Only("INV7", "ns/a");
  EXPECT_TRUE(absl::StrContains(v.detail, "indexer holds rv=3")) << v.detail;
}

TEST_F(CheckerTest, Inv7ListenerBehindTheIndexerIsFine) {
  Make();
  // The indexer moved on (newer object, or the key deleted) before the
  // listener ran.
  ASSERT_TRUE(cache_->Add(Pod("a", "9")).ok());
  h_->OnAdd(Pod("a", "5"), false);
  h_->OnAdd(Pod("b", "6"), false);  // ns/b already deleted from the indexer
  h_->OnDelete(Pod("a", "7"));      // a newer incarnation is stored
  EXPECT_TRUE(checker_->ok()) << checker_->Describe(1, "replay");
}

TEST_F(CheckerTest, Inv7DeleteWhileTheIndexerStillHoldsIt) {
  Make();
  Add(Pod("a", "5"));
  h_->OnDelete(Pod("a", "6"));  // not applied to the indexer
  Only("INV7", "ns/a");
}

TEST_F(CheckerTest, Inv7TombstoneComparedWithItsObject) {
  Make();
  Add(Pod("a", "5"));
  h_->OnDelete(Item::Tombstone("ns/a", Pod("a", "5")));  // indexer still has rv=5
  Only("INV7", "ns/a");
}

TEST_F(CheckerTest, Inv7TombstoneWithoutObjectComparedWithTheView) {
  Make();
  Add(Pod("a", "5"));
  h_->OnDelete(Item::Tombstone("ns/a", nullptr));
  Only("INV7", "ns/a");
}

// INV9: no initial-list add once the registration has synced.
TEST_F(CheckerTest, Inv9InitialAddAfterSynced) {
  Make();
  auto reg = std::make_shared<FakeRegistration>();
  h_->SetRegistration(reg);
  EXPECT_EQ(h_->registration(), reg);
  Add(Pod("a", "1"), /*initial=*/true);
  EXPECT_TRUE(checker_->ok());
  reg->synced = true;
  Add(Pod("b", "2"), /*initial=*/true);
  Add(Pod("c", "3"), /*initial=*/false);
  Only("INV9", "ns/b");
}

TEST_F(CheckerTest, Inv9InitialAddAfterCheckStepSawSynced) {
  Make();
  auto reg = std::make_shared<FakeRegistration>();
  h_->SetRegistration(reg);
  reg->synced = true;
  checker_->CheckSyncState(true);
  reg->synced = false;  // even if it later reads false (reported separately)
  Add(Pod("a", "1"), /*initial=*/true);
  Only("INV9", "ns/a");
}

// INV9: the informer's HasSynced is monotonic.
TEST_F(CheckerTest, Inv9InformerHasSyncedMonotonic) {
  Make();
  checker_->CheckSyncState(false);
  checker_->CheckSyncState(true);
  EXPECT_TRUE(checker_->ok());
  checker_->CheckSyncState(false);
  checker_->CheckSyncState(false);  // reported once per fall
  const Violation v = Only("INV9", "", "");
  EXPECT_TRUE(absl::StrContains(v.detail, "true to false")) << v.detail;
  ExpectTracedAt(v);
}

// INV9: registration HasSynced => informer HasSynced.
TEST_F(CheckerTest, Inv9RegistrationSyncedBeforeInformer) {
  Make();
  auto reg = std::make_shared<FakeRegistration>();
  h_->SetRegistration(reg);
  ManualRuntime rt;
  SharedIndexInformer informer(&rt, nullptr, SharedIndexInformerOptions{});
  checker_->CheckStep(informer);
  EXPECT_TRUE(checker_->ok());
  reg->synced = true;  // the informer has not even run
  checker_->CheckStep(informer);
  checker_->CheckStep(informer);  // reported once while it lasts
  const Violation v = Only("INV9", "", "h");
  EXPECT_TRUE(absl::StrContains(v.detail, "informer has not synced")) << v.detail;
}

// INV9: an early registration is reported once while it lasts, and again
// after the informer synced and fell back. CheckSynced clears the report
// when the informer syncs and then skips its loop while nothing can change;
// the second report shows that the clearing happened.
TEST_F(CheckerTest, Inv9EarlyRegistrationReportedAgainAfterTheInformerFell) {
  Make();
  auto reg = std::make_shared<FakeRegistration>();
  h_->SetRegistration(reg);
  reg->synced = true;
  checker_->CheckSyncState(false);  // early: reported
  checker_->CheckSyncState(false);  // still early: not again
  checker_->CheckSyncState(true);   // the informer synced: cleared
  checker_->CheckSyncState(true);   // nothing can change
  ASSERT_EQ(checker_->violations().size(), 1u) << checker_->Describe(1, "replay");
  checker_->CheckSyncState(false);  // the informer fell, and the registration is early again
  const std::vector<Violation>& v = checker_->violations();
  ASSERT_EQ(v.size(), 3u) << checker_->Describe(1, "replay");
  EXPECT_EQ(v[0].handler, "h");
  EXPECT_TRUE(absl::StrContains(v[0].detail, "informer has not synced")) << v[0].detail;
  EXPECT_EQ(v[1].handler, "");
  EXPECT_TRUE(absl::StrContains(v[1].detail, "true to false")) << v[1].detail;
  EXPECT_EQ(v[2].handler, "h");
  EXPECT_TRUE(absl::StrContains(v[2].detail, "informer has not synced")) << v[2].detail;
}

// The recorder's listener() is its registration as a ProcessorListener,
// found when the registration is set and dropped with it on a restart.
TEST_F(CheckerTest, ListenerFollowsTheRegistration) {
  Make();
  EXPECT_EQ(h_->listener(), nullptr);
  h_->SetRegistration(std::make_shared<FakeRegistration>());
  EXPECT_EQ(h_->listener(), nullptr);
  ManualRuntime rt;
  SharedIndexInformer informer(&rt, nullptr, SharedIndexInformerOptions{});
  absl::StatusOr<std::shared_ptr<ResourceEventHandlerRegistration>> reg =
      informer.AddEventHandler(std::make_shared<ResourceEventHandlerFuncs>());
  ASSERT_TRUE(reg.ok()) << reg.status();
  h_->SetRegistration(*reg);
  EXPECT_EQ(h_->listener(), dynamic_cast<const ProcessorListener*>(reg->get()));
  EXPECT_NE(h_->listener(), nullptr);
  checker_->InformerRestarted(cache_.get());
  EXPECT_EQ(h_->registration(), nullptr);
  EXPECT_EQ(h_->listener(), nullptr);
}

TEST_F(CheckerTest, Inv9RegistrationHasSyncedMonotonic) {
  Make();
  auto reg = std::make_shared<FakeRegistration>();
  h_->SetRegistration(reg);
  reg->synced = true;
  checker_->CheckSyncState(true);
  reg->synced = false;
  ManualRuntime rt;
  SharedIndexInformer informer(&rt, nullptr, SharedIndexInformerOptions{});
  checker_->CheckStep(informer);  // also: the informer reads false now
  ASSERT_EQ(checker_->violations().size(), 2u) << checker_->Describe(1, "replay");
  EXPECT_EQ(checker_->violations()[0].handler, "h");
  EXPECT_TRUE(absl::StrContains(checker_->violations()[0].detail, "registration"));
  EXPECT_EQ(checker_->violations()[1].handler, "");
  EXPECT_TRUE(absl::StrContains(checker_->violations()[1].detail, "informer HasSynced"));
}

// A real informer fed through its queue, checked after every task: no
// violation, and the recorder sees what the informer distributes.
// INV1's equality: each field of api::Object, changed alone, must make two
// objects differ, and a field added to the object must be added to its
// operator== and counted here (the counts below fail until it is).
TEST(SameObjectTest, EveryFieldCounts) {
  EXPECT_EQ(api::Object::kFieldCount, 3);
  EXPECT_EQ(api::ObjectMeta::kFieldCount, 8);
  api::Object base;
  base.set_kind("Pod");
  base.set_spec("spec");
  api::ObjectMeta& m = *base.mutable_metadata();
  m.set_namespace_("ns");
  m.set_name("a");
  m.set_uid("u");
  m.set_resource_version("5");
  m.set_generation(2);
  (*m.mutable_labels())["app"] = "x";
  (*m.mutable_annotations())["note"] = "y";
  const api::Object copy = base;
  EXPECT_TRUE(SameObject(base, copy));
  EXPECT_TRUE(SameObject(base, base));
  std::vector<std::function<void(api::Object&)>> changes = {
      [](api::Object& o) { o.set_kind("Node"); },
      [](api::Object& o) { o.set_spec("other"); },
      [](api::Object& o) { o.clear_metadata(); },
      [](api::Object& o) { o.mutable_metadata()->set_namespace_("ns2"); },
      [](api::Object& o) { o.mutable_metadata()->set_name("b"); },
      [](api::Object& o) { o.mutable_metadata()->set_uid("v"); },
      [](api::Object& o) { o.mutable_metadata()->set_resource_version("6"); },
      [](api::Object& o) { o.mutable_metadata()->set_generation(3); },
      [](api::Object& o) { (*o.mutable_metadata()->mutable_labels())["app"] = "z"; },
      [](api::Object& o) { (*o.mutable_metadata()->mutable_labels())["more"] = "x"; },
      [](api::Object& o) { o.mutable_metadata()->mutable_labels()->clear(); },
      [](api::Object& o) { (*o.mutable_metadata()->mutable_annotations())["note"] = "z"; },
      [](api::Object& o) { o.mutable_metadata()->mutable_annotations()->clear(); },
      [](api::Object& o) { o.mutable_metadata()->set_deletion_timestamp_ms(0); },
  };
  for (size_t i = 0; i < changes.size(); ++i) {
    api::Object changed = base;
    changes[i](changed);
    EXPECT_FALSE(SameObject(base, changed)) << "change " << i;
    EXPECT_FALSE(SameObject(changed, base)) << "change " << i;
  }
}

TEST(CheckerInformerTest, RealInformerStepByStepIsClean) {
  for (Profile profile : {Profile::kClassic, Profile::kCurrent}) {
    SCOPED_TRACE(static_cast<int>(profile));
    ManualRuntime rt;
    Tracer tracer(&rt, rt.Now(), /*keep_steps=*/false);
    Checker checker(&tracer, &rt, CheckerOptions{});
    SharedIndexInformerOptions options;
    options.profile.profile = profile;
    SharedIndexInformer informer(&rt, nullptr, options);
    auto early = checker.AddHandler("early", informer.GetStore());
    early->SetRegistration(*informer.AddEventHandler(early));
    informer.Run();
    auto run_checked = [&] {
      checker.CheckStep(informer);
      while (rt.RunOne()) checker.CheckStep(informer);
    };
    run_checked();
    ASSERT_NE(informer.queue(), nullptr);
    EXPECT_FALSE(informer.HasSynced());
    const ObjectPtr a1 = Pod("a", "1"), b2 = Pod("b", "2"), a3 = Pod("a", "3");
    ASSERT_TRUE(informer.queue()->Replace({a1, b2}, "2").ok());
    run_checked();
    EXPECT_TRUE(informer.HasSynced());
    EXPECT_TRUE(early->registration()->HasSynced());
    // A late joiner gets the cache as initial adds (SI7).
    auto late = checker.AddHandler("late", informer.GetStore());
    late->SetRegistration(*informer.AddEventHandler(late));
    ASSERT_TRUE(informer.queue()->Update(a3).ok());
    ASSERT_TRUE(informer.queue()->Delete(Pod("b", "4")).ok());
    run_checked();
    checker.CheckQuiescent({a3}, *informer.GetIndexer());
    EXPECT_TRUE(checker.ok()) << checker.Describe(1, "replay");
    EXPECT_EQ(early->counts().initial_adds, 2);
    EXPECT_EQ(early->counts().updates, 1);
    EXPECT_EQ(early->counts().deletes, 1);
    EXPECT_EQ(late->counts().initial_adds, 2);
    EXPECT_TRUE(late->registration()->HasSynced());
    EXPECT_EQ(tracer.count(NOTIFY), 8u);
    informer.Stop();
    rt.RunFor(absl::Seconds(1));
  }
}

// INV1 at quiescence: missing keys, with the step of the server's last
// write to the key.
TEST_F(CheckerTest, Inv1MissingKeyNamesTheDivergenceStep) {
  Make();
  const ObjectPtr a1 = Pod("a", "1"), b2 = Pod("b", "2");
  Add(a1);
  tracer_.Record(WRITE, "ns/b", "create rv=2");
  Change change;
  change.rv = 2;
  change.key = "ns/b";
  change.object = b2;
  checker_->NoteWrite(change);  // at step 2
  checker_->CheckQuiescent({a1, b2}, *cache_);
  const Violation v = Only("INV1", "ns/b", "");
  EXPECT_TRUE(absl::StrContains(v.detail, "missing")) << v.detail;
  EXPECT_EQ(v.diverged_at_step, 2);
  ExpectTracedAt(v);
}

// INV1's report of a cached object that differs from the server's at the
// same RV names each differing field, sorted: scalar and map entries, each
// added, deleted or modified.
TEST_F(CheckerTest, Inv1ObjectMismatchNamesEachField) {
  Make();
  Add(Pod("a", "3", {{"app", "x"}, {"old", "1"}}));
  checker_->CheckQuiescent({Pod("a", "3", {{"app", "y"}, {"new", "2"}}, "uid-2")}, *cache_);
  const Violation* mismatch = nullptr;
  for (const Violation& v : checker_->violations()) {
    if (absl::StrContains(v.detail, "object mismatch")) mismatch = &v;
  }
  ASSERT_NE(mismatch, nullptr) << checker_->Describe(1, "replay");
  EXPECT_EQ(mismatch->invariant, "INV1");
  EXPECT_TRUE(absl::EndsWith(
      mismatch->detail,
      "(indexer vs server): added: metadata.labels[\"new\"]: \"2\"; "
      "deleted: metadata.labels[\"old\"]: \"1\"; "
      "modified: metadata.labels[\"app\"]: \"x\" -> \"y\"; "
      "modified: metadata.uid: \"uid-1\" -> \"uid-2\""))
      << mismatch->detail;
}

TEST_F(CheckerTest, Inv1GhostKey) {
  Make();
  const ObjectPtr a1 = Pod("a", "1");
  Add(a1);
  ASSERT_TRUE(cache_->Add(Pod("z", "3")).ok());  // the handler never saw it
  h_->OnAdd(Pod("z", "3"), false);
  checker_->CheckQuiescent({a1}, *cache_);
  // The indexer's ghost, and the handler's lost delete of it.
  ASSERT_EQ(checker_->violations().size(), 2u) << checker_->Describe(1, "replay");
  EXPECT_EQ(checker_->violations()[0].invariant, "INV1");
  EXPECT_EQ(checker_->violations()[0].key, "ns/z");
  EXPECT_TRUE(absl::StrContains(checker_->violations()[0].detail, "ghost"));
  EXPECT_EQ(checker_->violations()[1].invariant, "INV5");
  EXPECT_EQ(checker_->violations()[1].key, "ns/z");
  EXPECT_EQ(checker_->violations()[1].handler, "h");
}

TEST_F(CheckerTest, Inv1RvMismatch) {
  checker_ = std::make_unique<Checker>(&tracer_, &rt_, CheckerOptions{});
  ASSERT_TRUE(cache_->Add(Pod("a", "1")).ok());
  checker_->CheckQuiescent({Pod("a", "2")}, *cache_);
  const Violation v = Only("INV1", "ns/a", "");
  EXPECT_TRUE(absl::StrContains(v.detail, "rv mismatch")) << v.detail;
}

// INV2 for the cache: between quiescent points a key's RV never falls,
// even when each point agrees with a (stale) truth; a restart starts afresh.
TEST_F(CheckerTest, Inv2CacheGoingBackBetweenQuiescentPoints) {
  checker_ = std::make_unique<Checker>(&tracer_, &rt_, CheckerOptions{});
  ASSERT_TRUE(cache_->Add(Pod("a", "5")).ok());
  checker_->CheckQuiescent({Pod("a", "5")}, *cache_);
  EXPECT_TRUE(checker_->ok());
  ASSERT_TRUE(cache_->Update(Pod("a", "3")).ok());
  checker_->CheckQuiescent({Pod("a", "3")}, *cache_);
  const Violation v = Only("INV2", "ns/a", "");
  EXPECT_TRUE(absl::StrContains(v.detail, "held rv=5")) << v.detail;

  checker_ = std::make_unique<Checker>(&tracer_, &rt_, CheckerOptions{});
  ASSERT_TRUE(cache_->Update(Pod("a", "5")).ok());
  checker_->CheckQuiescent({Pod("a", "5")}, *cache_);
  checker_->InformerRestarted(cache_.get());
  ASSERT_TRUE(cache_->Update(Pod("a", "3")).ok());
  checker_->CheckQuiescent({Pod("a", "3")}, *cache_);
  EXPECT_TRUE(checker_->ok()) << checker_->Describe(1, "replay");
}

TEST_F(CheckerTest, Inv1ObjectMismatch) {
  checker_ = std::make_unique<Checker>(&tracer_, &rt_, CheckerOptions{});
  ASSERT_TRUE(cache_->Add(Pod("a", "1", {{"color", "red"}})).ok());
  checker_->CheckQuiescent({Pod("a", "1", {{"color", "blue"}})}, *cache_);
  const Violation v = Only("INV1", "ns/a", "");
  EXPECT_TRUE(absl::StrContains(v.detail, "object mismatch")) << v.detail;
  EXPECT_TRUE(absl::StrContains(v.detail, "labels")) << v.detail;
}

TEST_F(CheckerTest, Inv1LabelOrderDoesNotMatter) {
  checker_ = std::make_unique<Checker>(&tracer_, &rt_, CheckerOptions{});
  ASSERT_TRUE(cache_->Add(Pod("a", "1", {{"x", "1"}, {"y", "2"}, {"z", "3"}})).ok());
  api::Object same = *Pod("a", "1");
  auto& labels = *same.mutable_metadata()->mutable_labels();
  labels["z"] = "3";
  labels["x"] = "1";
  labels["y"] = "2";
  checker_->CheckQuiescent({MakeObject(same)}, *cache_);
  EXPECT_TRUE(checker_->ok()) << checker_->Describe(1, "replay");
}

TEST_F(CheckerTest, Inv1BadResourceVersion) {
  Make();
  h_->OnAdd(Pod("a", "x1"), false);
  Violation v = Only("INV1", "ns/a");
  EXPECT_TRUE(absl::StrContains(v.detail, "bad resourceVersion")) << v.detail;

  checker_ = std::make_unique<Checker>(&tracer_, &rt_, CheckerOptions{});
  const ObjectPtr bad = Pod("a", "-1");
  ASSERT_TRUE(cache_->Add(bad).ok());
  checker_->CheckQuiescent({bad}, *cache_);
  v = Only("INV1", "ns/a", "");
  EXPECT_TRUE(absl::StrContains(v.detail, "bad resourceVersion")) << v.detail;
}

// INV8: indexes recomputed from the items. A Cache keeps its indexes right,
// so the test corrupts them the one legal way: an index function whose
// answer changes after the items were indexed.
TEST_F(CheckerTest, Inv8StaleIndexIsCaught) {
  auto suffix = std::make_shared<std::string>("");
  auto fail = std::make_shared<bool>(false);
  Indexers extra;
  extra.emplace("color", [suffix, fail](const Item& item, std::vector<std::string>* values) {
    if (*fail) return absl::InvalidArgumentError("cannot index");
    const auto& labels = item.meta()->labels();
    for (const char* label : {"color", "other"}) {
      auto it = labels.find(label);
      if (it != labels.end()) values->push_back(it->second + *suffix);
    }
    return absl::OkStatus();
  });
  cache_ = NewPodIndexer(std::move(extra));
  checker_ = std::make_unique<Checker>(&tracer_, &rt_, CheckerOptions{});
  const std::vector<ObjectPtr> truth = {Pod("a", "1", {{"color", "red"}, {"other", "blue"}}),
                                        Pod("b", "2", {{"color", "red"}}),
                                        Pod("c", "3", {{"color", "blue"}}), Pod("d", "4")};
  for (const ObjectPtr& o : truth) ASSERT_TRUE(cache_->Add(o).ok());
  checker_->CheckQuiescent(truth, *cache_);
  EXPECT_TRUE(checker_->ok()) << checker_->Describe(1, "replay");

  *suffix = "-v2";  // the stored index no longer matches the items
  checker_->CheckQuiescent(truth, *cache_);
  ASSERT_FALSE(checker_->ok());
  bool stale_listed = false, missing_listed = false;
  for (const Violation& v : checker_->violations()) {
    EXPECT_EQ(v.invariant, "INV8") << v.detail;
    stale_listed |= absl::StrContains(v.detail, "value \"red\": IndexKeys has 2") &&
                    v.key == "ns/a";
    missing_listed |= absl::StrContains(v.detail, "value \"red-v2\": missing from") &&
                      v.key == "ns/a";
  }
  EXPECT_TRUE(stale_listed) << checker_->Describe(1, "replay");
  EXPECT_TRUE(missing_listed) << checker_->Describe(1, "replay");

  checker_ = std::make_unique<Checker>(&tracer_, &rt_, CheckerOptions{});
  *suffix = "";
  *fail = true;
  checker_->CheckQuiescent(truth, *cache_);
  ASSERT_FALSE(checker_->violations().empty());
  EXPECT_EQ(checker_->violations()[0].invariant, "INV8");
  EXPECT_EQ(checker_->violations()[0].key, "ns/a");
  EXPECT_TRUE(absl::StrContains(checker_->violations()[0].detail, "index function fails"));
}

// CheckIndexesNow: INV8 without a truth, as the simulation runs it right
// after a refused write. A store that kept an item its index function
// refuses is caught; a consistent store is not, whatever the server holds.
TEST_F(CheckerTest, CheckIndexesNowFindsAnItemTheIndexFunctionRefuses) {
  auto refuse_red = std::make_shared<bool>(false);
  Indexers extra;
  extra.emplace("color", [refuse_red](const Item& item, std::vector<std::string>* values) {
    auto it = item.meta()->labels().find("color");
    if (it == item.meta()->labels().end()) return absl::OkStatus();
    if (*refuse_red && it->second == "red") return absl::InvalidArgumentError("no red");
    values->push_back(it->second);
    return absl::OkStatus();
  });
  cache_ = NewPodIndexer(std::move(extra));
  checker_ = std::make_unique<Checker>(&tracer_, &rt_, CheckerOptions{});
  ASSERT_TRUE(cache_->Add(Pod("a", "1", {{"color", "red"}})).ok());
  ASSERT_TRUE(cache_->Add(Pod("b", "2", {{"color", "blue"}})).ok());
  checker_->CheckIndexesNow(*cache_);
  EXPECT_TRUE(checker_->ok()) << checker_->Describe(1, "replay");

  // The faithful store refuses the write whole: nothing to find.
  ASSERT_TRUE(cache_->Delete(Pod("a", "1", {{"color", "red"}})).ok());
  *refuse_red = true;
  EXPECT_FALSE(cache_->Add(Pod("c", "3", {{"color", "red"}})).ok());
  checker_->CheckIndexesNow(*cache_);
  EXPECT_TRUE(checker_->ok()) << checker_->Describe(1, "replay");

  // A stored red item (what a store that ignores the error keeps) is INV8.
  *refuse_red = false;
  ASSERT_TRUE(cache_->Add(Pod("d", "4", {{"color", "red"}})).ok());
  *refuse_red = true;
  checker_->CheckIndexesNow(*cache_);
  ASSERT_FALSE(checker_->ok());
  EXPECT_EQ(checker_->violations()[0].invariant, "INV8");
  EXPECT_EQ(checker_->violations()[0].key, "ns/d");
  EXPECT_TRUE(absl::StrContains(checker_->violations()[0].detail, "index function fails"));
}

// INV6: each handler's view equals the indexer at quiescence.
TEST_F(CheckerTest, Inv6HandlerNeverToldOfAKey) {
  Make();
  const ObjectPtr a1 = Pod("a", "1");
  ASSERT_TRUE(cache_->Add(a1).ok());  // no notification
  checker_->CheckQuiescent({a1}, *cache_);
  const Violation v = Only("INV6", "ns/a");
  EXPECT_TRUE(absl::StrContains(v.detail, "never told")) << v.detail;
}

TEST_F(CheckerTest, Inv6HandlerRvBehindTheIndexer) {
  Make();
  const ObjectPtr a1 = Pod("a", "1"), a2 = Pod("a", "2");
  Add(a1);
  ASSERT_TRUE(cache_->Update(a2).ok());  // the update never reached the handler
  checker_->CheckQuiescent({a2}, *cache_);
  const Violation v = Only("INV6", "ns/a");
  EXPECT_TRUE(absl::StrContains(v.detail, "handler holds rv=1, the indexer rv=2")) << v.detail;
}

// INV5: a key deleted on the server that the handler still holds.
TEST_F(CheckerTest, Inv5LostDelete) {
  Make();
  Add(Pod("a", "1"));
  ASSERT_TRUE(cache_->Delete(Pod("a", "2")).ok());  // the delete never reached the handler
  Change change;
  change.rv = 2;
  change.type = WatchEventType::kDeleted;
  change.key = "ns/a";
  checker_->NoteWrite(change);
  const uint64_t write_step = tracer_.step_count();
  checker_->CheckQuiescent({}, *cache_);
  const Violation v = Only("INV5", "ns/a");
  EXPECT_TRUE(absl::StrContains(v.detail, "lost delete")) << v.detail;
  EXPECT_EQ(v.diverged_at_step, static_cast<int64_t>(write_step));
}

// max_violations keeps the first ones and counts the rest.
TEST_F(CheckerTest, MaxViolationsCapsTheList) {
  CheckerOptions options;
  options.max_violations = 2;
  Make(options);
  for (int i = 0; i < 5; ++i) h_->OnUpdate(Pod("a", "1"), Pod("a", "2"));
  EXPECT_EQ(checker_->violations().size(), 2u);
  EXPECT_EQ(checker_->dropped_violations(), 3);
  EXPECT_FALSE(checker_->ok());
  EXPECT_EQ(tracer_.count(VIOLATION), 2u);
  const std::string report = checker_->Describe(5, "replay");
  EXPECT_TRUE(absl::StrContains(report, "seed 5: 5 violations")) << report;
  EXPECT_TRUE(absl::StrContains(report, "3 more not recorded")) << report;
}

TEST_F(CheckerTest, DescribeNamesSeedKeyTimeAndReplay) {
  Make();
  rt_.AdvanceBy(absl::Milliseconds(1500));
  Add(Pod("a", "1"));
  Add(Pod("a", "2"));
  const Violation v = Only("INV3", "ns/a");
  EXPECT_EQ(v.at, absl::Milliseconds(1500));
  const std::string report =
      checker_->Describe(42, "bazel run //tools:informer_sim -- --seed=42");
  EXPECT_EQ(report,
            "seed 42: 1 violation\n"
            "  #1 INV3 key=ns/a handler=h step=2 t=1.5s diverged_at_step=-\n"
            "      add rv=2 while present (the handler holds rv=1)\n"
            "replay: bazel run //tools:informer_sim -- --seed=42\n");
}

TEST_F(CheckerTest, ReportFillsStepAndTime) {
  Make();
  tracer_.Record(PHASE, "sim", "liveness");
  rt_.AdvanceBy(absl::Seconds(30));
  Violation budget;
  budget.invariant = "LIVENESS";
  budget.detail = "no convergence within 30s";
  checker_->Report(budget);
  const Violation v = Only("LIVENESS", "", "");
  EXPECT_EQ(v.step, 1u);
  EXPECT_EQ(v.at, absl::Seconds(30));
  ExpectTracedAt(v);
}

TEST(CheckerNoTracerTest, WorksWithoutTracerOrClock) {
  Checker checker(nullptr, nullptr, CheckerOptions{});
  auto h = checker.AddHandler("h", nullptr);
  Change change;
  change.key = "ns/a";
  checker.NoteWrite(change);
  h->OnAdd(Pod("a", "1"), false);
  h->OnAdd(Pod("a", "2"), false);
  ASSERT_EQ(checker.violations().size(), 1u);
  EXPECT_EQ(checker.violations()[0].step, 0u);
  EXPECT_EQ(checker.violations()[0].at, absl::ZeroDuration());
  auto cache = NewPodIndexer();
  checker.CheckQuiescent({Pod("a", "2")}, *cache);
  ASSERT_EQ(checker.violations().size(), 3u);  // missing from the indexer; view vs indexer
  EXPECT_EQ(checker.violations()[1].diverged_at_step, 0);
  EXPECT_EQ(checker.handlers().size(), 1u);
}

// The checker must not trip on the faithful core. Seeded runs of a shared
// informer against the fake source: watch events dropped, watch resets (410
// on re-watch), list errors, time passing, a late handler, and seeded
// interleavings; CheckStep before every task, CheckQuiescent once the faults
// stop and everything drains (as the informer property test, but through
// the checker).
struct Draw {
  uint64_t state;
  uint64_t Next() {
    uint64_t z = (state += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }
  int In(int lo, int hi) { return lo + static_cast<int>(Next() % static_cast<uint64_t>(hi - lo)); }
};

// What the runs exercised, summed over seeds (so the test is not vacuous).
struct RunTotals {
  int64_t initial_adds = 0, updates = 0, sync_updates = 0, deletes = 0, tombstone_deletes = 0,
          unknown_deletes = 0, late_initial_adds = 0, steps = 0;
};

// `drop_deletes`: the "early" handler is registered behind a forwarder that
// loses every delete, a broken pipeline the checker must catch.
std::string FaithfulCoreRun(Profile profile, uint64_t seed, RunTotals* totals,
                            bool drop_deletes = false) {
  using testing_support::FakeControllerSource;
  using testing_support::PodObject;
  Draw draw{seed};
  ManualRuntime rt;
  rt.SetChooser([state = seed | 1](size_t n) mutable {
    state ^= state << 13;
    state ^= state >> 7;
    state ^= state << 17;
    return static_cast<size_t>(state % n);
  });
  FakeControllerSource source(&rt, /*support_watch_list=*/draw.In(0, 2) == 1);
  testing_support::TestRandom random(seed);
  Tracer tracer(&rt, rt.Now(), /*keep_steps=*/false);
  CheckerOptions checker_options;
  // RealFIFO forwards deletes of keys the client never saw when the watch
  // missed their add (INV3's note); the fake drops events on purpose.
  checker_options.allow_unknown_deletes = profile == Profile::kCurrent;
  Checker checker(&tracer, &rt, checker_options);

  SharedIndexInformerOptions options;
  options.profile.profile = profile;
  options.resync_period = absl::Seconds(draw.In(0, 4));
  options.batch_size = static_cast<size_t>(draw.In(1, 6));
  options.indexers.emplace("color", [](const Item& item, std::vector<std::string>* values) {
    values->push_back(testing_support::LabelOf(item, "color"));
    return absl::OkStatus();
  });
  SharedIndexInformer informer(&rt, ReflectorFeederFactory(&source, &rt, &random), options);
  auto early = checker.AddHandler("early", informer.GetStore());
  std::shared_ptr<ResourceEventHandler> target = early;
  if (drop_deletes) {
    target = std::make_shared<ResourceEventHandlerFuncs>(
        [early](const Item& o, bool initial) { early->OnAdd(o, initial); },
        [early](const Item& o, const Item& n) { early->OnUpdate(o, n); }, nullptr);
  }
  early->SetRegistration(
      *informer.AddEventHandlerWithResyncPeriod(target, absl::Seconds(draw.In(0, 4))));
  rt.SetStepObserver([&](StrandId, uint64_t) { checker.CheckStep(informer); });
  informer.Run();

  std::map<int, bool> exists;
  bool list_error = false;
  const int steps = draw.In(5, 80);
  const int join_at = draw.In(0, steps);
  for (int step = 0; step < steps; ++step) {
    if (step == join_at) {
      auto late = checker.AddHandler("late", informer.GetStore());
      late->SetRegistration(*informer.AddEventHandler(late));
    }
    const int name = draw.In(0, 6);
    const std::string pod = absl::StrCat("pod-", name);
    const bool watched = draw.In(0, 10) >= 2;
    const std::string color = draw.In(0, 2) == 0 ? "red" : "blue";
    switch (draw.In(0, 10)) {
      case 0:
      case 1:
      case 2:
        source.Change(exists[name] ? WatchEventType::kModified : WatchEventType::kAdded,
                      PodObject("ns", pod, {{"color", color}, {"s", absl::StrCat(step)}}),
                      watched);
        exists[name] = true;
        break;
      case 3:
        if (exists[name]) {
          source.Change(WatchEventType::kDeleted, PodObject("ns", pod), watched);
          exists[name] = false;
        }
        break;
      case 4:
        source.ResetWatch();
        break;
      case 5:
        list_error = !list_error;
        source.SetListError(list_error ? absl::UnavailableError("injected list error")
                                       : absl::OkStatus());
        break;
      case 6:
        rt.RunFor(absl::Milliseconds(draw.In(1, 3000)));
        break;
      default:
        for (int i = draw.In(0, 20); i > 0 && rt.RunOne(); --i) {
        }
        break;
    }
  }
  // Faults stop; a relist repairs what the watch missed (see the informer
  // property test for why the sentinel).
  source.SetListError(absl::OkStatus());
  source.ResetWatch();
  source.Add(PodObject("sentinel", "s"));
  source.Delete(PodObject("sentinel", "s"));
  rt.RunFor(absl::Seconds(120));
  checker.CheckStep(informer);
  checker.CheckQuiescent(source.Items(), *informer.GetIndexer());
  std::string problems;
  if (!checker.ok()) problems = checker.Describe(seed, "FaithfulCoreRun");
  if (checker.time_travel_findings() != 0) problems += "time travel\n";
  for (const auto& h : checker.handlers()) {
    const HandlerCounts& n = h->counts();
    totals->initial_adds += n.initial_adds;
    totals->updates += n.updates;
    totals->sync_updates += n.sync_updates;
    totals->deletes += n.deletes;
    totals->tombstone_deletes += n.tombstone_deletes;
    totals->unknown_deletes += n.unknown_deletes;
    if (h->name() == "late") totals->late_initial_adds += n.initial_adds;
  }
  totals->steps += static_cast<int64_t>(tracer.step_count());
  if (!informer.HasSynced()) problems += "informer not synced\n";
  for (const auto& h : checker.handlers()) {
    if (!h->registration()->HasSynced()) problems += h->name() + " not synced\n";
  }
  rt.SetStepObserver(nullptr);
  informer.Stop();
  rt.RunFor(absl::Seconds(5));
  return problems;
}

void ExpectCleanRuns(Profile profile) {
  RunTotals totals;
  for (uint64_t seed = 1; seed <= 150; ++seed) {
    const std::string problems = FaithfulCoreRun(profile, seed, &totals);
    ASSERT_EQ(problems, "") << "seed " << seed;
  }
  EXPECT_GT(totals.initial_adds, 0);
  EXPECT_GT(totals.late_initial_adds, 0);
  EXPECT_GT(totals.updates, 0);
  EXPECT_GT(totals.sync_updates, 0);
  EXPECT_GT(totals.deletes, 0);
  EXPECT_GT(totals.tombstone_deletes, 0);
  std::cout << "totals: initial_adds=" << totals.initial_adds
            << " late_initial_adds=" << totals.late_initial_adds << " updates=" << totals.updates
            << " sync_updates=" << totals.sync_updates << " deletes=" << totals.deletes
            << " tombstone_deletes=" << totals.tombstone_deletes
            << " unknown_deletes=" << totals.unknown_deletes << " notify_steps=" << totals.steps
            << "\n";
}

TEST(CheckerFaithfulCoreTest, ClassicRunsAreClean) { ExpectCleanRuns(Profile::kClassic); }

TEST(CheckerFaithfulCoreTest, CurrentRunsAreClean) { ExpectCleanRuns(Profile::kCurrent); }

TEST(CheckerFaithfulCoreTest, LostDeletesAreCaught) {
  for (Profile profile : {Profile::kClassic, Profile::kCurrent}) {
    RunTotals totals;
    int caught = 0, runs_with_deletes = 0;
    for (uint64_t seed = 1; seed <= 30; ++seed) {
      const int64_t deletes_before = totals.deletes;
      const std::string problems = FaithfulCoreRun(profile, seed, &totals, /*drop_deletes=*/true);
      // The late handler still gets its deletes, so any delete counted
      // means the early one lost some.
      if (totals.deletes == deletes_before) continue;
      ++runs_with_deletes;
      if (absl::StrContains(problems, "handler=early")) ++caught;
      EXPECT_FALSE(absl::StrContains(problems, "handler=late")) << problems;
    }
    EXPECT_GT(runs_with_deletes, 5);
    EXPECT_EQ(caught, runs_with_deletes);
  }
}

}  // namespace
}  // namespace sim
}  // namespace informersim
