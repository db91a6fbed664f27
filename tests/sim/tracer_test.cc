#include "sim/tracer.h"

#include <cstdio>
#include <fstream>
#include <string>

#include "absl/time/time.h"
#include "core/manual_runtime.h"
#include "gtest/gtest.h"

namespace informersim {
namespace sim {
namespace {

std::string TempPath(const char* name) {
  const char* dir = std::getenv("TEST_TMPDIR");
  return std::string(dir != nullptr ? dir : "/tmp") + "/" + name;
}

void RecordSome(ManualRuntime& rt, Tracer& t) {
  t.Record(PHASE, "sim", "setup");
  rt.AdvanceBy(absl::Milliseconds(1500));
  t.Record(WRITE, "ns/a", "create rv=2");
  t.Record(TASK, "reflector", "");
}

TEST(Tracer, SameStepsSameHashAnyChangeDiffers) {
  ManualRuntime rt1, rt2;
  Tracer a(&rt1, rt1.Now(), true), b(&rt2, rt2.Now(), false);
  RecordSome(rt1, a);
  RecordSome(rt2, b);
  EXPECT_EQ(a.hash(), b.hash());
  EXPECT_EQ(a.step_count(), 3u);
  EXPECT_EQ(b.steps().size(), 0u);
  ASSERT_EQ(a.steps().size(), 3u);
  EXPECT_EQ(a.steps()[1].time_us(), 1500000);
  EXPECT_EQ(a.count(WRITE), 1u);

  ManualRuntime rt3;
  Tracer c(&rt3, rt3.Now(), false);
  c.Record(PHASE, "sim", "setup");
  rt3.AdvanceBy(absl::Milliseconds(1500));
  c.Record(WRITE, "ns/a", "create rv=3");  // one byte differs
  c.Record(TASK, "reflector", "");
  EXPECT_NE(a.hash(), c.hash());
}

TEST(Tracer, ActorDetailBoundaryIsPartOfTheHash) {
  ManualRuntime rt;
  Tracer a(&rt, rt.Now(), false), b(&rt, rt.Now(), false);
  a.Record(TASK, "ab", "c");
  b.Record(TASK, "a", "bc");
  EXPECT_NE(a.hash(), b.hash());
}

TEST(Tracer, FileRoundTripAndFirstDifference) {
  ManualRuntime rt;
  Tracer t(&rt, rt.Now(), true);
  RecordSome(rt, t);
  TraceHeader header;
  header.set_format_version(kTraceFormatVersion);
  header.set_seed(9);
  header.add_flags("--seed=9");
  const std::string path = TempPath("trace.bin");
  ASSERT_TRUE(WriteTraceFile(t.ToProto(header), path).ok());
  auto read = ReadTraceFile(path);
  ASSERT_TRUE(read.ok()) << read.status();
  EXPECT_EQ(read->hash(), t.hash());
  EXPECT_EQ(read->header().seed(), 9u);
  std::vector<TraceStep> steps(read->steps().begin(), read->steps().end());
  EXPECT_EQ(FirstDifference(t.steps(), steps), "");
  steps[2].set_actor("controller");
  const std::string diff = FirstDifference(t.steps(), steps);
  EXPECT_NE(diff.find("step 2"), std::string::npos) << diff;
  steps.pop_back();
  EXPECT_NE(FirstDifference(t.steps(), steps).find("missing"), std::string::npos);
}

TEST(Tracer, CorruptOrTamperedFilesAreClearErrors) {
  const std::string garbage = TempPath("garbage.bin");
  {
    std::ofstream out(garbage, std::ios::binary);
    out << "\xff\xff\xff\xff not a protobuf";
  }
  auto bad = ReadTraceFile(garbage);
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(std::string(bad.status().message()).find(garbage), std::string::npos);

  ManualRuntime rt;
  Tracer t(&rt, rt.Now(), true);
  RecordSome(rt, t);
  TraceHeader header;
  header.set_format_version(kTraceFormatVersion);
  Trace trace = t.ToProto(header);
  trace.mutable_steps(1)->set_detail("tampered");
  const std::string tampered = TempPath("tampered.bin");
  ASSERT_TRUE(WriteTraceFile(trace, tampered).ok());
  auto r = ReadTraceFile(tampered);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(std::string(r.status().message()).find("does not match"), std::string::npos);

  EXPECT_FALSE(ReadTraceFile(TempPath("absent.bin")).ok());
  header.set_format_version(99);
  ASSERT_TRUE(WriteTraceFile(t.ToProto(header), tampered).ok());
  EXPECT_FALSE(ReadTraceFile(tampered).ok());
}

}  // namespace
}  // namespace sim
}  // namespace informersim
