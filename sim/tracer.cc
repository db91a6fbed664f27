#include "sim/tracer.h"

#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

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

inline uint64_t MixString(uint64_t h, absl::string_view s) {
  h = MixU64(h, s.size());
  const char* p = s.data();
  size_t n = s.size();
  for (; n >= 8; p += 8, n -= 8) h = MixU64(h, Load8(p));
  return n > 0 ? MixU64(h, LoadLE(p, n)) : h;
}

uint64_t HashParts(uint64_t h, uint64_t index, int64_t time_us, int kind, absl::string_view actor,
                   absl::string_view detail) {
  h = MixU64(h, index);
  h = MixU64(h, static_cast<uint64_t>(time_us));
  h = MixU64(h, static_cast<uint64_t>(kind));
  h = MixString(h, actor);
  return MixString(h, detail);
}

}  // namespace

uint64_t EmptyTraceHash() { return kSeedWord; }

uint64_t HashStep(uint64_t previous, const TraceStep& step) {
  return HashParts(previous, step.index(), step.time_us(), step.kind(), step.actor(),
                   step.detail());
}

Tracer::Tracer(const Runtime* clock, absl::Time start, bool keep_steps)
    : clock_(clock), start_(start), keep_steps_(keep_steps), hash_(EmptyTraceHash()) {}

void Tracer::Record(StepKind kind, absl::string_view actor, absl::string_view detail) {
  const int64_t time_us = absl::ToInt64Microseconds(clock_->Now() - start_);
  const uint64_t index = count_++;
  hash_ = HashParts(hash_, index, time_us, kind, actor, detail);
  const size_t k = static_cast<size_t>(kind);
  if (k < sizeof(kind_counts_) / sizeof(kind_counts_[0])) ++kind_counts_[k];
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

absl::Status WriteTraceFile(const Trace& trace, const std::string& path) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  if (!out) return absl::InvalidArgumentError(absl::StrCat("cannot open trace file ", path));
  if (!trace.SerializeToOstream(&out)) {
    return absl::DataLossError(absl::StrCat("cannot write trace file ", path));
  }
  out.close();
  if (!out) return absl::DataLossError(absl::StrCat("cannot finish trace file ", path));
  return absl::OkStatus();
}

absl::StatusOr<Trace> ParseTrace(absl::string_view bytes, absl::string_view where) {
  Trace trace;
  if (bytes.size() > static_cast<size_t>(INT32_MAX) ||
      !trace.ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) {
    return absl::DataLossError(absl::StrCat(where, ": not a trace (protobuf parse failed)"));
  }
  if (trace.header().format_version() != kTraceFormatVersion) {
    return absl::InvalidArgumentError(absl::StrCat(where, ": trace format version ",
                                                   trace.header().format_version(),
                                                   ", this build reads ", kTraceFormatVersion));
  }
  if (static_cast<uint64_t>(trace.steps_size()) != trace.step_count()) {
    return absl::DataLossError(absl::StrCat(where, ": ", trace.steps_size(),
                                            " steps stored but the trace counts ",
                                            trace.step_count(), " (written without steps?)"));
  }
  uint64_t h = EmptyTraceHash();
  for (int i = 0; i < trace.steps_size(); ++i) {
    if (trace.steps(i).index() != static_cast<uint64_t>(i)) {
      return absl::DataLossError(absl::StrCat(where, ": step ", i, " has index ",
                                              trace.steps(i).index()));
    }
    h = HashStep(h, trace.steps(i));
  }
  if (h != trace.hash()) {
    return absl::DataLossError(absl::StrFormat("%s: trace hash %016x does not match its steps (%016x)",
                                               where, trace.hash(), h));
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
  if (ec || size > kMaxTraceFileBytes) {
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
