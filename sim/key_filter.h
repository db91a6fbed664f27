// KeyFilter: a Bloom filter over key hashes, for a table that the hot path
// should touch only when the key may be in it. "No" is always right; "maybe"
// is wrong for about 0.3% of absent keys at kBitsPerKey bits per key.
//
// The owner sizes it (Reset) for the keys it will hold and adds each one;
// keys cannot be removed, so an owner whose table shrinks rebuilds the
// filter from the table (Reset, then Add for each key) when it regrows it.
//
// Thread safety: none; a plain value.
// Invariants: bits_ is empty or a power of two of 64-bit words.
#ifndef INFORMERSIM_SIM_KEY_FILTER_H_
#define INFORMERSIM_SIM_KEY_FILTER_H_

#include <cstddef>
#include <cstdint>
#include <vector>

namespace informersim {
namespace sim {

class KeyFilter {
 public:
  static constexpr size_t kBitsPerKey = 16;

  // Empty (MayContain is false for every hash), sized for `keys` keys.
  void Reset(size_t keys) {
    size_t bits = 1024;
    while (bits < keys * kBitsPerKey) bits *= 2;
    bits_.assign(bits / 64, 0);
  }
  // How many keys the filter was sized for; 0 before the first Reset.
  size_t capacity() const { return bits_.size() * 64 / kBitsPerKey; }

  // `hash`: a well-mixed 64-bit hash of the key (KeyHasher's).
  void Add(uint64_t hash) {
    if (bits_.empty()) Reset(0);
    for (uint64_t i = 0; i < kProbes; ++i) {
      const uint64_t bit = Probe(hash, i);
      bits_[bit >> 6] |= uint64_t{1} << (bit & 63);
    }
  }

  bool MayContain(uint64_t hash) const {
    if (bits_.empty()) return false;
    for (uint64_t i = 0; i < kProbes; ++i) {
      const uint64_t bit = Probe(hash, i);
      if (((bits_[bit >> 6] >> (bit & 63)) & 1) == 0) return false;
    }
    return true;
  }

 private:
  static constexpr uint64_t kProbes = 3;

  // The i-th bit a hash sets, by double hashing (an odd step from the high
  // bits); bits_ is not empty.
  uint64_t Probe(uint64_t hash, uint64_t i) const {
    return (hash + i * ((hash >> 29) | 1)) & (bits_.size() * 64 - 1);
  }

  std::vector<uint64_t> bits_;
};

}  // namespace sim
}  // namespace informersim

#endif  // INFORMERSIM_SIM_KEY_FILTER_H_
