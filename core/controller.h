// The controller of client-go's tools/cache (controller.go, rules C1-C5):
// the loop that pops a Queue and applies what it pops to a Store while
// telling a ResourceEventHandler, plus the functions that do the applying
// (processDeltas, processDeltasInBatch) and NewInformer, the non-shared
// informer built from them.
//
// Execution model (core/runtime.h): client-go's processLoop goroutine is a
// strand here. Each task of that strand pops ONE item (or one batch, R10)
// with TryPop/TryPopBatch and re-posts itself; when the queue is empty the
// task ends, and the queue's ready callback (core/queue.h) posts the next
// one when something arrives. The Reflector that fills the queue is reached
// through the QueueFeeder interface, so this target does not depend on the
// Reflector: core/reflector_feeder.h makes the real one, and tests may feed
// the queue directly.
//
// Thread safety: Controller's methods may be called from any thread. The
// process callbacks run on the controller's strand, inside the queue's Pop,
// i.e. under the queue's lock unless RealFIFO's UnlockWhileProcessing applies
// (D8, R9): they must not call back into the queue.
//
// Lifetime: after Stop(), let the Runtime run (ManualRuntime: until idle;
// RealRuntime: shut it down) before destroying the queue, the feeder or
// anything the callbacks reach; the controller's own posted tasks are safe
// to run after its destruction (they find it detached and do nothing).
//
// Deliberate differences from client-go:
//   - Run returns at once (nothing blocks); Stop is client-go's context
//     cancellation and is asynchronous: the loop exits at its next task.
//     IsStopped() / the on_stopped callback report the exit.
//   - C1 "panics inside Process propagate out of Run": C++ process callbacks
//     return a status instead of panicking; an error status is counted and
//     the item is dropped (as client-go does with a non-panic error).
//   - client-go's processLoop checks the context between pops: so does this
//     loop; after Stop, queued items are left unprocessed.
//   - The batch gate (InOrderInformersBatchProcess) is ControllerConfig::
//     batch_process rather than a process-global feature gate.
#ifndef INFORMERSIM_CORE_CONTROLLER_H_
#define INFORMERSIM_CORE_CONTROLLER_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "absl/types/span.h"
#include "core/cache.h"
#include "core/delta.h"
#include "core/item.h"
#include "core/keys.h"
#include "core/profile.h"
#include "core/queue.h"
#include "core/reflector_options.h"
#include "core/resource_event_handler.h"
#include "core/runtime.h"
#include "core/store.h"

namespace informersim {

// ---------------------------------------------------------------------------
// processDeltas / processDeltasInBatch (C3, C4, C5)

// C3: applies `deltas` (oldest first) to `client_state` and tells `handler`
// after each change is stored (C5). `key_func` keys ReplacedAll items and
// the store's keys; empty means DeletionHandlingMetaNamespaceKeyFunc (K2).
absl::Status ProcessDeltas(ResourceEventHandler& handler, Store& client_state,
                           const Deltas& deltas, bool is_in_initial_list,
                           const KeyFunc& key_func = nullptr);

// C4: a batch of deltas of distinct keys. If the store is a TransactionStore
// the whole batch is one Transaction and the callbacks follow, in batch
// order, only for the writes that succeeded; otherwise each delta goes
// through ProcessDeltas. ReplacedAll, SyncAll and Bookmark are rejected.
absl::Status ProcessDeltasInBatch(ResourceEventHandler& handler, Store& client_state,
                                  absl::Span<const Delta> deltas, bool is_in_initial_list,
                                  const KeyFunc& key_func = nullptr);

// ---------------------------------------------------------------------------
// QueueFeeder: what fills the controller's queue (the Reflector).

// The Reflector knobs that client-go's Config carries (C1).
class QueueFeeder {
 public:
  virtual ~QueueFeeder() = default;
  virtual void Run() = 0;
  virtual void Stop() = 0;
  // RF17.
  virtual std::string LastSyncResourceVersion() const = 0;
};

// Makes the feeder that writes into `queue`.
using QueueFeederFactory =
    std::function<std::unique_ptr<QueueFeeder>(ReflectorStore* queue, ReflectorOptions options)>;

// ---------------------------------------------------------------------------
// Controller (C1, C2)

struct ControllerConfig {
  std::string name = "controller";
  // Not owned; must outlive the controller's tasks (see "Lifetime").
  Queue* queue = nullptr;
  Runtime* runtime = nullptr;
  // Null: nothing feeds the queue but the caller (tests).
  QueueFeederFactory feeder_factory;
  ReflectorOptions feeder_options;
  // Config.Process: handles one popped Deltas.
  std::function<absl::Status(const Deltas& deltas, bool is_in_initial_list)> process;
  // Config.ProcessBatch; used iff batch_process, the queue is a
  // QueueWithBatch, and this is set (C1).
  std::function<absl::Status(absl::Span<const Delta> deltas, bool is_in_initial_list)>
      process_batch;
  bool batch_process = false;
  // C1, CLASSIC: after Stop, keep popping until the closed queue is empty
  // (client-go up to v0.33); otherwise the loop ends at its next step.
  bool drain_closed_queue_after_stop = false;
};

struct ControllerStats {
  int64_t pops = 0;            // pops (single or batch) that processed something
  int64_t process_errors = 0;  // pops whose callback returned an error
  absl::Status last_process_error;
};

class Controller {
 public:
  explicit Controller(ControllerConfig config);
  Controller(const Controller&) = delete;
  Controller& operator=(const Controller&) = delete;
  ~Controller();

