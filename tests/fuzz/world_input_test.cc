// The world fuzzer's input format (world_input.h) and its choice source
// (sim/choice_stream.h): inputs decide worlds, short inputs are simple
// worlds, and a world converts to a scenario file that replays it exactly
// (what world_to_scenario gives a user for a crash input).
#include "tests/fuzz/world_input.h"

#include <cstdlib>
#include <fstream>
#include <functional>
#include <random>
#include <string>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "sim/choice_stream.h"
#include "sim/scenario.h"
#include "sim/simulation.h"

namespace informersim {
namespace fuzz {
namespace {

// A literal's bytes, NULs included.
template <size_t N>
std::string Bytes(const char (&literal)[N]) {
  return std::string(literal, N - 1);
}

TEST(ChoiceStream, ReadsWhatARangeNeedsAndThenTheSmallestChoices) {
  const std::string bytes("\x05\x01\x02\xff\x80", 5);
  sim::ChoiceStream c(bytes);
  EXPECT_EQ(c.Below(10), 5u);          // one byte
  EXPECT_EQ(c.Below(1000), 258u % 1000);  // two bytes, big-endian
  EXPECT_TRUE(c.Chance(1.0));          // no byte read
  EXPECT_TRUE(c.Chance(0.5));          // 0xff >= 128
  EXPECT_EQ(c.used(), 4u);
  EXPECT_EQ(c.Range(3, 3), 3);         // a range of one reads nothing
  EXPECT_FALSE(c.Chance(0.4));         // 0x80 < 153.6
  EXPECT_TRUE(c.exhausted());
  EXPECT_EQ(c.Below(7), 0u);
  EXPECT_EQ(c.Range(-4, 9), -4);
  EXPECT_FALSE(c.Chance(0.99));
  EXPECT_EQ(c.Float64(), 0.0);
}

TEST(WorldInput, TheSameBytesMakeTheSameWorldAndEmptyInputIsTheSimplest) {
  absl::StatusOr<sim::SimOptions> empty = WorldFromInput("");
  ASSERT_TRUE(empty.ok()) << empty.status();
  EXPECT_EQ(empty->seed, 1u);
  EXPECT_EQ(empty->workload.initial_objects, 0);
  EXPECT_EQ(empty->duration, absl::Milliseconds(2000));
  EXPECT_TRUE(empty->faults.empty());
  EXPECT_EQ(empty->label_selector, "");
  // Every coin yes, every choice the largest: a selector among the rest.
  absl::StatusOr<sim::SimOptions> full = WorldFromInput(std::string(600, '\xff'));
  ASSERT_TRUE(full.ok()) << full.status();
  EXPECT_NE(full->label_selector, "");
  const std::string bytes = Bytes("\x07\x00\x00\x00some choices of a world");
  absl::StatusOr<sim::SimOptions> a = WorldFromInput(bytes);
  absl::StatusOr<sim::SimOptions> b = WorldFromInput(bytes);
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ(a->seed, 8u);
  EXPECT_EQ(a->workload.initial_objects, 'm' % 13);
  EXPECT_EQ(sim::ScenarioText(*a, {}), sim::ScenarioText(*b, {}));
  absl::StatusOr<sim::SimOptions> other =
      WorldFromInput(Bytes("\x07\x00\x00\x00sone choices of a world"));
  ASSERT_TRUE(other.ok());
  EXPECT_NE(sim::ScenarioText(*a, {}), sim::ScenarioText(*other, {}));
}

TEST(WorldInput, AWorldAsAScenarioFileReplaysExactly) {
  std::mt19937 gen(5);
  for (int i = 0; i < 10; ++i) {
    std::string bytes(4 + gen() % 120, '\0');
    for (char& ch : bytes) ch = static_cast<char>(gen() & 0xff);
    absl::StatusOr<sim::SimOptions> world = WorldFromInput(bytes);
    ASSERT_TRUE(world.ok()) << world.status();
    const std::string text = sim::ScenarioText(*world, {"test"});
    const std::string path = absl::StrCat(::testing::TempDir(), "/w", i, ".scenario");
    std::ofstream(path) << text;
    absl::StatusOr<sim::SimOptions> again = sim::OptionsFromFlags({"--scenario=" + path});
    ASSERT_TRUE(again.ok()) << again.status() << "\n" << text;
    absl::StatusOr<sim::SimResult> a = sim::RunSimulation(*world);
    absl::StatusOr<sim::SimResult> b = sim::RunSimulation(*again);
    ASSERT_TRUE(a.ok() && b.ok());
    EXPECT_EQ(a->trace_hash, b->trace_hash) << "input " << i << "\n" << text;
    EXPECT_TRUE(a->passed) << a->report;
  }
}

TEST(WorldInput, TheProfileCanBeFixedByTheEnvironment) {
  const std::string bytes = Bytes("\x01\x00\x00\x00\x10\x20\x30\x40\x50\x60\x70");
  ASSERT_EQ(setenv("WORLD_FUZZER_PROFILE", "interim", 1), 0);
  absl::StatusOr<sim::SimOptions> w = WorldFromInput(bytes);
  ASSERT_TRUE(w.ok());
  EXPECT_EQ(w->profile, Profile::kInterim);
  ASSERT_EQ(setenv("WORLD_FUZZER_PROFILE", "sideways", 1), 0);
  EXPECT_FALSE(WorldFromInput(bytes).ok());
  ASSERT_EQ(unsetenv("WORLD_FUZZER_PROFILE"), 0);
}

}  // namespace
}  // namespace fuzz
}  // namespace informersim
