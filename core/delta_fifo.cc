#include "core/delta_fifo.h"

#include <algorithm>
#include <cassert>
#include <cstdint>
#include <memory>
#include <new>
#include <optional>
#include <utility>

#include "absl/base/attributes.h"
#include "absl/strings/cord.h"
#include "absl/strings/str_cat.h"
#include "core/errors.h"
#include "core/short_bytes.h"

namespace informersim {
namespace {

// RequeueError's payload says whether the inner status was OK, since an OK
// status cannot carry a payload itself.
constexpr absl::string_view kRequeueInnerOk = "inner-ok";
constexpr absl::string_view kRequeueInnerError = "inner-error";

// A KeyError about a Deltas value, which is not an Item.
absl::Status DeltasKeyError(const Deltas& deltas, const absl::Status& cause) {
  std::string what = "Deltas{";
  for (size_t i = 0; i < deltas.size(); ++i) {
    absl::StrAppend(&what, i == 0 ? "" : ", ", DeltaTypeName(deltas[i].type), " ",
                    deltas[i].object.DebugString());
  }
  what += "}";
  return WithTag(Wrap(cause, absl::StrCat("couldn't create key for object ", what)),
                 kKeyErrorTag);
}

// client-go wraps these with %v: the message is kept, the error chain is not.
absl::Status Rewrap(const absl::Status& cause, absl::string_view prefix) {
  return absl::Status(cause.code(), absl::StrCat(prefix, ": ", cause.message()));
}

// The object a tombstone for `item` should carry (D5 step 2): a queued
// tombstone is unwrapped so tombstones never nest.
ObjectPtr TombstoneObjectOf(const Item& item) {
  if (item.is_object()) return item.object();
  if (item.is_tombstone()) return item.tombstone().obj;
  return nullptr;
}

// D3: only the last two deltas are compared; two Deleted collapse into the
// older one unless the older one is an inferred (tombstone) deletion.
void DedupLastTwo(Deltas& deltas) {
  const size_t n = deltas.size();
  if (n < 2) return;
  Delta& older = deltas[n - 2];
  Delta& newer = deltas[n - 1];
  if (older.type != DeltaType::kDeleted || newer.type != DeltaType::kDeleted) return;
  if (older.object.is_tombstone()) older = std::move(newer);
  deltas.pop_back();
}

}  // namespace

absl::Status RequeueError(absl::Status inner) {
  if (inner.ok()) {
    absl::Status status(absl::StatusCode::kAborted,
                        "the popped item should be requeued without returning an error");
    status.SetPayload(kRequeueTag, absl::Cord(kRequeueInnerOk));
    return status;
  }
  inner.SetPayload(kRequeueTag, absl::Cord(kRequeueInnerError));
  return inner;
}

bool IsRequeueError(const absl::Status& status) { return HasTag(status, kRequeueTag); }

absl::Status RequeueInner(const absl::Status& requeue) {
  const auto payload = requeue.GetPayload(kRequeueTag);
  if (!payload.has_value()) return requeue;
  if (*payload == kRequeueInnerOk) return absl::OkStatus();
  absl::Status inner = requeue;
  inner.ErasePayload(kRequeueTag);
  return inner;
}

// ---------------------------------------------------------------------------
// KeyedQueue

DeltaFIFO::KeyedQueue::KeyedQueue() = default;

DeltaFIFO::KeyedQueue::~KeyedQueue() {
  for (uint64_t seq = head_; seq != tail_; ++seq) EntryAt(seq).~Entry();
  CachedAllocator<Entry> allocator;
  for (Entry* block : blocks_) allocator.deallocate(block, kBlockSize);
  if (spare_ != nullptr) allocator.deallocate(spare_, kBlockSize);
}

uint32_t DeltaFIFO::KeyedQueue::HashKey(absl::string_view key) { return KeyHash(key); }

DeltaFIFO::KeyedQueue::Entry* DeltaFIFO::KeyedQueue::Find(absl::string_view key,
                                                          uint32_t hash) {
  return const_cast<Entry*>(std::as_const(*this).Find(key, hash));
}

const DeltaFIFO::KeyedQueue::Entry* DeltaFIFO::KeyedQueue::Find(absl::string_view key,
                                                                uint32_t hash) const {
  const std::optional<uint32_t> low =
      index_.Find(hash, [&](uint32_t low) { return EqualBytes(EntryAt(FullSeq(low)).key, key); });
  return low.has_value() ? &EntryAt(FullSeq(*low)) : nullptr;
}

DeltaFIFO::KeyedQueue::Entry& DeltaFIFO::KeyedQueue::FindOrAppend(absl::string_view key,
                                                                  uint32_t hash,
                                                                  bool* added) {
  const uint64_t seq = tail_;
  bool inserted = false;
  // One probe for both the lookup and the insertion. The new slot's entry is
  // constructed right after; nothing compares against it before then.
  const uint32_t low = index_.FindOrInsert(
      hash, static_cast<uint32_t>(seq),
      [&](uint32_t low) { return EqualBytes(EntryAt(FullSeq(low)).key, key); }, &inserted);
  *added = inserted;
  if (!inserted) return EntryAt(FullSeq(low));
  assert(size() < (uint64_t{1} << 32) - 1);
  if ((seq >> kBlockBits) - first_block_ == blocks_.size()) {
    Entry* block = spare_;
    spare_ = nullptr;
    if (block == nullptr) block = CachedAllocator<Entry>().allocate(kBlockSize);
    blocks_.push_back(block);
  }
  Entry* entry =
      new (&EntryAt(seq)) Entry{ShortString(key), hash, /*replace_stamp=*/0, {}};
  // New keys fill the block in order: ask for the lines a few entries ahead
  // now, so their first write does not wait for memory.
  constexpr uint64_t kAhead = 4;
  if (((seq + kAhead) & (kBlockSize - 1)) >= kAhead) {
    const char* ahead = reinterpret_cast<const char*>(&EntryAt(seq + kAhead));
    __builtin_prefetch(ahead, 1);
    __builtin_prefetch(ahead + 64, 1);
  }
  ++tail_;
  return *entry;
}

void DeltaFIFO::KeyedQueue::Reserve(size_t n) { index_.Reserve(n); }

DeltaFIFO::KeyedQueue::Entry& DeltaFIFO::KeyedQueue::PopFront() {
  assert(!empty());
  // Releasing a popped key's objects waits for their reference counts, which
  // are long out of the cache when a queue is drained: start loading those
  // of the key a few pops ahead, so the waits overlap instead of adding up.
  constexpr uint64_t kPopAhead = 8;
  constexpr size_t kMaxPrefetched = 16;
  if (size() > kPopAhead) {
    const Deltas& ahead = EntryAt(head_ + kPopAhead).deltas;
    const size_t n = std::min(ahead.size(), kMaxPrefetched);
    for (size_t i = 0; i < n; ++i) PrefetchReferenceCount(ahead[i].object);
  }
  Entry& entry = EntryAt(head_);
  index_.Erase(entry.hash, static_cast<uint32_t>(head_));
  ++head_;
  return entry;
}

void DeltaFIFO::KeyedQueue::DestroyPopped(Entry& entry) {
  assert(&entry == &EntryAt(head_ - 1));
  entry.~Entry();
  // The head left its block: the block goes to spare_ (or back to the cache).
  // Until now first_block_ still named it, so EntryAt(head_ - 1) held.
  if ((head_ & (kBlockSize - 1)) == 0) {
    Entry* drained = blocks_.front();
    blocks_.erase(blocks_.begin());
    ++first_block_;
    if (spare_ == nullptr) {
      spare_ = drained;
    } else {
      CachedAllocator<Entry>().deallocate(drained, kBlockSize);
    }
  }
}

// ---------------------------------------------------------------------------
// DeltaFIFO

DeltaFIFO::DeltaFIFO(DeltaFIFOOptions options)
    : key_function_(options.key_function ? std::move(options.key_function)
                                         : KeyFunc(MetaNamespaceKeyFunc)),
      known_objects_(options.known_objects),
      emit_delta_type_replaced_(options.emit_delta_type_replaced),
      transformer_(std::move(options.transformer)),
      legacy_requeue_(options.legacy_requeue),
      meta_namespace_keys_(IsMetaNamespaceKeyFunc(key_function_)) {}

DeltaFIFO::~DeltaFIFO() = default;

absl::StatusOr<std::string> DeltaFIFO::KeyOf(const Item& obj) const {
  if (obj.is_tombstone()) return obj.tombstone().key;
  if (meta_namespace_keys_) {
    std::string key;
    if (MetaNamespaceKeyInto(obj, &key)) return key;
  }
  return key_function_(obj);
}

absl::StatusOr<std::string> DeltaFIFO::KeyOf(const Deltas& deltas) const {
  if (deltas.empty()) return DeltasKeyError(deltas, ZeroLengthDeltasError());
  return KeyOf(deltas.back().object);
}

void DeltaFIFO::CheckSyncedLocked() {
  if (!synced_ && populated_ && initial_population_count_ == 0) synced_ = true;
}

// Inlined: every add calls it, and it nearly always does nothing.
ABSL_ATTRIBUTE_ALWAYS_INLINE inline void DeltaFIFO::WakeWaitersLocked() {
  if (waiters_ > 0) cond_.SignalAll();
  // Every caller has just queued something: an empty -> non-empty edge
  // unless the hook was already told.
  if (!queue_.empty()) ready_.NonEmpty();
}

DeltaFIFO::KeyedQueue::Entry& DeltaFIFO::AppendDeltaLocked(DeltaType type, Item&& obj,
                                                           absl::string_view key) {
  const uint32_t hash = KeyedQueue::HashKey(key);
  bool added = false;
  KeyedQueue::Entry& entry = queue_.FindOrAppend(key, hash, &added);
  entry.deltas.push_back(Delta{type, std::move(obj)});
  // Only a Deleted delta can collapse into the one before it.
  if (type == DeltaType::kDeleted) DedupLastTwo(entry.deltas);
  WakeWaitersLocked();
  return entry;
}

absl::Status DeltaFIFO::Transform(Item* obj) const {
  // D3: tombstones were transformed when first queued.
  if (!transformer_ || obj->is_tombstone()) return absl::OkStatus();
  absl::StatusOr<Item> transformed = transformer_(std::move(*obj));
  if (!transformed.ok()) return transformed.status();
  *obj = *std::move(transformed);
  return absl::OkStatus();
}

// Inlined into its callers: the add path of every queue write.
ABSL_ATTRIBUTE_ALWAYS_INLINE inline absl::Status DeltaFIFO::QueueActionLocked(
    DeltaType type, Item&& obj, absl::string_view key, bool transform) {
  // The common case, no transformer, without a call.
  if (transform && transformer_) {
    absl::Status transformed = Transform(&obj);
    if (!transformed.ok()) return transformed;
  }
  AppendDeltaLocked(type, std::move(obj), key);
  return absl::OkStatus();
}

// Inlined into Add and Update, which only forward to it.
ABSL_ATTRIBUTE_ALWAYS_INLINE inline absl::Status DeltaFIFO::AddOrUpdate(DeltaType type,
                                                                        Item&& obj) {
  MutexLock lock(&mu_);
  populated_ = true;  // D2
  CheckSyncedLocked();
  // The key is still computed for every call; a short K1/K2 key is written
  // on the stack, since the queue copies it only if the key is new.
  StackKey stack_key;
  if (meta_namespace_keys_ && stack_key.Build(obj)) {
    return QueueActionLocked(type, std::move(obj), stack_key.view(), true);
  }
  absl::StatusOr<std::string> key = KeyOf(obj);
  if (!key.ok()) return KeyError(obj, key.status());
  return QueueActionLocked(type, std::move(obj), *key, true);
}

absl::Status DeltaFIFO::Add(Item obj) { return AddOrUpdate(DeltaType::kAdded, std::move(obj)); }

absl::Status DeltaFIFO::Update(Item obj) {
  return AddOrUpdate(DeltaType::kUpdated, std::move(obj));
}

absl::Status DeltaFIFO::Delete(Item obj) {
  // D4: a key error leaves `populated` untouched.
  absl::StatusOr<std::string> key = KeyOf(obj);
  if (!key.ok()) return KeyError(obj, key.status());
  MutexLock lock(&mu_);
  populated_ = true;
  CheckSyncedLocked();
  // A queued key is deleted whatever the known objects say, so the lookup
  // (which client-go always makes) is skipped for it.
  const bool queued = queue_.Find(*key, KeyedQueue::HashKey(*key)) != nullptr;
  if (!queued) {
    if (known_objects_ == nullptr) return absl::OkStatus();
    // Only a lookup that succeeds and finds nothing proves the key unknown;
    // a failed lookup queues the deletion.
    absl::StatusOr<std::optional<Item>> known = known_objects_->GetByKey(*key);
    if (known.ok() && !known->has_value()) return absl::OkStatus();
  }
  return QueueActionLocked(DeltaType::kDeleted, std::move(obj), *key, true);
}

absl::Status DeltaFIFO::Replace(std::vector<Item> list,
                                absl::string_view /*resource_version*/) {
  MutexLock lock(&mu_);
  const DeltaType action =
      emit_delta_type_replaced_ ? DeltaType::kReplaced : DeltaType::kSync;
  // Keys of this Replace's list are stamped instead of collected in a set.
  const uint64_t stamp = ++replace_stamp_;
  int64_t distinct_keys = 0;
  queue_.Reserve(queue_.size() + list.size());

  // Step 1: the list, in order. Transformed even when emitted as Sync.
  for (Item& item : list) {
    absl::StatusOr<std::string> key = KeyOf(item);
    if (!key.ok()) return KeyError(item, key.status());
    absl::Status transformed = Transform(&item);
    if (!transformed.ok()) return Rewrap(transformed, "couldn't enqueue object");
    KeyedQueue::Entry& entry = AppendDeltaLocked(action, std::move(item), *key);
    if (entry.replace_stamp != stamp) {
      entry.replace_stamp = stamp;
      ++distinct_keys;
    }
  }

  // Step 2: queued keys absent from the list get a tombstone of their newest
  // state. Appending to an already-queued key never reorders the queue, so
  // walking it while appending is safe.
  int64_t queued_deletions = 0;
  queue_.ForEachMutable([&](KeyedQueue::Entry& entry) {
    if (entry.replace_stamp == stamp) return;
    ObjectPtr last = TombstoneObjectOf(entry.deltas.back().object);
    entry.deltas.push_back(
        Delta{DeltaType::kDeleted, Item::Tombstone(entry.key.str(), std::move(last))});
    DedupLastTwo(entry.deltas);
    ++queued_deletions;
  });
  if (queued_deletions > 0) WakeWaitersLocked();

  // Step 3: known keys absent from the list and with nothing queued. Every
  // list key is queued by now, so "queued" covers both conditions.
  if (known_objects_ != nullptr) {
    for (std::string& key : known_objects_->ListKeys()) {
      if (queue_.Find(key, KeyedQueue::HashKey(key)) != nullptr) continue;
      absl::StatusOr<std::optional<Item>> known = known_objects_->GetByKey(key);
      ObjectPtr last;
      if (known.ok() && known->has_value()) last = TombstoneObjectOf(**known);
      Item tombstone = Item::Tombstone(key, std::move(last));
      AppendDeltaLocked(DeltaType::kDeleted, std::move(tombstone), key);
      ++queued_deletions;
    }
  }

  // Step 4.
  if (!populated_) {
    populated_ = true;
    initial_population_count_ = distinct_keys + queued_deletions;
    CheckSyncedLocked();
  }
  return absl::OkStatus();
}

absl::Status DeltaFIFO::Resync() {
  MutexLock lock(&mu_);
  if (known_objects_ == nullptr) return absl::OkStatus();
  for (const std::string& known_key : known_objects_->ListKeys()) {
    absl::StatusOr<std::optional<Item>> known = known_objects_->GetByKey(known_key);
    if (!known.ok() || !known->has_value()) continue;  // client-go logs and skips
    Item obj = **std::move(known);
    absl::StatusOr<std::string> key = KeyOf(obj);
    if (!key.ok()) return KeyError(obj, key.status());  // aborts the resync
    // Keys with queued deltas are skipped: the known object may be older
    // than what is queued.
    if (queue_.Find(*key, KeyedQueue::HashKey(*key)) != nullptr) continue;
    AppendDeltaLocked(DeltaType::kSync, std::move(obj), *key);
  }
  return absl::OkStatus();
}

absl::Status DeltaFIFO::AddIfNotPresent(Deltas deltas) {
  absl::StatusOr<std::string> key = KeyOf(deltas);
  if (!key.ok()) return DeltasKeyError(deltas, key.status());
  MutexLock lock(&mu_);
  AddIfNotPresentLocked(*std::move(key), std::move(deltas));
  return absl::OkStatus();
}

void DeltaFIFO::AddIfNotPresentLocked(std::string key, Deltas deltas) {
  assert(!deltas.empty());
  populated_ = true;
  CheckSyncedLocked();
  const uint32_t hash = KeyedQueue::HashKey(key);
  if (queue_.Find(key, hash) != nullptr) return;
  bool added = false;
  KeyedQueue::Entry& entry = queue_.FindOrAppend(key, hash, &added);
  assert(added);
  entry.deltas = std::move(deltas);
  WakeWaitersLocked();
}

PopResult DeltaFIFO::PopLocked(PopProcessFunc process, Deltas* popped) {
  assert(!queue_.empty());
  // D8: computed before the count is decremented.
  const bool is_in_initial_list = !synced_;
  // The popped Deltas are processed where they lie and destroyed with their
  // entry: no move out, no moved-from husk to destroy.
  KeyedQueue::Entry& entry = queue_.PopFront();
  if (queue_.empty()) ready_.Emptied();
  if (initial_population_count_ > 0) --initial_population_count_;

  PopResult result;
  result.outcome = PopOutcome::kPopped;
  result.process_status = process(entry.deltas, is_in_initial_list);
  if (legacy_requeue_ && IsRequeueError(result.process_status)) {
    // D9: back at the tail, unless the key was queued again meanwhile.
    result.process_status = RequeueInner(result.process_status);
    if (popped != nullptr) *popped = entry.deltas;
    std::string key = entry.key.str();
    Deltas deltas = std::move(entry.deltas);
    queue_.DestroyPopped(entry);
    AddIfNotPresentLocked(std::move(key), std::move(deltas));
    CheckSyncedLocked();
    return result;
  }
  CheckSyncedLocked();  // only now: "synced after processing"
  if (popped != nullptr) *popped = std::move(entry.deltas);
  queue_.DestroyPopped(entry);
  return result;
}

// Inlined into both forms of Pop and TryPop: a pop is a few hundred
// instructions, and a forwarding call was one of its larger parts.
ABSL_ATTRIBUTE_ALWAYS_INLINE inline PopResult DeltaFIFO::WaitAndPop(PopProcessFunc process,
                                                                    Deltas* popped) {
  MutexLock lock(&mu_);
  while (queue_.empty()) {
    if (closed_) return PopResult{PopOutcome::kClosed, absl::OkStatus()};
    ++waiters_;
    cond_.Wait(&mu_);
    --waiters_;
  }
  return PopLocked(process, popped);
}

ABSL_ATTRIBUTE_ALWAYS_INLINE inline PopResult DeltaFIFO::PopIfAny(PopProcessFunc process,
                                                                  Deltas* popped) {
  MutexLock lock(&mu_);
  if (queue_.empty()) {
    return PopResult{closed_ ? PopOutcome::kClosed : PopOutcome::kEmpty,
                     absl::OkStatus()};
  }
  return PopLocked(process, popped);
}

PopResult DeltaFIFO::Pop(PopProcessFunc process) { return WaitAndPop(process, nullptr); }

PopResult DeltaFIFO::TryPop(PopProcessFunc process) { return PopIfAny(process, nullptr); }

PopResult DeltaFIFO::Pop(PopProcessFunc process, Deltas* popped) {
  return WaitAndPop(process, popped);
}

PopResult DeltaFIFO::TryPop(PopProcessFunc process, Deltas* popped) {
  return PopIfAny(process, popped);
}

bool DeltaFIFO::HasSynced() const {
  MutexLock lock(&mu_);
  return synced_;
}

void DeltaFIFO::Close() {
  MutexLock lock(&mu_);
  closed_ = true;
  cond_.SignalAll();
  ready_.Closed();
}

void DeltaFIFO::SetReadyCallback(std::function<void()> on_ready) {
  MutexLock lock(&mu_);
  ready_.Install(std::move(on_ready), !queue_.empty());
}

bool DeltaFIFO::IsClosed() const {
  MutexLock lock(&mu_);
  return closed_;
}

std::vector<Item> DeltaFIFO::List() const {
  MutexLock lock(&mu_);
  std::vector<Item> out;
  out.reserve(queue_.size());
  queue_.ForEach([&](const KeyedQueue::Entry& e) { out.push_back(e.deltas.back().object); });
  return out;
}

std::vector<std::string> DeltaFIFO::ListKeys() const {
  MutexLock lock(&mu_);
  std::vector<std::string> out;
  out.reserve(queue_.size());
  queue_.ForEach([&](const KeyedQueue::Entry& e) { out.emplace_back(e.key.view()); });
  return out;
}

absl::StatusOr<std::optional<Deltas>> DeltaFIFO::GetDeltas(const Item& obj) const {
  absl::StatusOr<std::string> key = KeyOf(obj);
  if (!key.ok()) return KeyError(obj, key.status());
  return GetDeltasByKey(*key);
}

std::optional<Deltas> DeltaFIFO::GetDeltasByKey(absl::string_view key) const {
  MutexLock lock(&mu_);
  const KeyedQueue::Entry* entry = queue_.Find(key, KeyedQueue::HashKey(key));
  if (entry == nullptr) return std::nullopt;
  return entry->deltas;
}

size_t DeltaFIFO::size() const {
  MutexLock lock(&mu_);
  return queue_.size();
}

bool DeltaFIFO::HasPending() const {
  MutexLock lock(&mu_);
  return !queue_.empty();
}

}  // namespace informersim
