#include "core/cache.h"

#include <algorithm>
#include <cassert>
#include <utility>

#include "absl/base/attributes.h"
#include "core/errors.h"

namespace informersim {

Cache::Cache(KeyFunc key_func, Indexers indexers, StoreOptions options)
    : key_func_(std::move(key_func)),
      transformer_(std::move(options.transformer)),
      storage_(std::move(indexers),
               ThreadSafeStoreOptions{options.track_resource_version}),
      meta_namespace_keys_(IsMetaNamespaceKeyFunc(key_func_)) {
  assert(key_func_ != nullptr);
}

absl::StatusOr<std::string> Cache::KeyOf(const Item& obj) const {
  if (meta_namespace_keys_) {
    std::string key;
    if (MetaNamespaceKeyInto(obj, &key)) return key;
  }
  return key_func_(obj);
}

absl::StatusOr<std::string> Cache::KeyAndTransform(Item* obj) const {
  absl::StatusOr<std::string> key = KeyOf(*obj);
  if (!key.ok()) return KeyError(*obj, key.status());
  absl::Status transformed = Transform(obj);
  if (!transformed.ok()) return transformed;
  return key;
}

absl::Status Cache::Transform(Item* obj) const {
  if (!transformer_) return absl::OkStatus();
  absl::StatusOr<Item> transformed = transformer_(std::move(*obj));
  if (!transformed.ok()) return Wrap(transformed.status(), "transforming");  // S6
  *obj = *std::move(transformed);
  return absl::OkStatus();
}

// Inlined into Add and Update, which only forward to it.
ABSL_ATTRIBUTE_ALWAYS_INLINE inline absl::Status Cache::Write(Item&& obj) {
  // S1. The key is still computed for every call; a short K1/K2 key is
  // written on the stack, since the store copies it only if it is new.
  StackKey stack_key;
  if (meta_namespace_keys_ && stack_key.Build(obj)) {
    absl::Status transformed = Transform(&obj);  // S6: after the key
    if (!transformed.ok()) return transformed;
    return storage_.AddOrUpdate(stack_key.view(), std::move(obj));
  }
  absl::StatusOr<std::string> key = KeyAndTransform(&obj);
  if (!key.ok()) return key.status();
  return storage_.Update(*std::move(key), std::move(obj));
}

absl::Status Cache::Add(Item obj) { return Write(std::move(obj)); }

absl::Status Cache::Update(Item obj) { return Write(std::move(obj)); }

absl::Status Cache::Delete(Item obj) {
  StackKey stack_key;
  if (meta_namespace_keys_ && stack_key.Build(obj)) {
    return storage_.DeleteWithObject(stack_key.view(), obj);  // S6: no transform
  }
  absl::StatusOr<std::string> key = KeyOf(obj);
  if (!key.ok()) return KeyError(obj, key.status());
  return storage_.DeleteWithObject(*key, obj);  // S6: no transform
}

absl::Status Cache::Replace(std::vector<Item> list, absl::string_view resource_version) {
  KeyedItems items;
  items.reserve(list.size());
  for (Item& obj : list) {
    absl::StatusOr<std::string> key = KeyAndTransform(&obj);
    if (!key.ok()) return key.status();
    items.emplace_back(*std::move(key), std::move(obj));  // S3: the store keeps the last
  }
  return storage_.Replace(std::move(items), resource_version);
}

std::vector<std::string> Cache::ListKeys() const { return storage_.ListKeys(); }

absl::StatusOr<std::optional<Item>> Cache::GetByKey(absl::string_view key) const {
  return storage_.Get(key);
}

std::vector<Item> Cache::List() const { return storage_.List(); }

absl::StatusOr<std::optional<Item>> Cache::Get(const Item& obj) const {
  absl::StatusOr<std::string> key = KeyOf(obj);
  if (!key.ok()) return KeyError(obj, key.status());
  return storage_.Get(*key);
}

std::string Cache::LastStoreSyncResourceVersion() const {
  return storage_.LastStoreSyncResourceVersion();
}

void Cache::Bookmark(absl::string_view resource_version) {
  storage_.Bookmark(resource_version);
}

absl::StatusOr<std::vector<Item>> Cache::Index(absl::string_view index_name,
                                               const Item& obj) const {
  return storage_.Index(index_name, obj);
}

absl::StatusOr<std::vector<std::string>> Cache::IndexKeys(
    absl::string_view index_name, absl::string_view indexed_value) const {
  return storage_.IndexKeys(index_name, indexed_value);
}

std::vector<std::string> Cache::ListIndexFuncValues(absl::string_view index_name) const {
  return storage_.ListIndexFuncValues(index_name);
}

absl::StatusOr<std::vector<Item>> Cache::ByIndex(absl::string_view index_name,
                                                 absl::string_view indexed_value) const {
  return storage_.ByIndex(index_name, indexed_value);
}

Indexers Cache::GetIndexers() const { return storage_.GetIndexers(); }

absl::Status Cache::AddIndexers(Indexers new_indexers) {
  return storage_.AddIndexers(std::move(new_indexers));
}

std::optional<TransactionError> Cache::Transaction(
    std::vector<::informersim::Transaction> txns) {
  const int total = static_cast<int>(txns.size());
  std::vector<ThreadSafeStoreTransaction> keyed;
  keyed.reserve(txns.size());
  std::vector<int> positions;  // of `keyed` in the batch
  positions.reserve(txns.size());
  std::vector<std::pair<int, absl::Status>> errors;
  for (int i = 0; i < total; ++i) {
    absl::StatusOr<std::string> key = KeyOf(txns[i].object);
    if (!key.ok()) {
      errors.emplace_back(i, KeyError(txns[i].object, key.status()));
      continue;
    }
    positions.push_back(i);
    keyed.push_back(ThreadSafeStoreTransaction{std::move(txns[i]), *std::move(key)});
  }
  std::vector<FailedTransaction> failed = storage_.Transaction(std::move(keyed));
  if (errors.empty() && failed.empty()) return std::nullopt;

  // I2 failures are reported like key errors; both in batch order.
  TransactionError result;
  result.total_transactions = total;
  std::vector<bool> applied(positions.size(), true);
  for (FailedTransaction& f : failed) {
    applied[f.position] = false;
    errors.emplace_back(positions[f.position], std::move(f.status));
  }
  for (size_t j = 0; j < positions.size(); ++j) {
    if (applied[j]) result.successful_indices.push_back(positions[j]);
  }
  std::stable_sort(errors.begin(), errors.end(),
                   [](const auto& a, const auto& b) { return a.first < b.first; });
  result.errors.reserve(errors.size());
  for (auto& error : errors) result.errors.push_back(std::move(error.second));
  return result;
}

std::unique_ptr<Cache> NewStore(KeyFunc key_func, StoreOptions options) {
  return std::make_unique<Cache>(std::move(key_func), Indexers{}, std::move(options));
}

std::unique_ptr<Cache> NewIndexer(KeyFunc key_func, Indexers indexers,
                                  StoreOptions options) {
  return std::make_unique<Cache>(std::move(key_func), std::move(indexers),
                                 std::move(options));
}

}  // namespace informersim
