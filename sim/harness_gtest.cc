#include "sim/harness_gtest.h"

#include <cstdlib>
#include <fstream>
#include <map>
#include <set>
#include <string>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/time.h"

namespace informersim {
namespace sim {
namespace {

int64_t EnvInt(const char* name, int64_t fallback) {
  const char* v = std::getenv(name);
  int64_t n = 0;
  if (v == nullptr || !absl::SimpleAtoi(v, &n)) return fallback;
  return n;
}

struct Tally {
  std::map<std::string, int64_t> violations;          // invariant -> count
  std::map<std::string, std::set<uint64_t>> seeds;    // invariant -> failing seeds
  int64_t failed_runs = 0;
  std::string first;  // the first failing run's first violation and replay line
};

void Note(uint64_t seed, const SimResult& r, Tally* t) {
  ++t->failed_runs;
  for (const Violation& v : r.violations) {
    ++t->violations[v.invariant];
    t->seeds[v.invariant].insert(seed);
  }
  if (!t->first.empty()) return;
  if (r.violations.empty()) {
    t->first = absl::StrCat("seed ", seed, " failed without a violation:\n", r.report);
    return;
  }
  const Violation& v = r.violations.front();
  t->first = absl::StrCat("first: seed ", seed, ", ", v.invariant, " at ",
                          absl::FormatDuration(v.at), " (step ", v.step, ")",
                          v.key.empty() ? "" : absl::StrCat(" key=", v.key),
                          v.handler.empty() ? "" : absl::StrCat(" handler=", v.handler), ":\n  ",
                          v.detail);
  const size_t replay = r.report.find("replay: ");
  if (replay != std::string::npos) {
    const size_t end = r.report.find('\n', replay);
    absl::StrAppend(&t->first, "\n", r.report.substr(replay, end - replay));
  }
}

std::string Summary(const Tally& t, size_t runs) {
  std::string out = absl::StrCat(t.failed_runs, " of ", runs, " runs failed\n");
  for (const auto& [invariant, n] : t.violations) {
    const std::set<uint64_t>& seeds = t.seeds.at(invariant);
    std::vector<uint64_t> shown(seeds.begin(), seeds.end());
    if (shown.size() > 10) shown.resize(10);
    absl::StrAppend(&out, "  ", invariant, ": ", n, " violation(s) in ", seeds.size(),
                    " run(s), seeds ", absl::StrJoin(shown, " "), seeds.size() > 10 ? " ..." : "",
                    "\n");
  }
  absl::StrAppend(&out, t.first);
  return out;
}

}  // namespace

std::vector<uint64_t> SeedsForThisShard(uint64_t first, uint64_t count) {
  if (const char* forced = std::getenv("INFORMERSIM_SEED")) {
    uint64_t seed = 0;
    if (!absl::SimpleAtoi(forced, &seed)) {
      ADD_FAILURE() << "INFORMERSIM_SEED=\"" << forced << "\" is not an unsigned integer";
      return {};
    }
    return {seed};
  }
  const int64_t shards = EnvInt("TEST_TOTAL_SHARDS", 1);
  const int64_t index = EnvInt("TEST_SHARD_INDEX", 0);
  std::vector<uint64_t> seeds;
  if (shards < 1 || index < 0 || index >= shards) {
    ADD_FAILURE() << "TEST_SHARD_INDEX " << index << " is not within TEST_TOTAL_SHARDS " << shards;
    return seeds;
  }
  for (uint64_t i = static_cast<uint64_t>(index); i < count; i += static_cast<uint64_t>(shards)) {
    seeds.push_back(first + i);
  }
  return seeds;
}

::testing::AssertionResult PassesOnSeeds(const Simulation& sim,
                                         const std::vector<uint64_t>& seeds) {
  Tally t;
  for (uint64_t seed : seeds) {
    absl::StatusOr<SimResult> r = sim.Run(seed);
    if (!r.ok()) {
      return ::testing::AssertionFailure() << "seed " << seed << " could not run: " << r.status();
    }
    if (!r->passed) Note(seed, *r, &t);
  }
  if (t.failed_runs == 0) {
    return ::testing::AssertionSuccess() << seeds.size() << " runs passed";
  }
  return ::testing::AssertionFailure() << Summary(t, seeds.size());
}

::testing::AssertionResult CaughtOnSomeSeed(const Simulation& sim,
                                            const std::vector<uint64_t>& seeds,
                                            absl::string_view invariant) {
  Tally t;
  for (uint64_t seed : seeds) {
    absl::StatusOr<SimResult> r = sim.Run(seed);
    if (!r.ok()) {
      return ::testing::AssertionFailure() << "seed " << seed << " could not run: " << r.status();
    }
    if (r->passed) continue;
    for (const Violation& v : r->violations) {
      if (v.invariant == invariant) {
        return ::testing::AssertionSuccess() << invariant << " caught at seed " << seed;
      }
    }
    Note(seed, *r, &t);
  }
  return ::testing::AssertionFailure()
         << invariant << " was not caught on " << seeds.size() << " seed(s)"
         << (t.failed_runs > 0 ? absl::StrCat("; other failures:\n", Summary(t, seeds.size()))
                               : std::string());
}

}  // namespace sim
}  // namespace informersim
