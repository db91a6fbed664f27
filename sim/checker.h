// Checker: the simulator's oracle (DESIGN "What the checker asserts";
// CLIENT_GO_SEMANTICS invariants INV1-INV9). Safety is checked at every
// notification and every scheduler step; convergence and consistency at
// quiescent points; the simulation adds the liveness budget.
//
//   per notification (HandlerRecorder):
//     INV3  replaying Add/Update/Delete per key never adds a present key or
//           updates/deletes an absent one (a delete of an unknown key is
//           allowed only with `allow_unknown_deletes`). An Update's old
//           object is the one the handler holds (the informer distributes
//           every change to every listener, and a sync update repeats the
//           held RV), so a mismatch is a lost or extra notification. This
//           assumes the recorder is registered directly, not behind a
//           FilteringResourceEventHandler;
//     INV5  with `tombstones_carry_state`, a tombstone
//           (DeletedFinalStateUnknown) carries an object: the last state the
//           informer knew (K5, D5);
//     INV4  per key, the RVs of Add/Update objects never go back (time
//           travel), nor does a plain Delete's RV (the watch's DELETED
//           event carries the deletion's RV, so a later add must be
//           newer); a sync update (new.RV is the RV the handler holds) has
//           old.RV == new.RV; a tombstone's object is never newer than the
//           last delivered RV;
//     INV7  the indexer already holds the object (or a newer one), or, for
//           a delete, lacks the key or holds a newer incarnation. Handlers
//           of a shared informer run behind the indexer, so an absent key
//           is fine after an Add/Update (a later delete). With
//           allow_time_travel an indexer that went back is a finding, not
//           a violation;
//     INV9  no initial-list Add after the handler's registration synced;
//     INV11 a sync update (old.RV == new.RV) of the key's last written RV
//           with no state served since that write (a LIST, a watch-list's
//           initial state, a watch's synthetic ADDED) is a resync pass: a
//           violation when the informer does not resync (then it is a
//           duplicated watch event) or the handler's period is 0. Once a
//           resync pass was seen, a relist's unchanged object served later
//           must not reach a period-0 handler registered before Run (it is
//           no longer a syncing listener).
//   per step (CheckStep):
//     INV9  the informer's HasSynced is monotonic; a registration's
//           HasSynced implies the informer's.
//   at quiescence (CheckQuiescent):
//     INV1  the indexer's keys, RVs and objects equal the server's (the
//           `truth` given: with selectors, the objects they select);
//     INV8  every index equals the index recomputed from the items;
//     INV6  each handler's replayed view equals the indexer (key and RV);
//     INV2  per key, the cache's RV is not below the previous quiescent
//           point's (within one informer);
//     INV5  a key a handler saw that is gone on the server got a delete
//           (reported as INV5 "lost delete" rather than as an INV6 view
//           mismatch).
// Checked by the simulation (sim/simulation.cc), which sees the requests
// and the first list: INV2 (every request's RV, the last synced RV never
// going back) and INV9's meaning of HasSynced when it turns true.
// A violation names the invariant, the key, the handler, the trace step at
// which it was seen and, for convergence failures, the step of the server's
// last write to that key (where the informer and the truth diverged).
//
// Time travel (INV4 RV going back) is a violation unless
// `allow_time_travel`, in which case it is counted and reported as a
// finding: a scenario that restarts an informer against a lagging instance
// expects it. Comparisons are with the last delivered RV (not the maximum),
// so one stale relist counts once per key, not once per later event.
//
// resourceVersions are parsed as decimal integers (the fake server's
// counter; client-go itself never orders them, K6); one that does not parse
// is an INV1 violation. Output (violations, Describe) is deterministic:
// handlers in AddHandler order, keys in sorted order.
//
// Memory: what every handler was told of every key is kept while a stale
// object of it could still come (INV4 must catch it). A deleted key whose
// handlers all hold the same final record is kept as one "grave"
// (Checker::Grave) instead of a record per handler and a last write, and
// brought back unchanged when the key is notified or written again; the
// checks read graves as the records they stand for. A grave is dropped
// once nothing the server can serve is older than its delete
// (RetireGraves), so they hold a history window's deletes, not a run's.
//
// Thread safety: none; the simulator is single-threaded.
#ifndef INFORMERSIM_SIM_CHECKER_H_
#define INFORMERSIM_SIM_CHECKER_H_

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/base/attributes.h"
#include "absl/container/btree_map.h"
#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "core/cache.h"
#include "core/item.h"
#include "core/key_index.h"
#include "core/processor_listener.h"
#include "core/resource_event_handler.h"
#include "core/runtime.h"
#include "core/shared_informer.h"
#include "core/store.h"
#include "sim/key_filter.h"
#include "sim/mvcc_store.h"
#include "sim/tracer.h"

