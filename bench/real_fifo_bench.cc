// RealFIFO benchmarks W1 (AddPop) and W2 (UpdateChurn) of the benchmark
// workload document. One benchmark iteration is one whole workload, and each
// benchmark runs a fixed number of them. The objects are built once, before
// the first timed iteration; each iteration gets a fresh
// RealFIFO, built outside the timed region, with no known objects (so in
// atomic mode, R2) and the default key function, MetaNamespaceKeyFunc, which
// runs on every Add/Update as in client-go.
//
// Variants: unlock:1 is the CURRENT informer configuration (atomic events,
// UnlockWhileProcessing, bookmarks), whose Pops release the lock around the
// callback once fewer than 2 x 1000 deltas are left; unlock:0 keeps the lock.
//
// Freeing: each popped delta is released inside Pop (timed, as Go's Pop
// drops its reference; the objects themselves stay alive in the prebuilt
// workload). The drained queue (its vector capacity) is destroyed untimed
// with free:0 and inside the timed Pop phase with free:1, the closest
// counterpart of Go's collector running.
//
// Counters (averages over iterations): ns_per_Add / ns_per_Update, ns_per_Pop,
// ns_per_object (W1, Add+Pop) or ns_per_delta (W2, Update+Pop), and
// objects_per_s / deltas_per_s. The phase counters use this thread's CPU
// time, so time spent descheduled on a shared machine does not count.

#include <cstdint>
#include <memory>
#include <utility>
#include <vector>

#include "benchmark/benchmark.h"
#include "bench/workload.h"
#include "core/real_fifo.h"

namespace informersim {
namespace bench {
namespace {

constexpr int64_t kW1Objects = 100000;
constexpr int64_t kW2Keys = 10000;
constexpr int64_t kW2Versions = 10;
// A fixed count, so every repetition averages the same number of whole
// workloads (tens of milliseconds each).
constexpr int64_t kIterations = 10;

const std::vector<Item>& W1Objects() {
  static const auto* objects = new std::vector<Item>(WorkloadItems(0, kW1Objects, 1));
  return *objects;
}

// Version r of key i (RV 1 + r*10000 + i), in update order: r-major.
const std::vector<Item>& W2Objects() {
  static const auto* objects = [] {
    auto* v = new std::vector<Item>();
    v->reserve(kW2Keys * kW2Versions);
    for (int64_t r = 0; r < kW2Versions; ++r) {
      for (int64_t i = 0; i < kW2Keys; ++i) v->emplace_back(WorkloadObject(i, 1 + r * kW2Keys + i));
    }
    return v;
  }();
  return *objects;
}

std::unique_ptr<RealFIFO> NewQueue(bool unlock_while_processing) {
  RealFIFOOptions o;
  o.atomic_events = true;
  o.unlock_while_processing = unlock_while_processing;
  o.emit_delta_type_bookmark = unlock_while_processing;
  absl::StatusOr<std::unique_ptr<RealFIFO>> f = RealFIFO::Create(std::move(o));
  return f.ok() ? *std::move(f) : nullptr;
}

// Adds (or updates) every object, then pops `pops` single deltas; returns
// the CPU ns of the two phases through *write_ns and *pop_ns.
void RunWorkload(benchmark::State& state, const std::vector<Item>& objects, bool update,
                 int64_t pops, bool unlock, bool free_timed, double* write_ns,
                 double* pop_ns) {
  state.PauseTiming();
  std::unique_ptr<RealFIFO> fifo = NewQueue(unlock);
  state.ResumeTiming();

  const double write_start = ThreadCpuNs();
  for (const Item& obj : objects) {
    const absl::Status s = update ? fifo->Update(obj) : fifo->Add(obj);
    if (!s.ok()) state.SkipWithError("Add/Update failed");
  }
  *write_ns += ThreadCpuNs() - write_start;

  const double pop_start = ThreadCpuNs();
  int64_t popped = 0;
  for (int64_t i = 0; i < pops; ++i) {
    const PopResult r = fifo->Pop([&popped](const Deltas& d, bool) {
      popped += static_cast<int64_t>(d.size());
      return absl::OkStatus();
    });
    if (r.outcome != PopOutcome::kPopped) state.SkipWithError("Pop failed");
  }
  if (free_timed) fifo.reset();
  *pop_ns += ThreadCpuNs() - pop_start;
  if (popped != pops) state.SkipWithError("wrong number of deltas");

  state.PauseTiming();
  fifo.reset();
  state.ResumeTiming();
}

void SetCounters(benchmark::State& state, double write_ns, double pop_ns, int64_t n,
                 const char* write_name, const char* unit_ns, const char* unit_rate) {
  const double total = static_cast<double>(state.iterations()) * static_cast<double>(n);
  state.counters[write_name] = write_ns / total;
  state.counters["ns_per_Pop"] = pop_ns / total;
  const double per_unit = (write_ns + pop_ns) / total;
  state.counters[unit_ns] = per_unit;
  state.counters[unit_rate] = 1e9 / per_unit;
  state.SetItemsProcessed(state.iterations() * n);
}

// W1 AddPop: Add objects 0..99999 (RV 1) in order, then 100,000 Pops with a
// no-op callback, each returning one Added delta.
void BM_W1_AddPop_RealFIFO(benchmark::State& state) {
  const bool unlock = state.range(0) != 0;
  const bool free_timed = state.range(1) != 0;
  double add_ns = 0, pop_ns = 0;
  const std::vector<Item>& objects = W1Objects();  // built before timing
  for (auto _ : state) {
    RunWorkload(state, objects, /*update=*/false, kW1Objects, unlock, free_timed, &add_ns,
                &pop_ns);
  }
  SetCounters(state, add_ns, pop_ns, kW1Objects, "ns_per_Add", "ns_per_object",
              "objects_per_s");
}

// W2 UpdateChurn: 10 rounds of Update over 10,000 keys, then 100,000 Pops of
// one Updated delta each (RealFIFO never merges per key, R1).
void BM_W2_UpdateChurn_RealFIFO(benchmark::State& state) {
  const bool unlock = state.range(0) != 0;
  const bool free_timed = state.range(1) != 0;
  double update_ns = 0, pop_ns = 0;
  const std::vector<Item>& objects = W2Objects();  // built before timing
  for (auto _ : state) {
    RunWorkload(state, objects, /*update=*/true, kW2Keys * kW2Versions, unlock, free_timed,
                &update_ns, &pop_ns);
  }
  SetCounters(state, update_ns, pop_ns, kW2Keys * kW2Versions, "ns_per_Update", "ns_per_delta",
              "deltas_per_s");
}

BENCHMARK(BM_W1_AddPop_RealFIFO)
    ->ArgNames({"unlock", "free"})
    ->Args({1, 0})
    ->Args({0, 0})
    ->Args({1, 1})
    ->Iterations(kIterations)
    ->Unit(benchmark::kMillisecond);
BENCHMARK(BM_W2_UpdateChurn_RealFIFO)
    ->ArgNames({"unlock", "free"})
    ->Args({1, 0})
    ->Args({0, 0})
    ->Args({1, 1})
    ->Iterations(kIterations)
    ->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace bench
}  // namespace informersim
