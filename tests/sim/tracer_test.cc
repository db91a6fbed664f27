#include "sim/tracer.h"

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <string>

#include "absl/strings/str_cat.h"
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

// The step hash written out the slow way, byte by byte, as the trace format
// defines it (tracer.h, format 4): every string length, every tail length
// and bytes above 0x7f must give the same value as the Tracer's word-wise
// code, and a string's hash must not depend on where it sits in memory.
constexpr uint64_t kKey[6] = {0x8ebc6af09c88c6e3ULL, 0x589965cc75374cc3ULL, 0x1d8e4e27c47d124fULL,
                              0xd6e8feb86659fd93ULL, 0x9e3779b97f4a7c15ULL, 0xc2b2ae3d27d4eb4fULL};

uint64_t ReferenceFold(uint64_t a, uint64_t b) {
  const unsigned __int128 p = static_cast<unsigned __int128>(a) * b;
  return static_cast<uint64_t>(p) ^ static_cast<uint64_t>(p >> 64);
}

// Bytes [from, to) of s (clipped to s) as a little-endian word.
uint64_t ReferenceWord(const std::string& s, size_t from, size_t to) {
  uint64_t word = 0;
  for (size_t j = from; j < to && j < s.size(); ++j) {
    word |= static_cast<uint64_t>(static_cast<unsigned char>(s[j])) << (8 * (j - from));
  }
  return word;
}

uint64_t ReferenceStringHash(const std::string& s) {
  uint64_t h = 0xa0761d6478bd642fULL ^ s.size();
  size_t i = 0;
  for (; s.size() - i > 16; i += 16) {
    h = ReferenceFold(ReferenceWord(s, i, i + 8) ^ kKey[0], ReferenceWord(s, i + 8, i + 16) ^ h);
  }
  return ReferenceFold(ReferenceWord(s, i, i + 8) ^ kKey[0],
                       ReferenceWord(s, i + 8, i + 16) ^ h ^ kKey[1]);
}

TEST(Tracer, StepHashMatchesTheByteWiseDefinition) {
  ManualRuntime rt;
  Tracer t(&rt, rt.Now(), false);
  uint64_t expected = EmptyTraceHash();
  for (size_t n = 0; n <= 40; ++n) {
    std::string actor, detail;
    for (size_t i = 0; i < n; ++i) {
      actor.push_back(static_cast<char>(0x41 + (i * 7 + n) % 26));
      detail.push_back(static_cast<char>(0x80 + (i * 13 + n) % 128));  // high bytes
    }
    rt.AdvanceBy(absl::Microseconds(n % 3 == 0 ? 0 : 250));  // repeated times too
    // The actor's hash given by the caller on odd steps (the scheduler's way).
    if (n % 2 == 1) {
      const TraceActor cached(actor);
      t.Record(WRITE, cached, detail);
    } else {
      t.Record(WRITE, actor, detail);
    }
    const int64_t time_us = absl::ToInt64Microseconds(rt.Now() - t.start());
    expected = ReferenceFold(expected ^ n ^ kKey[0], static_cast<uint64_t>(time_us) ^ kKey[1]);
    expected = ReferenceFold(expected ^ static_cast<uint64_t>(WRITE) ^ kKey[2],
                             ReferenceStringHash(actor) ^ kKey[3]);
    expected = ReferenceFold(expected ^ kKey[4], ReferenceStringHash(detail) ^ kKey[5]);
    ASSERT_EQ(t.hash(), expected) << "strings of " << n << " bytes";
  }
}

