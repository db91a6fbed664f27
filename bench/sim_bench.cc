// The whole simulated pipeline (server, reflector, queue, indexer, handlers,
// checker with every check on, trace hashing), timed in CPU time.
//
//   BM_StandardRun/<profile>   one iteration is one run of the embedded
//                              default scenario (1,000 objects, 100 writes per
//                              virtual second across 10 namespaces for 2
//                              minutes, two server instances one lagging,
//                              watch drops, a compaction and 410, rate faults,
//                              a slow and a late handler);
//   BM_SmallWorldSwarm         one iteration is one seed of the small-world
//                              standard, `--swarm --world=small` (0-12
//                              objects, 2-30 virtual seconds, up to 20
//                              scripted faults plus rate faults), built from
//                              its flags as a campaign builds each seed;
//   BM_Objects/N, BM_Minutes/M the default scenario with N initial objects or
//                              M minutes of writes: how cost grows (2 -> 20
//                              and 5 -> 50 minutes);
//   BM_MinutesShortWindow/M    BM_Minutes with a 30 s compaction interval and
//                              a 3,000-event history window.
// Counters:
//   events_per_s      simulated API events (watch events, initial ones
//                     included) delivered per CPU second;
//   writes_per_s      server writes per CPU second;
//   steps_per_s       scheduler steps per CPU second;
//   seeds_per_s       runs per CPU second (one core);
//   virtual_per_wall  virtual seconds simulated per wall second;
//   peak_rss_mb       the process's peak resident set during the benchmark
//                     (reset before it where Linux allows, else the peak so
//                     far).
// Run the cost-growth benchmarks each in a process of its own
// (--benchmark_filter='^BM_Minutes/20/iterations:2$', ...; tools/bench.sh
// does): a run made after the 100,000-object one inherits that heap, freed
// but spread over hundreds of megabytes, and measured up to 1.3x slower
// than the same scenario in a fresh process.
// The simulator is single-threaded, so CPU time is its wall time. Seeds per
// second on two cores is a campaign's figure: informer_sim --swarm
// --world=small --seeds=N --jobs=2 prints it (docs/PERFORMANCE.md).
#include <malloc.h>

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <fstream>
#include <functional>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "benchmark/benchmark.h"
#include "sim/sim_options.h"
#include "sim/simulation.h"

namespace informersim {
namespace sim {
namespace {

// Resets the kernel's peak-RSS mark for this process (Linux >= 4.0); a
// no-op elsewhere, where PeakRssMb then reports the peak so far.
void ResetPeakRss() {
#if defined(__GLIBC__)
  malloc_trim(0);  // hand back what earlier benchmarks freed first
#endif
  std::ofstream clear("/proc/self/clear_refs");
  if (clear) clear << "5";
}

double PeakRssMb() {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("VmHWM:", 0) != 0) continue;
    int64_t kb = 0;
    std::string digits;
    for (char c : line) {
      if (c >= '0' && c <= '9') digits += c;
    }
    if (absl::SimpleAtoi(digits, &kb)) return static_cast<double>(kb) / 1024.0;
  }
  return 0;
}

struct Totals {
  int64_t runs = 0, events = 0, writes = 0, steps = 0;
  double virtual_s = 0, wall_s = 0;

  bool Add(benchmark::State& state, const absl::StatusOr<SimResult>& r, double wall) {
    if (!r.ok() || !r->passed) {
      state.SkipWithError(r.ok() ? "a run failed its checks" : "a run could not start");
      return false;
    }
    ++runs;
    events += r->server.events_sent;
    writes += r->server.writes;
    steps += static_cast<int64_t>(r->scheduler_steps);
    virtual_s += absl::ToDoubleSeconds(r->virtual_time);
    wall_s += wall;
    return true;
  }

