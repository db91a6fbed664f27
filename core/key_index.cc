#include "core/key_index.h"

#include <algorithm>
#include <cstring>

#include "core/block_cache.h"
#include "core/short_bytes.h"

namespace informersim {
namespace {

constexpr uint64_t kSeedA = 0x9E3779B97F4A7C15u;
constexpr uint64_t kSeedB = 0xC2B2AE3D27D4EB4Fu;
constexpr uint64_t kSeedC = 0x165667B19E3779F9u;

// The 128-bit product folded to 64 bits: every input bit reaches the high
// half, and the fold brings it down to the bits the index reads.
inline uint64_t Fold(uint64_t a, uint64_t b) {
  const unsigned __int128 p = static_cast<unsigned __int128>(a) * b;
  return static_cast<uint64_t>(p) ^ static_cast<uint64_t>(p >> 64);
}

}  // namespace

uint32_t KeyHash(absl::string_view key) {
  const char* p = key.data();
  const size_t n = key.size();
  uint64_t a = 0;
  uint64_t b = 0;
  if (n > 16) {
    // 16 bytes a round; the last (possibly overlapping) 16 go to the fold.
    uint64_t state = kSeedC;
    for (size_t i = 0; i + 16 < n; i += 16) {
      state = Fold(LoadWord64(p + i) ^ kSeedA, LoadWord64(p + i + 8) ^ state);
    }
    a = LoadWord64(p + n - 16) ^ state;
    b = LoadWord64(p + n - 8);
  } else if (n >= 8) {
    // Two loads that overlap for n < 16 cover every byte.
    a = LoadWord64(p);
    b = LoadWord64(p + n - 8);
  } else if (n >= 4) {
    a = LoadWord32(p);
    b = LoadWord32(p + n - 4);
  } else if (n > 0) {
    const auto byte = [p](size_t i) { return static_cast<uint64_t>(static_cast<uint8_t>(p[i])); };
    a = (byte(0) << 16) | (byte(n / 2) << 8) | byte(n - 1);
  }
  const uint64_t h = Fold(a ^ kSeedA, b ^ kSeedB ^ n);
  return static_cast<uint32_t>(h ^ (h >> 32));
}

KeyIndex::~KeyIndex() {
  if (slots_ != nullptr) CachedAllocator<uint64_t>().deallocate(slots_, capacity_);
}

void KeyIndex::Insert(uint32_t hash, uint32_t id) {
  if (size_ + tombstones_ + 1 > grow_at_) Rehash(size_ + 1);
  const uint32_t tag = Tag(hash);
  size_t i = Home(tag);
  while (slots_[i] != kEmpty && slots_[i] != kTombstone) i = (i + 1) & mask_;
  Store(i, Slot(tag, id));
}

void KeyIndex::Erase(uint32_t hash, uint32_t id) {
  const uint64_t target = Slot(Tag(hash), id);
  size_t i = Home(Tag(hash));
  while (slots_[i] != target) {
    if (slots_[i] == kEmpty) {
      assert(false && "KeyIndex::Erase of a slot that is not stored");
      return;
    }
    i = (i + 1) & mask_;
  }
  --size_;
  if (slots_[(i + 1) & mask_] != kEmpty) {
    slots_[i] = kTombstone;
    ++tombstones_;
    return;
  }
  // Nothing probes past an empty slot: this one and the tombstones just
  // before it can be empty too.
  slots_[i] = kEmpty;
  for (i = (i - 1) & mask_; slots_[i] == kTombstone; i = (i - 1) & mask_) {
    slots_[i] = kEmpty;
    --tombstones_;
  }
}

void KeyIndex::Reserve(size_t n) {
  if (n + tombstones_ > grow_at_) Rehash(n);
}

void KeyIndex::Rehash(size_t n) {
  // Room for n and an eighth more: a table that tombstones filled grows
  // once its live keys alone come near the limit, instead of being rehashed
  // at the same size again and again (the writes between two rehashes grow
  // with the table, so the cost per write stays constant).
  const size_t want = std::max(n, size_) + std::max(n, size_) / 8;
  size_t capacity = kMinCapacity;
  while (want > capacity / kMaxLoadDen * kMaxLoadNum) capacity *= 2;
  capacity = std::max(capacity, capacity_);
  // Ids and hashes are 32-bit; the home position needs shift_ >= 0.
  assert(capacity <= (size_t{1} << 32) && "KeyIndex beyond 2^32 slots");
  uint64_t* const old = slots_;
  const size_t old_capacity = capacity_;
  CachedAllocator<uint64_t> allocator;
  slots_ = allocator.allocate(capacity);
  std::memset(slots_, 0, capacity * sizeof(uint64_t));
  capacity_ = capacity;
  mask_ = capacity - 1;
  shift_ = 32;
  for (size_t c = capacity; c > 1; c >>= 1) --shift_;
  grow_at_ = capacity / kMaxLoadDen * kMaxLoadNum;
  tombstones_ = 0;
  for (size_t j = 0; j < old_capacity; ++j) {
    const uint64_t slot = old[j];
    if (slot == kEmpty || slot == kTombstone) continue;
    size_t i = Home(static_cast<uint32_t>(slot >> 32));
    while (slots_[i] != kEmpty) i = (i + 1) & mask_;
    slots_[i] = slot;
  }
  if (old != nullptr) allocator.deallocate(old, old_capacity);
}

}  // namespace informersim
