// Reflector: client-go's tools/cache Reflector (rules RF1-RF17). It lists and
// watches one resource through a ListerWatcher and writes what it sees into a
// ReflectorStore (a DeltaFIFO or RealFIFO in an informer).
//
// Optional store capabilities (bookmarks, resource-version updates, the
// transformer for the watch-list's temporary store) are discovered with
// dynamic_cast: see core/reflector_store_ext.h.
//
// Differs from client-go on purpose:
//   - The expected-type/GVK checks and the Table checks of RF10/RF7 do not
//     exist: every event carries an api::Object. An event without object or
//     without metadata is skipped, as client-go skips one whose meta it
//     cannot read.
//   - No logging framework: what client-go logs goes to a small bounded log
//     (RecentLog); the watch error handler still receives every error.
//   - The watch-list consistency check (checkWatchListDataConsistency, a
//     debugging aid behind an environment variable) and the warning ticker
//     that logs a late initial-events-end bookmark are not implemented.
//   - A stop is seen at task boundaries: tasks already queued for a stopped
//     request, stream or timer drop themselves (generation counters). The
//     backoff wait after a 429 during watch-list is cut short by Stop (Go's
//     is not), and when the watch-list's final Replace fails the still-open
//     stream is stopped before falling back to LIST (Go leaves it open).
//   - Backoff jitter and watch-timeout jitter use the injected RandomSource
//     (Go: the global rand); the backoff reset window is measured from the
//     last reset, exactly as client-go's backoffManager does.
//
// Execution: every loop of client-go's reflector goroutines is a chain of
// tasks on strands of the injected Runtime (core/runtime.h): the list/watch
// loop on one strand, the resync timer on another. Time comes only from the
// Runtime, randomness (backoff jitter, watch timeout jitter) only from the
// injected RandomSource.
//
// Thread safety: Run, Stop, ListAndWatchOnce and CancelListAndWatch may be
// called from any thread; LastSyncResourceVersion, the statistics and the log
// are safe from any thread. The store is written from the loop strand and
// resynced from the resync strand, so it must be safe for concurrent use. The
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
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "core/backoff.h"
#include "core/lister_watcher.h"
#include "core/reflector_options.h"
#include "core/random.h"
#include "core/runtime.h"
#include "core/store.h"

namespace informersim {

// What the reflector did, for tests, traces and the simulator's checks.
struct ReflectorStats {
  int64_t list_calls = 0;        // List requests sent (every page counts)
  int64_t relists = 0;           // completed lists after the first
  int64_t watch_calls = 0;       // Watch requests sent (watch-list included)
  int64_t watch_events = 0;      // events accepted from watch streams
  int64_t list_and_watch_runs = 0;
  int64_t backoffs = 0;          // times the backoff manager was consulted
  int64_t very_short_watches = 0;  // RF11: watches closed at once, empty
  int64_t resyncs = 0;           // RF14: store.Resync calls
  int64_t watch_list_syncs = 0;  // RF15: watch-lists completed by a bookmark
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

  // Runs ONE ListAndWatch (client-go ListAndWatchWithContext) on the
  // reflector's strand and reports what it returns through `done`, on that
  // strand. For tests that drive single cycles; do not mix with Run(). After
  // Stop(), `done` gets OK at once, as a cancelled context gives nil.
  void ListAndWatchOnce(std::function<void(absl::Status)> done);
  // Ends the ListAndWatch in progress when this request reaches the strand,
  // as cancelling its context does: it reports OK, leaves the store as it is
  // and stops its watch. The reflector itself stays usable.
  void CancelListAndWatch();
  // The last messages the reflector would have logged (bounded, oldest
  // first): watch-end reasons, store errors, fallbacks.
  std::vector<std::string> RecentLog() const;
  // client-go tests set lastSyncResourceVersion directly; call before the
  // first cycle only.
  void SetLastSyncResourceVersionForTest(std::string resource_version);

 private:
  class Impl;
  std::shared_ptr<Impl> impl_;
};

}  // namespace informersim

#endif  // INFORMERSIM_CORE_REFLECTOR_H_
