// ReflectorFeeder: the QueueFeeder (core/controller.h) that runs a real
// Reflector (core/reflector.h) into a controller's queue, client-go's
// controller.Run building its Reflector from the Config (C1).
//
// The queue is the Reflector's store, as in client-go; the Reflector finds
// the optional capabilities the queues have (core/reflector_store_ext.h):
// RealFIFO receives watch bookmarks (R8, the CURRENT profile's
// EmitDeltaTypeBookmark), and both queues lend their transformer to the
// watch-list's temporary store (RF15).
//
// Thread safety: as Reflector. The factory's pointers must outlive every
// feeder it makes.
#ifndef INFORMERSIM_CORE_REFLECTOR_FEEDER_H_
#define INFORMERSIM_CORE_REFLECTOR_FEEDER_H_

#include "core/controller.h"
#include "core/lister_watcher.h"
#include "core/random.h"
#include "core/reflector.h"
#include "core/runtime.h"

namespace informersim {

// Makes Reflector-backed feeders over `lister_watcher`. `backoff` is passed
// to every Reflector (RF1).
QueueFeederFactory ReflectorFeederFactory(ListerWatcher* lister_watcher, Runtime* runtime,
                                          RandomSource* random,
                                          std::optional<BackoffOptions> backoff = std::nullopt);

}  // namespace informersim

#endif  // INFORMERSIM_CORE_REFLECTOR_FEEDER_H_
