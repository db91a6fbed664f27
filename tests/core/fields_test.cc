// Field selectors: mirrors apimachinery's pkg/fields selector_test.go and
// fields_test.go (eed236ce), every test of both files, plus the error texts,
// the U+FFFD quirk of UnescapeValue and the API server's default field label
// conversion.
#include "core/fields.h"

#include <map>
#include <string>
#include <utility>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace informersim {
namespace fields {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

// TestSplitTerms.
TEST(FieldsTest, SplitTerms) {
  const std::map<std::string, std::vector<std::string>> cases = {
      {"a", {"a"}},
      {"a=avalue", {"a=avalue"}},
      {"a=avalue,b=bvalue", {"a=avalue", "b=bvalue"}},
      {"a=avalue,b==bvalue,c!=cvalue", {"a=avalue", "b==bvalue", "c!=cvalue"}},
      {"", {}},
      {"a=a,", {"a=a", ""}},
      {",a=a", {"", "a=a"}},
      {R"(k=\,,k2=v2)", {R"(k=\,)", "k2=v2"}},
      {R"(k=\\,k2=v2)", {R"(k=\\)", "k2=v2"}},
      {R"(k=\\\,,k2=v2)", {R"(k=\\\,)", "k2=v2"}},
      {R"(k=\a\b\)", {R"(k=\a\b\)"}},
      {R"(k=\)", {R"(k=\)"}},
      {"\xED\x95\xA8=\xEC\x88\x98,\xEB\xAA\xA9=\xEB\xA1\x9D",
       {"\xED\x95\xA8=\xEC\x88\x98", "\xEB\xAA\xA9=\xEB\xA1\x9D"}},
  };
  for (const auto& [selector, want] : cases) {
    EXPECT_EQ(internal::SplitTerms(selector), want) << selector;
  }
}

// TestSplitTerm.
TEST(FieldsTest, SplitTerm) {
  struct Want {
    std::string lhs, op, rhs;
    bool ok;
  };
  const std::map<std::string, Want> cases = {
      {"a=value", {"a", "=", "value", true}},
      {"b==value", {"b", "==", "value", true}},
      {"c!=value", {"c", "!=", "value", true}},
      {"", {"", "", "", false}},
      {"a", {"", "", "", false}},
      {R"(k=\,)", {"k", "=", R"(\,)", true}},
      {R"(k=\=)", {"k", "=", R"(\=)", true}},
      {R"(k=\\\a\b\=\,\)", {"k", "=", R"(\\\a\b\=\,\)", true}},
      {"\xED\x95\xA8=\xEC\x88\x98", {"\xED\x95\xA8", "=", "\xEC\x88\x98", true}},
  };
  for (const auto& [term, want] : cases) {
    std::optional<internal::Term> got = internal::SplitTerm(term);
    ASSERT_EQ(got.has_value(), want.ok) << term;
    if (!got.has_value()) continue;
    EXPECT_EQ(got->lhs, want.lhs) << term;
    EXPECT_EQ(got->op, want.op) << term;
    EXPECT_EQ(got->rhs, want.rhs) << term;
  }
}

// TestEscapeValue.
TEST(FieldsTest, EscapeValue) {
  const std::map<std::string, std::string> cases = {
      {"", ""}, {"a", "a"}, {"=", R"(\=)"}, {",", R"(\,)"}, {R"(\)", R"(\\)"},
      {R"(\=\,\)", R"(\\\=\\\,\\)"},
  };
  for (const auto& [unescaped, escaped] : cases) {
    EXPECT_EQ(EscapeValue(unescaped), escaped);
    absl::StatusOr<std::string> back = UnescapeValue(escaped);
    ASSERT_TRUE(back.ok()) << escaped << ": " << back.status();
    EXPECT_EQ(*back, unescaped);
  }
  for (const char* bad : {R"(\)", R"(\\\)", R"(\a)"}) {
    absl::StatusOr<std::string> got = UnescapeValue(bad);
    ASSERT_FALSE(got.ok()) << bad;
    EXPECT_THAT(std::string(got.status().message()),
                HasSubstr("invalid field selector: invalid escape sequence: \\"))
        << bad;
  }
}

// InvalidEscapeSequence and UnescapedRune print as Go's do.
TEST(FieldsTest, UnescapeErrorsSayWhat) {
  EXPECT_EQ(UnescapeValue(R"(a\b)").status().message(),
            R"(invalid field selector: invalid escape sequence: \b)");
  EXPECT_EQ(UnescapeValue(R"(a\)").status().message(),
            R"(invalid field selector: invalid escape sequence: \)");
  // The rune is printed as its number (Go's %v of a rune).
  EXPECT_EQ(UnescapeValue("a,b").status().message(),
            "invalid field selector: unescaped character in value: 44");
  EXPECT_EQ(UnescapeValue("a=b").status().message(),
            "invalid field selector: unescaped character in value: 61");
  // A multi-byte rune after the backslash is named whole.
  EXPECT_EQ(UnescapeValue("\\\xC3\xA9").status().message(),
            "invalid field selector: invalid escape sequence: \\\xC3\xA9");
}

// Go ranges over the value by runes: with an escape present, each invalid
// UTF-8 byte comes out as U+FFFD; without one, the value is returned as is.
TEST(FieldsTest, UnescapeReplacesInvalidUtf8OnlyWhenItRewrites) {
  EXPECT_EQ(*UnescapeValue("a\xFF"), "a\xFF");
  EXPECT_EQ(*UnescapeValue("a\xFF\\,"), "a\xEF\xBF\xBD,");
  EXPECT_EQ(*UnescapeValue("\xE2\x82\\="), "\xEF\xBF\xBD\xEF\xBF\xBD=");  // truncated
  EXPECT_EQ(*UnescapeValue("\xE2\x82\xAC\\="), "\xE2\x82\xAC=");           // valid euro sign
  EXPECT_EQ(*UnescapeValue("\xED\xA0\x80\\="), "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD=");  // surrogate
  EXPECT_EQ(*UnescapeValue("\xC0\xAF\\="), "\xEF\xBF\xBD\xEF\xBF\xBD=");  // overlong
}

// TestSelectorParse.
TEST(FieldsTest, SelectorParse) {
  for (const char* good : {"x=a,y=b,z=c", "", "x!=a,y=b", R"(x=a||y\=b)", R"(x=a\=\=b)"}) {
    absl::StatusOr<Selector> s = ParseSelector(good);
    ASSERT_TRUE(s.ok()) << good << ": " << s.status();
    EXPECT_EQ(s->String(), good);
  }
  for (const char* bad : {"x=a||y=b", "x==a==b", "x=a,b", "x in (a)", "x in (a,b,c)", "x"}) {
    EXPECT_FALSE(ParseSelector(bad).ok()) << bad;
  }
  EXPECT_EQ(ParseSelector("x=a,b").status().message(),
            "invalid selector: 'x=a,b'; can't understand 'b'");
}

// TestDeterministicParse, and the raw terms are sorted as text.
TEST(FieldsTest, DeterministicParse) {
  EXPECT_EQ(ParseSelector("x=a,a=x")->String(), ParseSelector("a=x,x=a")->String());
  EXPECT_EQ(ParseSelector("b!=1,a==2,,c=3")->String(), "a=2,b!=1,c=3");
}

// TestEverything.
TEST(FieldsTest, Everything) {
  EXPECT_TRUE(Selector::Everything().Matches(Set{{"x", "y"}}));
  EXPECT_TRUE(Selector::Everything().Empty());
  EXPECT_FALSE(Selector::Nothing().Matches(Set{{"x", "y"}}));
  EXPECT_FALSE(Selector::Nothing().Empty());
  EXPECT_EQ(Selector::Nothing().String(), "");
}

void ExpectMatch(const std::string& selector, const Set& set, bool want) {
  absl::StatusOr<Selector> s = ParseSelector(selector);
  ASSERT_TRUE(s.ok()) << selector << ": " << s.status();
  EXPECT_EQ(s->Matches(set), want) << selector << " on " << set.String();
}

// TestSelectorMatches.
TEST(FieldsTest, SelectorMatches) {
  ExpectMatch("", Set{{"x", "y"}}, true);
  ExpectMatch("x=y", Set{{"x", "y"}}, true);
  ExpectMatch("x=y,z=w", Set{{"x", "y"}, {"z", "w"}}, true);
  ExpectMatch("x!=y,z!=w", Set{{"x", "z"}, {"z", "a"}}, true);
  ExpectMatch("notin=in", Set{{"notin", "in"}}, true);
  ExpectMatch("x=y", Set{{"x", "z"}}, false);
  ExpectMatch("x=y,z=w", Set{{"x", "w"}, {"z", "w"}}, false);
  ExpectMatch("x!=y,z!=w", Set{{"x", "z"}, {"z", "w"}}, false);

  const Set fieldset{{"foo", "bar"}, {"baz", "blah"}, {"complex", R"(=value\,\)"}};
  ExpectMatch("foo=bar", fieldset, true);
  ExpectMatch("baz=blah", fieldset, true);
  ExpectMatch("foo=bar,baz=blah", fieldset, true);
  ExpectMatch(R"(foo=bar,baz=blah,complex=\=value\\\,\\)", fieldset, true);
  ExpectMatch("foo=blah", fieldset, false);
  ExpectMatch("baz=bar", fieldset, false);
  ExpectMatch("foo=bar,foobar=bar,baz=blah", fieldset, false);
  // A missing field reads as "".
  ExpectMatch("gone=", fieldset, true);
  ExpectMatch("gone!=", fieldset, false);
}

// TestOneTermEqualSelector.
TEST(FieldsTest, OneTermEqualSelector) {
  EXPECT_TRUE(OneTermEqualSelector("x", "y").Matches(Set{{"x", "y"}}));
  EXPECT_FALSE(OneTermEqualSelector("x", "y").Matches(Set{{"x", "z"}}));
  EXPECT_FALSE(OneTermNotEqualSelector("x", "y").Matches(Set{{"x", "y"}}));
  EXPECT_TRUE(OneTermNotEqualSelector("x", "y").Matches(Set{{"x", "z"}}));
}

// TestSetMatches.
TEST(FieldsTest, SetMatches) {
  const Set labelset{{"foo", "bar"}, {"baz", "blah"}};
  EXPECT_TRUE(SelectorFromSet(Set{}).Matches(labelset));
  EXPECT_TRUE(SelectorFromSet(Set{{"foo", "bar"}}).Matches(labelset));
  EXPECT_TRUE(SelectorFromSet(Set{{"baz", "blah"}}).Matches(labelset));
  EXPECT_TRUE(SelectorFromSet(Set{{"foo", "bar"}, {"baz", "blah"}}).Matches(labelset));
  EXPECT_FALSE(SelectorFromSet(Set{{"foo", "=blah"}}).Matches(labelset));
  EXPECT_FALSE(SelectorFromSet(Set{{"baz", "=bar"}}).Matches(labelset));
  EXPECT_FALSE(
      SelectorFromSet(Set{{"foo", "=bar"}, {"foobar", "bar"}, {"baz", "blah"}}).Matches(labelset));
}

// TestNilMapIsValid and TestSetIsEmpty.
TEST(FieldsTest, SetIsEmpty) {
  EXPECT_TRUE(SelectorFromSet(Set{}).Empty());
  EXPECT_TRUE(Selector::And({}).Empty());
  EXPECT_FALSE(Selector::Has("", "").Empty());
  EXPECT_FALSE(Selector::NotHas("", "").Empty());
  EXPECT_TRUE(Selector::And({Selector::And({})}).Empty());
  EXPECT_FALSE(Selector::And({Selector::Has("a", "b")}).Empty());
}

// TestRequiresExactMatch.
TEST(FieldsTest, RequiresExactMatch) {
  struct Case {
    Selector s;
    std::string field;
    std::optional<std::string> want;
  };
  const std::vector<std::pair<std::string, Case>> cases = {
      {"empty set", {SelectorFromSet(Set{}), "test", std::nullopt}},
      {"empty hasTerm", {Selector::Has("", ""), "test", std::nullopt}},
      {"skipped hasTerm", {Selector::Has("a", "b"), "test", std::nullopt}},
      {"valid hasTerm", {Selector::Has("test", "b"), "test", "b"}},
      {"valid hasTerm no value", {Selector::Has("test", ""), "test", ""}},
      {"valid notHasTerm", {Selector::NotHas("test", "b"), "test", std::nullopt}},
      {"valid notHasTerm no value", {Selector::NotHas("test", ""), "test", std::nullopt}},
      {"empty andTerm", {Selector::And({}), "test", std::nullopt}},
      {"nested andTerm", {Selector::And({Selector::And({})}), "test", std::nullopt}},
      {"nested andTerm matches", {Selector::And({Selector::Has("test", "b")}), "test", "b"}},
      {"andTerm with non-match",
       {Selector::And({Selector::Has("", ""), Selector::Has("test", "b")}), "test", "b"}},
  };
  for (const auto& [name, c] : cases) {
    EXPECT_EQ(c.s.RequiresExactMatch(c.field), c.want) << name;
  }
}

// TestTransform.
TEST(FieldsTest, Transform) {
  using Pair = absl::StatusOr<std::pair<std::string, std::string>>;
  const TransformFunc identity = [](const std::string& f, const std::string& v) -> Pair {
    return std::make_pair(f, v);
  };
  struct Case {
    std::string name, selector;
    TransformFunc fn;
    std::string result;
    bool empty;
  };
  const std::vector<Case> cases = {
      {"empty selector", "", identity, "", true},
      {"no-op transform", "a=b,c=d", identity, "a=b,c=d", false},
      {"transform one field", "a=b,c=d",
       [](const std::string& f, const std::string& v) -> Pair {
         if (f == "a") return std::make_pair(std::string("e"), std::string("f"));
         return std::make_pair(f, v);
       },
       "e=f,c=d", false},
      {"remove field to make empty", "a=b",
       [](const std::string&, const std::string&) -> Pair {
         return std::make_pair(std::string(), std::string());
       },
       "", true},
      {"remove only one field", "a=b,c=d,e=f",
       [](const std::string& f, const std::string& v) -> Pair {
         if (f == "c") return std::make_pair(std::string(), std::string());
         return std::make_pair(f, v);
       },
       "a=b,e=f", false},
  };
  for (const Case& c : cases) {
    absl::StatusOr<Selector> got = ParseAndTransformSelector(c.selector, c.fn);
    ASSERT_TRUE(got.ok()) << c.name << ": " << got.status();
    EXPECT_EQ(got->Empty(), c.empty) << c.name;
    EXPECT_EQ(got->String(), c.result) << c.name;
  }
}

// The API server's check of field names (get.go's Transform with the scheme's
// ConvertFieldLabel): an unknown field fails the whole selector.
TEST(FieldsTest, DefaultMetaV1ConversionKnowsNameAndNamespace) {
  absl::StatusOr<Selector> ok = ParseAndTransformSelector(
      "metadata.namespace!=ns-1,metadata.name=a", DefaultMetaV1FieldSelectorConversion);
  ASSERT_TRUE(ok.ok()) << ok.status();
  EXPECT_EQ(ok->String(), "metadata.name=a,metadata.namespace!=ns-1");
  EXPECT_THAT(ok->Requirements(),
              ElementsAre(Requirement{Operator::kEquals, "metadata.name", "a"},
                          Requirement{Operator::kNotEquals, "metadata.namespace", "ns-1"}));
  absl::StatusOr<Selector> bad = ParseAndTransformSelector(
      "metadata.name=a,spec.nodeName=n", DefaultMetaV1FieldSelectorConversion);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().message(),
            "\"spec.nodeName\" is not a known field selector: only \"metadata.name\", "
            "\"metadata.namespace\"");
}

