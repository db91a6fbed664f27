// The stated limits on what one run of the simulator may be asked to do.
//
// Every input (flags, scenario files, options set in code) is checked
// against these where it is read, so a request the machine cannot serve is
// a clear error (exit 2) before any work starts, never a run that takes
// hours or gigabytes without a word. The size limits follow measurements of
// the simulator (docs/SIMULATOR.md "Limits"): a run keeps about five copies
// of each initial object (server store, watch caches, informer cache,
// handler views, the checker's truth) and about 0.9 KB plus the object for
// every write until the server compacts it.
//
// Thread safety: constants only.
#ifndef INFORMERSIM_SIM_LIMITS_H_
#define INFORMERSIM_SIM_LIMITS_H_

#include <cstdint>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"

namespace informersim {
namespace sim {

// The fault phase (--duration) and any resync period.
inline constexpr absl::Duration kMaxDuration = absl::Hours(24);
// How far an API server instance may lag.
inline constexpr absl::Duration kMaxLag = absl::Minutes(1);
inline constexpr int64_t kMaxObjects = 1000000;
// The largest object spec (--spec_bytes=N draws sizes up to 3N/2).
inline constexpr int64_t kMaxSpecBytes = int64_t{1} << 20;
inline constexpr double kMaxWriteRate = 100000;
inline constexpr int64_t kMaxInstances = 16;
inline constexpr int64_t kMaxHandlers = 64;
inline constexpr int64_t kMaxPageSize = 1000000;
// The initial objects' specs together (objects x mean spec size).
inline constexpr int64_t kMaxInitialBytes = int64_t{256} << 20;
// Writes over the whole run (write rate x duration): about two minutes of
// CPU at the simulator's speed.
inline constexpr int64_t kMaxWrites = 20000000;
// Writes the server holds at once: those of one compaction interval plus
// the history window it keeps (all of them when compaction is off) ...
inline constexpr int64_t kMaxHeldWrites = 2000000;
// ... and their specs together.
inline constexpr int64_t kMaxHeldBytes = int64_t{1} << 30;
// Seeds of one campaign (--seeds).
inline constexpr int64_t kMaxSeeds = 1000000000;
inline constexpr int64_t kMaxJobs = 1024;
// Input files.
inline constexpr int64_t kMaxScenarioFileBytes = int64_t{1} << 20;
inline constexpr int64_t kMaxTraceFileBytes = int64_t{1} << 30;

// The limits as the lines of --help and docs/SIMULATOR.md state them.
inline std::string LimitsHelp() {
  return absl::StrCat(
      "  --duration, --resync at most ", absl::FormatDuration(kMaxDuration),
      "; --max_lag at most ", absl::FormatDuration(kMaxLag), "\n",
      "  --objects at most ", kMaxObjects, ", --spec_bytes at most ", kMaxSpecBytes * 2 / 3,
      " (specs up to ", kMaxSpecBytes >> 20, " MiB),\n",
      "    and objects x spec_bytes at most ", kMaxInitialBytes >> 20, " MiB\n",
      "  --write_rate at most ", kMaxWriteRate, "/s; write_rate x duration at most ", kMaxWrites,
      " writes;\n",
      "    the writes held until compaction (rate x compaction interval + history\n",
      "    window, or all of them with compaction off) at most ", kMaxHeldWrites, " and ",
      kMaxHeldBytes >> 30, " GiB of specs\n",
      "  --instances at most ", kMaxInstances, ", --handlers and --late_handlers at most ",
      kMaxHandlers, ", --page_size at most ", kMaxPageSize, "\n",
      "  --seeds at most ", kMaxSeeds, " and seed + seeds - 1 within 64 bits; --jobs at most ",
      kMaxJobs, "\n",
      "  scenario files at most ", kMaxScenarioFileBytes >> 20, " MiB, trace files at most ",
      kMaxTraceFileBytes >> 30, " GiB, regular files only\n");
}

}  // namespace sim
}  // namespace informersim

#endif  // INFORMERSIM_SIM_LIMITS_H_
