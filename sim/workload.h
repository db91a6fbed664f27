// Workload: the simulator's write traffic. It creates, updates and deletes
// objects through an ObjectWriter (the fake API server) on its own strand
// ("workload") of a Runtime, at a configurable mean rate, across namespaces
// and label values, with short-lived objects and delete-then-recreate of the
// same name (a new incarnation, new uid).
//
// Model:
//   - Preload() creates `initial_objects` at once (no scheduling).
//   - Start(stop_at) schedules writes with inter-arrival times uniform in
//     [0, 2/rate] (mean 1/rate). Uniform, not exponential, on purpose: an
//     exponential draw needs a logarithm, whose last bits differ between libm
//     versions, and a run must replay byte for byte on any machine.
//   - Each arrival picks create, update or delete by weight. The create and
//     delete weights are scaled by target/population and population/target
//     (target = initial_objects), so the population settles near the target
//     when the two weights are equal (near target * sqrt(create/delete) in
//     general).
//   - Updates pick a live object uniformly, rewrite its spec (random size in
//     [min_spec_bytes, max_spec_bytes]) and, with label_change_fraction, move
//     its "app" label to another value (so indexes move) and, with
//     tag_values, redraw its multi-valued "tags" label. With
//     refused_tag_fraction a drawn tags label also carries kRefusedTag, the
//     value the simulation's tags index function refuses (a user index
//     function that fails: client-go panics); ClearRefusedTags rewrites every
//     such object without it, so a run can converge after its faults.
//   - A create is short-lived with short_lived_fraction: the same incarnation
//     is deleted again after a delay in [short_lived_min, short_lived_max].
//     A random delete is followed, with recreate_fraction, by a create of
//     the same name after a delay in [0, recreate_delay_max] (INV3: a
//     delete and recreate between relists may reach a handler as one Update).
//   - No write runs at or after stop_at, or after Stop(); follow-ups that
//     would fall at or after stop_at are not scheduled.
//   - A write the writer rejects (NotFound, AlreadyExists, ...) is counted
//     in `rejected`; a NotFound also drops the key from the workload's view.
//   - Every choice comes from the Prng given at construction; the live set is
//     a vector (swap-remove) indexed by a hash map used for lookups only, so
//     no hash-map order influences anything.
//   - Each write is traced (kind WRITE, actor "workload", detail
//     "<operation> <key>", plus " rejected: <code>" when refused).
//
// Thread safety: none; runs on the simulator's single thread (tasks on the
// "workload" strand of a ManualRuntime).
#ifndef INFORMERSIM_SIM_WORKLOAD_H_
#define INFORMERSIM_SIM_WORKLOAD_H_

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "core/api/object.h"
#include "core/item.h"
#include "core/runtime.h"
#include "sim/object_writer.h"
#include "sim/prng.h"
#include "sim/tracer.h"

namespace informersim {
namespace sim {

struct WorkloadOptions {
  int64_t initial_objects = 1000;     // created by Preload; also the population target
  double writes_per_second = 100;     // mean rate after Start (0 = none)
  int namespaces = 10;                // "ns-0".."ns-9"; 0 = cluster-scoped objects
  int label_values = 5;               // label app=a0..a4; 0 = no label
  double create_weight = 1, update_weight = 3, delete_weight = 1;  // relative
  double short_lived_fraction = 0.1;  // creates that are deleted again soon
  absl::Duration short_lived_min = absl::Milliseconds(50), short_lived_max = absl::Seconds(2);
  double recreate_fraction = 0.05;    // deletes followed by a create of the same name soon
  absl::Duration recreate_delay_max = absl::Milliseconds(500);
  int64_t min_spec_bytes = 16, max_spec_bytes = 256;
  double label_change_fraction = 0.2;  // updates that move the "app" label
  // A multi-valued "tags" label ("t0,t2,t2": values may repeat) for a
  // multi-value index; 0 = no such label. Updates rewrite it with
  // label_change_fraction, so objects move between several index buckets at
  // once.
  int tag_values = 0;
  // Drawn tags labels that also carry kRefusedTag (see the model above).
  double refused_tag_fraction = 0;
};

// The "tags" value the simulation's tags index function refuses.
inline constexpr absl::string_view kRefusedTag = "refused";

// Successful writes by kind, and refused ones. `creates` counts every
// successful create (preloaded, random, recreate); `deletes` every
// successful delete (random and short-lived).
struct WorkloadStats {
  int64_t creates = 0, updates = 0, deletes = 0;
  int64_t recreates = 0;      // creates of a recently deleted name
  int64_t short_lived = 0;    // creates scheduled for a quick delete
  int64_t label_changes = 0;  // updates that moved the "app" label
  int64_t rejected = 0;       // writes the writer refused
  int64_t preloaded = 0;      // creates done by Preload
  int64_t short_lived_deleted = 0;  // short-lived objects deleted on schedule
};

// The spec's letters for eight random bytes: byte k of the result is
// 'a' + (byte k of `bits`) % 26.
uint64_t SpecLetters(uint64_t bits);

class Workload {
 public:
  // `runtime`, `writer` and `tracer` (may be null) must outlive the
  // workload. `options` must pass Validate (asserted).
  Workload(Runtime* runtime, ObjectWriter* writer, Prng random, Tracer* tracer,
           WorkloadOptions options);
  Workload(const Workload&) = delete;
  Workload& operator=(const Workload&) = delete;
  ~Workload();

