#include "core/thread_safe_store.h"

#include <algorithm>
#include <cassert>
#include <cstdint>
#include <map>
#include <memory>
#include <utility>

#include "absl/base/attributes.h"
#include "absl/base/optimization.h"
#include "absl/container/inlined_vector.h"
#include "absl/container/node_hash_map.h"
#include "absl/numeric/bits.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "core/block_cache.h"
#include "core/errors.h"
#include "core/id_set.h"
#include "core/key_index.h"
#include "core/short_bytes.h"

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

// Runs every index function of `states` (IndexState values, in order) on
// `obj` into its `values`; the first failure is the I2 error for `key`.
template <typename States>
absl::Status ComputeValues(absl::string_view key, const Item& obj, States* states) {
  for (auto& index : *states) {
    index.values.clear();
    absl::Status status = index.func(obj, &index.values);
    if (!status.ok()) return IndexError(key, index.name, status);
  }
  return absl::OkStatus();
}

}  // namespace

// The stored items and the index sets. Each item lives in an Entry named by
// a 32-bit id that is stable while the item is stored; entries sit in
// chunks that never move. `ids_` finds an id by key; each index value's
// Bucket holds the ids carrying that value; each Entry lists the value nodes
// it is in, grouped by index in index order, which is both its stored index
// values (no need to read the old object on a write) and the way to the sets
// to leave on a change or delete.
// Not thread-safe: ThreadSafeStore guards it. Neither copyable nor movable.
class ThreadSafeStore::Contents {
 public:
  struct Bucket {
    // Never empty while in a map (I1). Its table regrows as the bucket fills
    // and is freed with it: from the per-thread pool, so a store rebuilt with
    // the same shape reuses the blocks (core/small_block_pool.h).
    IdSet ids;
    uint32_t index = 0;                 // which index (position) it belongs to
    // Whether `sorted` and `items` below are current; beside the fields
    // every write reads, so checking them costs no extra cache line.
    mutable bool sorted_valid = false;
    mutable bool items_valid = false;
    uint64_t mark = 0;                  // == stamp_ while a write lists it
    // `ids` in ascending order, built by the first read after a change:
    // queries return items in id order (see AppendItems), and a bucket is
    // typically read many times between changes.
    mutable std::vector<uint32_t> sorted;
    // The items of `sorted`, kept by the first ByIndex after a change for
    // the reads that follow it (each then copies one array instead of
    // visiting every item's entry). Any change to the set or to one of its
    // items drops them at once, so they never keep a removed item alive.
    mutable std::vector<Item> items;

    const std::vector<uint32_t>& Sorted() const {
      if (!sorted_valid) {
        sorted.assign(ids.begin(), ids.end());
        std::sort(sorted.begin(), sorted.end());
        sorted_valid = true;
      }
      return sorted;
    }
  };
  // Nodes, so an Entry can point at its values' buckets. Hashed with
  // KeyHash: every write looks its index values up here, and those are short
  // strings (namespaces, label values), which KeyHash hashes in about half
  // absl::Hash's instructions. Iteration order is never observable (readers
  // sort).
  using ValueMap = absl::node_hash_map<std::string, Bucket, KeyHasher>;
  using ValueNode = ValueMap::value_type;
  // Two inline slots cost no more than one (the heap form's pointer and
  // capacity take two words either way) and cover two indexes with a
  // value each, the simulator's default, without an allocation per item.
  using NodeList = absl::InlinedVector<ValueNode*, 2>;
  static_assert(sizeof(NodeList) == sizeof(absl::InlinedVector<ValueNode*, 1>),
                "two inline slots must not grow the entry");

  static constexpr uint32_t kNoId = 0xffffffffu;
  static constexpr uint32_t kLive = 0xfffffffeu;

  struct Entry {
    ShortString key;
    Item item;
    NodeList values;
    // kLive while stored; otherwise the next id of the free list (or kNoId).
    uint32_t next_free = kNoId;
    bool live() const { return next_free == kLive; }
  };

  explicit Contents(size_t num_indexes)
      : maps_(num_indexes) {}
  Contents(const Contents&) = delete;
  Contents& operator=(const Contents&) = delete;

