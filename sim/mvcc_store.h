// MvccStore: the fake API server's storage (etcd's role): every object's
// versions under one global resourceVersion counter, a change log, snapshots
// at any retained version, key-ordered pages, and compaction.
//
// Model:
//   - Each write (create, update, delete) takes the next resourceVersion
//     (1, 2, 3, ...; 0 is "nothing yet"): the strictly increasing integer RV
//     per change that the INV* invariants assume of a well-behaved server.
//     A delete's change carries the object's last state with the deletion's
//     resourceVersion (what a DELETED watch event shows).
//   - Delete then create under the same key makes a new incarnation with a
//     new uid ("<seed-free counter>"-based, deterministic).
//   - ChangesAfter() an RV gives the log in RV order; SnapshotAt(rv) the
//     state as of rv. Both are refused with 410 (core/api_errors.h
//     ExpiredError) once rv is older than the compacted revision: the
//     history before it is gone.
//   - Compact(rv) forgets every change at or below rv except what is needed
//     to answer snapshots at rv or later.
//
// Thread safety: none; the simulator is single-threaded.
// Invariants: current_rv() >= compacted_rv(); every retained change has
// rv in (compacted_rv(), current_rv()]; snapshots are sorted by key.
#ifndef INFORMERSIM_SIM_MVCC_STORE_H_
#define INFORMERSIM_SIM_MVCC_STORE_H_

#include <cstdint>
#include <deque>
#include <functional>
#include <string>
#include <vector>

#include "absl/container/node_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "core/api/object.h"
#include "core/item.h"
#include "core/key_index.h"
#include "core/lister_watcher.h"

namespace informersim {
namespace sim {

// One committed write.
struct Change {
  int64_t rv = 0;
  WatchEventType type = WatchEventType::kAdded;  // kAdded, kModified, kDeleted
  std::string key;
  // The object as of this change, resourceVersion = rv (for a delete: the
  // last state, stamped with the deletion's rv).
  ObjectPtr object;
  // The key's state just before this change (null for a create): a watch
  // with a label selector tells by it whether the object left or entered
  // the selection (the watch cache's PrevObject).
  ObjectPtr prev;
  // Virtual time of the commit (drives lagging watch caches).
  absl::Time committed_at;
};

// A key-ordered page of a snapshot.
struct StorePage {
  int64_t rv = 0;                 // the snapshot's revision
  std::vector<ObjectPtr> items;   // sorted by key
  std::string next_key;           // "" when this is the last page
  int64_t remaining = 0;          // items after this page
};

class MvccStore {
 public:
  // `initial_revision`: the revision of the empty store (etcd starts at 1;
  // the default 0 keeps unit tests' arithmetic plain). The first write gets
  // initial_revision + 1.
  explicit MvccStore(int64_t initial_revision = 0);
  // Not copyable: the key lists point into the map's nodes (moving keeps
  // the nodes, so moves are fine).
  MvccStore(const MvccStore&) = delete;
  MvccStore& operator=(const MvccStore&) = delete;
  MvccStore(MvccStore&&) = default;
  MvccStore& operator=(MvccStore&&) = default;

  // Writes at virtual time `now`. Create: AlreadyExists if live. Update:
  // NotFound if absent; keeps uid, bumps generation. Delete: NotFound if
  // absent. Each returns the stored object (for Delete, the final state).
  absl::StatusOr<ObjectPtr> Create(api::Object object, absl::Time now);
  absl::StatusOr<ObjectPtr> Update(api::Object object, absl::Time now);
  absl::StatusOr<ObjectPtr> Delete(absl::string_view key, absl::Time now);

  int64_t current_rv() const;
  int64_t compacted_rv() const;
  size_t size() const;                        // live objects
  ObjectPtr Get(absl::string_view key) const;  // null if absent
  // The live objects, sorted by key.
  std::vector<ObjectPtr> Objects() const;

  // The state at `rv` (compacted_rv() <= rv <= current_rv()): 410 Expired
  // below the compacted revision, an InvalidArgument above current_rv().
  absl::StatusOr<std::vector<ObjectPtr>> SnapshotAt(int64_t rv) const;
  // Up to `limit` (0 = all) objects of the snapshot at `rv` whose key is >=
  // `start_key`; errors as SnapshotAt.
  // With `filter`, only the objects it accepts fill the page (and count in
  // `remaining`); the next key is the next accepted one.
  absl::StatusOr<StorePage> PageAt(
      int64_t rv, absl::string_view start_key, int64_t limit,
      const std::function<bool(const api::Object&)>& filter = nullptr) const;
  // The changes with rv in (after_rv, up_to_rv], in order: 410 Expired if
  // after_rv < compacted_rv().
  absl::StatusOr<std::vector<const Change*>> ChangesAfter(int64_t after_rv,
                                                          int64_t up_to_rv) const;
  // The change with exactly this rv, or null (compacted, or out of range).
  const Change* ChangeAt(int64_t rv) const;