namespace informersim {
namespace sim {

// Whether two objects are equal field by field (INV1 compares every cached
// object at every quiescent point); the same pointer is equal without a
// look. A field added to api::Object must be added to its operator==;
// checker_test pins the field count.
bool SameObject(const api::Object& a, const api::Object& b);

struct CheckerOptions {
  bool allow_time_travel = false;
  // After an informer restart (a new process), a first LIST at "0" may be
  // served by a lagging instance and show a key older than the previous
  // incarnation delivered: client-go's known time travel on restart
  // (kubernetes/kubernetes#59848), legal upstream behaviour. It is a
  // finding unless the scenario declares it a violation here.
  bool restart_time_travel_is_violation = false;
  // RealFIFO forwards a delete for a key the client never saw when the
  // server misbehaves (INV3 note); allowed only where a scenario says so.
  bool allow_unknown_deletes = false;
  // The informer runs resync passes (its resync period is not zero); off,
  // every sync update must come from a served state (INV11).
  bool informer_resyncs = true;
  // Tombstones must carry the key's last known state (K5): true when the
  // known-objects store cannot lose a key under the informer (the
  // simulation); client-go leaves the object empty only then.
  bool tombstones_carry_state = false;
  // Stop recording after this many violations (the first ones matter).
  size_t max_violations = 100;
  // How far the table of last writes may grow past twice its unburied
  // records before deleted keys are buried as graves (Checker::BuryDead):
  // a small world never gets there. Only where records live depends on
  // it, never a check's outcome; tests bury early with a small value, and
  // SIZE_MAX never buries.
  size_t bury_slack = 1024;
};

struct Violation {
  std::string invariant;  // "INV1", ...
  std::string key;        // "" when not about one key
  std::string handler;    // "" when not about one handler
  uint64_t step = 0;      // tracer step index when found
  absl::Duration at;      // virtual time since the start
  // For convergence failures: the trace step of the server's last write to
  // the key, or -1.
  int64_t diverged_at_step = -1;
  std::string detail;
};

class Checker;

// What a handler has been told, per key: the RV it holds. RVs are unique
// across every write, so the RV alone names the object incarnation (its uid
// would add nothing a check could use, and cost a string per key ever seen,
// for every handler).
struct ViewEntry {
  int64_t rv = 0;
};

struct HandlerCounts {
  int64_t adds = 0;
  int64_t initial_adds = 0;
  int64_t updates = 0;
  int64_t sync_updates = 0;  // old.RV == new.RV
  int64_t deletes = 0;
  int64_t tombstone_deletes = 0;  // DeletedFinalStateUnknown
  // Deletes of a key the handler did not hold, let through by
  // `allow_unknown_deletes` (otherwise each is an INV3 violation).
  int64_t unknown_deletes = 0;
};

// A handler that records and checks what it is told.
class HandlerRecorder final : public ResourceEventHandler {
 public:
  HandlerRecorder(std::string name, Checker* checker, const Store* indexer);

  void OnAdd(const Item& obj, bool is_in_initial_list) override;
  void OnUpdate(const Item& old_obj, const Item& new_obj) override;
  void OnDelete(const Item& obj) override;

