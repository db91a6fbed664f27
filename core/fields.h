// Field selectors: a C++ port of apimachinery's pkg/fields (selector.go,
// fields.go, requirements.go), matched rule for rule at apimachinery commit
// eed236ce.
//
// A field selector is a comma-separated list of terms "field=value",
// "field==value" or "field!=value"; in a value, '\', ',' and '=' are written
// escaped with a backslash. ParseSelector sorts the raw terms (as text) and
// keeps that order, so String() of a parsed selector is its terms in sorted
// order. There is no validation of field names here: the API server checks
// them afterwards with Transform (only "metadata.name" and
// "metadata.namespace" are known for objects without their own conversion,
// runtime.DefaultMetaV1FieldSelectorConversion).
//
// Thread safety: Selector is an immutable value; const methods may be called
// from any thread.
// Invariants: a kAnd selector owns its terms (each a Selector of any kind,
// nested and-terms included, as Go's andTerm may hold another andTerm); kHas
// and kNotHas hold one field and one (unescaped) value; kNothing holds
// nothing.
//
// Differs from apimachinery on purpose (see docs/CLIENT_GO.md):
//   - Errors are absl::Status (InvalidArgument) with Go's messages.
//   - SelectorFromSet walks the set in key order (Go: map iteration order),
//     so its String() is deterministic.
//   - One Selector type stands for hasTerm, notHasTerm, andTerm and
//     nothingSelector; Go's nil andTerm and empty andTerm are the same value.
#ifndef INFORMERSIM_CORE_FIELDS_H_
#define INFORMERSIM_CORE_FIELDS_H_

#include <cstdint>
#include <functional>
#include <initializer_list>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "core/labels.h"

namespace informersim {
namespace fields {

// apimachinery's fields and labels share selection.Operator.
using Operator = labels::Operator;

// fields.Fields: what a selector reads. Get of a field that is not there is
// "" (so "f=" matches a missing field and "f!=" does not).
class Fields {
 public:
  virtual ~Fields() = default;
  virtual bool Has(absl::string_view field) const = 0;
  virtual absl::string_view Get(absl::string_view field) const = 0;
};

// fields.Set.
class Set final : public Fields {
 public:
  using Map = std::map<std::string, std::string, std::less<>>;
  Set() = default;
  Set(std::initializer_list<std::pair<const std::string, std::string>> init) : map_(init) {}
  explicit Set(Map map) : map_(std::move(map)) {}

  bool Has(absl::string_view field) const override;
  absl::string_view Get(absl::string_view field) const override;
  // Set.String: "k=v" for each entry, sorted, joined by ","; values are not
  // escaped (as in Go).
  std::string String() const;
  const Map& map() const { return map_; }

 private:
  Map map_;
};

// fields.Requirement: operator (kEquals or kNotEquals), field, value.
struct Requirement {
  Operator op = Operator::kUnset;
  std::string field;
  std::string value;
  friend bool operator==(const Requirement& a, const Requirement& b) {
    return a.op == b.op && a.field == b.field && a.value == b.value;
  }
};

// fields.TransformFunc: maps (field, value) to a new pair or an error; a
// pair of two empty strings drops the term.
using TransformFunc =
    std::function<absl::StatusOr<std::pair<std::string, std::string>>(const std::string& field,
                                                                      const std::string& value)>;

// fields.Selector.
class Selector {
 public:
  enum class Kind : uint8_t { kAnd, kHas, kNotHas, kNothing };

  // Everything(): an empty and-term.
  Selector() = default;
  static Selector Everything() { return Selector(); }
  static Selector Nothing();
  static Selector Has(std::string field, std::string value);
  static Selector NotHas(std::string field, std::string value);
  static Selector And(std::vector<Selector> terms);

