// Label selectors: a C++ port of apimachinery's pkg/labels (selector.go) with
// the label key/value rules of pkg/api/validate/content (kube.go, dns.go),
// matched rule for rule at apimachinery commit eed236ce.
//
// A Selector is an AND of Requirements ("key in (a,b)", "!key", "key>5", ...)
// or the special Nothing() selector. Parse() reads the textual form that
// ListOptions.LabelSelector carries; String() writes the canonical form
// (requirements sorted by key, in/notin values sorted), so that
// Parse(s.String()) gives back an equal selector.
//
// Labels are the project's object labels (api::ObjectMeta::labels(), an
// api::StringMap) or a std::map (for tests and callers building sets).
//
// Thread safety: Requirement and Selector are immutable values after
// construction; const methods may be called from any thread.
// Invariants: a Selector's requirements are sorted by key (stable, so
// requirements with equal keys keep their order); a Requirement built by
// NewRequirement passed every check listed there. The unchecked constructors
// (Requirement's, SelectorFromValidatedSet) trust the caller, as
// apimachinery's struct literals and SelectorFromValidatedSet do.
//
// Differs from apimachinery on purpose (see docs/CLIENT_GO.md):
//   - Errors are absl::Status (InvalidArgument). Their text follows
//     apimachinery's (field path, "Invalid value: ...", the validation
//     detail); Parse appends where in the text the problem is
//     (" (at byte N of the selector)"). A validation error raised with an
//     empty field path reads "Invalid value: ..." rather than Go's
//     ": Invalid value: ...". Non-ASCII bytes in quoted values are always
//     \x-escaped (Go's %q keeps printable UTF-8).
//   - Requirements are sorted with a stable sort: Go's sort.Sort is stable
//     only up to 12 requirements, so for longer selectors with repeated keys
//     Go's String() order is unspecified and ours is the input order.
//   - ValidatedSelectorFromSet reports the error of the smallest invalid key
//     (Go: whichever key map iteration meets first).
//   - One Selector type stands for internalSelector, nothingSelector and
//     ValidatedSetSelector (the latter is an allocation optimisation in Go
//     with the same Matches/String/RequiresExactMatch answers).
//   - Operators are an enum; Operator::kUnset is Go's zero "" operator (the
//     zero Requirement), which NewRequirement rejects as unsupported.
#ifndef INFORMERSIM_CORE_LABELS_H_
#define INFORMERSIM_CORE_LABELS_H_

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "core/api/object.h"

namespace informersim {
namespace labels {

// Object labels as the API objects carry them.
using LabelMap = api::StringMap;
// apimachinery labels.Set.
using Set = std::map<std::string, std::string>;

// apimachinery selection.Operator.
enum class Operator : uint8_t {
  kUnset,  // Go's zero value ""; never valid.
  kDoesNotExist,  // "!"
  kEquals,        // "="
  kDoubleEquals,  // "=="
  kIn,            // "in"
  kNotEquals,     // "!="
  kNotIn,         // "notin"
  kExists,        // "exists"
  kGreaterThan,   // "gt"
  kLessThan,      // "lt"
};
// The selection.Operator string ("" for kUnset).
absl::string_view OperatorName(Operator op);

// content.IsLabelKey (alias IsQualifiedName): an optional DNS-1123 subdomain
// prefix and '/', then a name of 1-63 bytes, alphanumeric at both ends with
// '-', '_', '.' inside. Empty result = valid; otherwise the reasons.
std::vector<std::string> IsQualifiedName(absl::string_view value);
// content.IsLabelValue: empty, or at most 63 bytes of the name alphabet.
std::vector<std::string> IsValidLabelValue(absl::string_view value);
// content.IsDNS1123Subdomain: at most 253 bytes of dot-separated lowercase
// RFC 1123 labels.
std::vector<std::string> IsDNS1123Subdomain(absl::string_view value);

// apimachinery labels.Requirement: key, operator and values.
class Requirement {
 public:
  // Go's zero Requirement: matches nothing, prints as "".
  Requirement() = default;
  // Unchecked (Go's struct literal): the caller vouches for validity. Values
  // are kept as given; String() sorts a copy.
  Requirement(std::string key, Operator op, std::vector<std::string> values)
      : key_(std::move(key)), op_(op), values_(std::move(values)) {}

