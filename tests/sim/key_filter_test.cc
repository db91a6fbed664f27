#include "sim/key_filter.h"

#include <cstdint>
#include <string>

#include "absl/strings/str_cat.h"
#include "core/key_index.h"
#include "gtest/gtest.h"

namespace informersim {
namespace sim {
namespace {

uint64_t H(const std::string& key) { return KeyHasher()(key); }

TEST(KeyFilterTest, EmptyContainsNothing) {
  KeyFilter filter;
  EXPECT_EQ(filter.capacity(), 0u);
  EXPECT_FALSE(filter.MayContain(H("ns/a")));
  filter.Reset(10);
  EXPECT_FALSE(filter.MayContain(H("ns/a")));
}

TEST(KeyFilterTest, EveryAddedKeyIsContained) {
  KeyFilter filter;
  filter.Reset(20000);
  EXPECT_GE(filter.capacity(), 20000u);
  for (int i = 0; i < 20000; ++i) filter.Add(H(absl::StrCat("ns-", i % 9, "/obj-", i)));
  for (int i = 0; i < 20000; ++i) {
    ASSERT_TRUE(filter.MayContain(H(absl::StrCat("ns-", i % 9, "/obj-", i)))) << i;
  }
}

// At its capacity the filter answers "maybe" for few absent keys: 16 bits
// and 3 probes a key give about 0.3%; 1% leaves room and still fails a
// filter whose probes collapsed onto one bit or one word.
TEST(KeyFilterTest, FewFalsePositivesAtCapacity) {
  KeyFilter filter;
  filter.Reset(10000);
  const size_t n = filter.capacity();
  for (size_t i = 0; i < n; ++i) filter.Add(H(absl::StrCat("ns/in-", i)));
  int maybe = 0;
  constexpr int kProbes = 100000;
  for (int i = 0; i < kProbes; ++i) maybe += filter.MayContain(H(absl::StrCat("ns/out-", i)));
  EXPECT_LT(maybe, kProbes / 100) << maybe;
}

TEST(KeyFilterTest, ResetForgetsEveryKey) {
  KeyFilter filter;
  filter.Add(H("ns/a"));
  EXPECT_TRUE(filter.MayContain(H("ns/a")));
  filter.Reset(100);
  EXPECT_FALSE(filter.MayContain(H("ns/a")));
}

}  // namespace
}  // namespace sim
}  // namespace informersim
