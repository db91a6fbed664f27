// Label selectors (core/labels.h) against apimachinery's own tests, commit
// eed236ce: pkg/labels/selector_test.go and the label key/value cases of
// pkg/api/validate/content/kube_test.go. Each TEST names the Go test it
// mirrors; "Extra" tests cover rules the Go tests leave implicit.
//
// Not ported, and why:
//   - BenchmarkSelectorFromValidatedSet, BenchmarkSetSelector,
//     BenchmarkRequirementString, BenchmarkRequirementMatches: benchmarks
//     (bench/ holds the project's benchmarks; none is needed for fidelity).
//   - TestSetSelectorString's ValidatedSetSelector and TestRequirementEqual's
//     cmp.Equal on unexported fields: there is one Selector type here;
//     both are ported against SelectorFromValidatedSet and operator==.
//   - The nil-versus-empty internalSelector distinction of reflect.DeepEqual
//     in TestSetSelectorParser: C++ has one empty selector.
//   - The zero Requirement inside a selector literal (TestToString's
//     "x in (abc,def)," and TestRequirementSelectorMatching's first case):
//     a C++ Selector keeps its requirements sorted, so an unsorted literal
//     cannot be built; the zero Requirement's own String() ("") and Matches
//     (false) are checked instead.
//   - labels_test.go (TestSetString, TestLabelHas, TestLabelGet,
//     TestLabelConflict, TestLabelMerge, TestLabelSelectorParse): the Set
//     helpers of labels.go are not ported; labels are a std::map or a
//     protobuf Map here.
//   - TestIsPrefixedLabelKey: IsPrefixedLabelKey is not ported (selectors do
//     not use it).
#include "core/labels.h"

#include <map>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "gtest/gtest.h"

