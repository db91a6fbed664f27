#include "core/errors.h"

#include <cassert>
#include <string>

#include "absl/strings/cord.h"
#include "absl/strings/str_cat.h"

namespace informersim {

absl::Status WithTag(absl::Status status, absl::string_view tag) {
  assert(!status.ok());
  status.SetPayload(tag, absl::Cord());
  return status;
}

bool HasTag(const absl::Status& status, absl::string_view tag) {
  return status.GetPayload(tag).has_value();
}

absl::Status Wrap(const absl::Status& cause, absl::string_view prefix) {
  assert(!cause.ok());
  absl::Status wrapped(cause.code(), absl::StrCat(prefix, ": ", cause.message()));
  cause.ForEachPayload([&wrapped](absl::string_view url, const absl::Cord& payload) {
    wrapped.SetPayload(url, payload);
  });
  return wrapped;
}

}  // namespace informersim