  // For the INV9 checks on this handler's registration. The registration
  // holds this recorder; the Checker breaks that cycle when it is destroyed.
  void SetRegistration(std::shared_ptr<ResourceEventHandlerRegistration> registration);
  const std::shared_ptr<ResourceEventHandlerRegistration>& registration() const;
  // registration() as the ProcessorListener it is for a SharedIndexInformer,
  // or null (none, or another kind): found once, not at every step.
  const ProcessorListener* listener() const { return listener_; }

  const std::string& name() const;
  // What the handler holds, by key (a sorted copy, for tests and reports).
  absl::btree_map<std::string, ViewEntry> view() const;
  const HandlerCounts& counts() const;
  // Keys this handler ever saw present (for INV5).
  bool EverSaw(absl::string_view key) const;
  bool GotDelete(absl::string_view key) const;
  // Asks the recorder to note whether it is given a DeletedFinalStateUnknown
  // tombstone for each of `keys` (a scenario's expectations); GotTombstone
  // answers for those keys only. Not every key: a long run delivers tens of
  // thousands of tombstones, and a set of them all grew with the run.
  void WatchTombstones(const std::vector<std::string>& keys);
  bool GotTombstone(absl::string_view key) const { return tombstones_got_.contains(key); }
  // The handler was given the key as an initial-list add (since the last
  // restart): INV9's "registration synced => every initial object added".
  bool GotInitialAdd(absl::string_view key) const;

  // INV11: whether this handler takes resync passes (its effective resync
  // period is not zero) and whether it was registered before Run (a
  // listener added later is "syncing" until the next shouldResync).
  // Default: takes resyncs.
  void SetResyncPolicy(bool receives_resyncs, bool registered_before_run);

 private:
  friend class Checker;

  // The informer was restarted (a new process with a new cache, `indexer`):
  // the handler forgets its view and registration, and remembers each key's
  // last RV only to report time travel across the restart. Only through
  // Checker::InformerRestarted, which restarts every handler and changes
  // the graves (the buried records) the same way.
  void Restart(const Store* indexer);

  // What the recorder remembers per key beyond the view.
  // 32 bytes: kept per key told of, per handler, until the key is buried.
  struct KeyState {
    // The newest RV delivered for the key (Add/Update objects, and the
    // deletion RV of a plain delete), -1 before any: INV4 compares with it.
    int64_t last_rv = -1;
    // last_rv as it was when the informer last restarted, -1 if none.
    int64_t before_restart_rv = -1;
    bool ever_saw = false;
    bool got_delete = false;
    // An OnAdd with isInInitialList came for the key since the last restart.
    bool initial_add = false;
    // The handler holds the key (its view), at `view`; view is stale when
    // not held.
    bool held = false;
    ViewEntry view;
  };
  static_assert(sizeof(KeyState) <= 32, "KeyState is kept per key ever seen");

  // The held keys sorted, for the quiescent merge with the indexer.
  std::vector<std::pair<const std::string*, const ViewEntry*>> SortedView() const;
  // The entry the handler holds for `key`, or null.
  const ViewEntry* Held(const std::string& key) const;
  // EverSaw, GotDelete and GotInitialAdd in one lookup, live or buried.
  struct Told {
    bool ever_saw = false;
    bool got_delete = false;
    bool initial_add = false;
  };
  Told ToldOf(absl::string_view key) const;
  // The live record of `key`: made if the handler has none, and brought
  // back first if the key is buried (Checker::Unbury).
  KeyState& Record(absl::string_view key);
  size_t HeldCount() const;

  // The key and RV (`rv_text`, obj's) of a notified object; reports (and
  // returns false) when the object has no key or an RV that is not a
  // decimal integer. The key views `obj` or key_buf_: valid until the next
  // notification.
  bool KeyAndRv(const Item& obj, absl::string_view rv_text, absl::string_view what,
                absl::string_view* key, int64_t* rv);
  // INV4: `rv` must not be older than the key's last delivered RV.
  void CheckNotOlder(KeyState& state, absl::string_view key, int64_t rv, absl::string_view what);
  // INV7 for Add/Update: the indexer holds the key at `rv` (`notified`'s)
  // or newer, or (the listener runs behind the indexer) no longer holds it.
  void CheckIndexerAtLeast(absl::string_view key, const Item& notified, int64_t rv);
  void Fail(const char* invariant, absl::string_view key, std::string detail);
  // INV11 for a sync update (old.RV == new.RV == rv).
  void CheckSyncSource(absl::string_view key, int64_t rv);
  // Sets indexer_, and indexer_cache_ when that store is a Cache.
  void SetIndexer(const Store* indexer);
  // The indexer's item for `key`, or nullopt (a store error reads as absent).
  std::optional<Item> IndexerGet(absl::string_view key) const;
  void DropRegistration();