TEST(Tracer, StringHashIgnoresAlignmentAndSeesEveryByte) {
  std::string buffer(80, '\0');
  for (size_t n = 0; n <= 48; ++n) {
    std::string s;
    for (size_t i = 0; i < n; ++i) s.push_back(static_cast<char>(0x20 + (i * 31 + n) % 200));
    const uint64_t want = ReferenceStringHash(s);
    for (size_t offset = 0; offset < 8; ++offset) {
      std::copy(s.begin(), s.end(), buffer.begin() + offset);
      ASSERT_EQ(TraceStringHash(absl::string_view(buffer.data() + offset, n)), want)
          << n << " bytes at offset " << offset;
    }
    // Every byte counts, and so does the length (a trailing zero byte).
    for (size_t i = 0; i < n; ++i) {
      std::string flipped = s;
      flipped[i] = static_cast<char>(flipped[i] ^ 0x01);
      ASSERT_NE(TraceStringHash(flipped), want) << n << " bytes, byte " << i;
    }
    ASSERT_NE(TraceStringHash(s + std::string(1, '\0')), want) << n << " bytes";
  }
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

TraceHeader HeaderWithSeed(uint64_t seed) {
  TraceHeader header;
  header.set_format_version(kTraceFormatVersion);
  header.set_seed(seed);
  header.add_flags(absl::StrCat("--seed=", seed));
  header.add_flags("--profile=CURRENT");
  return header;
}

Trace SomeTrace(const TraceHeader& header) {
  ManualRuntime rt;
  Tracer t(&rt, rt.Now(), true);
  RecordSome(rt, t);
  return t.ToProto(header);
}

std::string Message(const absl::StatusOr<Trace>& r) { return std::string(r.status().message()); }

TEST(Tracer, CorruptOrTamperedFilesAreClearErrors) {
  const std::string garbage = TempPath("garbage.bin");
  {
    std::ofstream out(garbage, std::ios::binary);
    out << "\xff\xff\xff\xff not a protobuf";
  }
  auto bad = ReadTraceFile(garbage);
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(Message(bad).find(garbage), std::string::npos);
  EXPECT_NE(Message(bad).find("not a trace file"), std::string::npos) << Message(bad);

  // Steps changed and the file framed again: the step hash catches it.
  Trace trace = SomeTrace(HeaderWithSeed(0));
  trace.mutable_steps(1)->set_detail("tampered");
  const std::string tampered = TempPath("tampered.bin");
  ASSERT_TRUE(WriteTraceFile(trace, tampered).ok());
  auto r = ReadTraceFile(tampered);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(Message(r).find("does not match its steps"), std::string::npos) << Message(r);

  EXPECT_FALSE(ReadTraceFile(TempPath("absent.bin")).ok());
  TraceHeader future = HeaderWithSeed(0);
  future.set_format_version(99);
  ASSERT_TRUE(WriteTraceFile(SomeTrace(future), tampered).ok());
  EXPECT_NE(Message(ReadTraceFile(tampered)).find("format version 99"), std::string::npos);
}

// Any byte changed anywhere, header included, is caught by the frame.
TEST(Tracer, EveryBitFlipAndTruncationIsCaught) {
  const std::string good = EncodeTraceFile(SomeTrace(HeaderWithSeed(7)));
  ASSERT_TRUE(ParseTrace(good, "t").ok()) << ParseTrace(good, "t").status();
  for (size_t i = 0; i < good.size(); ++i) {
    for (int bit = 0; bit < 8; ++bit) {
      std::string flipped = good;
      flipped[i] = static_cast<char>(flipped[i] ^ (1 << bit));
      ASSERT_FALSE(ParseTrace(flipped, "t").ok()) << "byte " << i << " bit " << bit;
    }
  }
  for (size_t n = 0; n < good.size(); ++n) {
    auto r = ParseTrace(absl::string_view(good).substr(0, n), "t");
    ASSERT_FALSE(r.ok()) << "truncated to " << n;
  }
  auto longer = ParseTrace(good + "x", "t");
  ASSERT_FALSE(longer.ok());
  EXPECT_NE(Message(longer).find("the frame says"), std::string::npos) << Message(longer);
}

TEST(Tracer, AnUnframedTraceOfAnOlderBuildSaysSo) {
  TraceHeader old = HeaderWithSeed(1);
  old.set_format_version(2);
  auto r = ParseTrace(SomeTrace(old).SerializeAsString(), "old.trace");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(Message(r).find("older build (format 2"), std::string::npos) << Message(r);
}

// A file framed correctly around a header that contradicts itself, or steps
// that could not come from a run, is refused with the reason.
TEST(Tracer, FramedButInconsistentTracesAreRefused) {
  TraceHeader liar = HeaderWithSeed(1);
  liar.set_seed(7);
  auto r = ParseTrace(EncodeTraceFile(SomeTrace(liar)), "t");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(Message(r).find("seed is 7 but its flags say --seed=1"), std::string::npos)
      << Message(r);

  TraceHeader seedless;
  seedless.set_format_version(kTraceFormatVersion);
  seedless.set_seed(3);
  r = ParseTrace(EncodeTraceFile(SomeTrace(seedless)), "t");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(Message(r).find("name no --seed"), std::string::npos) << Message(r);

  // Steps rewritten with a matching hash, but time runs backwards.
  Trace back = SomeTrace(HeaderWithSeed(1));
  back.mutable_steps(2)->set_time_us(-5);
  uint64_t h = EmptyTraceHash();
  for (const TraceStep& s : back.steps()) h = HashStep(h, s);
  back.set_hash(h);
  r = ParseTrace(EncodeTraceFile(back), "t");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(Message(r).find("earlier than step 1"), std::string::npos) << Message(r);

  Trace unknown = SomeTrace(HeaderWithSeed(1));
  unknown.mutable_steps(0)->set_kind(static_cast<StepKind>(77));
  h = EmptyTraceHash();
  for (const TraceStep& s : unknown.steps()) h = HashStep(h, s);
  unknown.set_hash(h);
  r = ParseTrace(EncodeTraceFile(unknown), "t");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(Message(r).find("unknown kind 77"), std::string::npos) << Message(r);

  EXPECT_NE(Message(ParseTrace(FrameTracePayload("\xff\xff"), "t")).find("protobuf parse failed"),
            std::string::npos);
}

}  // namespace
}  // namespace sim
}  // namespace informersim
