// ReflectorOptions: the knobs of a Reflector (client-go's Reflector fields and
// ReflectorOptions, rules RF1-RF17). Its own header so that the controller
// can carry them (client-go Config) without depending on the Reflector.
//
// Thread safety: a plain value.
#ifndef INFORMERSIM_CORE_REFLECTOR_OPTIONS_H_
#define INFORMERSIM_CORE_REFLECTOR_OPTIONS_H_

#include <cstdint>
#include <functional>
#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "core/backoff.h"

namespace informersim {

struct ReflectorOptions {
  // For messages and traces.
  std::string name = "reflector";
  // RF14: 0 disables resync.
  absl::Duration resync_period = absl::ZeroDuration();
  // RF14: consulted at each resync tick, on the reflector's resync strand
  // (so it must be safe to call from there); null means always.
  std::function<bool()> should_resync;
  // RF5: 0 lets the reflector choose.
  int64_t watch_list_page_size = 0;
  // RF8: watches time out uniformly in [min, 2*min]; values below 5 minutes
  // keep client-go's default window of [5, 10] minutes.
  absl::Duration min_watch_timeout = absl::ZeroDuration();
  // RF13: 0 (the default) never retries a watch after an internal error.
  absl::Duration max_internal_error_retry_duration = absl::ZeroDuration();
  // RF3/RF15: the WatchListClient feature gate (CURRENT profile: on;
  // CLASSIC: off).
  bool use_watch_list = false;
  // RF1: nullopt, client-go's default backoff (steps included: ceil(cap /
  // initial)). A supplied one is client-go's ReflectorOptions.Backoff: it is
  // used as it is, so without `steps` (Go's zero Steps) it never grows.
  std::optional<BackoffOptions> backoff;
  // RF1/RF2: called with every error that ends a ListAndWatch; null means
  // the default handler (which only logs).
  std::function<void(const absl::Status&)> watch_error_handler;
};

}  // namespace informersim

#endif  // INFORMERSIM_CORE_REFLECTOR_OPTIONS_H_