  Kind kind() const { return kind_; }
  // Has: the field's value equals; NotHas: differs; And: every term
  // matches (an empty And matches everything); Nothing: false.
  bool Matches(const Fields& fields) const;
  // True when the selector restricts nothing: an And whose terms are all
  // empty (recursively). Has/NotHas are never empty, nor is Nothing.
  bool Empty() const;
  // The value a Has term on `field` requires (the first one found, depth
  // first); nullopt when no term pins it.
  std::optional<std::string> RequiresExactMatch(absl::string_view field) const;
  // A copy with `fn` applied to every term; a term mapped to ("", "")
  // becomes Everything(), and an And drops the terms that came out empty.
  absl::StatusOr<Selector> Transform(const TransformFunc& fn) const;
  // The terms flattened in order.
  std::vector<Requirement> Requirements() const;
  // "f=v" / "f!=v" with the value escaped; And joins its terms' strings by
  // "," (an empty nested And contributes an empty string); Nothing is "".
  std::string String() const;

  friend bool operator==(const Selector& a, const Selector& b) {
    return a.kind_ == b.kind_ && a.field_ == b.field_ && a.value_ == b.value_ &&
           a.terms_ == b.terms_;
  }
  friend bool operator!=(const Selector& a, const Selector& b) { return !(a == b); }

 private:
  Kind kind_ = Kind::kAnd;
  std::string field_;
  std::string value_;
  std::vector<Selector> terms_;
};

// fields.SelectorFromSet (Set.AsSelector): one Has term per entry; one entry
// gives that term alone; an empty set gives an empty And (Everything).
Selector SelectorFromSet(const Set& set);
// OneTermEqualSelector / OneTermNotEqualSelector / AndSelectors.
inline Selector OneTermEqualSelector(std::string field, std::string value) {
  return Selector::Has(std::move(field), std::move(value));
}
inline Selector OneTermNotEqualSelector(std::string field, std::string value) {
  return Selector::NotHas(std::move(field), std::move(value));
}
inline Selector AndSelectors(std::vector<Selector> selectors) {
  return Selector::And(std::move(selectors));
}

// EscapeValue: '\' -> "\\", ',' -> "\,", '=' -> "\=".
std::string EscapeValue(absl::string_view value);
// UnescapeValue: the inverse. Errors (Go's text): a backslash before any
// other character or at the end ("invalid field selector: invalid escape
// sequence: \x"), an unescaped ',' or '=' ("invalid field selector:
// unescaped character in value: 44", the rune as a number). A value with
// none of '\', ',', '=' is returned as is; otherwise it is read as UTF-8 and
// each invalid byte becomes U+FFFD, as Go's range over a string does.
absl::StatusOr<std::string> UnescapeValue(absl::string_view value);

// fields.ParseSelector: split on unescaped commas, sort the raw terms, skip
// empty ones, split each at the first operator ("!=", "==", "=" tried in
// that order at each position; the field part is never unescaped), unescape
// the value. One term gives that term; otherwise an And. A term without an
// operator: "invalid selector: '<selector>'; can't understand '<term>'".
absl::StatusOr<Selector> ParseSelector(absl::string_view text);
// fields.ParseAndTransformSelector: ParseSelector, then Transform(fn).
absl::StatusOr<Selector> ParseAndTransformSelector(absl::string_view text,
                                                   const TransformFunc& fn);

// runtime.DefaultMetaV1FieldSelectorConversion: accepts "metadata.name" and
// "metadata.namespace" unchanged; any other field is an error
// ("\"f\" is not a known field selector: only \"metadata.name\",
// \"metadata.namespace\"").
absl::StatusOr<std::pair<std::string, std::string>> DefaultMetaV1FieldSelectorConversion(
    const std::string& field, const std::string& value);

// The splitting steps of ParseSelector, exposed for the tests that mirror
// TestSplitTerms and TestSplitTerm. Not for other use.
namespace internal {
// splitTerms: the terms between unescaped commas (a backslash escapes the
// byte after it, which stays in the term); "" gives no terms.
std::vector<std::string> SplitTerms(absl::string_view selector);
struct Term {
  std::string lhs, op, rhs;
};
// splitTerm: nullopt when no operator occurs.
std::optional<Term> SplitTerm(absl::string_view term);
}  // namespace internal

}  // namespace fields
}  // namespace informersim

#endif  // INFORMERSIM_CORE_FIELDS_H_
