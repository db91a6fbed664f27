// Small drivers for FakeApiServer tests: a recording watch consumer and
// helpers that run a ManualRuntime until a request has been answered.
#ifndef INFORMERSIM_TESTS_SIM_API_SERVER_TEST_UTIL_H_
#define INFORMERSIM_TESTS_SIM_API_SERVER_TEST_UTIL_H_

#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "core/api/object.h"
#include "core/api_errors.h"
#include "core/lister_watcher.h"
#include "core/manual_runtime.h"
#include "sim/api_server.h"

namespace informersim {
namespace sim {
namespace testing {

inline api::Object Pod(const std::string& ns, const std::string& name,
                       const std::string& spec = "") {
  api::Object o;
  o.set_kind("Pod");
  o.mutable_metadata()->set_namespace_(ns);
  o.mutable_metadata()->set_name(name);
  o.set_spec(spec);
  return o;
}

// Records every call with the virtual time it came at.
class RecordingConsumer final : public WatchConsumer {
 public:
  explicit RecordingConsumer(const Runtime* rt) : rt_(rt) {}
  void OnEvent(WatchEvent event) override {
    events.push_back(event);
    times.push_back(rt_->Now());
    log.push_back(Describe(event));
  }
  void OnClosed() override {
    ++closed;
    log.push_back("CLOSED");
  }

  static std::string Describe(const WatchEvent& e) {
    if (e.type == WatchEventType::kError) {
      return absl::StrCat("ERROR ", ReasonOf(e.error));
    }
    const api::ObjectMeta& m = e.object->metadata();
    std::string out = absl::StrCat(WatchEventTypeName(e.type), " ");
    if (e.type == WatchEventType::kBookmark) {
      absl::StrAppend(&out, "rv=", m.resource_version());
      auto it = m.annotations().find(std::string(kInitialEventsEndAnnotation));
      if (it != m.annotations().end()) absl::StrAppend(&out, " end=", it->second);
      return out;
    }
    absl::StrAppend(&out, m.namespace_(), "/", m.name(), " rv=", m.resource_version());
    return out;
  }

  std::vector<WatchEvent> events;
  std::vector<absl::Time> times;
  std::vector<std::string> log;
  int closed = 0;

 private:
  const Runtime* rt_;
};

// Runs the runtime (moving time to each next timer) until `done()` holds or
// `limit` of virtual time has passed.
template <typename Pred>
bool RunUntilTrue(ManualRuntime& rt, Pred done, absl::Duration limit = absl::Minutes(10)) {
  const absl::Time end = rt.Now() + limit;
  for (;;) {
    rt.RunUntilIdle();
    if (done()) return true;
    if (rt.NextTimerDeadline() > end) return false;
    if (!rt.AdvanceToNextTimer()) return false;
  }
}

inline absl::StatusOr<ListPage> DoList(ManualRuntime& rt, ListerWatcher& lw,
                                       const ListOptions& o) {
  std::optional<absl::StatusOr<ListPage>> result;
  lw.List(o, [&](absl::StatusOr<ListPage> r) { result = std::move(r); });
  RunUntilTrue(rt, [&] { return result.has_value(); });
  if (!result.has_value()) return absl::DeadlineExceededError("list never answered");
  return std::move(*result);
}

struct OpenedWatch {
  std::shared_ptr<RecordingConsumer> consumer;
  absl::Status status;  // of `started`
  std::unique_ptr<WatchStream> stream;
  bool answered = false;
};

// Starts a watch and runs until `started` has been called (not beyond).
inline OpenedWatch DoWatch(ManualRuntime& rt, ListerWatcher& lw, const ListOptions& o) {
  auto w = std::make_shared<OpenedWatch>();
  w->consumer = std::make_shared<RecordingConsumer>(&rt);
  lw.Watch(o, w->consumer, [w](absl::StatusOr<std::unique_ptr<WatchStream>> s) {
    w->answered = true;
    if (s.ok()) {
      w->stream = std::move(s).value();
    } else {
      w->status = s.status();
    }
  });
  RunUntilTrue(rt, [&] { return w->answered; });
  OpenedWatch out;
  out.consumer = w->consumer;
  out.status = w->status;
  out.stream = std::move(w->stream);
  out.answered = w->answered;
  return out;
}

inline ListOptions Opts(std::string rv, ResourceVersionMatch match = ResourceVersionMatch::kUnset,
                        int64_t limit = 0) {
  ListOptions o;
  o.resource_version = std::move(rv);
  o.resource_version_match = match;
  o.limit = limit;
  return o;
}

// Server options with one instance lagging `lag`.
inline ApiServerOptions OneInstance(absl::Duration lag = absl::ZeroDuration()) {
  ApiServerOptions o;
  o.instance_lags = {lag};
  return o;
}

inline std::vector<std::string> Names(const std::vector<ObjectPtr>& objects) {
  std::vector<std::string> out;
  for (const ObjectPtr& o : objects) {
    out.push_back(absl::StrCat(o->metadata().name(), "@", o->metadata().resource_version()));
  }
  return out;
}

}  // namespace testing
}  // namespace sim
}  // namespace informersim

#endif  // INFORMERSIM_TESTS_SIM_API_SERVER_TEST_UTIL_H_