  void Report(benchmark::State& state) const {
    using C = benchmark::Counter;
    state.counters["events_per_s"] = C(static_cast<double>(events), C::kIsRate);
    state.counters["writes_per_s"] = C(static_cast<double>(writes), C::kIsRate);
    state.counters["steps_per_s"] = C(static_cast<double>(steps), C::kIsRate);
    state.counters["seeds_per_s"] = C(static_cast<double>(runs), C::kIsRate);
    // Wall time only for the virtual/wall ratio; nothing is asserted.
    state.counters["virtual_per_wall"] = wall_s > 0 ? virtual_s / wall_s : 0;
    state.counters["peak_rss_mb"] = PeakRssMb();
  }
};

double WallSince(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

// Runs `options` with seeds cycling through 1..seeds, so the figures do not
// depend on how many iterations the benchmark library chooses.
void RunCycle(benchmark::State& state, SimOptions options, uint64_t seeds) {
  ResetPeakRss();
  Totals totals;
  uint64_t iteration = 0;
  for (auto _ : state) {
    options.seed = 1 + iteration++ % seeds;
    const auto start = std::chrono::steady_clock::now();
    const absl::StatusOr<SimResult> r = RunSimulation(options);
    if (!totals.Add(state, r, WallSince(start))) return;
  }
  totals.Report(state);
}

void BM_StandardRun(benchmark::State& state, Profile profile) {
  absl::StatusOr<SimOptions> options = ScenarioOptions("default", 1);
  if (!options.ok()) {
    state.SkipWithError("no default scenario");
    return;
  }
  options->profile = profile;
  RunCycle(state, *options, 8);
}

BENCHMARK_CAPTURE(BM_StandardRun, classic, Profile::kClassic)->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_StandardRun, current, Profile::kCurrent)->Unit(benchmark::kMillisecond);

void BM_SmallWorldSwarm(benchmark::State& state) {
  ResetPeakRss();
  Totals totals;
  uint64_t seed = 0;
  for (auto _ : state) {
    // A fixed cycle of 10,000 seeds; each built from flags, as a campaign
    // builds its seeds.
    seed = seed % 10000 + 1;
    const std::vector<std::string> flags = {"--swarm", "--world=small",
                                            absl::StrCat("--seed=", seed)};
    const auto start = std::chrono::steady_clock::now();
    absl::StatusOr<SimOptions> options = OptionsFromFlags(flags);
    if (!options.ok()) {
      state.SkipWithError("the small-world flags do not parse");
      return;
    }
    const absl::StatusOr<SimResult> r = RunSimulation(*options, flags);
    if (!totals.Add(state, r, WallSince(start))) return;
  }
  totals.Report(state);
}

BENCHMARK(BM_SmallWorldSwarm)->Unit(benchmark::kMicrosecond);

// The default scenario with one flag changed, exactly as informer_sim runs it;
// then `adjust`, if given, changes what no flag reaches.
void RunWithFlag(benchmark::State& state, const std::string& flag,
                 const std::function<void(SimOptions*)>& adjust = nullptr) {
  absl::StatusOr<SimOptions> options = OptionsFromFlags({flag});
  if (!options.ok()) {
    state.SkipWithError("the flag does not parse");
    return;
  }
  if (adjust) adjust(&*options);
  RunCycle(state, *options, 2);
}

void BM_Objects(benchmark::State& state) {
  RunWithFlag(state, absl::StrCat("--objects=", state.range(0)));
}

BENCHMARK(BM_Objects)->Arg(1000)->Arg(10000)->Unit(benchmark::kMillisecond);
// One run of 100,000 objects takes seconds: a single iteration.
BENCHMARK(BM_Objects)->Arg(100000)->Iterations(1)->Unit(benchmark::kMillisecond);

void BM_Minutes(benchmark::State& state) {
  RunWithFlag(state, absl::StrCat("--duration=", state.range(0), "m"));
}

BENCHMARK(BM_Minutes)->Arg(2)->Arg(5)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_Minutes)->Arg(20)->Iterations(2)->Unit(benchmark::kMillisecond);
// 5 -> 50 minutes: ten times the duration with the server's history window
// (five minutes, etcd's compaction interval) full at both ends, which a
// 2-minute run never fills.
BENCHMARK(BM_Minutes)->Arg(50)->Iterations(1)->Unit(benchmark::kMillisecond);

// BM_Minutes with the server compacting every 30 s to a 3,000-event window:
// a 2-minute run then frees old versions as it goes, as every run past five
// minutes does with the default window, so 2 -> 20 minutes compares two
// runs that both recycle their history.
void BM_MinutesShortWindow(benchmark::State& state) {
  RunWithFlag(state, absl::StrCat("--duration=", state.range(0), "m"), [](SimOptions* o) {
    o->server.compaction_interval = absl::Seconds(30);
    o->server.history_window_events = 3000;
  });
}

BENCHMARK(BM_MinutesShortWindow)->Arg(2)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_MinutesShortWindow)->Arg(20)->Iterations(2)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace sim
}  // namespace informersim
