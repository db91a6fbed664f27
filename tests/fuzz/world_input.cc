#include "tests/fuzz/world_input.h"

#include <cstdint>
#include <cstdlib>
#include <optional>
#include <string>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"

#include "sim/choice_stream.h"

namespace informersim {
namespace fuzz {

absl::StatusOr<sim::SimOptions> WorldFromInput(absl::string_view bytes) {
  uint64_t seed = 0;
  for (size_t i = 0; i < 4 && i < bytes.size(); ++i) {
    seed |= static_cast<uint64_t>(static_cast<uint8_t>(bytes[i])) << (8 * i);
  }
  seed += 1;
  sim::ChoiceStream choices(bytes.size() > 4 ? bytes.substr(4) : absl::string_view());
  absl::StatusOr<sim::SimOptions> base = sim::ScenarioOptions("default", seed);
  if (!base.ok()) return base.status();
  sim::SimOptions o =
      sim::DrawWorldFromChoices(choices, *base, seed, sim::SwarmWorld::kSmall);
  // A campaign against a bug that exists in one profile only fixes it.
  if (const char* profile = std::getenv("WORLD_FUZZER_PROFILE"); profile != nullptr && *profile) {
    const std::string p = absl::AsciiStrToLower(profile);
    if (const std::optional<Profile> fixed = ProfileFromName(p); fixed.has_value()) {
      o.profile = *fixed;
    } else if (p != "both" && p != "any") {
      return absl::InvalidArgumentError(absl::StrCat(
          "WORLD_FUZZER_PROFILE=", profile, ": not classic, current, interim or both"));
    }
  }
  absl::Status valid = sim::ValidateOptions(o);
  if (!valid.ok()) return valid;
  return o;
}

}  // namespace fuzz
}  // namespace informersim
