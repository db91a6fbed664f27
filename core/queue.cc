#include "core/queue.h"

#include "core/errors.h"

namespace informersim {

absl::Status FIFOClosedError() {
  return WithTag(absl::FailedPreconditionError("DeltaFIFO: manipulating with closed queue"),
                 kFIFOClosedTag);
}

}  // namespace informersim
