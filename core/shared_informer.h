// SharedIndexInformer: client-go's sharedIndexInformer (shared_informer.go,
// rules SI1-SI12, C1-C5): one controller keeping one indexer in step with a
// source, fanning every change out to any number of handlers, each with its
// own resync period.
//
// Pipeline, by profile (core/profile.h):
//   CLASSIC  feeder (Reflector, LIST+WATCH) -> DeltaFIFO{known objects = the
//            indexer, Replaced deltas} -> Pop -> ProcessDeltas
//   CURRENT  feeder (Reflector, watch-list first) -> RealFIFO{atomic,
//            unlock while processing, bookmarks} -> PopBatch ->
//            ProcessDeltasInBatch (one Cache Transaction per batch)
// then, in both, the informer's own handler (SI3) distributes to the
// sharedProcessor (SI4), whose listeners each run on their own strand (SI9;
// core/processor_listener.h).
//
// Execution: nothing blocks and no thread is started. Run() starts the
// feeder, the controller strand and the listener strands on the injected
// Runtime and returns; Stop() cancels (client-go: the context is done). The
// informer counts as stopped (IsStopped) once the controller loop has exited;
// the processor is stopped right after, as client-go stops it after the
// controller (SI1). Deterministic under ManualRuntime.
//
// Thread safety: every public method may be called from any thread, but
// RemoveEventHandler / ShutDownEventHandler / AddEventHandler must not be
// called from inside a handler of the same informer with RealRuntime while
// a Stop is racing (they take the informer's locks; client-go has the same
// rule for ShutDownEventHandler only).
// Locks, outermost first: started_mu_ -> block_deltas_ -> processor ->
// listener -> runtime. The process callbacks run under the queue's lock
// (D8) and take block_deltas_ (SI2): nothing holding block_deltas_ calls
// into the queue.
//
// Lifetime: after Stop(), run the Runtime until idle (ManualRuntime) or shut
// it down (RealRuntime) before destroying the informer; the feeder (the
// Reflector) requires it. A registration's HasSynced asks the informer, so
// registrations must not be queried after the informer is gone.
//
// Deliberate differences from client-go:
//   - Run returns at once; IsStopped becomes true when the loop has exited
//     after Stop (client-go: when Run returns).
//   - ShutDownEventHandler cannot block a strand: it removes the handler
//     and runs `done` once the listener's run loop has finished (client-go
//     blocks the caller until then).
//   - A handler that throws is the counterpart of a panicking handler
//     (SI9); crashes are counted in crash_log().
//   - Listener order is registration order (client-go: map order), so
//     distribution across handlers is deterministic.
//   - The informer's HasSynced becomes true when the queue reports synced,
//     i.e. after the last initial item was processed (see core/delta_fifo.h
//     on the DeltaFIFO timing), with no separate watcher goroutine.
//   - No cache mutation detector, metrics, or object type checks.
#ifndef INFORMERSIM_CORE_SHARED_INFORMER_H_
#define INFORMERSIM_CORE_SHARED_INFORMER_H_

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "core/cache.h"
#include "core/controller.h"
#include "core/mutex.h"
#include "core/processor_listener.h"
#include "core/profile.h"
#include "core/queue.h"
#include "core/resource_event_handler.h"
#include "core/runtime.h"

namespace informersim {

// client-go SharedIndexInformerOptions, plus the profile.
struct SharedIndexInformerOptions {
  ProfileOptions profile;
  std::string name = "informer";
  // defaultEventHandlerResyncPeriod, also the initial resync check period.
  absl::Duration resync_period = absl::ZeroDuration();
  Indexers indexers;
  // Reflector knobs (C1).
  int64_t watch_list_page_size = 0;
  absl::Duration min_watch_timeout = absl::ZeroDuration();
  absl::Duration max_internal_error_retry_duration = absl::ZeroDuration();
  // R10: RealFIFO batch size (client-go: fixed 1000).
  size_t batch_size = 1000;
  // Makes the queue at Run; null means NewQueueForProfile. A seam for the
  // simulator's tests, which swap in deliberately broken queues to prove the
  // checker catches them; no client-go counterpart.
  QueueFactory queue_factory;
  // Given to NewQueueForProfile's RealFIFO (RealFIFOOptions::unlocked_window):
  // a deterministic driver's hook into the moments a pop is processed
  // without the queue's lock; no client-go counterpart. Unused with a
  // queue_factory.
  std::function<void()> unlocked_window;
};

// client-go HandlerOptions.
struct HandlerOptions {
  // nullopt: the informer's default resync period.
  std::optional<absl::Duration> resync_period;
};

struct SharedInformerStats {
  int64_t run_calls_ignored = 0;  // SI1: Run called again
  ControllerStats controller;
};

class SharedIndexInformer {
 public:
  // `feeder_factory` makes the Reflector (core/reflector_feeder.h); null
  // means nothing feeds the queue but queue() writes (tests).
  SharedIndexInformer(Runtime* runtime, QueueFeederFactory feeder_factory,
                      SharedIndexInformerOptions options);
  SharedIndexInformer(const SharedIndexInformer&) = delete;
  SharedIndexInformer& operator=(const SharedIndexInformer&) = delete;
  ~SharedIndexInformer();