  // The key hash, computed once per write and kept in ids_.
  static uint32_t HashKey(absl::string_view key) { return KeyHash(key); }

  size_t size() const { return size_; }
  // Every id ever handed out is below this.
  uint32_t id_limit() const { return next_unused_; }
  Entry& entry(uint32_t id) { return const_cast<Entry&>(std::as_const(*this).entry(id)); }
  const Entry& entry(uint32_t id) const {
    // Chunk c holds ids [kFirstChunk * (2^c - 1), kFirstChunk * (2^(c+1) - 1)).
    const uint32_t scaled = (id >> kFirstChunkBits) + 1;
    const int c = absl::bit_width(scaled) - 1;
    return chunks_[c][id - ((uint32_t{1} << c) - 1) * kFirstChunk];
  }
  std::vector<ValueMap>& maps() { return maps_; }
  const std::vector<ValueMap>& maps() const { return maps_; }

  void Reserve(size_t n) {
    ids_.Reserve(n);
    while (capacity_ < n) AddChunk();
  }

  // The id stored under `key` (whose hash is `hash`), or kNoId.
  uint32_t Find(absl::string_view key, uint32_t hash) const {
    return ids_.Find(hash, [&](uint32_t id) { return EqualBytes(entry(id).key, key); })
        .value_or(kNoId);
  }

  // Stores a new item under `key` (copied), which must be absent, in no
  // index set yet.
  uint32_t Insert(absl::string_view key, uint32_t hash, Item&& item) {
    uint32_t id;
    if (free_head_ != kNoId) {
      id = free_head_;
      free_head_ = entry(id).next_free;
    } else {
      if (next_unused_ == capacity_) AddChunk();
      id = next_unused_++;
    }
    Entry& e = entry(id);
    e.key.assign(key);
    e.item = std::move(item);
    e.next_free = kLive;
    assert(Find(e.key, hash) == kNoId);
    ids_.Insert(hash, id);
    ++size_;
    return id;
  }

  // Removes a stored item from its index sets and the key table; its id goes
  // to the free list.
  void Erase(uint32_t id, uint32_t hash) {
    Entry& e = entry(id);
    for (ValueNode* node : e.values) LeaveSet(node, id);
    e.values.clear();
    ids_.Erase(hash, id);
    e.item = Item();
    e.key.clear();
    e.next_free = free_head_;
    free_head_ = id;
    --size_;
  }

  // True iff `states` (index j's values in states[j].values) are exactly the
  // stored values of `e`, in order: then an update changes no index (I1).
  template <typename States>
  bool SameValues(const Entry& e, const States& states) const {
    size_t p = 0;
    for (uint32_t j = 0; j < states.size(); ++j) {
      for (const std::string& value : states[j].values) {
        if (p == e.values.size()) return false;
        const ValueNode* node = e.values[p++];
        if (node->second.index != j || node->first != value) return false;
      }
    }
    return p == e.values.size();
  }

  // I1: moves item `id` from its stored values' sets to those of `states`,
  // and stores the new values. A set the item stays in is not touched; a set
  // that becomes empty is dropped.
  template <typename States>
  void SetValues(uint32_t id, const States& states) {
    const uint64_t stamp = NewStamp();
    NodeList next;
    for (uint32_t j = 0; j < states.size(); ++j) {
      JoinSets(id, states[j].values, &maps_[j], j, stamp, &next);
    }
    Entry& e = entry(id);
    for (ValueNode* node : e.values) {
      if (node->second.mark != stamp) LeaveSet(node, id);
    }
    e.values = std::move(next);
  }

  // Adds `id` to the set of each of `values` in `map` (whose buckets belong
  // to index `index`), creating sets as needed, and appends the nodes to
  // *out; a value listed twice is joined once. `stamp` is this write's.
  void JoinSets(uint32_t id, const std::vector<std::string>& values, ValueMap* map,
                uint32_t index, uint64_t stamp, NodeList* out) {
    for (const std::string& value : values) {
      auto [it, inserted] = map->try_emplace(value);
      ValueNode* node = &*it;
      if (inserted) node->second.index = index;
      if (node->second.mark == stamp) continue;  // a duplicate value
      node->second.mark = stamp;
      node->second.ids.insert(id);
      Changed(node->second);
      out->push_back(node);
    }
  }

