#include "core/delta.h"

#include <cstring>
#include <limits>

namespace informersim {

absl::string_view DeltaTypeName(DeltaType type) {
  switch (type) {
    case DeltaType::kAdded:
      return "Added";
    case DeltaType::kUpdated:
      return "Updated";
    case DeltaType::kDeleted:
      return "Deleted";
    case DeltaType::kReplaced:
      return "Replaced";
    case DeltaType::kSync:
      return "Sync";
    case DeltaType::kReplacedAll:
      return "ReplacedAll";
    case DeltaType::kSyncAll:
      return "SyncAll";
    case DeltaType::kBookmark:
      return "Bookmark";
  }
  return "Unknown";
}

// ---------------------------------------------------------------------------
// Deltas

uint32_t Deltas::HeapCapacityFor(size_t n) {
  assert(n <= std::numeric_limits<uint32_t>::max() / 2);
  uint32_t capacity = kFirstSpill;
  while (capacity < n) capacity *= 2;
  return capacity;
}

Delta* Deltas::Allocate(uint32_t capacity) {
  return static_cast<Delta*>(SmallBlockPool::Allocate(size_t{capacity} * sizeof(Delta)));
}

void Deltas::MoveStorage(Delta* fresh, uint32_t capacity) noexcept {
  // Relocation bit for bit: the old bytes are abandoned, not destroyed.
  std::memcpy(static_cast<void*>(fresh), static_cast<const void*>(data()),
              size_t{size_} * sizeof(Delta));
  if (!is_inline()) SmallBlockPool::Deallocate(heap_, size_t{capacity_} * sizeof(Delta));
  heap_ = fresh;
  capacity_ = capacity;
}

void Deltas::Relocate(uint32_t capacity) {
  assert(capacity > capacity_);
  MoveStorage(Allocate(capacity), capacity);
}

void Deltas::FreeHeap() noexcept {
  assert(!is_inline() && size_ == 0);
  SmallBlockPool::Deallocate(heap_, size_t{capacity_} * sizeof(Delta));
  capacity_ = 1;
}

void Deltas::TakeFrom(Deltas* other) noexcept {
  assert(size_ == 0 && is_inline());
  if (other->is_inline()) {
    if (other->size_ != 0) {
      std::memcpy(static_cast<void*>(inline_), static_cast<const void*>(other->inline_),
                  sizeof(Delta));
    }
  } else {
    heap_ = other->heap_;
    capacity_ = other->capacity_;
    other->capacity_ = 1;
  }
  size_ = other->size_;
  other->size_ = 0;
}

}  // namespace informersim
