// ObjectSelection: what a request's label and field selectors select
// together, as the API server's storage.SelectionPredicate matches an object
// (apiserver 24a394e5): the label selector on the object's labels, the field
// selector on generic.ObjectMetaFieldsSet, i.e. "metadata.name" and, for an
// object in a namespace, "metadata.namespace" (an object with no namespace is
// of a cluster-scoped kind, whose field set has no namespace; Get of it reads
// "", so both shapes select the same objects).
//
// The field selector is checked as the server's list and watch handlers do
// (get.go: Transform with the scheme's ConvertFieldLabel, which for a kind
// without its own conversion is DefaultMetaV1FieldSelectorConversion): a
// field other than those two is a bad request. Field values of these two
// fields never change, so with a field selector alone no object moves in or
// out of a selection; label changes still do.
//
// Thread safety: an immutable value.
#ifndef INFORMERSIM_SIM_SELECTION_H_
#define INFORMERSIM_SIM_SELECTION_H_

#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "core/api/object.h"
#include "core/fields.h"
#include "core/labels.h"

namespace informersim {
namespace sim {

class ObjectSelection {
 public:
  // Parses both texts ("" for none). Errors (InvalidArgument, the text of
  // the server's 400): "unable to parse labelSelector \"S\": ...", "unable
  // to parse fieldSelector \"S\": ...", or the field label conversion's
  // "\"f\" is not a known field selector: ...".
  static absl::StatusOr<ObjectSelection> Parse(absl::string_view label_selector,
                                               absl::string_view field_selector);

  // True when neither selector restricts anything.
  bool Empty() const { return !label_.has_value() && !field_.has_value(); }
  bool Matches(const api::Object& object) const;

 private:
  std::optional<labels::Selector> label_;
  std::optional<fields::Selector> field_;
};

}  // namespace sim
}  // namespace informersim

#endif  // INFORMERSIM_SIM_SELECTION_H_
