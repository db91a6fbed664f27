// Queue + indexer benchmarks W3 (Replace) and W5 (Pipeline, serial) of the
// benchmark workload document, for DeltaFIFO (the CLASSIC informer queue) and,
// as additional variants that the document does not define, for RealFIFO.
//
// W3 Replace: the known objects are an Indexer (DeletionHandlingMetaNamespace
// key function, as informers use, and the "namespace" index) holding objects
// i in [0, 100000) at RV 1. It is built once, before timing, and only read by
// the queues. The list is i in [10000, 110000) at RV 2, ascending. Each
// iteration builds a fresh queue and a copy of the list (both untimed), then
// times Replace(list, "2") and the drain with a no-op callback:
//   - BM_W3_Replace_DeltaFIFO: known objects = the Indexer, Replaced deltas
//     on (as informers configure it). Replace queues 100,000 Replaced deltas
//     and 10,000 Deleted(DeletedFinalStateUnknown) for i in [0, 10000) (D5);
//     the drain is 110,000 Pops.
//   - BM_W3_Replace_RealFIFO (additional), atomic:0: non-atomic with the
//     Indexer as known objects; Replace queues the 10,000 tombstones first,
//     then the 100,000 Replaced deltas (R4); the drain is 110,000 Pops.
//     atomic:1: the CURRENT informer queue (atomic events,
//     UnlockWhileProcessing, bookmarks, no known objects); Replace queues ONE
//     ReplacedAll delta holding the list (R5) and the drain is one Pop. The
//     reconciliation against the indexer that non-atomic Replace does here
//     then happens in the consumer (client-go processReplacedAllInfo), which a
//     no-op callback does not do: the figures are not comparable with the
//     other W3 rows.
//   Counters: ms_Replace, ms_drain, ms_total, per iteration.
//
// W5 Pipeline (serial): 10,000 keys x 10 versions as in W2 (version r of key
// i has RV 1 + r*10000 + i). Each iteration builds (untimed) a fresh Indexer
// with the namespace index and a fresh queue whose known objects are that
// Indexer. Timed: round 0 Adds version 0 of every key, rounds 1..8 Update,
// round 9 Deletes; after each round's 10,000 writes, 10,000 Pops whose
// callback applies each delta to the Indexer as the informer does without
// handlers (client-go processDeltas): Sync/Replaced/Added/Updated -> Get, then
// Update if the key exists, else Add; Deleted -> Delete. 100,000 events; the
// Indexer ends empty (checked untimed).
//   - BM_W5_Pipeline_DeltaFIFO: CLASSIC shape (known objects = the Indexer,
//     Replaced deltas on). Round 9's Deletes are accepted because the keys
//     are known to the Indexer (D4).
//   - BM_W5_Pipeline_RealFIFO (additional): atomic:0 is non-atomic with the
//     Indexer as known objects; atomic:1 is the CURRENT queue (atomic,
//     UnlockWhileProcessing, bookmarks; no known objects). Each Pop carries
//     one delta (R1).
//   Counters: ns_per_write (queue Add/Update/Delete), ns_per_pop_apply (Pop
//   with the indexer write), ns_per_event (both, over 100,000 events) and
//   events_per_s.
//
// Freeing: each popped Deltas is released inside Pop and every object the
// Indexer drops is released inside its Update/Delete (timed, as Go drops the
// references; the objects themselves stay alive in the prebuilt workload).
// Replace frees its consumed list vector (timed). The drained queue (and in
// W5 the emptied Indexer) is destroyed untimed with free:0 and inside the
// timed drain with free:1, the closest counterpart of Go's collector running.
//
// All phase counters use this thread's CPU time (user + system), as the other
// queue benchmarks do: the machines are shared, and wall time there includes
// time spent descheduled.

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "benchmark/benchmark.h"
#include "bench/workload.h"
#include "core/cache.h"
#include "core/delta_fifo.h"
#include "core/index.h"
#include "core/keys.h"
#include "core/real_fifo.h"