namespace informersim {
namespace labels {
namespace {

using internal::Lexer;
using internal::Parser;
using internal::ParserContext;
using internal::Token;

Requirement Req(const std::string& key, Operator op, std::vector<std::string> values) {
  absl::StatusOr<Requirement> r = NewRequirement(key, op, std::move(values));
  EXPECT_TRUE(r.ok()) << key << ": " << r.status();
  return r.ok() ? *r : Requirement();
}

Selector Sel(std::vector<Requirement> requirements) {
  return Selector().Add(std::move(requirements));
}

void ExpectMatch(const std::string& selector, const Set& labels) {
  absl::StatusOr<Selector> s = Parse(selector);
  ASSERT_TRUE(s.ok()) << "unable to parse " << selector << ": " << s.status();
  EXPECT_TRUE(s->Matches(labels)) << selector;
  // The same answer for the labels as objects carry them.
  LabelMap proto(labels.begin(), labels.end());
  EXPECT_TRUE(s->Matches(proto)) << selector << " (protobuf map)";
}

void ExpectNoMatch(const std::string& selector, const Set& labels) {
  absl::StatusOr<Selector> s = Parse(selector);
  ASSERT_TRUE(s.ok()) << "unable to parse " << selector << ": " << s.status();
  EXPECT_FALSE(s->Matches(labels)) << selector;
  LabelMap proto(labels.begin(), labels.end());
  EXPECT_FALSE(s->Matches(proto)) << selector << " (protobuf map)";
}

// TestSelectorParse.
TEST(Labels, SelectorParse) {
  for (const char* good : {"x=a,y=b,z=c", "", "x!=a,y=b", "x=", "x= ", "x=,z= ", "x= ,z= ",
                           "!x", "x>1", "x>1,z<5"}) {
    absl::StatusOr<Selector> s = Parse(good);
    ASSERT_TRUE(s.ok()) << good << ": " << s.status();
    EXPECT_EQ(s->String(), absl::StrReplaceAll(good, {{" ", ""}})) << good;
  }
  for (const char* bad : {"x=a||y=b", "x==a==b", "!x=a", "x<a"}) {
    EXPECT_FALSE(Parse(bad).ok()) << bad;
  }
}

// TestDeterministicParse.
TEST(Labels, DeterministicParse) {
  absl::StatusOr<Selector> s1 = Parse("x=a,a=x");
  absl::StatusOr<Selector> s2 = Parse("a=x,x=a");
  ASSERT_TRUE(s1.ok());
  ASSERT_TRUE(s2.ok());
  EXPECT_EQ(s1->String(), s2->String());
  EXPECT_EQ(s1->String(), "a=x,x=a");
}

// TestEverything.
TEST(Labels, Everything) {
  EXPECT_TRUE(Selector::Everything().Matches(Set{{"x", "y"}}));
  EXPECT_TRUE(Selector::Everything().Empty());
}

// TestSelectorMatches.
TEST(Labels, SelectorMatches) {
  ExpectMatch("", {{"x", "y"}});
  ExpectMatch("x=y", {{"x", "y"}});
  ExpectMatch("x=y,z=w", {{"x", "y"}, {"z", "w"}});
  ExpectMatch("x!=y,z!=w", {{"x", "z"}, {"z", "a"}});
  ExpectMatch("notin=in", {{"notin", "in"}});  // in and notin in exact match
  ExpectMatch("x", {{"x", "z"}});
  ExpectMatch("!x", {{"y", "z"}});
  ExpectMatch("x>1", {{"x", "2"}});
  ExpectMatch("x<1", {{"x", "0"}});
  ExpectNoMatch("x=z", {});
  ExpectNoMatch("x=y", {{"x", "z"}});
  ExpectNoMatch("x=y,z=w", {{"x", "w"}, {"z", "w"}});
  ExpectNoMatch("x!=y,z!=w", {{"x", "z"}, {"z", "w"}});
  ExpectNoMatch("x", {{"y", "z"}});
  ExpectNoMatch("!x", {{"x", "z"}});
  ExpectNoMatch("x>1", {{"x", "0"}});
  ExpectNoMatch("x<1", {{"x", "2"}});

  const Set labelset = {{"foo", "bar"}, {"baz", "blah"}};
  ExpectMatch("foo=bar", labelset);
  ExpectMatch("baz=blah", labelset);
  ExpectMatch("foo=bar,baz=blah", labelset);
  ExpectNoMatch("foo=blah", labelset);
  ExpectNoMatch("baz=bar", labelset);
  ExpectNoMatch("foo=bar,foobar=bar,baz=blah", labelset);
}

// TestSetMatches (its expectNoMatchDirect cases are commented out in Go).
TEST(Labels, SetMatches) {
  const Set labelset = {{"foo", "bar"}, {"baz", "blah"}};
  for (const Set& selector : {Set{}, Set{{"foo", "bar"}}, Set{{"baz", "blah"}},
                              Set{{"foo", "bar"}, {"baz", "blah"}}}) {
    EXPECT_TRUE(SelectorFromSet(selector).Matches(labelset));
  }
  EXPECT_FALSE(SelectorFromSet(Set{{"foo", "blah"}}).Matches(labelset));
}

// TestNilMapIsValid and TestSetIsEmpty.
TEST(Labels, EmptySetIsEverything) {
  EXPECT_TRUE(SelectorFromSet(Set{}).Empty());
  EXPECT_TRUE(SelectorFromSet(LabelMap{}).Empty());
  EXPECT_TRUE(Selector().Empty());
  EXPECT_EQ(SelectorFromSet(Set{}), Selector::Everything());
  EXPECT_FALSE(SelectorFromSet(Set{{"a", "b"}}).Empty());
}

// TestLexer.
TEST(Labels, Lexer) {
  const std::vector<std::pair<std::string, Token>> cases = {
      {"", Token::kEndOfString},   {",", Token::kComma},
      {"notin", Token::kNotIn},    {"in", Token::kIn},
      {"=", Token::kEquals},       {"==", Token::kDoubleEquals},
      {">", Token::kGreaterThan},  {"<", Token::kLessThan},
      // The longest token wins.
      {"!", Token::kDoesNotExist}, {"!=", Token::kNotEquals},
      {"(", Token::kOpenPar},      {")", Token::kClosedPar},
      // Non-special characters are part of an identifier.
      {"~", Token::kIdentifier},   {"||", Token::kIdentifier},
  };
  for (const auto& [text, token] : cases) {
    Lexer lexer(text);
    internal::ScannedItem item = lexer.Lex();
    EXPECT_EQ(item.token, token) << "'" << text << "'";
    EXPECT_EQ(item.literal, text);
  }
}

std::vector<Token> LexAll(const std::string& text) {
  Lexer lexer(text);
  std::vector<Token> tokens;
  for (;;) {
    const Token t = lexer.Lex().token;
    if (t == Token::kEndOfString) return tokens;
    tokens.push_back(t);
    if (tokens.size() > 100) return tokens;  // a lexer that never ends
  }
}

using T = Token;
const std::vector<std::pair<std::string, std::vector<Token>>>& SequenceCases() {
  static const auto* cases = new std::vector<std::pair<std::string, std::vector<Token>>>{
      {"key in ( value )",
       {T::kIdentifier, T::kIn, T::kOpenPar, T::kIdentifier, T::kClosedPar}},
      {"key notin ( value )",
       {T::kIdentifier, T::kNotIn, T::kOpenPar, T::kIdentifier, T::kClosedPar}},
      {"key in ( value1, value2 )",
       {T::kIdentifier, T::kIn, T::kOpenPar, T::kIdentifier, T::kComma, T::kIdentifier,
        T::kClosedPar}},
      {"key", {T::kIdentifier}},
      {"!key", {T::kDoesNotExist, T::kIdentifier}},
      {"()", {T::kOpenPar, T::kClosedPar}},
      {"x in (),y",
       {T::kIdentifier, T::kIn, T::kOpenPar, T::kClosedPar, T::kComma, T::kIdentifier}},
      {"== != (), = notin",
       {T::kDoubleEquals, T::kNotEquals, T::kOpenPar, T::kClosedPar, T::kComma, T::kEquals,
        T::kNotIn}},
      {"key>2", {T::kIdentifier, T::kGreaterThan, T::kIdentifier}},
      {"key<1", {T::kIdentifier, T::kLessThan, T::kIdentifier}},
  };
  return *cases;
}

// TestLexerSequence.
TEST(Labels, LexerSequence) {
  for (const auto& [text, tokens] : SequenceCases()) {
    EXPECT_EQ(LexAll(text), tokens) << text;
  }
}

// TestParserLookahead: the scanned items end with kEndOfString, and
// lookahead and consume agree.
TEST(Labels, ParserLookahead) {
  auto cases = SequenceCases();
  cases.push_back({"", {}});
  for (auto [text, tokens] : cases) {
    tokens.push_back(Token::kEndOfString);
    Parser parser(text);
    parser.Scan();
    ASSERT_EQ(parser.scanned_items().size(), tokens.size()) << text;
    for (size_t i = 0;; ++i) {
      const internal::ScannedItem ahead = parser.Lookahead(ParserContext::kKeyAndOperator);
      const internal::ScannedItem taken = parser.Consume(ParserContext::kKeyAndOperator);
      EXPECT_EQ(ahead.token, taken.token) << text;
      EXPECT_EQ(ahead.literal, taken.literal) << text;
      ASSERT_LT(i, tokens.size());
      EXPECT_EQ(taken.token, tokens[i]) << text << " token " << i;
      if (ahead.token == Token::kEndOfString) break;
    }
  }
}

// TestParseOperator, with Go's exact messages.
TEST(Labels, ParseOperator) {
  for (const char* op : {"in", "=", "==", ">", "<", "notin", "!="}) {
    Parser parser(op);
    parser.Scan();
    EXPECT_TRUE(parser.ParseOperator().ok()) << op;
  }
  for (const char* bad : {"!", "exists", "("}) {
    Parser parser(bad);
    parser.Scan();
    absl::StatusOr<Operator> got = parser.ParseOperator();
    ASSERT_FALSE(got.ok()) << bad;
    EXPECT_EQ(got.status().message(),
              absl::StrCat("found '", bad, "', expected: in, notin, =, ==, !=, gt, lt"));
  }
}

// TestRequirementConstructor: which field each error names (Go's test
// ignores the detail; the full text is checked where it is Go's).
TEST(Labels, RequirementConstructor) {
  struct Case {
    std::string key;
    Operator op;
    std::vector<std::string> values;
    std::string want_error_prefix;  // "" = valid
  };
  const std::string a254(254, 'a');
  const std::vector<Case> cases = {
      {"x1", Operator::kIn, {}, "values: Invalid value: []: "},
      {"x2", Operator::kNotIn, {}, "values: Invalid value: []: "},
      {"x3", Operator::kIn, {"foo"}, ""},
      {"x4", Operator::kNotIn, {"foo"}, ""},
      {"x5", Operator::kEquals, {"bar", "foo"}, "values: Invalid value: [\"bar\",\"foo\"]: "},
      {"x6", Operator::kExists, {}, ""},
      {"x7", Operator::kDoesNotExist, {}, ""},
      {"x8", Operator::kExists, {"foo"}, "values: Invalid value: [\"foo\"]: "},
      {"x9", Operator::kIn, {"bar"}, ""},
      {"x10", Operator::kIn, {"bar"}, ""},
      {"x11", Operator::kGreaterThan, {"1"}, ""},
      {"x12", Operator::kLessThan, {"6"}, ""},
      {"x13", Operator::kGreaterThan, {}, "values: Invalid value: []: "},
      {"x14", Operator::kGreaterThan, {"bar"}, "values[0]: Invalid value: \"bar\": "},
      {"x15", Operator::kLessThan, {"bar"}, "values[0]: Invalid value: \"bar\": "},
      {a254, Operator::kExists, {}, absl::StrCat("key: Invalid value: \"", a254, "\": ")},
      {"x16", Operator::kEquals, {a254}, absl::StrCat("values[0][x16]: Invalid value: \"", a254, "\": ")},
      {"x17", Operator::kEquals, {"a b"}, "values[0][x17]: Invalid value: \"a b\": "},
      // Go passes "unsupportedOp"; kUnset is the one operator outside the set.
      {"x18", Operator::kUnset, {}, "operator: Unsupported value: \"\": "},
  };
  for (const Case& c : cases) {
    absl::StatusOr<Requirement> r = NewRequirement(c.key, c.op, c.values);
    if (c.want_error_prefix.empty()) {
      EXPECT_TRUE(r.ok()) << c.key << ": " << r.status();
      continue;
    }
    ASSERT_FALSE(r.ok()) << c.key;
    EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_TRUE(absl::StartsWith(r.status().message(), c.want_error_prefix))
        << c.key.substr(0, 10) << ": " << r.status().message();
    // One error each: no aggregate brackets.
    EXPECT_FALSE(absl::StartsWith(r.status().message(), "[")) << r.status().message();
  }
  // Full texts, as Go builds them.
  EXPECT_EQ(NewRequirement("x1", Operator::kIn, {}).status().message(),
            "values: Invalid value: []: for 'in', 'notin' operators, values set can't be empty");
  EXPECT_EQ(NewRequirement("x14", Operator::kGreaterThan, {"bar"}).status().message(),
            "values[0]: Invalid value: \"bar\": for 'Gt', 'Lt' operators, the value must be an "
            "integer");
  EXPECT_EQ(NewRequirement("x18", Operator::kUnset, {}).status().message(),
            "operator: Unsupported value: \"\": supported values: \"in\", \"notin\", \"=\", "
            "\"==\", \"!=\", \"gt\", \"lt\", \"exists\", \"!\"");
  EXPECT_EQ(NewRequirement("x17", Operator::kEquals, {"a b"}).status().message(),
            "values[0][x17]: Invalid value: \"a b\": a valid label must be an empty string or "
            "consist of alphanumeric characters, '-', '_' or '.', and must start and end with an "
            "alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for "
            "validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')");
  // Several failures aggregate as "[e1, e2]"; the path option prefixes fields.
  absl::StatusOr<Requirement> several =
      NewRequirement("-bad", Operator::kGreaterThan, {"x", "y"}, "spec.selector");
  ASSERT_FALSE(several.ok());
  EXPECT_TRUE(absl::StartsWith(several.status().message(), "[spec.selector.key: Invalid value: \"-bad\""))
      << several.status().message();
  EXPECT_TRUE(absl::StrContains(several.status().message(), ", spec.selector.values[1]: Invalid"))
      << several.status().message();
  EXPECT_TRUE(absl::EndsWith(several.status().message(), "]"));
}

// TestToString.
TEST(Labels, ToString) {
  EXPECT_EQ(Sel({Req("x", Operator::kIn, {"abc", "def"}), Req("y", Operator::kNotIn, {"jkl"}),
                 Req("z", Operator::kExists, {})})
                .String(),
            "x in (abc,def),y notin (jkl),z");
  EXPECT_EQ(Sel({Req("x", Operator::kNotIn, {"abc", "def"}),
                 Req("y", Operator::kNotEquals, {"jkl"}), Req("z", Operator::kDoesNotExist, {})})
                .String(),
            "x notin (abc,def),y!=jkl,!z");
  EXPECT_EQ(Sel({Req("x", Operator::kNotIn, {"abc"}), Req("y", Operator::kIn, {"jkl", "mno"}),
                 Req("z", Operator::kNotIn, {""})})
                .String(),
            "x notin (abc),y in (jkl,mno),z notin ()");
  EXPECT_EQ(Sel({Req("x", Operator::kEquals, {"abc"}), Req("y", Operator::kDoubleEquals, {"jkl"}),
                 Req("z", Operator::kNotEquals, {"a"}), Req("z", Operator::kExists, {})})
                .String(),
            "x=abc,y==jkl,z!=a,z");
  EXPECT_EQ(Sel({Req("x", Operator::kGreaterThan, {"2"}), Req("y", Operator::kLessThan, {"8"}),
                 Req("z", Operator::kExists, {})})
                .String(),
            "x>2,y<8,z");
  // Go's third case appends a zero Requirement, which prints as "".
  EXPECT_EQ(Requirement().String(), "");
}

// TestRequirementSelectorMatching.
TEST(Labels, RequirementSelectorMatching) {
  struct Case {
    Set set;
    Selector selector;
    bool match;
  };
  const std::vector<Case> cases = {
      {{{"x", "foo"}, {"y", "baz"}},
       Sel({Req("x", Operator::kIn, {"foo"}), Req("y", Operator::kNotIn, {"alpha"})}),
       true},
      {{{"x", "foo"}, {"y", "baz"}},
       Sel({Req("x", Operator::kIn, {"foo"}), Req("y", Operator::kIn, {"alpha"})}),
       false},
      {{{"y", ""}}, Sel({Req("x", Operator::kNotIn, {""}), Req("y", Operator::kExists, {})}), true},
      {{{"y", ""}},
       Sel({Req("x", Operator::kDoesNotExist, {}), Req("y", Operator::kExists, {})}),
       true},
      {{{"y", ""}},
       Sel({Req("x", Operator::kNotIn, {""}), Req("y", Operator::kDoesNotExist, {})}),
       false},
      {{{"y", "baz"}}, Sel({Req("x", Operator::kIn, {""})}), false},
      {{{"z", "2"}}, Sel({Req("z", Operator::kGreaterThan, {"1"})}), true},
      {{{"z", "v2"}}, Sel({Req("z", Operator::kGreaterThan, {"1"})}), false},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(c.selector.Matches(c.set), c.match) << c.selector.String();
  }
  // Go's first case: a selector holding only the zero Requirement.
  EXPECT_FALSE(Requirement().Matches(Set{{"x", "foo"}, {"y", "baz"}}));
  EXPECT_FALSE(Sel({Requirement()}).Matches(Set{{"x", "foo"}, {"y", "baz"}}));
}

// TestSetSelectorParser.
TEST(Labels, SetSelectorParser) {
  struct Case {
    std::string in;
    Selector out;
    bool match;  // compare with `out`
    bool valid;
  };
  using O = Operator;
  const std::vector<Case> cases = {
      {"", Selector(), true, true},
      {"\rx", Sel({Req("x", O::kExists, {})}), true, true},
      {"this-is-a-dns.domain.com/key-with-dash",
       Sel({Req("this-is-a-dns.domain.com/key-with-dash", O::kExists, {})}), true, true},
      {"this-is-another-dns.domain.com/key-with-dash in (so,what)",
       Sel({Req("this-is-another-dns.domain.com/key-with-dash", O::kIn, {"so", "what"})}), true,
       true},
      {"0.1.2.domain/99 notin (10.10.100.1, tick.tack.clock)",
       Sel({Req("0.1.2.domain/99", O::kNotIn, {"10.10.100.1", "tick.tack.clock"})}), true, true},
      {"foo  in\t (abc)", Sel({Req("foo", O::kIn, {"abc"})}), true, true},
      {"x notin\n (abc)", Sel({Req("x", O::kNotIn, {"abc"})}), true, true},
      {"x  notin\t\t\t(abc,def)", Sel({Req("x", O::kNotIn, {"abc", "def"})}), true, true},
      {"x in (abc,def)", Sel({Req("x", O::kIn, {"abc", "def"})}), true, true},
      {"x in (abc,)", Sel({Req("x", O::kIn, {"", "abc"})}), true, true},
      {"x in (abc,abc)", Sel({Req("x", O::kIn, {"abc"})}), true, true},
      {"x in ()", Sel({Req("x", O::kIn, {""})}), true, true},
      {"x in (a,,)", Sel({Req("x", O::kIn, {"", "a"})}), true, true},
      {"x in (a,,,)", Sel({Req("x", O::kIn, {"", "a"})}), true, true},
      {"x in (a,,,,,,)", Sel({Req("x", O::kIn, {"", "a"})}), true, true},
      {"x in (a,,a,,a,,a,,)", Sel({Req("x", O::kIn, {"", "a"})}), true, true},
      {"x notin (abc,,def),bar,z in (),w",
       Sel({Req("bar", O::kExists, {}), Req("w", O::kExists, {}),
            Req("x", O::kNotIn, {"", "abc", "def"}), Req("z", O::kIn, {""})}),
       true, true},
      {"x,y in (a)", Sel({Req("y", O::kIn, {"a"}), Req("x", O::kExists, {})}), false, true},
      {"x=a", Sel({Req("x", O::kEquals, {"a"})}), true, true},
      {"x>1", Sel({Req("x", O::kGreaterThan, {"1"})}), true, true},
      {"x<7", Sel({Req("x", O::kLessThan, {"7"})}), true, true},
      {"x=a,y!=b", Sel({Req("x", O::kEquals, {"a"}), Req("y", O::kNotEquals, {"b"})}), true,
       true},
      {"x=a,y!=b,z in (h,i,j)",
       Sel({Req("x", O::kEquals, {"a"}), Req("y", O::kNotEquals, {"b"}),
            Req("z", O::kIn, {"h", "i", "j"})}),
       true, true},
      {"x=a||y=b", Selector(), false, false},
      {"x,,y", Selector(), true, false},
      {",x,y", Selector(), true, false},
      {"x nott in (y)", Selector(), true, false},
      {"x notin ( )", Sel({Req("x", O::kNotIn, {""})}), true, true},
      {"x notin (, a)", Sel({Req("x", O::kNotIn, {"", "a"})}), true, true},
      {"a in (xyz),", Selector(), true, false},
      {"a in (xyz)b notin ()", Selector(), true, false},
      {"a ", Sel({Req("a", O::kExists, {})}), true, true},
      // 'in' and 'notin' inside a value list are identifiers.
      {"a in (x,y,notin, z,in)", Sel({Req("a", O::kIn, {"in", "notin", "x", "y", "z"})}), true,
       true},
      {"a in (xyz abc)", Selector(), false, false},  // no comma
      {"a notin(", Selector(), true, false},         // badly formed
      {"a (", Selector(), false, false},             // cpar
      {"(", Selector(), false, false},               // opar
  };
  for (const Case& c : cases) {
    absl::StatusOr<Selector> got = Parse(c.in);
    if (!c.valid) {
      EXPECT_FALSE(got.ok()) << c.in << " => " << (got.ok() ? got->String() : "");
      continue;
    }
    ASSERT_TRUE(got.ok()) << c.in << ": " << got.status();
    if (c.match) {
      EXPECT_EQ(*got, c.out) << c.in << " => " << got->String();
    }
  }
}

// TestAdd.
TEST(Labels, Add) {
  Selector s = Selector().Add({Req("key", Operator::kIn, {"value"})});
  EXPECT_EQ(s.requirements(),
            std::vector<Requirement>({Requirement("key", Operator::kIn, {"value"})}));
  s = s.Add({Req("key2", Operator::kEquals, {"value2"})});
  EXPECT_EQ(s.requirements(),
            std::vector<Requirement>({Requirement("key", Operator::kIn, {"value"}),
                                      Requirement("key2", Operator::kEquals, {"value2"})}));
  // Add sorts by key and leaves the original alone.
  Selector t = s.Add({Req("a", Operator::kExists, {})});
  EXPECT_EQ(t.String(), "a,key in (value),key2=value2");
  EXPECT_EQ(s.String(), "key in (value),key2=value2");
  // Nothing stays Nothing.
  EXPECT_TRUE(MatchesNothing(Selector::Nothing().Add({Req("a", Operator::kExists, {})})));
}

// TestSafeSort: String() sorts a copy of the values, never the requirement's.
TEST(Labels, StringSortsACopy) {
  const Requirement r("x", Operator::kIn, {"foo", "bar", "foo", "bar"});
  EXPECT_EQ(r.String(), "x in (bar,bar,foo,foo)");
  EXPECT_EQ(r.values_unsorted(), std::vector<std::string>({"foo", "bar", "foo", "bar"}));
  EXPECT_EQ(r.Values(), std::vector<std::string>({"bar", "foo"}));
  EXPECT_EQ(Requirement("x", Operator::kIn, {"foo", "bar"}).String(), "x in (bar,foo)");
  EXPECT_EQ(Requirement("x", Operator::kIn, {"bar", "foo"}).String(), "x in (bar,foo)");
}

// TestSetSelectorString (on SelectorFromValidatedSet; see the header).
TEST(Labels, SetSelectorString) {
  EXPECT_EQ(SelectorFromValidatedSet(Set{}).String(), "");
  EXPECT_EQ(SelectorFromValidatedSet(Set{{"app", "foo"}}).String(), "app=foo");
  EXPECT_EQ(SelectorFromValidatedSet(Set{{"app", "foo"}, {"a", "b"}}).String(), "a=b,app=foo");
  LabelMap proto;
  proto["app"] = "foo";
  proto["a"] = "b";
  proto["zz"] = "y";
  EXPECT_EQ(SelectorFromValidatedSet(proto).String(), "a=b,app=foo,zz=y");
}

// TestRequiresExactMatch.
TEST(Labels, RequiresExactMatch) {
  using O = Operator;
  struct Case {
    const char* name;
    Selector selector;
    const char* label;
    std::optional<std::string> want;
  };
  const std::vector<Case> cases = {
      {"keyInOperatorExactMatch", Sel({Requirement("key", O::kIn, {"value"})}), "key", "value"},
      {"keyInOperatorNotExactMatch", Sel({Requirement("key", O::kIn, {"value", "value2"})}),
       "key", std::nullopt},
      {"keyInOperatorNotExactMatch2",
       Sel({Requirement("key", O::kIn, {"value", "value1"}),
            Requirement("key2", O::kIn, {"value2"})}),
       "key2", "value2"},
      {"keyEqualOperatorExactMatch", Sel({Requirement("key", O::kEquals, {"value"})}), "key",
       "value"},
      {"keyDoubleEqualOperatorExactMatch", Sel({Requirement("key", O::kDoubleEquals, {"value"})}),
       "key", "value"},
      {"keyNotEqualOperatorExactMatch", Sel({Requirement("key", O::kNotEquals, {"value"})}),
       "key", std::nullopt},
      {"keyEqualOperatorExactMatchFirst",
       Sel({Requirement("key", O::kIn, {"value"}), Requirement("key2", O::kIn, {"value2"})}),
       "key", "value"},
      {"absent", Sel({Requirement("key", O::kIn, {"value"})}), "other", std::nullopt},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(c.selector.RequiresExactMatch(c.label), c.want) << c.name;
  }
  // Only the first requirement on the key counts.
  EXPECT_EQ(Sel({Requirement("k", O::kExists, {}), Requirement("k", O::kEquals, {"v"})})
                .RequiresExactMatch("k"),
            std::nullopt);
  EXPECT_EQ(Selector::Nothing().RequiresExactMatch("k"), std::nullopt);
}

// TestValidatedSelectorFromSet.
TEST(Labels, ValidatedSelectorFromSet) {
  absl::StatusOr<Selector> ok = ValidatedSelectorFromSet(Set{{"key", "val"}});
  ASSERT_TRUE(ok.ok()) << ok.status();
  EXPECT_EQ(ok->requirements(),
            std::vector<Requirement>({Requirement("key", Operator::kEquals, {"val"})}));

  const std::string too_long = "axahm2EJ8Phiephe2eixohbee9eGeiyees1thuozi1xoh0GiuH3diewi8iem7Nui";
  absl::StatusOr<Selector> bad = ValidatedSelectorFromSet(Set{{"Key", too_long}});
  ASSERT_FALSE(bad.ok());
  EXPECT_TRUE(absl::StartsWith(bad.status().message(),
                               absl::StrCat("values[0][Key]: Invalid value: \"", too_long,
                                            "\": must be no more than 63 bytes")))
      << bad.status().message();
  LabelMap proto;
  proto["b"] = "-bad";
  proto["a"] = "-worse";
  proto["c"] = "fine";
  absl::StatusOr<Selector> from_proto = ValidatedSelectorFromSet(proto);
  ASSERT_FALSE(from_proto.ok());
  EXPECT_TRUE(absl::StartsWith(from_proto.status().message(), "values[0][a]: Invalid value"))
      << from_proto.status().message();
  // Unvalidated: the same set is accepted by SelectorFromSet.
  EXPECT_EQ(SelectorFromSet(Set{{"Key", too_long}}).String(), "Key=" + too_long);
}

// TestRequirementEqual.
TEST(Labels, RequirementEqual) {
  using O = Operator;
  EXPECT_EQ(Requirement("key", O::kEquals, {"foo", "bar"}),
            Requirement("key", O::kEquals, {"foo", "bar"}));
  EXPECT_NE(Requirement("key1", O::kEquals, {"foo", "bar"}),
            Requirement("key2", O::kEquals, {"foo", "bar"}));
  EXPECT_NE(Requirement("key", O::kEquals, {"foo", "bar"}),
            Requirement("key", O::kIn, {"foo", "bar"}));
  EXPECT_NE(Requirement("key", O::kEquals, {"foo", "bar"}),
            Requirement("key", O::kEquals, {"foobar"}));
  // Order matters (slices.Equal).
  EXPECT_NE(Requirement("key", O::kIn, {"foo", "bar"}), Requirement("key", O::kIn, {"bar", "foo"}));
}

// TestMatchesNothing.
TEST(Labels, MatchesNothing) {
  EXPECT_TRUE(MatchesNothing(Selector::Nothing()));
  EXPECT_FALSE(MatchesNothing(Selector::Everything()));
  EXPECT_FALSE(MatchesNothing(SelectorFromSet(Set{})));
  EXPECT_FALSE(MatchesNothing(SelectorFromSet(Set{{"key", "value"}})));
  for (const char* text : {"", "a", "!a", "a=b", "a!=b", "a in (b)", "a notin (b)", "a,!a",
                           "a=b,a!=b", "a in (b),a notin (b)"}) {
    absl::StatusOr<Selector> s = Parse(text);
    ASSERT_TRUE(s.ok()) << text;
    EXPECT_FALSE(MatchesNothing(*s)) << text;
  }
  // nothingSelector's methods.
  const Selector nothing = Selector::Nothing();
  EXPECT_FALSE(nothing.Matches(Set{}));
  EXPECT_FALSE(nothing.Matches(Set{{"a", "b"}}));
  EXPECT_FALSE(nothing.Empty());
  EXPECT_EQ(nothing.String(), "");
  EXPECT_FALSE(nothing.selectable());
  EXPECT_TRUE(Selector::Everything().selectable());
  EXPECT_NE(nothing, Selector::Everything());
}

// content TestIsLabelKey.
TEST(Labels, IsLabelKey) {
  for (const std::string& good :
       {std::string("simple"), std::string("now-with-dashes"), std::string("1-starts-with-num"),
        std::string("1234"), std::string("simple/simple"), std::string("now-with-dashes/simple"),
        std::string("now-with-dashes/now-with-dashes"), std::string("now.with.dots/simple"),
        std::string("now-with.dashes-and.dots/simple"), std::string("1-num.2-num/3-num"),
        std::string("1234/5678"), std::string("1.2.3.4/5678"), std::string("Uppercase_Is_OK_123"),
        std::string("example.com/Uppercase_Is_OK_123"), std::string("requests.storage-foo"),
        std::string(63, 'a'), std::string(253, 'a') + "/" + std::string(63, 'b')}) {
    EXPECT_TRUE(IsQualifiedName(good).empty()) << good;
  }
  for (const std::string& bad :
       {std::string("nospecialchars%^=@"), std::string("cantendwithadash-"),
        std::string("-cantstartwithadash-"), std::string("only/one/slash"),
        std::string("Example.com/abc"), std::string("example_com/abc"),
        std::string("example.com/"), std::string("/simple"), std::string(64, 'a'),
        std::string(254, 'a') + "/abc", std::string("a\n"), std::string("")}) {
    EXPECT_FALSE(IsQualifiedName(bad).empty()) << bad;
  }
  // Go's texts: both the empty-name and the pattern reasons; the double
  // space of RegexError.
  EXPECT_EQ(IsQualifiedName("example.com/"),
            std::vector<std::string>(
                {"name part must be non-empty",
                 "name part must consist of alphanumeric characters, '-', '_' or '.', and must "
                 "start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or "
                 "'123-abc', regex used for validation is "
                 "'([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')"}));
  EXPECT_EQ(IsQualifiedName("example/foo/bar"),
            std::vector<std::string>(
                {"a valid label key must consist of alphanumeric characters, '-', '_' or '.', and "
                 "must start and end with an alphanumeric character (e.g. 'MyName',  or "
                 "'my.name',  or '123-abc', regex used for validation is "
                 "'([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]') with an optional DNS subdomain "
                 "prefix and '/' (e.g. 'example.com/MyName')"}));
  EXPECT_EQ(IsQualifiedName("Example.com/abc"),
            std::vector<std::string>(
                {"prefix part a lowercase RFC 1123 subdomain must consist of lower case "
                 "alphanumeric characters, '-' or '.', and must start and end with an "
                 "alphanumeric character (e.g. 'example.com', regex used for validation is "
                 "'[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')"}));
  EXPECT_EQ(IsQualifiedName(std::string(64, 'a')),
            std::vector<std::string>({"name part must be no more than 63 bytes"}));
}

// content TestIsLabelValue.
TEST(Labels, IsLabelValue) {
  for (const std::string& good :
       {std::string("simple"), std::string("now-with-dashes"), std::string("1-starts-with-num"),
        std::string("end-with-num-1"), std::string("1234"), std::string(63, 'a'),
        std::string("")}) {
    EXPECT_TRUE(IsValidLabelValue(good).empty()) << good;
  }
  for (const std::string& bad :
       {std::string("nospecialchars%^=@"), std::string("Tama-nui-te-r\xc4\x81.is.M\xc4\x81ori.sun"),
        std::string("\\backslashes\\are\\bad"), std::string("-starts-with-dash"),
        std::string("ends-with-dash-"), std::string(".starts.with.dot"),
        std::string("ends.with.dot."), std::string(64, 'a')}) {
    EXPECT_FALSE(IsValidLabelValue(bad).empty()) << bad;
  }
}

// Extra: Gt/Lt parse both sides as base-10 int64 (strconv.ParseInt).
TEST(Labels, ExtraGreaterLessIntegerRules) {
  const Selector gt = *Parse("x>5");
  EXPECT_TRUE(gt.Matches(Set{{"x", "6"}}));
  EXPECT_TRUE(gt.Matches(Set{{"x", "+6"}}));
  EXPECT_TRUE(gt.Matches(Set{{"x", "9223372036854775807"}}));
  EXPECT_FALSE(gt.Matches(Set{{"x", "9223372036854775808"}}));  // out of range
  EXPECT_FALSE(gt.Matches(Set{{"x", " 6"}}));
  EXPECT_FALSE(gt.Matches(Set{{"x", "6 "}}));
  EXPECT_FALSE(gt.Matches(Set{{"x", "1_0"}}));
  EXPECT_FALSE(gt.Matches(Set{{"x", "0x10"}}));
  EXPECT_FALSE(gt.Matches(Set{{"x", ""}}));
  EXPECT_FALSE(gt.Matches(Set{{"x", "+"}}));
  EXPECT_FALSE(gt.Matches(Set{{"x", "5"}}));
  EXPECT_FALSE(gt.Matches(Set{}));  // missing key: no match
  const Selector lt = *Parse("x<0");
  EXPECT_TRUE(lt.Matches(Set{{"x", "-9223372036854775808"}}));
  EXPECT_FALSE(lt.Matches(Set{{"x", "-9223372036854775809"}}));
  EXPECT_FALSE(lt.Matches(Set{{"x", "-0"}}));
  // The bound must be an integer and, being a label value too, may not
  // start with '-'.
  EXPECT_FALSE(Parse("x>a").ok());
  EXPECT_FALSE(Parse("x>-1").ok());
  EXPECT_FALSE(Parse("x>+1").ok());  // '+' starts no label value either
  EXPECT_FALSE(Parse("x>99999999999999999999").ok());
  // Unchecked requirements with a bad bound, or two, match nothing.
  EXPECT_FALSE(Requirement("x", Operator::kGreaterThan, {"a"}).Matches(Set{{"x", "6"}}));
  EXPECT_FALSE(Requirement("x", Operator::kGreaterThan, {"1", "2"}).Matches(Set{{"x", "6"}}));
}

// Extra: NotIn and NotEquals match a missing key; In and Equals do not.
TEST(Labels, ExtraMissingKey) {
  EXPECT_TRUE(Parse("x notin (a)")->Matches(Set{}));
  EXPECT_TRUE(Parse("x!=a")->Matches(Set{}));
  EXPECT_FALSE(Parse("x in (a)")->Matches(Set{}));
  EXPECT_FALSE(Parse("x==a")->Matches(Set{}));
  EXPECT_TRUE(Parse("x in (a,b)")->Matches(Set{{"x", "b"}}));
  EXPECT_FALSE(Parse("x notin (a,b)")->Matches(Set{{"x", "b"}}));
  EXPECT_TRUE(Parse("x=")->Matches(Set{{"x", ""}}));
}

// Extra: errors say what and where; canonical text round-trips.
TEST(Labels, ExtraErrorsAndRoundTrip) {
  absl::StatusOr<Selector> s = Parse("a=b,c in (d");
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(s.status().message(),
            "unable to parse requirement: found '', expected: ',' or ')' (at byte 11 of the "
            "selector)");
  s = Parse("a=b,,c");
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.status().message(),
            "found ',', expected: identifier after ',' (at byte 4 of the selector)");
  s = Parse("a b");
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.status().message(),
            "unable to parse requirement: found 'b', expected: in, notin, =, ==, !=, gt, lt (at "
            "byte 2 of the selector)");
  s = Parse("x,  -bad=1");
  ASSERT_FALSE(s.ok());
  EXPECT_TRUE(absl::StartsWith(s.status().message(),
                               "unable to parse requirement: Invalid value: \"-bad\": name part"))
      << s.status().message();
  EXPECT_TRUE(absl::EndsWith(s.status().message(), "(at byte 4 of the selector)"));
  s = Parse("key=a b");
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.status().message(),
            "found 'b', expected: ',' or 'end of string' (at byte 6 of the selector)");
  // A requirement NewRequirement refuses points at its key.
  s = Parse("ok, k=-v");
  ASSERT_FALSE(s.ok());
  EXPECT_TRUE(absl::StartsWith(s.status().message(),
                               "unable to parse requirement: values[0][k]: Invalid value: \"-v\""))
      << s.status().message();
  EXPECT_TRUE(absl::EndsWith(s.status().message(), "(at byte 4 of the selector)"));

