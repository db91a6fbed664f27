#include "tools/campaign.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cassert>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <new>
#include <filesystem>
#include <functional>
#include <optional>
#include <set>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "core/mutex.h"
#include "core/profile.h"
#include "sim/scenario.h"
#include "sim/sim_options.h"
#include "sim/simulation.h"
#include "sim/tracer.h"
#include "tools/outcome_codec.h"

namespace informersim {
namespace tools {
namespace {

using Clock = std::chrono::steady_clock;

double SecondsSince(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

std::string JsonString(absl::string_view s) {
  std::string out = "\"";
  for (char c : s) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\t': out += "\\t"; break;
      case '\r': out += "\\r"; break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          out += absl::StrFormat("\\u%04x", static_cast<unsigned char>(c));
        } else {
          out += c;
        }
    }
  }
  out += "\"";
  return out;
}

std::string CountsJson(const std::map<std::string, int64_t>& counts) {
  std::vector<std::string> parts;
  for (const auto& [name, n] : counts) parts.push_back(absl::StrCat(JsonString(name), ":", n));
  return absl::StrCat("{", absl::StrJoin(parts, ","), "}");
}

std::string CoverageJson(const std::map<std::string, std::map<std::string, int64_t>>& cov) {
  std::vector<std::string> parts;
  for (const auto& [fault, states] : cov) {
    parts.push_back(absl::StrCat(JsonString(fault), ":", CountsJson(states)));
  }
  return absl::StrCat("{", absl::StrJoin(parts, ","), "}");
}

std::string JsonList(const std::vector<std::string>& items) {
  std::vector<std::string> parts;
  for (const std::string& item : items) parts.push_back(JsonString(item));
  return absl::StrCat("[", absl::StrJoin(parts, ","), "]");
}

// The fault kinds seen in a seed's trace, sorted.
std::vector<std::string> TookEffect(const SeedOutcome& o) {
  std::vector<std::string> out;
  for (const auto& [fault, states] : o.fault_states) out.push_back(fault);
  return out;
}

std::string CountsText(const std::map<std::string, int64_t>& counts) {
  std::vector<std::string> parts;
  for (const auto& [name, n] : counts) parts.push_back(absl::StrCat(name, " x", n));
  return absl::StrJoin(parts, ", ");
}

constexpr const char* kStates[] = {"unsynced", "relisting", "consumer-paused", "handler-behind",
                                   "watching"};

// Seeds per fault kind: drawn, and taking effect; a kind drawn but never
// taking effect is flagged.
std::string DrawnTable(const CampaignSummary& s) {
  std::set<std::string> kinds;
  for (const auto& [k, n] : s.faults_drawn) kinds.insert(k);
  for (const auto& [k, n] : s.faults_took_effect) kinds.insert(k);
  std::string out = "fault kinds drawn vs taking effect (seeds):\n";
  absl::StrAppend(&out, absl::StrFormat("  %-20s %10s %12s\n", "fault", "drawn", "took effect"));
  for (const std::string& k : kinds) {
    const auto d = s.faults_drawn.find(k);
    const auto e = s.faults_took_effect.find(k);
    const int64_t drawn = d == s.faults_drawn.end() ? 0 : d->second;
    const int64_t took = e == s.faults_took_effect.end() ? 0 : e->second;
    absl::StrAppend(&out, absl::StrFormat("  %-20s %10d %12d%s\n", k, drawn, took,
                                          drawn > 0 && took == 0 ? "  never took effect" : ""));
  }
  return out;
}

std::string CoverageTable(const std::map<std::string, std::map<std::string, int64_t>>& cov) {
  std::string out = "coverage (seeds in which each fault took effect in each informer state; 0 = blind spot):\n";
  absl::StrAppend(&out, absl::StrFormat("  %-20s", "fault"));
  for (const char* s : kStates) absl::StrAppend(&out, absl::StrFormat(" %15s", s));
  out += "\n";
  for (const auto& [fault, states] : cov) {
    absl::StrAppend(&out, absl::StrFormat("  %-20s", fault));
    for (const char* s : kStates) {
      auto it = states.find(s);
      absl::StrAppend(&out, absl::StrFormat(" %15d", it == states.end() ? 0 : it->second));
    }
    out += "\n";
  }
  return out;
}

// The failing seed's files (CampaignOptions::failures_dir), in a temporary
// directory renamed into place once complete.
absl::Status WriteFailure(const std::string& dir, const std::vector<std::string>& args,
                          const SeedOutcome& o) {
  const std::string final_dir = absl::StrCat(dir, "/seed-", o.seed);
  const std::string tmp_dir = absl::StrCat(final_dir, ".tmp");
  std::filesystem::remove_all(tmp_dir);
  std::error_code ec;
  std::filesystem::create_directories(tmp_dir, ec);
  if (ec) return absl::UnavailableError(absl::StrCat("cannot create ", tmp_dir, ": ", ec.message()));
  absl::Status s = WriteFileAtomically(tmp_dir + "/replay.txt", o.replay.empty() ? "" : o.replay + "\n");
  if (s.ok()) s = WriteFileAtomically(tmp_dir + "/report.txt", o.error ? o.error_message + "\n" : o.report);
  std::string summary;
  if (s.ok() && !o.error) {
    // Re-run with the trace kept: one seed decides the run, so it is the
    // same run, step for step.
    std::vector<std::string> seed_args = args;
    seed_args.push_back(absl::StrCat("--seed=", o.seed));
    absl::StatusOr<sim::SimOptions> options = sim::OptionsFromFlags(seed_args);
    if (options.ok()) {
      options->keep_trace = true;
      absl::StatusOr<sim::SimResult> again =
          sim::RunSimulation(*options, sim::RunFlags(args, o.seed));
      if (again.ok()) {
        summary = sim::FormatSummary(*options, *again);
        s = sim::WriteTraceFile(again->trace, tmp_dir + "/run.trace");
      }
      // The seed as a scenario file: a regression test by copying one file.
      if (s.ok()) {
        s = WriteFileAtomically(
            tmp_dir + "/seed.scenario",
            sim::ScenarioText(*options, {"A failing campaign seed; it runs the same world as:",
                                         "  " + o.replay,
                                         "As a regression test it expects the run to pass."}));
      }
    }
  }
  if (s.ok()) s = WriteFileAtomically(tmp_dir + "/summary.txt", summary);
  if (!s.ok()) {
    std::filesystem::remove_all(tmp_dir);
    return s;
  }
  std::filesystem::remove_all(final_dir);
  std::filesystem::rename(tmp_dir, final_dir, ec);
  if (ec) return absl::UnavailableError(absl::StrCat("cannot rename ", tmp_dir, ": ", ec.message()));
  return absl::OkStatus();
}

SeedOutcome RunSeed(const std::vector<std::string>& args, uint64_t seed) {
  SeedOutcome o;
  o.seed = seed;
  std::vector<std::string> seed_args = args;
  seed_args.push_back(absl::StrCat("--seed=", seed));
  const Clock::time_point start = Clock::now();
  absl::StatusOr<sim::SimOptions> options = sim::OptionsFromFlags(seed_args);
  if (!options.ok()) {
    o.error = true;
    o.error_message = std::string(options.status().message());
    return o;
  }
  const std::vector<std::string> run_flags = sim::RunFlags(args, seed);
  o.replay = sim::ReplayCommand(run_flags);
  o.profile = std::string(ProfileName(options->profile));
  o.world = std::string(sim::SwarmWorldName(options->swarm_world));
  o.initial_objects = options->workload.initial_objects;
  o.label_selector = options->label_selector;
  o.field_selector = options->field_selector;
  o.duration = options->duration;
  o.scripted_faults = static_cast<int64_t>(options->faults.size());
  o.faults_drawn = sim::FaultKindsDrawn(*options);
  absl::StatusOr<sim::SimResult> result = sim::RunSimulation(*options, run_flags);
  o.wall_seconds = SecondsSince(start);
  if (!result.ok()) {
    o.error = true;
    o.error_message = std::string(result.status().message());
    return o;
  }
  o.passed = result->passed;
  o.violations = static_cast<int64_t>(result->violations.size());
  for (const sim::Violation& v : result->violations) ++o.violations_by_invariant[v.invariant];
  if (!result->violations.empty()) {
    const sim::Violation& v = result->violations.front();
    o.first_violation = absl::StrCat(v.invariant, " key=", v.key.empty() ? "-" : v.key,
                                     " handler=", v.handler.empty() ? "-" : v.handler,
                                     " t=", absl::FormatDuration(v.at), ": ", v.detail);
  }
  if (!o.passed) o.report = result->report;
  o.time_travel_findings = result->time_travel_findings;
  o.relists = result->server.list_requests - result->server.list_continues;
  o.writes = result->workload.creates + result->workload.updates + result->workload.deletes;
  for (const auto& [fault, states] : result->fault_coverage) {
    for (const auto& [state, n] : states) o.fault_states[fault].push_back(state);
  }
  o.trace_hash = result->trace_hash;
  o.trace_steps = result->trace_steps;
  o.virtual_time = result->virtual_time;
  return o;
}

}  // namespace

