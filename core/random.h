// RandomSource: the only way randomness reaches core/ (backoff jitter, watch
// timeout jitter). The simulator injects its seeded, fixed-algorithm PRNG;
// real programs inject RealRandom (core/real_env.h).
//
// Thread safety: an implementation documents its own; core calls one source
// from one strand at a time, or under the owner's lock.
#ifndef INFORMERSIM_CORE_RANDOM_H_
#define INFORMERSIM_CORE_RANDOM_H_

#include <cstdint>

namespace informersim {

class RandomSource {
 public:
  virtual ~RandomSource() = default;

  // 64 uniformly random bits.
  virtual uint64_t NextUint64() = 0;

  // Uniform in [0, 1), with 53 bits of precision (Go's rand.Float64 range).
  double Float64() {
    return static_cast<double>(NextUint64() >> 11) * (1.0 / 9007199254740992.0);
  }
};

}  // namespace informersim

#endif  // INFORMERSIM_CORE_RANDOM_H_
