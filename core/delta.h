// Delta and Deltas: the change records that DeltaFIFO and RealFIFO queue and
// that the controller applies to the indexer (client-go delta_fifo.go).
//
// Thread safety: plain values. Invariant: a Deltas value popped from a queue
// is never empty and is ordered oldest first.
#ifndef INFORMERSIM_CORE_DELTA_H_
#define INFORMERSIM_CORE_DELTA_H_

#include <cassert>
#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <iterator>
#include <limits>
#include <new>
#include <utility>

#include "absl/base/attributes.h"
#include "absl/base/optimization.h"
#include "absl/strings/string_view.h"
#include "core/item.h"
#include "core/small_block_pool.h"

namespace informersim {

// client-go DeltaType. ReplacedAll, SyncAll and Bookmark are emitted only by
// RealFIFO in atomic mode (R5, R7, R8).
enum class DeltaType : uint8_t {
  kAdded,
  kUpdated,
  kDeleted,
  kReplaced,
  kSync,
  kReplacedAll,
  kSyncAll,
  kBookmark,
};

// client-go's string for the type: "Added", "Updated", ...
absl::string_view DeltaTypeName(DeltaType type);

struct Delta {
  DeltaType type;
  Item object;
};

// client-go's Deltas ([]Delta), oldest first: a small vector made for the
// queues' hot path.
//   - One delta inline: most keys hold one delta when popped, and then
//     queueing, popping and moving the list never touch the heap.
//   - A key that collects a second delta spills to room for four (a key
//     that is updated twice before a pop is usually updated more), then
//     grows fourfold (16, 64, ...), in blocks of the per-thread
//     SmallBlockPool, which the Deltas freed by earlier pops refill
//     (core/small_block_pool.h). Fourfold, not twofold: each growth takes a
//     block that is cold by the time it is reused and copies the list, and
//     a key updated ten times between pops (the update-churn workload)
//     grows twice instead of three times. reserve() still rounds to the
//     next power of two.
//   - Growing and moving relocate the deltas bit for bit (Item is bitwise
//     relocatable, see core/item.h): a memcpy of the array instead of a move
//     and a destruction per reference, which is what made absl's
//     InlinedVector's growth a sixth of an update-churn delta's cost.
//
// Thread safety: a plain value.
// Invariants: size_ <= capacity_; capacity_ == 1 iff the storage is the
// inline slot; a heap capacity is a power of two, at least kFirstSpill;
// exactly the first size_ slots hold constructed deltas.
class Deltas {
 public:
  using value_type = Delta;
  using size_type = size_t;
  using reference = Delta&;
  using const_reference = const Delta&;
  using iterator = Delta*;
  using const_iterator = const Delta*;

  Deltas() noexcept {}
  Deltas(std::initializer_list<Delta> deltas) {
    reserve(deltas.size());
    for (const Delta& delta : deltas) new (data() + size_++) Delta(delta);
  }
  // The deltas of [first, last), in order.
  template <typename It, typename = typename std::iterator_traits<It>::iterator_category>
  Deltas(It first, It last) {
    for (; first != last; ++first) emplace_back(*first);
  }
  Deltas(const Deltas& other) {
    reserve(other.size_);
    for (const Delta& delta : other) new (data() + size_++) Delta(delta);
  }
  Deltas(Deltas&& other) noexcept { TakeFrom(&other); }
  Deltas& operator=(const Deltas& other) {
    if (this != &other) *this = Deltas(other);
    return *this;
  }
  Deltas& operator=(Deltas&& other) noexcept {
    if (this != &other) {
      Release();
      TakeFrom(&other);
    }
    return *this;
  }
  ~Deltas() { Release(); }

  size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }
  size_t capacity() const { return capacity_; }

  Delta* data() { return is_inline() ? InlineSlot() : heap_; }
  const Delta* data() const { return is_inline() ? InlineSlot() : heap_; }
  Delta* begin() { return data(); }
  Delta* end() { return data() + size_; }
  const Delta* begin() const { return data(); }
  const Delta* end() const { return data() + size_; }
  const Delta* cbegin() const { return begin(); }
  const Delta* cend() const { return end(); }

