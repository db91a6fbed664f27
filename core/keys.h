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
#include "core/short_bytes.h"

namespace informersim {

// client-go KeyFunc.
using KeyFunc = std::function<absl::StatusOr<std::string>(const Item&)>;

// K1: ExplicitKey -> itself; an object with meta -> "ns/name" or "name";
// anything else -> error "object has no meta: ...".
absl::StatusOr<std::string> MetaNamespaceKeyFunc(const Item& item);

// K2: a DeletedFinalStateUnknown -> its key; anything else -> K1.
absl::StatusOr<std::string> DeletionHandlingMetaNamespaceKeyFunc(const Item& item);

// True iff `f` holds MetaNamespaceKeyFunc or DeletionHandlingMetaNamespaceKeyFunc
// itself. Both give an object with meta the same key, which queues and stores
// then build with MetaNamespaceKeyInto instead of calling through `f`.
bool IsMetaNamespaceKeyFunc(const KeyFunc& f);

// The length of K1's key for `meta`: "ns/name", or "name" without a
// namespace.
inline size_t MetaNamespaceKeySize(const api::ObjectMeta& meta) {
  const size_t ns = meta.namespace_().size();
  return ns == 0 ? meta.name().size() : ns + 1 + meta.name().size();
}

// Writes K1's key for `meta` to `out`, which has room for
// MetaNamespaceKeySize(meta) bytes: two copies and the slash, short ones
// inline (core/short_bytes.h).
inline void WriteMetaNamespaceKey(const api::ObjectMeta& meta, char* out) {
  const std::string& ns = meta.namespace_();
  const std::string& name = meta.name();
  if (!ns.empty()) {
    CopyShortBytes(out, ns.data(), ns.size());
    out[ns.size()] = '/';
    out += ns.size() + 1;
  }
  CopyShortBytes(out, name.data(), name.size());
}

// K1 for an API object with meta: writes "ns/name" (or "name") to *key and
// returns true. Returns false, leaving *key alone, for anything else (the
// caller then calls the key function, which decides the key or the error).
// Inline and without a status: keys are built on every queue and store write.
inline bool MetaNamespaceKeyInto(const Item& item, std::string* key) {
  const api::ObjectMeta* meta = item.meta();
  if (meta == nullptr) return false;
  key->resize(MetaNamespaceKeySize(*meta));
  WriteMetaNamespaceKey(*meta, &(*key)[0]);
  return true;
}

// K1 for an API object with meta, written to a caller's buffer of
// `capacity` bytes: for write paths that only look the key up, or copy it
// once into a new entry, and so need no std::string of their own. Returns
// true and sets *size for an object with meta whose key fits; false (the
// caller then builds the key the usual way) otherwise.
inline bool MetaNamespaceKeyToBuffer(const Item& item, char* buf, size_t capacity,
                                     size_t* size) {
  const api::ObjectMeta* meta = item.meta();
  if (meta == nullptr) return false;
  const size_t n = MetaNamespaceKeySize(*meta);
  if (n > capacity) return false;
  WriteMetaNamespaceKey(*meta, buf);
  *size = n;
  return true;
}

// A K1 key written on the stack by MetaNamespaceKeyToBuffer, for the write
// paths that need a std::string only for a key new to them (DeltaFIFO's Add
// and Update, the Cache's Add, Update and Delete). K1/K2 keys are nearly
// always far shorter than the buffer.
class StackKey {
 public:
  static constexpr size_t kCapacity = 128;
  // True iff `item` is an object with meta whose key fits; then view() is
  // its key until the next Build.
  bool Build(const Item& item) { return MetaNamespaceKeyToBuffer(item, buf_, kCapacity, &size_); }
  absl::string_view view() const { return absl::string_view(buf_, size_); }

 private:
  char buf_[kCapacity];
  size_t size_ = 0;
};

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
