// Stateful property test of RealFIFO (rules R1-R10) against a reference
// model, in atomic and non-atomic mode. RapidCheck draws random sequences
// of Add/Update/Delete/Replace/Resync/Bookmark/Pop/PopBatch/Close (and
// breaks or mends the key function for some names); after every command
// the whole queue, its order, HasSynced and every popped delta, batch and
// is_in_initial_list flag must match the model exactly.
//
// The model is a plain vector of expected deltas plus the populated /
// initial-count / synced flags, restating each rule directly. In
// non-atomic mode the known objects are a store that the consumer updates
// from the popped deltas, as an informer's indexer is. With
// UnlockWhileProcessing the Pop callbacks also check HasSynced from inside
// (R9) and may enqueue re-entrantly, which the model predicts is allowed
// exactly when the lock is released (fewer than 2 x batch_size deltas left).
#include <map>
#include <memory>
#include <optional>
#include <ostream>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "core/keys.h"
#include "core/real_fifo.h"
#include "gtest/gtest.h"
#include "rapidcheck.h"
#include "rapidcheck/gtest.h"
#include "rapidcheck/state.h"
#include "tests/core/real_fifo_test_support.h"

namespace informersim {
namespace {

using ::informersim::testing_fifo::Canonical;

// ---------------------------------------------------------------------------
// Objects, key function and transformer shared by the model and the queue.

Item Obj(const std::string& name, int rv) {
  api::Object o;
  o.mutable_metadata()->set_name(name);
  o.mutable_metadata()->set_resource_version(absl::StrCat(rv));
  (*o.mutable_metadata()->mutable_annotations())["xf"] = "0";
  return Item(MakeObject(std::move(o)));
}

// Counts applications in an annotation, so "transformed exactly once" is
// visible in every delta.
Item Transformed(const Item& item) {
  if (!item.is_object()) return item;
  api::Object copy = *item.object();
  int n = 0;
  (void)absl::SimpleAtoi(copy.metadata().annotations().at("xf"), &n);
  (*copy.mutable_metadata()->mutable_annotations())["xf"] = absl::StrCat(n + 1);
  return Item(MakeObject(std::move(copy)));
}

using BrokenNames = std::set<std::string>;

// The test key function: the object's name, failing for broken names.
absl::StatusOr<std::string> KeyWith(const BrokenNames& broken, const Item& item) {
  const api::ObjectMeta* meta = item.meta();
  if (meta == nullptr) return absl::InvalidArgumentError("no meta");
  if (broken.count(meta->name()) > 0) {
    return absl::InvalidArgumentError(absl::StrCat("broken key ", meta->name()));
  }
  return meta->name();
}

// The known objects: the consumer's store, listed in key order.
class MapKnownObjects : public KeyListerGetter {
 public:
  std::vector<std::string> ListKeys() const override {
    std::vector<std::string> keys;
    for (const auto& [k, v] : items) keys.push_back(k);
    return keys;
  }
  absl::StatusOr<std::optional<Item>> GetByKey(absl::string_view key) const override {
    auto it = items.find(std::string(key));
    if (it == items.end()) return std::optional<Item>();
    return std::optional<Item>(it->second);
  }
  std::map<std::string, Item> items;
};

// What an informer does with a popped delta, minus handlers (C3): keeps
// the known objects in step with what was delivered.
void ApplyToStore(std::map<std::string, Item>& store, const Delta& d) {
  switch (d.type) {
    case DeltaType::kAdded:
    case DeltaType::kUpdated:
    case DeltaType::kReplaced:
    case DeltaType::kSync:
      if (d.object.is_object()) store[d.object.meta()->name()] = d.object;
      break;
    case DeltaType::kDeleted:
      store.erase(d.object.is_tombstone() ? d.object.tombstone().key
                                          : d.object.meta()->name());
      break;
    default:
      break;
  }
}

// ---------------------------------------------------------------------------
// The model.

struct Config {
  bool atomic = false;
  bool unlock = false;
  bool bookmarks = false;
  size_t batch_size = 1;
};

struct Model {
  Config cfg;
  std::vector<Delta> queue;  // expected deltas, oldest first
  bool populated = false;
  int64_t count = 0;  // initial population still to be processed
  bool synced = false;
  bool closed = false;
  std::map<std::string, Item> known;  // non-atomic only
  BrokenNames broken;
  int reentrant_serial = 0;

