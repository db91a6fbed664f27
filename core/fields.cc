// Field selectors (apimachinery pkg/fields at eed236ce).
#include "core/fields.h"

#include <algorithm>
#include <cstddef>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace informersim {
namespace fields {
namespace {

// The length of the UTF-8 sequence at the front of `s` as Go's
// utf8.DecodeRuneInString accepts it (no overlongs, no surrogates, nothing
// above U+10FFFF), or 0 when the first byte starts no valid sequence (Go then
// reads one byte as U+FFFD).
size_t ValidRuneLength(absl::string_view s) {
  const auto at = [&s](size_t i) { return static_cast<unsigned char>(s[i]); };
  const unsigned char b0 = at(0);
  if (b0 < 0x80) return 1;
  size_t n;
  unsigned char lo = 0x80, hi = 0xBF;
  if (b0 >= 0xC2 && b0 <= 0xDF) {
    n = 2;
  } else if (b0 >= 0xE0 && b0 <= 0xEF) {
    n = 3;
    if (b0 == 0xE0) lo = 0xA0;
    if (b0 == 0xED) hi = 0x9F;
  } else if (b0 >= 0xF0 && b0 <= 0xF4) {
    n = 4;
    if (b0 == 0xF0) lo = 0x90;
    if (b0 == 0xF4) hi = 0x8F;
  } else {
    return 0;
  }
  if (s.size() < n) return 0;
  if (at(1) < lo || at(1) > hi) return 0;
  for (size_t i = 2; i < n; ++i) {
    if (at(i) < 0x80 || at(i) > 0xBF) return 0;
  }
  return n;
}

constexpr absl::string_view kRuneError = "\xEF\xBF\xBD";

}  // namespace

bool Set::Has(absl::string_view field) const { return map_.find(field) != map_.end(); }

absl::string_view Set::Get(absl::string_view field) const {
  auto it = map_.find(field);
  return it == map_.end() ? absl::string_view() : absl::string_view(it->second);
}

std::string Set::String() const {
  std::vector<std::string> terms;
  terms.reserve(map_.size());
  for (const auto& [field, value] : map_) terms.push_back(absl::StrCat(field, "=", value));
  // Go sorts the joined "k=v" strings, which is not always key order
  // ("a.b=1" sorts before "a=1").
  std::sort(terms.begin(), terms.end());
  return absl::StrJoin(terms, ",");
}

Selector Selector::Nothing() {
  Selector s;
  s.kind_ = Kind::kNothing;
  return s;
}

Selector Selector::Has(std::string field, std::string value) {
  Selector s;
  s.kind_ = Kind::kHas;
  s.field_ = std::move(field);
  s.value_ = std::move(value);
  return s;
}

Selector Selector::NotHas(std::string field, std::string value) {
  Selector s = Has(std::move(field), std::move(value));
  s.kind_ = Kind::kNotHas;
  return s;
}

Selector Selector::And(std::vector<Selector> terms) {
  Selector s;
  s.terms_ = std::move(terms);
  return s;
}

bool Selector::Matches(const Fields& fields) const {
  switch (kind_) {
    case Kind::kHas:
      return fields.Get(field_) == value_;
    case Kind::kNotHas:
      return fields.Get(field_) != value_;
    case Kind::kNothing:
      return false;
    case Kind::kAnd:
      for (const Selector& term : terms_) {
        if (!term.Matches(fields)) return false;
      }
      return true;
  }
  return false;
}

bool Selector::Empty() const {
  if (kind_ != Kind::kAnd) return false;
  for (const Selector& term : terms_) {
    if (!term.Empty()) return false;
  }
  return true;
}

std::optional<std::string> Selector::RequiresExactMatch(absl::string_view field) const {
  switch (kind_) {
    case Kind::kHas:
      if (field_ == field) return value_;
      return std::nullopt;
    case Kind::kAnd:
      for (const Selector& term : terms_) {
        std::optional<std::string> value = term.RequiresExactMatch(field);
        if (value.has_value()) return value;
      }
      return std::nullopt;
    case Kind::kNotHas:
    case Kind::kNothing:
      return std::nullopt;
  }
  return std::nullopt;
}

absl::StatusOr<Selector> Selector::Transform(const TransformFunc& fn) const {
  switch (kind_) {
    case Kind::kNothing:
      return *this;
    case Kind::kHas:
    case Kind::kNotHas: {
      absl::StatusOr<std::pair<std::string, std::string>> next = fn(field_, value_);
      if (!next.ok()) return next.status();
      if (next->first.empty() && next->second.empty()) return Everything();
      Selector s = Has(std::move(next->first), std::move(next->second));
      s.kind_ = kind_;
      return s;
    }
    case Kind::kAnd: {
      std::vector<Selector> next;
      next.reserve(terms_.size());
      for (const Selector& term : terms_) {
        absl::StatusOr<Selector> n = term.Transform(fn);
        if (!n.ok()) return n.status();
        if (!n->Empty()) next.push_back(*std::move(n));
      }
      return And(std::move(next));
    }
  }
  return *this;
}

std::vector<Requirement> Selector::Requirements() const {
  switch (kind_) {
    case Kind::kHas:
      return {Requirement{Operator::kEquals, field_, value_}};
    case Kind::kNotHas:
      return {Requirement{Operator::kNotEquals, field_, value_}};
    case Kind::kNothing:
      return {};
    case Kind::kAnd: {
      std::vector<Requirement> out;
      out.reserve(terms_.size());
      for (const Selector& term : terms_) {
        for (Requirement& r : term.Requirements()) out.push_back(std::move(r));
      }
      return out;
    }
  }
  return {};
}

std::string Selector::String() const {
  switch (kind_) {
    case Kind::kHas:
      return absl::StrCat(field_, "=", EscapeValue(value_));
    case Kind::kNotHas:
      return absl::StrCat(field_, "!=", EscapeValue(value_));
    case Kind::kNothing:
      return "";
    case Kind::kAnd:
      return absl::StrJoin(terms_, ",", [](std::string* out, const Selector& term) {
        out->append(term.String());
      });
  }
  return "";
}

Selector SelectorFromSet(const Set& set) {
  std::vector<Selector> items;
  items.reserve(set.map().size());
  for (const auto& [field, value] : set.map()) items.push_back(Selector::Has(field, value));
  if (items.size() == 1) return std::move(items[0]);
  return Selector::And(std::move(items));
}

std::string EscapeValue(absl::string_view value) {
  std::string out;
  out.reserve(value.size());
  for (char c : value) {
    if (c == '\\' || c == ',' || c == '=') out.push_back('\\');
    out.push_back(c);
  }
  return out;
}

absl::StatusOr<std::string> UnescapeValue(absl::string_view value) {
  if (value.find_first_of("\\,=") == absl::string_view::npos) return std::string(value);
  std::string out;
  out.reserve(value.size());
  bool in_slash = false;
  size_t i = 0;
  while (i < value.size()) {
    const size_t n = ValidRuneLength(value.substr(i));
    // An invalid byte reads as U+FFFD, one byte at a time.
    const absl::string_view rune = n == 0 ? kRuneError : value.substr(i, n);
    i += n == 0 ? 1 : n;
    const char c = rune.size() == 1 ? rune[0] : '\0';
    if (in_slash) {
      if (c == '\\' || c == ',' || c == '=') {
        out.push_back(c);
      } else {
        return absl::InvalidArgumentError(absl::StrCat(
            "invalid field selector: invalid escape sequence: \\", rune));
      }
      in_slash = false;
      continue;
    }
    if (c == '\\') {
      in_slash = true;
    } else if (c == ',' || c == '=') {
      return absl::InvalidArgumentError(absl::StrCat(
          "invalid field selector: unescaped character in value: ", static_cast<int>(c)));
    } else {
      out.append(rune.data(), rune.size());
    }
  }
  if (in_slash) {
    return absl::InvalidArgumentError("invalid field selector: invalid escape sequence: \\");
  }
  return out;
}

namespace internal {

std::vector<std::string> SplitTerms(absl::string_view selector) {
  std::vector<std::string> terms;
  if (selector.empty()) return terms;
  // Byte-wise is the same split as Go's rune-wise one: '\\' and ',' are
  // ASCII and never part of a multi-byte sequence.
  size_t start = 0;
  bool in_slash = false;
  for (size_t i = 0; i < selector.size(); ++i) {
    const char c = selector[i];
    if (in_slash) {
      in_slash = false;
    } else if (c == '\\') {
      in_slash = true;
    } else if (c == ',') {
      terms.emplace_back(selector.substr(start, i - start));
      start = i + 1;
    }
  }
  terms.emplace_back(selector.substr(start));
  return terms;
}

std::optional<Term> SplitTerm(absl::string_view term) {
  // "!=" and "==" before "=", so that "a==b" does not read as "a" = "=b".
  static constexpr absl::string_view kOperators[] = {"!=", "==", "="};
  for (size_t i = 0; i < term.size(); ++i) {
    const absl::string_view rest = term.substr(i);
    for (absl::string_view op : kOperators) {
      if (rest.substr(0, op.size()) == op) {
        return Term{std::string(term.substr(0, i)), std::string(op),
                    std::string(rest.substr(op.size()))};
      }
    }
  }
  return std::nullopt;
}

}  // namespace internal

absl::StatusOr<Selector> ParseSelector(absl::string_view text) {
  std::vector<std::string> parts = internal::SplitTerms(text);
  std::sort(parts.begin(), parts.end());
  std::vector<Selector> items;
  for (const std::string& part : parts) {
    if (part.empty()) continue;
    std::optional<internal::Term> term = internal::SplitTerm(part);
    if (!term.has_value()) {
      return absl::InvalidArgumentError(
          absl::StrCat("invalid selector: '", text, "'; can't understand '", part, "'"));
    }
    absl::StatusOr<std::string> value = UnescapeValue(term->rhs);
    if (!value.ok()) return value.status();
    if (term->op == "!=") {
      items.push_back(Selector::NotHas(std::move(term->lhs), *std::move(value)));
    } else {
      items.push_back(Selector::Has(std::move(term->lhs), *std::move(value)));
    }
  }
  // Go transforms here with an identity function, which changes nothing:
  // parsed terms are never empty.
  if (items.size() == 1) return std::move(items[0]);
  return Selector::And(std::move(items));
}

absl::StatusOr<Selector> ParseAndTransformSelector(absl::string_view text,
                                                   const TransformFunc& fn) {
  absl::StatusOr<Selector> parsed = ParseSelector(text);
  if (!parsed.ok()) return parsed.status();
  return parsed->Transform(fn);
}

absl::StatusOr<std::pair<std::string, std::string>> DefaultMetaV1FieldSelectorConversion(
    const std::string& field, const std::string& value) {
  if (field == "metadata.name" || field == "metadata.namespace") {
    return std::make_pair(field, value);
  }
  return absl::InvalidArgumentError(
      absl::StrCat(labels::GoQuote(field),
                   " is not a known field selector: only \"metadata.name\", "
                   "\"metadata.namespace\""));
}

}  // namespace fields
}  // namespace informersim
