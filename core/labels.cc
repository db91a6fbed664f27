#include "core/labels.h"

#include <algorithm>
#include <cstdint>
#include <initializer_list>
#include <limits>
#include <set>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"

namespace informersim {
namespace labels {
namespace {

// --- apimachinery content/errors.go message builders -----------------------

std::string EmptyError() { return "must be non-empty"; }

std::string MaxLenError(int length) {
  return absl::StrCat("must be no more than ", length, " bytes");
}

// RegexError with examples. Go appends "', " after every example and " or "
// before all but the first, hence the double space: kept for fidelity.
std::string RegexError(absl::string_view msg, absl::string_view re,
                       std::initializer_list<absl::string_view> examples) {
  std::string out(msg);
  out += " (e.g. ";
  bool first = true;
  for (absl::string_view example : examples) {
    if (!first) out += " or ";
    first = false;
    absl::StrAppend(&out, "'", example, "', ");
  }
  absl::StrAppend(&out, "regex used for validation is '", re, "')");
  return out;
}

constexpr absl::string_view kLabelKeyFmt = "([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]";
constexpr absl::string_view kLabelKeyErrMsg =
    "must consist of alphanumeric characters, '-', '_' or '.', and must start "
    "and end with an alphanumeric character";
constexpr int kLabelKeyMaxLength = 63;
constexpr absl::string_view kLabelValueFmt = "(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?";
constexpr absl::string_view kLabelValueErrMsg =
    "a valid label must be an empty string or consist of alphanumeric "
    "characters, '-', '_' or '.', and must start and end with an alphanumeric "
    "character";
constexpr int kLabelValueMaxLength = 63;
constexpr absl::string_view kDns1123SubdomainFmt =
    "[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*";
constexpr absl::string_view kDns1123SubdomainErrMsg =
    "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric "
    "characters, '-' or '.', and must start and end with an alphanumeric "
    "character";
constexpr int kDns1123SubdomainMaxLength = 253;

// --- the regular expressions, by hand (Go's `$` is end of text, so a
// trailing newline never matches; byte-wise, as Go's regexp on these ASCII
// classes) ------------------------------------------------------------------

bool IsAsciiAlnum(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}
bool IsLowerAlnum(char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); }

// ^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$
bool MatchesLabelKeyName(absl::string_view s) {
  if (s.empty() || !IsAsciiAlnum(s.front()) || !IsAsciiAlnum(s.back())) return false;
  for (char c : s) {
    if (!IsAsciiAlnum(c) && c != '-' && c != '_' && c != '.') return false;
  }
  return true;
}

// ^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$
bool MatchesDns1123Subdomain(absl::string_view s) {
  for (absl::string_view label : absl::StrSplit(s, '.')) {
    if (label.empty() || !IsLowerAlnum(label.front()) || !IsLowerAlnum(label.back())) {
      return false;
    }
    for (char c : label) {
      if (!IsLowerAlnum(c) && c != '-') return false;
    }
  }
  return true;
}

// Go's json.Marshal of a []string (field errors render slice values so).
std::string JsonStringList(const std::vector<std::string>& values) {
  std::string out = "[";
  for (size_t i = 0; i < values.size(); ++i) {
    if (i > 0) out += ",";
    out += "\"";
    for (unsigned char c : values[i]) {
      switch (c) {
        case '"': out += "\\\""; break;
        case '\\': out += "\\\\"; break;
        case '\n': out += "\\n"; break;
        case '\r': out += "\\r"; break;
        case '\t': out += "\\t"; break;
        // encoding/json escapes these for HTML safety by default.
        case '<': out += "\\u003c"; break;
        case '>': out += "\\u003e"; break;
        case '&': out += "\\u0026"; break;
        default:
          if (c < 0x20) {
            absl::StrAppendFormat(&out, "\\u%04x", c);
          } else {
            out += static_cast<char>(c);
          }
      }
    }
    out += "\"";
  }
  out += "]";
  return out;
}

// --- apimachinery field.Error / field.ErrorList ------------------------------

// One field error: "<field>: <Type>: <value>: <detail>" (field.Error.Error),
// the leading "<field>: " left out when there is no field path.
std::string FieldError(absl::string_view field, absl::string_view type,
                       absl::string_view rendered_value, absl::string_view detail) {
  std::string out;
  if (!field.empty()) absl::StrAppend(&out, field, ": ");
  absl::StrAppend(&out, type, ": ", rendered_value);
  if (!detail.empty()) absl::StrAppend(&out, ": ", detail);
  return out;
}

std::string Invalid(absl::string_view field, absl::string_view rendered_value,
                    absl::string_view detail) {
  return FieldError(field, "Invalid value", rendered_value, detail);
}

// utilerrors aggregate.Error(): one error as is; several deduplicated by
// text, joined by ", " inside brackets.
std::string AggregateMessage(const std::vector<std::string>& errors) {
  if (errors.size() == 1) return errors.front();
  std::vector<absl::string_view> seen;
  for (const std::string& e : errors) {
    if (std::find(seen.begin(), seen.end(), e) == seen.end()) seen.push_back(e);
  }
  if (seen.size() == 1) return std::string(seen.front());
  return absl::StrCat("[", absl::StrJoin(seen, ", "), "]");
}

// field.Path: Child joins with '.', Index and Key append "[...]".
std::string Child(absl::string_view path, absl::string_view name) {
  return path.empty() ? std::string(name) : absl::StrCat(path, ".", name);
}

// strconv.ParseInt(s, 10, 64) succeeds: an optional sign, then at least one
// decimal digit and nothing else, within int64.
bool ParseInt64(absl::string_view s, int64_t* out) {
  bool negative = false;
  if (!s.empty() && (s.front() == '+' || s.front() == '-')) {
    negative = s.front() == '-';
    s.remove_prefix(1);
  }
  if (s.empty()) return false;
  // Accumulate as a negative number: its range holds INT64_MIN.
  int64_t value = 0;
  constexpr int64_t kMin = std::numeric_limits<int64_t>::min();
  for (char c : s) {
    if (c < '0' || c > '9') return false;
    const int digit = c - '0';
    if (value < (kMin + digit) / 10) return false;
    value = value * 10 - digit;
  }
  if (!negative) {
    if (value == kMin) return false;
    value = -value;
  }
  *out = value;
  return true;
}

// selector.go binaryOperators + unaryOperators, in Go's order.
constexpr Operator kBinaryOperators[] = {
    Operator::kIn,        Operator::kNotIn,       Operator::kEquals,
    Operator::kDoubleEquals, Operator::kNotEquals, Operator::kGreaterThan,
    Operator::kLessThan,
};

std::string BinaryOperatorList() {
  return absl::StrJoin(std::begin(kBinaryOperators), std::end(kBinaryOperators), ", ",
                       [](std::string* out, Operator op) {
                         absl::StrAppend(out, OperatorName(op));
                       });
}

template <typename Map>
const std::string* Lookup(const Map& labels, const std::string& key) {
  auto it = labels.find(key);
  return it == labels.end() ? nullptr : &it->second;
}

}  // namespace

// --- Go-style quoting for error texts ---------------------------------------

std::string GoQuote(absl::string_view s) {
  std::string out = "\"";
  for (unsigned char c : s) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\a': out += "\\a"; break;
      case '\b': out += "\\b"; break;
      case '\f': out += "\\f"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      case '\v': out += "\\v"; break;
      default:
        if (c < 0x20 || c >= 0x7f) {
          absl::StrAppendFormat(&out, "\\x%02x", c);
        } else {
          out += static_cast<char>(c);
        }
    }
  }
  out += "\"";
  return out;
}

