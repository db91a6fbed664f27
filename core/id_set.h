// IdSet: a set of 32-bit ids (the store's item ids in one index bucket),
// open addressing with linear probing over 4-byte slots.
//
// Why not absl::flat_hash_set<uint32_t>: every indexer Add and Delete puts
// an id into, or takes one out of, the bucket of each of its index values.
// Debian's Abseil keeps the insert's slow path out of line and built with
// its assertions (`ShouldInsertBackwards` runs on every insert), about 190
// instructions per insert on W4; here an insert or erase is a multiply, a
// probe that nearly always ends at the first or second slot, and a store.
// Erasing shifts the following run back (no tombstones), so a bucket that
// is filled and emptied never accumulates dead slots.
//
// Order of iteration: slot order, which depends on the ids and the
// capacity only (no per-process seed); callers that need an order sort.
//
// Thread safety: none; the store's lock guards it. Memory: from the
// per-thread pool (core/small_block_pool.h), like the table it replaces.
// Invariants:
//   - a slot holds kEmpty or an id (< kEmpty); ids are distinct;
//   - every id is reachable from its home slot without crossing kEmpty;
//   - size() <= capacity * 3/4, capacity 0 or a power of two >= 8.
#ifndef INFORMERSIM_CORE_ID_SET_H_
#define INFORMERSIM_CORE_ID_SET_H_

#include <cassert>
#include <cstddef>
#include <cstdint>
#include <iterator>
#include <utility>

#include "core/small_block_pool.h"

namespace informersim {

class IdSet {
 public:
  static constexpr uint32_t kEmpty = 0xffffffffu;

  IdSet() = default;
  IdSet(const IdSet&) = delete;
  IdSet& operator=(const IdSet&) = delete;
  IdSet(IdSet&& other) noexcept { *this = std::move(other); }
  IdSet& operator=(IdSet&& other) noexcept {
    if (this != &other) {
      Free();
      slots_ = other.slots_;
      capacity_ = other.capacity_;
      size_ = other.size_;
      shift_ = other.shift_;
      other.slots_ = nullptr;
      other.capacity_ = 0;
      other.size_ = 0;
    }
    return *this;
  }
  ~IdSet() { Free(); }

  size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }
  size_t capacity() const { return capacity_; }

  // Adds `id` (< kEmpty); false if it was there already.
  bool insert(uint32_t id) {
    assert(id != kEmpty);
    if ((size_ + 1) * 4 > capacity_ * 3) Grow();
    for (size_t i = Home(id);; i = (i + 1) & (capacity_ - 1)) {
      if (slots_[i] == id) return false;
      if (slots_[i] == kEmpty) {
        slots_[i] = id;
        ++size_;
        return true;
      }
    }
  }

  bool contains(uint32_t id) const { return Find(id) != kNotFound; }

  // Removes `id`; false if it was not there.
  bool erase(uint32_t id) {
    size_t hole = Find(id);
    if (hole == kNotFound) return false;
    // Backward shift: move each later id of the run whose home does not lie
    // cyclically in (hole, j] into the hole, until the run ends.
    const size_t mask = capacity_ - 1;
    for (size_t j = (hole + 1) & mask; slots_[j] != kEmpty; j = (j + 1) & mask) {
      const size_t home = Home(slots_[j]);
      const bool stays = hole <= j ? (hole < home && home <= j) : (hole < home || home <= j);
      if (stays) continue;
      slots_[hole] = slots_[j];
      hole = j;
    }
    slots_[hole] = kEmpty;
    --size_;
    return true;
  }

  // Iteration in slot order over the ids.
  class const_iterator {
   public:
    using iterator_category = std::forward_iterator_tag;
    using value_type = uint32_t;
    using difference_type = std::ptrdiff_t;
    using pointer = const uint32_t*;
    using reference = const uint32_t&;

    const uint32_t& operator*() const { return *slot_; }
    const_iterator& operator++() {
      ++slot_;
      Skip();
      return *this;
    }
    bool operator==(const const_iterator& o) const { return slot_ == o.slot_; }
    bool operator!=(const const_iterator& o) const { return slot_ != o.slot_; }

   private:
    friend class IdSet;
    const_iterator(const uint32_t* slot, const uint32_t* end) : slot_(slot), end_(end) { Skip(); }
    void Skip() {
      while (slot_ != end_ && *slot_ == kEmpty) ++slot_;
    }
    const uint32_t* slot_;
    const uint32_t* end_;
  };
  const_iterator begin() const { return const_iterator(slots_, slots_ + capacity_); }
  const_iterator end() const { return const_iterator(slots_ + capacity_, slots_ + capacity_); }

 private:
  static constexpr size_t kNotFound = ~size_t{0};
  static constexpr size_t kMinCapacity = 8;

  // Fibonacci hashing: consecutive ids (the store hands them out in write
  // order) land far apart. Capacity 2^k reads the top k bits.
  size_t Home(uint32_t id) const {
    return static_cast<size_t>((uint64_t{id} * 0x9e3779b97f4a7c15ull) >> shift_);
  }
  size_t Find(uint32_t id) const {
    if (size_ == 0) return kNotFound;
    for (size_t i = Home(id);; i = (i + 1) & (capacity_ - 1)) {
      if (slots_[i] == id) return i;
      if (slots_[i] == kEmpty) return kNotFound;
    }
  }
  void Grow();
  void Free() {
    if (slots_ != nullptr) SmallBlockPool::Deallocate(slots_, capacity_ * sizeof(uint32_t));
    slots_ = nullptr;
  }

  uint32_t* slots_ = nullptr;
  size_t capacity_ = 0;
  size_t size_ = 0;
  int shift_ = 63;  // 64 minus the index bits of capacity_; unused while it is 0
};

}  // namespace informersim

#endif  // INFORMERSIM_CORE_ID_SET_H_
