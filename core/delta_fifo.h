// DeltaFIFO: client-go's tools/cache DeltaFIFO (rules D1-D12, K4/K5), the
// queue of the CLASSIC informer profile. Every key owns the list of changes
// (Deltas, oldest first) that arrived since the key was last popped; Pop hands
// out one key's whole list, keys in the order they were first queued.
//
// Thread safety: every method may be called from any thread. One Mutex guards
// all state. Pop and TryPop call the process callback WHILE HOLDING that lock
// (D8, as client-go does, so the callback can update the known-objects store
// atomically with the pop); the callback must therefore not call back into the
// same DeltaFIFO. The known-objects store is also read under the lock.
//
// Invariants (INV10):
//   - a key is queued at most once, and it is queued iff it has Deltas;
//   - every queued Deltas is non-empty and has no two adjacent Deleted deltas;
//   - keys pop in the order of their first enqueue since their last pop (D12);
//   - the first Replace's initial population is handed out by exactly
//     initialPopulationCount pops (D5, D11).
//
// Deliberate differences from client-go (commit 32ce75a7):
//   - HasSynced becomes true only AFTER the process callback of the last
//     initial item has returned (client-go closes its synced channel just
//     before calling process for that item; FIFO, RealFIFO and the legacy
//     DeltaFIFO all signal after). isInInitialList is still computed before
//     the count is decremented, exactly as in client-go. Since process runs
//     under the lock, HasSynced callers cannot see the difference; it fixes
//     the order for anything that reports sync to others.
//   - Legacy behaviour (CLASSIC, D9) is opt-in through
//     DeltaFIFOOptions::legacy_requeue: a process status made by
//     RequeueError() puts the popped Deltas back at the tail (only if the key
//     is not queued again by then) and Pop returns the inner status. Without
//     the option such a status is returned unchanged and nothing is requeued.
//     AddIfNotPresent is always available: it is a plain queue operation, and
//     the legacy controller's RetryOnError calls it with or without requeue.
//   - Replace's deletion pass over already-queued keys (D5 step 2) walks them
//     in queue order instead of Go map order; the queue order is the same
//     either way, since those keys are already queued.
//   - List and ListKeys return queue order (client-go: map order / queue
//     order); callers must not rely on List's order.
//   - Get/GetByKey are typed: GetDeltas/GetDeltasByKey return copies of the
//     queued Deltas, since Deltas are not Items.
//   - A DeletedFinalStateUnknown carries an ObjectPtr (core/item.h), so a
//     tombstone made by Replace for a key whose newest queued or known item is
//     not an API object (an ExplicitKey, say) carries a null object.
//   - No logging: where client-go logs and goes on (known-object lookup
//     errors in Replace and Resync) this class silently goes on.
#ifndef INFORMERSIM_CORE_DELTA_FIFO_H_
#define INFORMERSIM_CORE_DELTA_FIFO_H_

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "core/block_cache.h"
#include "core/delta.h"
#include "core/item.h"
#include "core/key_index.h"
#include "core/keys.h"
#include "core/mutex.h"
#include "core/queue.h"
#include "core/reflector_store_ext.h"
#include "core/short_string.h"
#include "core/store.h"

namespace informersim {

// client-go DeltaFIFOOptions, plus the legacy switch.
struct DeltaFIFOOptions {
  // D1: keys every non-tombstone object. Default: MetaNamespaceKeyFunc (K1).
  KeyFunc key_function;
  // The consumer's view (usually the informer's indexer); changes Delete
  // (D4), Replace (D5) and Resync (D7). May be null. Not owned; must outlive
  // the queue. Read under the queue's lock.
  const KeyListerGetter* known_objects = nullptr;
  // D5: Replace queues Replaced deltas when true, Sync deltas when false.
  bool emit_delta_type_replaced = false;
  // D3/D5: applied to objects queued by Add, Update, Delete and Replace
  // (never to tombstones, Sync deltas of Resync, or re-added Deltas).
  TransformFunc transformer;
  // D9 [CLASSIC]: honour RequeueError() statuses returned by the process
  // callback.
  bool legacy_requeue = false;
};


// client-go ErrRequeue{Err: inner} (D9): returned by a process callback to
// ask a legacy_requeue DeltaFIFO to put the popped Deltas back. The status is
// tagged kRequeueTag; `inner` may be OK. Pop recognises the tag anywhere in a
// wrapped status (Go matched only the unwrapped type; nothing wraps it).
absl::Status RequeueError(absl::Status inner);
bool IsRequeueError(const absl::Status& status);
// The status Pop returns for a RequeueError: `inner` as given.
absl::Status RequeueInner(const absl::Status& requeue);

// TransformingStore: as client-go's DeltaFIFO (delta_fifo.go, "DeltaFIFO
// implements TransformingStore"), so a Reflector fed straight into the queue
// lends its transformer to the watch-list's temporary store (RF15).
class DeltaFIFO final : public Queue, public TransformingStore {
 public:
  explicit DeltaFIFO(DeltaFIFOOptions options = {});
  DeltaFIFO(const DeltaFIFO&) = delete;
  DeltaFIFO& operator=(const DeltaFIFO&) = delete;
  ~DeltaFIFO() override;