absl::string_view OperatorName(Operator op) {
  switch (op) {
    case Operator::kUnset: return "";
    case Operator::kDoesNotExist: return "!";
    case Operator::kEquals: return "=";
    case Operator::kDoubleEquals: return "==";
    case Operator::kIn: return "in";
    case Operator::kNotEquals: return "!=";
    case Operator::kNotIn: return "notin";
    case Operator::kExists: return "exists";
    case Operator::kGreaterThan: return "gt";
    case Operator::kLessThan: return "lt";
  }
  return "";
}

// content.IsLabelKey.
std::vector<std::string> IsQualifiedName(absl::string_view value) {
  std::vector<std::string> errs;
  std::vector<absl::string_view> parts = absl::StrSplit(value, '/');
  absl::string_view name;
  if (parts.size() == 1) {
    name = parts[0];
  } else if (parts.size() == 2) {
    const absl::string_view prefix = parts[0];
    name = parts[1];
    if (prefix.empty()) {
      errs.push_back(absl::StrCat("prefix part ", EmptyError()));
    } else {
      for (std::string& msg : IsDNS1123Subdomain(prefix)) {
        errs.push_back(absl::StrCat("prefix part ", msg));
      }
    }
  } else {
    errs.push_back(absl::StrCat(
        "a valid label key ",
        RegexError(kLabelKeyErrMsg, kLabelKeyFmt, {"MyName", "my.name", "123-abc"}),
        " with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')"));
    return errs;
  }
  if (name.empty()) {
    errs.push_back(absl::StrCat("name part ", EmptyError()));
  } else if (name.size() > static_cast<size_t>(kLabelKeyMaxLength)) {
    errs.push_back(absl::StrCat("name part ", MaxLenError(kLabelKeyMaxLength)));
  }
  if (!MatchesLabelKeyName(name)) {
    errs.push_back(absl::StrCat(
        "name part ",
        RegexError(kLabelKeyErrMsg, kLabelKeyFmt, {"MyName", "my.name", "123-abc"})));
  }
  return errs;
}

