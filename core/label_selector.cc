// metav1.LabelSelector helpers (apimachinery pkg/apis/meta/v1/helpers.go at
// eed236ce).
#include "core/label_selector.h"

#include <utility>

#include "absl/strings/str_cat.h"

namespace informersim {
namespace metav1 {

absl::StatusOr<labels::Selector> LabelSelectorAsSelector(const LabelSelector* selector) {
  if (selector == nullptr) return labels::Selector::Nothing();
  if (selector->match_labels.empty() && selector->match_expressions.empty()) {
    return labels::Selector::Everything();
  }
  std::vector<labels::Requirement> requirements;
  requirements.reserve(selector->match_labels.size() + selector->match_expressions.size());
  for (const auto& [key, value] : selector->match_labels) {
    absl::StatusOr<labels::Requirement> r =
        labels::NewRequirement(key, labels::Operator::kEquals, {value});
    if (!r.ok()) return r.status();
    requirements.push_back(*std::move(r));
  }
  for (const LabelSelectorRequirement& expr : selector->match_expressions) {
    labels::Operator op;
    if (expr.op == kLabelSelectorOpIn) {
      op = labels::Operator::kIn;
    } else if (expr.op == kLabelSelectorOpNotIn) {
      op = labels::Operator::kNotIn;
    } else if (expr.op == kLabelSelectorOpExists) {
      op = labels::Operator::kExists;
    } else if (expr.op == kLabelSelectorOpDoesNotExist) {
      op = labels::Operator::kDoesNotExist;
    } else {
      return absl::InvalidArgumentError(
          absl::StrCat(labels::GoQuote(expr.op), " is not a valid label selector operator"));
    }
    absl::StatusOr<labels::Requirement> r = labels::NewRequirement(expr.key, op, expr.values);
    if (!r.ok()) return r.status();
    requirements.push_back(*std::move(r));
  }
  return labels::Selector().Add(std::move(requirements));
}

absl::Status LabelSelectorAsMap(const LabelSelector* selector, labels::Set* out) {
  out->clear();
  if (selector == nullptr) return absl::OkStatus();
  for (const auto& [key, value] : selector->match_labels) (*out)[key] = value;
  for (const LabelSelectorRequirement& expr : selector->match_expressions) {
    if (expr.op == kLabelSelectorOpIn) {
      if (expr.values.size() != 1) {
        return absl::InvalidArgumentError(
            absl::StrCat("operator ", labels::GoQuote(expr.op),
                         " without a single value cannot be converted into the old label "
                         "selector format"));
      }
      (*out)[expr.key] = expr.values[0];
    } else if (expr.op == kLabelSelectorOpNotIn || expr.op == kLabelSelectorOpExists ||
               expr.op == kLabelSelectorOpDoesNotExist) {
      return absl::InvalidArgumentError(
          absl::StrCat("operator ", labels::GoQuote(expr.op),
                       " cannot be converted into the old label selector format"));
    } else {
      return absl::InvalidArgumentError(
          absl::StrCat(labels::GoQuote(expr.op), " is not a valid selector operator"));
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<LabelSelector> ParseToLabelSelector(absl::string_view selector) {
  absl::StatusOr<labels::Selector> parsed = labels::Parse(selector);
  if (!parsed.ok()) {
    return absl::InvalidArgumentError(absl::StrCat("couldn't parse the selector string \"",
                                                   selector, "\": ", parsed.status().message()));
  }
  LabelSelector out;
  for (const labels::Requirement& req : parsed->requirements()) {
    absl::string_view op;
    switch (req.op()) {
      case labels::Operator::kEquals:
      case labels::Operator::kDoubleEquals: {
        // NewRequirement allows exactly one value for these.
        const std::vector<std::string> values = req.Values();
        if (values.size() != 1) {
          return absl::InvalidArgumentError("equals operator must have exactly one value");
        }
        out.match_labels[req.key()] = values[0];
        continue;
      }
      case labels::Operator::kIn:
        op = kLabelSelectorOpIn;
        break;
      case labels::Operator::kNotIn:
        op = kLabelSelectorOpNotIn;
        break;
      case labels::Operator::kExists:
        op = kLabelSelectorOpExists;
        break;
      case labels::Operator::kDoesNotExist:
        op = kLabelSelectorOpDoesNotExist;
        break;
      case labels::Operator::kGreaterThan:
      case labels::Operator::kLessThan:
        return absl::InvalidArgumentError(absl::StrCat(
            labels::GoQuote(labels::OperatorName(req.op())), " isn't supported in label selectors"));
      default:
        return absl::InvalidArgumentError(
            absl::StrCat(labels::GoQuote(labels::OperatorName(req.op())),
                         " is not a valid label selector operator"));
    }
    out.match_expressions.push_back(
        LabelSelectorRequirement{req.key(), std::string(op), req.Values()});
  }
  return out;
}

LabelSelector SetAsLabelSelector(const labels::Set& set) {
  LabelSelector out;
  out.match_labels = set;
  return out;
}

std::string FormatLabelSelector(const LabelSelector* selector) {
  absl::StatusOr<labels::Selector> s = LabelSelectorAsSelector(selector);
  if (!s.ok()) return "<error>";
  std::string text = s->String();
  return text.empty() ? "<none>" : text;
}

}  // namespace metav1
}  // namespace informersim
