// Tracer: records every step of a simulation and folds it into a running
// hash (DESIGN determinism rule 5). Components call Record with a kind, an
// actor and a detail; the time is the runtime's virtual time.
//
// The hash chains three 128-bit multiply-and-fold mixes per step: the index
// with the time in microseconds, the kind with the actor's string hash, and
// the detail's string hash (TraceStringHash: its length, then its bytes as
// little-endian 64-bit words, 16 bytes per multiply, off the chain). So it
// depends on nothing but the steps themselves: not on protobuf's encoder,
// pointers or hash-map order. A caller that records one actor again and
// again (the scheduler, once per step) hashes its name once (TraceActor).
// Steps are kept in memory only when asked (keep_steps), so a seed campaign
// pays for the hash alone.
//
// Thread safety: none; used from the simulator's single thread.
#ifndef INFORMERSIM_SIM_TRACER_H_
#define INFORMERSIM_SIM_TRACER_H_

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "absl/base/attributes.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "core/runtime.h"
#include "sim/trace.pb.h"

namespace informersim {
namespace sim {

// 2: the step hash moved from byte-wise FNV-1a to the word-wise mix.
// 3: trace files are framed (magic, length, checksum over everything) and
//    the header must agree with itself (its seed is its flags' --seed).
// 4: strings are hashed on their own and chained as one word each (three
//    multiplies per step on the chain instead of one per 8 bytes).
inline constexpr uint32_t kTraceFormatVersion = 4;

// The hash of one string in a step (its length and bytes).
uint64_t TraceStringHash(absl::string_view s);

// An actor's name with its string hash, for a caller that records the same
// actor many times.
struct TraceActor {
  TraceActor() : TraceActor("") {}
  explicit TraceActor(std::string actor_name)
      : name(std::move(actor_name)), hash(TraceStringHash(name)) {}
  std::string name;
  uint64_t hash;
};

class Tracer {
 public:
  // `clock` gives the virtual time of each step; `start` is time zero.
  Tracer(const Runtime* clock, absl::Time start, bool keep_steps);
  Tracer(const Tracer&) = delete;
  Tracer& operator=(const Tracer&) = delete;

  void Record(StepKind kind, absl::string_view actor, absl::string_view detail) {
    RecordAt(clock_->Now(), kind, actor, detail);
  }
  // Record for a caller that has just read the clock (`now` must be its
  // time): the scheduler, which records every step.
  void RecordAt(absl::Time now, StepKind kind, absl::string_view actor,
                absl::string_view detail) {
    RecordAt(now, kind, actor, TraceStringHash(actor), detail);
  }
  void Record(StepKind kind, const TraceActor& actor, absl::string_view detail) {
    RecordAt(clock_->Now(), kind, actor.name, actor.hash, detail);
  }
  // `actor_hash` must be TraceStringHash(actor).
  void RecordAt(absl::Time now, StepKind kind, absl::string_view actor, uint64_t actor_hash,
                absl::string_view detail);

  // Called with the actor of every FAULT step as it is recorded (coverage).
  void SetFaultObserver(std::function<void(absl::string_view)> observer) {
    fault_observer_ = std::move(observer);
  }

  uint64_t hash() const { return hash_; }
  // Time zero of the steps' times.
  absl::Time start() const { return start_; }
  uint64_t step_count() const { return count_; }
  bool keeps_steps() const { return keep_steps_; }
  // The kept steps (empty unless keep_steps).
  const std::vector<TraceStep>& steps() const { return steps_; }
  // How many steps of each kind were recorded, indexed by StepKind.
  uint64_t count(StepKind kind) const;

  // The whole trace with `header`.
  Trace ToProto(const TraceHeader& header) const;

 private:
  // The rare part of a step, out of the per-step path: the fault observer
  // and the kept copy of the step.
  ABSL_ATTRIBUTE_NOINLINE void Keep(uint64_t index, int64_t time_us, StepKind kind,
                                    absl::string_view actor, absl::string_view detail);

  const Runtime* const clock_;
  const absl::Time start_;
  const bool keep_steps_;
  uint64_t hash_;
  // The time of the last step recorded, and it in microseconds since start_.
  absl::Time last_time_;
  int64_t last_time_us_;
  uint64_t count_ = 0;
  uint64_t kind_counts_[16] = {};
  std::vector<TraceStep> steps_;
  std::function<void(absl::string_view)> fault_observer_;
};

// Hash of one step under the Tracer's encoding, chained from `previous`.
uint64_t HashStep(uint64_t previous, const TraceStep& step);
// The hash a Tracer starts from.
uint64_t EmptyTraceHash();

// A trace file is a frame around the serialized Trace, so that any change
// to any byte is caught before the trace is believed (the step hash covers
// the steps only, not the header that replay runs from):
//   8 bytes  kTraceFileMagic
//   8 bytes  payload length, little-endian
//   N bytes  the Trace, binary protobuf
//   8 bytes  checksum of everything before it, little-endian
inline constexpr absl::string_view kTraceFileMagic = "ISIMTRC\n";
inline constexpr size_t kTraceFrameBytes = kTraceFileMagic.size() + 8 + 8;

// `payload` (a serialized Trace) framed as a trace file.
std::string FrameTracePayload(absl::string_view payload);
// `trace` as the bytes of a trace file.
std::string EncodeTraceFile(const Trace& trace);

// Writes `trace` to `path` (EncodeTraceFile). Errors name the path.
absl::Status WriteTraceFile(const Trace& trace, const std::string& path);
// Reads and validates a trace file: anything but a regular file of at most
// kMaxTraceFileBytes (sim/limits.h; a 20-minute default run's trace is
// about 150 MB), a bad frame (magic, length, checksum), parse errors,
// a wrong format version, a header that disagrees with itself, steps out of
// order in index or time or of an unknown kind, and a hash that does not
// match the steps are errors naming the path.
absl::StatusOr<Trace> ReadTraceFile(const std::string& path);
// The same validation over a trace's bytes; errors name `where`.
absl::StatusOr<Trace> ParseTrace(absl::string_view bytes, absl::string_view where);

// The first index at which two step sequences differ, described ("step 12:
// expected TASK reflector @1.5s ..., got ..."), or "" if they are equal.
std::string FirstDifference(const std::vector<TraceStep>& expected,
                            const std::vector<TraceStep>& actual);
// One step as a line of text.
std::string DescribeStep(const TraceStep& step);

}  // namespace sim
}  // namespace informersim

#endif  // INFORMERSIM_SIM_TRACER_H_