// TestSetString, TestFieldHas, TestFieldGet.
TEST(FieldsTest, SetStringHasGet) {
  EXPECT_EQ((Set{{"x", "y"}}).String(), "x=y");
  EXPECT_EQ((Set{{"foo", "bar"}}).String(), "foo=bar");
  EXPECT_EQ((Set{{"foo", "bar"}, {"baz", "qup"}}).String(), "baz=qup,foo=bar");
  EXPECT_TRUE((Set{{"x", "y"}}).Has("x"));
  EXPECT_TRUE((Set{{"x", ""}}).Has("x"));
  EXPECT_FALSE((Set{{"x", "y"}}).Has("foo"));
  EXPECT_EQ((Set{{"x", "y"}}).Get("x"), "y");
}

// Set.AsSelector of one entry is that term; String of nested and-terms.
TEST(FieldsTest, StringOfShapes) {
  EXPECT_EQ(SelectorFromSet(Set{{"a", "b,c"}}).String(), R"(a=b\,c)");
  EXPECT_EQ(SelectorFromSet(Set{{"b", "2"}, {"a", "1"}}).String(), "a=1,b=2");
  EXPECT_EQ(AndSelectors({Selector::Has("a", "1"), Selector::And({})}).String(), "a=1,");
  EXPECT_EQ(*ParseSelector(R"(a=\\)"), Selector::Has("a", R"(\)"));
}

}  // namespace
}  // namespace fields
}  // namespace informersim