absl::Status WriteFileAtomically(const std::string& path, absl::string_view content) {
  const std::string tmp = absl::StrCat(path, ".tmp");
  std::FILE* f = std::fopen(tmp.c_str(), "w");
  if (f == nullptr) return absl::UnavailableError(absl::StrCat("cannot write ", tmp));
  const bool written = std::fwrite(content.data(), 1, content.size(), f) == content.size();
  if (std::fclose(f) != 0 || !written || std::rename(tmp.c_str(), path.c_str()) != 0) {
    std::remove(tmp.c_str());
    return absl::UnavailableError(absl::StrCat("cannot write ", path));
  }
  return absl::OkStatus();
}

std::string OutcomeJson(const SeedOutcome& o) {
  std::string out = absl::StrCat("{\"seed\":", o.seed);
  if (o.error) {
    absl::StrAppend(&out, ",\"verdict\":\"error\",\"error\":", JsonString(o.error_message), "}");
    return out;
  }
  absl::StrAppend(
      &out, ",\"verdict\":", o.passed ? "\"pass\"" : "\"fail\"",
      ",\"profile\":", JsonString(o.profile), ",\"world\":", JsonString(o.world),
      ",\"label_selector\":", JsonString(o.label_selector),
      ",\"field_selector\":", JsonString(o.field_selector),
      ",\"initial_objects\":", o.initial_objects,
      ",\"duration_ms\":", absl::ToInt64Milliseconds(o.duration),
      ",\"scripted_faults\":", o.scripted_faults, ",\"violations\":", o.violations,
      ",\"violations_by_invariant\":", CountsJson(o.violations_by_invariant),
      ",\"first_violation\":", JsonString(o.first_violation),
      ",\"time_travel_findings\":", o.time_travel_findings, ",\"relists\":", o.relists,
      ",\"faults_drawn\":", JsonList(o.faults_drawn),
      ",\"faults_took_effect\":", JsonList(TookEffect(o)),
      ",\"writes\":", o.writes,
      ",\"trace_hash\":\"", absl::StrFormat("%016x", o.trace_hash), "\"",
      ",\"trace_steps\":", o.trace_steps,
      ",\"virtual_time_ms\":", absl::ToInt64Milliseconds(o.virtual_time),
      ",\"wall_seconds\":", absl::StrFormat("%.4f", o.wall_seconds),
      ",\"replay\":", JsonString(o.replay), "}");
  return out;
}

