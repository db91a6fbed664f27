// RealFIFO: client-go's in-order queue (the_real_fifo.go, rules R1-R10).
// Every Add/Update/Delete/Replace/Resync/Bookmark appends to one flat queue
// of Delta values; Pop hands out exactly one delta at a time, in global
// arrival order, with no per-key merging (R1). PopBatch hands out up to
// batch_size deltas of distinct keys at once (R10).
//
// Two modes, as client-go's RealFIFOOptions:
//   - atomic (the CURRENT informer profile): Replace appends one ReplacedAll
//     delta (R5), Resync one SyncAll delta (R7); no known objects.
//   - non-atomic: Replace reconciles the queue and the known objects into
//     synthetic Deleted(DeletedFinalStateUnknown) deltas followed by one
//     Replaced delta per listed object (R4); Resync appends Sync deltas for
//     known keys with nothing queued (R7).
//
// Thread safety: every method may be called from any thread. Pop/PopBatch
// are meant for ONE consumer, as in client-go: with UnlockWhileProcessing
// the lock is released while the callback runs, and a second consumer could
// then run its callback concurrently and finish out of order, which would
// break the per-key order and the HasSynced accounting (R9). Producers may
// run concurrently with a consumer's unlocked callback; that is the point of
// the option. The callbacks of Pop/PopBatch run with the lock held unless
// UnlockWhileProcessing applies, so they must not call back into the queue
// in that case.
//
// Invariants (under the lock):
//   - items_ is the queue, oldest first.
//   - synced_ is monotonic; it becomes true exactly when populated_ is set
//     and initial_population_count_ reaches 0, and the count is decremented
//     only AFTER the popped delta(s) were processed (R9).
//   - atomic mode has no known objects; non-atomic mode has them and neither
//     UnlockWhileProcessing nor bookmarks (R2).
//
// Performance: the queue is a BlockQueue (fixed-size blocks; growing never
// moves a delta, drained blocks are reused); pops move the delta out and
// never allocate (Deltas has one inline slot). There is deliberately no
// per-key map:
// only Replace (R4) and non-atomic Resync (R7) need "is this key queued",
// both are rare, and client-go itself computes it by scanning the queue
// there. Maintaining a counted key map on every push and pop would cost a
// second key computation and a hash-map update per delta on the hot path.
//
// Differences from client-go, on purpose:
//   - Construction is a factory returning an error status where client-go
//     panics on an invalid RealFIFOOptions (R2); a batch size below 1 is
//     rejected too. There is no logger, name, identifier or metrics.
//   - batch_size is an option; client-go fixes it at 1000 and its tests set
//     the private field.
//   - Pop returns a PopResult; the popped Deltas goes to the callback only.
//     TryPop and TryPopBatch are non-blocking twins for deterministic drivers.
//   - A DeletedFinalStateUnknown carries an API object pointer, so a
//     tombstone synthesised from a queued or known item that is itself a
//     tombstone carries that tombstone's object (Go would nest the values),
//     and from any other non-object item carries null.
//   - Atomic Replace accepts API objects only (ReplacedAllInfo holds object
//     pointers); anything else is an InvalidArgument error and nothing is
//     queued.
//   - Non-atomic Resync reports the failing enqueue's own error (client-go
//     wraps an unrelated, nil variable there).
//   - Kept from client-go, though it bends R9: if the FIRST Replace happens
//     while an unlocked callback is processing an earlier delta (only a
//     Bookmark or SyncAll can precede the first Replace), that delta's
//     decrement is taken from the new initial count, so HasSynced can turn
//     true one delta early. A reflector never queues a bookmark before its
//     first Replace, so informers do not meet this.
//   - client-go's RealFIFO at the matched commit has no List, ListKeys, Get
//     or GetByKey; neither does this one. QueuedDeltas() is the snapshot its
//     tests read through the private items field.
#ifndef INFORMERSIM_CORE_REAL_FIFO_H_
#define INFORMERSIM_CORE_REAL_FIFO_H_

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_set.h"
#include "absl/functional/function_ref.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "core/block_queue.h"
#include "core/delta.h"
#include "core/item.h"
#include "core/keys.h"
#include "core/mutex.h"
#include "core/queue.h"
#include "core/reflector_store_ext.h"
#include "core/store.h"

