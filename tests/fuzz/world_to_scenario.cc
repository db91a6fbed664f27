// world_to_scenario INPUT OUT: writes the world a world_fuzzer input
// describes as a scenario file, for informer_sim --scenario=OUT.
#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>

#include "sim/scenario.h"
#include "tests/fuzz/world_input.h"

int main(int argc, char** argv) {
  if (argc != 3) {
    std::fprintf(stderr, "usage: world_to_scenario WORLD_FUZZER_INPUT OUT.scenario\n");
    return 2;
  }
  std::ifstream in(argv[1], std::ios::binary);
  if (!in) {
    std::fprintf(stderr, "world_to_scenario: cannot open %s\n", argv[1]);
    return 2;
  }
  std::ostringstream bytes;
  bytes << in.rdbuf();
  if (bytes.str().size() > 4096) {
    std::fprintf(stderr, "world_to_scenario: %s is larger than the fuzzer's 4096 bytes\n",
                 argv[1]);
    return 2;
  }
  absl::StatusOr<informersim::sim::SimOptions> world =
      informersim::fuzz::WorldFromInput(bytes.str());
  if (!world.ok()) {
    std::fprintf(stderr, "world_to_scenario: %s\n", std::string(world.status().message()).c_str());
    return 2;
  }
  std::ofstream out(argv[2], std::ios::binary | std::ios::trunc);
  out << informersim::sim::ScenarioText(
      *world, {std::string("The world of world_fuzzer input ") + argv[1] + "."});
  out.close();
  if (!out) {
    std::fprintf(stderr, "world_to_scenario: cannot write %s\n", argv[2]);
    return 2;
  }
  std::printf("scenario written to %s\n", argv[2]);
  return 0;
}