  uint64_t NewStamp() { return ++stamp_; }

  // Appends the items of `bucket` to *out in id order: ids follow the
  // sequence of writes, an order callers can rely on, which the id set's
  // slot order is not (it depends on the table's size).
  // The result's items are scattered over the store: their entries are
  // prefetched a few ids ahead, and their objects' reference counts (which
  // each copy increments) a little less far ahead, so the misses overlap.
  void AppendItems(const Bucket& bucket, std::vector<Item>* out) const {
    constexpr size_t kEntryAhead = 32;
    constexpr size_t kCountAhead = 16;
    if (!bucket.items_valid) {
      const std::vector<uint32_t>& ids = bucket.Sorted();
      const size_t n = ids.size();
      bucket.items.reserve(n);
      for (size_t i = 0; i < n; ++i) {
        if (i + kEntryAhead < n) __builtin_prefetch(&entry(ids[i + kEntryAhead]).item);
        if (i + kCountAhead < n) PrefetchReferenceCount(entry(ids[i + kCountAhead]).item);
        bucket.items.push_back(entry(ids[i]).item);
      }
      bucket.items_valid = true;
      ++kept_item_sets_;
    }
    const std::vector<Item>& items = bucket.items;
    const size_t n = items.size();
    out->reserve(out->size() + n);
    for (size_t i = 0; i < n; ++i) {
      if (i + kCountAhead < n) PrefetchReferenceCount(items[i + kCountAhead]);
      out->push_back(items[i]);
    }
  }

  // Replaces stored item `id`'s item; its index values stay (the caller
  // checked them), so only the sets' kept items change.
  ABSL_ATTRIBUTE_ALWAYS_INLINE void SetItem(uint32_t id, Item&& item) {
    Entry& e = entry(id);
    if (ABSL_PREDICT_FALSE(kept_item_sets_ != 0)) DropItemsOf(e);
    e.item = std::move(item);
  }
  ABSL_ATTRIBUTE_NOINLINE void DropItemsOf(const Entry& e) {
    for (ValueNode* node : e.values) {
      if (node->second.items_valid) DropItems(node->second);
    }
  }

  // `bucket`'s set, or one of its items, changed.
  void Changed(Bucket& bucket) {
    bucket.sorted_valid = false;
    if (bucket.items_valid) DropItems(bucket);
  }
  void DropItems(Bucket& bucket) {
    // Their objects' reference counts are scattered: start loading a few
    // ahead of the releases.
    constexpr size_t kAhead = 16;
    std::vector<Item>& items = bucket.items;
    const size_t n = items.size();
    for (size_t i = 0; i < n; ++i) {
      if (i + kAhead < n) PrefetchReferenceCount(items[i + kAhead]);
      items[i] = Item();
    }
    items.clear();
    bucket.items_valid = false;
    --kept_item_sets_;
  }

  template <typename F>
  void ForEachLive(F&& f) {
    for (uint32_t id = 0; id < next_unused_; ++id) {
      Entry& e = entry(id);
      if (e.live()) f(id, e);
    }
  }
  template <typename F>
  void ForEachLive(F&& f) const {
    for (uint32_t id = 0; id < next_unused_; ++id) {
      const Entry& e = entry(id);
      if (e.live()) f(id, e);
    }
  }

 private:
  // Chunk sizes double, starting at kFirstChunk entries: few allocations
  // for a large store, little waste for a small one, and nothing moves.
  static constexpr uint32_t kFirstChunkBits = 6;
  static constexpr uint32_t kFirstChunk = 1u << kFirstChunkBits;

  // Chunks come from the block cache: a store rebuilt with the same shape
  // (a relist, a fresh indexer) reuses them instead of faulting in new pages.
  struct ChunkDeleter {
    size_t size;
    void operator()(Entry* chunk) const {
      std::destroy_n(chunk, size);
      CachedAllocator<Entry>().deallocate(chunk, size);
    }
  };
  using Chunk = std::unique_ptr<Entry[], ChunkDeleter>;

