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
//
//   BM_Floor_IdealCoalesce/w/lock/grow  the same plus the least a
//                                key-coalescing queue does (hash, probe,
//                                append, drain by key), with and without a
//                                lock per call and growth (see below).

#include <cstdint>
#include <cstring>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "benchmark/benchmark.h"
#include "bench/workload.h"
#include "core/delta.h"
#include "core/key_index.h"
#include "core/keys.h"
#include "core/mutex.h"

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

// The least a key-coalescing queue (DeltaFIFO's kind) can do for W1/W2:
// BM_Floor_KeyHoldRelease's work (key built, reference held, released in
// drain order) plus, per object, the key's hash, one probe of the queues'
// own key index (core/key_index.h) comparing the key in its entry on a tag
// match, and the delta appended to its key's entry; the drain walks the
// entries in arrival order, hands each key's deltas to a no-op, releases
// them and erases the key from the index. No status, no hooks, no
// generality beyond that.
//   lock:1  a Mutex (core/mutex.h) taken around every write and every pop,
//           as a thread-safe queue must;
//   grow:0  an oracle's sizes: the index reserved for every key up front
//           and room in each entry for every delta its key gets, so nothing
//           grows while timed;
//   grow:1  the index starts empty and each key's deltas live in a Deltas
//           (core/delta.h) that grows as they come, as a queue that does not
//           know the workload must;
//   grow:2  the index starts empty and no key owns storage: the deltas go
//           to one log in arrival order, chained per key, gathered into a
//           reused Deltas at the pop (LogEntry: lists that never move).
// What separates a real queue's figure from the grow:1/lock:1 one is its
// own overhead; a target below the grow:0/lock:1 figure asks for less than
// this design of queue costs, with its own key index, lock and Deltas, on
// this machine and object shape.

// grow:0: room for exactly the N deltas a key gets (1 in W1, 10 in W2).
template <int N>
struct FixedEntry {
  char key[32];
  uint32_t key_size = 0;
  uint32_t hash = 0;
  uint32_t n = 0;
  Item deltas[N];

  struct Shared {
    void Reset() {}
  };
  void Append(const Item& obj, Shared&) { deltas[n++] = obj; }
  size_t Drain(Shared&) {
    benchmark::DoNotOptimize(deltas);
    const size_t popped = n;
    for (uint32_t d = 0; d < n; ++d) deltas[d] = Item();
    n = 0;
    return popped;
  }
};

// grow:1: the deltas in a Deltas, grown as they come.
struct GrownEntry {
  char key[32];
  uint32_t key_size = 0;
  uint32_t hash = 0;
  Deltas deltas;

  struct Shared {
    void Reset() {}
  };
  void Append(const Item& obj, Shared&) { deltas.push_back(Delta{DeltaType::kUpdated, obj}); }
  size_t Drain(Shared&) {
    const size_t popped = deltas.size();
    benchmark::DoNotOptimize(deltas.size());
    deltas.clear();
    return popped;
  }
};

// grow:2: nothing per key but the links: every delta goes to the tail of
// one log shared by all keys, in blocks that never move (kept from one
// iteration to the next, as a queue keeps its blocks), and a key's entry
// chains its records; the drain gathers a key's chain into one reused
// Deltas, the contiguous list a pop hands over. Nothing grows per key, and
// the writes of a round go to the log's tail in arrival order.
struct LogEntry {
  static constexpr uint32_t kNoRecord = ~uint32_t{0};
  struct Record {
    Delta delta;
    uint32_t next = kNoRecord;
  };
  struct Shared {
    static constexpr uint32_t kBlock = 4096;
    std::vector<std::unique_ptr<Record[]>> blocks;
    uint32_t size = 0;  // records appended since the last Reset
    Deltas gathered;

    Record& at(uint32_t r) { return blocks[r / kBlock][r % kBlock]; }
    uint32_t Push(const Item& obj) {
      if (size / kBlock == blocks.size()) blocks.emplace_back(new Record[kBlock]);
      Record& rec = at(size);
      rec.delta = Delta{DeltaType::kUpdated, obj};
      rec.next = kNoRecord;
      return size++;
    }
    // After a whole drain every record has been moved from: the log
    // starts again at its first block.
    void Reset() { size = 0; }
  };

  char key[32];
  uint32_t key_size = 0;
  uint32_t hash = 0;
  uint32_t head = kNoRecord, tail = kNoRecord;
  uint32_t n = 0;

