#include "sim/timeline.h"

#include <algorithm>
#include <cstdio>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"

namespace informersim {
namespace sim {
namespace {

void AppendJsonString(std::string* out, absl::string_view s) {
  out->push_back('"');
  for (char c : s) {
    switch (c) {
      case '"':
        *out += "\\\"";
        break;
      case '\\':
        *out += "\\\\";
        break;
      case '\n':
        *out += "\\n";
        break;
      case '\t':
        *out += "\\t";
        break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          *out += absl::StrFormat("\\u%04x", static_cast<int>(c));
        } else {
          out->push_back(c);
        }
    }
  }
  out->push_back('"');
}

std::string Json(absl::string_view s) {
  std::string out;
  AppendJsonString(&out, s);
  return out;
}

// Track groups, in display order.
enum Group { kPhases, kInstances, kStrands, kWrites, kHandlers, kFaults, kViolations };

std::pair<Group, std::string> TrackOf(const TraceStep& step) {
  switch (step.kind()) {
    case PHASE:
      return {kPhases, step.actor() == "sim" ? "phases" : step.actor()};
    case REQUEST:
    case RESPONSE:
    case WATCH_EVENT:
      return {kInstances, step.actor()};
    case TASK:
      return {kStrands, step.actor()};
    case WRITE:
      // The server's commits are keyed by object; the workload's choices
      // sit on the workload's own track.
      return step.actor() == "workload" ? std::make_pair(kStrands, std::string("workload"))
                                        : std::make_pair(kWrites, std::string("writes"));
    case NOTIFY:
      return {kHandlers, step.actor()};
    case FAULT:
      return {kFaults, "faults injected"};
    case VIOLATION:
      return {kViolations, "violations"};
    default:
      return {kStrands, step.actor()};
  }
}

// The resourceVersion a step is about: the last "rv=N" (an update's new
// one after "->"), or -1.
int64_t RvOf(absl::string_view detail) {
  const size_t at = detail.rfind("rv=");
  if (at == absl::string_view::npos) return -1;
  absl::string_view v = detail.substr(at + 3);
  const size_t arrow = v.find("->");
  if (arrow != absl::string_view::npos) v = v.substr(arrow + 2);
  const size_t end = v.find_first_not_of("0123456789");
  if (end != absl::string_view::npos) v = v.substr(0, end);
  int64_t rv = 0;
  return absl::SimpleAtoi(v, &rv) ? rv : -1;
}

std::string KindName(StepKind kind) {
  const std::string& name = StepKind_Name(kind);
  return name.empty() ? absl::StrCat("kind-", static_cast<int>(kind)) : name;
}

}  // namespace

std::string TimelineJson(const Trace& trace) {
  const auto& steps = trace.steps();
  // Tracks: ids by group, then first appearance.
  std::map<std::pair<Group, std::string>, int> first_seen;
  for (int i = 0; i < steps.size(); ++i) first_seen.emplace(TrackOf(steps[i]), i);
  std::vector<std::pair<int, std::pair<Group, std::string>>> order;
  for (const auto& [track, first] : first_seen) order.push_back({first, track});
  std::sort(order.begin(), order.end(), [](const auto& a, const auto& b) {
    return a.second.first != b.second.first ? a.second.first < b.second.first : a.first < b.first;
  });
  std::map<std::pair<Group, std::string>, int> tid;
  for (size_t i = 0; i < order.size(); ++i) tid[order[i].second] = static_cast<int>(i) + 1;

  std::string out = "{\"displayTimeUnit\":\"ms\",\"traceEvents\":[\n";
  bool first_event = true;
  auto event = [&](const std::string& body) {
    if (!first_event) out += ",\n";
    first_event = false;
    out += body;
  };
  event(absl::StrCat("{\"ph\":\"M\",\"name\":\"process_name\",\"pid\":1,\"args\":{\"name\":",
                     Json(absl::StrCat("informersim seed ", trace.header().seed())), "}}"));
  for (const auto& [track, id] : tid) {
    event(absl::StrCat("{\"ph\":\"M\",\"name\":\"thread_name\",\"pid\":1,\"tid\":", id,
                       ",\"args\":{\"name\":", Json(track.second), "}}"));
    event(absl::StrCat("{\"ph\":\"M\",\"name\":\"thread_sort_index\",\"pid\":1,\"tid\":", id,
                       ",\"args\":{\"sort_index\":", id, "}}"));
  }

  // Each step's place: its microsecond plus a nanosecond per earlier step
  // of that microsecond.
  std::vector<double> ts(static_cast<size_t>(steps.size()));
  int64_t same = 0;
  for (int i = 0; i < steps.size(); ++i) {
    same = i > 0 && steps[i].time_us() == steps[i - 1].time_us() ? same + 1 : 0;
    ts[static_cast<size_t>(i)] =
        static_cast<double>(steps[i].time_us()) + 0.001 * static_cast<double>(std::min<int64_t>(same, 999));
  }
  const double end_ts = steps.empty() ? 0 : ts.back() + 0.001;

  // Where the run's phases end: at the next phase of the run.
  std::vector<double> phase_end(static_cast<size_t>(steps.size()), end_ts);
  double next_phase = end_ts;
  for (int i = steps.size() - 1; i >= 0; --i) {
    if (steps[i].kind() == PHASE && steps[i].actor() == "sim") {
      phase_end[static_cast<size_t>(i)] = next_phase;
      next_phase = ts[static_cast<size_t>(i)];
    }
  }

  std::map<int64_t, int> write_of_rv;        // rv -> step index of its commit
  std::map<int64_t, int> watch_event_of_rv;  // rv -> latest WATCH_EVENT carrying it
  int64_t flow_id = 0;
  for (int i = 0; i < steps.size(); ++i) {
    const TraceStep& s = steps[i];
    const size_t u = static_cast<size_t>(i);
    const int t = tid[TrackOf(s)];
    const bool run_phase = s.kind() == PHASE && s.actor() == "sim";
    const std::string name = run_phase ? s.detail() : KindName(s.kind());
    const double dur = run_phase ? phase_end[u] - ts[u] : 0.001;
    event(absl::StrCat("{\"ph\":\"X\",\"name\":", Json(name), ",\"cat\":",
                       Json(KindName(s.kind())), ",\"pid\":1,\"tid\":", t,
                       ",\"ts\":", absl::StrFormat("%.3f", ts[u]), ",\"dur\":",
                       absl::StrFormat("%.3f", dur), ",\"args\":{\"step\":", s.index(),
                       ",\"actor\":", Json(s.actor()), ",\"detail\":", Json(s.detail()), "}}"));
    if (s.kind() == FAULT || s.kind() == VIOLATION) {
      event(absl::StrCat("{\"ph\":\"i\",\"s\":\"g\",\"name\":",
                         Json(absl::StrCat(KindName(s.kind()), " ", s.actor())),
                         ",\"pid\":1,\"tid\":", t, ",\"ts\":", absl::StrFormat("%.3f", ts[u]),
                         ",\"args\":{\"detail\":", Json(s.detail()), "}}"));
    }
    const int64_t rv = RvOf(s.detail());
    if (rv < 0) continue;
    if (s.kind() == WRITE && s.actor() != "workload") {
      write_of_rv[rv] = i;
    } else if (s.kind() == WATCH_EVENT) {
      watch_event_of_rv[rv] = i;
    } else if (s.kind() == NOTIFY) {
      auto w = write_of_rv.find(rv);
      if (w == write_of_rv.end()) continue;
      const int64_t id = ++flow_id;
      auto flow = [&](const char* ph, int step) {
        const size_t v = static_cast<size_t>(step);
        event(absl::StrCat("{\"ph\":\"", ph, "\",\"name\":\"rv ", rv,
                           "\",\"cat\":\"flow\",\"id\":", id, ",\"pid\":1,\"tid\":",
                           tid[TrackOf(steps[step])], ",\"ts\":",
                           absl::StrFormat("%.3f", ts[v]),
                           std::string(ph) == "f" ? ",\"bp\":\"e\"}" : "}"));
      };
      flow("s", w->second);
      auto e = watch_event_of_rv.find(rv);
      if (e != watch_event_of_rv.end() && e->second > w->second) flow("t", e->second);
      flow("f", i);
    }
  }
  out += "\n]}\n";
  return out;
}

absl::Status WriteTimelineFile(const Trace& trace, const std::string& path) {
  std::FILE* f = std::fopen(path.c_str(), "w");
  if (f == nullptr) return absl::InvalidArgumentError(absl::StrCat("cannot open timeline file ", path));
  const std::string json = TimelineJson(trace);
  const bool written = std::fwrite(json.data(), 1, json.size(), f) == json.size();
  if (std::fclose(f) != 0 || !written) {
    return absl::DataLossError(absl::StrCat("cannot write timeline file ", path));
  }
  return absl::OkStatus();
}

}  // namespace sim
}  // namespace informersim