Campaign::Campaign(CampaignOptions options) : options_(std::move(options)) {}

namespace {

// Worker processes: forked children take seed indices from a counter in
// memory shared with the parent, run them, and write each outcome back on
// their own pipe as one frame: the seed index and the encoded outcome's
// length (8-byte little-endian each), then the bytes (tools/outcome_codec.h).
bool WriteAll(int fd, const void* data, size_t n) {
  const char* p = static_cast<const char*>(data);
  while (n > 0) {
    const ssize_t w = ::write(fd, p, n);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) return false;
    p += w;
    n -= static_cast<size_t>(w);
  }
  return true;
}

bool ReadAll(int fd, void* data, size_t n) {
  char* p = static_cast<char*>(data);
  while (n > 0) {
    const ssize_t r = ::read(fd, p, n);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) return false;
    p += r;
    n -= static_cast<size_t>(r);
  }
  return true;
}

bool WriteU64(int fd, uint64_t v) {
  unsigned char b[8];
  for (int i = 0; i < 8; ++i) b[i] = static_cast<unsigned char>((v >> (8 * i)) & 0xff);
  return WriteAll(fd, b, sizeof(b));
}

bool ReadU64(int fd, uint64_t* v) {
  unsigned char b[8];
  if (!ReadAll(fd, b, sizeof(b))) return false;
  *v = 0;
  for (int i = 0; i < 8; ++i) *v |= static_cast<uint64_t>(b[i]) << (8 * i);
  return true;
}

// Runs seed `index` as the campaign's workers do: the run, then its
// failure files if asked for.
SeedOutcome RunIndex(const CampaignOptions& opt, uint64_t index) {
  SeedOutcome o = RunSeed(opt.args, opt.first_seed + index);
  if ((o.error || !o.passed) && !opt.failures_dir.empty()) {
    absl::Status written = WriteFailure(opt.failures_dir, opt.args, o);
    o.failure_files = written.ok() ? absl::StrCat(opt.failures_dir, "/seed-", o.seed)
                                   : absl::StrCat("NOT WRITTEN: ", written.message());
  }
  return o;
}

// What the parent and its workers share: an anonymous shared mapping, so
// only lock-free atomics live here.
struct SharedDispatch {
  static constexpr uint64_t kIdle = UINT64_MAX;
  std::atomic<uint64_t> next_index{0};         // the next seed index to start
  std::atomic<uint64_t> cutoff{UINT64_MAX};    // no index above it is started
  std::atomic<bool> stop{false};               // the campaign was interrupted
  std::atomic<bool> budget_spent{false};       // a worker stopped at the budget
  std::atomic<bool> test_exit_fired{false};    // see kTestExitAfterClaim
  // Followed in the mapping by one std::atomic<uint64_t> per worker slot:
  // the index that worker runs, or kIdle.

  static size_t Bytes(int jobs) {
    return sizeof(SharedDispatch) + sizeof(std::atomic<uint64_t>) * static_cast<size_t>(jobs);
  }
  std::atomic<uint64_t>* running() {
    return reinterpret_cast<std::atomic<uint64_t>*>(reinterpret_cast<char*>(this) +
                                                    sizeof(SharedDispatch));
  }
};
static_assert(sizeof(SharedDispatch) % alignof(std::atomic<uint64_t>) == 0,
              "the per-slot counters follow the header aligned");
static_assert(std::atomic<uint64_t>::is_always_lock_free, "shared counters need lock-free atomics");
static_assert(std::atomic<bool>::is_always_lock_free, "shared flags need lock-free atomics");

// A fault injection point for the campaign's own tests: the first worker
// that takes the seed index named by this environment variable exits at
// once, before it marks the index as running (the window no kill can be
// timed to hit). Unset, or not a number: never.
constexpr char kTestExitAfterClaim[] = "INFORMERSIM_TEST_WORKER_EXIT_AFTER_CLAIM";

// Likewise: a worker that starts the seed index named by this variable
// never finishes it (a run that does not return), for --seed_timeout.
constexpr char kTestHangAt[] = "INFORMERSIM_TEST_WORKER_HANG_AT";

uint64_t TestIndexFromEnv(const char* variable) {
  const char* value = std::getenv(variable);
  uint64_t index = 0;
  if (value == nullptr || !absl::SimpleAtoi(value, &index)) return SharedDispatch::kIdle;
  return index;
}

// Which seeds a worker may take: indices below `end` (and not above the
// shared cut-off); with `stoppable`, none once the campaign is interrupted
// or `budget_s` (if positive) is spent.
struct WorkerLimits {
  uint64_t end = 0;
  double budget_s = 0;
  bool stoppable = true;
};

