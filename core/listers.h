// Listers: client-go tools/cache/listers.go (commit 32ce75a7). ListAll and
// ListAllByNamespace walk a Store or Indexer and hand every object whose
// labels match a label selector to a callback; GenericLister and
// GenericNamespaceLister are the read-only views informer users list and get
// objects through (List by selector, Get by name, NotFound when absent).
//
// Thread safety: the functions and listers only read the store through its
// own (thread-safe, for core's Cache) methods; a lister is immutable and may
// be used from any thread. A lister holds a pointer to its indexer, which
// must outlive it.
// Order: objects come in the order the store's List() / Index() returns them
// (core's Cache: the order the items were first stored; client-go:
// unspecified).
//
// Differs from client-go on purpose (see docs/CLIENT_GO.md):
//   - When the namespace index is missing (or its function fails),
//     ListAllByNamespace falls back to a full scan, as client-go does, but
//     logs nothing: core/ has no logger.
//   - An item without object meta makes the listing fail with
//     "object has no meta: ..." (client-go: meta.Accessor's "object does not
//     implement the Object interfaces"); a non-object item reaching a
//     GenericLister's List or Get is an error here, where client-go's type
//     assertion to runtime.Object panics.
#ifndef INFORMERSIM_CORE_LISTERS_H_
#define INFORMERSIM_CORE_LISTERS_H_

#include <string>
#include <utility>
#include <vector>

#include "absl/functional/function_ref.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "core/indexer.h"
#include "core/item.h"
#include "core/labels.h"
#include "core/store.h"

namespace informersim {

// metav1.NamespaceAll: every namespace.
inline constexpr absl::string_view kNamespaceAll = "";

// client-go AppendFunc: receives each matching item.
using AppendFunc = absl::FunctionRef<void(const Item&)>;

// client-go ListAll. Nothing() lists nothing without reading the store; an
// empty selector appends every item without reading its labels; otherwise
// each item's labels are matched, and an item without meta is an error
// (returned at once; items already appended stay appended).
absl::Status ListAll(const Store& store, const labels::Selector& selector,
                     AppendFunc append_fn);

// client-go ListAllByNamespace. Nothing() -> nothing; kNamespaceAll ->
// ListAll. Otherwise the items of the kNamespaceIndex index for `namespace_`
// (through Index() with a probe object in that namespace), matched as in
// ListAll. If Index() fails (no such index, or its function errs), every
// item is scanned instead and kept when its namespace equals `namespace_` and
// its labels match; on this path an item without meta is an error even for
// an empty selector, as in client-go.
absl::Status ListAllByNamespace(const Indexer& indexer, absl::string_view namespace_,
                                const labels::Selector& selector, AppendFunc append_fn);

// apimachinery schema.GroupResource.
struct GroupResource {
  std::string group;
  std::string resource;
  // "resource" for the core group, else "resource.group".
  std::string String() const { return group.empty() ? resource : resource + "." + group; }
};

// client-go GenericNamespaceLister, over one namespace of an indexer.
class GenericNamespaceLister {
 public:
  GenericNamespaceLister(const Indexer* indexer, std::string namespace_,
                         GroupResource resource)
      : indexer_(indexer), namespace_(std::move(namespace_)), resource_(std::move(resource)) {}

  // ListAllByNamespace into a vector.
  absl::StatusOr<std::vector<ObjectPtr>> List(const labels::Selector& selector) const;
  // The object stored under "<namespace>/<name>". Absent -> apimachinery
  // NewNotFound(resource, name) (IsApiNotFound); a store error is passed on.
  absl::StatusOr<ObjectPtr> Get(absl::string_view name) const;

 private:
  const Indexer* indexer_;
  std::string namespace_;
  GroupResource resource_;
};

// client-go GenericLister: the whole indexer.
class GenericLister {
 public:
  // client-go NewGenericLister.
  GenericLister(const Indexer* indexer, GroupResource resource)
      : indexer_(indexer), resource_(std::move(resource)) {}

  // ListAll into a vector (every namespace).
  absl::StatusOr<std::vector<ObjectPtr>> List(const labels::Selector& selector) const;
  // The object stored under the key `name` as given: the name of a
  // cluster-scoped object, or a "namespace/name" key. Absent -> NotFound.
  absl::StatusOr<ObjectPtr> Get(absl::string_view name) const;
  GenericNamespaceLister ByNamespace(std::string namespace_) const {
    return GenericNamespaceLister(indexer_, std::move(namespace_), resource_);
  }

 private:
  const Indexer* indexer_;
  GroupResource resource_;
};

}  // namespace informersim

#endif  // INFORMERSIM_CORE_LISTERS_H_
