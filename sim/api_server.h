// FakeApiServer: the simulator's Kubernetes API server for one resource,
// serving core's ListerWatcher (core/lister_watcher.h) in virtual time over
// an MvccStore (etcd's role) and one or more server instances, each with a
// watch cache that may lag the store. Faults are injected by rate (drawn
// from the server's own PRNG stream) and by script (the methods under
// "Scripted faults").
//
// Semantics (Kubernetes API server, as informers see it):
//   - Writes: ObjectWriter; every write takes the next global RV; a watch
//     cache sees a change `lag` after its commit.
//   - LIST, routed per request to an instance chosen at random:
//       RV ""            consistent read from the store (latest), paginated
//                        by limit; continue pages read the same snapshot.
//       RV "0"           the instance's watch cache as it is (may be older
//                        than anything the client saw: the HA time-travel
//                        case); limit ignored, one page.
//       RV X, NotOlderThan (or unset match without limit)
//                        the watch cache once it has reached X; if it does
//                        not within `fresh_wait`, "resource version too
//                        large" (Timeout 504 with the ResourceVersionTooLarge
//                        cause, or the legacy message encoding).
//       RV X, Exact (or unset match with limit) the store's snapshot at X,
//                        paginated; 410 Expired once X is compacted.
//       continue         the token's snapshot from the token's key; 410
//                        Expired (inconsistent continue) once compacted;
//                        400 BadRequest if a resourceVersion other than
//                        "0" is also given; 422 with a resourceVersionMatch.
//   - WATCH, routed likewise, served from the instance's watch cache:
//       RV "" / "0" (no sendInitialEvents) synthetic ADDED events for the
//                        state at the start, then changes.
//       sendInitialEvents=true  the initial state as ADDED events in a
//                        random order, then a BOOKMARK annotated
//                        k8s.io/initial-events-end at that state's RV, then
//                        changes (watch-list, KEP 3157). When
//                        watch_list_supported is false, any watch that sets
//                        sendInitialEvents is refused with 422 Invalid, as
//                        servers without the WatchList feature (and older
//                        ones, which forbid resourceVersionMatch on watches)
//                        do; the Reflector then falls back to LIST (RF16).
//                        Silently ignoring the flag would leave a watch-list
//                        client waiting for a bookmark that never comes.
//       sendInitialEvents=false at "" / "0": no synthetic events.
//       RV X             changes after X; X older than the retained history
//                        gets 410, as an HTTP-level error or as an in-stream
//                        ERROR event (reasons Expired and Gone), chosen at
//                        random; X newer than the cache waits `fresh_wait`.
//     Periodic BOOKMARKs when allowWatchBookmarks, every bookmark_interval,
//     at the instance's cache RV, sent even when nothing changed since the
//     last one (as the watch cache does); the stream closes at
//     timeoutSeconds (OnClosed); per-event latency drawn per event but
//     never reordering a stream. Rate faults per object event: the stream
//     ends after it (watch_break) or, for change events (not the initial
//     state), an in-stream 410 ERROR replaces it and the stream ends
//     (watch_error_event).
//   - Instance caches: each commit becomes visible to instance i `lag_i`
//     after it; the cache keeps its own state, so the changes a lagging
//     cache has received but not yet applied survive the store's compaction
//     (only its processing lags). A new watch's history, though, is read
//     from the store: a watch from a compacted RV gets 410 on every
//     instance. An instance applies what has fallen due whenever it is
//     read or written and before a timeout or bookmark of its own acts (a
//     change due at time T is in by T), and sets a timer for its next due
//     change only while a stream or a waiting request hears of its changes
//     (one set then may fire once after they left, to no effect): an idle
//     instance costs no step per write. A watch's `started` precedes its
//     events; after the
//     client's Stop nothing more reaches its consumer, not even deliveries
//     already queued.
//   - Label and field selectors (ListOptions::label_selector,
//     field_selector; sim/selection.h), as the watch cache filters: LIST
//     answers with the selected objects only (same RV; pages of `limit`
//     selected objects, continue over the selected keys of the snapshot, no
//     remainingItemCount); a watch's initial events are the
//     selected objects; each change goes by the object before and after it:
//     ADDED when it entered the selection, MODIFIED when it stayed in,
//     DELETED (the old state at the change's RV) when it left or was
//     deleted, nothing when it stayed out. Bookmarks are unchanged. A
//     selector that does not parse, or a field selector on a field other
//     than metadata.name and metadata.namespace, is 400 BadRequest.
//   - Errors counted in ApiServerStats::bad_requests: 400 BadRequest
//     (malformed continue, continue with a resourceVersion, a non-numeric
//     resourceVersion, a selector the server refuses) and 422
//     Invalid (forbidden option combinations).
//   - Shutdown: timers stop, open streams are dropped without OnClosed,
//     requests waiting for a cache are answered "connection refused", and
//     every later request is refused. The destructor shuts down; tasks still
//     queued on the runtime then find the server gone and do nothing (the
//     runtime may be drained after the server is destroyed; it must outlive
//     the server, and WatchStream handles may outlive both).
//   - Every answer and event is a task on a server strand of the Runtime
//     (one per instance, "apiserver-<i>"; periodic compaction on
//     "apiserver"), so the scheduler interleaves the server with the client.
//   - Trace (when a Tracer is given): WRITE per commit (actor = key), REQUEST
//     per list/watch request and RESPONSE per answer (actor "instance-<i>"),
//     WATCH_EVENT per event handed over or stream closed, FAULT per injected
//     fault and compaction (actor = fault kind).
//
// Thread safety: none; the simulator is single-threaded (ManualRuntime).
#ifndef INFORMERSIM_SIM_API_SERVER_H_
#define INFORMERSIM_SIM_API_SERVER_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "core/lister_watcher.h"
#include "core/runtime.h"
#include "sim/mvcc_store.h"
#include "sim/object_writer.h"
#include "sim/prng.h"
#include "sim/tracer.h"