  // Compacts up to min(rv, current_rv()); a no-op for an rv at or below the
  // compacted revision.
  void Compact(int64_t rv);

 private:
  // One version of a key; a null object marks a deletion.
  struct Version {
    int64_t rv;
    ObjectPtr object;
  };
  // The versions of one key, in rv order. After compaction the first may be
  // at or below compacted_rv_ (the state a snapshot at compacted_rv_ sees);
  // it is then never a deletion marker.
  struct History {
    std::vector<Version> versions;
    // The key is in live_sorted_ or live_added_ (it may have died since).
    // Mutable: the lists are brought up to date by const reads.
    mutable bool listed = false;
  };
  using HistoryMap = absl::node_hash_map<std::string, History, KeyHasher>;
  using HistoryNode = HistoryMap::value_type;

  // The object of the last version at or below `rv`; null if none or deleted.
  static const ObjectPtr& VisibleAt(const History& history, int64_t rv);
  // 410 below the compacted revision, InvalidArgument above the current one.
  absl::Status CheckReadable(int64_t rv, absl::string_view what) const;
  HistoryMap::iterator FindKey(absl::string_view key);
  HistoryMap::const_iterator FindKey(absl::string_view key) const;
  // Takes the next rv for a write of `key` (a new History if `it` is end()):
  // appends the version (a deletion marker for kDeleted) and the change.
  // Returns the key's history.
  HistoryMap::iterator Append(HistoryMap::iterator it, std::string key, WatchEventType type,
                              ObjectPtr object, absl::Time now);
  // Drops the versions of `key` that no snapshot at or after compacted_rv_
  // can see; true if none is left (the key is then dropped by
  // DropEmptyKeys).
  bool PruneKey(absl::string_view key);
  // Drops the keys PruneKey left without versions.
  void DropEmptyKeys();
  // Brings keys_sorted_ up to date: every key, in key order.
  void SortAllKeys() const;
  // Sorts `added` into `sorted` (both lists of nodes, `sorted` in key
  // order) and empties it.
  static void MergeInto(std::vector<const HistoryNode*>* sorted,
                        std::vector<const HistoryNode*>* added);
  // Brings live_sorted_ up to date: the live keys in key order, with
  // live_added_ merged in and the dead dropped.
  void SortLiveKeys() const;

  int64_t current_rv_ = 0;
  int64_t compacted_rv_ = 0;
  int64_t next_uid_ = 1;
  size_t live_ = 0;
  // Every key with a history. A hash map, not an ordered tree: every write
  // looks its key up and every create inserts one, where a tree compared
  // strings down a dozen cold levels; the key order that snapshots and
  // pages need (rare: most lists are served from the watch caches) is kept
  // lazily in keys_sorted_, with keys new since the last ordered read
  // waiting in keys_added_. Node-stable, so the lists may point into it;
  // a node is erased only by DropEmptyKeys, which unlists it first.
  HistoryMap histories_;
  mutable std::vector<const HistoryNode*> keys_sorted_;
  mutable std::vector<const HistoryNode*> keys_added_;
  // The live keys for Objects(), which the checker asks for at every
  // quiescent point: histories_ also holds every key deleted since the last
  // compaction (most of it in a long run), so walking it would cost each
  // point in proportion to the history. Kept lazily, as KeyedObjects does:
  // keys that became live since the last read wait unsorted in
  // live_added_, keys that died stay listed until that read drops them
  // (dead_listed_ counts them). Only a dead key's node is ever erased, and
  // Compact drops the dead from the lists first, so no pointer dangles.
  mutable std::vector<const HistoryNode*> live_sorted_;
  mutable std::vector<const HistoryNode*> live_added_;
  mutable size_t dead_listed_ = 0;
  // Changes with rv in (compacted_rv_, current_rv_], contiguous: the change
  // with rv r is log_[r - compacted_rv_ - 1]. A deque so that trimming the
  // front keeps the other elements' addresses (ChangesAfter's pointers).
  std::deque<Change> log_;
};

}  // namespace sim
}  // namespace informersim

#endif  // INFORMERSIM_SIM_MVCC_STORE_H_
