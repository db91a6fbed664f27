#include "core/id_set.h"

#include <algorithm>

namespace informersim {

void IdSet::Grow() {
  const size_t capacity = capacity_ == 0 ? kMinCapacity : capacity_ * 2;
  auto* slots = static_cast<uint32_t*>(SmallBlockPool::Allocate(capacity * sizeof(uint32_t)));
  std::fill(slots, slots + capacity, kEmpty);
  uint32_t* old = slots_;
  const size_t old_capacity = capacity_;
  slots_ = slots;
  capacity_ = capacity;
  shift_ = 64 - __builtin_ctzll(static_cast<unsigned long long>(capacity));
  // Every old id is distinct: straight to its first empty slot.
  for (size_t i = 0; i < old_capacity; ++i) {
    const uint32_t id = old[i];
    if (id == kEmpty) continue;
    size_t j = Home(id);
    while (slots_[j] != kEmpty) j = (j + 1) & (capacity_ - 1);
    slots_[j] = id;
  }
  if (old != nullptr) SmallBlockPool::Deallocate(old, old_capacity * sizeof(uint32_t));
}

}  // namespace informersim
