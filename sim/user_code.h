// User code in a simulation: event handlers of the user's own, registered
// with the simulated informer beside the checker's recording handlers, and
// user invariants, checked with the built-in ones and reported in the same
// report (sim/harness.h is the entry point that sets them).
//
// A user handler is made afresh for every informer process: once when it is
// registered (before Run, or at `added_at`) and again after every informer
// restart, as a restarted controller starts with nothing. Notifications the
// informer of a retired process still had buffered are dropped, as they
// would die with the process.
//
// A user invariant returns OK or a Status whose message says what is wrong;
// a failure becomes a violation named "USER:<name>" with the virtual time
// and trace step at which it was seen. `kQuiescent` invariants run at every
// quiescent point (the informer caught up and idle: where caches must agree
// with the server) and at the end; `kAfterNotification` ones after every
// notification a user handler has handled.
//
// Thread safety: none; everything runs on the simulation's thread.
#ifndef INFORMERSIM_SIM_USER_CODE_H_
#define INFORMERSIM_SIM_USER_CODE_H_

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "core/item.h"
#include "core/resource_event_handler.h"
#include "core/store.h"

namespace informersim {
namespace sim {

struct UserHandler {
  // In reports and traces, and the name InvariantContext::handler finds.
  std::string name;
  // Makes the handler for one informer process. Required.
  std::function<std::shared_ptr<ResourceEventHandler>()> make;
  // nullopt: the informer's default resync period.
  std::optional<absl::Duration> resync_period;
  // Scheduler weight of the handler's listener (1 = normal, smaller is
  // slower): a slow handler lets notifications pile up behind it.
  double speed = 1.0;
  // Zero: registered before Run; otherwise added at this virtual time.
  absl::Duration added_at = absl::ZeroDuration();
};

// What a user invariant sees. Valid only during the call.
class InvariantContext {
 public:
  struct Sources {
    absl::Duration at;
    const Store* cache = nullptr;
    std::function<std::vector<ObjectPtr>()> truth;
    std::function<ResourceEventHandler*(absl::string_view)> handler;
    bool quiescent = false;
    absl::string_view notified_handler;
    absl::string_view notification;
    const Item* notified = nullptr;
  };
  explicit InvariantContext(Sources sources) : s_(std::move(sources)) {}

  // Virtual time since the informer started: the clock of every time in a
  // report, violation and fault script.
  absl::Duration at() const { return s_.at; }
  // The informer's cache (its indexer) in the current process.
  const Store& cache() const { return *s_.cache; }
  // The server's objects as of its latest write (computed on first use);
  // with selectors (SimOptions::label_selector, field_selector) those they
  // select.
  const std::vector<ObjectPtr>& truth() const {
    if (!truth_.has_value()) truth_ = s_.truth();
    return *truth_;
  }
  // The current process's instance of the named user handler; null if it is
  // not registered (yet) or no user handler has that name.
  ResourceEventHandler* handler(absl::string_view name) const { return s_.handler(name); }
  template <class H>
  H* handler_as(absl::string_view name) const {
    return dynamic_cast<H*>(handler(name));
  }
  // True at quiescent points: every write has reached the cache and every
  // listener is idle.
  bool quiescent() const { return s_.quiescent; }
  // After a notification: the user handler that handled it, "add",
  // "update" or "delete", and the object (an update's new one; a delete's
  // may be a DeletedFinalStateUnknown). Empty / null at quiescent points.
  absl::string_view notified_handler() const { return s_.notified_handler; }
  absl::string_view notification() const { return s_.notification; }
  const Item* notified() const { return s_.notified; }

 private:
  Sources s_;
  mutable std::optional<std::vector<ObjectPtr>> truth_;
};

struct UserInvariant {
  enum class When { kQuiescent, kAfterNotification };
  // The violation is named "USER:<name>".
  std::string name;
  When when = When::kQuiescent;
  std::function<absl::Status(const InvariantContext&)> check;
};

}  // namespace sim
}  // namespace informersim

#endif  // INFORMERSIM_SIM_USER_CODE_H_
