// Workload W4 (Indexer) of the benchmark workloads: an Indexer with the
// "namespace" index over objects i in [0, 100000).
//   BM_W4_Add:     Add every object at RV 1 to a fresh indexer.
//   BM_W4_Update:  Update every key to RV 2 (namespace unchanged).
//   BM_W4_ByIndex: 1,000 queries ByIndex("namespace", "ns-(q % 100)"), each
//                  returning 1,000 objects.
//   BM_W4_Delete:  Delete every object.
// Each phase is its own benchmark, so each is timed alone; the phases before
// it run untimed on a fresh indexer every iteration. Objects and query
// values are built once, before timing. One iteration = one whole phase.
// Freeing: building and destroying the indexer is not timed; the memory a
// Delete releases (the item's map slot and index entry) is, as is freeing
// each query's result vector.
// Counters: ns_per_<op>, this thread's CPU time per operation in the timed
// phase (as the other benchmarks report), and the rate (adds_per_s, ...).
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "bench/workload.h"
#include "benchmark/benchmark.h"
#include "core/cache.h"
#include "core/index.h"
#include "core/keys.h"

namespace informersim {
namespace bench {
namespace {

constexpr int64_t kObjects = 100000;
constexpr int kQueries = 1000;
constexpr int kNamespaces = 100;
constexpr int kIterations = 20;

const std::vector<Item>& ItemsAtRV(int64_t rv) {
  static const auto* rv1 = new std::vector<Item>(WorkloadItems(0, kObjects, 1));
  static const auto* rv2 = new std::vector<Item>(WorkloadItems(0, kObjects, 2));
  return rv == 1 ? *rv1 : *rv2;
}

const std::vector<std::string>& NamespaceValues() {
  static const auto* values = [] {
    auto* v = new std::vector<std::string>();
    for (int n = 0; n < kNamespaces; ++n) v->push_back(absl::StrCat("ns-", n));
    return v;
  }();
  return *values;
}

std::unique_ptr<Cache> FreshIndexer() {
  return NewIndexer(MetaNamespaceKeyFunc,
                    Indexers{{std::string(kNamespaceIndex), NamespaceOf}});
}

// CPU ns per operation of the timed phases, and the rate.
void ReportTimePerOp(benchmark::State& state, const std::string& op, const std::string& rate,
                     double cpu_ns, int64_t ops) {
  const double per_op =
      cpu_ns / (static_cast<double>(state.iterations()) * static_cast<double>(ops));
  state.counters["ns_per_" + op] = per_op;
  state.counters[rate] = 1e9 / per_op;
  state.SetItemsProcessed(state.iterations() * ops);
}

// Untimed setup shared by the later phases: Add at RV 1, then Update to RV 2.
bool Populate(benchmark::State& state, Cache* indexer) {
  for (const Item& item : ItemsAtRV(1)) {
    if (!indexer->Add(item).ok()) {
      state.SkipWithError("Add failed");
      return false;
    }
  }
  for (const Item& item : ItemsAtRV(2)) {
    if (!indexer->Update(item).ok()) {
      state.SkipWithError("Update failed");
      return false;
    }
  }
  return true;
}

void BM_W4_Add(benchmark::State& state) {
  const std::vector<Item>& items = ItemsAtRV(1);
  double cpu_ns = 0;
  for (auto _ : state) {
    state.PauseTiming();
    std::unique_ptr<Cache> indexer = FreshIndexer();
    state.ResumeTiming();
    const double start = ThreadCpuNs();
    for (const Item& item : items) {
      if (!indexer->Add(item).ok()) state.SkipWithError("Add failed");
    }
    cpu_ns += ThreadCpuNs() - start;
    state.PauseTiming();
    indexer.reset();
    state.ResumeTiming();
  }
  ReportTimePerOp(state, "Add", "adds_per_s", cpu_ns, kObjects);
}

void BM_W4_Update(benchmark::State& state) {
  const std::vector<Item>& rv1 = ItemsAtRV(1);
  const std::vector<Item>& rv2 = ItemsAtRV(2);  // both built before timing
  double cpu_ns = 0;
  for (auto _ : state) {
    state.PauseTiming();
    std::unique_ptr<Cache> indexer = FreshIndexer();
    for (const Item& item : rv1) {
      if (!indexer->Add(item).ok()) state.SkipWithError("Add failed");
    }
    state.ResumeTiming();
    const double start = ThreadCpuNs();
    for (const Item& item : rv2) {
      if (!indexer->Update(item).ok()) state.SkipWithError("Update failed");
    }
    cpu_ns += ThreadCpuNs() - start;
    state.PauseTiming();
    indexer.reset();
    state.ResumeTiming();
  }
  ReportTimePerOp(state, "Update", "updates_per_s", cpu_ns, kObjects);
}

void BM_W4_ByIndex(benchmark::State& state) {
  const std::vector<std::string>& namespaces = NamespaceValues();
  ItemsAtRV(1);
  ItemsAtRV(2);
  double cpu_ns = 0;
  for (auto _ : state) {
    state.PauseTiming();
    std::unique_ptr<Cache> indexer = FreshIndexer();
    if (!Populate(state, indexer.get())) break;
    state.ResumeTiming();
    const double start = ThreadCpuNs();
    for (int q = 0; q < kQueries; ++q) {
      absl::StatusOr<std::vector<Item>> found =
          indexer->ByIndex(kNamespaceIndex, namespaces[q % kNamespaces]);
      if (!found.ok() || found->size() != kObjects / kNamespaces) {
        state.SkipWithError("ByIndex returned the wrong objects");
      }
      benchmark::DoNotOptimize(found);
    }
    cpu_ns += ThreadCpuNs() - start;
    state.PauseTiming();
    indexer.reset();
    state.ResumeTiming();
  }
  ReportTimePerOp(state, "Query", "queries_per_s", cpu_ns, kQueries);
}

void BM_W4_Delete(benchmark::State& state) {
  const std::vector<Item>& rv2 = ItemsAtRV(2);
  ItemsAtRV(1);
  double cpu_ns = 0;
  for (auto _ : state) {
    state.PauseTiming();
    std::unique_ptr<Cache> indexer = FreshIndexer();
    if (!Populate(state, indexer.get())) break;
    state.ResumeTiming();
    const double start = ThreadCpuNs();
    for (const Item& item : rv2) {
      if (!indexer->Delete(item).ok()) state.SkipWithError("Delete failed");
    }
    cpu_ns += ThreadCpuNs() - start;
    state.PauseTiming();
    if (!indexer->ListKeys().empty()) state.SkipWithError("indexer not empty");
    indexer.reset();
    state.ResumeTiming();
  }
  ReportTimePerOp(state, "Delete", "deletes_per_s", cpu_ns, kObjects);
}

BENCHMARK(BM_W4_Add)->Iterations(kIterations)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_W4_Update)->Iterations(kIterations)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_W4_ByIndex)->Iterations(kIterations)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_W4_Delete)->Iterations(kIterations)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace bench
}  // namespace informersim