// The child's side: never returns. _exit, not exit: the parent's buffered
// output and exit handlers belong to the parent.
[[noreturn]] void WorkerMain(const CampaignOptions& opt, SharedDispatch* shared, int slot,
                             int outcomes, Clock::time_point start, WorkerLimits limits) {
  std::atomic<uint64_t>& running = shared->running()[slot];
  const uint64_t exit_after_claim = TestIndexFromEnv(kTestExitAfterClaim);
  const uint64_t hang_at = TestIndexFromEnv(kTestHangAt);
  while (!(limits.stoppable && shared->stop.load(std::memory_order_relaxed))) {
    if (limits.stoppable && limits.budget_s > 0 && SecondsSince(start) >= limits.budget_s) {
      shared->budget_spent.store(true);
      break;
    }
    const uint64_t index = shared->next_index.fetch_add(1);
    if (index >= limits.end || index > shared->cutoff.load()) break;
    if (index == exit_after_claim && !shared->test_exit_fired.exchange(true)) _exit(3);
    running.store(index);
    if (index == hang_at) {
      while (true) ::pause();
    }
    const std::string bytes = EncodeOutcome(RunIndex(opt, index));
    if (!WriteU64(outcomes, index) || !WriteU64(outcomes, bytes.size()) ||
        !WriteAll(outcomes, bytes.data(), bytes.size())) {
      _exit(1);
    }
    running.store(SharedDispatch::kIdle);
  }
  _exit(0);
}

// One campaign's run: the seed-ordered printer, the dispatch of seeds to
// workers and the progress line share the state below under `mu_`.
//
// Seeds run in worker processes, not threads: a seed whose run dies (an
// abort in user code, say) is reported as that seed's error instead of
// ending the campaign, and a process that never starts a thread keeps the
// C library's single-threaded paths (reference counts without
// lock-prefixed instructions, malloc without arena locks). Measured on the
// small-world swarm: one job in this process 0.95x the time of one worker
// thread; two workers 0.96-1.0x the time of two threads, as fast as two
// independent processes splitting the seeds. With one job and no progress
// line the seeds run in this process.
class CampaignRun {
 public:
  CampaignRun(const CampaignOptions& opt, const std::atomic<bool>* interrupted, std::FILE* out,
              std::FILE* json)
      : opt_(opt),
        interrupted_(interrupted),
        out_(out),
        json_(json),
        start_(Clock::now()),
        budget_s_(absl::ToDoubleSeconds(opt.time_budget)),
        max_index_(opt.seeds > 0 ? static_cast<uint64_t>(opt.seeds)
                                 : UINT64_MAX - opt.first_seed) {}

  CampaignSummary Go() {
    if (opt_.jobs > 1 || opt_.progress || opt_.seed_timeout > absl::ZeroDuration()) {
      RunWorkers(std::max(1, opt_.jobs));
    } else {
      RunHere();
    }
    MutexLock lock(&mu_);
    PrintReady();
    summary_.wall_seconds = SecondsSince(start_);
    summary_.interrupted = summary_.interrupted || interrupted_->load();
    return summary_;
  }

 private:
  struct Worker {
    pid_t pid = -1;
    int outcomes = -1;  // child -> parent: outcome frames
    // The index of the last outcome read from it (kIdle: none yet).
    uint64_t reported = SharedDispatch::kIdle;
    // For --seed_timeout: the index it was last seen running and since when
    // (as the parent saw it: the watch is as fine as the poll's wake-ups).
    uint64_t watched = SharedDispatch::kIdle;
    Clock::time_point watched_since;
    bool timed_out = false;  // killed by the parent for --seed_timeout
  };

