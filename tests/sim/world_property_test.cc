// RapidCheck end to end: generated worlds (profile, a handful of objects,
// write rate, seconds of virtual time, a fault script, server shapes) run
// through the whole simulation, and the checker must find nothing. A
// failure shrinks with RapidCheck's own shrinking of the generated world
// and prints its reproduce string (RC_PARAMS="reproduce=...") beside the
// informer_sim command that replays the run.
#include <cstdint>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "gtest/gtest.h"
#include "rapidcheck.h"
#include "rapidcheck/gtest.h"
#include "sim/sim_options.h"
#include "sim/simulation.h"

namespace informersim {
namespace sim {
namespace {

// A world as informer_sim flags: what a failure prints is a command.
struct World {
  std::vector<std::string> flags;
};

rc::Gen<std::string> FaultGen(int64_t duration_ms) {
  return rc::gen::apply(
      [](int64_t at_ms, int kind, int64_t arg_ms, bool on_list) {
        static const char* const kKinds[] = {"break", "compact", "refuse", "fail",
                                             "pause", "restart", "churn", "add"};
        const std::string k = std::string(kKinds[kind]) + (on_list ? "@list" : "");
        const std::string at = absl::StrCat(at_ms, "ms:", k);
        switch (kind) {
          case 2:
          case 3:
          case 4:
          case 6:
            return absl::StrCat(at, ":", arg_ms, "ms");
          default:
            return at;
        }
      },
      rc::gen::inRange<int64_t>(0, duration_ms), rc::gen::inRange(0, 8),
      rc::gen::inRange<int64_t>(100, 4000), rc::gen::arbitrary<bool>());
}

rc::Gen<World> WorldGen() {
  return rc::gen::mapcat(rc::gen::inRange<int64_t>(2000, 12000), [](int64_t duration_ms) {
    return rc::gen::apply(
        [duration_ms](int profile, int objects, int rate, std::vector<std::string> faults,
                      uint64_t seed, bool bookmarks, bool watch_list, int page_size) {
          static const char* const kProfiles[] = {"classic", "current", "interim"};
          World w;
          w.flags = {absl::StrCat("--seed=", seed),
                     "--scenario=calm",
                     absl::StrCat("--profile=", kProfiles[profile]),
                     absl::StrCat("--duration=", duration_ms, "ms"),
                     absl::StrCat("--objects=", objects),
                     absl::StrCat("--write_rate=", rate),
                     absl::StrCat("--bookmarks=", bookmarks ? "true" : "false"),
                     absl::StrCat("--watch_list=", watch_list ? "true" : "false"),
                     absl::StrCat("--page_size=", page_size),
                     "--instances=2",
                     "--max_lag=1s"};
          std::string script;
          for (const std::string& f : faults) absl::StrAppend(&script, script.empty() ? "" : ",", f);
          w.flags.push_back(absl::StrCat("--faults=", script.empty() ? "none" : script));
          return w;
        },
        rc::gen::inRange(0, 3), rc::gen::inRange(0, 10), rc::gen::inRange(0, 30),
        rc::gen::resize(8, rc::gen::container<std::vector<std::string>>(FaultGen(duration_ms))),
        rc::gen::inRange<uint64_t>(1, 1000000), rc::gen::arbitrary<bool>(),
        rc::gen::arbitrary<bool>(), rc::gen::inRange(0, 4));
  });
}

std::string Command(const World& w) {
  std::string out = "bazel run //tools:informer_sim --";
  for (const std::string& f : w.flags) absl::StrAppend(&out, " ", f);
  return out;
}

RC_GTEST_PROP(WorldProperty, GeneratedWorldsPassTheChecker, ()) {
  const World w = *WorldGen();
  absl::StatusOr<SimOptions> o = OptionsFromFlags(w.flags);
  RC_PRE(o.ok());  // a generated fault past a shortened phase, say
  absl::StatusOr<SimResult> r = RunSimulation(*o, w.flags);
  RC_ASSERT(r.ok());
  RC_LOG() << Command(w) << "\n" << r->report;
  RC_ASSERT(r->passed);
}

}  // namespace
}  // namespace sim
}  // namespace informersim
