// sim_repeat: runs one simulation, given as informer_sim's flags, N times in
// one process and prints what each run cost. The first run pays for
// faulting in the memory the run needs; the later ones reuse it, as the
// runs of a campaign or of sim_bench do. tools/run_cost.py --warm reads
// its lines next to fresh processes' figures (docs/PERFORMANCE.md).
//
//   sim_repeat N [--flag=value ...]
//
// Each run prints one line:
//   run I: cpu_ms=C page_faults=P events=E steps=S verdict=PASS|FAIL
// (CPU time of this process during the run; minor and major page faults;
// the simulated API events the server sent; the scheduler steps the run
// took, its work as a whole, with the handler notifications that no API
// event counts: resync passes, a relist's unchanged objects). Exit 0 when
// every run passed its checks, 1 when one did not (the lines before it are
// kept), 2 on a bad count or flags.
#include <sys/resource.h>
#include <time.h>

#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/numbers.h"
#include "sim/sim_options.h"
#include "sim/simulation.h"

namespace informersim {
namespace sim {
namespace {

double CpuMs() {
  timespec t;
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
  return static_cast<double>(t.tv_sec) * 1e3 + static_cast<double>(t.tv_nsec) / 1e6;
}

int64_t PageFaults() {
  rusage u;
  getrusage(RUSAGE_SELF, &u);
  return static_cast<int64_t>(u.ru_minflt) + static_cast<int64_t>(u.ru_majflt);
}

int Main(int argc, char** argv) {
  int64_t runs = 0;
  if (argc < 2 || !absl::SimpleAtoi(argv[1], &runs) || runs < 1 || runs > 1000) {
    std::fprintf(stderr,
                 "sim_repeat: usage: sim_repeat N [informer_sim flags...], N in [1, 1000]\n");
    return 2;
  }
  const std::vector<std::string> flags(argv + 2, argv + argc);
  const absl::StatusOr<SimOptions> options = OptionsFromFlags(flags);
  if (!options.ok()) {
    std::fprintf(stderr, "sim_repeat: %s\n", std::string(options.status().message()).c_str());
    return 2;
  }
  for (int64_t i = 0; i < runs; ++i) {
    const int64_t faults_before = PageFaults();
    const double start = CpuMs();
    const absl::StatusOr<SimResult> r = RunSimulation(*options, flags);
    const double ms = CpuMs() - start;
    const int64_t faults = PageFaults() - faults_before;
    if (!r.ok()) {
      std::fprintf(stderr, "sim_repeat: run %lld could not start: %s\n",
                   static_cast<long long>(i), std::string(r.status().message()).c_str());
      return 1;
    }
    std::printf("run %lld: cpu_ms=%.3f page_faults=%lld events=%lld steps=%lld verdict=%s\n",
                static_cast<long long>(i), ms, static_cast<long long>(faults),
                static_cast<long long>(r->server.events_sent),
                static_cast<long long>(r->scheduler_steps), r->passed ? "PASS" : "FAIL");
    std::fflush(stdout);
    if (!r->passed) return 1;
  }
  return 0;
}

}  // namespace
}  // namespace sim
}  // namespace informersim

int main(int argc, char** argv) { return informersim::sim::Main(argc, argv); }
