// Prng: the project's own pseudo-random generator. Every random choice of a
// simulation derives from one seed through it (DESIGN determinism rule 1).
//
// Algorithm (fixed, documented, identical on every machine and standard
// library):
//   - state: xoshiro256** (Blackman and Vigna, 2018), four 64-bit words;
//   - seeding: the four words are successive outputs of splitmix64 started at
//     the seed (an all-zero state is thus impossible);
//   - sub-streams: Stream(seed, "name") seeds a generator with
//     splitmix64(seed XOR fnv1a64("name")), so each subsystem (scheduler,
//     server, workload, faults, swarm) has an independent sequence and adding
//     draws in one subsystem never shifts another;
//   - Below(n): Lemire's multiply-shift with rejection (unbiased);
//   - Float64: the top 53 bits / 2^53 (RandomSource).
// No transcendental functions (log, exp) are used anywhere in drawing values:
// their last bits differ between libm versions.
//
// Thread safety: none; one owner (a subsystem under the single-threaded
// simulator).
#ifndef INFORMERSIM_SIM_PRNG_H_
#define INFORMERSIM_SIM_PRNG_H_

#include <cstddef>
#include <cstdint>

#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "core/random.h"

namespace informersim {
namespace sim {

// One step of splitmix64 on `state` (advanced in place); the output.
uint64_t SplitMix64(uint64_t& state);
// FNV-1a, 64-bit: Fnv1a64Extend continues a hash `h` over `n` more bytes
// (start from kFnv1a64Offset); Fnv1a64 hashes the bytes of `s`.
inline constexpr uint64_t kFnv1a64Offset = 0xcbf29ce484222325ULL;
uint64_t Fnv1a64Extend(uint64_t h, const void* data, size_t n);
uint64_t Fnv1a64(absl::string_view s);

class Prng final : public RandomSource {
 public:
  explicit Prng(uint64_t seed);
  // An independent stream for `subsystem` under `seed`.
  static Prng Stream(uint64_t seed, absl::string_view subsystem);

  uint64_t NextUint64() override;

  // Uniform in [0, n); n > 0.
  uint64_t Below(uint64_t n);
  // Uniform in [lo, hi], inclusive; lo <= hi.
  int64_t Range(int64_t lo, int64_t hi);
  // True with probability p (p <= 0: never; p >= 1: always, no draw made).
  bool Chance(double p);
  // Uniform in [lo, hi] at microsecond resolution; lo <= hi.
  absl::Duration DurationBetween(absl::Duration lo, absl::Duration hi);
  // Picks an index in [0, n) with probability proportional to weights[i]
  // (non-negative; at least one positive).
  size_t Weighted(const double* weights, size_t n);

 private:
  uint64_t s_[4];
};

}  // namespace sim
}  // namespace informersim

#endif  // INFORMERSIM_SIM_PRNG_H_