  // C1: starts the feeder and the process loop; returns at once. At most
  // once. `on_stopped` (may be null) runs on the controller's strand when the
  // loop has exited after Stop (or a closed queue).
  void Run(std::function<void()> on_stopped = nullptr);
  // Cancels: stops the feeder and closes the queue (C1). Idempotent.
  void Stop();
  // True once the process loop has exited.
  bool IsStopped() const;
  bool HasStarted() const;
  // C2.
  bool HasSynced() const;
  // RF17 through the feeder; "" before Run or without one.
  std::string LastSyncResourceVersion() const;
  ControllerStats stats() const;

 private:
  class State;
  std::shared_ptr<State> state_;
};

// ---------------------------------------------------------------------------
// NewInformer (client-go NewInformer / NewIndexerInformer /
// NewTransformingInformer): a store kept in step with a source, and one
// handler told of every change. The queue follows the profile: CLASSIC a
// DeltaFIFO with the store as known objects and Replaced deltas; CURRENT an
// atomic RealFIFO popped in batches.

struct InformerOptions {
  ProfileOptions profile;
  std::string name = "informer";
  Runtime* runtime = nullptr;
  QueueFeederFactory feeder_factory;
  // Not owned.
  ResourceEventHandler* handler = nullptr;
  // RF14 (InformerOptions.ResyncPeriod).
  absl::Duration resync_period = absl::ZeroDuration();
  absl::Duration min_watch_timeout = absl::ZeroDuration();
  Indexers indexers;
  // Applied by the queue (client-go InformerOptions.Transform).
  TransformFunc transform;
  // R10: RealFIFO's batch size.
  size_t batch_size = 1000;
};

class Informer {
 public:
  // Fails only on an invalid option combination.
  static absl::StatusOr<std::unique_ptr<Informer>> Create(InformerOptions options);
  Informer(const Informer&) = delete;
  Informer& operator=(const Informer&) = delete;
  ~Informer();

  Cache* store() { return store_.get(); }
  Controller* controller() { return controller_.get(); }
  Queue* queue() { return queue_.get(); }

  void Run() { controller_->Run(); }
  void Stop() { controller_->Stop(); }
  bool HasSynced() const { return controller_->HasSynced(); }

 private:
  Informer() = default;
  std::unique_ptr<Cache> store_;
  std::unique_ptr<Queue> queue_;
  std::unique_ptr<Controller> controller_;
};

// The queue an informer of `profile` uses (client-go newQueueFIFO):
// CLASSIC: DeltaFIFO{known_objects, EmitDeltaTypeReplaced, legacy_requeue};
// CURRENT: RealFIFO{AtomicEvents, UnlockWhileProcessing, EmitDeltaTypeBookmark}.
// `unlocked_window` goes to RealFIFOOptions (no client-go counterpart).
absl::StatusOr<std::unique_ptr<Queue>> NewQueueForProfile(const ProfileOptions& profile,
                                                          const KeyListerGetter* known_objects,
                                                          TransformFunc transform,
                                                          size_t batch_size,
                                                          std::function<void()> unlocked_window = nullptr);
// The shape of NewQueueForProfile, for informers that are given another maker.
using QueueFactory = std::function<absl::StatusOr<std::unique_ptr<Queue>>(
    const ProfileOptions& profile, const KeyListerGetter* known_objects, TransformFunc transform,
    size_t batch_size)>;

}  // namespace informersim

#endif  // INFORMERSIM_CORE_CONTROLLER_H_