  // D2: marks the queue populated, then queues an Added (Updated) delta.
  // A key error is a KeyError (K4); a transformer error is returned as is.
  absl::Status Add(Item obj) override;
  absl::Status Update(Item obj) override;
  // D4: queues a Deleted delta unless the key is unknown to the queue (and,
  // with known objects, known not to exist there).
  absl::Status Delete(Item obj) override;
  // D5/D6: queues the list as Replaced (or Sync) deltas, then tombstones for
  // queued and known keys absent from the list. `resource_version` is unused.
  absl::Status Replace(std::vector<Item> list,
                       absl::string_view resource_version) override;
  // D7: queues Sync deltas for known objects that have nothing queued.
  absl::Status Resync() override;

  // D8: blocks while empty and open; kClosed once closed and drained.
  PopResult Pop(PopProcessFunc process) override;
  // D8 without blocking: kEmpty when nothing is queued and the queue is open.
  PopResult TryPop(PopProcessFunc process) override;
  // As above, and on kPopped moves the popped Deltas to *popped (client-go
  // Pop's first result). On a legacy requeue *popped receives a copy.
  PopResult Pop(PopProcessFunc process, Deltas* popped);
  PopResult TryPop(PopProcessFunc process, Deltas* popped);

  // D9 [CLASSIC]: queues `deltas` as they are, at the tail, unless their key
  // is already queued; marks the queue populated. An empty Deltas is a
  // KeyError wrapping ZeroLengthDeltasError().
  absl::Status AddIfNotPresent(Deltas deltas);

  // D11 (see the header comment for the timing difference).
  bool HasSynced() const override;
  // D10.
  void Close() override;
  bool IsClosed() const override;
  // See core/queue.h. Called under this queue's lock.
  void SetReadyCallback(std::function<void()> on_ready) override;

  // D1. The Item form: a tombstone yields its key, anything else the key
  // function's result (its error returned as is, not yet a KeyError). The
  // Deltas form keys the newest delta's object; empty -> KeyError wrapping
  // ZeroLengthDeltasError().
  absl::StatusOr<std::string> KeyOf(const Item& obj) const;
  absl::StatusOr<std::string> KeyOf(const Deltas& deltas) const;

  // The newest object of every queued key, in queue order.
  std::vector<Item> List() const;
  // The queued keys, in queue (pop) order.
  std::vector<std::string> ListKeys() const;
  // Copies of the Deltas queued for obj's key / for `key`; nullopt if none.
  // GetDeltas fails only with a KeyError.
  absl::StatusOr<std::optional<Deltas>> GetDeltas(const Item& obj) const;
  std::optional<Deltas> GetDeltasByKey(absl::string_view key) const;

  // Number of queued keys (client-go len(queue)).
  size_t size() const;
  // True iff something is queued, i.e. TryPop would pop.
  bool HasPending() const;

  // client-go DeltaFIFO.Transformer: lent to the Reflector's watch-list
  // temporary store (RF15).
  const TransformFunc& Transformer() const override { return transformer_; }

 private:
  // The queued keys in pop order with their Deltas, plus a hash index from
  // key to position. Entries live in fixed-size blocks addressed by a
  // monotonically increasing sequence number, so growing never moves an
  // entry and a drained block is reused at the tail. The index (KeyIndex)
  // stores only 8-byte (sequence number, hash) slots and compares keys
  // through the entries: each key string is stored once (inline when
  // short, core/short_string.h), growing the index
  // never reads an entry, and the index of a 100,000-key queue stays small
  // enough for the L2 cache. Blocks and the index come from BlockCache.
  // Entries leave only from the head: DeltaFIFO removes keys only by Pop.
  // Not thread-safe; DeltaFIFO guards it. Invariant: fewer than 2^32 keys
  // are queued at once, so a 32-bit sequence number names an entry exactly.
  class KeyedQueue {
   public:
    struct Entry {
      ShortString key;
      uint32_t hash = 0;
      // The Replace call that last queued this key (D5 step 2).
      uint64_t replace_stamp = 0;
      Deltas deltas;
    };

    KeyedQueue();
    KeyedQueue(const KeyedQueue&) = delete;
    KeyedQueue& operator=(const KeyedQueue&) = delete;
    ~KeyedQueue();

    size_t size() const { return static_cast<size_t>(tail_ - head_); }
    bool empty() const { return tail_ == head_; }

    static uint32_t HashKey(absl::string_view key);
    Entry* Find(absl::string_view key, uint32_t hash);
    const Entry* Find(absl::string_view key, uint32_t hash) const;
    // The entry of `key`, appended with no deltas at the tail if absent (then
    // *added is set to true; only then is the key copied).
    Entry& FindOrAppend(absl::string_view key, uint32_t hash, bool* added);
    // Makes room for `n` queued keys in the index without rehashing.
    void Reserve(size_t n);