namespace informersim {
namespace bench {
namespace {



constexpr int64_t kW3Known = 100000;       // known objects i in [0, 100000)
constexpr int64_t kW3ListBegin = 10000;    // the list: i in [10000, 110000)
constexpr int64_t kW3ListEnd = 110000;
constexpr int64_t kW3Deleted = kW3ListBegin;  // tombstones for i in [0, 10000)
constexpr int64_t kW3Pops = (kW3ListEnd - kW3ListBegin) + kW3Deleted;
constexpr int64_t kW5Keys = 10000;
constexpr int64_t kW5Versions = 10;
constexpr int64_t kW5Events = kW5Keys * kW5Versions;
constexpr int kIterations = 20;

std::unique_ptr<Cache> FreshIndexer() {
  return NewIndexer(DeletionHandlingMetaNamespaceKeyFunc,
                    Indexers{{std::string(kNamespaceIndex), NamespaceOf}});
}

// The W3 known objects, or null if building them failed; built on first
// use, which is before any timing.
const Cache* W3Known() {
  static const Cache* indexer = [] {
    std::unique_ptr<Cache> c = FreshIndexer();
    for (const Item& item : WorkloadItems(0, kW3Known, 1)) {
      if (!c->Add(item).ok()) return static_cast<Cache*>(nullptr);
    }
    return c.release();
  }();
  return indexer;
}

const std::vector<Item>& W3List() {
  static const auto* list = new std::vector<Item>(WorkloadItems(kW3ListBegin, kW3ListEnd, 2));
  return *list;
}

// Version r of key i, r-major: the order the rounds write them.
const std::vector<Item>& W5Objects() {
  static const auto* objects = [] {
    auto* v = new std::vector<Item>();
    v->reserve(kW5Events);
    for (int64_t r = 0; r < kW5Versions; ++r) {
      for (int64_t i = 0; i < kW5Keys; ++i) v->emplace_back(WorkloadObject(i, 1 + r * kW5Keys + i));
    }
    return v;
  }();
  return *objects;
}

std::unique_ptr<DeltaFIFO> ClassicDeltaFIFO(const KeyListerGetter* known) {
  DeltaFIFOOptions o;
  o.known_objects = known;
  o.emit_delta_type_replaced = true;
  return std::make_unique<DeltaFIFO>(std::move(o));
}

// atomic: the CURRENT informer queue; otherwise non-atomic over `known`.
std::unique_ptr<RealFIFO> NewRealFIFO(bool atomic, const KeyListerGetter* known) {
  RealFIFOOptions o;
  o.atomic_events = atomic;
  o.unlock_while_processing = atomic;
  o.emit_delta_type_bookmark = atomic;
  o.known_objects = atomic ? nullptr : known;
  absl::StatusOr<std::unique_ptr<RealFIFO>> f = RealFIFO::Create(std::move(o));
  return f.ok() ? *std::move(f) : nullptr;
}

// ---------------------------------------------------------------- W3 -----

struct W3Times {
  double replace_ns = 0;
  double drain_ns = 0;
};

void SetW3Counters(benchmark::State& state, const W3Times& t) {
  const double iters = static_cast<double>(state.iterations());
  state.counters["ms_Replace"] = t.replace_ns / iters / 1e6;
  state.counters["ms_drain"] = t.drain_ns / iters / 1e6;
  state.counters["ms_total"] = (t.replace_ns + t.drain_ns) / iters / 1e6;
}

// One untimed run, to check that Replace queues what W3 says it should:
// `replaced` Replaced (or ReplacedAll) deltas and `deleted` Deleted ones.
template <typename Queue>
bool W3QueuesExpectedDeltas(Queue* queue, int64_t pops, int64_t replaced, int64_t deleted) {
  if (!queue->Replace(W3List(), "2").ok()) return false;
  int64_t got_replaced = 0, got_deleted = 0, got_pops = 0;
  auto count = [&](const Deltas& deltas, bool) {
    for (const Delta& d : deltas) {
      if (d.type == DeltaType::kReplaced || d.type == DeltaType::kReplacedAll) ++got_replaced;
      if (d.type == DeltaType::kDeleted && d.object.is_tombstone()) ++got_deleted;
    }
    return absl::OkStatus();
  };
  while (queue->TryPop(count).outcome == PopOutcome::kPopped) ++got_pops;
  return got_pops == pops && got_replaced == replaced && got_deleted == deleted;
}

// The timed part of W3, for any queue: Replace the list, then `pops` pops
// with a no-op callback. `make_queue` builds a fresh queue (untimed).
template <typename MakeQueue>
void RunW3(benchmark::State& state, MakeQueue make_queue, int64_t pops, bool free_timed) {
  W3Times t;
  for (auto _ : state) {
    state.PauseTiming();
    auto fifo = make_queue();
    std::vector<Item> list = W3List();
    state.ResumeTiming();

    const double replace_start = ThreadCpuNs();
    if (!fifo->Replace(std::move(list), "2").ok()) state.SkipWithError("Replace failed");
    t.replace_ns += ThreadCpuNs() - replace_start;

    const double drain_start = ThreadCpuNs();
    for (int64_t i = 0; i < pops; ++i) {
      if (fifo->Pop(NoOpProcess).outcome != PopOutcome::kPopped) state.SkipWithError("Pop failed");
    }
    if (free_timed) fifo.reset();
    t.drain_ns += ThreadCpuNs() - drain_start;

    state.PauseTiming();
    if (fifo != nullptr && fifo->HasPending()) state.SkipWithError("queue not drained");
    fifo.reset();
    state.ResumeTiming();
  }
  SetW3Counters(state, t);
}

void BM_W3_Replace_DeltaFIFO(benchmark::State& state) {
  const bool free_timed = state.range(0) != 0;
  const Cache* known = W3Known();
  if (known == nullptr ||
      !W3QueuesExpectedDeltas(ClassicDeltaFIFO(known).get(), kW3Pops,
                              kW3ListEnd - kW3ListBegin, kW3Deleted)) {
    state.SkipWithError("Replace queued the wrong deltas");
    return;
  }
  RunW3(state, [known] { return ClassicDeltaFIFO(known); }, kW3Pops, free_timed);
}

// Additional: RealFIFO, non-atomic with known objects (atomic:0) or the
// CURRENT atomic queue (atomic:1).
void BM_W3_Replace_RealFIFO(benchmark::State& state) {
  const bool atomic = state.range(0) != 0;
  const bool free_timed = state.range(1) != 0;
  const Cache* known = W3Known();
  const int64_t pops = atomic ? 1 : kW3Pops;
  if (known == nullptr ||
      !W3QueuesExpectedDeltas(NewRealFIFO(atomic, known).get(), pops,
                              atomic ? 1 : kW3ListEnd - kW3ListBegin,
                              atomic ? 0 : kW3Deleted)) {
    state.SkipWithError("Replace queued the wrong deltas");
    return;
  }
  RunW3(state, [atomic, known] { return NewRealFIFO(atomic, known); }, pops, free_timed);
}

// ---------------------------------------------------------------- W5 -----

// client-go processDeltas without handlers: what the informer does to its
// indexer for each popped delta.
absl::Status ApplyToIndexer(Cache* indexer, const Deltas& deltas) {
  for (const Delta& d : deltas) {
    switch (d.type) {
      case DeltaType::kSync:
      case DeltaType::kReplaced:
      case DeltaType::kAdded:
      case DeltaType::kUpdated: {
        absl::StatusOr<std::optional<Item>> old = indexer->Get(d.object);
        if (!old.ok()) return old.status();
        absl::Status s = old->has_value() ? indexer->Update(d.object) : indexer->Add(d.object);
        if (!s.ok()) return s;
        break;
      }
      case DeltaType::kDeleted: {
        absl::Status s = indexer->Delete(d.object);
        if (!s.ok()) return s;
        break;
      }
      default:
        return absl::InvalidArgumentError("W5 queues no atomic deltas");
    }
  }
  return absl::OkStatus();
}

struct W5Times {
  double write_ns = 0;
  double pop_ns = 0;
};

// The ten rounds of W5 on `fifo`, which must feed `indexer`.
template <typename Queue>
void RunW5(benchmark::State& state, Queue* fifo, Cache* indexer, W5Times* t) {
  const std::vector<Item>& objects = W5Objects();
  auto apply = [indexer](const Deltas& deltas, bool) { return ApplyToIndexer(indexer, deltas); };
  for (int64_t r = 0; r < kW5Versions; ++r) {
    const Item* round = objects.data() + r * kW5Keys;
    const double write_start = ThreadCpuNs();
    for (int64_t i = 0; i < kW5Keys; ++i) {
      absl::Status s = r == 0 ? fifo->Add(round[i])
                       : r == kW5Versions - 1 ? fifo->Delete(round[i])
                                              : fifo->Update(round[i]);
      if (!s.ok()) state.SkipWithError("queue write failed");
    }
    t->write_ns += ThreadCpuNs() - write_start;

    const double pop_start = ThreadCpuNs();
    for (int64_t i = 0; i < kW5Keys; ++i) {
      const PopResult p = fifo->Pop(apply);
      if (p.outcome != PopOutcome::kPopped || !p.process_status.ok()) {
        state.SkipWithError("Pop or apply failed");
      }
    }
    t->pop_ns += ThreadCpuNs() - pop_start;
  }
}

void SetW5Counters(benchmark::State& state, const W5Times& t) {
  const double events = static_cast<double>(state.iterations()) * kW5Events;
  state.counters["ns_per_write"] = t.write_ns / events;
  state.counters["ns_per_pop_apply"] = t.pop_ns / events;
  const double per_event = (t.write_ns + t.pop_ns) / events;
  state.counters["ns_per_event"] = per_event;
  state.counters["events_per_s"] = 1e9 / per_event;
  state.SetItemsProcessed(state.iterations() * kW5Events);
}

// Untimed checks after a W5 run: the queue is drained and the Indexer empty.
template <typename Queue>
void CheckW5End(benchmark::State& state, const Queue& fifo, const Cache& indexer) {
  if (fifo.HasPending()) state.SkipWithError("queue not drained");
  if (!indexer.ListKeys().empty()) state.SkipWithError("indexer not empty");
  if (!indexer.ListIndexFuncValues(kNamespaceIndex).empty()) {
    state.SkipWithError("namespace index not empty");
  }
}

// Every W5 iteration, for any queue over a fresh Indexer: `make_queue`
// builds the queue with that Indexer as known objects (untimed).
template <typename MakeQueue>
void RunW5Iterations(benchmark::State& state, MakeQueue make_queue, bool free_timed) {
  W5Objects();
  W5Times t;
  for (auto _ : state) {
    state.PauseTiming();
    std::unique_ptr<Cache> indexer = FreshIndexer();
    auto fifo = make_queue(indexer.get());
    state.ResumeTiming();

    RunW5(state, fifo.get(), indexer.get(), &t);

    state.PauseTiming();
    CheckW5End(state, *fifo, *indexer);
    state.ResumeTiming();
    if (free_timed) {
      const double free_start = ThreadCpuNs();
      fifo.reset();
      indexer.reset();
      t.pop_ns += ThreadCpuNs() - free_start;
    }
    state.PauseTiming();
    fifo.reset();
    indexer.reset();
    state.ResumeTiming();
  }
  SetW5Counters(state, t);
}

void BM_W5_Pipeline_DeltaFIFO(benchmark::State& state) {
  const bool free_timed = state.range(0) != 0;
  RunW5Iterations(
      state, [](const Cache* indexer) { return ClassicDeltaFIFO(indexer); }, free_timed);
}

// Additional: RealFIFO, non-atomic with the Indexer as known objects
// (atomic:0) or the CURRENT atomic queue (atomic:1).
void BM_W5_Pipeline_RealFIFO(benchmark::State& state) {
  const bool atomic = state.range(0) != 0;
  const bool free_timed = state.range(1) != 0;
  RunW5Iterations(
      state, [atomic](const Cache* indexer) { return NewRealFIFO(atomic, indexer); },
      free_timed);
}

// free:0: the drained structures are destroyed untimed; free:1: timed.
BENCHMARK(BM_W3_Replace_DeltaFIFO)
    ->ArgName("free")
    ->Arg(0)
    ->Arg(1)
    ->Iterations(kIterations)
    ->Unit(benchmark::kMillisecond);
BENCHMARK(BM_W3_Replace_RealFIFO)
    ->ArgNames({"atomic", "free"})
    ->Args({0, 0})
    ->Args({0, 1})
    ->Args({1, 0})
    ->Args({1, 1})
    ->Iterations(kIterations)
    ->Unit(benchmark::kMillisecond);
BENCHMARK(BM_W5_Pipeline_DeltaFIFO)
    ->ArgName("free")
    ->Arg(0)
    ->Arg(1)
    ->Iterations(kIterations)
    ->Unit(benchmark::kMillisecond);
BENCHMARK(BM_W5_Pipeline_RealFIFO)
    ->ArgNames({"atomic", "free"})
    ->Args({0, 0})
    ->Args({0, 1})
    ->Args({1, 0})
    ->Args({1, 1})
    ->Iterations(kIterations)
    ->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace bench
}  // namespace informersim
