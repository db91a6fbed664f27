// main() for tests built on sim/harness_gtest.h: gtest with its own sharding
// off, so that every TEST runs in every Bazel shard and SeedsForThisShard
// splits the seeds instead; it tells Bazel the test shards by touching
// TEST_SHARD_STATUS_FILE, as gtest would.
#include <cstdlib>
#include <fstream>

#include "gtest/gtest.h"

int main(int argc, char** argv) {
  if (const char* status = std::getenv("TEST_SHARD_STATUS_FILE")) {
    std::ofstream touch(status, std::ios::app);
  }
  unsetenv("GTEST_TOTAL_SHARDS");
  unsetenv("GTEST_SHARD_INDEX");
  ::testing::InitGoogleTest(&argc, argv);
  return RUN_ALL_TESTS();
}
