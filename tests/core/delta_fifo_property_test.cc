// RapidCheck stateful property test of DeltaFIFO against a small reference
// model (rules D2-D11, invariant INV10).
//
// The model is client-go's algorithm written as plainly as possible: a
// vector of keys in queue order and a std::map from key to its deltas. Random
// sequences of Add / Update / Delete / Replace / Resync / TryPop / Close /
// AddIfNotPresent run against both. The known objects are a small store
// that every successful pop updates, as an informer's indexer is; some keys'
// lookups may be made to fail. After every command the test checks:
//   - the queued keys, in order, equal the model's: no duplicates, a key is
//     queued iff it has deltas, pop order is first-enqueue order (INV10);
//   - every queued Deltas equals the model's and has no two adjacent Deleted;
//   - a pop returns exactly the model's Deltas, is_in_initial_list and status;
//   - HasSynced and IsClosed equal the model's, and when a first Replace
//     populated the queue, HasSynced turns true exactly after
//     initialPopulationCount pops that the queue reported as initial.
// Profiles: with or without known objects, with or without legacy_requeue
// (D9), and, drawn per run, EmitDeltaTypeReplaced and a transformer.
#include <map>
#include <memory>
#include <optional>
#include <ostream>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "core/delta_fifo.h"
#include "core/errors.h"
#include "gtest/gtest.h"
#include "rapidcheck.h"
#include "rapidcheck/gtest.h"
#include "rapidcheck/state.h"

namespace informersim {
namespace {

const std::vector<std::string>& AllKeys() {
  static const auto* keys = new std::vector<std::string>{"a", "b", "c", "d", "e", "f"};
  return *keys;
}

Item Obj(const std::string& name, int rv, int generation = 0) {
  api::Object o;
  o.mutable_metadata()->set_name(name);
  o.mutable_metadata()->set_resource_version(absl::StrCat(rv));
  o.mutable_metadata()->set_generation(generation);
  return Item(MakeObject(std::move(o)));
}

absl::StatusOr<std::string> TestKeyFunc(const Item& item) {
  if (item.meta() == nullptr) return absl::InvalidArgumentError("not a test object");
  return item.meta()->name();
}

// The transformer of the runs that have one: bumps the generation.
absl::StatusOr<Item> Bump(Item obj) {
  api::Object copy = *obj.object();
  copy.mutable_metadata()->set_generation(copy.metadata().generation() + 1);
  return Item(MakeObject(std::move(copy)));
}

std::string KeyOfItem(const Item& item) {
  return item.is_tombstone() ? item.tombstone().key : item.meta()->name();
}

std::string ObjString(const ObjectPtr& obj) {
  if (obj == nullptr) return "nil";
  return absl::StrCat(obj->metadata().name(), "@", obj->metadata().resource_version(), "#",
                      obj->metadata().generation());
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
  return absl::StrCat("[",
                      absl::StrJoin(deltas, ", ",
                                    [](std::string* out, const Delta& d) {
                                      absl::StrAppend(out, DeltaTypeName(d.type), " ",
                                                      Render(d.object));
                                    }),
                      "]");
}

bool HasAdjacentDeletes(const Deltas& deltas) {
  for (size_t i = 1; i < deltas.size(); ++i) {
    if (deltas[i - 1].type == DeltaType::kDeleted && deltas[i].type == DeltaType::kDeleted) {
      return true;
    }
  }
  return false;
}

// The known objects: a sorted map, so ListKeys order is fixed. Lookups of
// keys in `failing` fail.
struct KnownState {
  std::map<std::string, Item> objects;
  std::set<std::string> failing;

