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
// Counters: per_<op>, the time per operation (see ReportTimePerOp).
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

// Time per operation: the rate of operations per second, inverted. Its
// value is in seconds (JSON: 2.4e-07); the console prints it with an SI
// prefix, e.g. "per_add=240ns".
void ReportTimePerOp(benchmark::State& state, const std::string& name, int64_t ops) {
  state.counters[name] = benchmark::Counter(
      static_cast<double>(ops),
      benchmark::Counter::kIsIterationInvariantRate | benchmark::Counter::kInvert);
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
  for (auto _ : state) {
    state.PauseTiming();
    std::unique_ptr<Cache> indexer = FreshIndexer();
    state.ResumeTiming();
    for (const Item& item : items) {
      if (!indexer->Add(item).ok()) state.SkipWithError("Add failed");
    }
    state.PauseTiming();
    indexer.reset();
    state.ResumeTiming();
  }
  ReportTimePerOp(state, "per_add", kObjects);
}

void BM_W4_Update(benchmark::State& state) {
  const std::vector<Item>& rv1 = ItemsAtRV(1);
  const std::vector<Item>& rv2 = ItemsAtRV(2);
  for (auto _ : state) {
    state.PauseTiming();
    std::unique_ptr<Cache> indexer = FreshIndexer();
    for (const Item& item : rv1) {
      if (!indexer->Add(item).ok()) state.SkipWithError("Add failed");
    }
    state.ResumeTiming();
    for (const Item& item : rv2) {
      if (!indexer->Update(item).ok()) state.SkipWithError("Update failed");
    }
    state.PauseTiming();
    indexer.reset();
    state.ResumeTiming();
  }
  ReportTimePerOp(state, "per_update", kObjects);
}

void BM_W4_ByIndex(benchmark::State& state) {
  const std::vector<std::string>& namespaces = NamespaceValues();
  for (auto _ : state) {
    state.PauseTiming();
    std::unique_ptr<Cache> indexer = FreshIndexer();
    if (!Populate(state, indexer.get())) break;
    state.ResumeTiming();
    for (int q = 0; q < kQueries; ++q) {
      absl::StatusOr<std::vector<Item>> found =
          indexer->ByIndex(kNamespaceIndex, namespaces[q % kNamespaces]);
      if (!found.ok() || found->size() != kObjects / kNamespaces) {
        state.SkipWithError("ByIndex returned the wrong objects");
      }
      benchmark::DoNotOptimize(found);
    }
    state.PauseTiming();
    indexer.reset();
    state.ResumeTiming();
  }
  ReportTimePerOp(state, "per_query", kQueries);
}

void BM_W4_Delete(benchmark::State& state) {
  const std::vector<Item>& rv2 = ItemsAtRV(2);
  for (auto _ : state) {
    state.PauseTiming();
    std::unique_ptr<Cache> indexer = FreshIndexer();
    if (!Populate(state, indexer.get())) break;
    state.ResumeTiming();
    for (const Item& item : rv2) {
      if (!indexer->Delete(item).ok()) state.SkipWithError("Delete failed");
    }
    state.PauseTiming();
    if (!indexer->ListKeys().empty()) state.SkipWithError("indexer not empty");
    indexer.reset();
    state.ResumeTiming();
  }
  ReportTimePerOp(state, "per_delete", kObjects);
}

BENCHMARK(BM_W4_Add)->Iterations(kIterations)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_W4_Update)->Iterations(kIterations)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_W4_ByIndex)->Iterations(kIterations)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_W4_Delete)->Iterations(kIterations)->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace
}  // namespace bench
}  // namespace informersim