namespace informersim {

// client-go RealFIFOOptions, minus logging and metrics.
struct RealFIFOOptions {
  // Empty means MetaNamespaceKeyFunc (K1).
  KeyFunc key_function;
  // Not owned; must outlive the queue. Required iff !atomic_events (R2).
  const KeyListerGetter* known_objects = nullptr;
  // Applied to Add/Update/Delete/Replace objects, never to tombstones or
  // Sync deltas (R3, R7).
  TransformFunc transformer;
  // One ReplacedAll / SyncAll delta per Replace / Resync (R5, R7).
  bool atomic_events = false;
  // Release the lock while a popped delta is processed (R9); atomic only.
  bool unlock_while_processing = false;
  // Bookmark() queues a Bookmark delta (R8); atomic only.
  bool emit_delta_type_bookmark = false;
  // Largest PopBatch batch (R10); client-go's default.
  size_t batch_size = 1000;
  // Called with the lock released, right before and right after each
  // process callback that runs unlocked (R9): the points where, in client-go,
  // other goroutines (producers, HasSynced pollers) run while a pop is in
  // flight. A deterministic driver runs its concurrent observers here. It
  // must not pop from this queue. Null: nothing is called.
  std::function<void()> unlocked_window;
};

// TransformingStore and ReflectorBookmarkStore: as client-go's RealFIFO
// (the_real_fifo.go: "RealFIFO implements TransformingStore", and its
// Bookmark method makes it a ReflectorBookmarkStore), so a Reflector fed
// straight into it lends its transformer to the watch-list's temporary store
// (RF15) and hands it every watch bookmark (RF10, R8).
class RealFIFO final : public QueueWithBatch,
                       public TransformingStore,
                       public ReflectorBookmarkStore {
 public:
  // Validates the R2 constraints; InvalidArgument names the violated one.
  static absl::StatusOr<std::unique_ptr<RealFIFO>> Create(RealFIFOOptions options);

  RealFIFO(const RealFIFO&) = delete;
  RealFIFO& operator=(const RealFIFO&) = delete;

  // R3: mark populated (this may complete sync), then append one delta.
  // A key error is a KeyError and queues nothing; a transform error is
  // returned as the transformer gave it.
  absl::Status Add(Item obj) override;
  absl::Status Update(Item obj) override;
  // Always queues, whatever the known objects or the queue hold (R3).
  absl::Status Delete(Item obj) override;
  // R4 (non-atomic) or R5 (atomic), then R6. On error the queue keeps
  // whatever was appended before the failure and populated is untouched.
  absl::Status Replace(std::vector<Item> list,
                       absl::string_view resource_version) override;
  // R7. Does not mark populated.
  absl::Status Resync() override;
  // R8: a no-op unless emit_delta_type_bookmark. Does not mark populated.
  absl::Status Bookmark(absl::string_view resource_version) override;

  // R9: one delta, as a one-element Deltas.
  PopResult Pop(PopProcessFunc process) override;
  PopResult TryPop(PopProcessFunc process) override;
  // R10.
  PopResult PopBatch(ProcessBatchFunc process_batch,
                     PopProcessFunc process_single) override;
  PopResult TryPopBatch(ProcessBatchFunc process_batch,
                        PopProcessFunc process_single) override;

  bool HasSynced() const override;
  void Close() override;
  bool IsClosed() const override;
  // See core/queue.h. Called under this queue's lock.
  void SetReadyCallback(std::function<void()> on_ready) override;

  // Queued deltas (the queue depth a deterministic driver schedules on).
  size_t size() const;
  bool HasPending() const { return size() > 0; }
  // A copy of the queue, oldest first.
  std::vector<Delta> QueuedDeltas() const;

  // client-go keyOf: a tombstone yields its key, anything else the key
  // function's result (the raw error, not a KeyError).
  absl::StatusOr<std::string> KeyOf(const Item& obj) const;
  // The key of the newest delta; an empty Deltas is a KeyError tagged
  // kZeroLengthDeltasTag.
  absl::StatusOr<std::string> KeyOf(const Deltas& deltas) const;

  // client-go RealFIFO.Transformer (TransformingStore, RF15).
  const TransformFunc& Transformer() const override { return transformer_; }

 private:
  explicit RealFIFO(RealFIFOOptions options);

  bool EmptyLocked() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    return items_.empty();
  }
  size_t SizeLocked() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    return items_.size();
  }
  void CheckSyncedLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Waits while the queue is empty and open; false if closed and empty.
  bool WaitForItemsLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  // Add, Update and Delete (R3).
  absl::Status AppendEvent(DeltaType type, Item&& obj);
  void PushLocked(DeltaType type, Item obj) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Drops `n` deltas from the head; they were moved out already.
  void AdvanceHeadLocked(size_t n) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // client-go addToItems_locked: key check, optional transform, append.
  absl::Status AddToItemsLocked(DeltaType type, bool skip_transform, Item&& obj)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  absl::Status ReplaceAtomicLocked(std::vector<Item> list,
                                   absl::string_view resource_version)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  absl::Status ReconcileReplacementLocked(std::vector<Item> list)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  PopResult PopOneLocked(PopProcessFunc process) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  PopResult PopBatchLocked(ProcessBatchFunc process_batch,
                           PopProcessFunc process_single)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // R9: whether the callback runs unlocked; asked after the popped deltas
  // left the queue, as client-go does.
  bool UnlockDuringProcessLocked() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    return unlock_while_processing_ && SizeLocked() < 2 * batch_size_;
  }
  // Runs `process`, with the lock released (and unlocked_window_ called
  // around it) when UnlockDuringProcessLocked holds.
  absl::Status RunProcessLocked(absl::FunctionRef<absl::Status()> process)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  // Fixed at construction.
  const KeyFunc key_function_;
  const KeyListerGetter* const known_objects_;
  const TransformFunc transformer_;
  const bool atomic_events_;
  const bool unlock_while_processing_;
  const bool emit_delta_type_bookmark_;
  const size_t batch_size_;
  const std::function<void()> unlocked_window_;
  // key_function_ is K1/K2: objects with meta are keyed inline.
  const bool meta_namespace_keys_;

  mutable Mutex mu_;
  CondVar cond_;
  BlockQueue<Delta> items_ ABSL_GUARDED_BY(mu_);
  // Consumers blocked in Pop/PopBatch; producers signal only if any.
  int waiters_ ABSL_GUARDED_BY(mu_) = 0;
  bool populated_ ABSL_GUARDED_BY(mu_) = false;
  // Signed as in client-go: a first Replace during an unlocked callback can
  // let a later decrement overshoot (see PopBatchLocked).
  int64_t initial_population_count_ ABSL_GUARDED_BY(mu_) = 0;
  bool synced_ ABSL_GUARDED_BY(mu_) = false;
  bool closed_ ABSL_GUARDED_BY(mu_) = false;
  // The readiness hook, and whether it was called since the queue last
  // became non-empty (reset when a pop empties the queue).
  ReadySignal ready_ ABSL_GUARDED_BY(mu_);
  // PopBatch's scratch set of keys; empty between calls.
  absl::flat_hash_set<std::string> batch_keys_ ABSL_GUARDED_BY(mu_);
};

}  // namespace informersim

#endif  // INFORMERSIM_CORE_REAL_FIFO_H_