namespace informersim {
namespace sim {

struct ApiServerOptions {
  // One entry per server instance: how far its watch cache lags the store.
  std::vector<absl::Duration> instance_lags = {absl::ZeroDuration()};
  // Automatic compaction: every `compaction_interval`, compact to
  // current_rv - history_window_events (etcd's periodic compaction).
  absl::Duration compaction_interval = absl::Minutes(5);
  int64_t history_window_events = 10000;
  // How long a too-fresh request waits for a watch cache to catch up.
  absl::Duration fresh_wait = absl::Seconds(3);
  // "too large resource version" in the 1.17-1.18.5 encoding (a cause with
  // the text, no cause type) instead of today's cause type ...
  bool legacy_too_large_encoding = false;
  // ... or in the pre-1.17 one: only the message of a Timeout says it.
  bool message_only_too_large = false;
  // 410, 500 and 504 answers (list, watch, in-stream) carry no reason,
  // only the HTTP code: apimachinery's predicates fall back to the code.
  bool reasonless_errors = false;
  // The reason of every 410 (LIST, continue, WATCH, in-stream ERROR):
  // drawn per answer, or always the one (client-go treats Expired and Gone
  // alike; a client that knows only one relists forever on the other).
  enum class ExpiredReason { kEither, kExpired, kGone };
  ExpiredReason expired_reason = ExpiredReason::kEither;
  // How a WATCH from a compacted RV is refused: drawn per request, or
  // always as an HTTP error, or always as an ERROR event in an opened stream.
  enum class ExpiredWatch { kEither, kHttpError, kInStream };
  ExpiredWatch expired_watch = ExpiredWatch::kEither;
  // Period of bookmarks on watches that allow them; zero: none (a server
  // that sends no periodic bookmarks).
  absl::Duration bookmark_interval = absl::Seconds(60);
  bool watch_list_supported = true;
  // Every watch-list request (sendInitialEvents) answers 500, for the
  // whole run, fault phase or not: a broken streaming list.
  bool watch_list_fails = false;
  // Latency of each watch event and each response, drawn uniformly.
  absl::Duration min_latency = absl::ZeroDuration();
  absl::Duration max_latency = absl::ZeroDuration();
  // The store's revision before any write. A real store is never at 0 (etcd
  // starts at 1 and every resource shares its revision), and an empty list
  // at "0" would read as "no RV" to a client (RF4, RF10); the simulation
  // uses 1. Unit tests keep 0.
  int64_t initial_revision = 0;
};

// Per-request and per-event fault probabilities; all zero = well-behaved.
struct ServerFaultRates {
  double list_too_many_requests = 0;  // per LIST request: 429 + retry-after
  double list_internal_error = 0;     // per LIST request: 500
  double watch_too_many_requests = 0; // per WATCH request: 429
  double connection_refused = 0;      // per LIST or WATCH request
  double continue_expired = 0;        // per continue request: 410
  double watch_break = 0;             // per event: the stream ends after it
  double watch_error_event = 0;       // per event: an in-stream 410 ERROR, then the end
  // Per event: an in-stream 500 ERROR (InternalError), then the end; an
  // informer inside its MaxInternalErrorRetryDuration re-watches, past it
  // relists (client-go reflector.watch).
  double watch_internal_error_event = 0;
  int retry_after_seconds = 1;
};

struct ApiServerStats {
  int64_t writes = 0;
  int64_t list_requests = 0;
  int64_t list_continues = 0;  // LIST requests for a next page (a continue token)
  int64_t list_pages_served = 0;
  int64_t stale_lists = 0;  // answered at an RV below the store's current RV
  int64_t watch_requests = 0;
  int64_t watches_opened = 0;
  int64_t events_sent = 0;  // ADDED/MODIFIED/DELETED, initial ones included
  int64_t initial_events_sent = 0;
  int64_t bookmarks_sent = 0;
  int64_t expired_responses = 0;  // 410 as an error or an ERROR event
  int64_t too_large_responses = 0;
  int64_t too_many_requests = 0;
  int64_t internal_errors = 0;
  int64_t connections_refused = 0;
  int64_t continue_expired = 0;
  int64_t bad_requests = 0;
  int64_t watch_breaks = 0;     // streams ended by a fault or BreakWatches
  int64_t watch_timeouts = 0;   // streams ended at timeoutSeconds
  int64_t compactions = 0;
};

class FakeApiServer final : public ListerWatcher, public ObjectWriter {
 public:
  // `random` is the server's own stream; `tracer` may be null.
  FakeApiServer(Runtime* runtime, Prng random, Tracer* tracer, ApiServerOptions options);
  ~FakeApiServer() override;
  FakeApiServer(const FakeApiServer&) = delete;
  FakeApiServer& operator=(const FakeApiServer&) = delete;

