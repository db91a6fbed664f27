// IdSet (core/id_set.h) against std::set as a model: random inserts and
// erases over a narrow id range (long probe runs, erases in the middle of
// runs, wrap-around at the table's end) and a wide one, checking size,
// membership and the iterated contents after every operation; growth;
// emptying; moves.
#include "core/id_set.h"

#include <algorithm>
#include <cstdint>
#include <random>
#include <set>
#include <utility>
#include <vector>

#include "gtest/gtest.h"

namespace informersim {
namespace {

std::set<uint32_t> Contents(const IdSet& s) {
  std::set<uint32_t> out;
  for (uint32_t id : s) EXPECT_TRUE(out.insert(id).second) << "id " << id << " iterated twice";
  return out;
}

void RunModel(uint32_t id_range, int ops, int check_every, uint32_t seed) {
  std::mt19937 rng(seed);
  IdSet set;
  std::set<uint32_t> model;
  for (int op = 0; op < ops; ++op) {
    const uint32_t id = rng() % id_range;
    // Inserts slightly more often than erases, so the set grows through
    // several capacities and then churns.
    if (rng() % 10 < 6) {
      ASSERT_EQ(set.insert(id), model.insert(id).second) << "insert " << id << " op " << op;
    } else {
      ASSERT_EQ(set.erase(id), model.erase(id) == 1) << "erase " << id << " op " << op;
    }
    ASSERT_EQ(set.size(), model.size());
    ASSERT_LE(set.size() * 4, set.capacity() * 3);
    const uint32_t probe = rng() % id_range;
    ASSERT_EQ(set.contains(probe), model.count(probe) == 1) << "contains " << probe;
    if (op % check_every == 0) {
      ASSERT_EQ(Contents(set), model) << "op " << op;
    }
  }
  ASSERT_EQ(Contents(set), model);
  // Empty it in a random order: every erase must find its id.
  std::vector<uint32_t> left(model.begin(), model.end());
  std::shuffle(left.begin(), left.end(), rng);
  for (uint32_t id : left) ASSERT_TRUE(set.erase(id)) << id;
  EXPECT_TRUE(set.empty());
  EXPECT_EQ(set.begin(), set.end());
}

TEST(IdSetTest, MatchesAModelOverANarrowRange) {
  for (uint32_t seed = 1; seed <= 20; ++seed) RunModel(64, 4000, 7, seed);
}

TEST(IdSetTest, MatchesAModelOverAWideRange) {
  for (uint32_t seed = 1; seed <= 5; ++seed) RunModel(1u << 30, 20000, 997, seed);
}

TEST(IdSetTest, SequentialIdsAsTheStoreHandsThemOut) {
  IdSet set;
  for (uint32_t id = 0; id < 5000; ++id) ASSERT_TRUE(set.insert(id));
  EXPECT_FALSE(set.insert(1234));
  EXPECT_EQ(set.size(), 5000u);
  // Delete in order (the W4 Delete pattern), checking the rest stays found.
  for (uint32_t id = 0; id < 5000; ++id) {
    ASSERT_TRUE(set.erase(id));
    if (id + 1 < 5000) {
      ASSERT_TRUE(set.contains(id + 1));
    }
  }
  EXPECT_TRUE(set.empty());
  EXPECT_FALSE(set.erase(7));
}

TEST(IdSetTest, LargestIdBelowTheSentinel) {
  IdSet set;
  EXPECT_TRUE(set.insert(IdSet::kEmpty - 1));
  EXPECT_TRUE(set.insert(0));
  EXPECT_TRUE(set.contains(IdSet::kEmpty - 1));
  EXPECT_EQ(Contents(set), (std::set<uint32_t>{0, IdSet::kEmpty - 1}));
}

TEST(IdSetTest, MovesTakeTheTable) {
  IdSet a;
  for (uint32_t id = 10; id < 30; ++id) a.insert(id);
  IdSet b(std::move(a));
  EXPECT_TRUE(a.empty());  // NOLINT(bugprone-use-after-move): moved-from is empty
  EXPECT_EQ(b.size(), 20u);
  IdSet c;
  c.insert(99);
  c = std::move(b);
  EXPECT_EQ(c.size(), 20u);
  EXPECT_TRUE(c.contains(29));
  EXPECT_FALSE(c.contains(99));
  a.insert(5);  // a moved-from set is usable again
  EXPECT_TRUE(a.contains(5));
}

}  // namespace
}  // namespace informersim