  void Append(const Item& obj, Shared& log) {
    const uint32_t r = log.Push(obj);
    if (n++ == 0) {
      head = r;
    } else {
      log.at(tail).next = r;
    }
    tail = r;
  }
  size_t Drain(Shared& log) {
    for (uint32_t r = head; r != kNoRecord;) {
      Record& rec = log.at(r);
      log.gathered.push_back(std::move(rec.delta));
      r = rec.next;
    }
    const size_t popped = log.gathered.size();
    benchmark::DoNotOptimize(log.gathered.data());
    log.gathered.clear();
    head = tail = kNoRecord;
    n = 0;
    return popped;
  }
};

// Holds `mu` for its scope when `locked` (the lock:1 variants). The
// thread-safety analysis cannot follow a conditional lock, and nothing here
// is guarded by it: the lock is only the cost being measured.
class MaybeLock {
 public:
  MaybeLock(Mutex* mu, bool locked) ABSL_NO_THREAD_SAFETY_ANALYSIS
      : mu_(locked ? mu : nullptr) {
    if (mu_ != nullptr) mu_->Lock();
  }
  ~MaybeLock() ABSL_NO_THREAD_SAFETY_ANALYSIS {
    if (mu_ != nullptr) mu_->Unlock();
  }
  MaybeLock(const MaybeLock&) = delete;
  MaybeLock& operator=(const MaybeLock&) = delete;

 private:
  Mutex* const mu_;
};

template <typename Entry>
void IdealCoalesce(benchmark::State& state, size_t keys) {
  const std::vector<Item>& objects = Objects(state.range(0));
  const bool locked = state.range(1) != 0;
  const bool grow = state.range(2) != 0;
  std::vector<Entry> entries(keys);
  typename Entry::Shared shared;
  Mutex mu;
  double hold_ns = 0, release_ns = 0;
  size_t popped = 0;
  for (auto _ : state) {
    state.PauseTiming();
    auto index = std::make_unique<KeyIndex>();
    if (!grow) index->Reserve(keys);
    state.ResumeTiming();
    uint32_t tail = 0;
    const double hold_start = ThreadCpuNs();
    for (const Item& obj : objects) {
      MaybeLock lock(&mu, locked);
      StackKey key;
      if (key.Build(obj) && key.view().size() <= sizeof(Entry::key)) {
        const absl::string_view k = key.view();
        const uint32_t hash = KeyHash(k);
        bool inserted = false;
        const uint32_t id = index->FindOrInsert(
            hash, tail,
            [&](uint32_t id) {
              return absl::string_view(entries[id].key, entries[id].key_size) == k;
            },
            &inserted);
        Entry& e = entries[id];
        if (inserted) {
          std::memcpy(e.key, k.data(), k.size());
          e.key_size = static_cast<uint32_t>(k.size());
          e.hash = hash;
          ++tail;
        }
        e.Append(obj, shared);
      }
    }
    hold_ns += ThreadCpuNs() - hold_start;
    const double release_start = ThreadCpuNs();
    for (uint32_t h = 0; h < tail; ++h) {
      MaybeLock lock(&mu, locked);
      Entry& e = entries[h];
      popped += e.Drain(shared);
      index->Erase(e.hash, h);
    }
    shared.Reset();
    release_ns += ThreadCpuNs() - release_start;
    state.PauseTiming();
    index.reset();
    state.ResumeTiming();
  }
  if (popped != static_cast<size_t>(state.iterations()) * objects.size()) {
    state.SkipWithError("the drain did not return every delta");
  }
  const double total = static_cast<double>(state.iterations()) * static_cast<double>(objects.size());
  state.counters["ns_hold"] = hold_ns / total;
  state.counters["ns_release"] = release_ns / total;
  state.counters["ns_per_object"] = (hold_ns + release_ns) / total;
  state.SetItemsProcessed(state.iterations() * objects.size());
}

void BM_Floor_IdealCoalesce(benchmark::State& state) {
  const bool w1 = state.range(0) == 1;
  const int64_t grow = state.range(2);
  if (grow == 2) {
    IdealCoalesce<LogEntry>(state, w1 ? 100000 : 10000);
  } else if (grow == 1) {
    IdealCoalesce<GrownEntry>(state, w1 ? 100000 : 10000);
  } else if (w1) {
    IdealCoalesce<FixedEntry<1>>(state, 100000);
  } else {
    IdealCoalesce<FixedEntry<10>>(state, 10000);
  }
}

BENCHMARK(BM_Floor_IdealCoalesce)
    ->ArgNames({"w", "lock", "grow"})
    ->ArgsProduct({{1, 2}, {0, 1}, {0, 1, 2}})
    ->Iterations(20)
    ->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace bench
}  // namespace informersim