    // Takes the head entry out of the queue (its key is no longer found,
    // size() is one less) but leaves it constructed, so the caller can hand
    // its Deltas out in place, without moving them; the caller must then
    // call DestroyPopped on it before any other call that pops. Appending
    // meanwhile is allowed.
    Entry& PopFront();
    // Destroys the entry PopFront returned; its block is given back once the
    // head has left it.
    void DestroyPopped(Entry& entry);

    // In queue order.
    template <typename F>
    void ForEach(F&& f) const {
      for (uint64_t seq = head_; seq != tail_; ++seq) f(EntryAt(seq));
    }
    template <typename F>
    void ForEachMutable(F&& f) {
      for (uint64_t seq = head_; seq != tail_; ++seq) f(EntryAt(seq));
    }

   private:
    static constexpr int kBlockBits = 9;
    static constexpr uint64_t kBlockSize = uint64_t{1} << kBlockBits;

    // The queued sequence number whose low 32 bits are `low`.
    uint64_t FullSeq(uint32_t low) const {
      return head_ + static_cast<uint32_t>(low - static_cast<uint32_t>(head_));
    }
    Entry& EntryAt(uint64_t seq) {
      return blocks_[(seq >> kBlockBits) - first_block_][seq & (kBlockSize - 1)];
    }
    const Entry& EntryAt(uint64_t seq) const {
      return blocks_[(seq >> kBlockBits) - first_block_][seq & (kBlockSize - 1)];
    }

    // Raw storage: only the entries of [head_, tail_) are constructed, and
    // between PopFront and DestroyPopped also the popped one, head_ - 1.
    // blocks_[i] holds sequence numbers of block first_block_ + i.
    std::vector<Entry*> blocks_;
    uint64_t first_block_ = 0;
    // One drained block kept for the tail, so a queue that hovers around a
    // block boundary does not allocate and free over and over.
    Entry* spare_ = nullptr;
    uint64_t head_ = 0;  // sequence number of the oldest queued key
    uint64_t tail_ = 0;  // sequence number the next new key gets
    KeyIndex index_;
  };

  PopResult PopLocked(PopProcessFunc process, Deltas* popped)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Pop and TryPop, both forms (popped may be null).
  PopResult WaitAndPop(PopProcessFunc process, Deltas* popped) ABSL_LOCKS_EXCLUDED(mu_);
  PopResult PopIfAny(PopProcessFunc process, Deltas* popped) ABSL_LOCKS_EXCLUDED(mu_);
  // Applies the transformer, if any, to a non-tombstone object in place.
  absl::Status Transform(Item* obj) const;
  // D3. `key` is obj's key; `transform` says whether the transformer applies.
  absl::Status QueueActionLocked(DeltaType type, Item&& obj, absl::string_view key,
                                 bool transform) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Appends without transforming; returns the entry.
  KeyedQueue::Entry& AppendDeltaLocked(DeltaType type, Item&& obj, absl::string_view key)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // D2 for Add and Update.
  absl::Status AddOrUpdate(DeltaType type, Item&& obj);
  void AddIfNotPresentLocked(std::string key, Deltas deltas)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // D11: latches synced_ once populated and the initial count is spent.
  void CheckSyncedLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void WakeWaitersLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const KeyFunc key_function_;
  const KeyListerGetter* const known_objects_;
  const bool emit_delta_type_replaced_;
  const TransformFunc transformer_;
  const bool legacy_requeue_;
  // key_function_ is K1/K2: objects with meta are keyed inline.
  const bool meta_namespace_keys_;

  mutable Mutex mu_;
  CondVar cond_;
  KeyedQueue queue_ ABSL_GUARDED_BY(mu_);
  // D2/D4/D5/D9: a first Add/Update/Delete/Replace/AddIfNotPresent happened.
  bool populated_ ABSL_GUARDED_BY(mu_) = false;
  // D11, latched: never goes back to false.
  bool synced_ ABSL_GUARDED_BY(mu_) = false;
  bool closed_ ABSL_GUARDED_BY(mu_) = false;
  // D5 step 4: pops still owed to the first Replace.
  int64_t initial_population_count_ ABSL_GUARDED_BY(mu_) = 0;
  // Incremented by every Replace; see KeyedQueue::Entry::replace_stamp.
  uint64_t replace_stamp_ ABSL_GUARDED_BY(mu_) = 0;
  // Pops blocked in Wait; adds skip the broadcast when there are none.
  int waiters_ ABSL_GUARDED_BY(mu_) = 0;
  // The readiness hook, and whether it was called since the queue last
  // became non-empty (reset when a pop empties the queue).
  ReadySignal ready_ ABSL_GUARDED_BY(mu_);
};

}  // namespace informersim

#endif  // INFORMERSIM_CORE_DELTA_FIFO_H_