  void AddChunk() {
    const size_t size = size_t{kFirstChunk} << chunks_.size();
    assert(capacity_ + size < kLive);
    Entry* chunk = CachedAllocator<Entry>().allocate(size);
    std::uninitialized_default_construct_n(chunk, size);
    chunks_.push_back(Chunk(chunk, ChunkDeleter{size}));
    capacity_ += size;
  }

  // Takes `id` out of `node`'s set; drops the set once empty (I1).
  void LeaveSet(ValueNode* node, uint32_t id) {
    Bucket& bucket = node->second;
    bucket.ids.erase(id);
    Changed(bucket);
    if (bucket.ids.empty()) {
      ValueMap& map = maps_[bucket.index];
      map.erase(map.find(node->first));
    }
  }

  std::vector<Chunk> chunks_;
  size_t capacity_ = 0;       // entries in chunks_
  uint32_t next_unused_ = 0;  // ids below were handed out at least once
  uint32_t free_head_ = kNoId;
  size_t size_ = 0;
  uint64_t stamp_ = 0;
  // Buckets whose `items` are kept: while none is, a write need not look.
  mutable size_t kept_item_sets_ = 0;
  // Key -> id; each key's 32-bit hash is kept with its id, so growing the
  // index reads no entry.
  KeyIndex ids_;
  // Position j: index j's value -> bucket.
  std::vector<ValueMap> maps_;
};

ThreadSafeStore::ThreadSafeStore(Indexers indexers, ThreadSafeStoreOptions options)
    : track_resource_version_(options.track_resource_version) {
  MutexLock lock(&mu_);
  indexes_.reserve(indexers.size());
  // std::map iterates by name, so indexes_ comes out sorted.
  for (auto& [name, func] : indexers) {
    assert(func != nullptr);
    indexes_.push_back(IndexState{name, std::move(func), {}});
  }
  contents_ = std::make_unique<Contents>(indexes_.size());
}

ThreadSafeStore::~ThreadSafeStore() = default;

absl::Status ThreadSafeStore::ComputeValuesLocked(absl::string_view key, const Item& obj) {
  return ComputeValues(key, obj, &indexes_);
}

absl::Status ThreadSafeStore::UpdateLocked(absl::string_view key, Item&& obj) {
  // I2: every new value is known before anything changes.
  absl::Status status = ComputeValuesLocked(key, obj);
  if (!status.ok()) return status;
  Contents& contents = *contents_;
  const uint32_t hash = Contents::HashKey(key);
  uint32_t id = contents.Find(key, hash);
  if (id == Contents::kNoId) {
    id = contents.Insert(key, hash, std::move(obj));
    contents.SetValues(id, indexes_);
    return absl::OkStatus();
  }
  // The old values are the stored ones: the old object is not read.
  Contents::Entry& entry = contents.entry(id);
  if (!contents.SameValues(entry, indexes_)) contents.SetValues(id, indexes_);
  contents.SetItem(id, std::move(obj));
  return absl::OkStatus();
}

absl::Status ThreadSafeStore::DeleteLocked(absl::string_view key) {
  Contents& contents = *contents_;
  const uint32_t hash = Contents::HashKey(key);
  const uint32_t id = contents.Find(key, hash);
  if (id == Contents::kNoId) return absl::OkStatus();  // S2
  // I2: an index function that now refuses the stored item fails the delete
  // (client-go recomputes the old values here and would panic).
  absl::Status status = ComputeValuesLocked(key, contents.entry(id).item);
  if (!status.ok()) return status;
  contents.Erase(id, hash);
  return absl::OkStatus();
}

// Inlined into Add, Update and AddOrUpdate, which only forward to it.
ABSL_ATTRIBUTE_ALWAYS_INLINE inline absl::Status ThreadSafeStore::Write(absl::string_view key,
                                                                        Item& obj) {
  // Keep a handle on the object: `obj` is moved into the store below.
  const api::ObjectMeta* meta = obj.meta();
  MutexLock lock(&mu_);
  absl::Status status = UpdateLocked(key, std::move(obj));
  if (!status.ok()) return status;
  if (meta != nullptr) resource_version_.assign(meta->resource_version());  // S5
  return absl::OkStatus();
}

