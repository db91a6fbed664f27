#include "core/listers.h"

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "core/api/object.h"
#include "core/api_errors.h"
#include "core/index.h"

namespace informersim {
namespace {

absl::Status NoMeta(const Item& item) {
  return absl::InvalidArgumentError(absl::StrCat("object has no meta: ", item.DebugString()));
}

// The matching loop ListAll and the indexed path of ListAllByNamespace share.
absl::Status AppendMatching(const std::vector<Item>& items, const labels::Selector& selector,
                            AppendFunc append_fn) {
  // An empty selector matches everything: skip reading labels (client-go
  // does so to keep listing everything cheap).
  const bool select_all = selector.Empty();
  for (const Item& item : items) {
    if (select_all) {
      append_fn(item);
      continue;
    }
    const api::ObjectMeta* meta = item.meta();
    if (meta == nullptr) return NoMeta(item);
    if (selector.Matches(meta->labels())) append_fn(item);
  }
  return absl::OkStatus();
}

// GenericLister's `m.(runtime.Object)`: the Go type assertion panics on a
// non-object; this reports it.
absl::StatusOr<std::vector<ObjectPtr>> Collect(
    const std::function<absl::Status(AppendFunc)>& list) {
  std::vector<ObjectPtr> out;
  Item bad;
  absl::Status status = list([&](const Item& item) {
    if (item.is_object()) {
      out.push_back(item.object());
    } else if (bad.is_null()) {
      bad = item;
    }
  });
  if (!status.ok()) return status;
  if (!bad.is_null()) {
    return absl::FailedPreconditionError(
        absl::StrCat("lister: stored item is not an API object: ", bad.DebugString()));
  }
  return out;
}

absl::StatusOr<ObjectPtr> GetByKey(const Indexer& indexer, const std::string& key,
                                   const GroupResource& resource, absl::string_view name) {
  absl::StatusOr<std::optional<Item>> found = indexer.GetByKey(key);
  if (!found.ok()) return found.status();
  if (!found->has_value()) return NotFoundApiError(resource.group, resource.resource, name);
  const Item& item = **found;
  if (!item.is_object()) {
    return absl::FailedPreconditionError(
        absl::StrCat("lister: stored item is not an API object: ", item.DebugString()));
  }
  return item.object();
}

}  // namespace

absl::Status ListAll(const Store& store, const labels::Selector& selector,
                     AppendFunc append_fn) {
  if (labels::MatchesNothing(selector)) return absl::OkStatus();
  return AppendMatching(store.List(), selector, append_fn);
}

absl::Status ListAllByNamespace(const Indexer& indexer, absl::string_view namespace_,
                                const labels::Selector& selector, AppendFunc append_fn) {
  if (labels::MatchesNothing(selector)) return absl::OkStatus();
  if (namespace_ == kNamespaceAll) return ListAll(indexer, selector, append_fn);

  // client-go probes the index with a bare ObjectMeta in the namespace.
  api::Object probe;
  probe.mutable_metadata()->set_namespace_(std::string(namespace_));
  absl::StatusOr<std::vector<Item>> items =
      indexer.Index(kNamespaceIndex, Item(MakeObject(std::move(probe))));
  if (!items.ok()) {
    // No usable namespace index: scan everything (client-go logs a warning
    // here).
    for (const Item& item : indexer.List()) {
      const api::ObjectMeta* meta = item.meta();
      if (meta == nullptr) return NoMeta(item);
      if (meta->namespace_() == namespace_ && selector.Matches(meta->labels())) {
        append_fn(item);
      }
    }
    return absl::OkStatus();
  }
  return AppendMatching(*items, selector, append_fn);
}

absl::StatusOr<std::vector<ObjectPtr>> GenericLister::List(
    const labels::Selector& selector) const {
  return Collect([&](AppendFunc append) { return ListAll(*indexer_, selector, append); });
}

absl::StatusOr<ObjectPtr> GenericLister::Get(absl::string_view name) const {
  return GetByKey(*indexer_, std::string(name), resource_, name);
}

absl::StatusOr<std::vector<ObjectPtr>> GenericNamespaceLister::List(
    const labels::Selector& selector) const {
  return Collect([&](AppendFunc append) {
    return ListAllByNamespace(*indexer_, namespace_, selector, append);
  });
}

absl::StatusOr<ObjectPtr> GenericNamespaceLister::Get(absl::string_view name) const {
  return GetByKey(*indexer_, absl::StrCat(namespace_, "/", name), resource_, name);
}

}  // namespace informersim
