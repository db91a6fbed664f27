// Graves (sim/checker.h, Checker::BuryDead) change where the checker keeps a
// deleted key's records, never what any check decides. A differential
// property test: two checkers are driven through the same random calls, one
// burying as early as it can (bury_slack 2) and one never (SIZE_MAX), and
// must agree on every violation, finding, count and per-key answer after
// every call. The calls cover what the simulator makes and what a buggy
// informer could: writes that delete and re-create a small set of keys,
// notifications of the current object or of any older one of the key,
// updates with mismatched old objects, plain and tombstone deletes (with
// and without an object), served states, informer restarts and handlers
// added late.
#include <algorithm>
#include <cstdint>
#include <limits>
#include <map>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "core/api/object.h"
#include "core/item.h"
#include "gtest/gtest.h"
#include "sim/checker.h"
#include "sim/mvcc_store.h"

namespace informersim {
namespace sim {
namespace {

ObjectPtr Pod(const std::string& name, int64_t rv) {
  api::Object obj;
  obj.set_kind("Pod");
  obj.mutable_metadata()->set_namespace_("ns");
  obj.mutable_metadata()->set_name(name);
  obj.mutable_metadata()->set_resource_version(absl::StrCat(rv));
  return MakeObject(std::move(obj));
}

// One checker and its handlers, driven in lockstep with its twin.
struct Side {
  explicit Side(CheckerOptions options) : checker(nullptr, nullptr, options) {}
  Checker checker;
  std::vector<std::shared_ptr<HandlerRecorder>> handlers;
};

// What either checker answers per key and per handler, and how many
// violations and findings it has, as text.
std::string Answers(const Side& side, const std::vector<std::string>& keys) {
  const std::vector<Violation>& v = side.checker.violations();
  std::string out = absl::StrCat(v.size(), " violations, time travel ",
                                 side.checker.time_travel_findings(), " restart ",
                                 side.checker.restart_time_travel_findings(), "\n");
  if (!v.empty()) {
    absl::StrAppend(&out, "last: ", v.back().invariant, " ", v.back().key, " ", v.back().handler,
                    " ", v.back().detail, "\n");
  }
  for (const auto& h : side.handlers) {
    const HandlerCounts& c = h->counts();
    absl::StrAppend(&out, h->name(), ": ", c.adds, " ", c.initial_adds, " ", c.updates, " ",
                    c.sync_updates, " ", c.deletes, " ", c.tombstone_deletes, " ",
                    c.unknown_deletes, "\n");
    for (const std::string& key : keys) {
      absl::StrAppend(&out, " ", key, ":", h->EverSaw(key), h->GotDelete(key),
                      h->GotInitialAdd(key));
    }
    absl::StrAppend(&out, "\n");
  }
  return out;
}

// Everything either checker can be asked: Answers, every handler's view
// and every violation.
std::string Observe(const Side& side, const std::vector<std::string>& keys) {
  std::string out = Answers(side, keys);
  for (const auto& h : side.handlers) {
    for (const auto& [key, entry] : h->view()) absl::StrAppend(&out, " held ", key, "@", entry.rv);
  }
  return absl::StrCat(out, "\n", side.checker.Describe(1, "replay"));
}

class GravesAreInvisible : public ::testing::TestWithParam<int> {};

TEST_P(GravesAreInvisible, BuryingEarlyAndNeverAgreeOnEverything) {
  std::mt19937_64 rng(static_cast<uint64_t>(GetParam()) * 7919 + 17);
  const auto chance = [&rng](int percent) { return static_cast<int>(rng() % 100) < percent; };
  CheckerOptions options;
  options.allow_time_travel = chance(50);
  options.restart_time_travel_is_violation = chance(50);
  options.allow_unknown_deletes = chance(50);
  options.informer_resyncs = chance(50);
  options.tombstones_carry_state = chance(50);
  options.max_violations = 100000;
  CheckerOptions never = options;
  options.bury_slack = 2;
  never.bury_slack = std::numeric_limits<size_t>::max();
  Side early(options), late(never);
  Side* const sides[] = {&early, &late};
  const auto add_handler = [&] {
    const std::string name = absl::StrCat("h", early.handlers.size());
    for (Side* s : sides) s->handlers.push_back(s->checker.AddHandler(name, nullptr));
  };
  const int first_handlers = 1 + static_cast<int>(rng() % 3);
  for (int i = 0; i < first_handlers; ++i) add_handler();

  // The server: every object each key ever had, and whether it is live.
  // Like the workload, writes mostly create new names (so the table of
  // last writes keeps growing and sweeps keep coming) and sometimes come
  // back to an old one.
  std::vector<std::string> names, keys;
  const auto new_name = [&] {
    names.push_back(absl::StrCat("k", names.size()));
    keys.push_back(absl::StrCat("ns/", names.back()));
  };
  for (int i = 0; i < 20; ++i) new_name();
  std::map<std::string, std::vector<ObjectPtr>> history;
  std::map<std::string, bool> live;
  int64_t rv = 0;
  size_t most_buried = 0;

  for (int step = 0; step < 3000; ++step) {
    if (chance(12)) new_name();
    const std::string name = chance(30) ? names.back() : names[rng() % names.size()];
    const std::string key = absl::StrCat("ns/", name);
    std::vector<ObjectPtr>& versions = history[key];
    const auto any_version = [&]() -> ObjectPtr {
      return versions.empty() ? Pod(name, static_cast<int64_t>(rng() % (rv + 2)))
                              : versions[rng() % versions.size()];
    };
    const int op = static_cast<int>(rng() % 100);
    if (op < 40) {
      // A server write: create a dead key, update or delete a live one;
      // mostly followed by what a correct informer tells every handler.
      Change c;
      c.rv = ++rv;
      c.key = key;
      c.object = Pod(name, rv);
      c.type = !live[key] ? WatchEventType::kAdded
                          : chance(60) ? WatchEventType::kModified : WatchEventType::kDeleted;
      live[key] = c.type != WatchEventType::kDeleted;
      const ObjectPtr prev = versions.empty() ? nullptr : versions.back();
      versions.push_back(c.object);
      const bool deliver = chance(85);
      const bool initial = chance(25);  // as after a restart's first list
      for (Side* s : sides) {
        s->checker.NoteWrite(c);
        if (!deliver) continue;
        for (const auto& r : s->handlers) {
          if (c.type == WatchEventType::kAdded) r->OnAdd(c.object, initial);
          if (c.type == WatchEventType::kModified) r->OnUpdate(prev, c.object);
          if (c.type == WatchEventType::kDeleted) r->OnDelete(c.object);
        }
      }
    } else if (op < 85) {
      // A notification to one handler: mostly the newest object of the key
      // in a plausible order, sometimes any older one.
      const size_t h = rng() % early.handlers.size();
      const ObjectPtr obj = chance(70) && !versions.empty() ? versions.back() : any_version();
      const int kind = static_cast<int>(rng() % 10);
      // Every draw before the calls: both sides get the same objects.
      const ObjectPtr old_obj = kind == 4 ? obj : any_version();
      const ObjectPtr last_state = chance(70) ? obj : nullptr;
      for (Side* s : sides) {
        HandlerRecorder& r = *s->handlers[h];
        if (kind < 4) {
          r.OnAdd(obj, /*is_in_initial_list=*/kind == 0);
        } else if (kind < 7) {
          r.OnUpdate(old_obj, obj);
        } else if (kind < 9) {
          r.OnDelete(obj);
        } else {
          r.OnDelete(Item::Tombstone(key, last_state));
        }
      }
    } else if (op < 90) {
      for (Side* s : sides) s->checker.NoteListServed();
    } else if (op < 93) {
      // Rare, so that what a restart resets (initial adds) lives long
      // enough to be buried and brought back in between.
      if (chance(10)) {
        for (Side* s : sides) s->checker.InformerRestarted(nullptr);
      }
    } else if (op < 94 && early.handlers.size() < 6) {
      add_handler();
    }
    most_buried = std::max(most_buried, early.checker.buried_keys());
    ASSERT_EQ(late.checker.buried_keys(), 0u);
    // The whole text now and then (it grows with the violations); the
    // per-key answers, counts and newest violation after every call.
    if (step % 500 == 499) {
      ASSERT_EQ(Observe(early, keys), Observe(late, keys)) << "after step " << step;
    } else {
      // This step's key and a few others: every key every time would cost
      // the test time in proportion to the keys.
      std::vector<std::string> some{key};
      for (int i = 0; i < 8; ++i) some.push_back(keys[rng() % keys.size()]);
      ASSERT_EQ(Answers(early, some), Answers(late, some)) << "after step " << step;
    }
  }
  EXPECT_EQ(Observe(early, keys), Observe(late, keys));
  EXPECT_GT(most_buried, 0u) << "no key was ever buried: the test did not exercise graves";
}

INSTANTIATE_TEST_SUITE_P(Seeds, GravesAreInvisible, ::testing::Range(0, 24));

}  // namespace
}  // namespace sim
}  // namespace informersim
