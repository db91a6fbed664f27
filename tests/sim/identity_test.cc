// The simulator's keys and resourceVersions (sim/identity.h).
#include "sim/identity.h"

#include <cstdint>

#include "gtest/gtest.h"

namespace informersim {
namespace sim {
namespace {

TEST(IdentityTest, ObjectKey) {
  EXPECT_EQ(ObjectKey("ns-1", "obj-2"), "ns-1/obj-2");
  EXPECT_EQ(ObjectKey("", "node-1"), "node-1");
}

TEST(IdentityTest, ResourceVersionsAreOneTo19DecimalDigits) {
  int64_t rv = -1;
  EXPECT_TRUE(ParseResourceVersion("0", &rv));
  EXPECT_EQ(rv, 0);
  EXPECT_TRUE(ParseResourceVersion("12345", &rv));
  EXPECT_EQ(rv, 12345);
  EXPECT_TRUE(ParseResourceVersion("007", &rv));
  EXPECT_EQ(rv, 7);
  EXPECT_TRUE(ParseResourceVersion("9223372036854775807", &rv));
  EXPECT_EQ(rv, INT64_MAX);
  rv = 42;
  for (const char* bad : {"", "-1", "+1", " 1", "1 ", "1a", "0x10", "9223372036854775808",
                          "9999999999999999999", "12345678901234567890"}) {
    EXPECT_FALSE(ParseResourceVersion(bad, &rv)) << bad;
  }
  EXPECT_EQ(rv, 42);  // untouched on failure
}

}  // namespace
}  // namespace sim
}  // namespace informersim
