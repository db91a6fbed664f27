// DeltaFIFO benchmarks W1 (AddPop) and W2 (UpdateChurn) of the benchmark
// workload document. One benchmark iteration is one whole workload; objects
// are built once, before timing; every iteration gets a fresh DeltaFIFO with
// no known objects and the default key function (MetaNamespaceKeyFunc, run
// on every call as client-go does), constructed outside the timed region.
//
// Freeing: each popped Deltas is released inside Pop (timed, as Go's Pop
// drops its reference). The drained queue itself (ring and index capacity)
// is destroyed untimed in the plain benchmarks and timed in the ".../free"
// variants, the closest counterpart of Go's collector running.
//
// Counters (averages over iterations): ns per Add (or Update), ns per Pop,
// ns per object (W1, Add+Pop) or per delta (W2), and objects/s or deltas/s.
// The phase counters come from a CPU clock around each phase (see Clock).

#include <cstdint>
#include <memory>
#include <vector>

#include "benchmark/benchmark.h"
#include "bench/workload.h"
#include "core/delta_fifo.h"

namespace informersim {
namespace bench {
namespace {

// The phase counters use this thread's CPU time (user + system, so page
// faults count): the machines these run on are shared, and wall time there
// includes time spent descheduled. On an idle machine the two agree.
struct Clock {
  using time_point = double;
  static double now() { return ThreadCpuNs(); }
};

double NsSince(Clock::time_point start) { return Clock::now() - start; }


constexpr int64_t kW1Objects = 100000;
constexpr int64_t kW2Keys = 10000;
constexpr int64_t kW2Versions = 10;

const std::vector<Item>& W1Objects() {
  static const auto* objects = new std::vector<Item>(WorkloadItems(0, kW1Objects, 1));
  return *objects;
}

// Version r of key i has resource version 1 + r*10000 + i; laid out r-major,
// in the order the workload updates them.
const std::vector<Item>& W2Objects() {
  static const auto* objects = [] {
    auto* v = new std::vector<Item>();
    v->reserve(kW2Keys * kW2Versions);
    for (int64_t r = 0; r < kW2Versions; ++r) {
      for (int64_t i = 0; i < kW2Keys; ++i) {
        v->emplace_back(WorkloadObject(i, 1 + r * kW2Keys + i));
      }
    }
    return v;
  }();
  return *objects;
}

void SetCounters(benchmark::State& state, double write_ns, double pop_ns, int64_t writes,
                 int64_t pops, int64_t units, const char* unit_ns, const char* unit_rate,
                 const char* write_name) {
  const double iters = static_cast<double>(state.iterations());
  state.counters[write_name] = write_ns / (iters * static_cast<double>(writes));
  state.counters["ns_per_Pop"] = pop_ns / (iters * static_cast<double>(pops));
  const double per_unit = (write_ns + pop_ns) / (iters * static_cast<double>(units));
  state.counters[unit_ns] = per_unit;
  state.counters[unit_rate] = 1e9 / per_unit;
}

// W1 AddPop: Add objects 0..99999 (RV 1) in order, then 100,000 Pops.
void BM_W1_AddPop_DeltaFIFO(benchmark::State& state) {
  const bool free_timed = state.range(0) != 0;
  const std::vector<Item>& objects = W1Objects();
  double add_ns = 0;
  double pop_ns = 0;
  for (auto _ : state) {
    state.PauseTiming();
    auto fifo = std::make_unique<DeltaFIFO>();
    state.ResumeTiming();

    const Clock::time_point add_start = Clock::now();
    for (const Item& obj : objects) {
      if (!fifo->Add(obj).ok()) state.SkipWithError("Add failed");
    }
    add_ns += NsSince(add_start);

    const Clock::time_point pop_start = Clock::now();
    for (int64_t i = 0; i < kW1Objects; ++i) {
      if (fifo->Pop(NoOpProcess).outcome != PopOutcome::kPopped) state.SkipWithError("Pop failed");
    }
    if (free_timed) fifo.reset();
    pop_ns += NsSince(pop_start);

    state.PauseTiming();
    fifo.reset();
    state.ResumeTiming();
  }
  SetCounters(state, add_ns, pop_ns, kW1Objects, kW1Objects, kW1Objects, "ns_per_object",
              "objects_per_s", "ns_per_Add");
  state.SetItemsProcessed(state.iterations() * kW1Objects);
}

// W2 UpdateChurn: 10 rounds of Update over 10,000 keys, then 10,000 Pops of
// 10 deltas each.
void BM_W2_UpdateChurn_DeltaFIFO(benchmark::State& state) {
  const bool free_timed = state.range(0) != 0;
  const std::vector<Item>& objects = W2Objects();
  double update_ns = 0;
  double pop_ns = 0;
  for (auto _ : state) {
    state.PauseTiming();
    auto fifo = std::make_unique<DeltaFIFO>();
    state.ResumeTiming();

    const Clock::time_point update_start = Clock::now();
    for (const Item& obj : objects) {
      if (!fifo->Update(obj).ok()) state.SkipWithError("Update failed");
    }
    update_ns += NsSince(update_start);

    const Clock::time_point pop_start = Clock::now();
    size_t deltas = 0;
    for (int64_t i = 0; i < kW2Keys; ++i) {
      const PopResult r = fifo->Pop([&deltas](const Deltas& d, bool) {
        deltas += d.size();
        return absl::OkStatus();
      });
      if (r.outcome != PopOutcome::kPopped) state.SkipWithError("Pop failed");
    }
    if (free_timed) fifo.reset();
    pop_ns += NsSince(pop_start);
    if (deltas != static_cast<size_t>(kW2Keys * kW2Versions)) {
      state.SkipWithError("wrong number of deltas");
    }

    state.PauseTiming();
    fifo.reset();
    state.ResumeTiming();
  }
  SetCounters(state, update_ns, pop_ns, kW2Keys * kW2Versions, kW2Keys,
              kW2Keys * kW2Versions, "ns_per_delta", "deltas_per_s", "ns_per_Update");
  state.SetItemsProcessed(state.iterations() * kW2Keys * kW2Versions);
}

// Arg 0: the drained queue is freed untimed; arg 1 ("free"): timed.
BENCHMARK(BM_W1_AddPop_DeltaFIFO)
    ->ArgName("free")
    ->Arg(0)
    ->Arg(1)
    ->Iterations(20)
    ->Unit(benchmark::kMillisecond);
BENCHMARK(BM_W2_UpdateChurn_DeltaFIFO)
    ->ArgName("free")
    ->Arg(0)
    ->Arg(1)
    ->Iterations(20)
    ->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace bench
}  // namespace informersim