absl::Status ThreadSafeStore::Add(std::string key, Item obj) {
  return Write(key, obj);  // S1
}

absl::Status ThreadSafeStore::Update(std::string key, Item obj) {
  return Write(key, obj);
}

absl::Status ThreadSafeStore::AddOrUpdate(absl::string_view key, Item obj) {
  return Write(key, obj);
}

absl::Status ThreadSafeStore::Delete(absl::string_view key) {
  MutexLock lock(&mu_);
  return DeleteLocked(key);
}

absl::Status ThreadSafeStore::DeleteWithObject(absl::string_view key, const Item& obj) {
  MutexLock lock(&mu_);
  absl::Status status = DeleteLocked(key);
  if (!status.ok()) return status;
  // S5: only objects with meta carry a version.
  if (const api::ObjectMeta* meta = obj.meta(); meta != nullptr) {
    resource_version_.assign(meta->resource_version());
  }
  return absl::OkStatus();
}

std::optional<Item> ThreadSafeStore::Get(absl::string_view key) const {
  MutexLock lock(&mu_);
  const Contents& contents = *contents_;
  const uint32_t id = contents.Find(key, Contents::HashKey(key));
  if (id == Contents::kNoId) return std::nullopt;
  return contents.entry(id).item;
}

std::vector<Item> ThreadSafeStore::List() const {
  MutexLock lock(&mu_);
  const Contents& contents = *contents_;
  std::vector<Item> list;
  list.reserve(contents.size());
  contents.ForEachLive(
      [&list](uint32_t, const Contents::Entry& e) { list.push_back(e.item); });
  return list;
}

std::vector<std::string> ThreadSafeStore::ListKeys() const {
  MutexLock lock(&mu_);
  const Contents& contents = *contents_;
  std::vector<std::string> keys;
  keys.reserve(contents.size());
  contents.ForEachLive(
      [&keys](uint32_t, const Contents::Entry& e) { keys.emplace_back(e.key.view()); });
  return keys;
}

absl::Status ThreadSafeStore::Replace(KeyedItems items, absl::string_view resource_version) {
  // Declared before the lock, so both are freed after it is released.
  std::unique_ptr<Contents> fresh;
  std::unique_ptr<Contents> retired;
  MutexLock lock(&mu_);
  fresh = std::make_unique<Contents>(indexes_.size());
  fresh->Reserve(items.size());
  // Items go in in list order, so the new contents (and List's order) follow
  // the list, not a hash map. A key listed twice keeps its first position and
  // its last item (S3). Only the final item of a key can fail the Replace;
  // when several keys fail, the smallest is reported, so the report does not
  // depend on order either (I2).
  std::map<std::string, absl::Status> failures;
  for (auto& [key, item] : items) {
    const uint32_t hash = Contents::HashKey(key);
    const uint32_t id = fresh->Find(key, hash);
    if (!failures.empty()) failures.erase(key);
    absl::Status status = ComputeValuesLocked(key, item);
    if (!status.ok()) {
      if (id != Contents::kNoId) fresh->Erase(id, hash);
      failures.emplace(key, std::move(status));
      continue;
    }
    // Applied even while some key is failing: a later item of that key may
    // still succeed, and then this one must be in place.
    if (id == Contents::kNoId) {
      fresh->SetValues(fresh->Insert(key, hash, std::move(item)), indexes_);
    } else {
      fresh->SetItem(id, std::move(item));
      fresh->SetValues(id, indexes_);
    }
  }
  if (!failures.empty()) return failures.begin()->second;  // all or nothing (I2)
  retired = std::move(contents_);
  contents_ = std::move(fresh);
  resource_version_.assign(resource_version);
  return absl::OkStatus();
}

int ThreadSafeStore::FindIndexLocked(absl::string_view name) const {
  // A handful of indexes at most: a scan beats hashing the name.
  for (size_t j = 0; j < indexes_.size(); ++j) {
    if (indexes_[j].name == name) return static_cast<int>(j);
  }
  return -1;
}