  void CheckSynced() {
    if (populated && count == 0) synced = true;
  }
  std::optional<std::string> Key(const Item& item) const {
    if (item.is_tombstone()) return item.tombstone().key;
    absl::StatusOr<std::string> k = KeyWith(broken, item);
    if (!k.ok()) return std::nullopt;
    return *k;
  }
  // R9: whether a callback runs unlocked once `popped` deltas left.
  bool UnlockedAfter(size_t popped) const {
    return cfg.unlock && queue.size() - popped < 2 * cfg.batch_size;
  }
};

struct Sut {
  explicit Sut(const Config& cfg) : broken(std::make_shared<BrokenNames>()) {
    RealFIFOOptions o;
    std::shared_ptr<BrokenNames> names = broken;
    o.key_function = [names](const Item& item) { return KeyWith(*names, item); };
    o.transformer = [](Item item) -> absl::StatusOr<Item> { return Transformed(item); };
    o.atomic_events = cfg.atomic;
    o.unlock_while_processing = cfg.unlock;
    o.emit_delta_type_bookmark = cfg.bookmarks;
    o.batch_size = cfg.batch_size;
    if (!cfg.atomic) o.known_objects = &known;
    absl::StatusOr<std::unique_ptr<RealFIFO>> f = RealFIFO::Create(std::move(o));
    RC_ASSERT(f.ok());
    fifo = *std::move(f);
  }
  MapKnownObjects known;
  std::shared_ptr<BrokenNames> broken;
  std::unique_ptr<RealFIFO> fifo;
};

using Command = rc::state::Command<Model, Sut>;

// The whole observable state after a command.
void CheckState(const Model& want, Sut& sut) {
  RC_ASSERT(Canonical(sut.fifo->QueuedDeltas()) == Canonical(want.queue));
  RC_ASSERT(sut.fifo->size() == want.queue.size());
  RC_ASSERT(sut.fifo->HasSynced() == want.synced);
  RC_ASSERT(sut.fifo->IsClosed() == want.closed);
}

const std::vector<std::string>& Names() {
  static const auto* names = new std::vector<std::string>{"a", "b", "c", "d"};
  return *names;
}

rc::Gen<std::string> GenName() { return rc::gen::elementOf(Names()); }
rc::Gen<int> GenRv() { return rc::gen::inRange(1, 50); }

// ---------------------------------------------------------------------------
// Commands.

// Add / Update / Delete (R3), optionally Delete of a tombstone.
class EventCmd : public Command {
 public:
  EventCmd()
      : type_(*rc::gen::element(DeltaType::kAdded, DeltaType::kUpdated, DeltaType::kDeleted)),
        name_(*GenName()),
        rv_(*GenRv()),
        tombstone_(type_ == DeltaType::kDeleted && *rc::gen::inRange(0, 4) == 0) {}

  Item Input() const {
    return tombstone_ ? Item::Tombstone(name_, Obj(name_, rv_).object()) : Obj(name_, rv_);
  }
  void apply(Model& m) const override {
    m.populated = true;  // before the key check, as client-go
    m.CheckSynced();
    const Item in = Input();
    if (!m.Key(in).has_value()) return;
    m.queue.push_back(Delta{type_, tombstone_ ? in : Transformed(in)});
  }
  void run(const Model& m0, Sut& sut) const override {
    absl::Status s;
    switch (type_) {
      case DeltaType::kAdded:
        s = sut.fifo->Add(Input());
        break;
      case DeltaType::kUpdated:
        s = sut.fifo->Update(Input());
        break;
      default:
        s = sut.fifo->Delete(Input());
        break;
    }
    RC_ASSERT(s.ok() == m0.Key(Input()).has_value());
    if (!s.ok()) RC_ASSERT(IsKeyError(s));
    CheckState(nextState(m0), sut);
  }
  void show(std::ostream& os) const override {
    os << DeltaTypeName(type_) << "(" << (tombstone_ ? "DFSU " : "") << name_ << "@" << rv_
       << ")";
  }

 private:
  DeltaType type_;
  std::string name_;
  int rv_;
  bool tombstone_;
};

// Replace (R4/R5, R6).
class ReplaceCmd : public Command {
 public:
  ReplaceCmd() : rv_(*GenRv()) {
    const int n = *rc::gen::inRange(0, 5);
    for (int i = 0; i < n; ++i) list_.emplace_back(*GenName(), *GenRv());
  }

