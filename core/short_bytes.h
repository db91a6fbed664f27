// Copies and equality of short byte strings (object keys, names, namespaces)
// done inline, without a library call.
//
// Why: every queue and store write builds its key from the object's
// namespace and name and compares it with the key already stored, and those
// are nearly always 16 bytes or fewer. A call to memcpy or memcmp for such a
// length costs more in the call, its register spills and its size dispatch
// than in the copy or compare itself. Up to 16 bytes these read and write
// two (possibly overlapping) words, never a byte outside either range;
// longer strings go to the library.
//
// Thread safety: pure functions. Invariants: the result is exactly memcpy's
// and memcmp-equality's for every length.
#ifndef INFORMERSIM_CORE_SHORT_BYTES_H_
#define INFORMERSIM_CORE_SHORT_BYTES_H_

#include <cstddef>
#include <cstdint>
#include <cstring>

#include "absl/strings/string_view.h"

namespace informersim {
namespace short_bytes_internal {

// Fixed-size memcpy: compiled to one load (or store), no call.
inline uint64_t Load64(const char* p) {
  uint64_t v;
  std::memcpy(&v, p, sizeof(v));
  return v;
}
inline uint32_t Load32(const char* p) {
  uint32_t v;
  std::memcpy(&v, p, sizeof(v));
  return v;
}
inline void Store64(char* p, uint64_t v) { std::memcpy(p, &v, sizeof(v)); }
inline void Store32(char* p, uint32_t v) { std::memcpy(p, &v, sizeof(v)); }

}  // namespace short_bytes_internal

// memcpy(dst, src, n) for ranges that do not overlap.
inline void CopyShortBytes(char* dst, const char* src, size_t n) {
  using namespace short_bytes_internal;  // NOLINT(build/namespaces)
  if (n >= 8 && n <= 16) {
    // Both loads happen before either store: the tail may overlap the head.
    const uint64_t head = Load64(src);
    const uint64_t tail = Load64(src + n - 8);
    Store64(dst, head);
    Store64(dst + n - 8, tail);
  } else if (n >= 4 && n < 8) {
    const uint32_t head = Load32(src);
    const uint32_t tail = Load32(src + n - 4);
    Store32(dst, head);
    Store32(dst + n - 4, tail);
  } else if (n < 4) {
    for (size_t i = 0; i < n; ++i) dst[i] = src[i];
  } else {
    std::memcpy(dst, src, n);
  }
}

// a == b, byte for byte.
inline bool EqualBytes(absl::string_view a, absl::string_view b) {
  using namespace short_bytes_internal;  // NOLINT(build/namespaces)
  const size_t n = a.size();
  if (n != b.size()) return false;
  const char* p = a.data();
  const char* q = b.data();
  if (n >= 8 && n <= 16) {
    return ((Load64(p) ^ Load64(q)) | (Load64(p + n - 8) ^ Load64(q + n - 8))) == 0;
  }
  if (n >= 4 && n < 8) {
    return ((Load32(p) ^ Load32(q)) | (Load32(p + n - 4) ^ Load32(q + n - 4))) == 0;
  }
  if (n < 4) {
    for (size_t i = 0; i < n; ++i) {
      if (p[i] != q[i]) return false;
    }
    return true;
  }
  return std::memcmp(p, q, n) == 0;
}

}  // namespace informersim

#endif  // INFORMERSIM_CORE_SHORT_BYTES_H_