  // The handler's name with its hash: the actor of every NOTIFY step this
  // handler records, and the handler named in its reports.
  const TraceActor actor_;
  Checker* const checker_;
  const Store* indexer_ = nullptr;
  // indexer_ when it is a Cache, else null.
  const Cache* indexer_cache_ = nullptr;
  std::shared_ptr<ResourceEventHandlerRegistration> registration_;
  // registration_ when it is a ProcessorListener, else null.
  const ProcessorListener* listener_ = nullptr;
  // Every key the handler was told of, with its view entry: one hash
  // lookup per notification. The quiescent checks look each cached key up
  // here, and sort the held keys (SortedView) only when some are not cached.
  // A deleted key's record moves to the checker's graves (Checker::BuryDead)
  // and back, unchanged, when the key is notified or written again.
  absl::flat_hash_map<std::string, KeyState, KeyHasher> keys_;
  // This handler's bit in a grave's masks: its position in the checker.
  size_t index_ = 0;
  // How many of keys_ are held, kept with every change of `held`: keys_
  // also keeps the keys not yet buried, so counting by a walk would cost
  // each quiescent point time in proportion to the deletes between sweeps.
  size_t held_count_ = 0;
  // Reused for each notification's key and trace line (no allocation per
  // notification); only ever grown, so their contents are views (Concat).
  std::string key_buf_;
  std::string trace_line_;
  // WatchTombstones' keys, and those of them a tombstone came for.
  absl::flat_hash_set<std::string> tombstones_watched_;
  absl::flat_hash_set<std::string> tombstones_got_;
  HandlerCounts counts_;
  bool receives_resyncs_ = true;
  bool registered_before_run_ = false;
  // CheckStep has seen the registration synced (INV9: no initial add after).
  bool synced_seen_ = false;
  // The registration's HasSynced at the last CheckStep (INV9: monotonic).
  bool registration_synced_last_ = false;
  // CheckStep reported this registration synced ahead of the informer; it
  // reports again only after the condition cleared.
  bool early_sync_reported_ = false;
};

class Checker {
 public:
  // `tracer` and `clock` give step indices and times for violations (both
  // may be null in unit tests).
  Checker(Tracer* tracer, const Runtime* clock, CheckerOptions options);
  Checker(const Checker&) = delete;
  Checker& operator=(const Checker&) = delete;
  // Drops the recorders' registrations: a registration holds its handler,
  // so a recorder holding its registration is a cycle until then.
  ~Checker();

  // A recorder for a new handler; the Checker keeps it for the quiescent
  // checks. `indexer` is the informer's (INV7).
  std::shared_ptr<HandlerRecorder> AddHandler(std::string name, const Store* indexer);

  // The informer was served a state (a LIST page, a watch-list's initial
  // state, a watch's synthetic ADDED): every write before is in it, so a
  // Replace or re-add may repeat its RVs as sync updates (INV11).
  void NoteListServed() { ++lists_served_; }

  // The informer was stopped and a new one started over `indexer`; every
  // handler is re-registered with it (HandlerRecorder::Restart).
  void InformerRestarted(const Store* indexer);

  // The server committed `change` (recorded as the key's last write step).
  void NoteWrite(const Change& change);

  // Cheap safety checks after a scheduler step, O(handlers). A Checker
  // watches one informer: every handler with a registration is taken to be
  // registered with it.
  void CheckStep(const SharedIndexInformer& informer);
  // CheckStep with the informer's HasSynced already read (tests, and
  // informers other than SharedIndexInformer); the registrations are read
  // after it, which is fine single-threaded.
  void CheckSyncState(bool informer_has_synced);

