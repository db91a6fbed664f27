// A SeedOutcome as bytes and back: how a campaign's worker processes hand
// each seed's outcome to the parent over a pipe (tools/campaign.cc).
//
// The format is private to one binary (parent and workers are the same
// program, forked): fixed-width little-endian integers, length-prefixed
// strings and lists, every field of SeedOutcome in declaration order. A
// field added to SeedOutcome must be added here (the round-trip test
// builds an outcome with every field set).
//
// Thread safety: plain functions.
#ifndef INFORMERSIM_TOOLS_OUTCOME_CODEC_H_
#define INFORMERSIM_TOOLS_OUTCOME_CODEC_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "tools/campaign.h"

namespace informersim {
namespace tools {

std::string EncodeOutcome(const SeedOutcome& outcome);
// DataLoss for bytes that are not exactly one encoded outcome.
absl::StatusOr<SeedOutcome> DecodeOutcome(absl::string_view bytes);

}  // namespace tools
}  // namespace informersim

#endif  // INFORMERSIM_TOOLS_OUTCOME_CODEC_H_