  // ObjectWriter.
  absl::StatusOr<ObjectPtr> Create(api::Object object) override;
  absl::StatusOr<ObjectPtr> Update(api::Object object) override;
  absl::StatusOr<ObjectPtr> Delete(absl::string_view namespace_name,
                                   absl::string_view name) override;
  std::vector<ObjectPtr> Objects() const override;

  // ListerWatcher.
  void List(const ListOptions& options, ListCallback done) override;
  void Watch(const ListOptions& options, std::shared_ptr<WatchConsumer> consumer,
             WatchCallback started) override;
  bool IsWatchListSemanticsUnsupported() const override { return false; }

  // Ground truth.
  int64_t current_rv() const;
  const MvccStore& store() const;
  // The oldest resourceVersion a request made from now on can be shown a
  // state or an event at: the compacted revision (snapshots, continues and
  // watches from an RV below it get 410) or the oldest instance's watch-cache
  // state (LISTs and initial states at "0" read it), whichever is lower.
  // Both only grow. Reads the caches as they stand: catching a lagging one
  // up would change the run.
  int64_t OldestServableRv() const;

  // Rate faults (replaces the previous rates).
  void SetFaultRates(const ServerFaultRates& rates);
  const ServerFaultRates& fault_rates() const;

  // Scripted faults.
  // Ends every open watch stream (a broken connection: OnClosed); how many.
  int64_t BreakWatches();
  // Compacts the store to its current RV: any request at an older RV gets
  // 410 from now on. False if nothing new was compacted.
  bool CompactNow();
  // Sets instance `i`'s watch-cache lag: later commits show after it, and
  // a shorter one brings changes still waiting forward (0 lets the cache
  // catch up at once); a longer one leaves them their time.
  void SetInstanceLag(size_t instance, absl::Duration lag);
  // Until `until`, every request is refused (connection refused).
  void RefuseConnectionsUntil(absl::Time until);
  // Until `until`, every LIST and WATCH answers 500.
  void FailRequestsUntil(absl::Time until);

  // The fault phase is over: rates go to zero, refusal and failure windows
  // close, and every instance's lag returns to its configured value.
  void EndFaults();

  // Stops timers and drops every stream (end of a run).
  void Shutdown();

  size_t instance_count() const;
  size_t open_watches() const;
  ApiServerStats stats() const;

 private:
  // Everything mutable lives in State, owned here and captured weakly by
  // every task the server posts: a task that runs after the server is gone
  // (the runtime drained later) finds nothing and does nothing. Watch
  // handles (WatchStream) likewise hold their stream, not the server.
  struct State;
  std::shared_ptr<State> state_;
};

}  // namespace sim
}  // namespace informersim

#endif  // INFORMERSIM_SIM_API_SERVER_H_