  // SI6/SI7: registration; an error once stopped.
  absl::StatusOr<std::shared_ptr<ResourceEventHandlerRegistration>> AddEventHandler(
      std::shared_ptr<ResourceEventHandler> handler);
  absl::StatusOr<std::shared_ptr<ResourceEventHandlerRegistration>>
  AddEventHandlerWithResyncPeriod(std::shared_ptr<ResourceEventHandler> handler,
                                  absl::Duration resync_period);
  absl::StatusOr<std::shared_ptr<ResourceEventHandlerRegistration>>
  AddEventHandlerWithOptions(std::shared_ptr<ResourceEventHandler> handler,
                             HandlerOptions options);
  // SI8: idempotent; unknown, foreign or removed handles and a stopped
  // informer are no-ops returning OK.
  absl::Status RemoveEventHandler(
      const std::shared_ptr<ResourceEventHandlerRegistration>& handle);
  // SI8: RemoveEventHandler, then `done` (may be null) once the handler's
  // run loop has finished.
  absl::Status ShutDownEventHandler(
      const std::shared_ptr<ResourceEventHandlerRegistration>& handle,
      std::function<void()> done);

  // SI1: starts everything; a second call is counted and ignored. After a
  // Stop, Run starts nothing and the informer is stopped at once (client-go:
  // Run with a context already done). Options the queue refuses (a batch
  // size of 0, say) also leave it stopped, with the reason in RunStatus().
  void Run();
  // Cancels (client-go: the context is done). Idempotent; may come first.
  void Stop();
  // OK unless Run could not start the informer.
  absl::Status RunStatus() const;
  bool HasStarted() const;
  // SI1.
  bool IsStopped() const;
  // SI10: monotonic.
  bool HasSynced() const;
  // RF17 through the controller; "" before Run.
  std::string LastSyncResourceVersion() const;

  Cache* GetIndexer() { return indexer_.get(); }
  Store* GetStore() { return indexer_.get(); }
  // I7: also allowed after start; an error once stopped.
  absl::Status AddIndexers(Indexers indexers);
  // SI1: before Run only ("informer has already started").
  absl::Status SetTransform(TransformFunc transform);
  absl::Status SetWatchErrorHandler(std::function<void(const absl::Status&)> handler);

  // Registered handlers (tests: client-go eventHandlerCount / isRegistered).
  size_t EventHandlerCount() const { return processor_.listener_count(); }
  bool IsRegistered(const std::shared_ptr<ResourceEventHandlerRegistration>& handle) const;

  // The queue, once Run has made it (tests feed it directly when there is no
  // feeder); null before Run.
  Queue* queue();
  absl::Duration resync_check_period() const;
  const HandlerCrashLog& crash_log() const { return *crash_log_; }
  SharedInformerStats stats() const;
  Profile profile() const { return options_.profile.profile; }

 private:
  class DeltaHandler;

  absl::Status HandleDeltas(const Deltas& deltas, bool is_in_initial_list);
  absl::Status HandleBatchDeltas(absl::Span<const Delta> deltas, bool is_in_initial_list);
  void OnControllerStopped();

  Runtime* const runtime_;
  const QueueFeederFactory feeder_factory_;
  const SharedIndexInformerOptions options_;
  const std::unique_ptr<Cache> indexer_;
  const std::shared_ptr<HandlerCrashLog> crash_log_;
  SharedProcessor processor_;
  std::unique_ptr<DeltaHandler> delta_handler_;
  // The informer's sync, latched (SI10).
  mutable std::atomic<bool> synced_{false};

  // client-go startedLock.
  mutable Mutex started_mu_;
  bool started_ ABSL_GUARDED_BY(started_mu_) = false;
  bool stopped_ ABSL_GUARDED_BY(started_mu_) = false;
  bool stop_requested_ ABSL_GUARDED_BY(started_mu_) = false;
  absl::Status run_status_ ABSL_GUARDED_BY(started_mu_);
  absl::Duration resync_check_period_ ABSL_GUARDED_BY(started_mu_);
  TransformFunc transform_ ABSL_GUARDED_BY(started_mu_);
  std::function<void(const absl::Status&)> watch_error_handler_ ABSL_GUARDED_BY(started_mu_);
  int64_t run_calls_ignored_ ABSL_GUARDED_BY(started_mu_) = 0;
  // Written once in Run under started_mu_, then read without it.
  std::unique_ptr<Queue> queue_;
  std::unique_ptr<Controller> controller_;
  std::atomic<Controller*> controller_ptr_{nullptr};

  // client-go blockDeltas (SI2).
  Mutex block_deltas_;
};

}  // namespace informersim

#endif  // INFORMERSIM_CORE_SHARED_INFORMER_H_