  // What an informer does with a popped Deltas (C3, without handlers).
  void Apply(const Deltas& deltas) {
    for (const Delta& d : deltas) {
      if (d.type == DeltaType::kDeleted) {
        objects.erase(KeyOfItem(d.object));
      } else {
        objects[KeyOfItem(d.object)] = d.object;
      }
    }
  }
  std::string Render() const {
    std::vector<std::string> parts;
    for (const auto& [k, v] : objects) parts.push_back(absl::StrCat(k, "=", ::informersim::Render(v)));
    return absl::StrJoin(parts, " ");
  }
};

class KnownStore : public KeyListerGetter {
 public:
  KnownState state;
  std::vector<std::string> ListKeys() const override {
    std::vector<std::string> keys;
    for (const auto& [k, v] : state.objects) keys.push_back(k);
    return keys;
  }
  absl::StatusOr<std::optional<Item>> GetByKey(absl::string_view key) const override {
    if (state.failing.count(std::string(key)) > 0) return absl::UnavailableError("lookup failed");
    auto it = state.objects.find(std::string(key));
    if (it == state.objects.end()) return std::optional<Item>();
    return std::optional<Item>(it->second);
  }
};

// What the process callback of a pop does.
enum class ProcessReply { kOk, kFail, kRequeue };

// ---------------------------------------------------------------------------
// The reference model: client-go's DeltaFIFO, plainly.

struct Model {
  // Configuration, fixed per run.
  bool with_known = false;
  bool legacy = false;
  bool emit_replaced = false;
  bool transform = false;

  std::vector<std::string> order;                  // queue, no duplicates
  std::map<std::string, std::vector<Delta>> items;  // key -> deltas
  bool populated = false;
  bool synced = false;
  bool closed = false;
  int initial_population_count = 0;
  KnownState known;
  // INV10 bookkeeping: the first population was a Replace owing this many pops.
  bool populated_by_replace = false;
  int replace_owed_pops = 0;

  bool Queued(const std::string& key) const { return items.count(key) > 0; }

  void CheckSynced() {
    if (populated && initial_population_count == 0) synced = true;
  }

  Item MaybeTransform(const Item& obj) const {
    return transform && !obj.is_tombstone() ? *Bump(obj) : obj;
  }

  void QueueAction(DeltaType type, const Item& obj) {
    const std::string key = KeyOfItem(obj);
    if (!Queued(key)) order.push_back(key);
    std::vector<Delta>& deltas = items[key];
    deltas.push_back(Delta{type, obj});
    const size_t n = deltas.size();
    if (n >= 2 && deltas[n - 1].type == DeltaType::kDeleted &&
        deltas[n - 2].type == DeltaType::kDeleted) {
      if (deltas[n - 2].object.is_tombstone()) deltas[n - 2] = deltas[n - 1];
      deltas.pop_back();
    }
  }

  void Add(DeltaType type, const Item& obj) {
    populated = true;
    CheckSynced();
    QueueAction(type, MaybeTransform(obj));
  }

  void Delete(const Item& obj) {
    const std::string key = KeyOfItem(obj);
    populated = true;
    CheckSynced();
    if (!with_known) {
      if (!Queued(key)) return;
    } else {
      const bool lookup_failed = known.failing.count(key) > 0;
      const bool exists = known.objects.count(key) > 0;
      if (!lookup_failed && !exists && !Queued(key)) return;
    }
    QueueAction(DeltaType::kDeleted, MaybeTransform(obj));
  }

  void Replace(const std::vector<Item>& list) {
    const DeltaType action = emit_replaced ? DeltaType::kReplaced : DeltaType::kSync;
    std::set<std::string> keys;
    for (const Item& item : list) {
      keys.insert(KeyOfItem(item));
      QueueAction(action, MaybeTransform(item));
    }
    int queued_deletions = 0;
    const std::vector<std::string> queued = order;
    for (const std::string& k : queued) {
      if (keys.count(k) > 0) continue;
      const Item& newest = items[k].back().object;
      ObjectPtr obj = newest.is_tombstone() ? newest.tombstone().obj : newest.object();
      ++queued_deletions;
      QueueAction(DeltaType::kDeleted, Item::Tombstone(k, obj));
    }
    if (with_known) {
      const std::map<std::string, Item> snapshot = known.objects;
      for (const auto& [k, obj] : snapshot) {
        if (keys.count(k) > 0 || Queued(k)) continue;
        ObjectPtr last;
        if (known.failing.count(k) == 0) last = obj.object();
        ++queued_deletions;
        QueueAction(DeltaType::kDeleted, Item::Tombstone(k, last));
      }
    }
    if (!populated) {
      populated = true;
      initial_population_count = static_cast<int>(keys.size()) + queued_deletions;
      populated_by_replace = true;
      replace_owed_pops = initial_population_count;
      CheckSynced();
    }
  }