  // The next seed index to start, or nothing when the campaign is to stop
  // starting seeds (noting why in the summary).
  std::optional<uint64_t> NextIndex() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    if (interrupted_->load(std::memory_order_relaxed)) {
      summary_.interrupted = true;
      return std::nullopt;
    }
    if (budget_s_ > 0 && SecondsSince(start_) >= budget_s_) {
      summary_.budget_exhausted = true;
      return std::nullopt;
    }
    if (next_index_ >= max_index_ || next_index_ > cutoff_) return std::nullopt;
    return next_index_++;
  }

  // Files a finished seed: the failure cut-off, then the printer.
  void Finish(uint64_t index, SeedOutcome o) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    o.finished_at_s = SecondsSince(start_);
    if (o.error || !o.passed) {
      failing_.insert(index);
      if (opt_.max_failures > 0 && static_cast<int64_t>(failing_.size()) >= opt_.max_failures) {
        auto nth = failing_.begin();
        std::advance(nth, opt_.max_failures - 1);
        cutoff_ = std::min(cutoff_, *nth);
        if (shared_ != nullptr) shared_->cutoff.store(cutoff_);
      }
    }
    finished_.emplace(index, std::move(o));
    ++done_;
    PrintReady();
  }

  void RunHere() {
    while (true) {
      std::optional<uint64_t> index;
      {
        MutexLock lock(&mu_);
        index = NextIndex();
      }
      if (!index.has_value()) return;
      SeedOutcome o = RunIndex(opt_, *index);
      MutexLock lock(&mu_);
      Finish(*index, std::move(o));
    }
  }

  // Starts the worker of `slot`; false if the pipe or the fork fail.
  // `others` are the running workers, whose pipe ends the child closes.
  bool Spawn(const std::vector<Worker>& others, SharedDispatch* shared, int slot,
             const WorkerLimits& limits, Worker* w) {
    int outcomes[2];
    if (::pipe2(outcomes, O_CLOEXEC) != 0) return false;
    shared->running()[slot].store(SharedDispatch::kIdle);
    std::fflush(nullptr);  // nothing buffered is written twice
    const pid_t pid = ::fork();
    if (pid == 0) {
      for (const Worker& other : others) {
        if (other.pid >= 0) ::close(other.outcomes);
      }
      ::close(outcomes[0]);
      WorkerMain(opt_, shared, slot, outcomes[1], start_, limits);
    }
    ::close(outcomes[1]);
    if (pid < 0) {
      ::close(outcomes[0]);
      return false;
    }
    w->pid = pid;
    w->outcomes = outcomes[0];
    w->reported = SharedDispatch::kIdle;
    w->watched = SharedDispatch::kIdle;
    w->timed_out = false;
    return true;
  }

  // Reaps a worker that has closed its pipe; returns its wait status.
  static int Reap(Worker* w) {
    ::close(w->outcomes);
    int status = 0;
    while (::waitpid(w->pid, &status, 0) < 0 && errno == EINTR) {
    }
    w->pid = -1;
    return status;
  }

  static std::string DeathText(int status) {
    if (WIFSIGNALED(status)) {
      return absl::StrCat("the run's worker process died of signal ", WTERMSIG(status), " (",
                          strsignal(WTERMSIG(status)), ")");
    }
    return absl::StrCat("the run's worker process exited with status ", WEXITSTATUS(status),
                        " before reporting");
  }

  void RunWorkers(int jobs) {
    void* mapping = ::mmap(nullptr, SharedDispatch::Bytes(jobs), PROT_READ | PROT_WRITE,
                           MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (mapping == MAP_FAILED) {
      RunHere();
      return;
    }
    auto* shared = new (mapping) SharedDispatch();
    for (int i = 0; i < jobs; ++i) {
      new (&shared->running()[i]) std::atomic<uint64_t>(SharedDispatch::kIdle);
    }
    {
      MutexLock lock(&mu_);
      shared->next_index.store(next_index_);
      shared->cutoff.store(cutoff_);
      shared_ = shared;
    }
    // A worker's pipe closing must not take the parent along.
    struct sigaction ignore = {}, previous = {};
    ignore.sa_handler = SIG_IGN;
    ::sigaction(SIGPIPE, &ignore, &previous);

    RunPool(shared, jobs, WorkerLimits{max_index_, budget_s_, /*stoppable=*/true});
    // Every worker has exited: what they left in the mapping is final.
    const bool spent = shared->budget_spent.load();
    {
      MutexLock lock(&mu_);
      if (spent) summary_.budget_exhausted = true;
      next_index_ = std::max(next_index_, shared->next_index.load());
    }
    RunUnclaimed(shared);
    ::sigaction(SIGPIPE, &previous, nullptr);
    {
      MutexLock lock(&mu_);
      shared_ = nullptr;
    }
    shared->~SharedDispatch();
    ::munmap(mapping, SharedDispatch::Bytes(jobs));
    if (opt_.progress) {
      PrintProgress();
      std::fprintf(stderr, "\n");
    }
    // No worker could be started, or every one died and none could be
    // started again, while seeds were left: they run in this process. Its
    // NextIndex stops at once when the workers stopped for good reasons.
    if (!spent) RunHere();
  }

  // Runs `jobs` workers within `limits` until every one has exited: a
  // worker that dies mid-seed makes that seed an error, and one that dies
  // is replaced unless the campaign is stopping.
  void RunPool(SharedDispatch* shared, int jobs, const WorkerLimits& limits) {
    std::vector<Worker> workers(static_cast<size_t>(jobs));
    int live = 0;
    for (int i = 0; i < jobs; ++i) {
      if (Spawn(workers, shared, i, limits, &workers[static_cast<size_t>(i)])) ++live;
    }
    double last_progress = 0;
    std::vector<pollfd> fds;
    std::vector<int> slots;
    while (live > 0) {
      if (interrupted_->load(std::memory_order_relaxed)) shared->stop.store(true);
      fds.clear();
      slots.clear();
      for (int i = 0; i < jobs; ++i) {
        if (workers[static_cast<size_t>(i)].pid < 0) continue;
        fds.push_back(pollfd{workers[static_cast<size_t>(i)].outcomes, POLLIN, 0});
        slots.push_back(i);
      }
      // A bounded wait, so an interrupt is passed on even if no signal
      // wakes the poll.
      const int ready = ::poll(fds.data(), fds.size(), opt_.progress ? 500 : 250);
      if (opt_.progress && SecondsSince(start_) - last_progress >= 0.5) {
        last_progress = SecondsSince(start_);
        PrintProgress();
      }
      if (opt_.seed_timeout > absl::ZeroDuration()) KillOverdue(shared, &workers);
      if (ready <= 0) continue;
      for (size_t k = 0; k < fds.size(); ++k) {
        if (fds[k].revents == 0) continue;
        const int slot = slots[k];
        Worker& w = workers[static_cast<size_t>(slot)];
        if (Drain(&w)) continue;
        // The pipe closed: the worker is done, or died.
        const uint64_t running = shared->running()[slot].load();
        const int status = Reap(&w);
        --live;
        const bool died = !(WIFEXITED(status) && WEXITSTATUS(status) == 0);
        if (running != SharedDispatch::kIdle && running != w.reported) {
          Lost(running, w.timed_out ? absl::StrCat("the run took longer than --seed_timeout=",
                                                   absl::FormatDuration(opt_.seed_timeout),
                                                   " of wall time; its worker process was killed")
                                    : DeathText(status));
        }
        const bool stopping = limits.stoppable && shared->stop.load();
        if (died && !stopping && Spawn(workers, shared, slot, limits, &w)) ++live;
      }
      // Outcomes come in faster than they need reading: reading them a
      // little later in batches keeps the parent from taking a core's
      // time slice for every seed.
      ::usleep(2000);
    }
  }

  // --seed_timeout: kills each worker whose seed has run too long; the
  // pool loop then reports the seed when it reaps the worker.
  void KillOverdue(SharedDispatch* shared, std::vector<Worker>* workers) {
    const Clock::time_point now = Clock::now();
    for (size_t slot = 0; slot < workers->size(); ++slot) {
      Worker& w = (*workers)[slot];
      if (w.pid < 0 || w.timed_out) continue;
      const uint64_t running = shared->running()[slot].load();
      if (running == SharedDispatch::kIdle || running == w.reported) continue;
      if (running != w.watched) {
        w.watched = running;
        w.watched_since = now;
        continue;
      }
      if (now - w.watched_since < absl::ToChronoNanoseconds(opt_.seed_timeout)) continue;
      if (::kill(w.pid, SIGKILL) == 0) w.timed_out = true;
    }
  }

  // Seeds a worker took from the shared counter but died before marking as
  // running (between the two, nothing else can tell the parent). Without an
  // outcome each would stop the seed-ordered printer for good: every later
  // outcome would go unprinted and uncounted. Each runs again in a worker of
  // its own, budget or interrupt notwithstanding (it was taken before
  // either), so a seed that kills its process is that seed's error here
  // too; one that no worker manages to start is reported as such. Called
  // once every worker of the campaign has exited.
  void RunUnclaimed(SharedDispatch* shared) {
    std::vector<uint64_t> unclaimed;
    {
      MutexLock lock(&mu_);
      const uint64_t end = std::min(next_index_, max_index_);
      for (uint64_t index = printed_; index < end && index <= cutoff_; ++index) {
        if (finished_.count(index) == 0) unclaimed.push_back(index);
      }
    }
    for (const uint64_t index : unclaimed) {
      {
        MutexLock lock(&mu_);
        if (index > cutoff_) return;  // an earlier one reached max_failures
      }
      shared->next_index.store(index);
      RunPool(shared, 1, WorkerLimits{index + 1, 0, /*stoppable=*/false});
      bool finished = false;
      {
        MutexLock lock(&mu_);
        finished = index < printed_ || finished_.count(index) > 0;
      }
      if (!finished) {
        Lost(index, "its worker process died before starting it, and no other could run it");
      }
    }
  }

  // Reads every outcome frame the worker has written; false once its pipe
  // is closed (a frame cut short counts as closed).
  bool Drain(Worker* w) {
    while (true) {
      uint64_t index = 0;
      uint64_t size = 0;
      if (!ReadU64(w->outcomes, &index) || !ReadU64(w->outcomes, &size) ||
          size > (uint64_t{1} << 32)) {
        return false;
      }
      std::string bytes(static_cast<size_t>(size), '\0');
      if (!ReadAll(w->outcomes, bytes.data(), bytes.size())) return false;
      w->reported = index;
      absl::StatusOr<SeedOutcome> o = DecodeOutcome(bytes);
      if (!o.ok()) {
        Lost(index, std::string(o.status().message()));
      } else {
        MutexLock lock(&mu_);
        Finish(index, *std::move(o));
      }
      int available = 0;
      if (::ioctl(w->outcomes, FIONREAD, &available) != 0 || available == 0) return true;
    }
  }

  // Seed `index` ran in a worker that is gone without its outcome: the seed
  // is an error saying why, with its replay command.
  void Lost(uint64_t index, const std::string& why) {
    SeedOutcome error;
    error.seed = opt_.first_seed + index;
    error.error = true;
    error.replay = sim::ReplayCommand(sim::RunFlags(opt_.args, error.seed));
    error.error_message = absl::StrCat(why, "; replay: ", error.replay);
    MutexLock lock(&mu_);
    Finish(index, std::move(error));
  }

  void PrintProgress() {
    MutexLock lock(&mu_);
    const double elapsed = SecondsSince(start_);
    std::string eta;
    if (opt_.seeds > 0 && done_ > 0) {
      const double left =
          static_cast<double>(opt_.seeds - done_) * elapsed / static_cast<double>(done_);
      eta = absl::StrFormat(", ETA %.0fs", left);
    } else if (budget_s_ > 0) {
      eta = absl::StrFormat(", %.0fs left", std::max(0.0, budget_s_ - elapsed));
    }
    std::fprintf(stderr, "\r%lld seeds done%s, %.1f seeds/s, %zu failed%s   ",
                 static_cast<long long>(done_),
                 opt_.seeds > 0 ? absl::StrCat(" of ", opt_.seeds).c_str() : "",
                 elapsed > 0 ? static_cast<double>(done_) / elapsed : 0.0, failing_.size(),
                 eta.c_str());
  }

  // Prints (and counts) the finished outcomes that continue the seed order.
  void PrintReady() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    while (true) {
      auto it = finished_.find(printed_);
      if (it == finished_.end() || printed_ > cutoff_) break;
      const SeedOutcome& o = it->second;
      if (o.error) {
        std::fprintf(out_, "seed %llu: ERROR %s\n", static_cast<unsigned long long>(o.seed),
                     o.error_message.c_str());
      } else if (!o.passed) {
        std::fprintf(out_, "seed %llu: FAIL %s; replay: %s%s%s\n",
                     static_cast<unsigned long long>(o.seed),
                     CountsText(o.violations_by_invariant).c_str(), o.replay.c_str(),
                     o.failure_files.empty() ? "" : "; kept in ", o.failure_files.c_str());
        if (opt_.verbose) std::fprintf(out_, "%s", o.report.c_str());
      } else if (opt_.verbose) {
        std::fprintf(out_, "seed %llu: PASS, trace hash %016llx, %llu steps\n",
                     static_cast<unsigned long long>(o.seed),
                     static_cast<unsigned long long>(o.trace_hash),
                     static_cast<unsigned long long>(o.trace_steps));
      }
      if (json_ != nullptr) {
        // Whole lines as they come: an interrupted campaign keeps them.
        std::fprintf(json_, "%s\n", OutcomeJson(o).c_str());
        std::fflush(json_);
      }
      Count(o);
      finished_.erase(it);
      ++printed_;
    }
    std::fflush(out_);
  }

  void Count(const SeedOutcome& o) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    for (const auto& [fault, states] : o.fault_states) {
      for (const std::string& state : states) ++summary_.fault_coverage[fault][state];
      ++summary_.faults_took_effect[fault];
    }
    for (const std::string& fault : o.faults_drawn) ++summary_.faults_drawn[fault];
    summary_.relists += o.relists;
    summary_.time_travel_findings += o.time_travel_findings;
    if (!o.error && o.passed) {
      ++summary_.passed;
      return;
    }
    ++summary_.failed;
    if (o.error) ++summary_.errors;
    summary_.failing_seeds.push_back(o.seed);
    for (const auto& [inv, n] : o.violations_by_invariant) ++summary_.violations_by_invariant[inv];
    if (summary_.seeds_to_first_failure < 0) {
      summary_.seeds_to_first_failure = static_cast<int64_t>(printed_) + 1;
      summary_.seconds_to_first_failure = o.finished_at_s;
      std::vector<std::string> invs;
      for (const auto& [inv, n] : o.violations_by_invariant) invs.push_back(inv);
      summary_.first_failure_invariants = o.error ? "ERROR" : absl::StrJoin(invs, ",");
    }
  }

  // The progress line on stderr, twice a second, until the workers are done.
  const CampaignOptions& opt_;
  const std::atomic<bool>* const interrupted_;
  std::FILE* const out_;
  std::FILE* const json_;
  const Clock::time_point start_;
  const double budget_s_;
  const uint64_t max_index_;

  Mutex mu_;
  uint64_t next_index_ ABSL_GUARDED_BY(mu_) = 0;
  // While workers run: the dispatch they share (the cutoff is published
  // there).
  SharedDispatch* shared_ ABSL_GUARDED_BY(mu_) = nullptr;
  std::map<uint64_t, SeedOutcome> finished_ ABSL_GUARDED_BY(mu_);  // not yet printed
  std::set<uint64_t> failing_ ABSL_GUARDED_BY(mu_);                // indices
  uint64_t cutoff_ ABSL_GUARDED_BY(mu_) = UINT64_MAX;  // no index above is started or printed
  uint64_t printed_ ABSL_GUARDED_BY(mu_) = 0;          // indices [0, printed_) are printed
  int64_t done_ ABSL_GUARDED_BY(mu_) = 0;
  CampaignSummary summary_ ABSL_GUARDED_BY(mu_);
};

}  // namespace

