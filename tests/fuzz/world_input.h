// The world fuzzer's input format: how a fuzzer's bytes become a world.
//
//   bytes 0-3   the seed, little-endian (plus one): it drives the run itself
//               (workload writes, rate faults, the scheduler's choices)
//   the rest    the choices of the swarm's small-world draw (sim/
//               choice_stream.h): object count, namespaces, write rate,
//               profile, resync periods, page and batch size, bookmarks,
//               watch-list, server instances and lags, history window,
//               compaction, fault rates, handlers and their speeds, late
//               handlers, scripted faults and their times, and (last) the
//               informer's label selector, if any
//
// The environment variable WORLD_FUZZER_PROFILE (classic, current, interim;
// both or unset: drawn) fixes the profile, for campaigns against a bug that
// exists in one profile only; world_to_scenario must see the same value.
//
// Shared by the fuzzer and by world_to_scenario, which turns a crash input
// into a scenario file that informer_sim replays.
//
// Thread safety: a pure function.
#ifndef INFORMERSIM_TESTS_FUZZ_WORLD_INPUT_H_
#define INFORMERSIM_TESTS_FUZZ_WORLD_INPUT_H_

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "sim/sim_options.h"

namespace informersim {
namespace fuzz {

// The world `bytes` describe; an error for a bad WORLD_FUZZER_PROFILE or a
// drawn world that is invalid (which the swarm's draw never makes).
absl::StatusOr<sim::SimOptions> WorldFromInput(absl::string_view bytes);

}  // namespace fuzz
}  // namespace informersim

#endif  // INFORMERSIM_TESTS_FUZZ_WORLD_INPUT_H_
