// processorListener and sharedProcessor of client-go's shared_informer.go
// (rules SI4, SI5, SI6, SI8, SI9, SI11): how one informer's notifications
// reach each registered ResourceEventHandler.
//
// Execution model (core/runtime.h): each listener is a strand. Add appends to
// the listener's unbounded buffer and posts one dispatch task if none is
// pending; each dispatch task delivers ONE notification and posts the next,
// so a driver can interleave handlers. client-go's pop/run goroutine pair and
// its channels collapse into that buffer and that task.
//
// Handler failures (SI9): a handler that throws is the C++ form of a handler
// that panics. The exception is caught, counted and logged in the
// listener's HandlerCrashLog ("Observed a panic: ..."), the notification is
// skipped, and the next notification is delivered no earlier than 1 s
// (Runtime time) later, as client-go's run loop sleeps one second after a
// recovered panic. An initial-list add whose handler threw is never counted
// as delivered, so such a registration never becomes synced (SI11).
//
// Thread safety: every method may be called from any thread. Handlers run
// on the listener's strand with no lock held. The registration's HasSynced
// calls the upstream HasSynced function without holding the listener's lock.
//
// Deliberate differences from client-go:
//   - Stop (client-go: close(addCh)) drops the buffered notifications at
//     once; a handler call already running finishes. IsShutDown() is
//     client-go's runFinished channel; OnShutDown registers a callback for
//     it instead of blocking (ShutDownEventHandler cannot block a strand).
//   - Listeners of a processor are kept in registration order, so
//     distribution order across listeners is deterministic (client-go: Go
//     map order).
#ifndef INFORMERSIM_CORE_PROCESSOR_LISTENER_H_
#define INFORMERSIM_CORE_PROCESSOR_LISTENER_H_

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/time/time.h"
#include "core/item.h"
#include "core/mutex.h"
#include "core/ring_queue.h"
#include "core/resource_event_handler.h"
#include "core/runtime.h"

namespace informersim {

// client-go addNotification / updateNotification / deleteNotification.
struct Notification {
  enum class Kind : uint8_t { kAdd, kUpdate, kDelete };
  Kind kind = Kind::kAdd;
  Item old_obj;  // kUpdate, kDelete
  Item new_obj;  // kAdd, kUpdate
  bool is_in_initial_list = false;  // kAdd

  static Notification Add(Item obj, bool is_in_initial_list) {
    return Notification{Kind::kAdd, Item(), std::move(obj), is_in_initial_list};
  }
  static Notification Update(Item old_obj, Item new_obj) {
    return Notification{Kind::kUpdate, std::move(old_obj), std::move(new_obj), false};
  }
  static Notification Delete(Item obj) {
    return Notification{Kind::kDelete, std::move(obj), Item(), false};
  }
};

// The in-memory log of recovered handler failures (client-go's
// HandleCrash log lines). Bounded: keeps the first kMaxMessages messages.
class HandlerCrashLog {
 public:
  static constexpr size_t kMaxMessages = 64;
  void Record(std::string message);
  int64_t count() const;
  std::vector<std::string> messages() const;