void Campaign::ShrinkFirstFailure(const CampaignOptions& opt, CampaignSummary& summary,
                                  std::FILE* out) {
  if (summary.failing_seeds.empty()) return;
  // The lowest failing seed (an invalid seed has nothing to shrink; the
  // next failing one is tried, at most a few).
  for (size_t i = 0; i < summary.failing_seeds.size() && i < 5; ++i) {
    const uint64_t seed = summary.failing_seeds[i];
    ShrinkLimits limits = opt.shrink_limits;
    limits.stop = &interrupted_;
    std::fprintf(out, "shrinking seed %llu ...\n", static_cast<unsigned long long>(seed));
    std::fflush(out);
    // Progress on a terminal: each accepted step.
    const std::function<void(const std::string&)> progress = [](const std::string& step) {
      std::fprintf(stderr, "shrink: %s\n", step.c_str());
    };
    absl::StatusOr<ShrinkResult> r =
        Shrink(sim::RunFlags(opt.args, seed), limits, opt.progress ? progress : nullptr);
    if (!r.ok()) {
      summary.shrunk = absl::StrCat("shrink: seed ", seed, ": ", r.status().message(), "\n");
      continue;
    }
    summary.shrunk_seed = seed;
    summary.shrunk = FormatShrinkResult(seed, *r);
    if (!opt.failures_dir.empty()) {
      const std::string dir = absl::StrCat(opt.failures_dir, "/seed-", seed);
      std::error_code ec;
      if (std::filesystem::is_directory(dir, ec)) {
        absl::Status kept = WriteFileAtomically(dir + "/shrunk.txt", summary.shrunk);
        absl::StatusOr<sim::SimOptions> shrunk = sim::OptionsFromFlags(r->flags);
        if (kept.ok() && shrunk.ok()) {
          kept = WriteFileAtomically(
              dir + "/shrunk.scenario",
              sim::ScenarioText(*shrunk, {"The shrunk counterexample of campaign seed " +
                                              std::to_string(seed) + "; it runs the same world as:",
                                          "  " + sim::ReplayCommand(r->flags),
                                          "As a regression test it expects the run to pass."}));
        }
        absl::StrAppend(&summary.shrunk, kept.ok() ? absl::StrCat("kept in ", dir, "/shrunk.txt")
                                                   : absl::StrCat("NOT KEPT: ", kept.message()),
                        "\n");
      }
    }
    return;
  }
}