  std::vector<Item> List() const {
    std::vector<Item> items;
    for (const auto& [name, rv] : list_) items.push_back(Obj(name, rv));
    return items;
  }
  // The model's Replace; false when it fails with nothing applied.
  static bool Reconcile(Model& m, const std::vector<Item>& list) {
    std::set<std::string> new_keys;
    for (const Item& obj : list) {
      std::optional<std::string> k = m.Key(obj);
      if (!k.has_value()) return false;
      new_keys.insert(*k);
    }
    std::vector<std::string> order;  // queued keys, first appearance
    std::map<std::string, Delta> last;
    for (const Delta& d : m.queue) {
      std::optional<std::string> k = m.Key(d.object);
      if (!k.has_value()) return false;
      if (last.count(*k) == 0) order.push_back(*k);
      last[*k] = d;
    }
    std::vector<Delta> appended;
    for (const std::string& k : order) {
      const Delta& d = last[k];
      if (new_keys.count(k) > 0 || d.type == DeltaType::kDeleted) continue;
      ObjectPtr obj = d.object.is_tombstone() ? d.object.tombstone().obj : d.object.object();
      appended.push_back(Delta{DeltaType::kDeleted, Item::Tombstone(k, obj)});
    }
    for (const auto& [k, obj] : m.known) {
      if (new_keys.count(k) > 0 || last.count(k) > 0) continue;
      appended.push_back(Delta{DeltaType::kDeleted, Item::Tombstone(k, obj.object())});
    }
    for (const Item& obj : list) appended.push_back(Delta{DeltaType::kReplaced, Transformed(obj)});
    m.queue.insert(m.queue.end(), appended.begin(), appended.end());
    return true;
  }
  void apply(Model& m) const override {
    bool ok = true;
    if (m.cfg.atomic) {
      std::vector<ObjectPtr> objects;
      for (const Item& obj : List()) objects.push_back(Transformed(obj).object());
      m.queue.push_back(
          Delta{DeltaType::kReplacedAll, Item::ReplacedAll(absl::StrCat(rv_), objects)});
    } else {
      ok = Reconcile(m, List());
    }
    if (ok && !m.populated) {
      m.populated = true;
      m.count = static_cast<int64_t>(m.queue.size());
      m.CheckSynced();
    }
  }
  void run(const Model& m0, Sut& sut) const override {
    Model probe = m0;
    const bool want_ok = m0.cfg.atomic || Reconcile(probe, List());
    absl::Status s = sut.fifo->Replace(List(), absl::StrCat(rv_));
    RC_ASSERT(s.ok() == want_ok);
    if (!s.ok()) RC_ASSERT(IsKeyError(s));
    CheckState(nextState(m0), sut);
  }
  void show(std::ostream& os) const override {
    std::vector<std::string> parts;
    for (const auto& [name, rv] : list_) parts.push_back(absl::StrCat(name, "@", rv));
    os << "Replace([" << absl::StrJoin(parts, ", ") << "], " << rv_ << ")";
  }

 private:
  std::vector<std::pair<std::string, int>> list_;
  int rv_;
};

// Resync (R7).
class ResyncCmd : public Command {
 public:
  // The model's Resync; returns whether it succeeds (it may stop half way).
  static bool Resync(Model& m) {
    if (m.cfg.atomic) {
      m.queue.push_back(Delta{DeltaType::kSyncAll, Item::SyncAll()});
      return true;
    }
    std::set<std::string> queued;
    for (const Delta& d : m.queue) {
      std::optional<std::string> k = m.Key(d.object);
      if (!k.has_value()) return false;
      queued.insert(*k);
    }
    for (const auto& [k, obj] : m.known) {
      if (queued.count(k) > 0) continue;
      if (!m.Key(obj).has_value()) return false;  // earlier Syncs stay queued
      m.queue.push_back(Delta{DeltaType::kSync, obj});  // not transformed
    }
    return true;
  }
  void apply(Model& m) const override { Resync(m); }
  void run(const Model& m0, Sut& sut) const override {
    Model probe = m0;
    const bool want_ok = Resync(probe);
    absl::Status s = sut.fifo->Resync();
    RC_ASSERT(s.ok() == want_ok);
    if (!s.ok()) RC_ASSERT(IsKeyError(s));
    CheckState(nextState(m0), sut);
  }
  void show(std::ostream& os) const override { os << "Resync()"; }
};

// Bookmark (R8).
class BookmarkCmd : public Command {
 public:
  BookmarkCmd() : rv_(*GenRv()) {}
  void apply(Model& m) const override {
    if (m.cfg.bookmarks) {
      m.queue.push_back(Delta{DeltaType::kBookmark, Item::Bookmark(absl::StrCat(rv_))});
    }
  }
  void run(const Model& m0, Sut& sut) const override {
    RC_ASSERT(sut.fifo->Bookmark(absl::StrCat(rv_)).ok());
    CheckState(nextState(m0), sut);
  }
  void show(std::ostream& os) const override { os << "Bookmark(" << rv_ << ")"; }