  // initial_objects creates at once. The first refused create is returned
  // as an error naming the key (the writer is then in an unknown state).
  absl::Status Preload();
  // Schedules writes on the "workload" strand until stop_at.
  void Start(absl::Time stop_at);
  // Deletes a random live object now and creates its name again (a new
  // incarnation, new uid) `recreate_after` later, if that is before the
  // stop time: the history a client that is disconnected meanwhile sees
  // only in its next list. False when nothing is live.
  bool Churn(absl::Duration recreate_after);
  // Updates every live object whose tags label carries kRefusedTag to the
  // same label without it, now (whether or not the workload runs); traced as
  // "update unrefuse". Returns the number of objects rewritten.
  int ClearRefusedTags();
  // No further writes; pending timers are cancelled and done() is true.
  void Stop();
  // Nothing scheduled any more (never started, stopped, or past stop_at with
  // every follow-up done).
  bool done() const { return pending_.empty(); }
  const WorkloadStats& stats() const { return stats_; }
  // The live objects as the workload believes them to be.
  size_t population() const { return live_.size(); }

  // Clear errors naming the option: negative counts or rates, all weights
  // zero, fractions outside [0, 1], a minimum above its maximum...
  static absl::Status Validate(const WorkloadOptions& o);

 private:
  struct Live {
    std::string key;
    ObjectPtr object;  // as the writer returned it
  };
  enum class Op { kCreate, kUpdate, kDelete, kNone };

  // Runs `task` after `delay` unless it would land at or after stop_at_;
  // tracks it so that Stop can cancel it and done() can see it.
  void Schedule(absl::Duration delay, absl::AnyInvocable<void()> task);
  // The timer of Schedule's task `serial` fired: run it unless stopped.
  void RunScheduled(uint64_t serial);
  void ScheduleArrival();
  void Arrival();
  // kNone when the population is empty and creates weigh nothing.
  Op ChooseOp();

  api::Object NewObject(std::string ns, std::string name);
  std::string RandomSpec();
  std::string RandomTags();
  void Trace(absl::string_view op, absl::string_view key, const absl::Status& status);

  // Create/update/delete through the writer, keeping the live set and the
  // stats; each returns whether the writer accepted.
  bool DoCreate(api::Object object, absl::string_view op);
  void DoRandomUpdate();
  void DoRandomDelete();
  // Deletes a live object picked at random (traced as `op`); its name in
  // `ns`/`name`. False when the writer refused.
  bool DeleteRandomLive(absl::string_view op, std::string* ns, std::string* name);
  void DeleteShortLived(const std::string& key, const std::string& uid);
  void Recreate(const std::string& ns, const std::string& name);

  void AddLive(ObjectPtr object);
  void RemoveLive(absl::string_view key);

  Runtime* const runtime_;
  ObjectWriter* const writer_;
  Prng random_;
  Tracer* const tracer_;
  const WorkloadOptions options_;
  StrandId strand_ = 0;
  absl::Time stop_at_ = absl::InfinitePast();
  bool running_ = false;
  uint64_t next_task_ = 1;
  int64_t next_name_ = 0;
  // Scheduled tasks by serial, with their timers. A hash map (no node per
  // write); Stop sorts before it cancels, so cancellation is in serial order.
  struct Pending {
    TimerId timer;
    absl::AnyInvocable<void()> task;
  };
  absl::flat_hash_map<uint64_t, Pending> pending_;
  std::vector<Live> live_;
  absl::flat_hash_map<std::string, size_t> live_index_;  // key -> live_ slot
  WorkloadStats stats_;
  // Reused for each write's trace line (no allocation per line).
  std::string trace_line_;
};

}  // namespace sim
}  // namespace informersim

#endif  // INFORMERSIM_SIM_WORKLOAD_H_
