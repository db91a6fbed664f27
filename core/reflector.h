// Reflector: client-go's tools/cache Reflector (rules RF1-RF17). It lists and
// watches one resource through a ListerWatcher and writes what it sees into a
// ReflectorStore (a DeltaFIFO or RealFIFO in an informer).
//
// Execution: every loop of client-go's reflector goroutines is a chain of
// tasks on strands of the injected Runtime (core/runtime.h): the list/watch
// loop on one strand, the resync timer on another. Time comes only from the
// Runtime, randomness (backoff jitter, watch timeout jitter) only from the
// injected RandomSource.
//
// Thread safety: Run and Stop may be called from any thread;
// LastSyncResourceVersion and the statistics are safe from any thread. The
// ListerWatcher, store, Runtime and RandomSource must outlive the Reflector,
// and the Reflector must stay alive until Stop() has been called and the
// Runtime has run or dropped every task posted before (ManualRuntime: run it
// until idle; RealRuntime: shut it down).
#ifndef INFORMERSIM_CORE_REFLECTOR_H_
#define INFORMERSIM_CORE_REFLECTOR_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "core/lister_watcher.h"
#include "core/random.h"
#include "core/runtime.h"
#include "core/store.h"

namespace informersim {

// wait.Backoff as the reflector's backoff manager uses it (RF1).
struct BackoffOptions {
  absl::Duration initial = absl::Milliseconds(800);
  double factor = 2.0;
  double jitter = 1.0;
  absl::Duration cap = absl::Seconds(30);
  // Back to `initial` when this long has passed without a backoff.
  absl::Duration reset_after = absl::Minutes(2);
};

struct ReflectorOptions {
  // For messages and traces.
  std::string name = "reflector";
  // RF14: 0 disables resync.
  absl::Duration resync_period = absl::ZeroDuration();
  // RF14: consulted at each resync tick; null means always.
  std::function<bool()> should_resync;
  // RF5: 0 lets the reflector choose.
  int64_t watch_list_page_size = 0;
  // RF8: watches time out uniformly in [min, 2*min]; values below 5 minutes
  // keep client-go's default window of [5, 10] minutes.
  absl::Duration min_watch_timeout = absl::ZeroDuration();
  // RF13: 0 (the default) never retries a watch after an internal error.
  absl::Duration max_internal_error_retry_duration = absl::ZeroDuration();
  // RF3/RF15: the WatchListClient feature gate (CURRENT profile: on;
  // CLASSIC: off).
  bool use_watch_list = false;
  BackoffOptions backoff;
  // RF1/RF2: called with every error that ends a ListAndWatch; null means
  // the default handler (which only logs).
  std::function<void(const absl::Status&)> watch_error_handler;
};

// What the reflector did, for tests, traces and the simulator's checks.
struct ReflectorStats {
  int64_t list_calls = 0;        // List requests sent (every page counts)
  int64_t relists = 0;           // completed lists after the first
  int64_t watch_calls = 0;       // Watch requests sent (watch-list included)
  int64_t watch_events = 0;      // events accepted from watch streams
  int64_t list_and_watch_runs = 0;
  int64_t backoffs = 0;          // times the backoff manager was consulted
};

class Reflector {
 public:
  Reflector(ListerWatcher* lister_watcher, ReflectorStore* store, Runtime* runtime,
            RandomSource* random, ReflectorOptions options);
  Reflector(const Reflector&) = delete;
  Reflector& operator=(const Reflector&) = delete;
  ~Reflector();

  // RF1: starts the ListAndWatch loop. Call at most once.
  void Run();
  // Cancels everything in flight (client-go: the context is done).
  void Stop();
  bool IsStopped() const;

  // RF17.
  std::string LastSyncResourceVersion() const;
  ReflectorStats stats() const;

 private:
  class Impl;
  std::shared_ptr<Impl> impl_;
};

}  // namespace informersim

#endif  // INFORMERSIM_CORE_REFLECTOR_H_
