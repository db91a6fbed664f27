// ShortString: a string kept inline up to kInlineBytes bytes, on the heap
// beyond: what the queues and the store keep per write that is nearly always
// short (object keys, resource versions).
//
// Why not std::string: its short-string buffer avoids the allocation too,
// but libstdc++ builds and assigns even a short string out of line (length
// checks, capacity, terminator, a memcpy call): about 45 instructions for
// every key a DeltaFIFO add queues anew (a tenth of the add) and 40 to 70
// for each key and resource version an indexer write stores. Here up to 24
// bytes (namespace/name keys and decimal RVs nearly always are) are copied
// as two or three words with no call.
//
// Thread safety: a plain value.
// Invariants: the bytes are inline iff size_ <= kInlineBytes; heap_ then is
// a block of exactly size_ bytes from operator new; no terminator is kept.
#ifndef INFORMERSIM_CORE_SHORT_STRING_H_
#define INFORMERSIM_CORE_SHORT_STRING_H_

#include <cstddef>
#include <cstring>
#include <new>
#include <string>

#include "absl/base/attributes.h"
#include "absl/base/optimization.h"
#include "absl/strings/string_view.h"
#include "core/short_bytes.h"

namespace informersim {

class ShortString {
 public:
  static constexpr size_t kInlineBytes = 24;

  ShortString() noexcept {}
  explicit ShortString(absl::string_view text) : size_(text.size()) {
    if (ABSL_PREDICT_TRUE(text.size() <= kInlineBytes)) {
      CopyInline(text);
    } else {
      heap_ = CopyToHeap(text);
    }
  }
  ShortString(const ShortString& other) : ShortString(other.view()) {}
  // Takes the bytes (or the heap block); `other` is left empty.
  ShortString(ShortString&& other) noexcept : size_(other.size_) {
    std::memcpy(inline_, other.inline_, kInlineBytes);
    other.size_ = 0;
  }
  ShortString& operator=(const ShortString& other) {
    assign(other.view());  // safe for self-assignment
    return *this;
  }
  ShortString& operator=(ShortString&& other) noexcept {
    if (this != &other) {
      FreeHeap();
      size_ = other.size_;
      std::memcpy(inline_, other.inline_, kInlineBytes);
      other.size_ = 0;
    }
    return *this;
  }
  ~ShortString() { FreeHeap(); }

  // Replaces the bytes with `text`, which may lie in this string.
  void assign(absl::string_view text) {
    // The common case, a short string over a short string, without a call.
    if (ABSL_PREDICT_TRUE(text.size() <= 16 && size_ <= kInlineBytes)) {
      CopyShortBytes(inline_, text.data(), text.size());
      size_ = text.size();
      return;
    }
    AssignAny(text);
  }
  void clear() { assign(absl::string_view()); }

  size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }
  const char* data() const { return size_ <= kInlineBytes ? inline_ : heap_; }
  absl::string_view view() const { return absl::string_view(data(), size_); }
  // Implicit, as a std::string's is: comparisons and lookups take views.
  operator absl::string_view() const { return view(); }  // NOLINT(google-explicit-constructor)
  std::string str() const { return std::string(data(), size_); }

 private:
  ABSL_ATTRIBUTE_NOINLINE void AssignAny(absl::string_view text) {
    // The new bytes are in place before the old block is freed.
    char* const old_heap = size_ > kInlineBytes ? heap_ : nullptr;
    if (ABSL_PREDICT_TRUE(text.size() <= kInlineBytes)) {
      CopyInline(text);
    } else {
      heap_ = CopyToHeap(text);
    }
    size_ = text.size();
    if (old_heap != nullptr) ::operator delete(old_heap);
  }
  // Up to 16 bytes as two overlapping words (CopyShortBytes), 17 to 24 as
  // three; every load comes before the stores, so `text` may overlap the
  // inline bytes; never reads outside `text`.
  void CopyInline(absl::string_view text) {
    const size_t n = text.size();
    const char* src = text.data();
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
  static char* CopyToHeap(absl::string_view text) {
    char* block = static_cast<char*>(::operator new(text.size()));
    std::memcpy(block, text.data(), text.size());
    return block;
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
static_assert(sizeof(ShortString) == 32, "as large as a std::string");

}  // namespace informersim

#endif  // INFORMERSIM_CORE_SHORT_STRING_H_
