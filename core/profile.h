// Profile: which shape of client-go's informer pipeline the core builds
// (DESIGN.md "Behaviour profiles"; CLIENT_GO_SEMANTICS.md, "What was read").
//
//   kClassic  client-go <= v0.32, i.e. feature gates InOrderInformers,
//             AtomicFIFO, UnlockWhileProcessingFIFO, InOrderInformersBatchProcess
//             and WatchListClient all OFF:
//               Reflector (LIST then WATCH, use_watch_list = false)
//               -> DeltaFIFO{known objects = the indexer, EmitDeltaTypeReplaced}
//               -> Pop -> processDeltas (C3) -> sharedProcessor.
//   kInterim  client-go v0.33-v0.34 defaults, i.e. InOrderInformers ON (beta,
//             on by default) and the later gates (AtomicFIFO,
//             UnlockWhileProcessingFIFO, InOrderInformersBatchProcess,
//             InformerResourceVersion) absent, WatchListClient OFF:
//               Reflector (LIST then WATCH)
//               -> RealFIFO{known objects = the indexer, one delta per
//                  item: Replaced/Sync per key and inferred deletions}
//               -> Pop -> processDeltas (C3) -> sharedProcessor.
//   kCurrent  client-go HEAD defaults, i.e. InOrderInformers (GA, locked on),
//             AtomicFIFO, UnlockWhileProcessingFIFO, InOrderInformersBatchProcess,
//             WatchListClient and InformerResourceVersion all ON:
//               Reflector (watch-list first, LIST fallback; use_watch_list = true)
//               -> RealFIFO{AtomicEvents, UnlockWhileProcessing,
//                           EmitDeltaTypeBookmark}
//               -> PopBatch -> processDeltasInBatch (C4, through the Cache's
//                  Transaction) / processDeltas -> sharedProcessor.
//
// Thread safety: plain values.
#ifndef INFORMERSIM_CORE_PROFILE_H_
#define INFORMERSIM_CORE_PROFILE_H_

#include <cstdint>

#include <optional>

#include "absl/strings/match.h"
#include "absl/strings/string_view.h"

namespace informersim {

enum class Profile : uint8_t {
  kClassic,
  kCurrent,
  kInterim,
};

inline absl::string_view ProfileName(Profile profile) {
  switch (profile) {
    case Profile::kClassic:
      return "CLASSIC";
    case Profile::kCurrent:
      return "CURRENT";
    case Profile::kInterim:
      return "INTERIM";
  }
  return "UNKNOWN";
}

// The profile a name gives, in any case ("classic", "CURRENT", "Interim");
// nullopt for any other name.
inline std::optional<Profile> ProfileFromName(absl::string_view name) {
  for (Profile p : {Profile::kClassic, Profile::kCurrent, Profile::kInterim}) {
    if (absl::EqualsIgnoreCase(name, ProfileName(p))) return p;
  }
  return std::nullopt;
}

// The knobs a profile sets, spelled out so a test can vary one of them.
struct ProfileOptions {
  Profile profile = Profile::kCurrent;
  // kClassic only: DeltaFIFO's legacy ErrRequeue handling (D9).
  bool legacy_requeue = false;
};

// client-go's gate AtomicFIFO: ReplacedAll/SyncAll, and the store keeps the
// last synced RV (S5, InformerResourceVersion came with it).
inline bool UsesAtomicFIFO(Profile profile) { return profile == Profile::kCurrent; }
// client-go's gate InOrderInformersBatchProcess: pop batches (R10).
inline bool UsesBatchProcessing(Profile profile) { return profile == Profile::kCurrent; }
// C1: client-go up to v0.33 checks no context between pops: after Stop the
// process loop keeps popping until the closed queue is empty; v0.34 (the
// INTERIM profile's later half) and later return at the next pop.
inline bool DrainsClosedQueueAfterStop(Profile profile) { return profile == Profile::kClassic; }
// client-go's gate WatchListClient: the reflector streams first (RF15).
inline bool UsesWatchList(Profile profile) { return profile == Profile::kCurrent; }

}  // namespace informersim

#endif  // INFORMERSIM_CORE_PROFILE_H_