  void Resync() {
    if (!with_known) return;
    const std::map<std::string, Item> snapshot = known.objects;
    for (const auto& [k, obj] : snapshot) {
      if (known.failing.count(k) > 0) continue;
      if (Queued(k)) continue;
      QueueAction(DeltaType::kSync, obj);
    }
  }

  void AddIfNotPresent(const std::vector<Delta>& deltas) {
    const std::string key = KeyOfItem(deltas.back().object);
    populated = true;
    CheckSynced();
    if (Queued(key)) return;
    order.push_back(key);
    items[key] = deltas;
  }

  struct PopOutput {
    PopOutcome outcome = PopOutcome::kEmpty;
    std::string deltas;
    bool initial = false;
    bool status_ok = true;
    std::string status_message;
  };

  PopOutput Pop(ProcessReply reply) {
    PopOutput out;
    if (order.empty()) {
      out.outcome = closed ? PopOutcome::kClosed : PopOutcome::kEmpty;
      return out;
    }
    out.outcome = PopOutcome::kPopped;
    out.initial = !synced;
    const std::string key = order.front();
    order.erase(order.begin());
    std::vector<Delta> deltas = items[key];
    items.erase(key);
    if (initial_population_count > 0) --initial_population_count;
    Deltas as_deltas(deltas.begin(), deltas.end());
    out.deltas = Render(as_deltas);
    switch (reply) {
      case ProcessReply::kOk:
        known.Apply(as_deltas);
        break;
      case ProcessReply::kFail:
        out.status_ok = false;
        out.status_message = "process failed";
        break;
      case ProcessReply::kRequeue:
        if (legacy) {
          AddIfNotPresent(deltas);  // inner status OK
        } else {
          out.status_ok = false;
          out.status_message = "the popped item should be requeued without returning an error";
        }
        break;
    }
    CheckSynced();
    return out;
  }
};

// The system under test, fresh for every run of the property.
struct Sut {
  explicit Sut(const Model& m) {
    known.state = m.known;
    DeltaFIFOOptions options;
    options.key_function = TestKeyFunc;
    options.known_objects = m.with_known ? &known : nullptr;
    options.emit_delta_type_replaced = m.emit_replaced;
    options.legacy_requeue = m.legacy;
    if (m.transform) options.transformer = Bump;
    fifo = std::make_unique<DeltaFIFO>(std::move(options));
  }
  KnownStore known;
  std::unique_ptr<DeltaFIFO> fifo;
  // Pops the queue reported as initial since a first Replace populated it.
  int observed_initial_pops = 0;
};

void CheckMatches(const Model& m, Sut& sut) {
  RC_ASSERT(sut.fifo->ListKeys() == m.order);
  RC_ASSERT(sut.fifo->size() == m.order.size());
  RC_ASSERT(sut.fifo->HasPending() == !m.order.empty());
  for (const std::string& key : AllKeys()) {
    const std::optional<Deltas> got = sut.fifo->GetDeltasByKey(key);
    auto it = m.items.find(key);
    if (it == m.items.end()) {
      RC_ASSERT(!got.has_value());
      continue;
    }
    RC_ASSERT(got.has_value());
    RC_ASSERT(!got->empty());
    RC_ASSERT(!HasAdjacentDeletes(*got));
    RC_ASSERT(Render(*got) == Render(Deltas(it->second.begin(), it->second.end())));
  }
  RC_ASSERT(sut.fifo->HasSynced() == m.synced);
  RC_ASSERT(sut.fifo->IsClosed() == m.closed);
  RC_ASSERT(sut.known.state.Render() == m.known.Render());
}

using Cmd = rc::state::Command<Model, Sut>;

// Runs `apply` on a copy of the model, then checks the queue against it.
#define INFORMERSIM_CHECK_AFTER(m, sut)     \
  Model next = m;                           \
  apply(next);                              \
  CheckMatches(next, sut)

Item GenObject() {
  return Obj(*rc::gen::elementOf(AllKeys()), *rc::gen::inRange(1, 100));
}

struct AddCmd : Cmd {
  DeltaType type = *rc::gen::element(DeltaType::kAdded, DeltaType::kUpdated);
  Item obj = GenObject();
  void apply(Model& m) const override { m.Add(type, obj); }
  void run(const Model& m, Sut& sut) const override {
    const absl::Status s =
        type == DeltaType::kAdded ? sut.fifo->Add(obj) : sut.fifo->Update(obj);
    RC_ASSERT(s.ok());
    INFORMERSIM_CHECK_AFTER(m, sut);
  }
  void show(std::ostream& os) const override {
    os << (type == DeltaType::kAdded ? "Add(" : "Update(") << Render(obj) << ")";
  }
};

struct DeleteCmd : Cmd {
  Item obj = *rc::gen::weightedOneOf<Item>(
      {{4, rc::gen::exec(GenObject)},
       {1, rc::gen::exec([] {
          return Item::Tombstone(*rc::gen::elementOf(AllKeys()), nullptr);
        })}});
  void apply(Model& m) const override { m.Delete(obj); }
  void run(const Model& m, Sut& sut) const override {
    RC_ASSERT(sut.fifo->Delete(obj).ok());
    INFORMERSIM_CHECK_AFTER(m, sut);
  }
  void show(std::ostream& os) const override { os << "Delete(" << Render(obj) << ")"; }
};

struct ReplaceCmd : Cmd {
  std::vector<Item> list = [] {
    std::vector<Item> l;
    const int n = *rc::gen::inRange(0, 7);
    for (int i = 0; i < n; ++i) l.push_back(GenObject());
    return l;
  }();
  void apply(Model& m) const override { m.Replace(list); }
  void run(const Model& m, Sut& sut) const override {
    RC_ASSERT(sut.fifo->Replace(list, "rv").ok());
    INFORMERSIM_CHECK_AFTER(m, sut);
  }
  void show(std::ostream& os) const override {
    os << "Replace([";
    for (const Item& i : list) os << Render(i) << " ";
    os << "])";
  }
};

struct ResyncCmd : Cmd {
  void apply(Model& m) const override { m.Resync(); }
  void run(const Model& m, Sut& sut) const override {
    RC_ASSERT(sut.fifo->Resync().ok());
    INFORMERSIM_CHECK_AFTER(m, sut);
  }
  void show(std::ostream& os) const override { os << "Resync()"; }
};

struct PopCmd : Cmd {
  ProcessReply reply = *rc::gen::weightedElement<ProcessReply>(
      {{6, ProcessReply::kOk}, {1, ProcessReply::kFail}, {2, ProcessReply::kRequeue}});
  void apply(Model& m) const override { m.Pop(reply); }
  void run(const Model& m, Sut& sut) const override {
    Model next = m;
    const Model::PopOutput expected = next.Pop(reply);
    bool initial = false;
    bool called = false;
    Deltas popped;
    const PopResult r = sut.fifo->TryPop(
        [&](const Deltas& d, bool is_in_initial_list) {
          called = true;
          initial = is_in_initial_list;
          switch (reply) {
            case ProcessReply::kOk:
              sut.known.state.Apply(d);  // under the queue's lock, as informers do
              return absl::OkStatus();
            case ProcessReply::kFail:
              return absl::InternalError("process failed");
            case ProcessReply::kRequeue:
              return RequeueError(absl::OkStatus());
          }
          return absl::OkStatus();
        },
        &popped);
    RC_ASSERT(r.outcome == expected.outcome);
    RC_ASSERT(called == (expected.outcome == PopOutcome::kPopped));
    if (r.outcome == PopOutcome::kPopped) {
      RC_ASSERT(!HasAdjacentDeletes(popped));
      RC_ASSERT(Render(popped) == expected.deltas);
      RC_ASSERT(initial == expected.initial);
      RC_ASSERT(r.process_status.ok() == expected.status_ok);
      RC_ASSERT(std::string(r.process_status.message()) == expected.status_message);
      // INV10: a first Replace is handed out by exactly its count of pops.
      if (m.populated_by_replace && initial) ++sut.observed_initial_pops;
      if (m.populated_by_replace && !m.synced && sut.fifo->HasSynced()) {
        RC_ASSERT(sut.observed_initial_pops == m.replace_owed_pops);
      }
    }
    CheckMatches(next, sut);
  }
  void show(std::ostream& os) const override {
    os << "TryPop("
       << (reply == ProcessReply::kOk ? "ok" : reply == ProcessReply::kFail ? "fail" : "requeue")
       << ")";
  }
};

struct CloseCmd : Cmd {
  // Rare, so that most runs keep exercising an open queue.
  explicit CloseCmd(const Model&) { RC_PRE(*rc::gen::inRange(0, 8) == 0); }
  void apply(Model& m) const override { m.closed = true; }
  void run(const Model& m, Sut& sut) const override {
    sut.fifo->Close();
    INFORMERSIM_CHECK_AFTER(m, sut);
  }
  void show(std::ostream& os) const override { os << "Close()"; }
};

struct AddIfNotPresentCmd : Cmd {
  std::vector<Delta> deltas = [] {
    const std::string key = *rc::gen::elementOf(AllKeys());
    std::vector<Delta> d;
    const int n = *rc::gen::inRange(1, 4);
    for (int i = 0; i < n; ++i) {
      const DeltaType type = *rc::gen::element(DeltaType::kAdded, DeltaType::kUpdated,
                                               DeltaType::kSync, DeltaType::kDeleted);
      // Popped Deltas never hold adjacent deletes; neither do these.
      if (type == DeltaType::kDeleted && !d.empty() && d.back().type == DeltaType::kDeleted) {
        continue;
      }
      d.push_back(Delta{type, Obj(key, *rc::gen::inRange(1, 100))});
    }
    return d;
  }();
  void apply(Model& m) const override { m.AddIfNotPresent(deltas); }
  void run(const Model& m, Sut& sut) const override {
    RC_ASSERT(sut.fifo->AddIfNotPresent(Deltas(deltas.begin(), deltas.end())).ok());
    INFORMERSIM_CHECK_AFTER(m, sut);
  }
  void show(std::ostream& os) const override {
    os << "AddIfNotPresent(" << Render(Deltas(deltas.begin(), deltas.end())) << ")";
  }
};

void RunProperty(bool with_known, bool legacy) {
  Model initial;
  initial.with_known = with_known;
  initial.legacy = legacy;
  initial.emit_replaced = *rc::gen::arbitrary<bool>();
  initial.transform = *rc::gen::weightedElement<bool>({{3, false}, {1, true}});
  if (with_known) {
    for (const std::string& key : AllKeys()) {
      if (*rc::gen::arbitrary<bool>()) initial.known.objects[key] = Obj(key, 0);
    }
    // Sometimes one key's lookups fail (D4, D5 step 3, D7).
    if (*rc::gen::weightedElement<bool>({{2, false}, {1, true}})) {
      initial.known.failing.insert(*rc::gen::elementOf(AllKeys()));
    }
  }
  Sut sut(initial);
  CheckMatches(initial, sut);
  if (legacy) {
    rc::state::check(initial, sut,
                     rc::state::gen::execOneOfWithArgs<AddCmd, DeleteCmd, ReplaceCmd, ResyncCmd,
                                                       PopCmd, PopCmd, CloseCmd,
                                                       AddIfNotPresentCmd>());
  } else {
    rc::state::check(initial, sut,
                     rc::state::gen::execOneOfWithArgs<AddCmd, DeleteCmd, ReplaceCmd, ResyncCmd,
                                                       PopCmd, PopCmd, CloseCmd>());
  }
}

RC_GTEST_PROP(DeltaFIFOProperty, MatchesModelWithoutKnownObjects, ()) {
  RunProperty(/*with_known=*/false, /*legacy=*/false);
}

RC_GTEST_PROP(DeltaFIFOProperty, MatchesModelWithKnownObjects, ()) {
  RunProperty(/*with_known=*/true, /*legacy=*/false);
}

RC_GTEST_PROP(DeltaFIFOProperty, LegacyRequeueMatchesModelWithoutKnownObjects, ()) {
  RunProperty(/*with_known=*/false, /*legacy=*/true);
}

RC_GTEST_PROP(DeltaFIFOProperty, LegacyRequeueMatchesModelWithKnownObjects, ()) {
  RunProperty(/*with_known=*/true, /*legacy=*/true);
}

}  // namespace
}  // namespace informersim
