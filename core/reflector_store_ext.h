// Optional capabilities a ReflectorStore may have, which the Reflector
// discovers with dynamic_cast (client-go's ReflectorBookmarkStore,
// ResourceVersionUpdater and TransformingStore, rules RF10 and RF15).
//
// Why separate interfaces: client-go checks these with type assertions on the
// store, so a store opts in by implementing them. Store::Bookmark (S5, no
// status) is a different method: like client-go's cache, a plain Store does
// not receive watch bookmarks from the reflector.
//
// Thread safety: implementations must be safe to call from the reflector's
// strand while other threads use the store.
#ifndef INFORMERSIM_CORE_REFLECTOR_STORE_EXT_H_
#define INFORMERSIM_CORE_REFLECTOR_STORE_EXT_H_

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "core/store.h"

namespace informersim {

// RF10: told of every watch bookmark's resource version.
class ReflectorBookmarkStore {
 public:
  virtual ~ReflectorBookmarkStore() = default;
  virtual absl::Status Bookmark(absl::string_view resource_version) = 0;
};

// RF10: told of the resource version of every event the reflector accepts
// (when it propagates it to LastSyncResourceVersion).
class ResourceVersionUpdater {
 public:
  virtual ~ResourceVersionUpdater() = default;
  virtual void UpdateResourceVersion(absl::string_view resource_version) = 0;
};

// RF15: the transformer the watch-list's temporary store must use too. An
// empty function means none.
class TransformingStore {
 public:
  virtual ~TransformingStore() = default;
  virtual const TransformFunc& Transformer() const = 0;
};

}  // namespace informersim

#endif  // INFORMERSIM_CORE_REFLECTOR_STORE_EXT_H_
