#include "core/fifo.h"

#include <algorithm>
#include <utility>

#include "absl/container/flat_hash_set.h"

namespace informersim {

FIFO::FIFO(KeyFunc key_function)
    : key_function_(key_function ? std::move(key_function) : KeyFunc(MetaNamespaceKeyFunc)) {}

void FIFO::CheckSyncedLocked() {
  if (populated_ && initial_population_count_ == 0) synced_ = true;
}

absl::Status FIFO::Add(Item obj) {
  absl::StatusOr<std::string> key = key_function_(obj);
  if (!key.ok()) return KeyError(obj, key.status());
  MutexLock lock(&mu_);
  populated_ = true;
  CheckSyncedLocked();
  auto [it, inserted] = items_.try_emplace(*std::move(key), std::move(obj));
  if (inserted) {
    queue_.push_back(it->first);
  } else {
    it->second = std::move(obj);  // F1: latest only, position kept
  }
  WakeLocked();
  return absl::OkStatus();
}

absl::Status FIFO::Update(Item obj) { return Add(std::move(obj)); }

absl::Status FIFO::Delete(Item obj) {
  absl::StatusOr<std::string> key = key_function_(obj);
  if (!key.ok()) return KeyError(obj, key.status());
  MutexLock lock(&mu_);
  populated_ = true;
  CheckSyncedLocked();
  // F2: the queue entry stays; Pop skips it.
  items_.erase(*key);
  return absl::OkStatus();
}

absl::Status FIFO::Replace(std::vector<Item> list, absl::string_view /*resource_version*/) {
  // Keys first, outside the lock: a KeyError applies nothing.
  absl::flat_hash_map<std::string, Item> items;
  items.reserve(list.size());
  std::deque<std::string> queue;
  for (Item& obj : list) {
    absl::StatusOr<std::string> key = key_function_(obj);
    if (!key.ok()) return KeyError(obj, key.status());
    auto [it, inserted] = items.insert_or_assign(*std::move(key), std::move(obj));
    if (inserted) queue.push_back(it->first);  // duplicates: last object wins
  }

  MutexLock lock(&mu_);
  if (!populated_) {
    populated_ = true;
    initial_population_count_ = static_cast<int64_t>(items.size());  // F5
    CheckSyncedLocked();
  }
  items_ = std::move(items);
  queue_ = std::move(queue);
  WakeLocked();
  return absl::OkStatus();
}

absl::Status FIFO::Resync() {
  MutexLock lock(&mu_);
  absl::flat_hash_set<absl::string_view> in_queue(queue_.begin(), queue_.end());
  std::vector<std::string> missing;
  for (const auto& [key, obj] : items_) {
    if (!in_queue.contains(key)) missing.push_back(key);
  }
  // Sorted, so the result does not depend on hash-map order.
  std::sort(missing.begin(), missing.end());
  for (std::string& key : missing) queue_.push_back(std::move(key));
  WakeLocked();
  return absl::OkStatus();
}

PopResult FIFO::PopItemImpl(ItemProcessFunc process, bool block) {
  MutexLock lock(&mu_);
  // Set once an initial-list entry was consumed; the sync check then runs
  // after the callback (F5), or before waiting if only skipped entries were
  // consumed (see the header).
  bool check_synced = false;
  for (;;) {
    while (queue_.empty()) {
      if (check_synced) {
        CheckSyncedLocked();
        check_synced = false;
      }
      if (closed_) return PopResult{PopOutcome::kClosed, absl::OkStatus()};
      if (!block) return PopResult{PopOutcome::kEmpty, absl::OkStatus()};
      ++waiters_;
      cond_.Wait(&mu_);
      --waiters_;
    }
    const bool is_in_initial_list = !synced_;
    std::string key = std::move(queue_.front());
    queue_.pop_front();
    if (queue_.empty()) ready_.Emptied();
    // Every entry counts, even one whose object was deleted meanwhile.
    if (initial_population_count_ > 0) {
      --initial_population_count_;
      check_synced = true;
    }
    auto it = items_.find(key);
    if (it == items_.end()) continue;  // F2: deleted after it was queued
    Item obj = std::move(it->second);
    items_.erase(it);
    absl::Status status = process(obj, is_in_initial_list);
    if (check_synced) CheckSyncedLocked();
    return PopResult{PopOutcome::kPopped, std::move(status)};
  }
}

PopResult FIFO::PopItem(ItemProcessFunc process) { return PopItemImpl(process, true); }

PopResult FIFO::TryPopItem(ItemProcessFunc process) { return PopItemImpl(process, false); }

namespace {

// Queue::Pop's view of a FIFO item: see the header.
absl::Status ProcessAsDeltas(PopProcessFunc process, const Item& obj,
                             bool is_in_initial_list) {
  Deltas deltas;
  deltas.push_back(Delta{DeltaType::kUpdated, obj});
  return process(deltas, is_in_initial_list);
}

}  // namespace

PopResult FIFO::Pop(PopProcessFunc process) {
  return PopItem([process](const Item& obj, bool is_in_initial_list) {
    return ProcessAsDeltas(process, obj, is_in_initial_list);
  });
}

PopResult FIFO::TryPop(PopProcessFunc process) {
  return TryPopItem([process](const Item& obj, bool is_in_initial_list) {
    return ProcessAsDeltas(process, obj, is_in_initial_list);
  });
}

bool FIFO::HasSynced() const {
  MutexLock lock(&mu_);
  return synced_;
}

void FIFO::Close() {
  MutexLock lock(&mu_);
  closed_ = true;
  cond_.SignalAll();
  ready_.Closed();
}

void FIFO::WakeLocked() {
  if (queue_.empty()) {
    ready_.Emptied();  // Replace may have emptied it
    return;
  }
  if (waiters_ > 0) cond_.SignalAll();
  ready_.NonEmpty();
}

void FIFO::SetReadyCallback(std::function<void()> on_ready) {
  MutexLock lock(&mu_);
  ready_.Install(std::move(on_ready), !queue_.empty());
}

bool FIFO::IsClosed() const {
  MutexLock lock(&mu_);
  return closed_;
}

std::vector<Item> FIFO::List() const {
  MutexLock lock(&mu_);
  std::vector<Item> list;
  list.reserve(items_.size());
  for (const auto& [key, obj] : items_) list.push_back(obj);
  return list;
}

std::vector<std::string> FIFO::ListKeys() const {
  MutexLock lock(&mu_);
  std::vector<std::string> keys;
  keys.reserve(items_.size());
  for (const auto& [key, obj] : items_) keys.push_back(key);
  return keys;
}

absl::StatusOr<std::optional<Item>> FIFO::Get(const Item& obj) const {
  absl::StatusOr<std::string> key = key_function_(obj);
  if (!key.ok()) return KeyError(obj, key.status());
  return GetByKey(*key);
}

absl::StatusOr<std::optional<Item>> FIFO::GetByKey(absl::string_view key) const {
  MutexLock lock(&mu_);
  auto it = items_.find(key);
  if (it == items_.end()) return std::optional<Item>();
  return std::optional<Item>(it->second);
}

size_t FIFO::size() const {
  MutexLock lock(&mu_);
  return queue_.size();
}

}  // namespace informersim
