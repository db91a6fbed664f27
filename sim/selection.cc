#include "sim/selection.h"

#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace informersim {
namespace sim {

namespace {

// generic.ObjectMetaFieldsSet as a fields::Fields view of an object's meta.
class ObjectMetaFields final : public fields::Fields {
 public:
  explicit ObjectMetaFields(const api::ObjectMeta& meta) : meta_(meta) {}
  bool Has(absl::string_view field) const override {
    return field == "metadata.name" ||
           (field == "metadata.namespace" && !meta_.namespace_().empty());
  }
  absl::string_view Get(absl::string_view field) const override {
    if (field == "metadata.name") return meta_.name();
    if (field == "metadata.namespace") return meta_.namespace_();
    return {};
  }

 private:
  const api::ObjectMeta& meta_;
};

}  // namespace

absl::StatusOr<ObjectSelection> ObjectSelection::Parse(absl::string_view label_selector,
                                                       absl::string_view field_selector) {
  ObjectSelection out;
  if (!label_selector.empty()) {
    absl::StatusOr<labels::Selector> parsed = labels::Parse(label_selector);
    if (!parsed.ok()) {
      return absl::InvalidArgumentError(absl::StrCat("unable to parse labelSelector \"",
                                                     label_selector, "\": ",
                                                     parsed.status().message()));
    }
    if (!parsed->Empty()) out.label_ = *std::move(parsed);
  }
  if (!field_selector.empty()) {
    absl::StatusOr<fields::Selector> parsed = fields::ParseSelector(field_selector);
    if (!parsed.ok()) {
      return absl::InvalidArgumentError(absl::StrCat("unable to parse fieldSelector \"",
                                                     field_selector, "\": ",
                                                     parsed.status().message()));
    }
    absl::StatusOr<fields::Selector> known =
        parsed->Transform(fields::DefaultMetaV1FieldSelectorConversion);
    if (!known.ok()) return absl::InvalidArgumentError(known.status().message());
    if (!known->Empty()) out.field_ = *std::move(known);
  }
  return out;
}

bool ObjectSelection::Matches(const api::Object& object) const {
  if (label_.has_value() && !label_->Matches(object.metadata().labels())) return false;
  return !field_.has_value() || field_->Matches(ObjectMetaFields(object.metadata()));
}

}  // namespace sim
}  // namespace informersim