  // Requirement.Matches: In/Equals/DoubleEquals need the key with one of the
  // values; NotIn/NotEquals match a missing key or a value not listed;
  // Exists/DoesNotExist test presence; Gt/Lt need the key, its value and the
  // requirement's single value parsed as base-10 int64 (any parse failure,
  // or not exactly one value, is no match); kUnset matches nothing.
  bool Matches(const LabelMap& labels) const;
  bool Matches(const Set& labels) const;

  const std::string& key() const { return key_; }
  Operator op() const { return op_; }
  // Requirement.ValuesUnsorted.
  const std::vector<std::string>& values_unsorted() const { return values_; }
  // Requirement.Values: a set, so sorted and without duplicates.
  std::vector<std::string> Values() const;
  // Requirement.String: "!k", "k", "k=v", "k==v", "k!=v", "k>v", "k<v",
  // "k in (a,b)", "k notin (a,b)"; several values are printed sorted.
  std::string String() const;

  // Requirement.Equal: same key, operator and values in the same order.
  friend bool operator==(const Requirement& a, const Requirement& b) {
    return a.key_ == b.key_ && a.op_ == b.op_ && a.values_ == b.values_;
  }
  friend bool operator!=(const Requirement& a, const Requirement& b) { return !(a == b); }

 private:
  template <typename Map>
  bool MatchesImpl(const Map& labels) const;
  bool HasValue(absl::string_view value) const;

  std::string key_;
  Operator op_ = Operator::kUnset;
  std::vector<std::string> values_;
};

// apimachinery NewRequirement. Every failed check is reported, as Go's
// aggregated field.ErrorList:
//   - the key must be a qualified name ("<path>key: Invalid value: ...");
//   - In/NotIn need at least one value; Equals/DoubleEquals/NotEquals exactly
//     one; Exists/DoesNotExist none; Gt/Lt exactly one, and every value must
//     parse as a base-10 int64;
//   - any other operator (kUnset) is unsupported;
//   - every value must be a valid label value ("values[i][key]: ...").
// `path` prefixes the field names, as Go's field.WithPath.
absl::StatusOr<Requirement> NewRequirement(std::string key, Operator op,
                                           std::vector<std::string> values,
                                           absl::string_view path = "");

// apimachinery labels.Selector (internalSelector and nothingSelector).
class Selector {
 public:
  // NewSelector() / Everything(): no requirement, matches every label set.
  Selector() = default;
  static Selector Everything() { return Selector(); }
  // Matches nothing; Empty() is false and String() is "".
  static Selector Nothing();

  bool Matches(const LabelMap& labels) const;
  bool Matches(const Set& labels) const;
  // True when the selector does not restrict the selection (no requirement).
  bool Empty() const { return !nothing_ && requirements_.empty(); }
  // Requirements' strings joined by ","; "" for Nothing() and Everything().
  std::string String() const;
  // Selector.Add: a copy with `more` appended, re-sorted by key. Nothing()
  // stays Nothing().
  Selector Add(std::vector<Requirement> more) const;
  // Selector.Requirements: the requirements (sorted by key) and whether the
  // selector selects anything at all (false only for Nothing()).
  const std::vector<Requirement>& requirements() const { return requirements_; }
  bool selectable() const { return !nothing_; }
  // Selector.RequiresExactMatch: the value the first requirement on `label`
  // pins it to (Equals, DoubleEquals, or In with one value); nullopt if that
  // requirement pins nothing or there is none.
  std::optional<std::string> RequiresExactMatch(absl::string_view label) const;

  friend bool operator==(const Selector& a, const Selector& b) {
    return a.nothing_ == b.nothing_ && a.requirements_ == b.requirements_;
  }
  friend bool operator!=(const Selector& a, const Selector& b) { return !(a == b); }

 private:
  template <typename Map>
  bool MatchesImpl(const Map& labels) const;