absl::StatusOr<std::vector<Item>> ThreadSafeStore::Index(absl::string_view index_name,
                                                         const Item& obj) const {
  MutexLock lock(&mu_);
  const int j = FindIndexLocked(index_name);
  if (j < 0) return NoSuchIndexError(index_name);
  std::vector<std::string> values;
  absl::Status status = indexes_[j].func(obj, &values);
  if (!status.ok()) return status;  // I3: returned as is
  const Contents& contents = *contents_;
  const Contents::ValueMap& map = contents.maps()[j];
  std::vector<Item> list;
  if (values.size() == 1) {
    auto it = map.find(values[0]);
    if (it != map.end()) contents.AppendItems(it->second, &list);
    return list;
  }
  // Several values may share items: de-duplicate. Sorting the ids (as
  // AppendItems orders them) puts repeats side by side, so no set is built.
  std::vector<uint32_t> ordered;
  for (const std::string& value : values) {
    auto it = map.find(value);
    if (it != map.end()) ordered.insert(ordered.end(), it->second.ids.begin(), it->second.ids.end());
  }
  std::sort(ordered.begin(), ordered.end());
  ordered.erase(std::unique(ordered.begin(), ordered.end()), ordered.end());
  list.reserve(ordered.size());
  for (uint32_t id : ordered) list.push_back(contents.entry(id).item);
  return list;
}

absl::StatusOr<std::vector<std::string>> ThreadSafeStore::IndexKeys(
    absl::string_view index_name, absl::string_view indexed_value) const {
  MutexLock lock(&mu_);
  const int j = FindIndexLocked(index_name);
  if (j < 0) return NoSuchIndexError(index_name);
  const Contents& contents = *contents_;
  const Contents::ValueMap& map = contents.maps()[j];
  std::vector<std::string> keys;
  auto it = map.find(indexed_value);
  if (it == map.end()) return keys;
  // I5: sorted. The stored keys are sorted as views and copied once in
  // order (sorting the copies would move strings at every swap).
  std::vector<absl::string_view> refs;
  refs.reserve(it->second.ids.size());
  for (uint32_t id : it->second.ids) refs.push_back(contents.entry(id).key.view());
  std::sort(refs.begin(), refs.end());
  keys.reserve(refs.size());
  for (absl::string_view k : refs) keys.emplace_back(k);
  return keys;
}

std::vector<std::string> ThreadSafeStore::ListIndexFuncValues(
    absl::string_view index_name) const {
  MutexLock lock(&mu_);
  std::vector<std::string> values;
  const int j = FindIndexLocked(index_name);
  if (j < 0) return values;  // I6
  const Contents::ValueMap& map = contents_->maps()[j];
  values.reserve(map.size());
  for (const auto& entry : map) values.push_back(entry.first);
  std::sort(values.begin(), values.end());  // not hash order: see AppendItems
  return values;
}

