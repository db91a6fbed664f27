// Index functions and index types of client-go's tools/cache (index.go): how
// an Indexer maps each stored item to a set of "indexed values" per named
// index, and the stock namespace index (rules I1-I7 use these).
//
// Three kinds of strings meet here: storage keys (from a KeyFunc), index
// names, and indexed values (from an IndexFunc).
//
// Differs from client-go on purpose:
//   - IndexFunc fills a caller-owned vector instead of returning a fresh
//     slice: the store calls it twice per index on every write (old and new
//     object), and reusing one buffer keeps that off the heap.
//   - Indexers is an ordered map, so that every walk over the indexes (and
//     therefore which error a failing write reports) is deterministic.
//
// Thread safety: plain types and pure functions. An IndexFunc is called with
// the store's lock held; it must not call back into the store.
#ifndef INFORMERSIM_CORE_INDEX_H_
#define INFORMERSIM_CORE_INDEX_H_

#include <functional>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/string_view.h"
#include "core/item.h"
#include "core/keys.h"

namespace informersim {

// client-go IndexFunc. `values` is empty on entry; the function adds the
// item's indexed values to it (none, one or many; duplicates are harmless).
// A non-OK status means the item cannot be indexed.
using IndexFunc =
    std::function<absl::Status(const Item& item, std::vector<std::string>* values)>;

// client-go Indexers: index name -> index function.
using Indexers = std::map<std::string, IndexFunc>;

// Storage keys of the items that carry one indexed value.
using KeySet = absl::flat_hash_set<std::string>;
// client-go `index`: indexed value -> keys. Invariant: no empty KeySet.
using IndexMap = absl::flat_hash_map<std::string, KeySet>;
// client-go Indices: index name -> IndexMap.
using Indices = absl::flat_hash_map<std::string, IndexMap>;

// client-go NamespaceIndex, the name informers give the namespace index.
inline constexpr absl::string_view kNamespaceIndex = "namespace";

// client-go MetaNamespaceIndexFunc: the object's namespace ("" for a
// cluster-scoped object); an item without meta is an error.
inline absl::Status MetaNamespaceIndexFunc(const Item& item,
                                           std::vector<std::string>* values) {
  const api::ObjectMeta* meta = item.meta();
  if (meta == nullptr) {
    return absl::InvalidArgumentError(
        absl::StrCat("object has no meta: ", item.DebugString()));
  }
  values->push_back(meta->namespace_());
  return absl::OkStatus();
}

// client-go IndexFuncToKeyFuncAdapter: a key function from an index function
// that yields exactly one value per item; zero or several values are errors.
inline KeyFunc IndexFuncToKeyFuncAdapter(IndexFunc index_func) {
  return [index_func = std::move(index_func)](
             const Item& item) -> absl::StatusOr<std::string> {
    std::vector<std::string> values;
    absl::Status status = index_func(item, &values);
    if (!status.ok()) return status;
    if (values.size() > 1) {
      return absl::InvalidArgumentError(
          absl::StrCat("too many keys: [", absl::StrJoin(values, " "), "]"));
    }
    if (values.empty()) return absl::InvalidArgumentError("unexpected empty indexKeys");
    return std::move(values[0]);
  };
}

}  // namespace informersim

#endif  // INFORMERSIM_CORE_INDEX_H_
