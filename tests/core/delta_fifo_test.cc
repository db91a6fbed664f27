// Conformance tests of DeltaFIFO (rules D1-D12, K4). Suite DeltaFIFO mirrors,
// case by case, client-go tools/cache/delta_fifo_test.go at 32ce75a7; suite
// DeltaFIFORules adds cases for rule details that client-go does not test;
// suite DeltaFIFOBlocking holds the tests that need threads (blocking Pop and
// Close), also built alone as //tests/core:delta_fifo_blocking_test for TSan.
//
// client-go's testFifoObject{name, val} is an api::Object whose metadata.name
// is `name` and whose resource_version holds `val`; the test key function
// returns the name. Deltas are compared through a one-line rendering that
// covers exactly what Go's reflect.DeepEqual compares for those objects:
// "[Added foo@10, Deleted DFSU(foo, foo@10)]".
#include "core/delta_fifo.h"
#include "core/cache.h"

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "core/errors.h"
#include "core/keys.h"
#include "gtest/gtest.h"

namespace informersim {
namespace {

// ---------------------------------------------------------------------------
// Helpers

Item Obj(const std::string& name, const std::string& val) {
  api::Object o;
  o.mutable_metadata()->set_name(name);
  o.mutable_metadata()->set_resource_version(val);
  return Item(MakeObject(std::move(o)));
}
Item Obj(const std::string& name, int val) { return Obj(name, absl::StrCat(val)); }

Item Dfsu(const std::string& key, const Item& obj) {
  return Item::Tombstone(key, obj.is_null() ? nullptr : obj.object());
}

// client-go testFifoObjectKeyFunc (which panics on anything else).
absl::StatusOr<std::string> TestKeyFunc(const Item& item) {
  if (item.meta() == nullptr) {
    return absl::InvalidArgumentError(
        absl::StrCat("not a test object: ", item.DebugString()));
  }
  return item.meta()->name();
}

std::string ObjString(const ObjectPtr& obj) {
  if (obj == nullptr) return "nil";
  std::string s = absl::StrCat(obj->metadata().name(), "@", obj->metadata().resource_version());
  if (obj->metadata().generation() != 0) absl::StrAppend(&s, "#", obj->metadata().generation());
  return s;
}

std::string Render(const Item& item) {
  if (item.is_object()) return ObjString(item.object());
  if (item.is_tombstone()) {
    return absl::StrCat("DFSU(", item.tombstone().key, ", ", ObjString(item.tombstone().obj),
                        ")");
  }
  return item.DebugString();
}

std::string Render(const Deltas& deltas) {
  return absl::StrCat(
      "[",
      absl::StrJoin(deltas, ", ",
                    [](std::string* out, const Delta& d) {
                      absl::StrAppend(out, DeltaTypeName(d.type), " ", Render(d.object));
                    }),
      "]");
}

Deltas D(std::initializer_list<Delta> deltas) { return Deltas(deltas); }

DeltaFIFOOptions TestOptions(const KeyListerGetter* known = nullptr) {
  DeltaFIFOOptions options;
  options.key_function = TestKeyFunc;
  options.known_objects = known;
  return options;
}

// client-go literalListerGetter: a fixed list of known objects, keyed by
// name. `fail_lookups` makes every GetByKey fail (not in client-go).
class LiteralListerGetter : public KeyListerGetter {
 public:
  explicit LiteralListerGetter(std::vector<Item> objects, bool fail_lookups = false)
      : objects_(std::move(objects)), fail_lookups_(fail_lookups) {}
  std::vector<std::string> ListKeys() const override {
    std::vector<std::string> keys;
    for (const Item& o : objects_) {
      keys.push_back(o.meta() != nullptr ? o.meta()->name() : o.DebugString());
    }
    return keys;
  }
  absl::StatusOr<std::optional<Item>> GetByKey(absl::string_view key) const override {
    if (fail_lookups_) return absl::UnavailableError("lookup failed");
    for (const Item& o : objects_) {
      if (o.meta() != nullptr && o.meta()->name() == key) return std::optional<Item>(o);
    }
    return std::optional<Item>();
  }

