#include "core/block_queue.h"

#include <memory>
#include <string>

#include "gtest/gtest.h"

namespace informersim {
namespace {

TEST(BlockQueueTest, FifoOrderAcrossManyBlocks) {
  BlockQueue<std::string> q;
  EXPECT_TRUE(q.empty());
  int next_in = 0, next_out = 0;
  // Fill and drain in uneven bursts, so head and tail cross block
  // boundaries at different times and the queue empties mid-block.
  for (int round = 0; round < 20; ++round) {
    const int add = 1000 + round * 777;
    for (int i = 0; i < add; ++i) q.push_back(std::to_string(next_in++));
    ASSERT_EQ(q.size(), static_cast<size_t>(next_in - next_out));
    EXPECT_EQ(q[0], std::to_string(next_out));
    EXPECT_EQ(q[q.size() - 1], std::to_string(next_in - 1));
    const size_t take = round % 3 == 2 ? q.size() : q.size() / 2 + 3;
    for (size_t i = 0; i < take; ++i) {
      ASSERT_EQ(q.front(), std::to_string(next_out++));
      q.pop_front(1);
    }
  }
  q.clear();
  EXPECT_TRUE(q.empty());
  q.push_back("again");
  EXPECT_EQ(q.front(), "again");
}

TEST(BlockQueueTest, DestroysWhatItHolds) {
  auto counter = std::make_shared<int>(0);
  {
    BlockQueue<std::shared_ptr<int>> q;
    for (int i = 0; i < 5000; ++i) q.push_back(std::shared_ptr<int>(counter));
    EXPECT_EQ(counter.use_count(), 5001);
    q.pop_front(3000);
    EXPECT_EQ(counter.use_count(), 2001);
  }
  EXPECT_EQ(counter.use_count(), 1);
}

}  // namespace
}  // namespace informersim