absl::StatusOr<CampaignSummary> Campaign::Run(std::FILE* out) {
  const CampaignOptions& opt = options_;
  if (!opt.failures_dir.empty()) {
    std::error_code ec;
    std::filesystem::create_directories(opt.failures_dir, ec);
    const std::string probe = opt.failures_dir + "/.informer_sim_probe";
    if (ec || !WriteFileAtomically(probe, "").ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat("--failures_dir: cannot write in ", opt.failures_dir));
    }
    std::remove(probe.c_str());
  }
  std::FILE* json = nullptr;
  if (!opt.json_path.empty()) {
    json = std::fopen(opt.json_path.c_str(), "w");
    if (json == nullptr) {
      return absl::InvalidArgumentError(absl::StrCat("--json: cannot write ", opt.json_path));
    }
  }

  CampaignSummary summary = CampaignRun(opt, &interrupted_, out, json).Go();
  if (opt.shrink_failures && !summary.interrupted) ShrinkFirstFailure(opt, summary, out);
  std::string seeds_text;
  if (!summary.failing_seeds.empty()) {
    std::vector<std::string> shown;
    for (size_t i = 0; i < summary.failing_seeds.size() && i < 20; ++i) {
      shown.push_back(absl::StrCat(summary.failing_seeds[i]));
    }
    seeds_text = absl::StrCat("; failing seeds: ", absl::StrJoin(shown, " "));
    if (summary.failing_seeds.size() > 20) {
      absl::StrAppend(&seeds_text, " and ", summary.failing_seeds.size() - 20, " more");
    }
  }
  if (!summary.fault_coverage.empty()) {
    std::fprintf(out, "%s", CoverageTable(summary.fault_coverage).c_str());
  }
  if (!summary.faults_drawn.empty() || !summary.faults_took_effect.empty()) {
    std::fprintf(out, "%s", DrawnTable(summary).c_str());
  }
  const int64_t runs = summary.passed + summary.failed - summary.errors;
  if (runs > 0) {
    std::fprintf(out, "relists: %lld (%.1f per seed); time-travel findings (allowed): %lld\n",
                 static_cast<long long>(summary.relists),
                 static_cast<double>(summary.relists) / static_cast<double>(runs),
                 static_cast<long long>(summary.time_travel_findings));
  }
  if (!summary.violations_by_invariant.empty()) {
    std::fprintf(out, "failing seeds by invariant: %s\n",
                 CountsText(summary.violations_by_invariant).c_str());
  }
  if (!summary.shrunk.empty()) std::fprintf(out, "%s", summary.shrunk.c_str());
  if (summary.interrupted) {
    std::fprintf(out, "campaign interrupted: the seeds above are every seed that finished\n");
  }
  std::fprintf(out, "%lld passed, %lld failed%s\n", static_cast<long long>(summary.passed),
               static_cast<long long>(summary.failed), seeds_text.c_str());
  std::fflush(out);
  if (json != nullptr) {
    std::vector<std::string> seeds;
    for (uint64_t s : summary.failing_seeds) seeds.push_back(absl::StrCat(s));
    std::fprintf(
        json,
        "{\"summary\":{\"first_seed\":%llu,\"passed\":%lld,\"failed\":%lld,\"errors\":%lld,"
        "\"failing_seeds\":[%s],\"failing_seeds_by_invariant\":%s,"
        "\"seeds_to_first_failure\":%lld,\"seconds_to_first_failure\":%.3f,"
        "\"first_failure_invariants\":%s,\"wall_seconds\":%.3f,\"jobs\":%d,"
        "\"interrupted\":%s,\"budget_exhausted\":%s,\"fault_coverage\":%s,"
        "\"faults_drawn\":%s,\"faults_took_effect\":%s,\"relists\":%lld,"
        "\"time_travel_findings\":%lld,\"shrunk_seed\":%llu,\"shrunk\":%s}}\n",
        static_cast<unsigned long long>(opt.first_seed), static_cast<long long>(summary.passed),
        static_cast<long long>(summary.failed), static_cast<long long>(summary.errors),
        absl::StrJoin(seeds, ",").c_str(), CountsJson(summary.violations_by_invariant).c_str(),
        static_cast<long long>(summary.seeds_to_first_failure), summary.seconds_to_first_failure,
        JsonString(summary.first_failure_invariants).c_str(), summary.wall_seconds,
        std::max(1, opt.jobs), summary.interrupted ? "true" : "false",
        summary.budget_exhausted ? "true" : "false", CoverageJson(summary.fault_coverage).c_str(),
        CountsJson(summary.faults_drawn).c_str(), CountsJson(summary.faults_took_effect).c_str(),
        static_cast<long long>(summary.relists),
        static_cast<long long>(summary.time_travel_findings),
        static_cast<unsigned long long>(summary.shrunk_seed), JsonString(summary.shrunk).c_str());
    if (std::fclose(json) != 0) {
      return absl::DataLossError(absl::StrCat("--json: writing ", opt.json_path, " failed"));
    }
  }
  return summary;
}

}  // namespace tools
}  // namespace informersim
