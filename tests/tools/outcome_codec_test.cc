#include "tools/outcome_codec.h"

#include <string>

#include "absl/time/time.h"
#include "gtest/gtest.h"
#include "tools/campaign.h"

namespace informersim {
namespace tools {
namespace {

// Every field set to something other than its default.
SeedOutcome Full() {
  SeedOutcome o;
  o.seed = 0xfedcba9876543210u;
  o.error = true;
  o.error_message = "bad flag";
  o.passed = true;
  o.violations_by_invariant = {{"INV1", 3}, {"INV8", -2}};
  o.violations = 5;
  o.first_violation = "INV1 ns/a: missing";
  o.report = std::string("line one\nline two\0with a zero byte", 33);
  o.replay = "bazel run //tools:informer_sim -- --seed=7";
  o.failure_files = "/tmp/fails/seed-7";
  o.profile = "CLASSIC";
  o.world = "small";
  o.label_selector = "app=x";
  o.field_selector = "metadata.name=a";
  o.initial_objects = 12;
  o.duration = absl::Seconds(30);
  o.scripted_faults = 4;
  o.time_travel_findings = 1;
  o.relists = 9;
  o.writes = 321;
  o.trace_hash = 0x0123456789abcdefu;
  o.trace_steps = 4567;
  o.virtual_time = absl::Milliseconds(30123);
  o.fault_states = {{"break", {"synced", "listing"}}, {"lag", {}}};
  o.faults_drawn = {"break", "compact", "lag"};
  o.wall_seconds = 0.125;
  o.finished_at_s = 3.5;
  return o;
}

void ExpectSame(const SeedOutcome& a, const SeedOutcome& b) {
  EXPECT_EQ(a.seed, b.seed);
  EXPECT_EQ(a.error, b.error);
  EXPECT_EQ(a.error_message, b.error_message);
  EXPECT_EQ(a.passed, b.passed);
  EXPECT_EQ(a.violations_by_invariant, b.violations_by_invariant);
  EXPECT_EQ(a.violations, b.violations);
  EXPECT_EQ(a.first_violation, b.first_violation);
  EXPECT_EQ(a.report, b.report);
  EXPECT_EQ(a.replay, b.replay);
  EXPECT_EQ(a.failure_files, b.failure_files);
  EXPECT_EQ(a.profile, b.profile);
  EXPECT_EQ(a.world, b.world);
  EXPECT_EQ(a.label_selector, b.label_selector);
  EXPECT_EQ(a.field_selector, b.field_selector);
  EXPECT_EQ(a.initial_objects, b.initial_objects);
  EXPECT_EQ(a.duration, b.duration);
  EXPECT_EQ(a.scripted_faults, b.scripted_faults);
  EXPECT_EQ(a.time_travel_findings, b.time_travel_findings);
  EXPECT_EQ(a.relists, b.relists);
  EXPECT_EQ(a.writes, b.writes);
  EXPECT_EQ(a.trace_hash, b.trace_hash);
  EXPECT_EQ(a.trace_steps, b.trace_steps);
  EXPECT_EQ(a.virtual_time, b.virtual_time);
  EXPECT_EQ(a.fault_states, b.fault_states);
  EXPECT_EQ(a.faults_drawn, b.faults_drawn);
  EXPECT_EQ(a.wall_seconds, b.wall_seconds);
  EXPECT_EQ(a.finished_at_s, b.finished_at_s);
}

TEST(OutcomeCodecTest, EveryFieldRoundTrips) {
  const SeedOutcome o = Full();
  absl::StatusOr<SeedOutcome> back = DecodeOutcome(EncodeOutcome(o));
  ASSERT_TRUE(back.ok()) << back.status();
  ExpectSame(o, *back);
}

TEST(OutcomeCodecTest, DefaultsRoundTrip) {
  absl::StatusOr<SeedOutcome> back = DecodeOutcome(EncodeOutcome(SeedOutcome()));
  ASSERT_TRUE(back.ok()) << back.status();
  ExpectSame(SeedOutcome(), *back);
}

TEST(OutcomeCodecTest, EveryChangedFieldChangesTheBytes) {
  // A field the encoder skipped would not show: each one, changed alone,
  // must change the encoding.
  const std::string base = EncodeOutcome(SeedOutcome());
  int changed = 0;
  auto check = [&](const char* name, void (*set)(SeedOutcome&)) {
    SeedOutcome o;
    set(o);
    EXPECT_NE(EncodeOutcome(o), base) << name;
    ++changed;
  };
  check("seed", [](SeedOutcome& o) { o.seed = 1; });
  check("error", [](SeedOutcome& o) { o.error = true; });
  check("error_message", [](SeedOutcome& o) { o.error_message = "x"; });
  check("passed", [](SeedOutcome& o) { o.passed = true; });
  check("violations_by_invariant", [](SeedOutcome& o) { o.violations_by_invariant["I"] = 1; });
  check("violations", [](SeedOutcome& o) { o.violations = 1; });
  check("first_violation", [](SeedOutcome& o) { o.first_violation = "x"; });
  check("report", [](SeedOutcome& o) { o.report = "x"; });
  check("replay", [](SeedOutcome& o) { o.replay = "x"; });
  check("failure_files", [](SeedOutcome& o) { o.failure_files = "x"; });
  check("profile", [](SeedOutcome& o) { o.profile = "x"; });
  check("world", [](SeedOutcome& o) { o.world = "x"; });
  check("label_selector", [](SeedOutcome& o) { o.label_selector = "x"; });
  check("field_selector", [](SeedOutcome& o) { o.field_selector = "x"; });
  check("initial_objects", [](SeedOutcome& o) { o.initial_objects = 1; });
  check("duration", [](SeedOutcome& o) { o.duration = absl::Seconds(1); });
  check("scripted_faults", [](SeedOutcome& o) { o.scripted_faults = 1; });
  check("time_travel_findings", [](SeedOutcome& o) { o.time_travel_findings = 1; });
  check("relists", [](SeedOutcome& o) { o.relists = 1; });
  check("writes", [](SeedOutcome& o) { o.writes = 1; });
  check("trace_hash", [](SeedOutcome& o) { o.trace_hash = 1; });
  check("trace_steps", [](SeedOutcome& o) { o.trace_steps = 1; });
  check("virtual_time", [](SeedOutcome& o) { o.virtual_time = absl::Seconds(1); });
  check("fault_states", [](SeedOutcome& o) { o.fault_states["f"] = {"s"}; });
  check("faults_drawn", [](SeedOutcome& o) { o.faults_drawn = {"f"}; });
  check("wall_seconds", [](SeedOutcome& o) { o.wall_seconds = 1; });
  check("finished_at_s", [](SeedOutcome& o) { o.finished_at_s = 1; });
  EXPECT_EQ(changed, 27);
}

TEST(OutcomeCodecTest, TruncatedOrPaddedBytesAreRejected) {
  const std::string bytes = EncodeOutcome(Full());
  for (size_t n = 0; n < bytes.size(); n += 7) {
    EXPECT_FALSE(DecodeOutcome(bytes.substr(0, n)).ok()) << n;
  }
  EXPECT_FALSE(DecodeOutcome(bytes + "x").ok());
  // A length that claims more than there is (bytes 16-23: error_message's).
  std::string huge = bytes;
  for (int i = 16; i < 24; ++i) huge[static_cast<size_t>(i)] = '\xff';
  EXPECT_FALSE(DecodeOutcome(huge).ok());
  // A flag that is neither 0 nor 1 (bytes 8-15: `error`).
  std::string flag = bytes;
  flag[8] = '\x02';
  EXPECT_FALSE(DecodeOutcome(flag).ok());
}

}  // namespace
}  // namespace tools
}  // namespace informersim