  // Full checks at a quiescent point, against `truth` (sorted by key): the
  // server's objects as the informer should hold them (those its label and
  // field selectors select; the simulation filters them).
  void CheckQuiescent(const std::vector<ObjectPtr>& truth, const Cache& indexer);
  // INV8 alone, at any point (no truth needed): every stored item is
  // accepted by every index function and the indexes agree with the items.
  // Run right after the store refused a write (I2: nothing is left behind).
  void CheckIndexesNow(const Cache& indexer);

  // Records a violation found elsewhere (the simulation's liveness budget).
  // A step of 0 and a zero `at` are filled in from the tracer and clock.
  void Report(Violation violation);

  const std::vector<Violation>& violations() const;
  // False once any violation was found (recorded or over the cap).
  bool ok() const;
  // Violations found after max_violations were recorded: counted only.
  int64_t dropped_violations() const;
  int64_t time_travel_findings() const;
  // Keys seen older after an informer restart than before it (findings
  // unless restart_time_travel_is_violation).
  int64_t restart_time_travel_findings() const;
  // Forgets the graves of keys deleted at or below `rv`. The caller vouches
  // that no correct informer can be handed an object of such a key from
  // before its delete again: nothing the server can still serve is older
  // than `rv` (FakeApiServer::OldestServableRv), and the informer has caught
  // up past it with nothing older in flight (a quiescent point). Lost is
  // only what judged those dead incarnations: an informer that wrongly
  // brings one back is then caught as a ghost in its cache or a handler's
  // view at the next quiescent point, not at once as time travel (INV4),
  // and not at all if it deletes it again before that point; reports about
  // the key no longer name its last write's step. So the graves hold the
  // deletes of the server's last history window, not of the whole run.
  void RetireGraves(int64_t rv);
  // Deleted keys whose records are kept as one grave each (BuryDead).
  size_t buried_keys() const { return graves_.size(); }
  const std::vector<std::shared_ptr<HandlerRecorder>>& handlers() const;

  // A readable report: every violation, with the seed and the command that
  // replays the run.
  std::string Describe(uint64_t seed, absl::string_view replay_command) const;

 private:
  friend class HandlerRecorder;

  // Records one violation (or counts it past the cap) and traces it.
  void Fail(std::string invariant, std::string key, std::string handler, std::string detail,
            int64_t diverged_at_step = -1);
  // INV4 time travel: a violation, or a finding when allowed.
  void TimeTravel(absl::string_view key, const std::string& handler, std::string detail);
  // Keeps one of the first few findings for Describe.
  void KeepTimeTravelExample(absl::string_view key, const std::string& handler,
                             std::string detail);
  // Time travel across an informer restart (see CheckerOptions).
  void RestartTimeTravel(absl::string_view key, const std::string& handler, std::string detail);
  // CheckStep's halves: each registration's HasSynced (monotonic), then the
  // informer's (monotonic, and implied by every registration's).
  void ReadRegistrations();
  void CheckSynced(bool informer_has_synced);
  // An INV9 sync-state violation; out of line, off CheckStep's path.
  ABSL_ATTRIBUTE_NOINLINE void FailSyncState(const std::string& handler, const char* detail);
  uint64_t StepNow() const;
  absl::Duration Elapsed() const;
  // The step NoteWrite recorded for the key's last write, or -1.
  int64_t LastWriteStep(absl::string_view key) const;