// content.IsLabelValue.
std::vector<std::string> IsValidLabelValue(absl::string_view value) {
  std::vector<std::string> errs;
  if (value.size() > static_cast<size_t>(kLabelValueMaxLength)) {
    errs.push_back(MaxLenError(kLabelValueMaxLength));
  }
  if (!value.empty() && !MatchesLabelKeyName(value)) {
    errs.push_back(
        RegexError(kLabelValueErrMsg, kLabelValueFmt, {"MyValue", "my_value", "12345"}));
  }
  return errs;
}

// content.IsDNS1123Subdomain.
std::vector<std::string> IsDNS1123Subdomain(absl::string_view value) {
  std::vector<std::string> errs;
  if (value.size() > static_cast<size_t>(kDns1123SubdomainMaxLength)) {
    errs.push_back(MaxLenError(kDns1123SubdomainMaxLength));
  }
  if (!MatchesDns1123Subdomain(value)) {
    errs.push_back(RegexError(kDns1123SubdomainErrMsg, kDns1123SubdomainFmt, {"example.com"}));
  }
  return errs;
}

// --- Requirement -------------------------------------------------------------

bool Requirement::HasValue(absl::string_view value) const {
  return std::find(values_.begin(), values_.end(), value) != values_.end();
}

template <typename Map>
bool Requirement::MatchesImpl(const Map& labels) const {
  switch (op_) {
    case Operator::kIn:
    case Operator::kEquals:
    case Operator::kDoubleEquals: {
      const std::string* value = Lookup(labels, key_);
      return value != nullptr && HasValue(*value);
    }
    case Operator::kNotIn:
    case Operator::kNotEquals: {
      const std::string* value = Lookup(labels, key_);
      return value == nullptr || !HasValue(*value);
    }
    case Operator::kExists:
      return Lookup(labels, key_) != nullptr;
    case Operator::kDoesNotExist:
      return Lookup(labels, key_) == nullptr;
    case Operator::kGreaterThan:
    case Operator::kLessThan: {
      const std::string* value = Lookup(labels, key_);
      if (value == nullptr) return false;
      int64_t label_value = 0;
      if (!ParseInt64(*value, &label_value)) return false;
      // Only a checked requirement is sure to hold one integer.
      if (values_.size() != 1) return false;
      int64_t bound = 0;
      if (!ParseInt64(values_.front(), &bound)) return false;
      return op_ == Operator::kGreaterThan ? label_value > bound : label_value < bound;
    }
    case Operator::kUnset:
      return false;
  }
  return false;
}

