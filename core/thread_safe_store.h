// ThreadSafeStore: client-go's threadSafeMap (thread_safe_store.go), the
// keyed item map with secondary indexes under one lock that every Store and
// Indexer of core/ is built on. Callers supply the keys; core/cache.h adds
// the key function and the transformer on top.
//
// Thread safety: every method is safe for concurrent use; one mutex guards
// all state. Index functions run with that mutex held and must not call back
// into the store.
//
// Invariants, true whenever the mutex is free (INV8):
//   - for every index N, stored (key, item) and value v in fN(item), key is in
//     N's set for v, and N holds nothing else;
//   - no index retains an empty key set (I1);
//   - every stored item was accepted by every index function;
//   - every item keeps, next to it, the values its index functions gave when
//     it was stored, and those are exactly the index sets it is in.
//
// Index functions must be pure: the same item always yields the same values
// (client-go's index maintenance assumes this too). An Update compares the
// new item's values with the stored ones instead of running the index
// functions on the old item again; that is what keeps an Update from
// reading the old object at all (I1's result is the same for pure
// functions). A Delete still runs them on the stored item, only to report an
// index function that now refuses it (I2); the key leaves the sets it is
// actually in.
//
// Performance: items live in chunks that never move (each twice the size of
// the one before) and are named by a 32-bit id for their whole life, so the
// key-to-item table holds only (id, hash) and index sets hold ids: one key
// hash per write, no key re-hashing for index sets, and ByIndex reads each
// result's item directly without a key lookup. A bucket keeps the items
// its first ByIndex after a change returned, for the reads that follow (a
// copy of one array instead of a visit to each item's entry); any change
// to the bucket or to one of its items drops them at once (releasing their
// references), so writes pay for them only after a read. Ids of deleted items are
// reused; chunks are freed only by Replace or destruction (as Go maps never
// shrink).
//
// Differs from client-go on purpose:
//   - I2: client-go panics when an index function fails during a write. Here
//     the write returns a status ("unable to calculate an index entry for key
//     "k" on index "n": cause") and is not applied at all: all index values
//     are computed before anything is changed, so the items and the indexes
//     stay consistent. A simulator and test harness must report a bad user
//     index function, not crash on it: it is recoverable input, and a
//     campaign must keep the results it has gathered. The same holds for
//     Replace and AddIndexers (all or nothing) and for each write of a
//     Transaction (a failing write is skipped and reported, the others are
//     applied).
//   - When several items fail during Replace or AddIndexers, the one with the
//     smallest key is reported (client-go's choice is Go-map random), so the
//     message does not depend on hash-map order.
//   - I1's fast path ("one old value equal to one new value: nothing to do")
//     is widened to "old values equal new values, in order"; the resulting
//     index is the same, without the remove-and-re-add churn. The old values
//     are the stored ones (see "Index functions must be pure" above): an
//     impure function that would now refuse the old item does not fail an
//     Update here (client-go would panic), and one that would now give other
//     values for it does not leave the key in stale sets (client-go would).
//   - S5: client-go returns "" from LastStoreSyncResourceVersion while its
//     AtomicFIFO feature gate is off. That gate is on in the CURRENT profile,
//     so tracking is on by default; ThreadSafeStoreOptions turns it off to
//     reproduce the CLASSIC behaviour.
//   - There is one mutex, not a reader/writer lock, and no metrics.
//   - The constructor takes no Indices: client-go callers always pass empty
//     ones.
#ifndef INFORMERSIM_CORE_THREAD_SAFE_STORE_H_
#define INFORMERSIM_CORE_THREAD_SAFE_STORE_H_

#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "core/index.h"
#include "core/indexer.h"
#include "core/item.h"
#include "core/mutex.h"
#include "core/short_string.h"

namespace informersim {

struct ThreadSafeStoreOptions {
  // S5: false reproduces client-go with the AtomicFIFO gate off
  // (LastStoreSyncResourceVersion always ""); true is the CURRENT profile.
  bool track_resource_version = true;
};

// client-go ThreadSafeStoreTransaction: a write with its key already known.
struct ThreadSafeStoreTransaction {
  ::informersim::Transaction txn;
  std::string key;
};

// A write of a ThreadSafeStore transaction that was not applied, and why.
struct FailedTransaction {
  size_t position = 0;  // into the batch
  absl::Status status;
};

// Keyed items in list order (a key may repeat: the last one wins).
using KeyedItems = std::vector<std::pair<std::string, Item>>;

class ThreadSafeStore final {
 public:
  explicit ThreadSafeStore(Indexers indexers, ThreadSafeStoreOptions options = {});
  ThreadSafeStore(const ThreadSafeStore&) = delete;
  ThreadSafeStore& operator=(const ThreadSafeStore&) = delete;
  ~ThreadSafeStore();