  // Each key's last write on the server: its RV, the states served before
  // it (INV11) and its trace step (where a convergence failure diverged).
  struct LastWrite {
    int64_t rv = -1;
    int64_t lists_served = 0;
    int64_t step = 0;
    bool deleted = false;  // the write was a delete
  };
  // A deleted key whose records are in one shared final state, kept as one
  // entry instead of a record per handler and a last write: the workload
  // creates each object under a new name, so a long run's dead keys
  // outnumber its live ones many times, and their records, one per handler
  // in tables every notification probes, were the part of the checker's
  // memory that grew with the run's length. Exact: Unbury restores every
  // record as it was, and the reads see a grave as those records.
  struct Grave {
    LastWrite write;  // the delete
    // Every present handler's KeyState::last_rv and before_restart_rv.
    int64_t last_rv = -1;
    int64_t before_restart_rv = -1;
    // Handlers (by index_) with a record: not held, ever_saw, got_delete;
    // and those of them with initial_add.
    uint64_t present = 0;
    uint64_t initial_add = 0;
  };
  // The key's last write, live or buried; null if never written.
  const LastWrite* FindLastWrite(absl::string_view key) const;
  // The key's grave, or null.
  const Grave* FindGrave(absl::string_view key) const;
  // Moves every deleted key whose handlers' records are in one final state
  // (none held, each ever saw the key and got its delete, all with the same
  // RVs) to graves_. O(last_write_ x handlers); NoteWrite calls it when
  // last_write_ doubled, so amortised O(handlers) per write.
  void BuryDead();
  // Restores a buried key's last write and records; nothing if not buried.
  void Unbury(absl::string_view key);
  // grave_filter_ over exactly the keys of graves_, sized for twice them.
  void RebuildGraveFilter();

  // The indexer's items, sorted by key, each key once (flat vectors: the
  // quiescent walks touch every object, and tree nodes per key cost more
  // than the checks).
  using CacheItems = std::vector<std::pair<std::string, Item>>;
  // The server's objects, sorted by key, each key once (the first object
  // with that key when the truth repeats one).
  using ServerItems = std::vector<std::pair<std::string, const api::Object*>>;

  // The CheckQuiescent parts. `cache` is the indexer's content by key.
  void CheckConvergence(const ServerItems& server, const CacheItems& cache);
  void CheckIndexes(const Cache& indexer, const CacheItems& cache);
  // The indexer's items by key (sorted); a listed key it cannot get is INV1.
  CacheItems CacheByKey(const Cache& indexer);
  void CheckHandlerViews(const ServerItems& server, const CacheItems& cache);
  // INV2 for the cache itself: per key, the RV at this quiescent point is
  // not below the one at the previous.
  void CheckCacheNeverWentBack(const CacheItems& cache);

  Tracer* const tracer_;
  const Runtime* const clock_;
  const CheckerOptions options_;
  const absl::Time start_;
  std::vector<Violation> violations_;
  int64_t dropped_violations_ = 0;
  int64_t time_travel_findings_ = 0;
  int64_t restart_time_travel_findings_ = 0;
  // The first few allowed time travels, for Describe.
  std::vector<Violation> time_travel_examples_;
  std::vector<std::shared_ptr<HandlerRecorder>> handlers_;
  // The cache's RVs at the last quiescent check, sorted by key.
  std::vector<std::pair<std::string, int64_t>> cache_rvs_;
  // The informer's HasSynced at the last CheckStep (INV9: monotonic).
  bool informer_synced_last_ = false;
  // Some handler's early_sync_reported_ was true after the last CheckSynced
  // loop; false means every one is false (CheckSynced skips the loop).
  bool any_early_reported_ = false;
  // States served so far (INV11).
  int64_t lists_served_ = 0;
  // lists_served_ when a handler first got a resync-pass update (proof that
  // shouldResync has run) in this informer generation; -1 before.
  int64_t resync_seen_at_lists_ = -1;
  // The last write of every key not buried.
  absl::flat_hash_map<std::string, LastWrite, KeyHasher> last_write_;
  // last_write_'s size at which NoteWrite next calls BuryDead.
  size_t bury_at_;
  absl::flat_hash_map<std::string, Grave, KeyHasher> graves_;
  // No grave's delete is older (a grave unburied since may have been the
  // oldest: then it is only lower than need be). RetireGraves reads it to
  // skip its sweep.
  int64_t oldest_grave_rv_ = INT64_MAX;
  // Over graves_' keys: a key never buried (nearly every new key) does not
  // touch graves_.
  KeyFilter grave_filter_;
};

}  // namespace sim
}  // namespace informersim

#endif  // INFORMERSIM_SIM_CHECKER_H_