 private:
  int rv_;
};

// What a pop adds re-entrantly from inside its callback, when unlocked.
Item ReentrantObj(int serial) { return Obj("r", 1000 + serial); }

// Shared tail of Pop and PopBatch in the model: the re-entrant Add happens
// while processing, i.e. before the initial count is reduced (R9, R10).
void ModelAfterPop(Model& m, const std::vector<Delta>& popped, bool reenter) {
  m.queue.erase(m.queue.begin(), m.queue.begin() + static_cast<std::ptrdiff_t>(popped.size()));
  if (reenter) {
    m.populated = true;
    m.CheckSynced();
    m.queue.push_back(Delta{DeltaType::kAdded, Transformed(ReentrantObj(m.reentrant_serial))});
    ++m.reentrant_serial;
  }
  if (m.count > 0) {
    m.count -= static_cast<int64_t>(popped.size());
    m.CheckSynced();
  }
  if (!m.cfg.atomic) {
    for (const Delta& d : popped) ApplyToStore(m.known, d);
  }
}

// Pop (R9), via TryPop.
class PopCmd : public Command {
 public:
  PopCmd() : reenter_(*rc::gen::arbitrary<bool>()) {}
  bool Reenters(const Model& m) const { return reenter_ && m.UnlockedAfter(1); }
  void apply(Model& m) const override {
    if (m.queue.empty()) return;
    ModelAfterPop(m, {m.queue.front()}, Reenters(m));
  }
  void run(const Model& m0, Sut& sut) const override {
    std::vector<Delta> got;
    bool initial = false;
    bool synced_inside = false;
    bool reentrant_ok = true;
    const bool unlocked = !m0.queue.empty() && m0.UnlockedAfter(1);
    // No RC_ASSERT inside callbacks: it throws, and the queue's code is not
    // written for exceptions.
    PopResult r = sut.fifo->TryPop([&](const Deltas& d, bool in_initial) {
      got.assign(d.begin(), d.end());
      initial = in_initial;
      if (unlocked) {
        synced_inside = sut.fifo->HasSynced();
        if (Reenters(m0)) reentrant_ok = sut.fifo->Add(ReentrantObj(m0.reentrant_serial)).ok();
      }
      return absl::OkStatus();
    });
    RC_ASSERT(reentrant_ok);
    if (m0.queue.empty()) {
      RC_ASSERT(r.outcome == (m0.closed ? PopOutcome::kClosed : PopOutcome::kEmpty));
    } else {
      RC_ASSERT(r.outcome == PopOutcome::kPopped);
      RC_ASSERT(Canonical(got) == Canonical(std::vector<Delta>{m0.queue.front()}));
      RC_ASSERT(initial == !m0.synced);
      // R9: never synced while an initial delta is still being processed.
      if (unlocked) RC_ASSERT(synced_inside == m0.synced);
      if (!m0.cfg.atomic) {
        for (const Delta& d : got) ApplyToStore(sut.known.items, d);
      }
    }
    CheckState(nextState(m0), sut);
  }
  void show(std::ostream& os) const override { os << "Pop(reenter=" << reenter_ << ")"; }

