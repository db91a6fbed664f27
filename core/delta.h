// Delta and Deltas: the change records that DeltaFIFO and RealFIFO queue and
// that the controller applies to the indexer (client-go delta_fifo.go).
//
// Thread safety: plain values. Invariant: a Deltas value popped from a queue
// is never empty and is ordered oldest first.
#ifndef INFORMERSIM_CORE_DELTA_H_
#define INFORMERSIM_CORE_DELTA_H_

#include <cstdint>

#include "absl/container/inlined_vector.h"
#include "absl/strings/string_view.h"
#include "core/item.h"
#include "core/small_block_pool.h"

namespace informersim {

// client-go DeltaType. ReplacedAll, SyncAll and Bookmark are emitted only by
// RealFIFO in atomic mode (R5, R7, R8).
enum class DeltaType : uint8_t {
  kAdded,
  kUpdated,
  kDeleted,
  kReplaced,
  kSync,
  kReplacedAll,
  kSyncAll,
  kBookmark,
};

// client-go's string for the type: "Added", "Updated", ...
absl::string_view DeltaTypeName(DeltaType type);

struct Delta {
  DeltaType type;
  Item object;
};

// Oldest first. One inline slot: most keys hold one delta when popped, and
// then a pop moves the entry out without touching the heap. A key with more
// grows into blocks that freed Deltas left in the pool (core/small_block_pool.h).
using Deltas = absl::InlinedVector<Delta, 1, PooledAllocator<Delta>>;

// RealFIFO's batch processing stops at these types and takes them alone (R10).
inline bool IsBatchable(DeltaType type) {
  return type != DeltaType::kReplacedAll && type != DeltaType::kSyncAll &&
         type != DeltaType::kBookmark;
}

}  // namespace informersim

#endif  // INFORMERSIM_CORE_DELTA_H_