  Delta& operator[](size_t i) {
    assert(i < size_);
    return data()[i];
  }
  const Delta& operator[](size_t i) const {
    assert(i < size_);
    return data()[i];
  }
  Delta& front() { return (*this)[0]; }
  const Delta& front() const { return (*this)[0]; }
  Delta& back() { return (*this)[size_ - 1]; }
  const Delta& back() const { return (*this)[size_ - 1]; }

  // Room for `n` deltas without growing.
  void reserve(size_t n) {
    if (n > capacity_) Relocate(HeapCapacityFor(n));
  }
  // `args` initialise the Delta as an aggregate ({type, item}) or copy or
  // move one; they may refer to a delta of this list.
  template <typename... Args>
  Delta& emplace_back(Args&&... args) {
    if (ABSL_PREDICT_FALSE(size_ == capacity_)) {
      return EmplaceBackGrowing(std::forward<Args>(args)...);
    }
    Delta* slot = new (data() + size_) Delta{std::forward<Args>(args)...};
    ++size_;
    return *slot;
  }
  void push_back(const Delta& delta) { emplace_back(delta); }
  void push_back(Delta&& delta) { emplace_back(std::move(delta)); }
  void pop_back() {
    assert(size_ > 0);
    data()[--size_].~Delta();
  }
  // Destroys every delta; keeps the storage.
  void clear() {
    Delta* d = data();
    for (uint32_t i = 0; i < size_; ++i) d[i].~Delta();
    size_ = 0;
  }

 private:
  static constexpr uint32_t kFirstSpill = 4;
  static constexpr uint32_t kGrowth = 4;

  bool is_inline() const { return capacity_ == 1; }
  Delta* InlineSlot() { return std::launder(reinterpret_cast<Delta*>(inline_)); }
  const Delta* InlineSlot() const {
    return std::launder(reinterpret_cast<const Delta*>(inline_));
  }
  // The heap capacity that holds `n` deltas: a power of two >= kFirstSpill.
  static uint32_t HeapCapacityFor(size_t n);
  // Moves the deltas, bit for bit, to a new heap block of `capacity`.
  void Relocate(uint32_t capacity);
  template <typename... Args>
  ABSL_ATTRIBUTE_NOINLINE Delta& EmplaceBackGrowing(Args&&... args) {
    // The new delta is made before the old storage is given back, as args
    // may refer into it.
    assert(capacity_ <= std::numeric_limits<uint32_t>::max() / kGrowth);
    const uint32_t capacity = is_inline() ? kFirstSpill : capacity_ * kGrowth;
    Delta* fresh = Allocate(capacity);
    Delta* slot = new (fresh + size_) Delta{std::forward<Args>(args)...};
    MoveStorage(fresh, capacity);
    ++size_;
    return *slot;
  }
  static Delta* Allocate(uint32_t capacity);
  // Copies the deltas' bytes into `fresh` (room for `capacity`), frees the
  // old heap block, if any, and adopts `fresh`.
  void MoveStorage(Delta* fresh, uint32_t capacity) noexcept;
  // Destroys the deltas and frees the heap block, if any: empty and inline.
  // Inline: every pop ends a Deltas, nearly always one inline delta.
  void Release() noexcept {
    clear();
    if (!is_inline()) FreeHeap();
  }
  // Gives the heap block back; the storage is inline (and empty) after.
  void FreeHeap() noexcept;
  // Takes other's deltas (its block, or its inline delta's bytes) and leaves
  // it empty and inline. *this holds nothing when called.
  void TakeFrom(Deltas* other) noexcept;

  uint32_t size_ = 0;
  uint32_t capacity_ = 1;
  union {
    alignas(Delta) unsigned char inline_[sizeof(Delta)];
    Delta* heap_;
  };
};
static_assert(sizeof(Deltas) == 8 + sizeof(Delta), "Deltas is a queue entry's largest part");

// RealFIFO's batch processing stops at these types and takes them alone (R10).
inline bool IsBatchable(DeltaType type) {
  return type != DeltaType::kReplacedAll && type != DeltaType::kSyncAll &&
         type != DeltaType::kBookmark;
}

}  // namespace informersim

#endif  // INFORMERSIM_CORE_DELTA_H_