 private:
  bool reenter_;
};

// The model's batch (R10).
std::vector<Delta> ExpectedBatch(const Model& m) {
  std::vector<Delta> batch;
  std::set<std::string> keys;
  for (size_t i = 0; i < m.queue.size() && i < m.cfg.batch_size; ++i) {
    if (m.count > 0 && static_cast<int64_t>(i) >= m.count) break;
    const Delta& d = m.queue[i];
    if (!IsBatchable(d.type)) {
      if (batch.empty()) batch.push_back(d);
      break;
    }
    std::optional<std::string> k = m.Key(d.object);
    if (!k.has_value()) {
      batch.push_back(d);
      break;
    }
    if (!keys.insert(*k).second) break;
    batch.push_back(d);
  }
  return batch;
}

// PopBatch (R10), via TryPopBatch.
class PopBatchCmd : public Command {
 public:
  PopBatchCmd() : reenter_(*rc::gen::arbitrary<bool>()) {}
  void apply(Model& m) const override {
    if (m.queue.empty()) return;
    const std::vector<Delta> batch = ExpectedBatch(m);
    ModelAfterPop(m, batch, reenter_ && m.UnlockedAfter(batch.size()));
  }
  void run(const Model& m0, Sut& sut) const override {
    const std::vector<Delta> want = ExpectedBatch(m0);
    const bool unlocked = !m0.queue.empty() && m0.UnlockedAfter(want.size());
    std::vector<Delta> got;
    bool initial = false;
    bool synced_inside = false;
    bool reentrant_ok = true;
    int batch_calls = 0, single_calls = 0;
    auto inside = [&](bool in_initial) {
      initial = in_initial;
      if (unlocked) {
        synced_inside = sut.fifo->HasSynced();
        if (reenter_) reentrant_ok = sut.fifo->Add(ReentrantObj(m0.reentrant_serial)).ok();
      }
    };
    PopResult r = sut.fifo->TryPopBatch(
        [&](absl::Span<const Delta> deltas, bool in_initial) {
          ++batch_calls;
          got.assign(deltas.begin(), deltas.end());
          inside(in_initial);
          return absl::OkStatus();
        },
        [&](const Deltas& d, bool in_initial) {
          ++single_calls;
          got.assign(d.begin(), d.end());
          inside(in_initial);
          return absl::OkStatus();
        });
    RC_ASSERT(reentrant_ok);
    if (m0.queue.empty()) {
      RC_ASSERT(r.outcome == (m0.closed ? PopOutcome::kClosed : PopOutcome::kEmpty));
      RC_ASSERT(batch_calls + single_calls == 0);
    } else {
      RC_ASSERT(r.outcome == PopOutcome::kPopped);
      RC_ASSERT(Canonical(got) == Canonical(want));
      RC_ASSERT(single_calls == (want.size() == 1 ? 1 : 0));
      RC_ASSERT(batch_calls == (want.size() == 1 ? 0 : 1));
      RC_ASSERT(initial == !m0.synced);
      if (unlocked) RC_ASSERT(synced_inside == m0.synced);
      if (!m0.cfg.atomic) {
        for (const Delta& d : got) ApplyToStore(sut.known.items, d);
      }
    }
    CheckState(nextState(m0), sut);
  }
  void show(std::ostream& os) const override { os << "PopBatch(reenter=" << reenter_ << ")"; }

 private:
  bool reenter_;
};

class CloseCmd : public Command {
 public:
  void apply(Model& m) const override { m.closed = true; }
  void run(const Model& m0, Sut& sut) const override {
    sut.fifo->Close();
    CheckState(nextState(m0), sut);
  }
  void show(std::ostream& os) const override { os << "Close()"; }
};

// Makes the key function fail (or work again) for one name, so that queued
// deltas can meet a key error in PopBatch, Replace and Resync.
class ToggleKeyCmd : public Command {
 public:
  ToggleKeyCmd() : name_(*GenName()) {}
  void apply(Model& m) const override {
    if (!m.broken.erase(name_)) m.broken.insert(name_);
  }
  void run(const Model& m0, Sut& sut) const override {
    if (!sut.broken->erase(name_)) sut.broken->insert(name_);
    CheckState(nextState(m0), sut);
  }
  void show(std::ostream& os) const override { os << "ToggleKey(" << name_ << ")"; }

 private:
  std::string name_;
};

void CheckAgainstModel(const Config& cfg) {
  Model initial;
  initial.cfg = cfg;
  Sut sut(cfg);
  // Repeated entries make events, relists and pops more frequent than the
  // rarer operations.
  rc::state::check(initial, sut,
                   rc::state::gen::execOneOfWithArgs<EventCmd, EventCmd, EventCmd, ReplaceCmd,
                                                     ReplaceCmd, ResyncCmd, BookmarkCmd, PopCmd,
                                                     PopCmd, PopBatchCmd, PopBatchCmd, CloseCmd,
                                                     ToggleKeyCmd>());
}

RC_GTEST_PROP(RealFIFOPropertyTest, NonAtomicMatchesModel, ()) {
  Config cfg;
  cfg.atomic = false;
  cfg.batch_size = static_cast<size_t>(*rc::gen::inRange(1, 5));
  CheckAgainstModel(cfg);
}

RC_GTEST_PROP(RealFIFOPropertyTest, AtomicMatchesModel, ()) {
  Config cfg;
  cfg.atomic = true;
  cfg.unlock = *rc::gen::arbitrary<bool>();
  cfg.bookmarks = *rc::gen::arbitrary<bool>();
  cfg.batch_size = static_cast<size_t>(*rc::gen::inRange(1, 5));
  CheckAgainstModel(cfg);
}

}  // namespace
}  // namespace informersim