 private:
  mutable Mutex mu_;
  int64_t count_ ABSL_GUARDED_BY(mu_) = 0;
  std::vector<std::string> messages_ ABSL_GUARDED_BY(mu_);
};

// client-go ResourceEventHandlerRegistration: the handle AddEventHandler
// returns.
class ResourceEventHandlerRegistration {
 public:
  virtual ~ResourceEventHandlerRegistration() = default;
  // SI11.
  virtual bool HasSynced() const = 0;
  // The listener's run loop has finished (client-go ShutdownChan closed).
  virtual bool IsShutDown() const = 0;
};

class ProcessorListener final : public ResourceEventHandlerRegistration,
                                public std::enable_shared_from_this<ProcessorListener> {
 public:
  // `upstream_has_synced` is the informer's HasSynced (SI11); it must not
  // take a lock that is held while notifications are added.
  ProcessorListener(std::shared_ptr<ResourceEventHandler> handler, Runtime* runtime,
                    absl::Duration requested_resync_period, absl::Duration resync_period,
                    absl::Time now, std::function<bool()> upstream_has_synced,
                    std::shared_ptr<HandlerCrashLog> crash_log);
  ProcessorListener(const ProcessorListener&) = delete;
  ProcessorListener& operator=(const ProcessorListener&) = delete;

  // client-go add: buffers `n`; an initial-list add raises the pending count
  // (SI11). Ignored once stopped.
  void Add(Notification n);
  // Starts delivering (client-go: the run and pop goroutines).
  void Start();
  // Lets HasSynced look upstream (client-go watchSynced); SI7 starts it only
  // after a late joiner's synthetic adds are buffered.
  void StartSyncWatch();
  // client-go close(addCh) / runFinished; see the header comment.
  void Stop();
  // Runs `done` once IsShutDown() (at once if it already is).
  void OnShutDown(std::function<void()> done);

  bool HasSynced() const override;
  bool IsShutDown() const override;

  // SI5.
  bool ShouldResync(absl::Time now) const;
  void DetermineNextResync(absl::Time now);
  void SetResyncPeriod(absl::Duration period);
  absl::Duration requested_resync_period() const { return requested_resync_period_; }
  absl::Duration resync_period() const;

  // Buffered, not yet delivered notifications.
  size_t pending() const;
  int64_t delivered() const;
  int64_t crashes() const;
  ResourceEventHandler* handler() const { return handler_.get(); }

 private:
  void PostDispatchLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void Dispatch();
  // Runs the shutdown callbacks if the run loop has finished; releases the
  // lock around them.
  void MaybeFinishLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const std::shared_ptr<ResourceEventHandler> handler_;
  Runtime* const runtime_;
  const StrandId strand_;
  const absl::Duration requested_resync_period_;
  const std::function<bool()> upstream_has_synced_;
  const std::shared_ptr<HandlerCrashLog> crash_log_;

  mutable Mutex mu_;
  // client-go's pendingNotifications: unbounded, in a growing ring.
  RingQueue<Notification> buffer_ ABSL_GUARDED_BY(mu_);
  bool started_ ABSL_GUARDED_BY(mu_) = false;
  bool stopped_ ABSL_GUARDED_BY(mu_) = false;
  bool finished_ ABSL_GUARDED_BY(mu_) = false;
  bool dispatch_pending_ ABSL_GUARDED_BY(mu_) = false;
  bool in_handler_ ABSL_GUARDED_BY(mu_) = false;
  bool sleep_after_crash_ ABSL_GUARDED_BY(mu_) = false;
  bool sync_watch_started_ ABSL_GUARDED_BY(mu_) = false;
  // synctrack.SingleFileTracker's count: initial adds not yet returned.
  int64_t pending_initial_ ABSL_GUARDED_BY(mu_) = 0;
  // SI11: once synced, always synced (client-go synctrack latches too).
  // Atomic, not under mu_: once set it answers HasSynced without the lock,
  // and the checker asks every listener at every step.
  mutable std::atomic<bool> synced_latched_{false};
  int64_t delivered_ ABSL_GUARDED_BY(mu_) = 0;
  int64_t crashes_ ABSL_GUARDED_BY(mu_) = 0;
  absl::Duration resync_period_ ABSL_GUARDED_BY(mu_);
  absl::Time next_resync_ ABSL_GUARDED_BY(mu_);
  std::vector<std::function<void()>> on_shutdown_ ABSL_GUARDED_BY(mu_);
};

// client-go sharedProcessor.
class SharedProcessor {
 public:
  // Adds a listener; starts it (but not its sync watch) if the processor
  // runs. Returns whether the processor runs.
  bool AddListener(std::shared_ptr<ProcessorListener> listener);
  // SI8: false (and no effect) for an unknown or already removed listener.
  bool RemoveListener(const ProcessorListener* listener);
  bool HasListener(const ProcessorListener* listener) const;
  // SI4.
  void Distribute(const Notification& n, bool sync);
  // Starts every listener and its sync watch.
  void Run();
  // Stops every listener and forgets them (client-go: listeners = nil).
  void Stop();
  // SI5.
  bool ShouldResync(absl::Time now);
  // SI6: recomputes every listener's effective period.
  void ResyncCheckPeriodChanged(absl::Duration check_period);
  size_t listener_count() const;

 private:
  struct Entry {
    std::shared_ptr<ProcessorListener> listener;
    bool syncing = true;  // SI4: true when added
  };
  mutable Mutex mu_;
  std::vector<Entry> listeners_ ABSL_GUARDED_BY(mu_);
  bool started_ ABSL_GUARDED_BY(mu_) = false;
};

// client-go determineResyncPeriod (SI6).
absl::Duration DetermineResyncPeriod(absl::Duration desired, absl::Duration check);

}  // namespace informersim

#endif  // INFORMERSIM_CORE_PROCESSOR_LISTENER_H_
