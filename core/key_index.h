// KeyIndex: the hash index from object keys to the 32-bit ids (or queue
// positions) under which a queue or a store keeps them, and KeyHash, the
// hash it is used with. The keys themselves stay with the caller: a slot is
// 8 bytes (the key's hash and its id), and a lookup asks the caller whether
// the entry with a given id holds the probed key only when the stored hash
// matches (in all but its lowest bit).
//
// Why not absl's flat_hash_set of such slots (what DeltaFIFO and the store
// used before): every Add, Update and Delete of a queue or an indexer looks a
// key up once, and most lookups find the key in the first slot they read.
// Linear probing over 8-byte slots does that in a handful of instructions
// (one load, one compare), where the group-probing table also broadcast a
// control byte, matched a 16-byte group and salted its position per table.
// An erased slot becomes empty when the slot after it is empty (nothing
// probes past it then), else a tombstone that lookups step over and inserts
// reuse; tombstones go at the next rehash, which comes before live slots
// and tombstones together fill the table past its load limit.
//
// Thread safety: none; the queue or store that owns it guards it.
// Invariants:
//   - a slot is empty (0), a tombstone (1), or holds
//     (hash | 1) << 32 | id, so a stored slot is neither and any id,
//     0xffffffff included, can be stored;
//   - every stored slot is reachable from its home position (the top bits of
//     its hash) without crossing an empty slot;
//   - no tombstone is followed by an empty slot;
//   - size() + tombstones <= capacity * 13/16, capacity a power of two (or 0).
#ifndef INFORMERSIM_CORE_KEY_INDEX_H_
#define INFORMERSIM_CORE_KEY_INDEX_H_

#include <cassert>
#include <cstddef>
#include <cstdint>
#include <optional>

#include "absl/strings/string_view.h"

namespace informersim {

// A 32-bit hash of a key's bytes, the same in every process (nothing
// observable depends on it, but a fixed function keeps profiles comparable).
uint32_t KeyHash(absl::string_view key);

// KeyHash as the hasher of an absl hash table keyed by strings: about half
// the instructions of absl::Hash on short keys. Transparent, so a
// string_view finds a std::string key (with absl's default string
// equality), and spread over 64 bits, as the table takes where to probe
// from the high bits and a tag from the low seven.
struct KeyHasher {
  using is_transparent = void;
  size_t operator()(absl::string_view key) const {
    return static_cast<size_t>(KeyHash(key) * uint64_t{0x9e3779b97f4a7c15});
  }
};

class KeyIndex {
 public:
  KeyIndex() = default;
  KeyIndex(const KeyIndex&) = delete;
  KeyIndex& operator=(const KeyIndex&) = delete;
  ~KeyIndex();

  size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }
  // Slots allocated (for tests and memory accounting).
  size_t capacity() const { return capacity_; }

  // The id stored for the key whose hash is `hash`, if any. `same(id)` says
  // whether entry `id` holds the probed key.
  template <typename Same>
  std::optional<uint32_t> Find(uint32_t hash, Same&& same) const {
    if (size_ == 0) return std::nullopt;
    const uint32_t tag = Tag(hash);
    for (size_t i = Home(tag);; i = (i + 1) & mask_) {
      const uint64_t slot = slots_[i];
      if (slot == 0) return std::nullopt;
      if (static_cast<uint32_t>(slot >> 32) == tag && same(static_cast<uint32_t>(slot))) {
        return static_cast<uint32_t>(slot);
      }
    }
  }

  // The id stored for the key, or, when absent, stores `id` for it and sets
  // *inserted; one probe for both.
  template <typename Same>
  uint32_t FindOrInsert(uint32_t hash, uint32_t id, Same&& same, bool* inserted) {
    if (size_ + tombstones_ + 1 > grow_at_) Rehash(size_ + 1);
    const uint32_t tag = Tag(hash);
    size_t reuse = kNoSlot;
    for (size_t i = Home(tag);; i = (i + 1) & mask_) {
      const uint64_t slot = slots_[i];
      if (slot == kEmpty) {
        Store(reuse == kNoSlot ? i : reuse, Slot(tag, id));
        *inserted = true;
        return id;
      }
      if (slot == kTombstone) {
        if (reuse == kNoSlot) reuse = i;
      } else if (static_cast<uint32_t>(slot >> 32) == tag && same(static_cast<uint32_t>(slot))) {
        *inserted = false;
        return static_cast<uint32_t>(slot);
      }
    }
  }

  // Stores `id` for a key that is known to be absent.
  void Insert(uint32_t hash, uint32_t id);
  // Removes the slot of (hash, id), which must be stored.
  void Erase(uint32_t hash, uint32_t id);
  // Room for `n` keys without growing.
  void Reserve(size_t n);

 private:
  // Live slots and tombstones together stay below 13/16 of the table.
  static constexpr size_t kMaxLoadNum = 13;
  static constexpr size_t kMaxLoadDen = 16;
  static constexpr size_t kMinCapacity = 16;
  static constexpr uint64_t kEmpty = 0;
  static constexpr uint64_t kTombstone = 1;
  static constexpr size_t kNoSlot = ~size_t{0};

  static uint32_t Tag(uint32_t hash) { return hash | 1u; }
  static uint64_t Slot(uint32_t tag, uint32_t id) {
    return (static_cast<uint64_t>(tag) << 32) | id;
  }
  size_t Home(uint32_t tag) const { return static_cast<size_t>(tag >> shift_) & mask_; }
  // Fills slot i (empty or a tombstone) with a new key's slot.
  void Store(size_t i, uint64_t slot) {
    if (slots_[i] == kTombstone) --tombstones_;
    slots_[i] = slot;
    ++size_;
  }
  // Reallocates for at least `n` live keys, dropping every tombstone.
  void Rehash(size_t n);

  uint64_t* slots_ = nullptr;
  size_t capacity_ = 0;
  size_t mask_ = 0;
  // 32 minus the index bits (capacity_ is 2^bits): the home position is
  // the tag's top bits. (With no table, mask_ = 0 keeps Home in range.)
  int shift_ = 31;
  size_t size_ = 0;
  size_t tombstones_ = 0;
  size_t grow_at_ = 0;
};

}  // namespace informersim

#endif  // INFORMERSIM_CORE_KEY_INDEX_H_
