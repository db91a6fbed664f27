#include "core/block_cache.h"

#include <cstdint>
#include <vector>

#include "gtest/gtest.h"

namespace informersim {
namespace {

TEST(BlockCacheTest, SmallSizesAreNotRounded) {
  EXPECT_EQ(BlockCache::ClassSize(1), 1u);
  EXPECT_EQ(BlockCache::ClassSize(BlockCache::kMinCachedBytes - 1),
            BlockCache::kMinCachedBytes - 1);
}

TEST(BlockCacheTest, LargeSizesRoundUpToAQuarterStep) {
  const size_t p = size_t{1} << 20;
  EXPECT_EQ(BlockCache::ClassSize(p), p);
  EXPECT_EQ(BlockCache::ClassSize(p + 1), p + p / 4);
  EXPECT_EQ(BlockCache::ClassSize(p + p / 4), p + p / 4);
  EXPECT_EQ(BlockCache::ClassSize(p + p / 4 + 1), p + p / 2);
  EXPECT_EQ(BlockCache::ClassSize(2 * p - 1), 2 * p);
  for (size_t n = BlockCache::kMinCachedBytes; n < (size_t{1} << 24); n = n * 5 / 3) {
    const size_t c = BlockCache::ClassSize(n);
    EXPECT_GE(c, n);
    EXPECT_LE(c, n + n / 4);
    EXPECT_EQ(BlockCache::ClassSize(c), c);
  }
}

TEST(BlockCacheTest, AFreedLargeBlockServesTheNextRequestOfItsClass) {
  const size_t bytes = size_t{1} << 20;
  void* first = BlockCache::Allocate(bytes);
  const size_t before = BlockCache::CachedBytes();
  BlockCache::Deallocate(first, bytes);
  EXPECT_EQ(BlockCache::CachedBytes(), before + bytes);
  void* second = BlockCache::Allocate(bytes - 100);  // same class
  EXPECT_EQ(second, first);
  EXPECT_EQ(BlockCache::CachedBytes(), before);
  BlockCache::Deallocate(second, bytes - 100);
}

TEST(BlockCacheTest, BlocksBeyondTheLimitsGoBackToTheHeap) {
  const size_t huge = BlockCache::kMaxBlockBytes + 1;
  void* block = BlockCache::Allocate(huge);
  const size_t before = BlockCache::CachedBytes();
  BlockCache::Deallocate(block, huge);
  EXPECT_EQ(BlockCache::CachedBytes(), before);
  EXPECT_LE(BlockCache::CachedBytes(), BlockCache::kMaxCachedBytes);
}

TEST(BlockCacheTest, ContainersWorkThroughTheAllocator) {
  std::vector<uint64_t, CachedAllocator<uint64_t>> v;
  for (uint64_t i = 0; i < 100000; ++i) v.push_back(i);
  uint64_t sum = 0;
  for (uint64_t x : v) sum += x;
  EXPECT_EQ(sum, uint64_t{100000} * 99999 / 2);
}

}  // namespace
}  // namespace informersim
