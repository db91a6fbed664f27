// Cache: client-go's `cache` type (store.go), the Store and Indexer that
// informers keep their objects in: a ThreadSafeStore plus the key function
// that turns an item into its storage key and an optional transformer.
// NewStore and NewIndexer build one (rules S1-S7, I1-I7).
//
// Thread safety: safe for concurrent use; all state lives in the
// ThreadSafeStore, and the key function and transformer are fixed at
// construction (they must be safe to call from any thread).
// Invariants: those of ThreadSafeStore (INV8).
//
// Differs from client-go on purpose (see core/thread_safe_store.h for why):
//   - I2: a failing index function makes the write return a status instead
//     of panicking, and nothing of that write is applied. In a Transaction
//     such a write is reported like a key error: left out of
//     successful_indices, its status in errors.
//   - S5: LastStoreSyncResourceVersion tracks writes by default (client-go's
//     AtomicFIFO gate, on in the CURRENT profile); set
//     StoreOptions::track_resource_version = false for the CLASSIC "" answer.
//   - No metrics option (client-go WithStoreMetrics).
// Kept from client-go: the transformer runs on Add, Update and each Replace
// item, but neither on Delete nor on Transaction writes (S6, S7).
#ifndef INFORMERSIM_CORE_CACHE_H_
#define INFORMERSIM_CORE_CACHE_H_

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "core/index.h"
#include "core/indexer.h"
#include "core/item.h"
#include "core/keys.h"
#include "core/store.h"
#include "core/thread_safe_store.h"

namespace informersim {

// client-go StoreOption values.
struct StoreOptions {
  // S6 (client-go WithTransformer); empty means none.
  TransformFunc transformer;
  // S5: see the header comment.
  bool track_resource_version = true;
};

class Cache final : public Indexer, public TransactionStore {
 public:
  Cache(KeyFunc key_func, Indexers indexers, StoreOptions options = {});

  // S1, S6: key (error -> KeyError), transform (error -> "transforming: ..."),
  // then store; see ThreadSafeStore::Update.
  absl::Status Add(Item obj) override;
  absl::Status Update(Item obj) override;
  // S2: key (K2 handles tombstones), then ThreadSafeStore::DeleteWithObject.
  absl::Status Delete(Item obj) override;
  // S3: keys and transforms every item first; the first error is returned
  // and nothing is applied. Duplicate keys: the last item wins.
  absl::Status Replace(std::vector<Item> list,
                       absl::string_view resource_version) override;
  // Nothing to do for a plain store.
  absl::Status Resync() override { return absl::OkStatus(); }

  // S4.
  std::vector<std::string> ListKeys() const override;
  absl::StatusOr<std::optional<Item>> GetByKey(absl::string_view key) const override;
  std::vector<Item> List() const override;
  absl::StatusOr<std::optional<Item>> Get(const Item& obj) const override;

  // S5.
  std::string LastStoreSyncResourceVersion() const override;
  void Bookmark(absl::string_view resource_version) override;

  // I3-I7.
  absl::StatusOr<std::vector<Item>> Index(absl::string_view index_name,
                                          const Item& obj) const override;
  absl::StatusOr<std::vector<std::string>> IndexKeys(
      absl::string_view index_name, absl::string_view indexed_value) const override;
  std::vector<std::string> ListIndexFuncValues(
      absl::string_view index_name) const override;
  absl::StatusOr<std::vector<Item>> ByIndex(
      absl::string_view index_name, absl::string_view indexed_value) const override;
  Indexers GetIndexers() const override;
  absl::Status AddIndexers(Indexers new_indexers) override;

  // S7: writes whose key function fails are skipped (KeyError); the rest are
  // applied in order under one lock, untransformed.
  std::optional<TransactionError> Transaction(
      std::vector<::informersim::Transaction> txns) override;

  // The underlying store, for checkers and tests.
  const ThreadSafeStore& storage() const { return storage_; }

 private:
  // key_func_'s result; inline for objects with meta when it is K1/K2.
  absl::StatusOr<std::string> KeyOf(const Item& obj) const;
  // Key, then transform: what Add and Update share.
  absl::StatusOr<std::string> KeyAndTransform(Item* obj) const;
  // S6: applies the transformer, if any, to *obj.
  absl::Status Transform(Item* obj) const;
  // Add and Update (S1).
  absl::Status Write(Item&& obj);

  const KeyFunc key_func_;
  const TransformFunc transformer_;
  ThreadSafeStore storage_;
  // key_func_ is K1/K2 (see IsMetaNamespaceKeyFunc).
  const bool meta_namespace_keys_;
};

// client-go NewStore: a Cache without indexes.
std::unique_ptr<Cache> NewStore(KeyFunc key_func, StoreOptions options = {});
// client-go NewIndexer.
std::unique_ptr<Cache> NewIndexer(KeyFunc key_func, Indexers indexers,
                                  StoreOptions options = {});

}  // namespace informersim

#endif  // INFORMERSIM_CORE_CACHE_H_
