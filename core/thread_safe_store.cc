#include "core/thread_safe_store.h"

#include <algorithm>
#include <cassert>
#include <utility>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "core/errors.h"

namespace informersim {
namespace {

// Go's %q for the printable ASCII that keys and index names are made of.
std::string Quote(absl::string_view s) {
  return absl::StrCat("\"", absl::CHexEscape(s), "\"");
}

// I2, reported instead of client-go's panic.
absl::Status IndexError(absl::string_view key, absl::string_view index_name,
                        const absl::Status& cause) {
  return Wrap(cause, absl::StrCat("unable to calculate an index entry for key ",
                                  Quote(key), " on index ", Quote(index_name)));
}

absl::Status NoSuchIndexError(absl::string_view index_name) {
  return absl::NotFoundError(
      absl::StrCat("Index with name ", index_name, " does not exist"));
}

struct NamedFunc {
  const std::string* name;
  const IndexFunc* func;
};

// Indexes every item with funcs[j] into (*maps)[j]. When items fail, the
// failure with the smallest key (then the first function) is returned, so
// the report does not depend on map order; the maps are then unspecified.
absl::Status IndexAll(const ItemMap& items, const std::vector<NamedFunc>& funcs,
                      std::vector<IndexMap>* maps) {
  assert(maps->size() == funcs.size());
  std::vector<std::string> values;
  const std::string* failed_key = nullptr;
  absl::Status failure;
  for (const auto& [key, item] : items) {
    if (failed_key != nullptr && key >= *failed_key) continue;
    for (size_t j = 0; j < funcs.size(); ++j) {
      values.clear();
      absl::Status status = (*funcs[j].func)(item, &values);
      if (!status.ok()) {
        failed_key = &key;
        failure = IndexError(key, *funcs[j].name, status);
        break;
      }
      if (failed_key != nullptr) continue;  // only looking for errors now
      IndexMap& map = (*maps)[j];
      for (std::string& value : values) map[std::move(value)].insert(key);
    }
  }
  return failure;
}

}  // namespace

ThreadSafeStore::ThreadSafeStore(Indexers indexers, ThreadSafeStoreOptions options)
    : track_resource_version_(options.track_resource_version) {
  MutexLock lock(&mu_);
  indexes_.reserve(indexers.size());
  // std::map iterates by name, so indexes_ comes out sorted.
  for (auto& [name, func] : indexers) {
    assert(func != nullptr);
    indexes_.push_back(IndexState{name, std::move(func), {}, {}, {}});
  }
}

absl::Status ThreadSafeStore::ComputeValuesLocked(absl::string_view key,
                                                  const Item* old_obj,
                                                  const Item* new_obj) {
  for (IndexState& index : indexes_) {
    index.old_values.clear();
    index.new_values.clear();
    if (old_obj != nullptr) {
      absl::Status status = index.func(*old_obj, &index.old_values);
      if (!status.ok()) return IndexError(key, index.name, status);
    }
    if (new_obj != nullptr) {
      absl::Status status = index.func(*new_obj, &index.new_values);
      if (!status.ok()) return IndexError(key, index.name, status);
    }
  }
  return absl::OkStatus();
}

void ThreadSafeStore::ApplyValuesLocked(const std::string& key) {
  for (IndexState& index : indexes_) {
    // I1 fast path (widened): the same values map the key to the same sets.
    if (index.old_values == index.new_values) continue;
    for (const std::string& value : index.old_values) {
      auto it = index.map.find(value);
      if (it == index.map.end()) continue;
      it->second.erase(key);
      // I1: an empty set is dropped, or short-lived values would pile up.
      if (it->second.empty()) index.map.erase(it);
    }
    for (std::string& value : index.new_values) {
      index.map[std::move(value)].insert(key);
    }
  }
}

absl::Status ThreadSafeStore::UpdateLocked(std::string key, Item obj) {
  // One hash and probe for both cases: a new key gets a null slot at once,
  // which is taken back if the index functions fail (nobody else can see it
  // while the lock is held).
  auto [it, inserted] = items_.try_emplace(std::move(key));
  absl::Status status = ComputeValuesLocked(it->first, inserted ? nullptr : &it->second, &obj);
  if (!status.ok()) {
    if (inserted) items_.erase(it);
    return status;
  }
  // Nothing below can fail: the write is applied whole.
  ApplyValuesLocked(it->first);
  it->second = std::move(obj);
  return absl::OkStatus();
}

absl::Status ThreadSafeStore::DeleteLocked(absl::string_view key) {
  auto it = items_.find(key);
  if (it == items_.end()) return absl::OkStatus();  // S2
  absl::Status status = ComputeValuesLocked(key, &it->second, nullptr);
  if (!status.ok()) return status;
  ApplyValuesLocked(it->first);
  items_.erase(it);
  return absl::OkStatus();
}

void ThreadSafeStore::SetResourceVersionLocked(const Item& obj) {
  // S5: only objects with meta carry a version.
  if (const api::ObjectMeta* meta = obj.meta(); meta != nullptr) {
    resource_version_.assign(meta->resource_version());
  }
}

absl::Status ThreadSafeStore::Add(std::string key, Item obj) {
  return Update(std::move(key), std::move(obj));  // S1
}

absl::Status ThreadSafeStore::Update(std::string key, Item obj) {
  // Keep a handle on the object: `obj` is moved into the map below.
  const api::ObjectMeta* meta = obj.meta();
  MutexLock lock(&mu_);
  absl::Status status = UpdateLocked(std::move(key), std::move(obj));
  if (!status.ok()) return status;
  if (meta != nullptr) resource_version_.assign(meta->resource_version());
  return absl::OkStatus();
}

absl::Status ThreadSafeStore::Delete(absl::string_view key) {
  MutexLock lock(&mu_);
  return DeleteLocked(key);
}

absl::Status ThreadSafeStore::DeleteWithObject(absl::string_view key, const Item& obj) {
  MutexLock lock(&mu_);
  absl::Status status = DeleteLocked(key);
  if (!status.ok()) return status;
  SetResourceVersionLocked(obj);
  return absl::OkStatus();
}

std::optional<Item> ThreadSafeStore::Get(absl::string_view key) const {
  MutexLock lock(&mu_);
  auto it = items_.find(key);
  if (it == items_.end()) return std::nullopt;
  return it->second;
}

std::vector<Item> ThreadSafeStore::List() const {
  MutexLock lock(&mu_);
  std::vector<Item> list;
  list.reserve(items_.size());
  for (const auto& entry : items_) list.push_back(entry.second);
  return list;
}

std::vector<std::string> ThreadSafeStore::ListKeys() const {
  MutexLock lock(&mu_);
  std::vector<std::string> keys;
  keys.reserve(items_.size());
  for (const auto& entry : items_) keys.push_back(entry.first);
  return keys;
}

absl::Status ThreadSafeStore::Replace(ItemMap items, absl::string_view resource_version) {
  MutexLock lock(&mu_);
  std::vector<NamedFunc> funcs;
  funcs.reserve(indexes_.size());
  for (const IndexState& index : indexes_) funcs.push_back({&index.name, &index.func});
  std::vector<IndexMap> maps(indexes_.size());
  absl::Status status = IndexAll(items, funcs, &maps);
  if (!status.ok()) return status;  // all or nothing (I2)
  items_ = std::move(items);
  for (size_t j = 0; j < indexes_.size(); ++j) indexes_[j].map = std::move(maps[j]);
  resource_version_.assign(resource_version.data(), resource_version.size());
  return absl::OkStatus();
}

const ThreadSafeStore::IndexState* ThreadSafeStore::FindIndexLocked(
    absl::string_view name) const {
  // A handful of indexes at most: a scan beats hashing the name.
  for (const IndexState& index : indexes_) {
    if (index.name == name) return &index;
  }
  return nullptr;
}

std::vector<Item> ThreadSafeStore::ItemsOfLocked(const KeySet* keys) const {
  std::vector<Item> list;
  if (keys == nullptr) return list;
  list.reserve(keys->size());
  for (const std::string& key : *keys) {
    auto it = items_.find(key);
    assert(it != items_.end());
    list.push_back(it->second);
  }
  return list;
}

absl::StatusOr<std::vector<Item>> ThreadSafeStore::Index(absl::string_view index_name,
                                                         const Item& obj) const {
  MutexLock lock(&mu_);
  const IndexState* index = FindIndexLocked(index_name);
  if (index == nullptr) return NoSuchIndexError(index_name);
  std::vector<std::string> values;
  absl::Status status = index->func(obj, &values);
  if (!status.ok()) return status;  // I3: returned as is
  if (values.size() == 1) {
    auto it = index->map.find(values[0]);
    return ItemsOfLocked(it == index->map.end() ? nullptr : &it->second);
  }
  // Several values may share keys: de-duplicate.
  absl::flat_hash_set<absl::string_view> keys;
  for (const std::string& value : values) {
    auto it = index->map.find(value);
    if (it == index->map.end()) continue;
    for (const std::string& key : it->second) keys.insert(key);
  }
  std::vector<Item> list;
  list.reserve(keys.size());
  for (absl::string_view key : keys) list.push_back(items_.find(key)->second);
  return list;
}

absl::StatusOr<std::vector<std::string>> ThreadSafeStore::IndexKeys(
    absl::string_view index_name, absl::string_view indexed_value) const {
  MutexLock lock(&mu_);
  const IndexState* index = FindIndexLocked(index_name);
  if (index == nullptr) return NoSuchIndexError(index_name);
  std::vector<std::string> keys;
  auto it = index->map.find(indexed_value);
  if (it == index->map.end()) return keys;
  keys.assign(it->second.begin(), it->second.end());
  std::sort(keys.begin(), keys.end());  // I5
  return keys;
}

std::vector<std::string> ThreadSafeStore::ListIndexFuncValues(
    absl::string_view index_name) const {
  MutexLock lock(&mu_);
  std::vector<std::string> values;
  const IndexState* index = FindIndexLocked(index_name);
  if (index == nullptr) return values;  // I6
  values.reserve(index->map.size());
  for (const auto& entry : index->map) values.push_back(entry.first);
  return values;
}

absl::StatusOr<std::vector<Item>> ThreadSafeStore::ByIndex(
    absl::string_view index_name, absl::string_view indexed_value) const {
  MutexLock lock(&mu_);
  const IndexState* index = FindIndexLocked(index_name);
  if (index == nullptr) return NoSuchIndexError(index_name);
  auto it = index->map.find(indexed_value);
  return ItemsOfLocked(it == index->map.end() ? nullptr : &it->second);
}

Indexers ThreadSafeStore::GetIndexers() const {
  MutexLock lock(&mu_);
  Indexers indexers;
  for (const IndexState& index : indexes_) indexers.emplace(index.name, index.func);
  return indexers;
}

absl::Status ThreadSafeStore::AddIndexers(Indexers new_indexers) {
  MutexLock lock(&mu_);
  std::vector<absl::string_view> conflicts;
  for (const auto& entry : new_indexers) {
    assert(entry.second != nullptr);
    if (FindIndexLocked(entry.first) != nullptr) conflicts.push_back(entry.first);
  }
  if (!conflicts.empty()) {
    // I7, in the shape Go prints the conflicting name set.
    return absl::AlreadyExistsError(absl::StrCat(
        "indexer conflict: map[",
        absl::StrJoin(conflicts, " ",
                      [](std::string* out, absl::string_view name) {
                        absl::StrAppend(out, name, ":{}");
                      }),
        "]"));
  }
  std::vector<NamedFunc> funcs;
  funcs.reserve(new_indexers.size());
  for (const auto& entry : new_indexers) funcs.push_back({&entry.first, &entry.second});
  std::vector<IndexMap> maps(new_indexers.size());
  absl::Status status = IndexAll(items_, funcs, &maps);
  if (!status.ok()) return status;  // all or nothing (I2)
  size_t j = 0;
  for (auto& [name, func] : new_indexers) {
    indexes_.push_back(IndexState{name, std::move(func), std::move(maps[j++]), {}, {}});
  }
  std::sort(indexes_.begin(), indexes_.end(),
            [](const IndexState& a, const IndexState& b) { return a.name < b.name; });
  return absl::OkStatus();
}

void ThreadSafeStore::Bookmark(absl::string_view resource_version) {
  MutexLock lock(&mu_);
  resource_version_.assign(resource_version.data(), resource_version.size());
}

std::string ThreadSafeStore::LastStoreSyncResourceVersion() const {
  if (!track_resource_version_) return std::string();  // S5, AtomicFIFO off
  MutexLock lock(&mu_);
  return resource_version_;
}

std::vector<FailedTransaction> ThreadSafeStore::Transaction(
    std::vector<ThreadSafeStoreTransaction> txns) {
  std::vector<FailedTransaction> failed;
  if (txns.empty()) return failed;
  MutexLock lock(&mu_);
  // S5: the version of the last applied write, if its object has meta.
  std::string last_rv;
  bool last_has_meta = false;
  for (size_t i = 0; i < txns.size(); ++i) {
    ThreadSafeStoreTransaction& t = txns[i];
    // Still valid after the move below: the map then holds the object.
    const api::ObjectMeta* meta = t.txn.object.meta();
    absl::Status status;
    switch (t.txn.type) {
      case TransactionType::kAdd:
      case TransactionType::kUpdate:
        status = UpdateLocked(std::move(t.key), std::move(t.txn.object));
        break;
      case TransactionType::kDelete:
        status = DeleteLocked(t.key);
        break;
    }
    if (!status.ok()) {
      failed.push_back(FailedTransaction{i, std::move(status)});
      continue;
    }
    last_has_meta = meta != nullptr;
    if (last_has_meta) last_rv.assign(meta->resource_version());
  }
  if (last_has_meta) resource_version_ = std::move(last_rv);
  return failed;
}

Indices ThreadSafeStore::SnapshotIndices() const {
  MutexLock lock(&mu_);
  Indices indices;
  for (const IndexState& index : indexes_) indices.emplace(index.name, index.map);
  return indices;
}

}  // namespace informersim
