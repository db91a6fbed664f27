// metav1.LabelSelector and its helpers: a C++ port of the label selector
// functions of apimachinery's pkg/apis/meta/v1/helpers.go at commit eed236ce
// (LabelSelectorAsSelector, LabelSelectorAsMap, ParseToLabelSelector,
// SetAsLabelSelector, FormatLabelSelector). These are what controllers use
// to turn an object's selector field (a Deployment's spec.selector, say)
// into a labels::Selector for a lister or a ListOptions.
//
// Thread safety: plain values and pure functions.
// Invariants: none beyond the fields' meaning; an operator other than the
// four below is representable (as in Go, where it is a string) and refused
// by the conversions.
//
// Differs from apimachinery on purpose (see docs/CLIENT_GO.md): match_labels
// is a std::map, so requirements built from it come in key order (Go: map
// order, which only matters before the final sort); a nil *LabelSelector is
// a null pointer, and LabelSelectorAsMap's nil result map is an empty one.
#ifndef INFORMERSIM_CORE_LABEL_SELECTOR_H_
#define INFORMERSIM_CORE_LABEL_SELECTOR_H_

#include <map>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "core/labels.h"

namespace informersim {
namespace metav1 {

// metav1.LabelSelectorOperator values.
inline constexpr absl::string_view kLabelSelectorOpIn = "In";
inline constexpr absl::string_view kLabelSelectorOpNotIn = "NotIn";
inline constexpr absl::string_view kLabelSelectorOpExists = "Exists";
inline constexpr absl::string_view kLabelSelectorOpDoesNotExist = "DoesNotExist";

// metav1.LabelSelectorRequirement.
struct LabelSelectorRequirement {
  std::string key;
  std::string op;  // one of the kLabelSelectorOp* values
  std::vector<std::string> values;
  friend bool operator==(const LabelSelectorRequirement& a, const LabelSelectorRequirement& b) {
    return a.key == b.key && a.op == b.op && a.values == b.values;
  }
};

// metav1.LabelSelector: matchLabels AND matchExpressions.
struct LabelSelector {
  std::map<std::string, std::string> match_labels;
  std::vector<LabelSelectorRequirement> match_expressions;
  friend bool operator==(const LabelSelector& a, const LabelSelector& b) {
    return a.match_labels == b.match_labels && a.match_expressions == b.match_expressions;
  }
};

// LabelSelectorAsSelector: null gives labels::Selector::Nothing(); no
// labels and no expressions give Everything(); otherwise one Equals
// requirement per match label, then one per expression (In, NotIn, Exists,
// DoesNotExist), each through labels::NewRequirement (its errors returned
// as they are), sorted by key. Another operator: "\"Op\" is not a valid
// label selector operator".
absl::StatusOr<labels::Selector> LabelSelectorAsSelector(const LabelSelector* selector);

// LabelSelectorAsMap: the old map form. Expressions must be In with exactly
// one value; otherwise an error ("operator \"In\" without a single value
// cannot be converted into the old label selector format", "operator \"Op\"
// cannot be converted into the old label selector format", "\"Op\" is not a
// valid selector operator"), and `out` keeps what was converted before it,
// as Go returns the partial map beside the error. Null gives an empty map.
absl::Status LabelSelectorAsMap(const LabelSelector* selector, labels::Set* out);

// ParseToLabelSelector: labels::Parse, then equality requirements become
// match labels and In/NotIn/Exists/DoesNotExist expressions (values
// sorted); Gt/Lt: "\"gt\" isn't supported in label selectors". A parse
// error reads "couldn't parse the selector string \"S\": <parse error>".
absl::StatusOr<LabelSelector> ParseToLabelSelector(absl::string_view selector);

// SetAsLabelSelector: the set as match labels.
LabelSelector SetAsLabelSelector(const labels::Set& set);

// FormatLabelSelector: LabelSelectorAsSelector's String(); "<none>" when that
// is empty (null, or no requirement), "<error>" when it fails.
std::string FormatLabelSelector(const LabelSelector* selector);

}  // namespace metav1
}  // namespace informersim

#endif  // INFORMERSIM_CORE_LABEL_SELECTOR_H_
