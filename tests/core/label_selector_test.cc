// metav1.LabelSelector helpers: mirrors apimachinery's
// pkg/apis/meta/v1/helpers_test.go (eed236ce) TestLabelSelectorAsSelector and
// TestLabelSelectorAsMap, plus ParseToLabelSelector, SetAsLabelSelector and
// FormatLabelSelector (helpers.go has no tests of its own for these).
// Not ported: BenchmarkLabelSelectorAsSelector (a benchmark), and the other
// tests of helpers_test.go (object meta, FieldsV1 encoding: not part of the
// informer model).
#include "core/label_selector.h"

#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace informersim {
namespace metav1 {
namespace {

using ::testing::HasSubstr;

labels::Selector MustParse(const std::string& s) {
  absl::StatusOr<labels::Selector> out = labels::Parse(s);
  EXPECT_TRUE(out.ok()) << s << ": " << out.status();
  return *out;
}

// TestLabelSelectorAsSelector.
TEST(LabelSelectorTest, AsSelector) {
  const std::map<std::string, std::string> match_labels = {{"foo", "bar"}};
  const std::vector<LabelSelectorRequirement> match_expressions = {
      {"baz", std::string(kLabelSelectorOpIn), {"qux", "norf"}}};
  struct Case {
    std::optional<LabelSelector> in;
    labels::Selector out;
    bool expect_error;
  };
  const std::vector<Case> cases = {
      {std::nullopt, labels::Selector::Nothing(), false},
      {LabelSelector{}, labels::Selector::Everything(), false},
      {LabelSelector{match_labels, {}}, MustParse("foo=bar"), false},
      {LabelSelector{{}, match_expressions}, MustParse("baz in (norf,qux)"), false},
      {LabelSelector{match_labels, match_expressions}, MustParse("baz in (norf,qux),foo=bar"),
       false},
      {LabelSelector{{}, {{"baz", std::string(kLabelSelectorOpExists), {"qux", "norf"}}}},
       labels::Selector(), true},
  };
  for (size_t i = 0; i < cases.size(); ++i) {
    const Case& c = cases[i];
    const std::optional<LabelSelector> before = c.in;
    absl::StatusOr<labels::Selector> out =
        LabelSelectorAsSelector(c.in.has_value() ? &*c.in : nullptr);
    // The input is not modified.
    EXPECT_EQ(c.in, before) << i;
    ASSERT_EQ(out.ok(), !c.expect_error) << i << ": " << out.status();
    if (!out.ok()) continue;
    // As Go's test, by the printed form (values keep their given order
    // inside a requirement; String() sorts them) and Nothing vs Everything.
    EXPECT_EQ(out->String(), c.out.String()) << i;
    EXPECT_EQ(out->selectable(), c.out.selectable()) << i;
  }
}

TEST(LabelSelectorTest, AsSelectorErrors) {
  const LabelSelector unknown{{}, {{"baz", "Matches", {"a"}}}};
  EXPECT_EQ(LabelSelectorAsSelector(&unknown).status().message(),
            "\"Matches\" is not a valid label selector operator");
  // NewRequirement's own checks apply: an In without values, a bad key.
  const LabelSelector empty_in{{}, {{"baz", "In", {}}}};
  EXPECT_THAT(std::string(LabelSelectorAsSelector(&empty_in).status().message()),
              HasSubstr("for 'in', 'notin' operators, values set can't be empty"));
  const LabelSelector bad_key{{{"-bad", "v"}}, {}};
  EXPECT_THAT(std::string(LabelSelectorAsSelector(&bad_key).status().message()),
              HasSubstr("key: Invalid value: \"-bad\""));
}

// TestLabelSelectorAsMap.
TEST(LabelSelectorTest, AsMap) {
  const std::map<std::string, std::string> match_labels = {{"foo", "bar"}};
  const auto expressions = [](absl::string_view op, std::vector<std::string> values) {
    return std::vector<LabelSelectorRequirement>{{"baz", std::string(op), std::move(values)}};
  };
  struct Case {
    std::optional<LabelSelector> in;
    labels::Set out;
    std::string error;
  };
  const std::vector<Case> cases = {
      {std::nullopt, {}, ""},
      {LabelSelector{match_labels, {}}, {{"foo", "bar"}}, ""},
      {LabelSelector{match_labels, expressions(kLabelSelectorOpIn, {"norf"})},
       {{"foo", "bar"}, {"baz", "norf"}},
       ""},
      {LabelSelector{{}, expressions(kLabelSelectorOpIn, {"norf"})}, {{"baz", "norf"}}, ""},
      {LabelSelector{match_labels, expressions(kLabelSelectorOpIn, {"norf", "qux"})},
       {{"foo", "bar"}},
       "without a single value cannot be converted"},
      {LabelSelector{{}, expressions(kLabelSelectorOpNotIn, {"norf", "qux"})}, {},
       "cannot be converted"},
      {LabelSelector{match_labels, expressions(kLabelSelectorOpExists, {})},
       {{"foo", "bar"}},
       "cannot be converted"},
      {LabelSelector{{}, expressions(kLabelSelectorOpDoesNotExist, {})}, {},
       "cannot be converted"},
      {LabelSelector{{}, expressions("Near", {})}, {}, "\"Near\" is not a valid selector operator"},
  };
  for (size_t i = 0; i < cases.size(); ++i) {
    const Case& c = cases[i];
    labels::Set out = {{"stale", "x"}};
    absl::Status s = LabelSelectorAsMap(c.in.has_value() ? &*c.in : nullptr, &out);
    if (c.error.empty()) {
      EXPECT_TRUE(s.ok()) << i << ": " << s;
    } else {
      EXPECT_THAT(std::string(s.message()), HasSubstr(c.error)) << i;
    }
    // Go returns what was converted before the error beside it.
    EXPECT_EQ(out, c.out) << i;
  }
}

TEST(LabelSelectorTest, ParseToLabelSelector) {
  absl::StatusOr<LabelSelector> parsed =
      ParseToLabelSelector("env in (prod, qa),tier==web,!legacy,app=a1,team notin (b,a),track");
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_EQ(parsed->match_labels, (labels::Set{{"app", "a1"}, {"tier", "web"}}));
  // Sorted by key (the parser's order), values sorted.
  const std::vector<LabelSelectorRequirement> want = {
      {"env", "In", {"prod", "qa"}},
      {"legacy", "DoesNotExist", {}},
      {"team", "NotIn", {"a", "b"}},
      {"track", "Exists", {}},
  };
  EXPECT_EQ(parsed->match_expressions, want);
  // Back to a selector: the same selection as the text.
  absl::StatusOr<labels::Selector> again = LabelSelectorAsSelector(&*parsed);
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(again->String(),
            MustParse("env in (prod, qa),tier=web,!legacy,app=a1,team notin (b,a),track")
                .String());

  EXPECT_EQ(ParseToLabelSelector("n>1").status().message(),
            "\"gt\" isn't supported in label selectors");
  EXPECT_EQ(ParseToLabelSelector("n<1").status().message(),
            "\"lt\" isn't supported in label selectors");
  EXPECT_THAT(std::string(ParseToLabelSelector("a in (").status().message()),
              HasSubstr("couldn't parse the selector string \"a in (\": "));
  absl::StatusOr<LabelSelector> empty = ParseToLabelSelector("");
  ASSERT_TRUE(empty.ok());
  EXPECT_EQ(*empty, LabelSelector{});
}

TEST(LabelSelectorTest, SetAsLabelSelectorAndFormat) {
  const LabelSelector s = SetAsLabelSelector({{"b", "2"}, {"a", "1"}});
  EXPECT_EQ(s.match_labels, (labels::Set{{"a", "1"}, {"b", "2"}}));
  EXPECT_TRUE(s.match_expressions.empty());
  EXPECT_EQ(FormatLabelSelector(&s), "a=1,b=2");
  EXPECT_EQ(FormatLabelSelector(nullptr), "<none>");
  const LabelSelector everything;
  EXPECT_EQ(FormatLabelSelector(&everything), "<none>");
  const LabelSelector bad{{}, {{"k", "Near", {}}}};
  EXPECT_EQ(FormatLabelSelector(&bad), "<error>");
}

}  // namespace
}  // namespace metav1
}  // namespace informersim
