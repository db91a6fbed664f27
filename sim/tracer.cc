#include "sim/tracer.h"

#include <cassert>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>
#include <utility>

#include "absl/base/attributes.h"
#include "absl/base/optimization.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "sim/limits.h"

namespace informersim {
namespace sim {
namespace {

// The trace hash folds 64-bit words with a 128-bit multiply (the mixing
// step of wyhash-style hashes): one multiply per 8 bytes instead of one per
// byte, which matters because every scheduler step is hashed.
constexpr uint64_t kSeedWord = 0xa0761d6478bd642fULL;
constexpr uint64_t kMulWord = 0xe7037ed1a0b428dbULL;

inline uint64_t MixU64(uint64_t h, uint64_t v) {
  const unsigned __int128 p = static_cast<unsigned __int128>(h ^ v ^ kSeedWord) * kMulWord;
  return static_cast<uint64_t>(p) ^ static_cast<uint64_t>(p >> 64);
}

// Little-endian load of n <= 8 bytes, so the hash is the same on every
// machine whatever its byte order.
inline uint64_t LoadLE(const char* p, size_t n) {
  uint64_t v = 0;
  for (size_t i = 0; i < n; ++i) v |= static_cast<uint64_t>(static_cast<unsigned char>(p[i])) << (8 * i);
  return v;
}

inline uint64_t Load8(const char* p) {
  uint64_t v;
  std::memcpy(&v, p, 8);
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
  v = __builtin_bswap64(v);
#endif
  return v;
}

inline uint32_t Load4(const char* p) {
  uint32_t v;
  std::memcpy(&v, p, 4);
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
  v = __builtin_bswap32(v);
#endif
  return v;
}

// LoadLE(p, n) for 0 < n < 8 without a loop over the bytes (every step
// hashes two such tails): two overlapping 4-byte loads, or for n < 4 the
// first, middle and last bytes, which between them are all of them. Where
// the pieces overlap they hold the same bytes in the same places.
inline uint64_t LoadTail(const char* p, size_t n) {
  if (n >= 4) {
    return static_cast<uint64_t>(Load4(p)) | static_cast<uint64_t>(Load4(p + n - 4)) << (8 * (n - 4));
  }
  const auto byte = [p](size_t i) { return static_cast<uint64_t>(static_cast<unsigned char>(p[i])); };
  return byte(0) | byte(n / 2) << (8 * (n / 2)) | byte(n - 1) << (8 * (n - 1));
}

inline uint64_t MixString(uint64_t h, absl::string_view s) {
  h = MixU64(h, s.size());
  const char* p = s.data();
  size_t n = s.size();
  for (; n >= 8; p += 8, n -= 8) h = MixU64(h, Load8(p));
  return n > 0 ? MixU64(h, LoadTail(p, n)) : h;
}

// Step format 4. Two words multiplied together and folded: each multiply
// takes 16 bytes of a string, and a step's chain is three multiplies long.
constexpr uint64_t kStepKey[6] = {0x8ebc6af09c88c6e3ULL, 0x589965cc75374cc3ULL,
                                  0x1d8e4e27c47d124fULL, 0xd6e8feb86659fd93ULL,
                                  0x9e3779b97f4a7c15ULL, 0xc2b2ae3d27d4eb4fULL};

constexpr uint64_t Fold(uint64_t a, uint64_t b) {
  const unsigned __int128 p = static_cast<unsigned __int128>(a) * b;
  return static_cast<uint64_t>(p) ^ static_cast<uint64_t>(p >> 64);
}

// The little-endian value of 0 <= n <= 8 bytes.
inline uint64_t LoadUpTo8(const char* p, size_t n) {
  if (n == 8) return Load8(p);
  return n == 0 ? 0 : LoadTail(p, n);
}

// Inlined into Tracer::RecordAt, which runs for every step.
ABSL_ATTRIBUTE_ALWAYS_INLINE inline uint64_t StepHash(uint64_t h, uint64_t index, int64_t time_us,
                                                      int kind, uint64_t actor_hash,
                                                      uint64_t detail_hash) {
  h = Fold(h ^ index ^ kStepKey[0], static_cast<uint64_t>(time_us) ^ kStepKey[1]);
  h = Fold(h ^ static_cast<uint64_t>(kind) ^ kStepKey[2], actor_hash ^ kStepKey[3]);
  return Fold(h ^ kStepKey[4], detail_hash ^ kStepKey[5]);
}

// TraceStringHash(""): most steps (the scheduler's) have no detail.
constexpr uint64_t kEmptyStringHash = Fold(kStepKey[0], kSeedWord ^ kStepKey[1]);

}  // namespace

uint64_t TraceStringHash(absl::string_view s) {
  const char* p = s.data();
  size_t n = s.size();
  uint64_t h = kSeedWord ^ n;
  // Whole 16-byte blocks while more than 16 bytes remain; the last 1 to 16
  // bytes (or none) are one more block, zero-filled.
  for (; n > 16; p += 16, n -= 16) h = Fold(Load8(p) ^ kStepKey[0], Load8(p + 8) ^ h);
  const uint64_t low = LoadUpTo8(p, n < 8 ? n : 8);
  const uint64_t high = n > 8 ? LoadUpTo8(p + 8, n - 8) : 0;
  return Fold(low ^ kStepKey[0], high ^ h ^ kStepKey[1]);
}

uint64_t EmptyTraceHash() { return kSeedWord; }

uint64_t HashStep(uint64_t previous, const TraceStep& step) {
  return StepHash(previous, step.index(), step.time_us(), step.kind(),
                  TraceStringHash(step.actor()), TraceStringHash(step.detail()));
}

Tracer::Tracer(const Runtime* clock, absl::Time start, bool keep_steps)
    : clock_(clock),
      start_(start),
      keep_steps_(keep_steps),
      hash_(EmptyTraceHash()),
      last_time_(start),
      last_time_us_(0) {}

void Tracer::RecordAt(absl::Time now, StepKind kind, absl::string_view actor,
                      uint64_t actor_hash, absl::string_view detail) {
  assert(actor_hash == TraceStringHash(actor));
  assert(now == clock_->Now());
  // Most steps share their time with the one before: convert only a new one.
  if (now != last_time_) {
    last_time_ = now;
    last_time_us_ = absl::ToInt64Microseconds(now - start_);
  }
  const int64_t time_us = last_time_us_;
  const uint64_t index = count_++;
  const uint64_t detail_hash = detail.empty() ? kEmptyStringHash : TraceStringHash(detail);
  hash_ = StepHash(hash_, index, time_us, kind, actor_hash, detail_hash);
  const size_t k = static_cast<size_t>(kind);
  if (k < sizeof(kind_counts_) / sizeof(kind_counts_[0])) ++kind_counts_[k];
  if (ABSL_PREDICT_FALSE(kind == FAULT || keep_steps_)) Keep(index, time_us, kind, actor, detail);
}

void Tracer::Keep(uint64_t index, int64_t time_us, StepKind kind, absl::string_view actor,
                  absl::string_view detail) {
  if (kind == FAULT && fault_observer_) fault_observer_(actor);
  if (keep_steps_) {
    TraceStep& step = steps_.emplace_back();
    step.set_index(index);
    step.set_time_us(time_us);
    step.set_kind(kind);
    step.set_actor(std::string(actor));
    step.set_detail(std::string(detail));
  }
}

uint64_t Tracer::count(StepKind kind) const {
  const size_t k = static_cast<size_t>(kind);
  return k < sizeof(kind_counts_) / sizeof(kind_counts_[0]) ? kind_counts_[k] : 0;
}

Trace Tracer::ToProto(const TraceHeader& header) const {
  Trace trace;
  *trace.mutable_header() = header;
  trace.mutable_steps()->Reserve(static_cast<int>(steps_.size()));
  for (const TraceStep& step : steps_) *trace.add_steps() = step;
  trace.set_hash(hash_);
  trace.set_step_count(count_);
  return trace;
}

namespace {

// Distinct from the step hash's start so a checksum never equals a hash.
constexpr uint64_t kChecksumSeed = 0x3c6ef372fe94f82bULL;

uint64_t Checksum(absl::string_view bytes) { return MixString(kChecksumSeed, bytes); }

void AppendLE64(std::string& out, uint64_t v) {
  for (int i = 0; i < 8; ++i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}

// The seed a header's flags name (the last --seed= wins, as when parsing
// flags), or nullopt if they name none.
std::optional<std::string> SeedFlag(const TraceHeader& header) {
  std::optional<std::string> seed;
  for (const std::string& f : header.flags()) {
    if (absl::StartsWith(f, "--seed=")) seed = f.substr(7);
  }
  return seed;
}

// What a file without the frame is, for the error: an unframed trace of an
// older build, or not a trace at all.
std::string WhyNotFramed(absl::string_view bytes) {
  Trace old;
  if (bytes.size() <= static_cast<size_t>(INT32_MAX) &&
      old.ParseFromArray(bytes.data(), static_cast<int>(bytes.size())) &&
      old.header().format_version() > 0 && old.header().format_version() < kTraceFormatVersion) {
    return absl::StrCat("a trace of an older build (format ", old.header().format_version(),
                        ", this build reads ", kTraceFormatVersion,
                        "): record it again with this build");
  }
  return "not a trace file (no trace file magic at its start)";
}

}  // namespace

std::string FrameTracePayload(absl::string_view payload) {
  std::string out;
  out.reserve(payload.size() + kTraceFrameBytes);
  out.append(kTraceFileMagic.data(), kTraceFileMagic.size());
  AppendLE64(out, payload.size());
  out.append(payload.data(), payload.size());
  AppendLE64(out, Checksum(out));
  return out;
}

std::string EncodeTraceFile(const Trace& trace) {
  return FrameTracePayload(trace.SerializeAsString());
}

absl::Status WriteTraceFile(const Trace& trace, const std::string& path) {
  const std::string bytes = EncodeTraceFile(trace);
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  if (!out) return absl::InvalidArgumentError(absl::StrCat("cannot open trace file ", path));
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  out.close();
  if (!out) return absl::DataLossError(absl::StrCat("cannot write trace file ", path));
  return absl::OkStatus();
}

absl::StatusOr<Trace> ParseTrace(absl::string_view bytes, absl::string_view where) {
  if (bytes.size() < kTraceFileMagic.size() ||
      bytes.substr(0, kTraceFileMagic.size()) != kTraceFileMagic) {
    return absl::InvalidArgumentError(absl::StrCat(where, ": ", WhyNotFramed(bytes)));
  }
  if (bytes.size() < kTraceFrameBytes) {
    return absl::DataLossError(absl::StrCat(where, ": truncated (", bytes.size(),
                                            " bytes, shorter than a trace file's frame)"));
  }
  const uint64_t length = LoadLE(bytes.data() + 8, 8);
  if (length != bytes.size() - kTraceFrameBytes) {
    return absl::DataLossError(absl::StrCat(where, ": the frame says ", length,
                                            " payload bytes but the file holds ",
                                            bytes.size() - kTraceFrameBytes,
                                            length > bytes.size() ? " (truncated?)" : ""));
  }
  const absl::string_view framed = bytes.substr(0, bytes.size() - 8);
  const uint64_t stored = LoadLE(bytes.data() + bytes.size() - 8, 8);
  const uint64_t computed = Checksum(framed);
  if (stored != computed) {
    return absl::DataLossError(absl::StrFormat(
        "%s: checksum %016x does not match the file's content (%016x): the file is corrupt",
        where, stored, computed));
  }
  const absl::string_view payload = framed.substr(16);
  Trace trace;
  if (payload.size() > static_cast<size_t>(INT32_MAX) ||
      !trace.ParseFromArray(payload.data(), static_cast<int>(payload.size()))) {
    return absl::DataLossError(absl::StrCat(where, ": not a trace (protobuf parse failed)"));
  }
  if (trace.header().format_version() != kTraceFormatVersion) {
    return absl::InvalidArgumentError(absl::StrCat(where, ": trace format version ",
                                                   trace.header().format_version(),
                                                   ", this build reads ", kTraceFormatVersion));
  }
  // Replay runs from the flags; the seed field is what --dump shows. They
  // must tell the same story.
  const std::optional<std::string> seed_flag = SeedFlag(trace.header());
  if (!seed_flag.has_value()) {
    return absl::InvalidArgumentError(
        absl::StrCat(where, ": the header's flags name no --seed (the seed field says ",
                     trace.header().seed(), ")"));
  }
  if (*seed_flag != absl::StrCat(trace.header().seed())) {
    return absl::InvalidArgumentError(absl::StrCat(where, ": the header's seed is ",
                                                   trace.header().seed(),
                                                   " but its flags say --seed=", *seed_flag));
  }
  if (static_cast<uint64_t>(trace.steps_size()) != trace.step_count()) {
    return absl::DataLossError(absl::StrCat(where, ": ", trace.steps_size(),
                                            " steps stored but the trace counts ",
                                            trace.step_count(), " (written without steps?)"));
  }
  uint64_t h = EmptyTraceHash();
  for (int i = 0; i < trace.steps_size(); ++i) {
    const TraceStep& step = trace.steps(i);
    if (step.index() != static_cast<uint64_t>(i)) {
      return absl::DataLossError(absl::StrCat(where, ": step ", i, " has index ", step.index()));
    }
    if (step.kind() == STEP_KIND_UNSPECIFIED || !StepKind_IsValid(step.kind())) {
      return absl::DataLossError(absl::StrCat(where, ": step ", i, " has unknown kind ",
                                              static_cast<int>(step.kind())));
    }
    // Virtual time never goes back.
    if (i > 0 && step.time_us() < trace.steps(i - 1).time_us()) {
      return absl::DataLossError(absl::StrCat(where, ": step ", i, " at ", step.time_us(),
                                              "us is earlier than step ", i - 1, " at ",
                                              trace.steps(i - 1).time_us(), "us"));
    }
    h = HashStep(h, step);
  }
  if (h != trace.hash()) {
    return absl::DataLossError(absl::StrFormat(
        "%s: trace hash %016x does not match its steps (%016x)", where, trace.hash(), h));
  }
  return trace;
}

absl::StatusOr<Trace> ReadTraceFile(const std::string& path) {
  // A named pipe or a device would block or never end: traces are files,
  // and bounded ones.
  std::error_code ec;
  const std::filesystem::file_status st = std::filesystem::status(path, ec);
  if (ec || !std::filesystem::exists(st)) {
    return absl::NotFoundError(absl::StrCat("cannot open trace file ", path));
  }
  if (!std::filesystem::is_regular_file(st)) {
    return absl::InvalidArgumentError(absl::StrCat(path, ": not a regular file"));
  }
  const uintmax_t size = std::filesystem::file_size(path, ec);
  if (ec || size > static_cast<uintmax_t>(kMaxTraceFileBytes)) {
    return absl::InvalidArgumentError(
        absl::StrCat(path, ": larger than ", kMaxTraceFileBytes, " bytes"));
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError(absl::StrCat("cannot open trace file ", path));
  std::ostringstream bytes;
  bytes << in.rdbuf();
  if (!in && !in.eof()) return absl::DataLossError(absl::StrCat("cannot read trace file ", path));
  return ParseTrace(bytes.str(), path);
}

std::string DescribeStep(const TraceStep& step) {
  return absl::StrFormat("#%d @%.6fs %s %s: %s", step.index(), step.time_us() / 1e6,
                         StepKind_Name(step.kind()), step.actor(), step.detail());
}

std::string FirstDifference(const std::vector<TraceStep>& expected,
                            const std::vector<TraceStep>& actual) {
  const size_t n = std::min(expected.size(), actual.size());
  for (size_t i = 0; i < n; ++i) {
    const TraceStep& a = expected[i];
    const TraceStep& b = actual[i];
    if (a.time_us() != b.time_us() || a.kind() != b.kind() || a.actor() != b.actor() ||
        a.detail() != b.detail()) {
      return absl::StrCat("step ", i, ": expected ", DescribeStep(a), "; got ", DescribeStep(b));
    }
  }
  if (expected.size() != actual.size()) {
    return absl::StrCat("step ", n, ": expected ", expected.size(), " steps, got ", actual.size(),
                        n < expected.size() ? absl::StrCat("; missing ", DescribeStep(expected[n]))
                                            : absl::StrCat("; extra ", DescribeStep(actual[n])));
  }
  return "";
}

}  // namespace sim
}  // namespace informersim
