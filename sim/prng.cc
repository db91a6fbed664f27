#include "sim/prng.h"

#include <cassert>

namespace informersim {
namespace sim {
namespace {

inline uint64_t Rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

}  // namespace

uint64_t SplitMix64(uint64_t& state) {
  state += 0x9e3779b97f4a7c15ULL;
  uint64_t z = state;
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

uint64_t Fnv1a64Extend(uint64_t h, const void* data, size_t n) {
  const unsigned char* p = static_cast<const unsigned char*>(data);
  for (size_t i = 0; i < n; ++i) {
    h ^= p[i];
    h *= 0x100000001b3ULL;
  }
  return h;
}

uint64_t Fnv1a64(absl::string_view s) { return Fnv1a64Extend(kFnv1a64Offset, s.data(), s.size()); }

Prng::Prng(uint64_t seed) {
  uint64_t state = seed;
  for (uint64_t& word : s_) word = SplitMix64(state);
}

Prng Prng::Stream(uint64_t seed, absl::string_view subsystem) {
  uint64_t state = seed ^ Fnv1a64(subsystem);
  return Prng(SplitMix64(state));
}

uint64_t Prng::NextUint64() {
  const uint64_t result = Rotl(s_[1] * 5, 7) * 9;
  const uint64_t t = s_[1] << 17;
  s_[2] ^= s_[0];
  s_[3] ^= s_[1];
  s_[1] ^= s_[2];
  s_[0] ^= s_[3];
  s_[2] ^= t;
  s_[3] = Rotl(s_[3], 45);
  return result;
}

uint64_t Prng::Below(uint64_t n) {
  assert(n > 0 && "Below(0)");
  // Lemire: the high word of a 128-bit product, rejecting the biased low
  // region.
  unsigned __int128 m = static_cast<unsigned __int128>(NextUint64()) * n;
  uint64_t low = static_cast<uint64_t>(m);
  if (low < n) {
    const uint64_t threshold = (0 - n) % n;
    while (low < threshold) {
      m = static_cast<unsigned __int128>(NextUint64()) * n;
      low = static_cast<uint64_t>(m);
    }
  }
  return static_cast<uint64_t>(m >> 64);
}

int64_t Prng::Range(int64_t lo, int64_t hi) {
  assert(lo <= hi && "Range with lo > hi");
  const uint64_t span = static_cast<uint64_t>(hi) - static_cast<uint64_t>(lo);
  if (span == UINT64_MAX) return static_cast<int64_t>(NextUint64());
  return static_cast<int64_t>(static_cast<uint64_t>(lo) + Below(span + 1));
}

bool Prng::Chance(double p) {
  if (p <= 0) return false;
  if (p >= 1) return true;
  return Float64() < p;
}

absl::Duration Prng::DurationBetween(absl::Duration lo, absl::Duration hi) {
  assert(lo <= hi && "DurationBetween with lo > hi");
  const int64_t a = absl::ToInt64Microseconds(lo);
  const int64_t b = absl::ToInt64Microseconds(hi);
  return absl::Microseconds(Range(a, b));
}

size_t Prng::Weighted(const double* weights, size_t n) {
  double total = 0;
  for (size_t i = 0; i < n; ++i) total += weights[i] > 0 ? weights[i] : 0;
  assert(total > 0 && "Weighted with no positive weight");
  double x = Float64() * total;
  size_t last_positive = 0;
  for (size_t i = 0; i < n; ++i) {
    if (weights[i] <= 0) continue;
    last_positive = i;
    if (x < weights[i]) return i;
    x -= weights[i];
  }
  return last_positive;  // rounding at the top end
}

}  // namespace sim
}  // namespace informersim