 private:
  std::vector<Item> objects_;
  bool fail_lookups_;
};

// client-go's Pop(f) test helper on a queue known to be non-empty.
Deltas PopNow(DeltaFIFO& f, bool* initial = nullptr) {
  Deltas popped;
  const PopResult r = f.TryPop(
      [&](const Deltas&, bool is_in_initial_list) {
        if (initial != nullptr) *initial = is_in_initial_list;
        return absl::OkStatus();
      },
      &popped);
  EXPECT_EQ(r.outcome, PopOutcome::kPopped);
  return popped;
}

// client-go testPop: the newest object of the popped Deltas.
Item PopNewest(DeltaFIFO& f) {
  Deltas d = PopNow(f);
  return d.empty() ? Item() : d.back().object;
}
std::string PopVal(DeltaFIFO& f) {
  Item newest = PopNewest(f);
  return newest.meta() != nullptr ? newest.meta()->resource_version() : "<none>";
}

// ---------------------------------------------------------------------------
// Mirrors of client-go delta_fifo_test.go

// Mirrors client-go TestDeltaFIFO_replaceWithDeleteDeltaIn: a Replace still
// queues the listed object behind a queued Deleted of the same key.
TEST(DeltaFIFO, ReplaceWithDeleteDeltaIn) {
  const Item old_obj = Obj("foo", 1);
  const Item new_obj = Obj("foo", 2);
  LiteralListerGetter known({old_obj});
  DeltaFIFO f(TestOptions(&known));
  ASSERT_TRUE(f.Delete(old_obj).ok());
  ASSERT_TRUE(f.Replace({new_obj}, "").ok());
  EXPECT_EQ(Render(PopNow(f)),
            Render(D({{DeltaType::kDeleted, old_obj}, {DeltaType::kSync, new_obj}})));
}

// Mirrors client-go TestDeltaFIFOW_ReplaceMakesDeletionsForObjectsOnlyInQueue.
TEST(DeltaFIFO, ReplaceMakesDeletionsForObjectsOnlyInQueue) {
  const Item obj = Obj("foo", 2);
  const Item obj_v2 = Obj("foo", 3);
  struct Case {
    std::string name;
    bool emit_replaced;
    std::function<void(DeltaFIFO&)> operations;
    Deltas expected;
  };
  const std::vector<Case> table = {
      {"Added object should be deleted on Replace", false,
       [&](DeltaFIFO& f) {
         ASSERT_TRUE(f.Add(obj).ok());
         ASSERT_TRUE(f.Replace({}, "0").ok());
       },
       D({{DeltaType::kAdded, obj}, {DeltaType::kDeleted, Dfsu("foo", obj)}})},
      {"Replaced object should have only a single Delete", true,
       [&](DeltaFIFO& f) {
         ASSERT_TRUE(f.Add(obj).ok());
         ASSERT_TRUE(f.Replace({obj}, "0").ok());
         ASSERT_TRUE(f.Replace({}, "0").ok());
       },
       D({{DeltaType::kAdded, obj},
          {DeltaType::kReplaced, obj},
          {DeltaType::kDeleted, Dfsu("foo", obj)}})},
      {"Deleted object should have only a single Delete", false,
       [&](DeltaFIFO& f) {
         ASSERT_TRUE(f.Add(obj).ok());
         ASSERT_TRUE(f.Delete(obj).ok());
         ASSERT_TRUE(f.Replace({}, "0").ok());
       },
       D({{DeltaType::kAdded, obj}, {DeltaType::kDeleted, obj}})},
      {"Synced objects should have a single delete", false,
       [&](DeltaFIFO& f) {
         ASSERT_TRUE(f.Add(obj).ok());
         ASSERT_TRUE(f.Replace({obj}, "0").ok());
         ASSERT_TRUE(f.Replace({obj}, "0").ok());
         ASSERT_TRUE(f.Replace({}, "0").ok());
       },
       D({{DeltaType::kAdded, obj},
          {DeltaType::kSync, obj},
          {DeltaType::kSync, obj},
          {DeltaType::kDeleted, Dfsu("foo", obj)}})},
      {"Added objects should have a single delete on multiple Replaces", false,
       [&](DeltaFIFO& f) {
         ASSERT_TRUE(f.Add(obj).ok());
         ASSERT_TRUE(f.Replace({}, "0").ok());
         ASSERT_TRUE(f.Replace({}, "1").ok());
       },
       D({{DeltaType::kAdded, obj}, {DeltaType::kDeleted, Dfsu("foo", obj)}})},
      {"Added and deleted and added object should be deleted", false,
       [&](DeltaFIFO& f) {
         ASSERT_TRUE(f.Add(obj).ok());
         ASSERT_TRUE(f.Delete(obj).ok());
         ASSERT_TRUE(f.Add(obj_v2).ok());
         ASSERT_TRUE(f.Replace({}, "0").ok());
       },
       D({{DeltaType::kAdded, obj},
          {DeltaType::kDeleted, obj},
          {DeltaType::kAdded, obj_v2},
          {DeltaType::kDeleted, Dfsu("foo", obj_v2)}})},
  };
  for (const Case& tt : table) {
    SCOPED_TRACE(tt.name);
    LiteralListerGetter empty_known({});
    for (const KeyListerGetter* known : {static_cast<const KeyListerGetter*>(&empty_known),
                                         static_cast<const KeyListerGetter*>(nullptr)}) {
      SCOPED_TRACE(known != nullptr ? "with known objects" : "without known objects");
      DeltaFIFOOptions options = TestOptions(known);
      options.emit_delta_type_replaced = tt.emit_replaced;
      DeltaFIFO f(options);
      tt.operations(f);
      EXPECT_EQ(Render(PopNow(f)), Render(tt.expected));
      EXPECT_EQ(f.size(), 0u) << "expected no extra deltas";
    }
  }
}

// Mirrors client-go TestDeltaFIFO_transformer. The transform count lives in
// metadata.generation ("#1" in the rendering); the transformer copies the
// object, since objects are immutable here.
TEST(DeltaFIFO, Transformer) {
  auto mk = [](const std::string& name, int rv) { return Obj(name, rv); };
  DeltaFIFOOptions options = TestOptions();
  options.transformer = [](Item obj) -> absl::StatusOr<Item> {
    if (obj.is_object()) {
      api::Object copy = *obj.object();
      copy.mutable_metadata()->set_generation(copy.metadata().generation() + 1);
      return Item(MakeObject(std::move(copy)));
    }
    if (obj.is_tombstone()) {
      if (obj.tombstone().obj == nullptr || obj.tombstone().obj->metadata().generation() != 1) {
        return absl::InternalError(
            absl::StrCat("object has been transformed wrong number of times: ",
                         obj.DebugString()));
      }
      return obj;
    }
    return absl::InternalError(absl::StrCat("unexpected object: ", obj.DebugString()));
  };
  DeltaFIFO f(options);
  ASSERT_TRUE(f.Add(mk("foo", 10)).ok());
  ASSERT_TRUE(f.Add(mk("bar", 11)).ok());
  ASSERT_TRUE(f.Update(mk("foo", 12)).ok());
  ASSERT_TRUE(f.Delete(mk("foo", 15)).ok());
  ASSERT_TRUE(f.Replace({}, "").ok());
  ASSERT_TRUE(f.Add(mk("bar", 16)).ok());
  ASSERT_TRUE(f.Replace({}, "").ok());

  EXPECT_EQ(f.ListKeys(), (std::vector<std::string>{"foo", "bar"}));

  for (int i = 0; i < 2; ++i) {
    Deltas popped;
    ASSERT_EQ(f.TryPop([](const Deltas&, bool) { return absl::OkStatus(); }, &popped).outcome,
              PopOutcome::kPopped)
        << "got nothing on try " << i;
    const Item& newest = popped.back().object;
    if (newest.is_object()) {
      // Regular deletion of foo: the last message, transformed once.
      EXPECT_EQ(Render(newest), "foo@15#1");
    } else if (newest.is_tombstone()) {
      // Tombstone deletion of bar, carrying the last message transformed once.
      EXPECT_EQ(Render(newest), "DFSU(bar, bar@16#1)");
    } else {
      ADD_FAILURE() << "unknown item " << newest.DebugString();
    }
  }
}

// Mirrors client-go TestDeltaFIFO_enqueueingNoLister.
TEST(DeltaFIFO, EnqueueingNoLister) {
  DeltaFIFO f(TestOptions());
  ASSERT_TRUE(f.Add(Obj("foo", 10)).ok());
  ASSERT_TRUE(f.Update(Obj("bar", 15)).ok());
  ASSERT_TRUE(f.Add(Obj("qux", 17)).ok());
  ASSERT_TRUE(f.Delete(Obj("qux", 18)).ok());
  // Not queued: baz is unknown.
  ASSERT_TRUE(f.Delete(Obj("baz", 20)).ok());
  for (const char* expect : {"10", "15", "18"}) EXPECT_EQ(PopVal(f), expect);
  EXPECT_EQ(f.size(), 0u);
}

// Mirrors client-go TestDeltaFIFO_enqueueingWithLister.
TEST(DeltaFIFO, EnqueueingWithLister) {
  LiteralListerGetter known({Obj("foo", 5), Obj("bar", 6), Obj("baz", 7)});
  DeltaFIFO f(TestOptions(&known));
  ASSERT_TRUE(f.Add(Obj("foo", 10)).ok());
  ASSERT_TRUE(f.Update(Obj("bar", 15)).ok());
  // Queued: baz is a known object.
  ASSERT_TRUE(f.Delete(Obj("baz", 20)).ok());
  for (const char* expect : {"10", "15", "20"}) EXPECT_EQ(PopVal(f), expect);
  EXPECT_EQ(f.size(), 0u);
}

// Mirrors client-go TestDeltaFIFO_ResyncNonExisting.
TEST(DeltaFIFO, ResyncNonExisting) {
  LiteralListerGetter known({Obj("foo", 5)});
  DeltaFIFO f(TestOptions(&known));
  ASSERT_TRUE(f.Delete(Obj("foo", 10)).ok());
  ASSERT_TRUE(f.Resync().ok());
  std::optional<Deltas> deltas = f.GetDeltasByKey("foo");
  ASSERT_TRUE(deltas.has_value());
  ASSERT_EQ(deltas->size(), 1u) << Render(*deltas);
  EXPECT_EQ((*deltas)[0].type, DeltaType::kDeleted);
}

// Mirrors client-go TestDeltaFIFO_Resync.
TEST(DeltaFIFO, Resync) {
  LiteralListerGetter known({Obj("foo", 5)});
  DeltaFIFO f(TestOptions(&known));
  ASSERT_TRUE(f.Resync().ok());
  std::optional<Deltas> deltas = f.GetDeltasByKey("foo");
  ASSERT_TRUE(deltas.has_value());
  ASSERT_EQ(deltas->size(), 1u) << Render(*deltas);
  EXPECT_EQ((*deltas)[0].type, DeltaType::kSync);
}

// Mirrors client-go TestDeltaFIFO_DeleteExistingNonPropagated.
TEST(DeltaFIFO, DeleteExistingNonPropagated) {
  LiteralListerGetter known({});
  DeltaFIFO f(TestOptions(&known));
  ASSERT_TRUE(f.Add(Obj("foo", 5)).ok());
  ASSERT_TRUE(f.Delete(Obj("foo", 6)).ok());
  std::optional<Deltas> deltas = f.GetDeltasByKey("foo");
  ASSERT_TRUE(deltas.has_value());
  ASSERT_EQ(deltas->size(), 2u) << Render(*deltas);
  EXPECT_EQ(deltas->back().type, DeltaType::kDeleted);
}

// Mirrors client-go TestDeltaFIFO_ReplaceMakesDeletions (all five parts).
TEST(DeltaFIFO, ReplaceMakesDeletions) {
  const std::vector<Item> known_list = {Obj("foo", 5), Obj("bar", 6), Obj("baz", 7)};
  auto expect_pops = [](DeltaFIFO& f, const std::vector<Deltas>& expected) {
    for (const Deltas& e : expected) EXPECT_EQ(Render(PopNow(f)), Render(e));
  };
  {
    SCOPED_TRACE("pre-existing Delete");
    LiteralListerGetter known(known_list);
    DeltaFIFO f(TestOptions(&known));
    ASSERT_TRUE(f.Delete(Obj("baz", 10)).ok());
    ASSERT_TRUE(f.Replace({Obj("foo", 5)}, "0").ok());
    expect_pops(f, {D({{DeltaType::kDeleted, Obj("baz", 10)}}),
                    D({{DeltaType::kSync, Obj("foo", 5)}}),
                    D({{DeltaType::kDeleted, Dfsu("bar", Obj("bar", 6))}})});
  }
  {
    SCOPED_TRACE("pre-existing Add");
    LiteralListerGetter known(known_list);
    DeltaFIFO f(TestOptions(&known));
    ASSERT_TRUE(f.Add(Obj("baz", 10)).ok());
    ASSERT_TRUE(f.Replace({Obj("foo", 5)}, "0").ok());
    expect_pops(f, {D({{DeltaType::kAdded, Obj("baz", 10)},
                       {DeltaType::kDeleted, Dfsu("baz", Obj("baz", 10))}}),
                    D({{DeltaType::kSync, Obj("foo", 5)}}),
                    D({{DeltaType::kDeleted, Dfsu("bar", Obj("bar", 6))}})});
  }
  {
    SCOPED_TRACE("deleted and recreated in the queue, then deleted by Replace");
    LiteralListerGetter known(known_list);
    DeltaFIFO f(TestOptions(&known));
    ASSERT_TRUE(f.Delete(Obj("bar", 6)).ok());
    ASSERT_TRUE(f.Add(Obj("bar", 100)).ok());
    ASSERT_TRUE(f.Replace({Obj("foo", 5)}, "0").ok());
    expect_pops(f, {D({{DeltaType::kDeleted, Obj("bar", 6)},
                       {DeltaType::kAdded, Obj("bar", 100)},
                       {DeltaType::kDeleted, Dfsu("bar", Obj("bar", 100))}}),
                    D({{DeltaType::kSync, Obj("foo", 5)}}),
                    D({{DeltaType::kDeleted, Dfsu("baz", Obj("baz", 7))}})});
  }
  {
    SCOPED_TRACE("synced first, so the tombstone carries the latest version");
    LiteralListerGetter known(known_list);
    DeltaFIFO f(TestOptions(&known));
    ASSERT_TRUE(f.Replace({Obj("bar", 100), Obj("foo", 5)}, "0").ok());
    ASSERT_TRUE(f.Replace({Obj("foo", 5)}, "0").ok());
    expect_pops(f, {D({{DeltaType::kSync, Obj("bar", 100)},
                       {DeltaType::kDeleted, Dfsu("bar", Obj("bar", 100))}}),
                    D({{DeltaType::kSync, Obj("foo", 5)}, {DeltaType::kSync, Obj("foo", 5)}}),
                    D({{DeltaType::kDeleted, Dfsu("baz", Obj("baz", 7))}})});
  }
  {
    SCOPED_TRACE("without known objects");
    DeltaFIFO f(TestOptions());
    ASSERT_TRUE(f.Add(Obj("baz", 10)).ok());
    ASSERT_TRUE(f.Replace({Obj("foo", 5)}, "0").ok());
    expect_pops(f, {D({{DeltaType::kAdded, Obj("baz", 10)},
                       {DeltaType::kDeleted, Dfsu("baz", Obj("baz", 10))}}),
                    D({{DeltaType::kSync, Obj("foo", 5)}})});
  }
}

// Mirrors client-go TestDeltaFIFO_ReplaceMakesDeletionsReplaced.
TEST(DeltaFIFO, ReplaceMakesDeletionsReplaced) {
  LiteralListerGetter known({Obj("foo", 5), Obj("bar", 6), Obj("baz", 7)});
  DeltaFIFOOptions options = TestOptions(&known);
  options.emit_delta_type_replaced = true;
  DeltaFIFO f(options);
  ASSERT_TRUE(f.Delete(Obj("baz", 10)).ok());
  ASSERT_TRUE(f.Replace({Obj("foo", 6)}, "0").ok());
  for (const Deltas& e : {D({{DeltaType::kDeleted, Obj("baz", 10)}}),
                          D({{DeltaType::kReplaced, Obj("foo", 6)}}),
                          D({{DeltaType::kDeleted, Dfsu("bar", Obj("bar", 6))}})}) {
    EXPECT_EQ(Render(PopNow(f)), Render(e));
  }
}

// Mirrors client-go TestDeltaFIFO_ReplaceDeltaType.
TEST(DeltaFIFO, ReplaceDeltaType) {
  LiteralListerGetter known({Obj("foo", 5)});
  DeltaFIFOOptions options = TestOptions(&known);
  options.emit_delta_type_replaced = true;
  DeltaFIFO f(options);
  ASSERT_TRUE(f.Replace({Obj("foo", 5)}, "0").ok());
  EXPECT_EQ(Render(PopNow(f)), Render(D({{DeltaType::kReplaced, Obj("foo", 5)}})));
}

// Mirrors client-go TestDeltaFIFO_UpdateResyncRace.
TEST(DeltaFIFO, UpdateResyncRace) {
  LiteralListerGetter known({Obj("foo", 5)});
  DeltaFIFO f(TestOptions(&known));
  ASSERT_TRUE(f.Update(Obj("foo", 6)).ok());
  ASSERT_TRUE(f.Resync().ok());
  EXPECT_EQ(Render(PopNow(f)), Render(D({{DeltaType::kUpdated, Obj("foo", 6)}})));
}

// Mirrors client-go TestDeltaFIFO_HasSyncedCorrectOnDeletion.
TEST(DeltaFIFO, HasSyncedCorrectOnDeletion) {
  LiteralListerGetter known({Obj("foo", 5), Obj("bar", 6), Obj("baz", 7)});
  DeltaFIFO f(TestOptions(&known));
  ASSERT_TRUE(f.Replace({Obj("foo", 5)}, "0").ok());
  for (const Deltas& e : {D({{DeltaType::kSync, Obj("foo", 5)}}),
                          D({{DeltaType::kDeleted, Dfsu("bar", Obj("bar", 6))}}),
                          D({{DeltaType::kDeleted, Dfsu("baz", Obj("baz", 7))}})}) {
    EXPECT_FALSE(f.HasSynced());
    bool initial = false;
    EXPECT_EQ(Render(PopNow(f, &initial)), Render(e));
    EXPECT_TRUE(initial) << "expected an initial list item";
  }
  EXPECT_TRUE(f.HasSynced());
}

// Mirrors client-go TestDeltaFIFO_detectLineJumpers (D12).
TEST(DeltaFIFO, DetectLineJumpers) {
  DeltaFIFO f(TestOptions());
  ASSERT_TRUE(f.Add(Obj("foo", 10)).ok());
  ASSERT_TRUE(f.Add(Obj("bar", 1)).ok());
  ASSERT_TRUE(f.Add(Obj("foo", 11)).ok());
  ASSERT_TRUE(f.Add(Obj("foo", 13)).ok());
  ASSERT_TRUE(f.Add(Obj("zab", 30)).ok());
  ASSERT_EQ(PopVal(f), "13");
  ASSERT_TRUE(f.Add(Obj("foo", 14)).ok());  // foo must not jump back in line
  ASSERT_EQ(PopVal(f), "1");
  ASSERT_EQ(PopVal(f), "30");
  ASSERT_EQ(PopVal(f), "14");
}

// Mirrors client-go TestDeltaFIFO_KeyOf (D1).
TEST(DeltaFIFO, KeyOf) {
  DeltaFIFO f(TestOptions());
  auto key = [](const absl::StatusOr<std::string>& k) {
    return k.ok() ? *k : k.status().ToString();
  };
  EXPECT_EQ(key(f.KeyOf(Obj("A", ""))), "A");
  EXPECT_EQ(key(f.KeyOf(Item::Tombstone("B", nullptr))), "B");
  EXPECT_EQ(key(f.KeyOf(D({{DeltaType::kAdded, Obj("C", "")}}))), "C");
  EXPECT_EQ(key(f.KeyOf(D({{DeltaType::kAdded, Item::Tombstone("D", nullptr)}}))), "D");
}

// Mirrors client-go TestDeltaFIFO_HasSynced (all seven cases).
TEST(DeltaFIFO, HasSynced) {
  using Action = std::function<void(DeltaFIFO&)>;
  const Action pop = [](DeltaFIFO& f) { PopNow(f); };
  const struct {
    std::vector<Action> actions;
    bool expected_synced;
  } tests[] = {
      {{}, false},
      {{[](DeltaFIFO& f) { ASSERT_TRUE(f.Add(Obj("a", 1)).ok()); }}, true},
      {{[](DeltaFIFO& f) { ASSERT_TRUE(f.Replace({}, "0").ok()); }}, true},
      {{[](DeltaFIFO& f) { ASSERT_TRUE(f.Replace({Obj("a", 1), Obj("b", 2)}, "0").ok()); }},
       false},
      {{[](DeltaFIFO& f) { ASSERT_TRUE(f.Replace({Obj("a", 1), Obj("b", 2)}, "0").ok()); },
        pop},
       false},
      {{[](DeltaFIFO& f) { ASSERT_TRUE(f.Replace({Obj("a", 1), Obj("b", 2)}, "0").ok()); },
        pop, pop},
       true},
      // Duplicate keys in one list (a broken server): one key, one pop.
      {{[](DeltaFIFO& f) { ASSERT_TRUE(f.Replace({Obj("a", 1), Obj("a", 2)}, "0").ok()); },
        pop},
       true},
  };
  int i = 0;
  for (const auto& test : tests) {
    DeltaFIFO f(TestOptions());
    for (const Action& action : test.actions) action(f);
    EXPECT_EQ(f.HasSynced(), test.expected_synced) << "test case " << i;
    ++i;
  }
}

// ---------------------------------------------------------------------------
// Rule details not covered by client-go's own tests

TEST(DeltaFIFORules, KeyOfEmptyDeltasIsZeroLengthKeyError) {  // D1, K4
  DeltaFIFO f(TestOptions());
  absl::StatusOr<std::string> key = f.KeyOf(Deltas());
  ASSERT_FALSE(key.ok());
  EXPECT_TRUE(IsKeyError(key.status()));
  EXPECT_TRUE(HasTag(key.status(), kZeroLengthDeltasTag));
  EXPECT_NE(key.status().message().find("0 length Deltas object; can't get key"),
            absl::string_view::npos);
}

TEST(DeltaFIFORules, DefaultKeyFunctionIsMetaNamespace) {  // D1, K1
  DeltaFIFO f;
  api::Object o;
  o.mutable_metadata()->set_namespace_("ns");
  o.mutable_metadata()->set_name("a");
  ASSERT_TRUE(f.Add(Item(MakeObject(o))).ok());
  EXPECT_EQ(f.ListKeys(), std::vector<std::string>{"ns/a"});
  EXPECT_EQ(*f.KeyOf(Item::ExplicitKey("x/y")), "x/y");
}

TEST(DeltaFIFORules, KeyErrorsAreWrapped) {  // D3, K4
  DeltaFIFO f;  // MetaNamespaceKeyFunc: an object without meta has no key
  api::Object no_meta;
  no_meta.set_kind("Pod");
  const absl::Status add = f.Add(Item(MakeObject(no_meta)));
  EXPECT_TRUE(IsKeyError(add));
  EXPECT_NE(add.message().find("couldn't create key for object"), absl::string_view::npos);
  EXPECT_NE(add.message().find("object has no meta"), absl::string_view::npos);
  EXPECT_TRUE(IsKeyError(f.Update(Item(MakeObject(no_meta)))));
  EXPECT_TRUE(IsKeyError(f.GetDeltas(Item(MakeObject(no_meta))).status()));
  EXPECT_EQ(f.size(), 0u);
}

TEST(DeltaFIFORules, DeleteKeyErrorLeavesPopulatedUntouched) {  // D4
  DeltaFIFO f;
  api::Object no_meta;
  EXPECT_TRUE(IsKeyError(f.Delete(Item(MakeObject(no_meta)))));
  EXPECT_FALSE(f.HasSynced());
  // A failed Add, by contrast, has already marked the queue populated (D2).
  EXPECT_TRUE(IsKeyError(f.Add(Item(MakeObject(no_meta)))));
  EXPECT_TRUE(f.HasSynced());
}

TEST(DeltaFIFORules, DedupOnlyTheLastTwoDeletes) {  // D3
  DeltaFIFO f(TestOptions());
  ASSERT_TRUE(f.Add(Obj("foo", 1)).ok());
  ASSERT_TRUE(f.Delete(Obj("foo", 2)).ok());
  ASSERT_TRUE(f.Delete(Obj("foo", 3)).ok());  // collapses into the older Deleted
  ASSERT_TRUE(f.Update(Obj("foo", 4)).ok());
  ASSERT_TRUE(f.Update(Obj("foo", 4)).ok());  // no dedup of anything but Deleted
  ASSERT_TRUE(f.Replace({}, "").ok());        // tombstone of foo@4
  ASSERT_TRUE(f.Delete(Obj("foo", 5)).ok());  // newer wins over a tombstone
  EXPECT_EQ(Render(PopNow(f)),
            "[Added foo@1, Deleted foo@2, Updated foo@4, Updated foo@4, Deleted foo@5]");
}

TEST(DeltaFIFORules, ReplaceTombstoneUnwrapsQueuedTombstone) {  // D5 step 2
  LiteralListerGetter known({Obj("foo", 5)});
  DeltaFIFO f(TestOptions(&known));
  ASSERT_TRUE(f.Replace({}, "").ok());  // known tombstone DFSU(foo, foo@5)
  ASSERT_TRUE(f.Replace({}, "").ok());  // queued tombstone: unwrapped, deduped
  EXPECT_EQ(Render(PopNow(f)), "[Deleted DFSU(foo, foo@5)]");
}

TEST(DeltaFIFORules, DeleteWithKnownObjectsLookupErrorQueues) {  // D4
  LiteralListerGetter failing({}, /*fail_lookups=*/true);
  DeltaFIFO f(TestOptions(&failing));
  ASSERT_TRUE(f.Delete(Obj("ghost", 1)).ok());
  EXPECT_EQ(Render(PopNow(f)), "[Deleted ghost@1]");
  LiteralListerGetter empty({});
  DeltaFIFO g(TestOptions(&empty));
  ASSERT_TRUE(g.Delete(Obj("ghost", 1)).ok());
  EXPECT_EQ(g.size(), 0u);
  EXPECT_TRUE(g.HasSynced());  // an ignored Delete still populates
}

TEST(DeltaFIFORules, ReplaceOrderAndInitialPopulation) {  // D5, D6, D11
  LiteralListerGetter known({Obj("k1", 1), Obj("k2", 1), Obj("q1", 1), Obj("k3", 1)});
  DeltaFIFO f(TestOptions(&known));
  // Cannot happen before the first Replace in an informer, but makes the
  // queued-only case observable: Resync does not populate.
  ASSERT_TRUE(f.Resync().ok());
  EXPECT_FALSE(f.HasSynced());
  EXPECT_EQ(f.ListKeys(), (std::vector<std::string>{"k1", "k2", "q1", "k3"}));
  // Queued keys k1, k2, q1, k3 (all Sync). The list keeps n1, k2, n2, n1.
  ASSERT_TRUE(f.Replace({Obj("n1", 2), Obj("k2", 2), Obj("n2", 2), Obj("n1", 3)}, "9").ok());
  // Queued keys keep their places; new keys follow in list order. k1, q1, k3
  // were queued, so step 3 adds nothing.
  EXPECT_EQ(f.ListKeys(), (std::vector<std::string>{"k1", "k2", "q1", "k3", "n1", "n2"}));
  // 3 distinct list keys + 3 queued tombstones.
  for (int i = 0; i < 6; ++i) {
    EXPECT_FALSE(f.HasSynced()) << i;
    bool initial = false;
    PopNow(f, &initial);
    EXPECT_TRUE(initial) << i;
  }
  EXPECT_TRUE(f.HasSynced());
}

TEST(DeltaFIFORules, KnownTombstonesFollowListKeysOrder) {  // D5 step 3, D6
  LiteralListerGetter known({Obj("z", 1), Obj("a", 1), Obj("m", 1), Obj("z", 1)});
  DeltaFIFO f(TestOptions(&known));
  ASSERT_TRUE(f.Add(Obj("q", 1)).ok());
  ASSERT_TRUE(f.Replace({Obj("new", 1)}, "").ok());
  // Duplicate known key "z" gets one tombstone.
  EXPECT_EQ(f.ListKeys(), (std::vector<std::string>{"q", "new", "z", "a", "m"}));
  // Populated (and synced) by the Add: this Replace sets no initial count.
  EXPECT_TRUE(f.HasSynced());
  bool initial = true;
  PopNow(f, &initial);
  EXPECT_FALSE(initial);
}

TEST(DeltaFIFORules, KnownLookupErrorGivesTombstoneWithoutObject) {  // D5 step 3
  LiteralListerGetter failing({Obj("gone", 1)}, /*fail_lookups=*/true);
  DeltaFIFO f(TestOptions(&failing));
  ASSERT_TRUE(f.Replace({}, "").ok());
  EXPECT_EQ(Render(PopNow(f)), "[Deleted DFSU(gone, nil)]");
  EXPECT_TRUE(f.HasSynced());
}

TEST(DeltaFIFORules, ReplaceKeyErrorKeepsEarlierItemsAndDoesNotPopulate) {  // D5 step 1
  DeltaFIFO f(TestOptions());
  api::Object no_meta;
  const absl::Status s = f.Replace({Obj("a", 1), Item(MakeObject(no_meta)), Obj("c", 1)}, "");
  EXPECT_TRUE(IsKeyError(s));
  EXPECT_EQ(f.ListKeys(), std::vector<std::string>{"a"});
  EXPECT_FALSE(f.HasSynced());
}

TEST(DeltaFIFORules, EmptyReplaceWithTombstonesNeedsPops) {  // D11
  LiteralListerGetter known({Obj("a", 1), Obj("b", 1)});
  DeltaFIFO f(TestOptions(&known));
  ASSERT_TRUE(f.Replace({}, "").ok());
  EXPECT_FALSE(f.HasSynced());
  PopNow(f);
  EXPECT_FALSE(f.HasSynced());
  PopNow(f);
  EXPECT_TRUE(f.HasSynced());
  // A second Replace never resets sync, and its pops are not initial.
  ASSERT_TRUE(f.Replace({Obj("c", 1)}, "").ok());
  EXPECT_TRUE(f.HasSynced());
  bool initial = true;
  PopNow(f, &initial);
  EXPECT_FALSE(initial);
}

TEST(DeltaFIFORules, TransformerRules) {  // D3, D5, D7
  int calls = 0;
  LiteralListerGetter known({Obj("k", 1)});
  DeltaFIFOOptions options = TestOptions(&known);
  options.transformer = [&calls](Item obj) -> absl::StatusOr<Item> {
    ++calls;
    api::Object copy = *obj.object();
    copy.mutable_metadata()->set_generation(copy.metadata().generation() + 1);
    return Item(MakeObject(std::move(copy)));
  };
  DeltaFIFO f(options);
  ASSERT_TRUE(f.Resync().ok());  // Sync from Resync: not transformed
  EXPECT_EQ(calls, 0);
  ASSERT_TRUE(f.Replace({Obj("r", 1)}, "").ok());  // emitted as Sync, still transformed
  EXPECT_EQ(calls, 1);
  ASSERT_TRUE(f.Delete(Obj("r", 2)).ok());  // Delete is transformed
  EXPECT_EQ(calls, 2);
  EXPECT_EQ(Render(PopNow(f)), "[Sync k@1, Deleted DFSU(k, k@1)]");
  EXPECT_EQ(Render(PopNow(f)), "[Sync r@1#1, Deleted r@2#1]");
}

// D1/D3: the key comes from the object as given, before the transformer, on
// the stack-key path (stock key function) as on the general one.
TEST(DeltaFIFORules, KeyBeforeTransform) {
  for (bool stock : {true, false}) {
    SCOPED_TRACE(stock);
    DeltaFIFOOptions options;
    options.key_function = MetaNamespaceKeyFunc;
    if (!stock) {
      options.key_function = [](const Item& item) { return MetaNamespaceKeyFunc(item); };
    }
    options.transformer = [](Item obj) -> absl::StatusOr<Item> {
      api::Object renamed = *obj.object();
      renamed.mutable_metadata()->set_name("renamed");
      return Item(MakeObject(std::move(renamed)));
    };
    DeltaFIFO f(options);
    ASSERT_TRUE(f.Add(Obj("a", 1)).ok());
    ASSERT_TRUE(f.Update(Obj("a", 2)).ok());
    EXPECT_EQ(f.ListKeys(), std::vector<std::string>{"a"});
    std::optional<Deltas> deltas = f.GetDeltasByKey("a");
    ASSERT_TRUE(deltas.has_value());
    ASSERT_EQ(deltas->size(), 2u);
    EXPECT_EQ((*deltas)[1].object.meta()->name(), "renamed");
  }
}

TEST(DeltaFIFORules, TransformerErrors) {  // D3, D5
  DeltaFIFOOptions options = TestOptions();
  options.transformer = [](Item) -> absl::StatusOr<Item> {
    return WithTag(absl::InternalError("boom"), "test/boom");
  };
  DeltaFIFO f(options);
  const absl::Status add = f.Add(Obj("a", 1));
  EXPECT_EQ(add.message(), "boom");  // returned as is
  EXPECT_TRUE(HasTag(add, "test/boom"));
  EXPECT_FALSE(IsKeyError(add));
  const absl::Status replace = f.Replace({Obj("b", 1)}, "");
  EXPECT_EQ(replace.message(), "couldn't enqueue object: boom");
  EXPECT_FALSE(HasTag(replace, "test/boom"));  // client-go formats with %v
  EXPECT_EQ(f.size(), 0u);
  EXPECT_TRUE(f.HasSynced());  // the Add populated before failing
}

TEST(DeltaFIFORules, ResyncSkipsAndAborts) {  // D7
  // The key lister lists names; the getter answers the no-meta object for
  // "bad", whose key then fails.
  class Known : public KeyListerGetter {
   public:
    std::vector<std::string> ListKeys() const override {
      return {"missing", "a", "queued", "bad", "c"};
    }
    absl::StatusOr<std::optional<Item>> GetByKey(absl::string_view key) const override {
      if (key == "missing") return std::optional<Item>();
      if (key == "bad") return std::optional<Item>(Item(MakeObject(api::Object())));
      return std::optional<Item>(Obj(std::string(key), 1));
    }
  } known;
  DeltaFIFO f(TestOptions(&known));
  ASSERT_TRUE(f.Update(Obj("queued", 7)).ok());
  const absl::Status s = f.Resync();
  EXPECT_TRUE(IsKeyError(s));
  EXPECT_EQ(f.ListKeys(), (std::vector<std::string>{"queued", "a"}));
  EXPECT_EQ(Render(*f.GetDeltasByKey("queued")), "[Updated queued@7]");
  EXPECT_EQ(Render(*f.GetDeltasByKey("a")), "[Sync a@1]");
}

TEST(DeltaFIFORules, ResyncWithoutKnownObjectsIsANoOp) {  // D7
  DeltaFIFO f(TestOptions());
  ASSERT_TRUE(f.Resync().ok());
  EXPECT_EQ(f.size(), 0u);
  EXPECT_FALSE(f.HasSynced());
}

TEST(DeltaFIFORules, PopDoesNotRequeueOnError) {  // D8, D9 off
  DeltaFIFO f(TestOptions());
  ASSERT_TRUE(f.Add(Obj("a", 1)).ok());
  PopResult r = f.TryPop([](const Deltas&, bool) { return absl::InternalError("failed"); });
  EXPECT_EQ(r.outcome, PopOutcome::kPopped);
  EXPECT_EQ(r.process_status.message(), "failed");
  EXPECT_EQ(f.size(), 0u);
  // Without legacy_requeue a RequeueError is just an error.
  ASSERT_TRUE(f.Add(Obj("a", 2)).ok());
  r = f.TryPop([](const Deltas&, bool) { return RequeueError(absl::OkStatus()); });
  EXPECT_TRUE(IsRequeueError(r.process_status));
  EXPECT_EQ(f.size(), 0u);
}

TEST(DeltaFIFORules, TryPopEmptyAndClosed) {  // D8, D10
  DeltaFIFO f(TestOptions());
  int calls = 0;
  auto process = [&calls](const Deltas&, bool) {
    ++calls;
    return absl::OkStatus();
  };
  EXPECT_EQ(f.TryPop(process).outcome, PopOutcome::kEmpty);
  EXPECT_FALSE(f.HasPending());
  ASSERT_TRUE(f.Add(Obj("a", 1)).ok());
  f.Close();
  EXPECT_TRUE(f.IsClosed());
  // Closing blocks no writer, and queued items stay poppable.
  ASSERT_TRUE(f.Add(Obj("b", 1)).ok());
  ASSERT_TRUE(f.Replace({Obj("c", 1)}, "").ok());
  EXPECT_TRUE(f.HasPending());
  EXPECT_EQ(f.Pop(process).outcome, PopOutcome::kPopped);  // does not block
  EXPECT_EQ(f.TryPop(process).outcome, PopOutcome::kPopped);
  EXPECT_EQ(f.TryPop(process).outcome, PopOutcome::kPopped);
  EXPECT_EQ(f.TryPop(process).outcome, PopOutcome::kClosed);
  EXPECT_EQ(f.Pop(process).outcome, PopOutcome::kClosed);
  EXPECT_EQ(calls, 3);
}

TEST(DeltaFIFORules, ListGetAndSize) {
  DeltaFIFO f(TestOptions());
  ASSERT_TRUE(f.Add(Obj("a", 1)).ok());
  ASSERT_TRUE(f.Update(Obj("b", 1)).ok());
  ASSERT_TRUE(f.Update(Obj("a", 2)).ok());
  EXPECT_EQ(f.size(), 2u);
  std::vector<std::string> listed;
  for (const Item& i : f.List()) listed.push_back(Render(i));
  EXPECT_EQ(listed, (std::vector<std::string>{"a@2", "b@1"}));
  absl::StatusOr<std::optional<Deltas>> got = f.GetDeltas(Obj("a", 99));
  ASSERT_TRUE(got.ok());
  ASSERT_TRUE(got->has_value());
  EXPECT_EQ(Render(**got), "[Added a@1, Updated a@2]");
  EXPECT_FALSE(f.GetDeltasByKey("zzz").has_value());
  // A copy: the queue is unchanged.
  EXPECT_EQ(Render(PopNow(f)), "[Added a@1, Updated a@2]");
}

TEST(DeltaFIFORules, FifoOrderSurvivesRingGrowthAndWrap) {  // D12
  DeltaFIFO f(TestOptions());
  int next_add = 0;
  int next_pop = 0;
  // Interleave adds and pops so the ring wraps and grows with a moving head.
  for (int round = 0; round < 50; ++round) {
    for (int i = 0; i < round + 3; ++i) ASSERT_TRUE(f.Add(Obj(absl::StrCat("k", next_add++), 1)).ok());
    for (int i = 0; i < round / 2 + 1; ++i) {
      ASSERT_EQ(Render(PopNow(f).front().object), absl::StrCat("k", next_pop++, "@1"));
    }
    // Re-adding queued keys keeps their place.
    ASSERT_TRUE(f.Update(Obj(absl::StrCat("k", next_pop), 2)).ok());
  }
  while (f.HasPending()) {
    Deltas d = PopNow(f);
    ASSERT_EQ(Render(d.front().object), absl::StrCat("k", next_pop++, "@1"));
  }
  EXPECT_EQ(next_pop, next_add);
}

TEST(DeltaFIFORules, LongKeysAndReuse) {
  DeltaFIFO f(TestOptions());
  const std::string long_prefix(100, 'x');
  for (int round = 0; round < 3; ++round) {
    for (int i = 0; i < 40; ++i) ASSERT_TRUE(f.Add(Obj(absl::StrCat(long_prefix, i), round)).ok());
    for (int i = 0; i < 40; ++i) {
      EXPECT_EQ(Render(PopNewest(f)), absl::StrCat(long_prefix, i, "@", round));
    }
  }
}

// ---------------------------------------------------------------------------
// Tests that need threads: blocking Pop and Close.

// A small channel of strings for consumer threads.
class Channel {
 public:
  void Send(std::string v) {
    std::lock_guard<std::mutex> l(mu_);
    q_.push_back(std::move(v));
    cv_.notify_all();
  }
  // Empty optional on timeout.
  std::optional<std::string> Receive(std::chrono::milliseconds timeout) {
    std::unique_lock<std::mutex> l(mu_);
    if (!cv_.wait_for(l, timeout, [&] { return !q_.empty(); })) return std::nullopt;
    std::string v = std::move(q_.front());
    q_.pop_front();
    return v;
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::string> q_;
};

// Pops until the queue is closed, sending each newest object's value.
void ConsumeUntilClosed(DeltaFIFO* f, Channel* got) {
  for (;;) {
    Deltas popped;
    const PopResult r = f->Pop([](const Deltas&, bool) { return absl::OkStatus(); }, &popped);
    if (r.outcome != PopOutcome::kPopped) return;
    got->Send(popped.back().object.meta()->resource_version());
  }
}

// Mirrors client-go TestDeltaFIFO_basic: two producers, one blocking
// consumer; each producer's items arrive in order.
TEST(DeltaFIFOBlocking, Basic) {
  DeltaFIFO f(TestOptions());
  constexpr int kAmount = 500;
  auto produce = [&f](char prefix) {
    for (int i = 0; i < kAmount; ++i) {
      ASSERT_TRUE(f.Add(Obj(absl::StrCat(std::string(1, prefix), i), i + 1)).ok());
    }
  };
  std::thread a(produce, 'a');
  std::thread b(produce, 'b');
  int last_a = 0;
  int last_b = 0;
  for (int i = 0; i < kAmount * 2; ++i) {
    Deltas popped;
    ASSERT_EQ(f.Pop([](const Deltas&, bool) { return absl::OkStatus(); }, &popped).outcome,
              PopOutcome::kPopped);
    const api::ObjectMeta& m = *popped.back().object.meta();
    const int val = std::stoi(m.resource_version());
    int& last = m.name()[0] == 'a' ? last_a : last_b;
    EXPECT_GT(val, last) << m.name() << " out of order";
    last = val;
  }
  a.join();
  b.join();
  EXPECT_EQ(last_a, kAmount);
  EXPECT_EQ(last_b, kAmount);
}

// Mirrors client-go TestDeltaFIFO_addUpdate.
TEST(DeltaFIFOBlocking, AddUpdate) {
  DeltaFIFO f(TestOptions());
  ASSERT_TRUE(f.Add(Obj("foo", 10)).ok());
  ASSERT_TRUE(f.Update(Obj("foo", 12)).ok());
  ASSERT_TRUE(f.Delete(Obj("foo", 15)).ok());
  std::vector<Item> list = f.List();
  ASSERT_EQ(list.size(), 1u);
  EXPECT_EQ(Render(list[0]), "foo@15");
  EXPECT_EQ(f.ListKeys(), std::vector<std::string>{"foo"});

  Channel got;
  std::thread consumer(ConsumeUntilClosed, &f, &got);
  std::optional<std::string> first = got.Receive(std::chrono::seconds(10));
  ASSERT_TRUE(first.has_value());
  EXPECT_EQ(*first, "15") << "didn't get the updated value";
  std::optional<std::string> unexpected = got.Receive(std::chrono::milliseconds(50));
  EXPECT_FALSE(unexpected.has_value()) << "got a second value " << *unexpected;
  absl::StatusOr<std::optional<Deltas>> item = f.GetDeltas(Obj("foo", ""));
  ASSERT_TRUE(item.ok());
  EXPECT_FALSE(item->has_value()) << "item did not get removed";
  f.Close();
  consumer.join();
}

// Mirrors client-go TestDeltaFIFO_addReplace.
TEST(DeltaFIFOBlocking, AddReplace) {
  DeltaFIFO f(TestOptions());
  ASSERT_TRUE(f.Add(Obj("foo", 10)).ok());
  ASSERT_TRUE(f.Replace({Obj("foo", 15)}, "0").ok());
  Channel got;
  std::thread consumer(ConsumeUntilClosed, &f, &got);
  std::optional<std::string> first = got.Receive(std::chrono::seconds(10));
  ASSERT_TRUE(first.has_value());
  EXPECT_EQ(*first, "15") << "didn't get the updated value";
  std::optional<std::string> unexpected = got.Receive(std::chrono::milliseconds(50));
  EXPECT_FALSE(unexpected.has_value()) << "got a second value " << *unexpected;
  absl::StatusOr<std::optional<Deltas>> item = f.GetDeltas(Obj("foo", ""));
  ASSERT_TRUE(item.ok());
  EXPECT_FALSE(item->has_value()) << "item did not get removed";
  f.Close();
  consumer.join();
}

// Mirrors client-go TestDeltaFIFO_PopShouldUnblockWhenClosed.
TEST(DeltaFIFOBlocking, PopShouldUnblockWhenClosed) {
  LiteralListerGetter known({Obj("foo", 5)});
  DeltaFIFO f(TestOptions(&known));
  constexpr int kJobs = 10;
  Channel done;
  std::vector<std::thread> jobs;
  for (int i = 0; i < kJobs; ++i) {
    jobs.emplace_back([&f, &done] {
      const PopResult r = f.Pop([](const Deltas&, bool) { return absl::OkStatus(); });
      done.Send(r.outcome == PopOutcome::kClosed ? "closed" : "popped");
    });
  }
  std::this_thread::yield();
  f.Close();
  bool timed_out = false;
  for (int i = 0; i < kJobs; ++i) {
    std::optional<std::string> r = done.Receive(std::chrono::seconds(10));
    if (!r.has_value()) {
      timed_out = true;
      break;
    }
    EXPECT_EQ(*r, "closed");
  }
  EXPECT_FALSE(timed_out) << "timed out waiting for Pop to return after Close";
  if (timed_out) {
    // Unblock the stragglers so that the threads can be joined.
    for (int i = 0; i < kJobs; ++i) (void)f.Add(Obj(absl::StrCat("unblock", i), 0));
  }
  for (std::thread& t : jobs) t.join();
}

// An Add wakes a blocked Pop (D3's broadcast), also when the Add comes from
// a Replace or an AddIfNotPresent.
TEST(DeltaFIFOBlocking, AddsWakeBlockedPop) {
  DeltaFIFO f(TestOptions());
  Channel got;
  std::thread consumer(ConsumeUntilClosed, &f, &got);
  ASSERT_TRUE(f.Add(Obj("a", 1)).ok());
  EXPECT_EQ(got.Receive(std::chrono::seconds(10)).value_or("timeout"), "1");
  ASSERT_TRUE(f.Replace({Obj("b", 2)}, "").ok());
  EXPECT_EQ(got.Receive(std::chrono::seconds(10)).value_or("timeout"), "2");
  ASSERT_TRUE(f.AddIfNotPresent(D({{DeltaType::kAdded, Obj("c", 3)}})).ok());
  EXPECT_EQ(got.Receive(std::chrono::seconds(10)).value_or("timeout"), "3");
  f.Close();
  consumer.join();
}

}  // namespace
}  // namespace informersim

namespace informersim {
namespace {

// The CLASSIC wiring: the informer's real Indexer as known objects. Relist
// tombstones (D5 step 3) and resync deltas (D7) follow the indexer's
// ListKeys, which is the order keys were first stored, in every process (a
// hash-ordered walk here once made traces differ between runs).
TEST(DeltaFIFOWithIndexer, TombstonesAndResyncFollowTheIndexersOrder) {
  std::unique_ptr<Cache> indexer = NewIndexer(TestKeyFunc, Indexers{});
  for (const char* name : {"c", "a", "d", "b"}) ASSERT_TRUE(indexer->Add(Obj(name, 1)).ok());
  DeltaFIFOOptions options;
  options.key_function = TestKeyFunc;
  options.known_objects = indexer.get();
  options.emit_delta_type_replaced = true;
  DeltaFIFO fifo(std::move(options));
  ASSERT_TRUE(fifo.Resync().ok());
  EXPECT_EQ(fifo.ListKeys(), (std::vector<std::string>{"c", "a", "d", "b"}));
  while (fifo.HasPending()) PopNow(fifo);

  ASSERT_TRUE(fifo.Replace({Obj("a", 2)}, "2").ok());
  std::vector<std::string> popped;
  while (fifo.HasPending()) {
    Deltas d = PopNow(fifo);
    ASSERT_EQ(d.size(), 1u);
    const Delta& delta = d[0];
    if (delta.type == DeltaType::kDeleted) {
      ASSERT_TRUE(delta.object.is_tombstone());
      // The tombstone carries the indexer's last known object.
      EXPECT_EQ(ObjString(delta.object.tombstone().obj), delta.object.tombstone().key + "@1");
      popped.push_back("-" + delta.object.tombstone().key);
    } else {
      EXPECT_EQ(delta.type, DeltaType::kReplaced);
      popped.push_back("+" + delta.object.meta()->name());
    }
  }
  EXPECT_EQ(popped, (std::vector<std::string>{"+a", "-c", "-d", "-b"}));
}

// The queue keeps its entries in fixed-size blocks and its index by 32-bit
// sequence numbers: order, lookups and merging must hold across many block
// boundaries, with the head and the tail in different blocks.
TEST(DeltaFIFO, ManyKeysAcrossBlocks) {
  DeltaFIFO f;  // MetaNamespaceKeyFunc: the inline key path
  constexpr int kKeys = 5000;
  for (int i = 0; i < kKeys; ++i) ASSERT_TRUE(f.Add(Obj(absl::StrCat("k", i), 1)).ok());
  std::vector<std::string> popped;
  auto record = [&](const Deltas& d, bool) {
    popped.push_back(absl::StrCat(d.back().object.meta()->name(), ":", d.size()));
    return absl::OkStatus();
  };
  for (int i = 0; i < 1700; ++i) ASSERT_EQ(f.TryPop(record).outcome, PopOutcome::kPopped);
  // Updates to queued keys merge; updates to popped keys queue at the tail.
  for (int i = 0; i < kKeys; i += 3) ASSERT_TRUE(f.Update(Obj(absl::StrCat("k", i), 2)).ok());
  EXPECT_EQ(f.size(), static_cast<size_t>(kKeys - 1700 + (1700 + 2) / 3));
  std::optional<Deltas> d4998 = f.GetDeltasByKey("k4998");
  ASSERT_TRUE(d4998.has_value());
  EXPECT_EQ(d4998->size(), 2u);
  EXPECT_FALSE(f.GetDeltasByKey("k4").has_value());
  while (f.TryPop(record).outcome == PopOutcome::kPopped) {
  }
  ASSERT_EQ(popped.size(), static_cast<size_t>(kKeys + (1700 + 2) / 3));
  for (int i = 0; i < kKeys; ++i) {
    const int merged = (i >= 1700 && i % 3 == 0) ? 2 : 1;
    EXPECT_EQ(popped[i], absl::StrCat("k", i, ":", merged)) << i;
  }
  size_t next = kKeys;
  for (int i = 0; i < 1700; i += 3) EXPECT_EQ(popped[next++], absl::StrCat("k", i, ":1"));
  EXPECT_EQ(f.size(), 0u);
  // Reused after draining, from a mid-block head.
  ASSERT_TRUE(f.Add(Obj("again", 1)).ok());
  EXPECT_EQ(f.ListKeys(), std::vector<std::string>{"again"});
}

}  // namespace
}  // namespace informersim
