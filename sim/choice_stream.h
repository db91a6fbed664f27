// ChoiceStream: a source of choices read from a fuzzer's bytes, with the
// drawing methods of Prng (Below, Range, Chance, Float64), so that the code
// that draws a swarm world can take its choices from a coverage-guided
// fuzzer instead of a seed.
//
// Each choice reads as few bytes as its range needs (one byte for a coin or
// a choice among up to 256, two for a fraction), so a mutation of one byte
// changes one knob and the structure of the input follows the structure of
// the world. Once the bytes are used up every choice is the smallest one
// (0, lo, false), so a shorter input is a simpler world, as in
// Hypothesis-style choice sequences.
//
// Thread safety: none; one owner.
#ifndef INFORMERSIM_SIM_CHOICE_STREAM_H_
#define INFORMERSIM_SIM_CHOICE_STREAM_H_

#include <cassert>
#include <cstddef>
#include <cstdint>

#include "absl/strings/string_view.h"

namespace informersim {
namespace sim {

class ChoiceStream {
 public:
  explicit ChoiceStream(absl::string_view bytes) : bytes_(bytes) {}

  // Uniform-ish in [0, n) (the bytes taken modulo n); n > 0.
  uint64_t Below(uint64_t n) {
    assert(n > 0 && "Below(0)");
    uint64_t v = 0;
    for (uint64_t range = n - 1; range > 0; range >>= 8) v = (v << 8) | Byte();
    return v % n;
  }
  // In [lo, hi], inclusive; lo <= hi.
  int64_t Range(int64_t lo, int64_t hi) {
    assert(lo <= hi && "Range with lo > hi");
    const uint64_t span = static_cast<uint64_t>(hi) - static_cast<uint64_t>(lo);
    const uint64_t off = span == UINT64_MAX ? Below(UINT64_MAX) : Below(span + 1);
    return static_cast<int64_t>(static_cast<uint64_t>(lo) + off);
  }
  // True with "probability" p: one byte at or above (1 - p) * 256, so that a
  // zero byte (and an exhausted stream) says no (p <= 0: never; p >= 1:
  // always, no byte read, as Prng::Chance reads no draw then).
  bool Chance(double p) {
    if (p <= 0) return false;
    if (p >= 1) return true;
    return Byte() >= (1 - p) * 256;
  }
  // In [0, 1) from two bytes.
  double Float64() {
    const uint32_t hi = Byte();
    return static_cast<double>((hi << 8) | Byte()) / 65536.0;
  }

  size_t used() const { return used_; }
  bool exhausted() const { return used_ >= bytes_.size(); }

 private:
  uint8_t Byte() { return used_ < bytes_.size() ? static_cast<uint8_t>(bytes_[used_++]) : 0; }

  absl::string_view bytes_;
  size_t used_ = 0;
};

}  // namespace sim
}  // namespace informersim

#endif  // INFORMERSIM_SIM_CHOICE_STREAM_H_
