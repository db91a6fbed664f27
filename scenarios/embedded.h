// The scenario files compiled into informer_sim (scenarios/default.scenario
// and scenarios/calm.scenario), so that `--scenario=default` and a run with
// no flags need no file on disk.
//
// Thread safety: constant data.
#ifndef INFORMERSIM_SCENARIOS_EMBEDDED_H_
#define INFORMERSIM_SCENARIOS_EMBEDDED_H_

#include <optional>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"

namespace informersim {
namespace scenarios {

// The text of the embedded scenario `name` ("default", "calm"), if any.
std::optional<absl::string_view> EmbeddedScenario(absl::string_view name);
// Their names, sorted.
std::vector<std::string> EmbeddedScenarioNames();

}  // namespace scenarios
}  // namespace informersim

#endif  // INFORMERSIM_SCENARIOS_EMBEDDED_H_
