#include "core/small_block_pool.h"

#include <thread>
#include <vector>

#include "core/delta.h"
#include "gtest/gtest.h"

namespace informersim {
namespace {

TEST(SmallBlockPoolTest, ClassesArePowersOfTwoFromTheMinimum) {
  EXPECT_EQ(SmallBlockPool::ClassBytes(1), 32u);
  EXPECT_EQ(SmallBlockPool::ClassBytes(32), 32u);
  EXPECT_EQ(SmallBlockPool::ClassBytes(33), 64u);
  EXPECT_EQ(SmallBlockPool::ClassBytes(64), 64u);
  EXPECT_EQ(SmallBlockPool::ClassBytes(65), 128u);
  EXPECT_EQ(SmallBlockPool::ClassBytes(SmallBlockPool::kMaxBlockBytes),
            SmallBlockPool::kMaxBlockBytes);
  EXPECT_EQ(SmallBlockPool::ClassBytes(SmallBlockPool::kMaxBlockBytes + 1),
            SmallBlockPool::kMaxBlockBytes + 1);
}

TEST(SmallBlockPoolTest, AFreedBlockServesTheNextRequestOfItsClass) {
  if (!SmallBlockPool::kEnabled) GTEST_SKIP() << "bypassed under AddressSanitizer";
  const size_t kept = SmallBlockPool::KeptBytes();
  void* a = SmallBlockPool::Allocate(40);
  SmallBlockPool::Deallocate(a, 40);
  EXPECT_EQ(SmallBlockPool::KeptBytes(), kept + 64);
  // Another size of the same class takes it back; the last freed comes first.
  void* b = SmallBlockPool::Allocate(64);
  EXPECT_EQ(b, a);
  EXPECT_EQ(SmallBlockPool::KeptBytes(), kept);
  void* c = SmallBlockPool::Allocate(64);
  EXPECT_NE(c, b);
  SmallBlockPool::Deallocate(c, 64);
  SmallBlockPool::Deallocate(b, 64);
  EXPECT_EQ(SmallBlockPool::Allocate(50), b);
  EXPECT_EQ(SmallBlockPool::Allocate(60), c);
  // Another class does not take them.
  void* d = SmallBlockPool::Allocate(64);
  SmallBlockPool::Deallocate(d, 64);
  void* e = SmallBlockPool::Allocate(128);
  EXPECT_NE(e, d);
  SmallBlockPool::Deallocate(e, 128);
  for (void* p : {b, c}) SmallBlockPool::Deallocate(p, 64);
}

TEST(SmallBlockPoolTest, LargeBlocksAreNotKept) {
  const size_t kept = SmallBlockPool::KeptBytes();
  void* big = SmallBlockPool::Allocate(SmallBlockPool::kMaxBlockBytes + 1);
  SmallBlockPool::Deallocate(big, SmallBlockPool::kMaxBlockBytes + 1);
  EXPECT_EQ(SmallBlockPool::KeptBytes(), kept);
}

TEST(SmallBlockPoolTest, KeepsAtMostItsLimitPerThread) {
  if (!SmallBlockPool::kEnabled) GTEST_SKIP() << "bypassed under AddressSanitizer";
  std::thread t([] {
    const size_t block = SmallBlockPool::kMaxBlockBytes;
    const size_t n = SmallBlockPool::kMaxKeptBytes / block + 8;
    std::vector<void*> blocks;
    for (size_t i = 0; i < n; ++i) blocks.push_back(SmallBlockPool::Allocate(block));
    for (void* p : blocks) SmallBlockPool::Deallocate(p, block);
    EXPECT_EQ(SmallBlockPool::KeptBytes(), SmallBlockPool::kMaxKeptBytes);
  });
  t.join();
}

TEST(SmallBlockPoolTest, ABlockFreedOnAnotherThreadJoinsThatThreadsLists) {
  if (!SmallBlockPool::kEnabled) GTEST_SKIP() << "bypassed under AddressSanitizer";
  void* block = SmallBlockPool::Allocate(256);
  const size_t here = SmallBlockPool::KeptBytes();
  std::thread t([block] {
    EXPECT_EQ(SmallBlockPool::KeptBytes(), 0u);
    SmallBlockPool::Deallocate(block, 256);
    EXPECT_EQ(SmallBlockPool::KeptBytes(), 256u);
    EXPECT_EQ(SmallBlockPool::Allocate(200), block);
    SmallBlockPool::Deallocate(block, 200);
  });  // the thread's exit frees what it kept
  t.join();
  EXPECT_EQ(SmallBlockPool::KeptBytes(), here);
}

TEST(SmallBlockPoolTest, DeltasGrowCopyMoveAndShrinkFromThePool) {
  std::vector<ObjectPtr> objects;
  for (int i = 0; i < 100; ++i) {
    api::Object o;
    o.mutable_metadata()->set_name("obj-" + std::to_string(i));
    objects.push_back(MakeObject(std::move(o)));
  }
  for (int round = 0; round < 3; ++round) {
    Deltas grown;
    for (int i = 0; i < 100; ++i) grown.push_back(Delta{DeltaType::kUpdated, Item(objects[i])});
    Deltas copy = grown;
    Deltas moved = std::move(grown);
    ASSERT_EQ(copy.size(), 100u);
    ASSERT_EQ(moved.size(), 100u);
    for (int i = 0; i < 100; ++i) {
      EXPECT_EQ(copy[i].object.object().get(), objects[i].get());
      EXPECT_EQ(moved[i].object.object().get(), objects[i].get());
    }
    while (copy.size() > 1) copy.pop_back();
    EXPECT_EQ(copy.size(), 1u);
    EXPECT_EQ(copy[0].object.object().get(), objects[0].get());
  }
  // Every reference the Deltas took is given back.
  for (const ObjectPtr& o : objects) EXPECT_EQ(o.use_count(), 1);
}

}  // namespace
}  // namespace informersim