absl::StatusOr<std::vector<Item>> ThreadSafeStore::ByIndex(
    absl::string_view index_name, absl::string_view indexed_value) const {
  MutexLock lock(&mu_);
  const int j = FindIndexLocked(index_name);
  if (j < 0) return NoSuchIndexError(index_name);
  const Contents& contents = *contents_;
  const Contents::ValueMap& map = contents.maps()[j];
  std::vector<Item> list;
  auto it = map.find(indexed_value);
  if (it != map.end()) contents.AppendItems(it->second, &list);
  return list;
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
    if (FindIndexLocked(entry.first) >= 0) conflicts.push_back(entry.first);
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
  if (new_indexers.empty()) return absl::OkStatus();

  // Sorted by name, as the map iterates.
  std::vector<IndexState> added;
  added.reserve(new_indexers.size());
  for (auto& [name, func] : new_indexers) {
    added.push_back(IndexState{name, std::move(func), {}});
  }
  // Where each old and each added index goes in the merged, sorted order.
  const size_t total = indexes_.size() + added.size();
  std::vector<uint32_t> old_pos(indexes_.size());
  std::vector<uint32_t> added_pos(added.size());
  for (size_t i = 0, k = 0, pos = 0; pos < total; ++pos) {
    if (k == added.size() || (i < indexes_.size() && indexes_[i].name < added[k].name)) {
      old_pos[i++] = static_cast<uint32_t>(pos);
    } else {
      added_pos[k++] = static_cast<uint32_t>(pos);
    }
  }

  // Index every stored item into fresh sets first: all or nothing (I2).
  // When items fail, the smallest key is reported, as in Replace.
  Contents& contents = *contents_;
  std::vector<Contents::ValueMap> maps(added.size());
  std::vector<Contents::NodeList> joined(contents.id_limit());
  const ShortString* failed_key = nullptr;
  absl::Status failure;
  contents.ForEachLive([&](uint32_t id, const Contents::Entry& e) {
    if (failed_key != nullptr && e.key.view() >= failed_key->view()) return;
    absl::Status status = ComputeValues(e.key, e.item, &added);
    if (!status.ok()) {
      failed_key = &e.key;
      failure = std::move(status);
      return;
    }
    if (failed_key != nullptr) return;  // only looking for errors now
    const uint64_t stamp = contents.NewStamp();
    for (size_t k = 0; k < added.size(); ++k) {
      contents.JoinSets(id, added[k].values, &maps[k], added_pos[k], stamp, &joined[id]);
    }
  });
  if (failed_key != nullptr) return failure;

  // Nothing below can fail. Renumber the old buckets, put every index at its
  // merged position, and regroup each item's values in the new order (nodes
  // do not move when their maps do).
  for (Contents::ValueMap& map : contents.maps()) {
    for (auto& entry : map) entry.second.index = old_pos[entry.second.index];
  }
  std::vector<Contents::ValueMap> merged_maps(total);
  std::vector<IndexState> merged(total);
  for (size_t i = 0; i < indexes_.size(); ++i) {
    merged_maps[old_pos[i]] = std::move(contents.maps()[i]);
    merged[old_pos[i]] = std::move(indexes_[i]);
  }
  for (size_t k = 0; k < added.size(); ++k) {
    merged_maps[added_pos[k]] = std::move(maps[k]);
    merged[added_pos[k]] = std::move(added[k]);
  }
  contents.maps() = std::move(merged_maps);
  indexes_ = std::move(merged);
  contents.ForEachLive([&joined](uint32_t id, Contents::Entry& e) {
    if (joined[id].empty()) return;
    e.values.insert(e.values.end(), joined[id].begin(), joined[id].end());
    std::stable_sort(e.values.begin(), e.values.end(),
                     [](const Contents::ValueNode* a, const Contents::ValueNode* b) {
                       return a->second.index < b->second.index;
                     });
  });
  return absl::OkStatus();
}

void ThreadSafeStore::Bookmark(absl::string_view resource_version) {
  MutexLock lock(&mu_);
  resource_version_.assign(resource_version);
}

std::string ThreadSafeStore::LastStoreSyncResourceVersion() const {
  if (!track_resource_version_) return std::string();  // S5, AtomicFIFO off
  MutexLock lock(&mu_);
  return resource_version_.str();
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
    // Still valid after the move below: the store then holds the object.
    const api::ObjectMeta* meta = t.txn.object.meta();
    absl::Status status;
    switch (t.txn.type) {
      case TransactionType::kAdd:
      case TransactionType::kUpdate:
        status = UpdateLocked(t.key, std::move(t.txn.object));
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
  if (last_has_meta) resource_version_.assign(last_rv);
  return failed;
}

Indices ThreadSafeStore::SnapshotIndices() const {
  MutexLock lock(&mu_);
  const Contents& contents = *contents_;
  Indices indices;
  for (size_t j = 0; j < indexes_.size(); ++j) {
    IndexMap& index = indices[indexes_[j].name];
    for (const auto& [value, bucket] : contents.maps()[j]) {
      KeySet& keys = index[value];
      keys.reserve(bucket.ids.size());
      for (uint32_t id : bucket.ids) keys.insert(contents.entry(id).key.str());
    }
  }
  return indices;
}

}  // namespace informersim