bool Requirement::Matches(const LabelMap& labels) const { return MatchesImpl(labels); }
bool Requirement::Matches(const Set& labels) const { return MatchesImpl(labels); }

std::vector<std::string> Requirement::Values() const {
  std::vector<std::string> out = values_;
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

std::string Requirement::String() const {
  std::string out;
  if (op_ == Operator::kDoesNotExist) out += "!";
  out += key_;
  switch (op_) {
    case Operator::kEquals: out += "="; break;
    case Operator::kDoubleEquals: out += "=="; break;
    case Operator::kNotEquals: out += "!="; break;
    case Operator::kIn: out += " in "; break;
    case Operator::kNotIn: out += " notin "; break;
    case Operator::kGreaterThan: out += ">"; break;
    case Operator::kLessThan: out += "<"; break;
    case Operator::kExists:
    case Operator::kDoesNotExist:
      return out;
    case Operator::kUnset: break;
  }
  const bool set_based = op_ == Operator::kIn || op_ == Operator::kNotIn;
  if (set_based) out += "(";
  if (values_.size() == 1) {
    out += values_.front();
  } else {
    // Sorted on output only: the requirement keeps the caller's order.
    std::vector<std::string> sorted = values_;
    std::sort(sorted.begin(), sorted.end());
    out += absl::StrJoin(sorted, ",");
  }
  if (set_based) out += ")";
  return out;
}

absl::StatusOr<Requirement> NewRequirement(std::string key, Operator op,
                                           std::vector<std::string> values,
                                           absl::string_view path) {
  std::vector<std::string> errs;
  if (std::vector<std::string> key_errs = IsQualifiedName(key); !key_errs.empty()) {
    errs.push_back(Invalid(Child(path, "key"), GoQuote(key), absl::StrJoin(key_errs, "; ")));
  }
  const std::string values_path = Child(path, "values");
  const auto index_path = [&](size_t i) { return absl::StrCat(values_path, "[", i, "]"); };
  switch (op) {
    case Operator::kIn:
    case Operator::kNotIn:
      if (values.empty()) {
        errs.push_back(Invalid(values_path, JsonStringList(values),
                               "for 'in', 'notin' operators, values set can't be empty"));
      }
      break;
    case Operator::kEquals:
    case Operator::kDoubleEquals:
    case Operator::kNotEquals:
      if (values.size() != 1) {
        errs.push_back(Invalid(values_path, JsonStringList(values),
                               "exact-match compatibility requires one single value"));
      }
      break;
    case Operator::kExists:
    case Operator::kDoesNotExist:
      if (!values.empty()) {
        errs.push_back(Invalid(values_path, JsonStringList(values),
                               "values set must be empty for exists and does not exist"));
      }
      break;
    case Operator::kGreaterThan:
    case Operator::kLessThan:
      if (values.size() != 1) {
        errs.push_back(Invalid(values_path, JsonStringList(values),
                               "for 'Gt', 'Lt' operators, exactly one value is required"));
      }
      for (size_t i = 0; i < values.size(); ++i) {
        int64_t unused = 0;
        if (!ParseInt64(values[i], &unused)) {
          errs.push_back(Invalid(index_path(i), GoQuote(values[i]),
                                 "for 'Gt', 'Lt' operators, the value must be an integer"));
        }
      }
      break;
    case Operator::kUnset:
    default: {
      // field.NotSupported lists validRequirementOperators (binary, then unary).
      std::vector<std::string> supported;
      for (Operator o : kBinaryOperators) supported.push_back(GoQuote(OperatorName(o)));
      supported.push_back(GoQuote(OperatorName(Operator::kExists)));
      supported.push_back(GoQuote(OperatorName(Operator::kDoesNotExist)));
      errs.push_back(FieldError(Child(path, "operator"), "Unsupported value",
                                GoQuote(OperatorName(op)),
                                absl::StrCat("supported values: ", absl::StrJoin(supported, ", "))));
      break;
    }
  }
  for (size_t i = 0; i < values.size(); ++i) {
    if (std::vector<std::string> value_errs = IsValidLabelValue(values[i]);
        !value_errs.empty()) {
      errs.push_back(Invalid(absl::StrCat(index_path(i), "[", key, "]"), GoQuote(values[i]),
                             absl::StrJoin(value_errs, "; ")));
    }
  }
  if (!errs.empty()) return absl::InvalidArgumentError(AggregateMessage(errs));
  return Requirement(std::move(key), op, std::move(values));
}

// --- Selector ----------------------------------------------------------------

Selector Selector::Nothing() {
  Selector s;
  s.nothing_ = true;
  return s;
}

template <typename Map>
bool Selector::MatchesImpl(const Map& labels) const {
  if (nothing_) return false;
  for (const Requirement& r : requirements_) {
    if (!r.Matches(labels)) return false;
  }
  return true;
}

bool Selector::Matches(const LabelMap& labels) const { return MatchesImpl(labels); }
bool Selector::Matches(const Set& labels) const { return MatchesImpl(labels); }

std::string Selector::String() const {
  if (nothing_) return "";
  return absl::StrJoin(requirements_, ",", [](std::string* out, const Requirement& r) {
    out->append(r.String());
  });
}

Selector Selector::Add(std::vector<Requirement> more) const {
  if (nothing_) return *this;
  Selector out;
  out.requirements_.reserve(requirements_.size() + more.size());
  out.requirements_ = requirements_;
  for (Requirement& r : more) out.requirements_.push_back(std::move(r));
  std::stable_sort(out.requirements_.begin(), out.requirements_.end(),
                   [](const Requirement& a, const Requirement& b) { return a.key() < b.key(); });
  return out;
}

std::optional<std::string> Selector::RequiresExactMatch(absl::string_view label) const {
  for (const Requirement& r : requirements_) {
    if (r.key() != label) continue;
    switch (r.op()) {
      case Operator::kEquals:
      case Operator::kDoubleEquals:
      case Operator::kIn:
        if (r.values_unsorted().size() == 1) return r.values_unsorted().front();
        break;
      default:
        break;
    }
    return std::nullopt;
  }
  return std::nullopt;
}

bool MatchesNothing(const Selector& selector) { return !selector.selectable(); }

absl::StatusOr<Selector> Parse(absl::string_view text) {
  internal::Parser parser(text);
  absl::StatusOr<std::vector<Requirement>> requirements = parser.Parse();
  if (!requirements.ok()) {
    return absl::InvalidArgumentError(absl::StrCat(requirements.status().message(),
                                                   " (at byte ", parser.error_offset(),
                                                   " of the selector)"));
  }
  return Selector().Add(*std::move(requirements));
}

namespace {
template <typename Map>
Selector FromValidatedSet(const Map& set) {
  std::vector<Requirement> requirements;
  requirements.reserve(set.size());
  for (const auto& [key, value] : set) {
    requirements.emplace_back(key, Operator::kEquals, std::vector<std::string>{value});
  }
  // Add sorts by key, which also orders a protobuf Map's entries.
  return Selector().Add(std::move(requirements));
}
}  // namespace

Selector SelectorFromSet(const Set& set) { return FromValidatedSet(set); }
Selector SelectorFromSet(const LabelMap& set) { return FromValidatedSet(set); }
Selector SelectorFromValidatedSet(const Set& set) { return FromValidatedSet(set); }
Selector SelectorFromValidatedSet(const LabelMap& set) { return FromValidatedSet(set); }

absl::StatusOr<Selector> ValidatedSelectorFromSet(const Set& set) {
  std::vector<Requirement> requirements;
  requirements.reserve(set.size());
  for (const auto& [key, value] : set) {
    absl::StatusOr<Requirement> r = NewRequirement(key, Operator::kEquals, {value});
    if (!r.ok()) return r.status();
    requirements.push_back(*std::move(r));
  }
  return Selector().Add(std::move(requirements));
}

absl::StatusOr<Selector> ValidatedSelectorFromSet(const LabelMap& set) {
  // Through an ordered copy, so the error reported is the smallest key's.
  return ValidatedSelectorFromSet(Set(set.begin(), set.end()));
}

// --- the lexer and parser ----------------------------------------------------

namespace internal {
namespace {

bool IsWhitespace(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

bool IsSpecialSymbol(char c) {
  switch (c) {
    case '=':
    case '!':
    case '(':
    case ')':
    case ',':
    case '>':
    case '<':
      return true;
    default:
      return false;
  }
}

// selector.go string2token.
std::optional<Token> KeywordToken(absl::string_view s) {
  if (s == ")") return Token::kClosedPar;
  if (s == ",") return Token::kComma;
  if (s == "!") return Token::kDoesNotExist;
  if (s == "==") return Token::kDoubleEquals;
  if (s == "=") return Token::kEquals;
  if (s == ">") return Token::kGreaterThan;
  if (s == "in") return Token::kIn;
  if (s == "<") return Token::kLessThan;
  if (s == "!=") return Token::kNotEquals;
  if (s == "notin") return Token::kNotIn;
  if (s == "(") return Token::kOpenPar;
  return std::nullopt;
}

}  // namespace

char Lexer::Read() {
  if (pos_ < text_.size()) return text_[pos_++];
  return 0;
}

ScannedItem Lexer::ScanIdOrKeyword() {
  const size_t start = pos_;
  std::string buffer;
  for (;;) {
    const char c = Read();
    if (c == 0) break;
    if (IsSpecialSymbol(c) || IsWhitespace(c)) {
      Unread();
      break;
    }
    buffer += c;
  }
  if (std::optional<Token> keyword = KeywordToken(buffer)) {
    return {*keyword, std::move(buffer), start};
  }
  return {Token::kIdentifier, std::move(buffer), start};
}

// The longest operator: extend while the text so far is a token, and give
// back the one byte that spoiled it.
ScannedItem Lexer::ScanSpecialSymbol() {
  const size_t start = pos_;
  ScannedItem last{Token::kError, "", start};
  std::string buffer;
  for (;;) {
    const char c = Read();
    if (c == 0) break;
    if (!IsSpecialSymbol(c)) {
      Unread();
      break;
    }
    buffer += c;
    if (std::optional<Token> token = KeywordToken(buffer)) {
      last = {*token, buffer, start};
    } else if (last.token != Token::kError) {
      Unread();
      break;
    }
  }
  if (last.token == Token::kError) {
    return {Token::kError, absl::StrCat("error expected: keyword found '", buffer, "'"), start};
  }
  return last;
}

ScannedItem Lexer::Lex() {
  char c = Read();
  while (IsWhitespace(c)) c = Read();
  if (c == 0) return {Token::kEndOfString, "", pos_};
  Unread();
  return IsSpecialSymbol(c) ? ScanSpecialSymbol() : ScanIdOrKeyword();
}

void Parser::Scan() {
  for (;;) {
    items_.push_back(lexer_.Lex());
    if (items_.back().token == Token::kEndOfString) break;
  }
}

ScannedItem Parser::Lookahead(ParserContext context) const {
  ScannedItem item = position_ < items_.size()
                         ? items_[position_]
                         : ScannedItem{Token::kEndOfString, "",
                                       items_.empty() ? 0 : items_.back().offset};
  if (context == ParserContext::kValues &&
      (item.token == Token::kIn || item.token == Token::kNotIn)) {
    item.token = Token::kIdentifier;
  }
  return item;
}

ScannedItem Parser::Consume(ParserContext context) {
  ScannedItem item = Lookahead(context);
  ++position_;
  return item;
}

absl::Status Parser::ErrorAt(const ScannedItem& item, std::string message) {
  error_offset_ = item.offset;
  return absl::InvalidArgumentError(std::move(message));
}

absl::StatusOr<std::vector<Requirement>> Parser::Parse() {
  Scan();
  std::vector<Requirement> requirements;
  for (;;) {
    const ScannedItem next = Lookahead(ParserContext::kValues);
    switch (next.token) {
      case Token::kIdentifier:
      case Token::kDoesNotExist: {
        absl::StatusOr<Requirement> r = ParseRequirement();
        if (!r.ok()) {
          return absl::InvalidArgumentError(
              absl::StrCat("unable to parse requirement: ", r.status().message()));
        }
        requirements.push_back(*std::move(r));
        const ScannedItem after = Consume(ParserContext::kValues);
        if (after.token == Token::kEndOfString) return requirements;
        if (after.token != Token::kComma) {
          return ErrorAt(after, absl::StrCat("found '", after.literal,
                                             "', expected: ',' or 'end of string'"));
        }
        const ScannedItem following = Lookahead(ParserContext::kValues);
        if (following.token != Token::kIdentifier && following.token != Token::kDoesNotExist) {
          return ErrorAt(following, absl::StrCat("found '", following.literal,
                                                 "', expected: identifier after ','"));
        }
        break;
      }
      case Token::kEndOfString:
        return requirements;
      default:
        return ErrorAt(next, absl::StrCat("found '", next.literal,
                                          "', expected: !, identifier, or 'end of string'"));
    }
  }
}

absl::StatusOr<Requirement> Parser::ParseRequirement() {
  std::string key;
  Operator op = Operator::kUnset;
  const size_t key_offset = Lookahead(ParserContext::kValues).offset;
  if (absl::Status s = ParseKeyAndInferOperator(&key, &op); !s.ok()) return s;
  std::vector<std::string> values;
  if (op != Operator::kExists && op != Operator::kDoesNotExist) {
    absl::StatusOr<Operator> parsed = ParseOperator();
    if (!parsed.ok()) return parsed.status();
    op = *parsed;
    absl::StatusOr<std::vector<std::string>> parsed_values =
        (op == Operator::kIn || op == Operator::kNotIn) ? ParseValues() : ParseExactValue();
    if (!parsed_values.ok()) return parsed_values.status();
    values = *std::move(parsed_values);
  }
  absl::StatusOr<Requirement> r = NewRequirement(std::move(key), op, std::move(values));
  if (!r.ok()) error_offset_ = key_offset;
  return r;
}

// A key, after an optional '!'; with nothing but ',' or the end after it the
// operator is Exists (or DoesNotExist with the '!'). Otherwise *op is left
// kUnset, or kDoesNotExist, which the caller takes as the whole requirement
// (so "!x=a" fails at the '=', as in Go).
absl::Status Parser::ParseKeyAndInferOperator(std::string* key, Operator* op) {
  ScannedItem item = Consume(ParserContext::kValues);
  if (item.token == Token::kDoesNotExist) {
    *op = Operator::kDoesNotExist;
    item = Consume(ParserContext::kValues);
  }
  if (item.token != Token::kIdentifier) {
    return ErrorAt(item, absl::StrCat("found '", item.literal, "', expected: identifier"));
  }
  if (std::vector<std::string> errs = IsQualifiedName(item.literal); !errs.empty()) {
    return ErrorAt(item, Invalid("", GoQuote(item.literal), absl::StrJoin(errs, "; ")));
  }
  const Token next = Lookahead(ParserContext::kValues).token;
  if ((next == Token::kEndOfString || next == Token::kComma) &&
      *op != Operator::kDoesNotExist) {
    *op = Operator::kExists;
  }
  *key = std::move(item.literal);
  return absl::OkStatus();
}

absl::StatusOr<Operator> Parser::ParseOperator() {
  const ScannedItem item = Consume(ParserContext::kKeyAndOperator);
  switch (item.token) {
    case Token::kIn: return Operator::kIn;
    case Token::kEquals: return Operator::kEquals;
    case Token::kDoubleEquals: return Operator::kDoubleEquals;
    case Token::kGreaterThan: return Operator::kGreaterThan;
    case Token::kLessThan: return Operator::kLessThan;
    case Token::kNotIn: return Operator::kNotIn;
    case Token::kNotEquals: return Operator::kNotEquals;
    default:
      return ErrorAt(item,
                     absl::StrCat("found '", item.literal, "', expected: ", BinaryOperatorList()));
  }
}

absl::StatusOr<std::vector<std::string>> Parser::ParseValues() {
  const ScannedItem open = Consume(ParserContext::kValues);
  if (open.token != Token::kOpenPar) {
    return ErrorAt(open, absl::StrCat("found '", open.literal, "' expected: '('"));
  }
  const ScannedItem first = Lookahead(ParserContext::kValues);
  switch (first.token) {
    case Token::kIdentifier:
    case Token::kComma: {
      absl::StatusOr<std::vector<std::string>> values = ParseIdentifiersList();
      if (!values.ok()) return values.status();
      const ScannedItem close = Consume(ParserContext::kValues);
      if (close.token != Token::kClosedPar) {
        // Go names the token that opened the list here, not this one.
        return ErrorAt(close, absl::StrCat("found '", first.literal, "', expected: ')'"));
      }
      return values;
    }
    case Token::kClosedPar:
      Consume(ParserContext::kValues);
      return std::vector<std::string>{""};  // "()" is the empty value.
    default:
      return ErrorAt(first, absl::StrCat("found '", first.literal,
                                         "', expected: ',', ')' or identifier"));
  }
}

// Comma-separated, possibly empty identifiers; an empty entry ("(,a", "a,,b",
// "a,)") stands for "". A set: sorted, no duplicates.
absl::StatusOr<std::vector<std::string>> Parser::ParseIdentifiersList() {
  std::set<std::string> values;
  for (;;) {
    const ScannedItem item = Consume(ParserContext::kValues);
    switch (item.token) {
      case Token::kIdentifier: {
        values.insert(item.literal);
        const ScannedItem next = Lookahead(ParserContext::kValues);
        if (next.token == Token::kComma) continue;
        if (next.token == Token::kClosedPar) {
          return std::vector<std::string>(values.begin(), values.end());
        }
        return ErrorAt(next, absl::StrCat("found '", next.literal, "', expected: ',' or ')'"));
      }
      case Token::kComma: {
        if (values.empty()) values.insert("");
        const Token next = Lookahead(ParserContext::kValues).token;
        if (next == Token::kClosedPar) {
          values.insert("");
          return std::vector<std::string>(values.begin(), values.end());
        }
        if (next == Token::kComma) values.insert("");
        break;
      }
      default:
        return ErrorAt(item,
                       absl::StrCat("found '", item.literal, "', expected: ',', or identifier"));
    }
  }
}

absl::StatusOr<std::vector<std::string>> Parser::ParseExactValue() {
  const Token next = Lookahead(ParserContext::kValues).token;
  if (next == Token::kEndOfString || next == Token::kComma) {
    return std::vector<std::string>{""};
  }
  const ScannedItem item = Consume(ParserContext::kValues);
  if (item.token == Token::kIdentifier) return std::vector<std::string>{item.literal};
  return ErrorAt(item, absl::StrCat("found '", item.literal, "', expected: identifier"));
}

}  // namespace internal
}  // namespace labels
}  // namespace informersim
