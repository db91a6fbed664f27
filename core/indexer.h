// The Indexer interface of client-go's tools/cache (index.go): a Store whose
// items are also reachable through named secondary indexes (rules I3-I7),
// and the batched-write interface TransactionStore (store.go, rule S7) that
// the informer's batch processing uses when the store offers it (C4).
//
// Thread safety: each implementation documents its own; core/cache.h's is
// safe for concurrent use.
// Invariant (INV8): after every completed call, each index equals the index
// recomputed from the stored items, with no empty value sets.
#ifndef INFORMERSIM_CORE_INDEXER_H_
#define INFORMERSIM_CORE_INDEXER_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/string_view.h"
#include "core/errors.h"
#include "core/index.h"
#include "core/item.h"
#include "core/store.h"

namespace informersim {

// client-go Indexer.
class Indexer : public Store {
 public:
  // I3: stored items whose values for `index_name` intersect those of `obj`,
  // de-duplicated, in the order the items were first stored (client-go:
  // unspecified). Errors: unknown index (NotFound
  // "Index with name <name> does not exist") or the index function's error.
  virtual absl::StatusOr<std::vector<Item>> Index(absl::string_view index_name,
                                                  const Item& obj) const = 0;
  // I5: storage keys whose values include `indexed_value`, sorted. Unknown
  // index -> error; unknown value -> empty.
  virtual absl::StatusOr<std::vector<std::string>> IndexKeys(
      absl::string_view index_name, absl::string_view indexed_value) const = 0;
  // I6: every value with at least one key, sorted (client-go: unspecified); an unknown
  // index yields an empty list.
  virtual std::vector<std::string> ListIndexFuncValues(
      absl::string_view index_name) const = 0;
  // I4: as IndexKeys but the items, in the order they were first stored
  // (client-go: unspecified).
  virtual absl::StatusOr<std::vector<Item>> ByIndex(
      absl::string_view index_name, absl::string_view indexed_value) const = 0;
  // A copy of the index functions by name.
  virtual Indexers GetIndexers() const = 0;
  // I7: adds indexes and indexes the present items at once. A name already
  // in use -> AlreadyExists "indexer conflict: map[name:{}]" and nothing is
  // added.
  virtual absl::Status AddIndexers(Indexers new_indexers) = 0;
};

// client-go TransactionType.
enum class TransactionType : uint8_t { kAdd, kUpdate, kDelete };

// client-go Transaction: one write of a batch.
struct Transaction {
  Item object;
  TransactionType type = TransactionType::kAdd;
};

// client-go TransactionError: which transactions of a batch were applied.
struct TransactionError {
  // Positions (into the batch) of the applied transactions, ascending.
  std::vector<int> successful_indices;
  int total_transactions = 0;
  // Why the others failed, in batch order.
  std::vector<absl::Status> errors;

  // "failed to execute (F/T) transactions failed due to: [e1 e2]", tagged
  // kTransactionErrorTag (core/errors.h), with the code of the first error.
  absl::Status ToStatus() const {
    const absl::StatusCode code =
        errors.empty() ? absl::StatusCode::kUnknown : errors.front().code();
    return WithTag(
        absl::Status(code,
                     absl::StrCat("failed to execute (",
                                  total_transactions -
                                      static_cast<int>(successful_indices.size()),
                                  "/", total_transactions,
                                  ") transactions failed due to: [",
                                  absl::StrJoin(errors, " ",
                                                [](std::string* out, const absl::Status& e) {
                                                  absl::StrAppend(out, e.message());
                                                }),
                                  "]")),
        kTransactionErrorTag);
  }
};

// client-go TransactionStore.
class TransactionStore {
 public:
  virtual ~TransactionStore() = default;
  // Applies the writes in order under one lock acquisition. nullopt when
  // every transaction was applied (client-go's nil *TransactionError).
  virtual std::optional<TransactionError> Transaction(
      std::vector<::informersim::Transaction> txns) = 0;
};

}  // namespace informersim

#endif  // INFORMERSIM_CORE_INDEXER_H_
