// Floor of the queue workloads: the per-object work that any queue doing W1
// or W2 must do whatever its data structure, measured alone. It bounds what
// the queue benchmarks can reach on this machine and object shape.
//
//   BM_Floor_KeyHoldRelease/w:1  the W1 objects (i in [0, 100000), RV 1);
//                                w:2 the W2 objects (10,000 keys x 10
//                                versions, r-major, as delta_fifo_bench).
//                                key:0 builds no key (the memory floor),
//                                key:1 builds it with MetaNamespaceKeyInto
//                                (what the core's queues do), key:2 calls
//                                MetaNamespaceKeyFunc.
// Timed, per iteration: for every object in workload order, copy the Item
// into a preallocated slot (the reference a queue must hold) and build its
// key (as every queue call does); then release the held references in the
// order draining the queue releases them (W1: the same order; W2: key by
// key, the ten versions of a key together). No
// lock, no hash map, no queue. Counters: ns_per_object for both passes,
// ns_hold (copy + key) and ns_release, from this thread's CPU time.

#include <cstdint>
#include <string>
#include <vector>

#include "benchmark/benchmark.h"
#include "bench/workload.h"
#include "core/keys.h"

namespace informersim {
namespace bench {
namespace {

const std::vector<Item>& Objects(int64_t workload) {
  static const auto* w1 = new std::vector<Item>(WorkloadItems(0, 100000, 1));
  static const auto* w2 = [] {
    auto* v = new std::vector<Item>();
    v->reserve(100000);
    for (int64_t r = 0; r < 10; ++r) {
      for (int64_t i = 0; i < 10000; ++i) v->emplace_back(WorkloadObject(i, 1 + r * 10000 + i));
    }
    return v;
  }();
  return workload == 1 ? *w1 : *w2;
}

void BM_Floor_KeyHoldRelease(benchmark::State& state) {
  const std::vector<Item>& objects = Objects(state.range(0));
  const int64_t key_mode = state.range(1);
  const int64_t n = static_cast<int64_t>(objects.size());
  std::vector<Item> held(objects.size());
  double hold_ns = 0, release_ns = 0;
  size_t key_bytes = 0;
  for (auto _ : state) {
    const double hold_start = ThreadCpuNs();
    for (size_t i = 0; i < objects.size(); ++i) {
      if (key_mode == 1) {
        std::string key;
        if (MetaNamespaceKeyInto(objects[i], &key)) key_bytes += key.size();
      } else if (key_mode == 2) {
        absl::StatusOr<std::string> key = MetaNamespaceKeyFunc(objects[i]);
        key_bytes += key.ok() ? key->size() : 0;
      }
      held[i] = objects[i];
    }
    hold_ns += ThreadCpuNs() - hold_start;
    const double release_start = ThreadCpuNs();
    if (state.range(0) == 1) {
      for (Item& item : held) item = Item();
    } else {
      // W2 pops key by key: all versions of key 0, then of key 1, ...
      for (size_t k = 0; k < 10000; ++k) {
        for (size_t r = 0; r < 10; ++r) held[r * 10000 + k] = Item();
      }
    }
    release_ns += ThreadCpuNs() - release_start;
  }
  benchmark::DoNotOptimize(key_bytes);
  const double total = static_cast<double>(state.iterations()) * static_cast<double>(n);
  state.counters["ns_hold"] = hold_ns / total;
  state.counters["ns_release"] = release_ns / total;
  state.counters["ns_per_object"] = (hold_ns + release_ns) / total;
  state.SetItemsProcessed(state.iterations() * n);
}

BENCHMARK(BM_Floor_KeyHoldRelease)
    ->ArgNames({"w", "key"})
    ->ArgsProduct({{1, 2}, {0, 1, 2}})
    ->Iterations(20)
    ->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace bench
}  // namespace informersim
