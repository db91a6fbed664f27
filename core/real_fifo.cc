#include "core/real_fifo.h"

#include <algorithm>
#include <cassert>
#include <utility>

#include "absl/base/attributes.h"
#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "absl/types/span.h"
#include "core/errors.h"

namespace informersim {

namespace {

// The object a synthetic tombstone carries for `last`: see the header on
// why a tombstone is unwrapped and anything else that is not an object is
// dropped.
ObjectPtr TombstoneObject(const Item& last) {
  if (last.is_object()) return last.object();
  if (last.is_tombstone()) return last.tombstone().obj;
  return nullptr;
}

}  // namespace

absl::StatusOr<std::unique_ptr<RealFIFO>> RealFIFO::Create(RealFIFOOptions options) {
  // R2, checked in client-go's order.
  if (options.atomic_events) {
    if (options.known_objects != nullptr) {
      return absl::InvalidArgumentError(
          "RealFIFO options: known_objects must be null when atomic_events is set");
    }
  } else {
    if (options.unlock_while_processing) {
      return absl::InvalidArgumentError(
          "RealFIFO options: unlock_while_processing requires atomic_events");
    }
    if (options.known_objects == nullptr) {
      return absl::InvalidArgumentError(
          "RealFIFO options: known_objects is required when atomic_events is not set");
    }
    if (options.emit_delta_type_bookmark) {
      return absl::InvalidArgumentError(
          "RealFIFO options: emit_delta_type_bookmark requires atomic_events");
    }
  }
  if (options.batch_size == 0) {
    return absl::InvalidArgumentError("RealFIFO options: batch_size must be at least 1");
  }
  if (!options.key_function) options.key_function = MetaNamespaceKeyFunc;
  return std::unique_ptr<RealFIFO>(new RealFIFO(std::move(options)));
}

RealFIFO::RealFIFO(RealFIFOOptions options)
    : key_function_(std::move(options.key_function)),
      known_objects_(options.known_objects),
      transformer_(std::move(options.transformer)),
      atomic_events_(options.atomic_events),
      unlock_while_processing_(options.unlock_while_processing),
      emit_delta_type_bookmark_(options.emit_delta_type_bookmark),
      batch_size_(options.batch_size),
      unlocked_window_(std::move(options.unlocked_window)),
      meta_namespace_keys_(IsMetaNamespaceKeyFunc(key_function_)) {}

absl::StatusOr<std::string> RealFIFO::KeyOf(const Item& obj) const {
  if (obj.is_tombstone()) return obj.tombstone().key;
  if (meta_namespace_keys_) {
    std::string key;
    if (MetaNamespaceKeyInto(obj, &key)) return key;
  }
  return key_function_(obj);
}

absl::StatusOr<std::string> RealFIFO::KeyOf(const Deltas& deltas) const {
  if (deltas.empty()) {
    return KeyError(Item(), ZeroLengthDeltasError());
  }
  return KeyOf(deltas.back().object);
}

void RealFIFO::CheckSyncedLocked() {
  if (populated_ && initial_population_count_ == 0) synced_ = true;
}

void RealFIFO::PushLocked(DeltaType type, Item obj) {
  items_.push_back(Delta{type, std::move(obj)});
  if (waiters_ > 0) cond_.SignalAll();
  ready_.NonEmpty();
}

void RealFIFO::AdvanceHeadLocked(size_t n) {
  items_.pop_front(n);
  if (items_.empty()) {
    ready_.Emptied();
  }
}

absl::Status RealFIFO::AddToItemsLocked(DeltaType type, bool skip_transform, Item&& obj) {
  // The key is checked even though the queue does not store it, so a
  // keyless object is refused here rather than at the consumer. client-go
  // computes it and drops it (`_, err := f.keyOf(obj)`): only whether there
  // is one matters. A tombstone always has one, and so does an object with
  // meta under the stock key functions: those pass without building it.
  const bool has_key =
      obj.is_tombstone() || (meta_namespace_keys_ && obj.meta() != nullptr);
  if (!has_key) {
    absl::StatusOr<std::string> key = KeyOf(obj);
    if (!key.ok()) return KeyError(obj, key.status());
  }
  // Tombstones and Sync objects went through the transformer already.
  if (transformer_ && !skip_transform && !obj.is_tombstone()) {
    absl::StatusOr<Item> transformed = transformer_(std::move(obj));
    if (!transformed.ok()) return transformed.status();
    obj = *std::move(transformed);
  }
  PushLocked(type, std::move(obj));
  return absl::OkStatus();
}

// Inlined into Add, Update and Delete, which only forward to it; the Item
// is moved once, into the queue.
ABSL_ATTRIBUTE_ALWAYS_INLINE inline absl::Status RealFIFO::AppendEvent(DeltaType type,
                                                                       Item&& obj) {
  MutexLock lock(&mu_);
  // Set before the key check, as client-go does: even a refused event ends
  // the "initial list" phase.
  populated_ = true;
  CheckSyncedLocked();
  return AddToItemsLocked(type, /*skip_transform=*/false, std::move(obj));
}

absl::Status RealFIFO::Add(Item obj) { return AppendEvent(DeltaType::kAdded, std::move(obj)); }

absl::Status RealFIFO::Update(Item obj) {
  return AppendEvent(DeltaType::kUpdated, std::move(obj));
}

absl::Status RealFIFO::Delete(Item obj) {
  return AppendEvent(DeltaType::kDeleted, std::move(obj));
}

absl::Status RealFIFO::Bookmark(absl::string_view resource_version) {
  if (!emit_delta_type_bookmark_) return absl::OkStatus();  // R8
  MutexLock lock(&mu_);
  PushLocked(DeltaType::kBookmark, Item::Bookmark(std::string(resource_version)));
  return absl::OkStatus();
}

absl::Status RealFIFO::Replace(std::vector<Item> list, absl::string_view resource_version) {
  MutexLock lock(&mu_);
  absl::Status status = atomic_events_
                            ? ReplaceAtomicLocked(std::move(list), resource_version)
                            : ReconcileReplacementLocked(std::move(list));
  if (!status.ok()) return status;
  if (!populated_) {  // R6: every delta queued now belongs to the initial list.
    populated_ = true;
    initial_population_count_ = static_cast<int64_t>(SizeLocked());
    CheckSyncedLocked();
  }
  return absl::OkStatus();
}

absl::Status RealFIFO::ReplaceAtomicLocked(std::vector<Item> list,
                                           absl::string_view resource_version) {
  // R5: all or nothing; a failure queues no partial list.
  std::vector<ObjectPtr> objects;
  objects.reserve(list.size());
  for (size_t i = 0; i < list.size(); ++i) {
    Item item = std::move(list[i]);
    if (transformer_) {
      absl::StatusOr<Item> transformed = transformer_(std::move(item));
      if (!transformed.ok()) return transformed.status();
      item = *std::move(transformed);
    }
    if (!item.is_object()) {
      return absl::InvalidArgumentError(absl::StrCat("RealFIFO.Replace: list item ", i,
                                                     " is ", item.DebugString(),
                                                     ", not an API object"));
    }
    objects.push_back(item.object());
  }
  PushLocked(DeltaType::kReplacedAll,
             Item::ReplacedAll(std::string(resource_version), std::move(objects)));
  return absl::OkStatus();
}

absl::Status RealFIFO::ReconcileReplacementLocked(std::vector<Item> list) {
  // R4. Every key is computed before anything is queued, so a key error
  // leaves the queue untouched.
  assert(known_objects_ != nullptr);  // guaranteed by Create (R2)
  absl::flat_hash_set<std::string> new_keys;
  new_keys.reserve(list.size());
  for (const Item& obj : list) {
    absl::StatusOr<std::string> key = KeyOf(obj);
    if (!key.ok()) return KeyError(obj, key.status());
    new_keys.insert(*std::move(key));
  }

  // Queued keys in order of first appearance, each with its newest delta.
  struct QueuedKey {
    std::string key;
    size_t last;  // index into items_
  };
  std::vector<QueuedKey> queued;
  absl::flat_hash_map<std::string, size_t> queued_index;  // key -> index in `queued`
  for (size_t i = 0; i < items_.size(); ++i) {
    absl::StatusOr<std::string> key = KeyOf(items_[i].object);
    if (!key.ok()) return KeyError(items_[i].object, key.status());
    auto [it, inserted] = queued_index.try_emplace(*key, queued.size());
    if (inserted) {
      queued.push_back(QueuedKey{*std::move(key), i});
    } else {
      queued[it->second].last = i;
    }
  }

  // Deletions first (R4 steps 1 and 2), computed before any push so no
  // index into items_ is used after the vector changes.
  std::vector<Item> tombstones;
  for (QueuedKey& q : queued) {
    if (new_keys.contains(q.key)) continue;
    const Delta& last = items_[q.last];
    if (last.type == DeltaType::kDeleted) continue;  // already deleted
    tombstones.push_back(Item::Tombstone(std::move(q.key), TombstoneObject(last.object)));
  }
  for (std::string& known_key : known_objects_->ListKeys()) {
    if (new_keys.contains(known_key) || queued_index.contains(known_key)) continue;
    // A failed or empty lookup still yields a tombstone, without an object.
    ObjectPtr last_known;
    absl::StatusOr<std::optional<Item>> got = known_objects_->GetByKey(known_key);
    if (got.ok() && got->has_value()) last_known = TombstoneObject(**got);
    tombstones.push_back(Item::Tombstone(std::move(known_key), std::move(last_known)));
  }
  // A tombstone always has a key and is never transformed: pushing it
  // cannot fail.
  for (Item& tombstone : tombstones) PushLocked(DeltaType::kDeleted, std::move(tombstone));

  // Then the listed objects, in list order, always as Replaced (R4 step 3).
  for (Item& obj : list) {
    absl::Status status =
        AddToItemsLocked(DeltaType::kReplaced, /*skip_transform=*/false, std::move(obj));
    if (!status.ok()) return Wrap(status, "couldn't enqueue object");
  }
  return absl::OkStatus();
}

absl::Status RealFIFO::Resync() {
  MutexLock lock(&mu_);
  if (atomic_events_) {  // R7, atomic: one marker, unconditionally.
    PushLocked(DeltaType::kSyncAll, Item::SyncAll());
    return absl::OkStatus();
  }
  if (known_objects_ == nullptr) return absl::OkStatus();

  // R7, non-atomic: a key with any queued delta is skipped, so a resync
  // never re-delivers a state older than one already queued.
  absl::flat_hash_set<std::string> queued;
  queued.reserve(SizeLocked());
  for (size_t i = 0; i < items_.size(); ++i) {
    absl::StatusOr<std::string> key = KeyOf(items_[i].object);
    if (!key.ok()) return KeyError(items_[i].object, key.status());
    queued.insert(*std::move(key));
  }
  for (const std::string& known_key : known_objects_->ListKeys()) {
    if (queued.contains(known_key)) continue;
    absl::StatusOr<std::optional<Item>> got = known_objects_->GetByKey(known_key);
    if (!got.ok() || !got->has_value()) continue;  // gone or unreadable: skip
    absl::Status status =
        AddToItemsLocked(DeltaType::kSync, /*skip_transform=*/true, **std::move(got));
    if (!status.ok()) return Wrap(status, "couldn't queue object");
  }
  return absl::OkStatus();
}

bool RealFIFO::WaitForItemsLocked() {
  while (EmptyLocked()) {
    if (closed_) return false;
    ++waiters_;
    cond_.Wait(&mu_);
    --waiters_;
  }
  return true;
}

PopResult RealFIFO::Pop(PopProcessFunc process) {
  MutexLock lock(&mu_);
  if (!WaitForItemsLocked()) return PopResult{PopOutcome::kClosed, absl::OkStatus()};
  return PopOneLocked(process);
}

PopResult RealFIFO::TryPop(PopProcessFunc process) {
  MutexLock lock(&mu_);
  if (EmptyLocked()) {
    return PopResult{closed_ ? PopOutcome::kClosed : PopOutcome::kEmpty, absl::OkStatus()};
  }
  return PopOneLocked(process);
}

PopResult RealFIFO::PopOneLocked(PopProcessFunc process) {
  const bool is_in_initial_list = !synced_;
  // See DeltaFIFO's PopFront: the object this delta's successor a few pops
  // on will release is loaded now, so the releases' waits overlap.
  constexpr size_t kPopAhead = 8;
  if (items_.size() > kPopAhead) PrefetchReferenceCount(items_[kPopAhead].object);
  Deltas deltas;
  deltas.push_back(std::move(items_.front()));
  AdvanceHeadLocked(1);

  absl::Status status =
      RunProcessLocked([&]() { return process(deltas, is_in_initial_list); });
  // R9: only now, so HasSynced is never true while the last initial delta
  // is still being processed.
  if (initial_population_count_ > 0) {
    --initial_population_count_;
    CheckSyncedLocked();
  }
  return PopResult{PopOutcome::kPopped, std::move(status)};
}

absl::Status RealFIFO::RunProcessLocked(absl::FunctionRef<absl::Status()> process) {
  if (!UnlockDuringProcessLocked()) return process();
  MutexUnlock unlock(&mu_);
  if (unlocked_window_) unlocked_window_();
  absl::Status status = process();
  if (unlocked_window_) unlocked_window_();
  return status;
}

PopResult RealFIFO::PopBatch(ProcessBatchFunc process_batch, PopProcessFunc process_single) {
  MutexLock lock(&mu_);
  if (!WaitForItemsLocked()) return PopResult{PopOutcome::kClosed, absl::OkStatus()};
  return PopBatchLocked(process_batch, process_single);
}

PopResult RealFIFO::TryPopBatch(ProcessBatchFunc process_batch,
                                PopProcessFunc process_single) {
  MutexLock lock(&mu_);
  if (EmptyLocked()) {
    return PopResult{closed_ ? PopOutcome::kClosed : PopOutcome::kEmpty, absl::OkStatus()};
  }
  return PopBatchLocked(process_batch, process_single);
}

PopResult RealFIFO::PopBatchLocked(ProcessBatchFunc process_batch,
                                   PopProcessFunc process_single) {
  const bool is_in_initial_list = !synced_;
  // Deltas has one inline slot, so the common batch of one never allocates
  // and is handed to process_single as it is.
  Deltas batch;
  const size_t limit = std::min(SizeLocked(), batch_size_);
  for (size_t i = 0; i < limit; ++i) {
    // Never mix the initial list with later deltas.
    if (initial_population_count_ > 0 &&
        static_cast<int64_t>(i) >= initial_population_count_) {
      break;
    }
    Delta& delta = items_[i];
    if (!IsBatchable(delta.type)) {
      if (batch.empty()) batch.push_back(std::move(delta));  // alone
      break;
    }
    absl::StatusOr<std::string> key = KeyOf(delta.object);
    if (!key.ok()) {
      // Still popped, so a broken first delta cannot wedge the queue; the
      // batch ends with it.
      batch.push_back(std::move(delta));
      break;
    }
    if (!batch_keys_.insert(*std::move(key)).second) break;  // one delta per key
    batch.push_back(std::move(delta));
  }
  batch_keys_.clear();
  AdvanceHeadLocked(batch.size());

  absl::Status status = RunProcessLocked([&]() -> absl::Status {
    if (batch.size() == 1) return process_single(batch, is_in_initial_list);
    return process_batch(absl::MakeConstSpan(batch.data(), batch.size()),
                         is_in_initial_list);
  });
  // As client-go: only a positive count is reduced, by the whole batch. A
  // batch built while the count was 0 can meet a count set meanwhile by a
  // first Replace during an unlocked callback; client-go subtracts then too.
  if (initial_population_count_ > 0) {
    initial_population_count_ -= static_cast<int64_t>(batch.size());
    CheckSyncedLocked();
  }
  return PopResult{PopOutcome::kPopped, std::move(status)};
}

bool RealFIFO::HasSynced() const {
  MutexLock lock(&mu_);
  return synced_;
}

void RealFIFO::Close() {
  MutexLock lock(&mu_);
  closed_ = true;
  cond_.SignalAll();
  ready_.Closed();
}

void RealFIFO::SetReadyCallback(std::function<void()> on_ready) {
  MutexLock lock(&mu_);
  ready_.Install(std::move(on_ready), !EmptyLocked());
}

bool RealFIFO::IsClosed() const {
  MutexLock lock(&mu_);
  return closed_;
}

size_t RealFIFO::size() const {
  MutexLock lock(&mu_);
  return SizeLocked();
}

std::vector<Delta> RealFIFO::QueuedDeltas() const {
  MutexLock lock(&mu_);
  std::vector<Delta> copy;
  copy.reserve(items_.size());
  for (size_t i = 0; i < items_.size(); ++i) copy.push_back(items_[i]);
  return copy;
}

}  // namespace informersim
