// WaitForCacheSync and WaitForNamedCacheSync: client-go's "wait until these
// informers have synced" (shared_informer.go), in core's task model. client-go
// blocks a goroutine in wait.PollImmediateUntil; here the wait is a chain of
// tasks on a strand: the conditions are checked at once and then every
// kSyncedPollPeriod (client-go's syncedPollPeriod, 100 ms) of the runtime's
// time, virtual under ManualRuntime, real under RealRuntime, and `done` runs
// on that strand exactly once: true when every condition held at a check,
// false when the wait was stopped first (client-go's closed stop channel).
//
// Thread safety: Stop may be called from any thread; the checks and `done`
// run on the strand. The conditions are read from the strand, so they must be
// safe to call there (an informer's HasSynced is).
#ifndef INFORMERSIM_CORE_CACHE_SYNC_H_
#define INFORMERSIM_CORE_CACHE_SYNC_H_

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/time/time.h"
#include "core/mutex.h"
#include "core/runtime.h"

namespace informersim {

// client-go InformerSynced.
using InformerSynced = std::function<bool()>;

inline constexpr absl::Duration kSyncedPollPeriod = absl::Milliseconds(100);

class CacheSyncWait : public std::enable_shared_from_this<CacheSyncWait> {
 public:
  // Use WaitForCacheSync.
  CacheSyncWait(Runtime* runtime, StrandId strand, std::vector<InformerSynced> synced,
                std::function<void(bool)> done);
  CacheSyncWait(const CacheSyncWait&) = delete;
  CacheSyncWait& operator=(const CacheSyncWait&) = delete;

  // Ends the wait: `done(false)` on the strand unless it already ran.
  void Stop();
  // `done` has run (or is about to, on the strand).
  bool Finished() const;

 private:
  friend std::shared_ptr<CacheSyncWait> WaitForCacheSync(Runtime*, StrandId,
                                                         std::vector<InformerSynced>,
                                                         std::function<void(bool)>);
  void Check();
  void Finish(bool synced);

  Runtime* const runtime_;
  const StrandId strand_;
  const std::vector<InformerSynced> synced_;
  std::function<void(bool)> done_;  // used once, on the strand
  mutable Mutex mu_;
  bool finished_ ABSL_GUARDED_BY(mu_) = false;
  TimerId timer_ ABSL_GUARDED_BY(mu_) = 0;
};

// Starts waiting; the first check is a task posted now. Keep the result to
// Stop the wait; dropping it does not stop it.
std::shared_ptr<CacheSyncWait> WaitForCacheSync(Runtime* runtime, StrandId strand,
                                                std::vector<InformerSynced> synced,
                                                std::function<void(bool)> done);

// As WaitForCacheSync, with client-go's message for a stopped wait: `done`
// gets OK, or Cancelled "unable to sync caches for <controller_name>".
std::shared_ptr<CacheSyncWait> WaitForNamedCacheSync(const std::string& controller_name,
                                                     Runtime* runtime, StrandId strand,
                                                     std::vector<InformerSynced> synced,
                                                     std::function<void(absl::Status)> done);

}  // namespace informersim

#endif  // INFORMERSIM_CORE_CACHE_SYNC_H_