  bool nothing_ = false;
  std::vector<Requirement> requirements_;
};

// labels.MatchesNothing: true only for Nothing() (conflicting requirements
// such as "a,!a" are not detected, as in Go).
bool MatchesNothing(const Selector& selector);

// labels.Parse. Grammar (whitespace is ' ', '\t', '\r', '\n'):
//   selector    ::= "" | requirement ("," requirement)*
//   requirement ::= ["!"] KEY [ ("in"|"notin") "(" values ")"
//                             | ("="|"=="|"!="|">"|"<") [VALUE] ]
// "()" and empty list entries stand for the value "". Values are a set
// (sorted, deduplicated); the result is sorted by key. Every requirement goes
// through NewRequirement. Errors: InvalidArgument saying what was found and
// what was expected, and at which byte of `text`.
absl::StatusOr<Selector> Parse(absl::string_view text);

// labels.SelectorFromSet / SelectorFromValidatedSet: one Equals requirement
// per entry, unchecked; an empty set gives Everything().
Selector SelectorFromSet(const Set& set);
Selector SelectorFromSet(const LabelMap& set);
Selector SelectorFromValidatedSet(const Set& set);
Selector SelectorFromValidatedSet(const LabelMap& set);
// labels.ValidatedSelectorFromSet: as SelectorFromSet, but each entry goes
// through NewRequirement; the first failure (in key order) is returned.
absl::StatusOr<Selector> ValidatedSelectorFromSet(const Set& set);
absl::StatusOr<Selector> ValidatedSelectorFromSet(const LabelMap& set);

// Close to Go's %q, for error texts: printable ASCII as is, the usual
// backslash escapes, every other byte as \xNN (Go keeps printable UTF-8).
std::string GoQuote(absl::string_view s);

// The lexer and parser of selector.go, exposed for the tests that mirror
// TestLexer, TestLexerSequence, TestParserLookahead and TestParseOperator.
// Not for other use.
namespace internal {

// selector.go Token, in the same order.
enum class Token : uint8_t {
  kError,
  kEndOfString,
  kClosedPar,
  kComma,
  kDoesNotExist,
  kDoubleEquals,
  kEquals,
  kGreaterThan,
  kIdentifier,
  kIn,
  kLessThan,
  kNotEquals,
  kNotIn,
  kOpenPar,
};

struct ScannedItem {
  Token token = Token::kError;
  std::string literal;
  // Byte offset of the token's first character in the text (its length for
  // kEndOfString); for error messages only.
  size_t offset = 0;
};

// selector.go Lexer: bytes, not runes. A NUL byte reads as the end of the
// text, as Go's read() returning 0 does.
class Lexer {
 public:
  explicit Lexer(absl::string_view text) : text_(text) {}
  // The next token: "(", ")", ",", "!", "!=", "=", "==", ">", "<" (the
  // longest operator at this point), "in"/"notin", an identifier (any run of
  // other non-whitespace bytes), or the end of the text.
  ScannedItem Lex();

 private:
  char Read();
  void Unread() { --pos_; }
  ScannedItem ScanIdOrKeyword();
  ScannedItem ScanSpecialSymbol();

  absl::string_view text_;
  size_t pos_ = 0;
};

// selector.go ParserContext: in kValues, "in" and "notin" are identifiers.
enum class ParserContext : uint8_t { kKeyAndOperator, kValues };

// selector.go Parser: scans the whole text first, then parses with one token
// of lookahead.
class Parser {
 public:
  explicit Parser(absl::string_view text) : lexer_(text) {}

  // Fills scanned_items() up to and including kEndOfString.
  void Scan();
  const std::vector<ScannedItem>& scanned_items() const { return items_; }
  // The current token (not consumed) / the current token, consumed. Past
  // the end both give kEndOfString.
  ScannedItem Lookahead(ParserContext context) const;
  ScannedItem Consume(ParserContext context);

  // Scan() then parse every requirement; unsorted.
  absl::StatusOr<std::vector<Requirement>> Parse();
  // parseOperator: the binary operator at the current token.
  absl::StatusOr<Operator> ParseOperator();
  // Byte offset of the token the last error was about.
  size_t error_offset() const { return error_offset_; }

 private:
  absl::StatusOr<Requirement> ParseRequirement();
  absl::Status ParseKeyAndInferOperator(std::string* key, Operator* op);
  absl::StatusOr<std::vector<std::string>> ParseValues();
  absl::StatusOr<std::vector<std::string>> ParseIdentifiersList();
  absl::StatusOr<std::vector<std::string>> ParseExactValue();
  absl::Status ErrorAt(const ScannedItem& item, std::string message);

  Lexer lexer_;
  std::vector<ScannedItem> items_;
  size_t position_ = 0;
  size_t error_offset_ = 0;
};

}  // namespace internal
}  // namespace labels
}  // namespace informersim

#endif  // INFORMERSIM_CORE_LABELS_H_