  for (const char* text : {"a in (c,b),!d,e,f!=g,h==i,j=k,l>1,m<2,n notin (,p)", "",
                           "x in ()", "example.com/k=V_1.2-3"}) {
    absl::StatusOr<Selector> first = Parse(text);
    ASSERT_TRUE(first.ok()) << text << ": " << first.status();
    absl::StatusOr<Selector> second = Parse(first->String());
    ASSERT_TRUE(second.ok()) << first->String();
    EXPECT_EQ(*first, *second) << text;
  }
  // Sorted by key: "!d" sorts as "d".
  EXPECT_EQ(Parse("n notin (,p),a in (c,b),!d")->String(), "a in (b,c),!d,n notin (,p)");
}

// Extra: the lexer reads bytes; a NUL ends the text where a token starts
// (Go's read() yields 0 there) but inside an identifier it only ends the
// identifier.
TEST(Labels, ExtraNulByte) {
  EXPECT_EQ(LexAll(std::string("a\0b", 3)), std::vector<Token>({T::kIdentifier, T::kIdentifier}));
  EXPECT_EQ(LexAll(std::string("\0b", 2)), std::vector<Token>{});
  absl::StatusOr<Selector> s = Parse(std::string("\0a", 2));
  ASSERT_TRUE(s.ok());
  EXPECT_TRUE(s->Empty());
  EXPECT_FALSE(Parse(std::string("a\0b", 3)).ok());  // two identifiers in a row
}

// Extra: requirements with equal keys keep their order (stable sort).
TEST(Labels, ExtraStableKeyOrder) {
  std::vector<Requirement> many;
  for (int i = 0; i < 20; ++i) {
    many.push_back(Requirement("k", Operator::kNotEquals, {absl::StrCat("v", 19 - i)}));
  }
  const Selector s = Selector().Add(many);
  EXPECT_EQ(s.requirements(), many);
}

}  // namespace
}  // namespace labels
}  // namespace informersim