  // S1: Add and Update are the same: store `obj` under `key` and move the
  // key's index entries from the old item's values to the new one's (I1).
  // Sets the store RV to obj's when obj has meta (S5). Error: I2 (above).
  absl::Status Add(std::string key, Item obj);
  absl::Status Update(std::string key, Item obj);
  // S1 with the key as a view, copied only if it is new to the store: for
  // callers that build keys on the stack (Cache with the stock key
  // functions).
  absl::Status AddOrUpdate(absl::string_view key, Item obj);
  // S2: removes `key` and its index entries; a missing key is a no-op.
  // Delete leaves the store RV alone; DeleteWithObject sets it from `obj`
  // when obj has meta, whether or not the key existed (S5).
  absl::Status Delete(absl::string_view key);
  absl::Status DeleteWithObject(absl::string_view key, const Item& obj);

  // S4. List and ListKeys are snapshots. client-go's order is Go-map random;
  // here it is the order in which the keys were first stored (a deleted
  // key's slot is reused by the next new key), the same in every process.
  std::optional<Item> Get(absl::string_view key) const;
  std::vector<Item> List() const;
  std::vector<std::string> ListKeys() const;

  // S3: swaps in `items` and rebuilds every index from scratch; the store RV
  // becomes `resource_version`. All or nothing (I2). The new order follows
  // `items`; a repeated key keeps its first position and its last item.
  absl::Status Replace(KeyedItems items, absl::string_view resource_version);

  // I3-I7; see core/indexer.h.
  absl::StatusOr<std::vector<Item>> Index(absl::string_view index_name,
                                          const Item& obj) const;
  absl::StatusOr<std::vector<std::string>> IndexKeys(
      absl::string_view index_name, absl::string_view indexed_value) const;
  std::vector<std::string> ListIndexFuncValues(absl::string_view index_name) const;
  absl::StatusOr<std::vector<Item>> ByIndex(absl::string_view index_name,
                                            absl::string_view indexed_value) const;
  Indexers GetIndexers() const;
  absl::Status AddIndexers(Indexers new_indexers);

  // S5.
  void Bookmark(absl::string_view resource_version);
  std::string LastStoreSyncResourceVersion() const;

  // S7: applies the writes in order under one lock acquisition. Returns the
  // writes whose index functions failed (I2), ascending; the others are
  // applied. The store RV becomes that of the last applied write if its
  // object has meta (client-go: the final write's).
  std::vector<FailedTransaction> Transaction(
      std::vector<ThreadSafeStoreTransaction> txns);

  // A copy of every index, for checkers and tests (client-go's tests read
  // the indices field directly). Costs a full copy.
  Indices SnapshotIndices() const;

 private:
  // The items and the index sets (defined in the .cc file). Replaced whole
  // by Replace.
  class Contents;

  // One named index with its function and, as scratch for the write in
  // progress, the values of the item being written (kept to reuse their
  // capacity).
  struct IndexState {
    std::string name;
    IndexFunc func;
    std::vector<std::string> values;
  };

  // Fills every index's `values` from `obj`; the first failure is returned
  // as the I2 error for `key` and nothing else is touched.
  absl::Status ComputeValuesLocked(absl::string_view key, const Item& obj)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Add and Update (S1). Moves from `obj`; the key is copied once, into the
  // store, when it is new.
  absl::Status Write(absl::string_view key, Item& obj);
  absl::Status UpdateLocked(absl::string_view key, Item&& obj) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  absl::Status DeleteLocked(absl::string_view key) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // The position of the index named `name` in indexes_, or -1.
  int FindIndexLocked(absl::string_view name) const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const bool track_resource_version_;
  mutable Mutex mu_;
  // Never null.
  std::unique_ptr<Contents> contents_ ABSL_GUARDED_BY(mu_);
  // Sorted by name, so walks over the indexes are deterministic; position j
  // is index j of contents_.
  std::vector<IndexState> indexes_ ABSL_GUARDED_BY(mu_);
  ShortString resource_version_ ABSL_GUARDED_BY(mu_);
};

}  // namespace informersim

#endif  // INFORMERSIM_CORE_THREAD_SAFE_STORE_H_
