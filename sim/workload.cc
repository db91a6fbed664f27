#include "sim/workload.h"

#include <algorithm>
#include <cassert>
#include <cmath>
#include <cstring>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "sim/identity.h"
#include "sim/limits.h"

namespace informersim {
namespace sim {
namespace {

constexpr absl::string_view kActor = "workload";
constexpr absl::string_view kAppLabel = "app";
constexpr absl::string_view kTagsLabel = "tags";
// Above this the microsecond clock cannot space arrivals (2/rate < 2us).
constexpr double kMaxWritesPerSecond = 1e6;

bool IsFraction(double f) { return f >= 0 && f <= 1; }  // false for NaN

}  // namespace

absl::Status Workload::Validate(const WorkloadOptions& o) {
  auto bad = [](auto&&... parts) {
    return absl::InvalidArgumentError(absl::StrCat("workload options: ", parts...));
  };
  if (o.initial_objects < 0) return bad("initial_objects ", o.initial_objects, " is negative");
  if (!(o.writes_per_second >= 0)) {
    return bad("writes_per_second ", o.writes_per_second, " is negative or not a number");
  }
  if (o.writes_per_second > kMaxWritesPerSecond) {
    return bad("writes_per_second ", o.writes_per_second, " is above ", kMaxWritesPerSecond,
               " (arrivals are spaced in whole microseconds)");
  }
  if (o.namespaces < 0) return bad("namespaces ", o.namespaces, " is negative");
  if (o.label_values < 0) return bad("label_values ", o.label_values, " is negative");
  if (o.tag_values < 0) return bad("tag_values ", o.tag_values, " is negative");
  const struct {
    const char* name;
    double value;
  } weights[] = {{"create_weight", o.create_weight},
                 {"update_weight", o.update_weight},
                 {"delete_weight", o.delete_weight}};
  for (const auto& w : weights) {
    if (!(w.value >= 0) || std::isinf(w.value)) {
      return bad(w.name, " ", w.value, " must be a finite number >= 0");
    }
  }
  if (o.create_weight + o.update_weight + o.delete_weight <= 0) {
    return bad("create_weight, update_weight and delete_weight are all 0");
  }
  const struct {
    const char* name;
    double value;
  } fractions[] = {{"short_lived_fraction", o.short_lived_fraction},
                   {"recreate_fraction", o.recreate_fraction},
                   {"refused_tag_fraction", o.refused_tag_fraction},
                   {"label_change_fraction", o.label_change_fraction}};
  for (const auto& f : fractions) {
    if (!IsFraction(f.value)) return bad(f.name, " ", f.value, " is outside [0, 1]");
  }
  if (o.short_lived_min < absl::ZeroDuration()) {
    return bad("short_lived_min ", absl::FormatDuration(o.short_lived_min), " is negative");
  }
  if (o.short_lived_min > o.short_lived_max) {
    return bad("short_lived_min ", absl::FormatDuration(o.short_lived_min),
               " is above short_lived_max ", absl::FormatDuration(o.short_lived_max));
  }
  if (o.short_lived_max == absl::InfiniteDuration()) return bad("short_lived_max is infinite");
  if (o.recreate_delay_max < absl::ZeroDuration() ||
      o.recreate_delay_max == absl::InfiniteDuration()) {
    return bad("recreate_delay_max ", absl::FormatDuration(o.recreate_delay_max),
               " must be finite and >= 0");
  }
  if (o.min_spec_bytes < 0) return bad("min_spec_bytes ", o.min_spec_bytes, " is negative");
  if (o.min_spec_bytes > o.max_spec_bytes) {
    return bad("min_spec_bytes ", o.min_spec_bytes, " is above max_spec_bytes ",
               o.max_spec_bytes);
  }
  if (o.max_spec_bytes > kMaxSpecBytes) {
    return bad("max_spec_bytes ", o.max_spec_bytes, " is above ", kMaxSpecBytes);
  }
  return absl::OkStatus();
}

Workload::Workload(Runtime* runtime, ObjectWriter* writer, Prng random, Tracer* tracer,
                   WorkloadOptions options)
    : runtime_(runtime),
      writer_(writer),
      random_(random),
      tracer_(tracer),
      options_(std::move(options)) {
  assert(runtime_ != nullptr && writer_ != nullptr);
  assert(Validate(options_).ok() && "Workload options must pass Validate");
  live_.reserve(static_cast<size_t>(options_.initial_objects));
  live_index_.reserve(static_cast<size_t>(options_.initial_objects));
}

Workload::~Workload() { Stop(); }

absl::Status Workload::Preload() {
  for (int64_t i = 0; i < options_.initial_objects; ++i) {
    const std::string ns =
        options_.namespaces == 0
            ? std::string()
            : absl::StrCat("ns-", random_.Below(static_cast<uint64_t>(options_.namespaces)));
    api::Object object = NewObject(ns, absl::StrCat("obj-", next_name_++));
    const std::string key = ObjectKey(ns, object.metadata().name());
    absl::StatusOr<ObjectPtr> created = writer_->Create(std::move(object));
    Trace("preload", key, created.status());
    if (!created.ok()) {
      ++stats_.rejected;
      return absl::Status(created.status().code(),
                          absl::StrCat("workload preload: create ", key, ": ",
                                       created.status().message()));
    }
    ++stats_.creates;
    ++stats_.preloaded;
    AddLive(*std::move(created));
  }
  return absl::OkStatus();
}

void Workload::Start(absl::Time stop_at) {
  if (strand_ == 0) strand_ = runtime_->NewStrand(kActor);
  Stop();  // at most one arrival chain
  running_ = true;
  stop_at_ = stop_at;
  if (options_.writes_per_second > 0) ScheduleArrival();
}

void Workload::Stop() {
  running_ = false;
  // Tasks already fired (not cancellable) find their serial gone and do
  // nothing; serials are never reused, so a later Start cannot revive them.
  std::vector<std::pair<uint64_t, TimerId>> by_serial;
  by_serial.reserve(pending_.size());
  for (const auto& [serial, p] : pending_) by_serial.emplace_back(serial, p.timer);
  std::sort(by_serial.begin(), by_serial.end());
  for (const auto& [serial, timer] : by_serial) runtime_->Cancel(timer);
  pending_.clear();
}

void Workload::Schedule(absl::Duration delay, absl::AnyInvocable<void()> task) {
  if (!running_ || runtime_->Now() + delay >= stop_at_) return;
  const uint64_t serial = next_task_++;
  // The task waits here, and the timer carries only its serial: small
  // enough for the runtime's task to hold inline (no allocation per write).
  const TimerId timer = runtime_->PostAfter(strand_, delay, [this, serial] { RunScheduled(serial); });
  pending_.emplace(serial, Pending{timer, std::move(task)});
}

void Workload::RunScheduled(uint64_t serial) {
  auto it = pending_.find(serial);
  if (it == pending_.end()) return;  // stopped since
  absl::AnyInvocable<void()> task = std::move(it->second.task);
  pending_.erase(it);
  if (running_ && runtime_->Now() < stop_at_) task();
}

void Workload::ScheduleArrival() {
  // Uniform in [0, 2/rate]: mean 1/rate without a logarithm (see the header).
  const absl::Duration delay = random_.DurationBetween(
      absl::ZeroDuration(), absl::Seconds(2.0 / options_.writes_per_second));
  Schedule(delay, [this] { Arrival(); });
}

void Workload::Arrival() {
  switch (ChooseOp()) {
    case Op::kCreate: {
      const std::string ns =
          options_.namespaces == 0
              ? std::string()
              : absl::StrCat("ns-", random_.Below(static_cast<uint64_t>(options_.namespaces)));
      const bool short_lived = random_.Chance(options_.short_lived_fraction);
      api::Object object = NewObject(ns, absl::StrCat("obj-", next_name_++));
      if (DoCreate(std::move(object), short_lived ? "create short-lived" : "create") &&
          short_lived) {
        ++stats_.short_lived;
        const Live& created = live_.back();
        const absl::Duration after =
            random_.DurationBetween(options_.short_lived_min, options_.short_lived_max);
        Schedule(after, [this, key = created.key, uid = created.object->metadata().uid()] {
          DeleteShortLived(key, uid);
        });
      }
      break;
    }
    case Op::kUpdate:
      DoRandomUpdate();
      break;
    case Op::kDelete:
      DoRandomDelete();
      break;
    case Op::kNone:
      break;
  }
  ScheduleArrival();
}

Workload::Op Workload::ChooseOp() {
  // Pull the population toward the target: creates weigh less and deletes
  // more as it grows past it, and the reverse below it.
  const double n = static_cast<double>(live_.size()) + 1;
  const double target = static_cast<double>(options_.initial_objects) + 1;
  double weights[3] = {options_.create_weight * target / n, options_.update_weight,
                       options_.delete_weight * n / target};
  if (live_.empty()) weights[1] = weights[2] = 0;
  if (weights[0] <= 0 && weights[1] <= 0 && weights[2] <= 0) {
    return Op::kNone;  // only updates or deletes wanted, and nothing to touch
  }
  return static_cast<Op>(random_.Weighted(weights, 3));
}

api::Object Workload::NewObject(std::string ns, std::string name) {
  api::Object object;
  object.set_kind("Widget");
  api::ObjectMeta& meta = *object.mutable_metadata();
  meta.set_namespace_(std::move(ns));
  meta.set_name(std::move(name));
  if (options_.label_values > 0) {
    (*meta.mutable_labels())[std::string(kAppLabel)] =
        absl::StrCat("a", random_.Below(static_cast<uint64_t>(options_.label_values)));
  }
  if (options_.tag_values > 0) (*meta.mutable_labels())[std::string(kTagsLabel)] = RandomTags();
  object.set_spec(RandomSpec());
  return object;
}

std::string Workload::RandomTags() {
  // Zero to three values, repeats allowed: index functions may return
  // duplicates, and the index must count the key once.
  const int64_t n = random_.Range(0, 3);
  std::string tags;
  for (int64_t i = 0; i < n; ++i) {
    if (i > 0) tags += ',';
    absl::StrAppend(&tags, "t", random_.Below(static_cast<uint64_t>(options_.tag_values)));
  }
  // No draw at all when off, so worlds without refused tags keep their
  // histories.
  if (options_.refused_tag_fraction > 0 && random_.Chance(options_.refused_tag_fraction)) {
    absl::StrAppend(&tags, tags.empty() ? "" : ",", kRefusedTag);
  }
  return tags;
}

// The even and the odd bytes each as four 16-bit lanes of one word, so
// eight letters cost a handful of operations instead of eight table reads
// (every write draws a spec). Per lane: b / 26 == (b * 79) >> 11 for every
// byte value (the test checks all 256), b * 79 < 2^16 so no lane carries
// into the next, and the quotient's five bits are masked off from what the
// shift brings down.
uint64_t SpecLetters(uint64_t bits) {
  constexpr uint64_t kLanes = 0x00ff00ff00ff00ffULL;
  const auto letters = [](uint64_t lanes) {
    const uint64_t q = ((lanes * 79) >> 11) & 0x001f001f001f001fULL;
    return lanes - q * 26 + 0x0061006100610061ULL;
  };
  return letters(bits & kLanes) | letters((bits >> 8) & kLanes) << 8;
}

std::string Workload::RandomSpec() {
  const int64_t size = random_.Range(options_.min_spec_bytes, options_.max_spec_bytes);
  std::string spec(static_cast<size_t>(size), 'a');
  // Printable bytes (readable in traces), eight per draw, low byte first.
  char* out = spec.data();
  const size_t n = static_cast<size_t>(size);
  size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    uint64_t letters = SpecLetters(random_.NextUint64());
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
    letters = __builtin_bswap64(letters);
#endif
    std::memcpy(out + i, &letters, 8);
  }
  if (i < n) {
    const uint64_t letters = SpecLetters(random_.NextUint64());
    for (size_t j = 0; i + j < n; ++j) out[i + j] = static_cast<char>((letters >> (8 * j)) & 0xff);
  }
  return spec;
}

void Workload::Trace(absl::string_view op, absl::string_view key, const absl::Status& status) {
  if (tracer_ == nullptr) return;
  trace_line_.clear();
  if (status.ok()) {
    absl::StrAppend(&trace_line_, op, " ", key);
  } else {
    absl::StrAppend(&trace_line_, op, " ", key, " rejected: ",
                    absl::StatusCodeToString(status.code()));
  }
  tracer_->Record(WRITE, kActor, trace_line_);
}

bool Workload::DoCreate(api::Object object, absl::string_view op) {
  const std::string key = ObjectKey(object.metadata().namespace_(), object.metadata().name());
  absl::StatusOr<ObjectPtr> created = writer_->Create(std::move(object));
  Trace(op, key, created.status());
  if (!created.ok()) {
    ++stats_.rejected;
    return false;
  }
  ++stats_.creates;
  AddLive(*std::move(created));
  return true;
}

void Workload::DoRandomUpdate() {
  const size_t slot = static_cast<size_t>(random_.Below(live_.size()));
  const Live& target = live_[slot];
  const api::ObjectMeta& old_meta = target.object->metadata();
  api::Object object;
  object.set_kind(target.object->kind());
  api::ObjectMeta& meta = *object.mutable_metadata();
  meta.set_namespace_(old_meta.namespace_());
  meta.set_name(old_meta.name());
  *meta.mutable_labels() = old_meta.labels();
  *meta.mutable_annotations() = old_meta.annotations();
  bool label_moved = false;
  if (options_.label_values > 1 && random_.Chance(options_.label_change_fraction)) {
    // Another value than the current one: a real index move.
    const auto it = old_meta.labels().find(std::string(kAppLabel));
    const uint64_t values = static_cast<uint64_t>(options_.label_values);
    uint64_t next = random_.Below(values - 1);
    if (it != old_meta.labels().end() && it->second == absl::StrCat("a", next)) {
      next = values - 1;
    }
    (*meta.mutable_labels())[std::string(kAppLabel)] = absl::StrCat("a", next);
    label_moved = true;
  }
  if (options_.tag_values > 0 && random_.Chance(options_.label_change_fraction)) {
    (*meta.mutable_labels())[std::string(kTagsLabel)] = RandomTags();
    label_moved = true;
  }
  object.set_spec(RandomSpec());
  const std::string key = target.key;
  absl::StatusOr<ObjectPtr> updated = writer_->Update(std::move(object));
  Trace(label_moved ? "update label" : "update", key, updated.status());
  if (!updated.ok()) {
    ++stats_.rejected;
    if (absl::IsNotFound(updated.status())) RemoveLive(key);
    return;
  }
  ++stats_.updates;
  if (label_moved) ++stats_.label_changes;
  live_[slot].object = *std::move(updated);
}

bool Workload::DeleteRandomLive(absl::string_view op, std::string* ns, std::string* name) {
  const size_t slot = static_cast<size_t>(random_.Below(live_.size()));
  const std::string key = live_[slot].key;
  *ns = live_[slot].object->metadata().namespace_();
  *name = live_[slot].object->metadata().name();
  absl::StatusOr<ObjectPtr> deleted = writer_->Delete(*ns, *name);
  Trace(op, key, deleted.status());
  if (!deleted.ok()) {
    ++stats_.rejected;
    if (absl::IsNotFound(deleted.status())) RemoveLive(key);
    return false;
  }
  ++stats_.deletes;
  RemoveLive(key);
  return true;
}

void Workload::DoRandomDelete() {
  std::string ns, name;
  if (!DeleteRandomLive("delete", &ns, &name)) return;
  if (random_.Chance(options_.recreate_fraction)) {
    const absl::Duration after =
        random_.DurationBetween(absl::ZeroDuration(), options_.recreate_delay_max);
    Schedule(after, [this, ns, name] { Recreate(ns, name); });
  }
}

bool Workload::Churn(absl::Duration recreate_after) {
  if (live_.empty()) return false;
  std::string ns, name;
  if (!DeleteRandomLive("delete churn", &ns, &name)) return false;
  Schedule(recreate_after, [this, ns, name] { Recreate(ns, name); });
  return true;
}

void Workload::DeleteShortLived(const std::string& key, const std::string& uid) {
  // Only the incarnation that was created short-lived; if it is already
  // gone (a random delete got there first), there is nothing to do.
  auto it = live_index_.find(key);
  if (it == live_index_.end() || live_[it->second].object->metadata().uid() != uid) return;
  const ObjectPtr object = live_[it->second].object;
  absl::StatusOr<ObjectPtr> deleted =
      writer_->Delete(object->metadata().namespace_(), object->metadata().name());
  Trace("delete short-lived", key, deleted.status());
  if (!deleted.ok()) {
    ++stats_.rejected;
    if (absl::IsNotFound(deleted.status())) RemoveLive(key);
    return;
  }
  ++stats_.deletes;
  ++stats_.short_lived_deleted;
  RemoveLive(key);
}

int Workload::ClearRefusedTags() {
  int rewritten = 0;
  // Walked from the back: RemoveLive (after a NotFound) swap-removes, moving
  // an entry already visited into slot i.
  for (size_t i = live_.size(); i-- > 0;) {
    const Live& target = live_[i];
    const auto& labels = target.object->metadata().labels();
    const auto tags = labels.find(std::string(kTagsLabel));
    if (tags == labels.end()) continue;
    std::vector<absl::string_view> kept;
    bool refused = false;
    for (absl::string_view v : absl::StrSplit(tags->second, ',')) {
      if (v == kRefusedTag) {
        refused = true;
      } else {
        kept.push_back(v);
      }
    }
    if (!refused) continue;
    api::Object object = *target.object;
    (*object.mutable_metadata()->mutable_labels())[std::string(kTagsLabel)] =
        absl::StrJoin(kept, ",");
    const std::string key = target.key;
    absl::StatusOr<ObjectPtr> updated = writer_->Update(std::move(object));
    Trace("update unrefuse", key, updated.status());
    if (!updated.ok()) {
      ++stats_.rejected;
      if (absl::IsNotFound(updated.status())) RemoveLive(key);
      continue;
    }
    ++stats_.updates;
    ++rewritten;
    live_[i].object = *std::move(updated);
  }
  return rewritten;
}

void Workload::Recreate(const std::string& ns, const std::string& name) {
  if (DoCreate(NewObject(ns, name), "recreate")) ++stats_.recreates;
}

void Workload::AddLive(ObjectPtr object) {
  std::string key = ObjectKey(object->metadata().namespace_(), object->metadata().name());
  const auto [it, inserted] = live_index_.emplace(key, live_.size());
  if (!inserted) {  // the writer accepted a key we thought live: refresh it
    live_[it->second].object = std::move(object);
    return;
  }
  live_.push_back(Live{std::move(key), std::move(object)});
}

void Workload::RemoveLive(absl::string_view key) {
  auto it = live_index_.find(key);
  if (it == live_index_.end()) return;
  const size_t slot = it->second;
  live_index_.erase(it);
  if (slot + 1 != live_.size()) {
    live_[slot] = std::move(live_.back());
    live_index_[live_[slot].key] = slot;
  }
  live_.pop_back();
}

}  // namespace sim
}  // namespace informersim
