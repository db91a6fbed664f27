// KeyString: an object key as a queue entry keeps it: up to kInlineBytes
// bytes inside the value, longer keys on the heap.
//
// Why not std::string: its short-string buffer avoids the allocation too,
// but libstdc++ builds even a short string out of line (length check,
// capacity, terminator, a memcpy call): about 45 instructions for every key
// a DeltaFIFO add queues anew, a tenth of the add. Here a key of up to 24
// bytes (namespace/name keys nearly always are) is copied as two or three
// words with no call.
//
// Thread safety: a plain value.
// Invariants: the bytes are inline iff size_ <= kInlineBytes; heap_ then is
// a block of exactly size_ bytes from operator new; no terminator is kept.
#ifndef INFORMERSIM_CORE_KEY_STRING_H_
#define INFORMERSIM_CORE_KEY_STRING_H_

#include <cstddef>
#include <cstring>
#include <new>
#include <string>

#include "absl/base/optimization.h"
#include "absl/strings/string_view.h"
#include "core/short_bytes.h"

namespace informersim {

class KeyString {
 public:
  static constexpr size_t kInlineBytes = 24;

  KeyString() noexcept {}
  explicit KeyString(absl::string_view key) : size_(key.size()) {
    if (ABSL_PREDICT_TRUE(key.size() <= kInlineBytes)) {
      CopyInline(key);
    } else {
      heap_ = static_cast<char*>(::operator new(key.size()));
      std::memcpy(heap_, key.data(), key.size());
    }
  }
  KeyString(const KeyString& other) : KeyString(other.view()) {}
  // Takes the bytes (or the heap block); `other` is left empty.
  KeyString(KeyString&& other) noexcept : size_(other.size_) {
    std::memcpy(inline_, other.inline_, kInlineBytes);
    other.size_ = 0;
  }
  KeyString& operator=(const KeyString& other) {
    if (this != &other) *this = KeyString(other.view());
    return *this;
  }
  KeyString& operator=(KeyString&& other) noexcept {
    if (this != &other) {
      FreeHeap();
      size_ = other.size_;
      std::memcpy(inline_, other.inline_, kInlineBytes);
      other.size_ = 0;
    }
    return *this;
  }
  ~KeyString() { FreeHeap(); }

  size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }
  const char* data() const { return size_ <= kInlineBytes ? inline_ : heap_; }
  absl::string_view view() const { return absl::string_view(data(), size_); }
  // Implicit, as a std::string's is: comparisons and lookups take views.
  operator absl::string_view() const { return view(); }  // NOLINT(google-explicit-constructor)
  std::string str() const { return std::string(data(), size_); }

 private:
  // Up to 16 bytes as two overlapping words (CopyShortBytes), 17 to 24 as
  // three; never reads outside `key`.
  void CopyInline(absl::string_view key) {
    const size_t n = key.size();
    const char* src = key.data();
    if (n <= 16) {
      CopyShortBytes(inline_, src, n);
      return;
    }
    const uint64_t a = LoadWord64(src);
    const uint64_t b = LoadWord64(src + 8);
    const uint64_t tail = LoadWord64(src + n - 8);
    StoreWord64(inline_, a);
    StoreWord64(inline_ + 8, b);
    StoreWord64(inline_ + n - 8, tail);
  }
  void FreeHeap() {
    if (size_ > kInlineBytes) ::operator delete(heap_);
  }

  size_t size_ = 0;
  union {
    char inline_[kInlineBytes];
    char* heap_;
  };
};
static_assert(sizeof(KeyString) == 32, "as large as a std::string");

}  // namespace informersim

#endif  // INFORMERSIM_CORE_KEY_STRING_H_
