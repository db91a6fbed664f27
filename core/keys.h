// Key functions of client-go's tools/cache (rules K1-K4): how an item maps to
// its storage key "namespace/name" (or "name" for cluster-scoped objects).
//
// Thread safety: pure functions; safe from any thread.
#ifndef INFORMERSIM_CORE_KEYS_H_
#define INFORMERSIM_CORE_KEYS_H_

#include <functional>
#include <string>
#include <utility>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "core/item.h"

namespace informersim {

// client-go KeyFunc.
using KeyFunc = std::function<absl::StatusOr<std::string>(const Item&)>;

// K1: ExplicitKey -> itself; an object with meta -> "ns/name" or "name";
// anything else -> error "object has no meta: ...".
absl::StatusOr<std::string> MetaNamespaceKeyFunc(const Item& item);

// K2: a DeletedFinalStateUnknown -> its key; anything else -> K1.
absl::StatusOr<std::string> DeletionHandlingMetaNamespaceKeyFunc(const Item& item);

// K3: "name" -> ("", name); "ns/name" -> (ns, name); anything else ->
// InvalidArgument "unexpected key format: \"...\"".
absl::StatusOr<std::pair<std::string, std::string>> SplitMetaNamespaceKey(
    absl::string_view key);

// K4: client-go KeyError. The message is "couldn't create key for object
// <item>: <cause>"; the status keeps the cause's code and payloads and is
// tagged kKeyErrorTag.
absl::Status KeyError(const Item& item, const absl::Status& cause);
bool IsKeyError(const absl::Status& status);

}  // namespace informersim

#endif  // INFORMERSIM_CORE_KEYS_H_
