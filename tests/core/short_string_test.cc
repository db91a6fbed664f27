// ShortString: every length around the inline limit, with its bytes exactly
// the source's; copies, moves and assignments between inline and heap
// strings, including assignments from a part of the string itself.
#include "core/short_string.h"

#include <string>
#include <utility>
#include <vector>

#include "absl/strings/string_view.h"
#include "gtest/gtest.h"

namespace informersim {
namespace {

// A key of length n whose every byte differs from its neighbours', so a byte
// copied to the wrong place shows.
std::string Key(size_t n, char first = 'a') {
  std::string s;
  for (size_t i = 0; i < n; ++i) s.push_back(static_cast<char>(first + i % 26));
  return s;
}

TEST(ShortStringTest, EveryLengthHoldsExactlyItsBytes) {
  for (size_t n = 0; n <= 64; ++n) {
    // The source sits between guard bytes: a read outside it would be
    // invisible, but a copy of the guards into the key would not.
    const std::string framed = "#" + Key(n) + "#";
    const absl::string_view source(framed.data() + 1, n);
    const ShortString key(source);
    EXPECT_EQ(key.size(), n);
    EXPECT_EQ(key.empty(), n == 0);
    EXPECT_EQ(key.view(), source) << n;
    EXPECT_EQ(key.str(), Key(n));
    EXPECT_EQ(static_cast<absl::string_view>(key), source);
  }
}

TEST(ShortStringTest, CopiesMovesAndAssignmentsAcrossTheInlineLimit) {
  const std::vector<size_t> lengths = {0, 1, 7, 8, 15, 16, 17, 23, ShortString::kInlineBytes,
                                       ShortString::kInlineBytes + 1, 40, 100};
  for (size_t a : lengths) {
    for (size_t b : lengths) {
      SCOPED_TRACE(testing::Message() << a << " " << b);
      const std::string sa = Key(a, 'a');
      const std::string sb = Key(b, 'A');
      ShortString x(sa);
      ShortString y(sb);

      ShortString copy(x);
      EXPECT_EQ(copy.view(), sa);
      EXPECT_EQ(x.view(), sa);

      copy = y;  // copy assignment over a live value
      EXPECT_EQ(copy.view(), sb);
      EXPECT_EQ(y.view(), sb);

      ShortString moved(std::move(x));
      EXPECT_EQ(moved.view(), sa);
      EXPECT_TRUE(x.empty());  // NOLINT(bugprone-use-after-move): specified empty
      x = ShortString(sb);       // a moved-from key takes a new value
      EXPECT_EQ(x.view(), sb);

      moved = std::move(y);  // move assignment over a live value
      EXPECT_EQ(moved.view(), sb);
      EXPECT_TRUE(y.empty());  // NOLINT(bugprone-use-after-move)

      ShortString& self = moved;
      moved = self;
      EXPECT_EQ(moved.view(), sb);
      moved = std::move(self);
      EXPECT_EQ(moved.view(), sb);
    }
  }
}

TEST(ShortStringTest, AssignReplacesTheBytesAtEveryPairOfLengths) {
  for (size_t from = 0; from <= 40; ++from) {
    for (size_t to = 0; to <= 40; ++to) {
      SCOPED_TRACE(testing::Message() << from << " -> " << to);
      ShortString s(Key(from, 'a'));
      const std::string framed = "#" + Key(to, 'A') + "#";
      s.assign(absl::string_view(framed.data() + 1, to));
      EXPECT_EQ(s.view(), Key(to, 'A'));
      EXPECT_EQ(s.size(), to);
    }
  }
}

TEST(ShortStringTest, AssignFromItsOwnBytes) {
  for (size_t n = 0; n <= 40; ++n) {
    for (size_t begin = 0; begin <= n; ++begin) {
      for (size_t len : {size_t{0}, size_t{1}, (n - begin) / 2, n - begin}) {
        if (begin + len > n) continue;
        SCOPED_TRACE(testing::Message() << n << " [" << begin << ", +" << len << ")");
        ShortString s(Key(n));
        s.assign(s.view().substr(begin, len));
        EXPECT_EQ(s.view(), Key(n).substr(begin, len));
      }
    }
  }
  ShortString s(Key(30));
  s.clear();
  EXPECT_TRUE(s.empty());
}

TEST(ShortStringTest, DefaultIsEmpty) {
  ShortString key;
  EXPECT_TRUE(key.empty());
  EXPECT_EQ(key.view(), "");
  EXPECT_EQ(key.str(), "");
}

}  // namespace
}  // namespace informersim
