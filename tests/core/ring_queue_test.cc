// Tests of RingQueue: FIFO order against std::deque through growth while the
// ring has wrapped, move-only values, values released when popped, and no
// value left unreleased (ASan) when the queue is destroyed.
#include "core/ring_queue.h"

#include <cstdint>
#include <deque>
#include <memory>
#include <string>

#include "gtest/gtest.h"

namespace informersim {
namespace {

TEST(RingQueue, MatchesADequeThroughWrapsAndGrowth) {
  RingQueue<int> ring;
  std::deque<int> model;
  uint64_t state = 7;
  int next = 0;
  for (int op = 0; op < 200000; ++op) {
    state = state * 6364136223846793005ULL + 1442695040888963407ULL;
    // Pushes slightly outweigh pops, so the ring grows while its head has
    // moved on (a growth that must unwrap it).
    if ((state >> 33) % 100 < 52 || model.empty()) {
      ring.push_back(int{next});
      model.push_back(next++);
    } else {
      ASSERT_EQ(ring.front(), model.front()) << "op " << op;
      ring.pop_front();
      model.pop_front();
    }
    ASSERT_EQ(ring.size(), model.size());
    ASSERT_EQ(ring.empty(), model.empty());
    if (op % 97 == 0) {
      for (size_t i = 0; i < model.size(); ++i) ASSERT_EQ(ring[i], model[i]) << "op " << op;
      if (!model.empty()) ASSERT_EQ(ring.back(), model.back());
    }
  }
  EXPECT_GE(ring.capacity(), ring.size());
  EXPECT_EQ(ring.capacity() & (ring.capacity() - 1), 0u) << "a power of two";
  while (!model.empty()) {
    ASSERT_EQ(ring.front(), model.front());
    ring.pop_front();
    model.pop_front();
  }
  EXPECT_TRUE(ring.empty());
}

TEST(RingQueue, HoldsMoveOnlyValuesAndStopsGrowingAtItsLargestBacklog) {
  RingQueue<std::unique_ptr<int>> ring;
  for (int round = 0; round < 100; ++round) {
    for (int i = 0; i < 20; ++i) ring.emplace_back(std::make_unique<int>(round * 100 + i));
    for (int i = 0; i < 20; ++i) {
      ASSERT_NE(ring.front(), nullptr);
      EXPECT_EQ(*ring.front(), round * 100 + i);
      ring.pop_front();
    }
  }
  EXPECT_EQ(ring.capacity(), 32u);  // 8, 16, 32 for a backlog of 20, then no more
}

// A value pushed from the queue itself while the queue is full: the new
// value is built before the old ones move (ASan reads freed memory
// otherwise; the strings are too long for the small-string buffer).
TEST(RingQueue, PushingAValueOfTheFullQueueCopiesItFirst) {
  RingQueue<std::string> ring;
  for (int i = 0; i < 8; ++i) ring.push_back(std::string(40, static_cast<char>('a' + i)));
  ASSERT_EQ(ring.size(), ring.capacity());
  ring.emplace_back(ring.front());
  ring.emplace_back(ring[3]);
  EXPECT_EQ(ring.size(), 10u);
  EXPECT_EQ(ring[8], std::string(40, 'a'));
  EXPECT_EQ(ring.back(), std::string(40, 'd'));
}

TEST(RingQueue, GivesALargeRingBackWhenItEmpties) {
  RingQueue<int> ring;
  for (int i = 0; i < 3000; ++i) ring.push_back(int{i});
  EXPECT_EQ(ring.capacity(), 4096u);
  for (int i = 0; i < 2999; ++i) ring.pop_front();
  EXPECT_EQ(ring.capacity(), 4096u) << "not empty yet";
  EXPECT_EQ(ring.front(), 2999);
  ring.pop_front();
  EXPECT_EQ(ring.capacity(), 0u) << "a burst's ring is released once drained";
  ring.push_back(7);
  EXPECT_EQ(ring.front(), 7);
  for (int i = 0; i < 1000; ++i) ring.push_back(int{i});
  while (!ring.empty()) ring.pop_front();
  EXPECT_EQ(ring.capacity(), 1024u) << "a ring of up to 1,024 slots is kept";
}

TEST(RingQueue, ReleasesAValueWhenItIsPopped) {
  RingQueue<std::shared_ptr<int>> ring;
  auto value = std::make_shared<int>(1);
  ring.push_back(std::shared_ptr<int>(value));
  ring.push_back(std::make_shared<int>(2));
  EXPECT_EQ(value.use_count(), 2);
  ring.pop_front();
  EXPECT_EQ(value.use_count(), 1) << "the popped slot still holds the value";
  ring.push_back(std::shared_ptr<int>(value));
  ring.clear();
  EXPECT_EQ(value.use_count(), 1);
  EXPECT_TRUE(ring.empty());
  {
    RingQueue<std::shared_ptr<int>> dropped;
    for (int i = 0; i < 11; ++i) dropped.push_back(std::shared_ptr<int>(value));
    dropped.pop_front();
    EXPECT_EQ(value.use_count(), 11);
  }
  EXPECT_EQ(value.use_count(), 1) << "the queue's destructor releases what it holds";
}

}  // namespace
}  // namespace informersim
