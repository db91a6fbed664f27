// CopyShortBytes and EqualBytes against memcpy and memcmp at every length
// that takes each path (0-3 bytewise, 4-7 and 8-16 two overlapping words,
// longer through the library), from every alignment, with a byte that
// differs at every position.
#include "core/short_bytes.h"

#include <algorithm>
#include <cstring>
#include <string>
#include <vector>

#include "gtest/gtest.h"

namespace informersim {
namespace {

constexpr size_t kMaxLength = 40;
constexpr size_t kAlignments = 8;

// Distinct, non-zero bytes, so a copy from a wrong offset shows.
std::vector<char> Pattern(size_t n, int salt) {
  std::vector<char> v(n);
  for (size_t i = 0; i < n; ++i) v[i] = static_cast<char>(1 + (i * 37 + salt) % 251);
  return v;
}

TEST(ShortBytesTest, CopyWritesExactlyTheRange) {
  const std::vector<char> source = Pattern(kMaxLength + kAlignments, 5);
  for (size_t n = 0; n <= kMaxLength; ++n) {
    for (size_t from = 0; from < kAlignments; ++from) {
      for (size_t to = 0; to < kAlignments; ++to) {
        // Guard bytes on both sides of the destination must stay untouched.
        std::vector<char> got(kMaxLength + 2 * kAlignments + 16, '#');
        std::vector<char> want = got;
        CopyShortBytes(got.data() + 8 + to, source.data() + from, n);
        std::memcpy(want.data() + 8 + to, source.data() + from, n);
        ASSERT_EQ(std::string(got.begin(), got.end()), std::string(want.begin(), want.end()))
            << "length " << n << ", source offset " << from << ", destination offset " << to;
      }
    }
  }
}

TEST(ShortBytesTest, EqualMatchesMemcmpAtEveryLengthAndPosition) {
  for (size_t n = 0; n <= kMaxLength; ++n) {
    for (size_t align = 0; align < kAlignments; ++align) {
      const std::vector<char> base = Pattern(n, 11);
      std::vector<char> a(align + n);
      std::vector<char> b(n + 3);
      std::copy(base.begin(), base.end(), a.begin() + align);
      std::copy(base.begin(), base.end(), b.begin() + 3);
      const absl::string_view va(a.data() + align, n);
      const absl::string_view vb(b.data() + 3, n);
      ASSERT_TRUE(EqualBytes(va, vb)) << "length " << n << ", offset " << align;
      for (size_t i = 0; i < n; ++i) {
        // One bit flipped at position i; then the bytes put back.
        b[3 + i] ^= 0x40;
        ASSERT_FALSE(EqualBytes(va, vb)) << "length " << n << ", differing byte " << i;
        ASSERT_FALSE(EqualBytes(vb, va)) << "length " << n << ", differing byte " << i;
        b[3 + i] ^= 0x40;
      }
      ASSERT_TRUE(EqualBytes(va, vb));
    }
  }
}

TEST(ShortBytesTest, DifferentLengthsAreNeverEqual) {
  const std::string s = "namespace-a/object-name-0001";
  for (size_t n = 0; n <= s.size(); ++n) {
    for (size_t m = 0; m <= s.size(); ++m) {
      EXPECT_EQ(EqualBytes(absl::string_view(s.data(), n), absl::string_view(s.data(), m)),
                n == m)
          << n << " vs " << m;
    }
  }
}

}  // namespace
}  // namespace informersim
