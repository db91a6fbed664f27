#include "tools/outcome_codec.h"

#include <cstdint>
#include <cstring>
#include <map>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"

namespace informersim {
namespace tools {
namespace {

class Writer {
 public:
  void U64(uint64_t v) {
    char b[8];
    for (int i = 0; i < 8; ++i) b[i] = static_cast<char>((v >> (8 * i)) & 0xff);
    out_.append(b, 8);
  }
  void I64(int64_t v) { U64(static_cast<uint64_t>(v)); }
  void Bool(bool v) { U64(v ? 1 : 0); }
  void Double(double v) {
    uint64_t bits;
    std::memcpy(&bits, &v, sizeof(bits));
    U64(bits);
  }
  void Duration(absl::Duration d) { I64(absl::ToInt64Nanoseconds(d)); }
  void Str(absl::string_view s) {
    U64(s.size());
    out_.append(s.data(), s.size());
  }
  void Strs(const std::vector<std::string>& v) {
    U64(v.size());
    for (const std::string& s : v) Str(s);
  }
  std::string Take() { return std::move(out_); }

 private:
  std::string out_;
};

// Reads what Writer wrote; any shortfall or leftover makes ok() false.
class Reader {
 public:
  explicit Reader(absl::string_view in) : in_(in) {}

  uint64_t U64() {
    if (in_.size() < 8) return Fail();
    uint64_t v = 0;
    for (int i = 0; i < 8; ++i) v |= static_cast<uint64_t>(static_cast<uint8_t>(in_[i])) << (8 * i);
    in_.remove_prefix(8);
    return v;
  }
  int64_t I64() { return static_cast<int64_t>(U64()); }
  bool Bool() {
    const uint64_t v = U64();
    if (v > 1) Fail();
    return v == 1;
  }
  double Double() {
    const uint64_t bits = U64();
    double v;
    std::memcpy(&v, &bits, sizeof(v));
    return v;
  }
  absl::Duration Duration() { return absl::Nanoseconds(I64()); }
  std::string Str() {
    const uint64_t n = U64();
    if (n > in_.size()) {
      Fail();
      return std::string();
    }
    std::string s(in_.substr(0, n));
    in_.remove_prefix(n);
    return s;
  }
  // A count of items that each take at least 8 bytes: bounded by what is left.
  uint64_t Count() {
    const uint64_t n = U64();
    if (n > in_.size() / 8) return Fail();
    return n;
  }
  std::vector<std::string> Strs() {
    std::vector<std::string> v(Count());
    for (std::string& s : v) s = Str();
    return v;
  }
  bool ok() const { return ok_ && in_.empty(); }

 private:
  uint64_t Fail() {
    ok_ = false;
    in_ = absl::string_view();
    return 0;
  }

  absl::string_view in_;
  bool ok_ = true;
};

}  // namespace

std::string EncodeOutcome(const SeedOutcome& o) {
  Writer w;
  w.U64(o.seed);
  w.Bool(o.error);
  w.Str(o.error_message);
  w.Bool(o.passed);
  w.U64(o.violations_by_invariant.size());
  for (const auto& [name, n] : o.violations_by_invariant) {
    w.Str(name);
    w.I64(n);
  }
  w.I64(o.violations);
  w.Str(o.first_violation);
  w.Str(o.report);
  w.Str(o.replay);
  w.Str(o.failure_files);
  w.Str(o.profile);
  w.Str(o.world);
  w.Str(o.label_selector);
  w.Str(o.field_selector);
  w.I64(o.initial_objects);
  w.Duration(o.duration);
  w.I64(o.scripted_faults);
  w.I64(o.time_travel_findings);
  w.I64(o.relists);
  w.I64(o.writes);
  w.U64(o.trace_hash);
  w.U64(o.trace_steps);
  w.Duration(o.virtual_time);
  w.U64(o.fault_states.size());
  for (const auto& [fault, states] : o.fault_states) {
    w.Str(fault);
    w.Strs(states);
  }
  w.Strs(o.faults_drawn);
  w.Double(o.wall_seconds);
  w.Double(o.finished_at_s);
  return w.Take();
}

absl::StatusOr<SeedOutcome> DecodeOutcome(absl::string_view bytes) {
  Reader r(bytes);
  SeedOutcome o;
  o.seed = r.U64();
  o.error = r.Bool();
  o.error_message = r.Str();
  o.passed = r.Bool();
  for (uint64_t i = 0, n = r.Count(); i < n; ++i) {
    std::string name = r.Str();
    o.violations_by_invariant[std::move(name)] = r.I64();
  }
  o.violations = r.I64();
  o.first_violation = r.Str();
  o.report = r.Str();
  o.replay = r.Str();
  o.failure_files = r.Str();
  o.profile = r.Str();
  o.world = r.Str();
  o.label_selector = r.Str();
  o.field_selector = r.Str();
  o.initial_objects = r.I64();
  o.duration = r.Duration();
  o.scripted_faults = r.I64();
  o.time_travel_findings = r.I64();
  o.relists = r.I64();
  o.writes = r.I64();
  o.trace_hash = r.U64();
  o.trace_steps = r.U64();
  o.virtual_time = r.Duration();
  for (uint64_t i = 0, n = r.Count(); i < n; ++i) {
    std::string fault = r.Str();
    o.fault_states[std::move(fault)] = r.Strs();
  }
  o.faults_drawn = r.Strs();
  o.wall_seconds = r.Double();
  o.finished_at_s = r.Double();
  if (!r.ok()) {
    return absl::DataLossError(
        absl::StrCat("a worker's seed outcome is malformed (", bytes.size(), " bytes)"));
  }
  return o;
}

}  // namespace tools
}  // namespace informersim
