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

// Unaligned word loads and stores in host byte order: a fixed-size memcpy,
// which compiles to one move and no call. Also what the key hash reads
// its words with (core/key_index.cc).
inline uint64_t LoadWord64(const char* p) {
  uint64_t v;
  std::memcpy(&v, p, sizeof(v));
  return v;
}
inline uint32_t LoadWord32(const char* p) {
  uint32_t v;
  std::memcpy(&v, p, sizeof(v));
  return v;
}
inline void StoreWord64(char* p, uint64_t v) { std::memcpy(p, &v, sizeof(v)); }
inline void StoreWord32(char* p, uint32_t v) { std::memcpy(p, &v, sizeof(v)); }

// memcpy(dst, src, n) for ranges that do not overlap.
inline void CopyShortBytes(char* dst, const char* src, size_t n) {
  if (n >= 8 && n <= 16) {
    // Both loads happen before either store: the tail may overlap the head.
    const uint64_t head = LoadWord64(src);
    const uint64_t tail = LoadWord64(src + n - 8);
    StoreWord64(dst, head);
    StoreWord64(dst + n - 8, tail);
  } else if (n >= 4 && n < 8) {
    const uint32_t head = LoadWord32(src);
    const uint32_t tail = LoadWord32(src + n - 4);
    StoreWord32(dst, head);
    StoreWord32(dst + n - 4, tail);
  } else if (n < 4) {
    for (size_t i = 0; i < n; ++i) dst[i] = src[i];
  } else {
    std::memcpy(dst, src, n);
  }
}

// a == b, byte for byte.
inline bool EqualBytes(absl::string_view a, absl::string_view b) {
  const size_t n = a.size();
  if (n != b.size()) return false;
  const char* p = a.data();
  const char* q = b.data();
  if (n >= 8 && n <= 16) {
    return ((LoadWord64(p) ^ LoadWord64(q)) |
            (LoadWord64(p + n - 8) ^ LoadWord64(q + n - 8))) == 0;
  }
  if (n >= 4 && n < 8) {
    return ((LoadWord32(p) ^ LoadWord32(q)) |
            (LoadWord32(p + n - 4) ^ LoadWord32(q + n - 4))) == 0;
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
