// Scenario files (scenarios/scenario.proto, protobuf text format): loading,
// validation with FILE:LINE:COLUMN errors, and applying what a file states
// to SimOptions. Also the reverse, for --emit_scenario: a run's options as a
// scenario file.
//
// A scenario states what it cares about; ApplyScenario sets exactly those
// options (scalars the file sets, lists the file gives) and leaves the rest
// as they were, so a swarm draw can fill them in ("a scenario fixes what it
// states, the swarm draws the rest").
//
// Thread safety: plain functions over values.
#ifndef INFORMERSIM_SIM_SCENARIO_H_
#define INFORMERSIM_SIM_SCENARIO_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "sim/limits.h"
#include "absl/strings/string_view.h"
#include "core/profile.h"
#include "scenarios/scenario.pb.h"
#include "sim/sim_options.h"

namespace informersim {
namespace sim {

// Scenario files are read whole; larger ones are refused.
inline constexpr int64_t kMaxScenarioBytes = kMaxScenarioFileBytes;

struct ScenarioFile {
  std::string name;  // an embedded name, or the file's base name without extension
  std::string path;  // the file as given; "" for an embedded scenario
  scenarios::Scenario proto;
};

// Parses and validates `text`. Errors are InvalidArgument with the message
// "WHERE:LINE:COLUMN: what is wrong" (WHERE is `where`), one per error, the
// first few joined by newlines.
absl::StatusOr<ScenarioFile> ParseScenario(absl::string_view text, absl::string_view where,
                                           absl::string_view name);

// `name_or_path` is an embedded scenario's name ("default", "calm") or a
// path to a regular file of at most kMaxScenarioBytes.
absl::StatusOr<ScenarioFile> LoadScenario(absl::string_view name_or_path);
// The embedded scenario `name`, parsed once per process and never copied
// (a campaign reads it for every seed); null if there is none by that name
// or it does not parse (LoadScenario then says why).
const ScenarioFile* FindEmbeddedScenario(absl::string_view name);

// Sets the options the file states (see the file comment). `o->scenario`
// becomes the file's name.
void ApplyScenario(const ScenarioFile& file, SimOptions* o);

// What a run of the file uses unless --seed / --profile say otherwise.
uint64_t ScenarioSeed(const ScenarioFile& file);
Profile ScenarioProfile(const ScenarioFile& file);
// The profiles the file lists (CURRENT if none), in its order.
std::vector<Profile> ScenarioProfiles(const ScenarioFile& file);
// Every (seed, profile) the file is meant for, seeds outer.
std::vector<std::pair<uint64_t, Profile>> ScenarioRuns(const ScenarioFile& file);
// The file's world with `seed`, in its first profile: SimOptions' defaults
// with what the file states applied.
SimOptions ScenarioBase(const ScenarioFile& file, uint64_t seed);
// The core profile a file's profile names (CURRENT for an unspecified one).
Profile ProfileOf(scenarios::Profile profile);

// `o` as a scenario file that runs the same world with `o.seed` (swarm off:
// everything is stated). `comment` opens the file, one "# " line each.
std::string ScenarioText(const SimOptions& o, const std::vector<std::string>& comment);

}  // namespace sim
}  // namespace informersim

#endif  // INFORMERSIM_SIM_SCENARIO_H_
