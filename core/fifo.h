// FIFO: client-go's simple queue (fifo.go, rules F1-F5). Each key holds only
// its latest object; a key waits in the queue once, at the position of its
// first Add since it was last popped (F1, no line jumping). Delete drops the
// object, and Pop skips a queued key whose object is gone (F2). Replace
// swaps the whole content (F3); Resync re-queues keys that have an object
// but no queue entry (F4). HasSynced follows D11 with the count of distinct
// keys of the first Replace, checked after the callback returns (F5).
//
// Pop signatures: client-go's FIFO hands its callback the object itself,
// not a Deltas. PopItem/TryPopItem are that typed form and the native API.
// The Queue interface's Pop/TryPop are provided for generic consumers and
// wrap the object as Deltas{Delta{kUpdated, object}}: "the latest state of
// this key", which a consumer applying deltas (C3) treats exactly like any
// other non-Deleted type.
//
// Thread safety: every method may be called from any thread. The callbacks
// of PopItem/Pop run with the lock held (as in client-go), so they must not
// call back into the queue. One consumer is expected.
//
// Invariants (under the lock): every key of items_ is in queue_ (possibly
// more than once after Delete then Add; later entries then find no object
// and are skipped); synced_ is monotonic.
//
// Differences from client-go, on purpose:
//   - Replace queues the keys in list order (first occurrence of each key);
//     client-go uses Go map order, which is random. Resync appends missing
//     keys in sorted order for the same reason (with the invariant above it
//     appends nothing in practice, as in client-go).
//   - When Pop has skipped deleted entries of the initial list and then
//     finds the queue empty, the sync check runs before it waits or
//     returns. client-go defers that check to the end of Pop, so there a
//     blocked Pop keeps HasSynced false and reports the next item as still
//     in the initial list. No callback is running at that point, so F5
//     ("checked after process") holds either way.
//   - List, ListKeys, Get and GetByKey live in client-go's test file; here
//     they are ordinary methods.
//   - An empty key function means MetaNamespaceKeyFunc.
#ifndef INFORMERSIM_CORE_FIFO_H_
#define INFORMERSIM_CORE_FIFO_H_

#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/functional/function_ref.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "core/delta.h"
#include "core/item.h"
#include "core/keys.h"
#include "core/mutex.h"
#include "core/queue.h"

namespace informersim {

class FIFO final : public Queue {
 public:
  // client-go PopProcessFunc as FIFO calls it: the object itself.
  using ItemProcessFunc =
      absl::FunctionRef<absl::Status(const Item& obj, bool is_in_initial_list)>;

  explicit FIFO(KeyFunc key_function = nullptr);
  FIFO(const FIFO&) = delete;
  FIFO& operator=(const FIFO&) = delete;

  // F1: the key is computed first (a KeyError changes nothing), then the
  // queue is marked populated and the object stored.
  absl::Status Add(Item obj) override;
  absl::Status Update(Item obj) override;
  // F2.
  absl::Status Delete(Item obj) override;
  // F3. `resource_version` is ignored, as in client-go.
  absl::Status Replace(std::vector<Item> list,
                       absl::string_view resource_version) override;
  // F4.
  absl::Status Resync() override;

  // The object of the oldest queued key that still has one (F2, F5).
  PopResult PopItem(ItemProcessFunc process);
  PopResult TryPopItem(ItemProcessFunc process);
  // Queue: the same, with the object wrapped as described above.
  PopResult Pop(PopProcessFunc process) override;
  PopResult TryPop(PopProcessFunc process) override;

  bool HasSynced() const override;
  void Close() override;
  bool IsClosed() const override;
  // See core/queue.h. Called under this queue's lock.
  void SetReadyCallback(std::function<void()> on_ready) override;

  // Stored objects and keys, in unspecified order.
  std::vector<Item> List() const;
  std::vector<std::string> ListKeys() const;
  // The stored object with obj's key; a KeyError if obj has none.
  absl::StatusOr<std::optional<Item>> Get(const Item& obj) const;
  absl::StatusOr<std::optional<Item>> GetByKey(absl::string_view key) const;

  // Queue entries, including those of deleted keys that a pop will skip.
  size_t size() const;
  bool HasPending() const { return size() > 0; }

 private:
  PopResult PopItemImpl(ItemProcessFunc process, bool block);
  void CheckSyncedLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Wakes blocked pops and, on an empty -> non-empty edge, the ready hook.
  void WakeLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const KeyFunc key_function_;

  mutable Mutex mu_;
  CondVar cond_;
  absl::flat_hash_map<std::string, Item> items_ ABSL_GUARDED_BY(mu_);
  std::deque<std::string> queue_ ABSL_GUARDED_BY(mu_);
  int waiters_ ABSL_GUARDED_BY(mu_) = 0;
  bool populated_ ABSL_GUARDED_BY(mu_) = false;
  int64_t initial_population_count_ ABSL_GUARDED_BY(mu_) = 0;
  bool synced_ ABSL_GUARDED_BY(mu_) = false;
  bool closed_ ABSL_GUARDED_BY(mu_) = false;
  // The readiness hook, and whether it was called since the queue last
  // became non-empty.
  ReadySignal ready_ ABSL_GUARDED_BY(mu_);
};

}  // namespace informersim

#endif  // INFORMERSIM_CORE_FIFO_H_
