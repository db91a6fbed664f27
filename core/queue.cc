#include "core/queue.h"

#include "core/errors.h"

namespace informersim {

absl::Status FIFOClosedError() {
  return WithTag(absl::FailedPreconditionError("DeltaFIFO: manipulating with closed queue"),
                 kFIFOClosedTag);
}

absl::Status ZeroLengthDeltasError() {
  return WithTag(absl::InvalidArgumentError("0 length Deltas object; can't get key"),
                 kZeroLengthDeltasTag);
}

}  // namespace informersim
