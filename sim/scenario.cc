#include "sim/scenario.h"

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <map>
#include <set>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/time/time.h"
#include "core/labels.h"
#include "google/protobuf/io/tokenizer.h"
#include "google/protobuf/text_format.h"
#include "scenarios/embedded.h"
#include "sim/selection.h"

namespace informersim {
namespace sim {
namespace {

using google::protobuf::Descriptor;
using google::protobuf::FieldDescriptor;
using google::protobuf::Message;
using google::protobuf::TextFormat;
using Tree = google::protobuf::TextFormat::ParseInfoTree;

constexpr absl::Duration kMaxDuration = absl::Hours(24);

// The invariants a scenario may name (fails_with, catches).
const std::set<std::string>& KnownInvariants() {
  static const auto* known = new std::set<std::string>{
      "INV1", "INV2", "INV3", "INV4", "INV5",     "INV6",  "INV7",   "INV8",
      "INV9", "INV11", "INV14", "LIVENESS", "SETUP", "EXPECT"};
  return *known;
}

// The fault kinds as the trace names them (Expect.fault_taken).
const std::set<std::string>& KnownFaults() {
  static const auto* known = new std::set<std::string>{
      "break", "compact", "lag", "refuse", "fail", "pause", "stall", "add", "restart", "churn",
      "watch_break", "watch_error_event", "too_many_requests", "internal_error",
      "connection_refused", "continue_expired", "compaction", "index_crash",
      "watch_internal_error"};
  return *known;
}

const std::set<std::string>& KnownIndexes() {
  static const auto* known = new std::set<std::string>{"namespace", "app", "tags"};
  return *known;
}

bool ParseDur(const std::string& text, absl::Duration* out) {
  return absl::ParseDuration(text, out) && *out >= absl::ZeroDuration() && *out <= kMaxDuration;
}

class Collector final : public google::protobuf::io::ErrorCollector {
 public:
  explicit Collector(std::string where) : where_(std::move(where)) {}
  void AddError(int line, int column, const std::string& message) override {
    errors.push_back(absl::StrCat(where_, ":", line + 1, ":", column + 1, ": ", message));
  }
  void AddWarning(int, int, const std::string&) override {}
  std::vector<std::string> errors;

 private:
  const std::string where_;
};

// Semantic checks, each error at the line and column of the field at fault.
class Validator {
 public:
  Validator(std::string where, const Tree* tree) : where_(std::move(where)), root_(tree) {}

  std::vector<std::string> Check(const scenarios::Scenario& s) {
    const Descriptor* d = scenarios::Scenario::descriptor();
    for (int i = 0; i < s.profiles_size(); ++i) {
      if (s.profiles(i) == scenarios::PROFILE_UNSPECIFIED) {
        Error(root_, d, "profiles", i, "a profile must be CLASSIC, CURRENT or INTERIM");
      }
    }
    absl::Duration duration = absl::Seconds(120);
    if (!s.duration().empty()) {
      if (!Duration(root_, d, "duration", -1, s.duration(), &duration)) duration = absl::Seconds(120);
      if (duration <= absl::ZeroDuration()) {
        Error(root_, d, "duration", -1, "the duration must be positive");
      }
    }
    absl::Duration liveness_timeout = absl::Seconds(120);
    if (s.has_liveness()) {
      const Tree* t = Nested(root_, d, "liveness", -1);
      const Descriptor* ld = scenarios::Liveness::descriptor();
      if (s.liveness().has_timeout()) {
        Duration(t, ld, "timeout", -1, s.liveness().timeout(), &liveness_timeout);
      }
      if (s.liveness().has_max_lists() && s.liveness().max_lists() < 0) {
        Error(t, ld, "max_lists", -1, "max_lists is negative");
      }
      if (s.liveness().has_max_watches() && s.liveness().max_watches() < 0) {
        Error(t, ld, "max_watches", -1, "max_watches is negative");
      }
    }
    if (s.has_informer()) CheckInformer(s.informer(), Nested(root_, d, "informer", -1));
    size_t instances = 1;
    if (s.has_server()) {
      CheckServer(s.server(), Nested(root_, d, "server", -1));
      if (s.server().instance_size() > 0) instances = static_cast<size_t>(s.server().instance_size());
    }
    if (s.has_workload()) CheckWorkload(s.workload(), Nested(root_, d, "workload", -1));
    if (s.has_rates()) CheckRates(s.rates(), Nested(root_, d, "rates", -1));

    // Handlers: names unique and declared before use.
    std::map<std::string, int> handler_line;  // name -> line of its declaration
    for (int i = 0; i < s.handler_size(); ++i) {
      const scenarios::Handler& h = s.handler(i);
      const Tree* t = Nested(root_, d, "handler", i);
      const Descriptor* hd = scenarios::Handler::descriptor();
      if (h.name().empty()) {
        Error(root_, d, "handler", i, "a handler needs a name");
      } else if (!handler_line.emplace(h.name(), Line(root_, d, "handler", i)).second) {
        Error(t, hd, "name", -1, absl::StrCat("handler \"", h.name(), "\" is declared twice"));
      }
      absl::Duration dur;
      if (h.has_resync_period()) Duration(t, hd, "resync_period", -1, h.resync_period(), &dur);
      if (h.has_added_at() && Duration(t, hd, "added_at", -1, h.added_at(), &dur) &&
          dur >= duration) {
        Error(t, hd, "added_at", -1,
              absl::StrCat("added at ", h.added_at(), ", at or past the duration (",
                           absl::FormatDuration(duration), ")"));
      }
      if (h.has_speed() && !(h.speed() > 0 && h.speed() <= 1000)) {
        Error(t, hd, "speed", -1, "speed must be in (0, 1000]");
      }
      if (h.has_crash_fraction() && !(h.crash_fraction() >= 0 && h.crash_fraction() <= 1)) {
        Error(t, hd, "crash_fraction", -1, "crash_fraction must be in [0, 1]");
      }
    }
    const auto declared = [&](const std::string& name, int use_line) {
      auto it = handler_line.find(name);
      return it != handler_line.end() && it->second <= use_line;
    };

    if (s.no_faults() && s.fault_size() > 0) {
      Error(root_, d, "no_faults", -1, "no_faults is set and faults are given");
    }
    for (int i = 0; i < s.fault_size(); ++i) {
      const scenarios::Fault& f = s.fault(i);
      const Tree* t = Nested(root_, d, "fault", i);
      const Descriptor* fd = scenarios::Fault::descriptor();
      CheckAt(d, "fault", i, t, fd, f.at(), duration);
      const bool needs_duration =
          f.kind() == scenarios::LAG || f.kind() == scenarios::REFUSE ||
          f.kind() == scenarios::FAIL || f.kind() == scenarios::PAUSE ||
          f.kind() == scenarios::STALL || f.kind() == scenarios::CHURN;
      switch (f.kind()) {
        case scenarios::FAULT_KIND_UNSPECIFIED:
          Error(root_, d, "fault", i, "a fault needs a `kind`");
          break;
        case scenarios::LAG:
          if (f.instance() < 0 || static_cast<size_t>(f.instance()) >= instances) {
            Error(t, fd, "instance", -1,
                  absl::StrCat("instance ", f.instance(), " does not exist (", instances,
                               " instance(s))"));
          }
          break;
        case scenarios::STALL:
          if (f.handler().empty()) {
            Error(root_, d, "fault", i, "a STALL fault needs a `handler`");
          } else if (!declared(f.handler(), Line(t, fd, "handler", -1))) {
            Error(t, fd, "handler", -1,
                  absl::StrCat("handler \"", f.handler(), "\" is not declared before this fault"));
          }
          break;
        default:
          break;
      }
      if (!f.handler().empty() && f.kind() != scenarios::STALL) {
        Error(t, fd, "handler", -1, "only a STALL fault takes a handler");
      }
      if (needs_duration && f.duration().empty()) {
        Error(root_, d, "fault", i, "this fault kind needs a `duration`");
      } else if (!f.duration().empty()) {
        absl::Duration dd;
        if (!needs_duration) {
          Error(t, fd, "duration", -1, "this fault kind takes no duration");
        } else {
          Duration(t, fd, "duration", -1, f.duration(), &dd);
        }
      }
    }

    for (int i = 0; i < s.write_size(); ++i) {
      const scenarios::Write& w = s.write(i);
      const Tree* t = Nested(root_, d, "write", i);
      const Descriptor* wd = scenarios::Write::descriptor();
      CheckAt(d, "write", i, t, wd, w.at(), duration);
      if (w.op() == scenarios::WRITE_OP_UNSPECIFIED) {
        Error(root_, d, "write", i, "a write needs an `op` (CREATE, UPDATE or DELETE)");
      }
      if (w.name().empty()) Error(root_, d, "write", i, "a write needs a `name`");
      if (w.op() == scenarios::DELETE && (!w.labels().empty() || !w.spec().empty())) {
        Error(root_, d, "write", i, "a DELETE takes no labels or spec");
      }
    }

    if (s.has_checks()) {
      const Tree* t = Nested(root_, d, "checks", -1);
      absl::Duration dd;
      if (s.checks().has_quiescent_check_interval()) {
        Duration(t, scenarios::Checks::descriptor(), "quiescent_check_interval", -1,
                 s.checks().quiescent_check_interval(), &dd);
      }
    }

    if (s.has_expect()) CheckExpect(s, Nested(root_, d, "expect", -1), liveness_timeout, declared);
    for (int i = 0; i < s.catches_size(); ++i) {
      const scenarios::Catches& c = s.catches(i);
      const Tree* t = Nested(root_, d, "catches", i);
      const Descriptor* cd = scenarios::Catches::descriptor();
      if (c.mutant().empty()) Error(root_, d, "catches", i, "`catches` needs a `mutant`");
      if (c.mutant().find('/') != std::string::npos) {
        Error(t, cd, "mutant", -1, "a mutant is a name in tools/mutants/, not a path");
      }
      if (KnownInvariants().count(c.invariant()) == 0) {
        Error(c.invariant().empty() ? root_ : t, c.invariant().empty() ? d : cd,
              c.invariant().empty() ? "catches" : "invariant", c.invariant().empty() ? i : -1,
              absl::StrCat("unknown invariant \"", c.invariant(), "\" (",
                           absl::StrJoin(KnownInvariants(), ", "), ")"));
      }
      for (int j = 0; j < c.profiles_size(); ++j) {
        if (c.profiles(j) == scenarios::PROFILE_UNSPECIFIED) {
          Error(t, cd, "profiles", j, "a profile must be CLASSIC, CURRENT or INTERIM");
        }
      }
    }
    return errors_;
  }

 private:
  // A fault's or a write's `at`: given, a duration, before the end.
  void CheckAt(const Descriptor* d, const char* entry, int i, const Tree* t,
               const Descriptor* ed, const std::string& text, absl::Duration duration) {
    absl::Duration at;
    if (text.empty()) {
      Error(root_, d, entry, i, absl::StrCat("a ", entry, " needs `at`"));
    } else if (Duration(t, ed, "at", -1, text, &at) && at >= duration) {
      Error(t, ed, "at", -1,
            absl::StrCat("the ", entry, " at ", text, " is at or past the duration (",
                         absl::FormatDuration(duration), ")"));
    }
  }

  template <typename Declared>
  void CheckExpect(const scenarios::Scenario& s, const Tree* t, absl::Duration liveness_timeout,
                   const Declared& declared) {
    const scenarios::Expect& e = s.expect();
    const Descriptor* ed = scenarios::Expect::descriptor();
    if (e.verdict() == scenarios::FAILS && e.fails_with().empty()) {
      Error(t, ed, "verdict", -1, "verdict FAILS needs `fails_with` (the invariants it fails)");
    }
    if (e.verdict() == scenarios::PASSES && !e.fails_with().empty()) {
      Error(t, ed, "fails_with", 0, "fails_with needs verdict: FAILS");
    }
    for (int i = 0; i < e.fails_with_size(); ++i) {
      if (KnownInvariants().count(e.fails_with(i)) == 0) {
        Error(t, ed, "fails_with", i,
              absl::StrCat("unknown invariant \"", e.fails_with(i), "\" (",
                           absl::StrJoin(KnownInvariants(), ", "), ")"));
      }
    }
    if (e.has_min_lists() && e.min_lists() < 0) Error(t, ed, "min_lists", -1, "negative");
    if (e.has_max_lists() && e.max_lists() < 0) Error(t, ed, "max_lists", -1, "negative");
    if (e.has_min_lists() && e.has_max_lists() && e.min_lists() > e.max_lists()) {
      Error(t, ed, "max_lists", -1, "max_lists is below min_lists: no run can meet both");
    }
    if (e.has_converges_within()) {
      absl::Duration within;
      if (Duration(t, ed, "converges_within", -1, e.converges_within(), &within) &&
          within > liveness_timeout) {
        Error(t, ed, "converges_within", -1,
              absl::StrCat("longer than the liveness timeout (",
                           absl::FormatDuration(liveness_timeout),
                           "): a run that slow fails LIVENESS first"));
      }
    }
    // Refused tags come from the workload, the swarm or a scripted write.
    bool refusals = s.swarm() ||
                    (s.workload().has_refused_tag_fraction() && s.workload().refused_tag_fraction() > 0);
    for (const scenarios::Write& w : s.write()) {
      auto tags = w.labels().find("tags");
      if (tags == w.labels().end()) continue;
      for (absl::string_view v : absl::StrSplit(tags->second, ',')) refusals |= v == kRefusedTag;
    }
    if (e.has_min_index_crashes() && e.min_index_crashes() > 0 && !refusals) {
      Error(t, ed, "min_index_crashes", -1,
            absl::StrCat("index crashes need refused tags: workload.refused_tag_fraction > 0, "
                         "swarm, or a write whose tags label carries \"", kRefusedTag, "\""));
    }
    for (int i = 0; i < e.fault_taken_size(); ++i) {
      const scenarios::FaultTaken& f = e.fault_taken(i);
      const Tree* ft = Nested(t, ed, "fault_taken", i);
      const Descriptor* fd = scenarios::FaultTaken::descriptor();
      if (KnownFaults().count(f.fault()) == 0) {
        Error(f.fault().empty() ? t : ft, f.fault().empty() ? ed : fd,
              f.fault().empty() ? "fault_taken" : "fault", f.fault().empty() ? i : -1,
              absl::StrCat("unknown fault \"", f.fault(), "\" (", absl::StrJoin(KnownFaults(), ", "),
                           ")"));
      }
      if (f.at_least() < 1) Error(ft, fd, "at_least", -1, "at_least must be 1 or more");
    }
    if (e.has_min_handler_crashes() && e.min_handler_crashes() < 0) {
      Error(t, ed, "min_handler_crashes", -1, "negative");
    }
    for (int i = 0; i < e.tombstone_size(); ++i) {
      const Tree* tt = Nested(t, ed, "tombstone", i);
      const Descriptor* td = scenarios::Tombstone::descriptor();
      const scenarios::Tombstone& tomb = e.tombstone(i);
      if (tomb.key().empty()) Error(t, ed, "tombstone", i, "a tombstone needs a `key`");
      // Without handler entries the two default handlers are there.
      const bool default_handler = s.handler_size() == 0 &&
                                   (tomb.handler() == "handler-0" || tomb.handler() == "handler-1");
      if (!default_handler && !declared(tomb.handler(), Line(tt, td, "handler", -1))) {
        Error(tomb.handler().empty() ? t : tt, tomb.handler().empty() ? ed : td,
              tomb.handler().empty() ? "tombstone" : "handler", tomb.handler().empty() ? i : -1,
              absl::StrCat("handler \"", tomb.handler(), "\" is not declared before this"));
      }
    }
  }

  void CheckInformer(const scenarios::Informer& in, const Tree* t) {
    const Descriptor* d = scenarios::Informer::descriptor();
    absl::Duration dd;
    if (in.has_resync_period()) Duration(t, d, "resync_period", -1, in.resync_period(), &dd);
    if (in.has_page_size() && in.page_size() < 0) Error(t, d, "page_size", -1, "negative");
    if (in.has_max_internal_error_retry_duration()) {
      Duration(t, d, "max_internal_error_retry_duration", -1,
               in.max_internal_error_retry_duration(), &dd);
    }
    if (in.has_batch_size() && (in.batch_size() < 1 || in.batch_size() > 1000000)) {
      Error(t, d, "batch_size", -1, "batch_size must be in [1, 1000000]");
    }
    if (in.has_label_selector()) {
      absl::StatusOr<labels::Selector> selector = labels::Parse(in.label_selector());
      if (!selector.ok()) {
        Error(t, d, "label_selector", -1,
              absl::StrCat("\"", in.label_selector(), "\" is not a label selector: ",
                           selector.status().message()));
      }
    }
    if (in.has_field_selector()) {
      absl::StatusOr<ObjectSelection> selection = ObjectSelection::Parse("", in.field_selector());
      if (!selection.ok()) {
        Error(t, d, "field_selector", -1,
              absl::StrCat("\"", in.field_selector(), "\" is not a field selector: ",
                           selection.status().message()));
      }
    }
    std::set<std::string> seen;
    for (int i = 0; i < in.index_size(); ++i) {
      if (KnownIndexes().count(in.index(i)) == 0) {
        Error(t, d, "index", i,
              absl::StrCat("unknown index \"", in.index(i), "\" (app, namespace, tags)"));
      } else if (!seen.insert(in.index(i)).second) {
        Error(t, d, "index", i, absl::StrCat("index \"", in.index(i), "\" given twice"));
      }
    }
  }

  void CheckServer(const scenarios::Server& sv, const Tree* t) {
    const Descriptor* d = scenarios::Server::descriptor();
    absl::Duration dd;
    for (int i = 0; i < sv.instance_size(); ++i) {
      const Tree* it = Nested(t, d, "instance", i);
      if (Duration(it, scenarios::Instance::descriptor(), "lag", -1, sv.instance(i).lag(), &dd) &&
          dd > absl::Minutes(1)) {
        Error(it, scenarios::Instance::descriptor(), "lag", -1, "a lag above 1m");
      }
    }
    if (sv.instance_size() > 16) Error(t, d, "instance", 16, "at most 16 instances");
    absl::Duration min_latency = absl::ZeroDuration(), max_latency = absl::ZeroDuration();
    if (sv.has_min_latency()) Duration(t, d, "min_latency", -1, sv.min_latency(), &min_latency);
    if (sv.has_max_latency()) Duration(t, d, "max_latency", -1, sv.max_latency(), &max_latency);
    if (sv.has_min_latency() && sv.has_max_latency() && min_latency > max_latency) {
      Error(t, d, "max_latency", -1, "max_latency is below min_latency");
    }
    if (sv.has_bookmark_interval()) {
      Duration(t, d, "bookmark_interval", -1, sv.bookmark_interval(), &dd);
    }
    if (sv.has_compaction_interval()) {
      Duration(t, d, "compaction_interval", -1, sv.compaction_interval(), &dd);
    }
    if (sv.has_fresh_wait()) Duration(t, d, "fresh_wait", -1, sv.fresh_wait(), &dd);
    if (sv.has_history_window_events() && sv.history_window_events() < 0) {
      Error(t, d, "history_window_events", -1, "negative");
    }
  }

  void CheckWorkload(const scenarios::Workload& w, const Tree* t) {
    const Descriptor* d = scenarios::Workload::descriptor();
    const struct {
      const char* name;
      bool has;
      int64_t value;
      int64_t hi;
    } counts[] = {
        {"initial_objects", w.has_initial_objects(), w.initial_objects(), 1000000},
        {"namespaces", w.has_namespaces(), w.namespaces(), 100000},
        {"label_values", w.has_label_values(), w.label_values(), 100000},
        {"tag_values", w.has_tag_values(), w.tag_values(), 100000},
        {"min_spec_bytes", w.has_min_spec_bytes(), w.min_spec_bytes(), 1 << 20},
        {"max_spec_bytes", w.has_max_spec_bytes(), w.max_spec_bytes(), 1 << 20},
    };
    for (const auto& c : counts) {
      if (c.has && (c.value < 0 || c.value > c.hi)) {
        Error(t, d, c.name, -1, absl::StrCat(c.name, " must be in [0, ", c.hi, "]"));
      }
    }
    if (w.has_min_spec_bytes() && w.has_max_spec_bytes() &&
        w.min_spec_bytes() > w.max_spec_bytes()) {
      Error(t, d, "max_spec_bytes", -1, "max_spec_bytes is below min_spec_bytes");
    }
    if (w.has_writes_per_second() &&
        !(w.writes_per_second() >= 0 && w.writes_per_second() <= 100000)) {
      Error(t, d, "writes_per_second", -1, "writes_per_second must be in [0, 100000]");
    }
    const struct {
      const char* name;
      bool has;
      double value;
      double hi;
    } reals[] = {
        {"refused_tag_fraction", w.has_refused_tag_fraction(), w.refused_tag_fraction(), 1},
        {"create_weight", w.has_create_weight(), w.create_weight(), 1e9},
        {"update_weight", w.has_update_weight(), w.update_weight(), 1e9},
        {"delete_weight", w.has_delete_weight(), w.delete_weight(), 1e9},
        {"short_lived_fraction", w.has_short_lived_fraction(), w.short_lived_fraction(), 1},
        {"recreate_fraction", w.has_recreate_fraction(), w.recreate_fraction(), 1},
        {"label_change_fraction", w.has_label_change_fraction(), w.label_change_fraction(), 1},
    };
    for (const auto& r : reals) {
      if (r.has && !(r.value >= 0 && r.value <= r.hi)) {
        Error(t, d, r.name, -1, absl::StrCat(r.name, " must be in [0, ", r.hi, "]"));
      }
    }
    absl::Duration dd;
    if (w.has_recreate_delay_max()) {
      Duration(t, d, "recreate_delay_max", -1, w.recreate_delay_max(), &dd);
    }
  }

  void CheckRates(const scenarios::Rates& r, const Tree* t) {
    const Descriptor* d = scenarios::Rates::descriptor();
    const google::protobuf::Reflection* refl = r.GetReflection();
    for (int i = 0; i < d->field_count(); ++i) {
      const FieldDescriptor* f = d->field(i);
      if (!refl->HasField(r, f)) continue;
      const double v = refl->GetDouble(r, f);
      if (!(v >= 0 && v <= 1)) {
        Error(t, d, f->name().c_str(), -1,
              absl::StrCat("the rate ", f->name(), " must be a probability in [0, 1], not ", v));
      }
    }
  }

  bool Duration(const Tree* t, const Descriptor* d, const char* field, int index,
                const std::string& text, absl::Duration* out) {
    if (ParseDur(text, out)) return true;
    Error(t, d, field, index,
          absl::StrCat("\"", text, "\" is not a duration in [0, 24h] (like 90s, 1m30s, 500ms)"));
    return false;
  }

  static const Tree* Nested(const Tree* t, const Descriptor* d, const char* field, int index) {
    if (t == nullptr) return nullptr;
    const FieldDescriptor* f = d->FindFieldByName(field);
    return f == nullptr ? nullptr : t->GetTreeForNested(f, index);
  }

  static int Line(const Tree* t, const Descriptor* d, const char* field, int index) {
    const FieldDescriptor* f = d->FindFieldByName(field);
    if (t == nullptr || f == nullptr) return -1;
    return t->GetLocation(f, index).line;
  }

  void Error(const Tree* t, const Descriptor* d, const char* field, int index,
             const std::string& what) {
    const FieldDescriptor* f = d->FindFieldByName(field);
    int line = -1, column = -1;
    if (t != nullptr && f != nullptr) {
      const auto loc = t->GetLocation(f, index);
      line = loc.line;
      column = loc.column;
    }
    if (line < 0) {
      errors_.push_back(absl::StrCat(where_, ": ", field, ": ", what));
    } else {
      errors_.push_back(absl::StrCat(where_, ":", line + 1, ":", column + 1, ": ", field, ": ", what));
    }
  }

  const std::string where_;
  const Tree* const root_;
  std::vector<std::string> errors_;
};

scenarios::Profile FromProfile(Profile p) {
  switch (p) {
    case Profile::kClassic:
      return scenarios::CLASSIC;
    case Profile::kInterim:
      return scenarios::INTERIM;
    case Profile::kCurrent:
      return scenarios::CURRENT;
  }
  return scenarios::CURRENT;
}

constexpr struct {
  scenarios::FaultKind proto;
  FaultKind sim;
} kKinds[] = {
    {scenarios::BREAK, FaultKind::kBreakWatches},    {scenarios::COMPACT, FaultKind::kCompact},
    {scenarios::LAG, FaultKind::kLagInstance},       {scenarios::REFUSE, FaultKind::kRefuseConnections},
    {scenarios::FAIL, FaultKind::kFailRequests},     {scenarios::PAUSE, FaultKind::kPauseConsumer},
    {scenarios::STALL, FaultKind::kStallHandler},    {scenarios::ADD, FaultKind::kAddHandler},
    {scenarios::RESTART, FaultKind::kRestartInformer}, {scenarios::CHURN, FaultKind::kChurn},
};

absl::Duration Dur(const std::string& text) {
  absl::Duration d = absl::ZeroDuration();
  ParseDur(text, &d);  // validated already
  return d;
}

std::string DurText(absl::Duration d) { return absl::FormatDuration(d); }

}  // namespace

absl::StatusOr<ScenarioFile> ParseScenario(absl::string_view text, absl::string_view where,
                                           absl::string_view name) {
  ScenarioFile file;
  file.name = std::string(name);
  TextFormat::Parser parser;
  Collector collector{std::string(where)};
  Tree tree;
  parser.RecordErrorsTo(&collector);
  parser.WriteLocationsTo(&tree);
  if (!parser.ParseFromString(std::string(text), &file.proto)) {
    if (collector.errors.empty()) collector.errors.push_back(absl::StrCat(where, ": cannot parse"));
    return absl::InvalidArgumentError(absl::StrJoin(collector.errors, "\n"));
  }
  std::vector<std::string> errors = Validator(std::string(where), &tree).Check(file.proto);
  // In file order: by the line and column after WHERE.
  const auto position = [&where](const std::string& e) {
    std::pair<int, int> p{-1, -1};
    const std::vector<std::string> parts =
        absl::StrSplit(absl::string_view(e).substr(where.size()), absl::MaxSplits(':', 3));
    // A column that does not parse sorts before every column of its line.
    int column = -1;
    if (parts.size() >= 3 && absl::SimpleAtoi(parts[1], &p.first) &&
        absl::SimpleAtoi(parts[2], &column)) {
      p.second = column;
    }
    return p;
  };
  std::stable_sort(errors.begin(), errors.end(),
                   [&](const std::string& a, const std::string& b) {
                     return position(a) < position(b);
                   });
  if (!errors.empty()) {
    if (errors.size() > 10) {
      const size_t more = errors.size() - 10;
      errors.resize(10);
      errors.push_back(absl::StrCat("... and ", more, " more"));
    }
    return absl::InvalidArgumentError(absl::StrJoin(errors, "\n"));
  }
  return file;
}

namespace {

// The embedded texts are constants, parsed once per process: a campaign
// builds every seed's options from one, and parsing it cost more than a
// small world's whole run.
const std::map<std::string, absl::StatusOr<ScenarioFile>, std::less<>>& EmbeddedParsed() {
  static const auto* const embedded = [] {
    auto* parsed = new std::map<std::string, absl::StatusOr<ScenarioFile>, std::less<>>;
    for (const std::string& name : scenarios::EmbeddedScenarioNames()) {
      std::optional<absl::string_view> text = scenarios::EmbeddedScenario(name);
      if (!text.has_value()) continue;
      parsed->emplace(name, ParseScenario(*text, absl::StrCat("scenarios/", name, ".scenario"), name));
    }
    return parsed;
  }();
  return *embedded;
}

}  // namespace

const ScenarioFile* FindEmbeddedScenario(absl::string_view name) {
  const auto& embedded = EmbeddedParsed();
  auto it = embedded.find(name);
  return it != embedded.end() && it->second.ok() ? &*it->second : nullptr;
}

absl::StatusOr<ScenarioFile> LoadScenario(absl::string_view name_or_path) {
  const auto& embedded = EmbeddedParsed();
  if (auto it = embedded.find(name_or_path); it != embedded.end()) return it->second;
  const std::string path(name_or_path);
  std::error_code ec;
  const std::filesystem::file_status st = std::filesystem::status(path, ec);
  if (ec || !std::filesystem::exists(st)) {
    return absl::InvalidArgumentError(
        absl::StrCat(path, ": no such scenario file (embedded scenarios: ",
                     absl::StrJoin(scenarios::EmbeddedScenarioNames(), ", "), ")"));
  }
  if (!std::filesystem::is_regular_file(st)) {
    return absl::InvalidArgumentError(absl::StrCat(path, ": not a regular file"));
  }
  const uintmax_t size = std::filesystem::file_size(path, ec);
  if (ec || size > static_cast<uintmax_t>(kMaxScenarioBytes)) {
    return absl::InvalidArgumentError(
        absl::StrCat(path, ": larger than ", kMaxScenarioBytes, " bytes"));
  }
  std::FILE* f = std::fopen(path.c_str(), "rb");
  if (f == nullptr) return absl::InvalidArgumentError(absl::StrCat(path, ": cannot be read"));
  std::string text(static_cast<size_t>(size), '\0');
  const size_t got = std::fread(text.data(), 1, text.size(), f);
  std::fclose(f);
  if (got != text.size()) return absl::InvalidArgumentError(absl::StrCat(path, ": read failed"));
  std::string name = std::filesystem::path(path).stem().string();
  absl::StatusOr<ScenarioFile> file = ParseScenario(text, path, name);
  if (file.ok()) file->path = path;
  return file;
}

void ApplyScenario(const ScenarioFile& file, SimOptions* o) {
  const scenarios::Scenario& s = file.proto;
  o->scenario = file.name;
  if (!s.duration().empty()) o->duration = Dur(s.duration());
  if (s.has_liveness()) {
    const scenarios::Liveness& l = s.liveness();
    if (l.has_timeout()) o->liveness_timeout = Dur(l.timeout());
    if (l.has_max_lists()) o->liveness_max_lists = l.max_lists();
    if (l.has_max_watches()) o->liveness_max_watches = l.max_watches();
  }
  if (s.has_informer()) {
    const scenarios::Informer& in = s.informer();
    if (in.has_resync_period()) o->resync_period = Dur(in.resync_period());
    if (in.has_page_size()) o->page_size = in.page_size();
    if (in.has_max_internal_error_retry_duration()) {
      o->max_internal_error_retry_duration = Dur(in.max_internal_error_retry_duration());
    }
    if (in.has_batch_size()) o->batch_size = static_cast<size_t>(in.batch_size());
    if (in.has_label_selector()) o->label_selector = in.label_selector();
    if (in.has_field_selector()) o->field_selector = in.field_selector();
    if (in.index_size() > 0) o->indexes.assign(in.index().begin(), in.index().end());
  }
  if (s.has_server()) {
    const scenarios::Server& sv = s.server();
    ApiServerOptions& so = o->server;
    if (sv.instance_size() > 0) {
      so.instance_lags.clear();
      for (const scenarios::Instance& i : sv.instance()) so.instance_lags.push_back(Dur(i.lag()));
    }
    if (sv.has_min_latency()) so.min_latency = Dur(sv.min_latency());
    if (sv.has_max_latency()) so.max_latency = Dur(sv.max_latency());
    if (sv.has_bookmark_interval()) so.bookmark_interval = Dur(sv.bookmark_interval());
    if (sv.has_watch_list()) so.watch_list_supported = sv.watch_list();
    if (sv.has_watch_list_fails()) so.watch_list_fails = sv.watch_list_fails();
    if (sv.has_compaction_interval()) so.compaction_interval = Dur(sv.compaction_interval());
    if (sv.has_history_window_events()) so.history_window_events = sv.history_window_events();
    if (sv.has_fresh_wait()) so.fresh_wait = Dur(sv.fresh_wait());
    if (sv.has_legacy_too_large_encoding()) {
      so.legacy_too_large_encoding = sv.legacy_too_large_encoding();
    }
    if (sv.has_message_only_too_large()) so.message_only_too_large = sv.message_only_too_large();
    if (sv.has_reasonless_errors()) so.reasonless_errors = sv.reasonless_errors();
    if (sv.has_expired_reason()) {
      so.expired_reason = static_cast<ApiServerOptions::ExpiredReason>(sv.expired_reason());
    }
    if (sv.has_expired_watch()) {
      so.expired_watch = static_cast<ApiServerOptions::ExpiredWatch>(sv.expired_watch());
    }
  }
  if (s.has_workload()) {
    const scenarios::Workload& w = s.workload();
    WorkloadOptions& wo = o->workload;
    if (w.has_initial_objects()) wo.initial_objects = w.initial_objects();
    if (w.has_writes_per_second()) wo.writes_per_second = w.writes_per_second();
    if (w.has_namespaces()) wo.namespaces = static_cast<int>(w.namespaces());
    if (w.has_label_values()) wo.label_values = static_cast<int>(w.label_values());
    if (w.has_tag_values()) wo.tag_values = static_cast<int>(w.tag_values());
    if (w.has_refused_tag_fraction()) wo.refused_tag_fraction = w.refused_tag_fraction();
    if (w.has_create_weight()) wo.create_weight = w.create_weight();
    if (w.has_update_weight()) wo.update_weight = w.update_weight();
    if (w.has_delete_weight()) wo.delete_weight = w.delete_weight();
    if (w.has_short_lived_fraction()) wo.short_lived_fraction = w.short_lived_fraction();
    if (w.has_recreate_fraction()) wo.recreate_fraction = w.recreate_fraction();
    if (w.has_recreate_delay_max()) wo.recreate_delay_max = Dur(w.recreate_delay_max());
    if (w.has_label_change_fraction()) wo.label_change_fraction = w.label_change_fraction();
    if (w.has_min_spec_bytes()) wo.min_spec_bytes = w.min_spec_bytes();
    if (w.has_max_spec_bytes()) wo.max_spec_bytes = w.max_spec_bytes();
  }
  std::map<std::string, int64_t> handler_index;
  if (s.handler_size() > 0) {
    o->handlers.clear();
    for (const scenarios::Handler& h : s.handler()) {
      HandlerSpec spec;
      spec.name = h.name();
      if (h.has_resync_period()) spec.resync_period = Dur(h.resync_period());
      if (h.has_speed()) spec.speed = h.speed();
      if (h.has_added_at()) spec.added_at = Dur(h.added_at());
      if (h.has_crash_fraction()) spec.crash_fraction = h.crash_fraction();
      handler_index[h.name()] = static_cast<int64_t>(o->handlers.size());
      o->handlers.push_back(spec);
    }
  }
  if (s.fault_size() > 0 || s.no_faults()) {
    o->faults.clear();
    for (const scenarios::Fault& f : s.fault()) {
      ScriptedFault sf;
      sf.at = Dur(f.at());
      for (const auto& k : kKinds) {
        if (k.proto == f.kind()) sf.kind = k.sim;
      }
      sf.on_list = f.on_list();
      sf.target = f.kind() == scenarios::STALL ? handler_index[f.handler()] : f.instance();
      if (!f.duration().empty()) sf.duration = Dur(f.duration());
      o->faults.push_back(sf);
    }
    std::stable_sort(o->faults.begin(), o->faults.end(),
                     [](const ScriptedFault& a, const ScriptedFault& b) { return a.at < b.at; });
  }
  if (s.write_size() > 0) {
    o->writes.clear();
    for (const scenarios::Write& w : s.write()) {
      ScriptedWrite sw;
      sw.at = Dur(w.at());
      sw.op = w.op() == scenarios::CREATE   ? ScriptedWrite::Op::kCreate
              : w.op() == scenarios::UPDATE ? ScriptedWrite::Op::kUpdate
                                            : ScriptedWrite::Op::kDelete;
      sw.namespace_name = w.namespace_();
      sw.name = w.name();
      // Sorted, so that the object written does not depend on map order.
      std::map<std::string, std::string> labels(w.labels().begin(), w.labels().end());
      sw.labels.assign(labels.begin(), labels.end());
      sw.spec = w.spec();
      o->writes.push_back(std::move(sw));
    }
    std::stable_sort(o->writes.begin(), o->writes.end(),
                     [](const ScriptedWrite& a, const ScriptedWrite& b) { return a.at < b.at; });
  }
  if (s.has_rates()) {
    const scenarios::Rates& r = s.rates();
    ServerFaultRates& fr = o->fault_rates;
    if (r.has_list_too_many_requests()) fr.list_too_many_requests = r.list_too_many_requests();
    if (r.has_list_internal_error()) fr.list_internal_error = r.list_internal_error();
    if (r.has_watch_too_many_requests()) fr.watch_too_many_requests = r.watch_too_many_requests();
    if (r.has_connection_refused()) fr.connection_refused = r.connection_refused();
    if (r.has_continue_expired()) fr.continue_expired = r.continue_expired();
    if (r.has_watch_break()) fr.watch_break = r.watch_break();
    if (r.has_watch_error_event()) fr.watch_error_event = r.watch_error_event();
    if (r.has_watch_internal_error_event()) {
      fr.watch_internal_error_event = r.watch_internal_error_event();
    }
  }
  if (s.has_checks()) {
    const scenarios::Checks& c = s.checks();
    if (c.has_allow_time_travel()) o->allow_time_travel = c.allow_time_travel();
    if (c.has_restart_time_travel_is_violation()) {
      o->restart_time_travel_is_violation = c.restart_time_travel_is_violation();
    }
    if (c.has_quiescent_check_interval()) {
      o->quiescent_check_interval = Dur(c.quiescent_check_interval());
    }
  }
  if (s.has_expect()) {
    const scenarios::Expect& e = s.expect();
    Expectations& x = o->expect;
    x = Expectations();
    x.fails_with.assign(e.fails_with().begin(), e.fails_with().end());
    if (e.has_relist()) x.relist = e.relist();
    if (e.has_min_lists()) x.min_lists = e.min_lists();
    if (e.has_max_lists()) x.max_lists = e.max_lists();
    x.no_time_travel = e.has_no_time_travel() && e.no_time_travel();
    if (e.has_converges_within()) x.converges_within = Dur(e.converges_within());
    for (const scenarios::Tombstone& t : e.tombstone()) x.tombstones.emplace_back(t.handler(), t.key());
    if (e.has_min_index_crashes()) x.min_index_crashes = e.min_index_crashes();
    if (e.has_min_restarts()) x.min_restarts = e.min_restarts();
    if (e.has_min_handler_crashes()) x.min_handler_crashes = e.min_handler_crashes();
    for (const scenarios::FaultTaken& f : e.fault_taken()) {
      x.faults_taken.emplace_back(f.fault(), f.at_least());
    }
  }
}

uint64_t ScenarioSeed(const ScenarioFile& file) {
  return file.proto.seeds().empty() ? 1 : file.proto.seeds(0);
}

Profile ProfileOf(scenarios::Profile profile) {
  switch (profile) {
    case scenarios::CLASSIC:
      return Profile::kClassic;
    case scenarios::INTERIM:
      return Profile::kInterim;
    default:
      return Profile::kCurrent;
  }
}

std::vector<Profile> ScenarioProfiles(const ScenarioFile& file) {
  std::vector<Profile> profiles;
  for (int p : file.proto.profiles()) profiles.push_back(ProfileOf(static_cast<scenarios::Profile>(p)));
  if (profiles.empty()) profiles.push_back(Profile::kCurrent);
  return profiles;
}

Profile ScenarioProfile(const ScenarioFile& file) { return ScenarioProfiles(file).front(); }

std::vector<std::pair<uint64_t, Profile>> ScenarioRuns(const ScenarioFile& file) {
  std::vector<uint64_t> seeds(file.proto.seeds().begin(), file.proto.seeds().end());
  if (seeds.empty()) seeds.push_back(1);
  std::vector<std::pair<uint64_t, Profile>> runs;
  for (uint64_t seed : seeds) {
    for (Profile p : ScenarioProfiles(file)) runs.emplace_back(seed, p);
  }
  return runs;
}

SimOptions ScenarioBase(const ScenarioFile& file, uint64_t seed) {
  SimOptions o;
  o.seed = seed;
  o.profile = ScenarioProfile(file);
  ApplyScenario(file, &o);
  return o;
}

std::string ScenarioText(const SimOptions& o, const std::vector<std::string>& comment) {
  scenarios::Scenario s;
  s.set_description(absl::StrCat("seed ", o.seed, " of scenario ", o.scenario,
                                 o.swarm ? " (swarm)" : "", ", every option stated"));
  s.add_seeds(o.seed);
  s.add_profiles(FromProfile(o.profile));
  s.set_duration(DurText(o.duration));
  scenarios::Liveness& l = *s.mutable_liveness();
  l.set_timeout(DurText(o.liveness_timeout));
  l.set_max_lists(o.liveness_max_lists);
  l.set_max_watches(o.liveness_max_watches);
  scenarios::Informer& in = *s.mutable_informer();
  in.set_resync_period(DurText(o.resync_period));
  in.set_page_size(o.page_size);
  if (o.max_internal_error_retry_duration > absl::ZeroDuration()) {
    in.set_max_internal_error_retry_duration(DurText(o.max_internal_error_retry_duration));
  }
  in.set_batch_size(static_cast<int64_t>(o.batch_size));
  if (!o.label_selector.empty()) in.set_label_selector(o.label_selector);
  if (!o.field_selector.empty()) in.set_field_selector(o.field_selector);
  for (const std::string& i : o.indexes) in.add_index(i);
  scenarios::Server& sv = *s.mutable_server();
  for (absl::Duration lag : o.server.instance_lags) sv.add_instance()->set_lag(DurText(lag));
  sv.set_min_latency(DurText(o.server.min_latency));
  sv.set_max_latency(DurText(o.server.max_latency));
  sv.set_bookmark_interval(DurText(o.server.bookmark_interval));
  sv.set_watch_list(o.server.watch_list_supported);
  sv.set_watch_list_fails(o.server.watch_list_fails);
  sv.set_compaction_interval(DurText(o.server.compaction_interval));
  sv.set_history_window_events(o.server.history_window_events);
  sv.set_fresh_wait(DurText(o.server.fresh_wait));
  sv.set_legacy_too_large_encoding(o.server.legacy_too_large_encoding);
  sv.set_message_only_too_large(o.server.message_only_too_large);
  sv.set_reasonless_errors(o.server.reasonless_errors);
  sv.set_expired_reason(static_cast<scenarios::ExpiredReason>(o.server.expired_reason));
  sv.set_expired_watch(static_cast<scenarios::ExpiredWatch>(o.server.expired_watch));
  scenarios::Workload& w = *s.mutable_workload();
  const WorkloadOptions& wo = o.workload;
  w.set_initial_objects(wo.initial_objects);
  w.set_writes_per_second(wo.writes_per_second);
  w.set_namespaces(wo.namespaces);
  w.set_label_values(wo.label_values);
  w.set_tag_values(wo.tag_values);
  w.set_refused_tag_fraction(wo.refused_tag_fraction);
  w.set_create_weight(wo.create_weight);
  w.set_update_weight(wo.update_weight);
  w.set_delete_weight(wo.delete_weight);
  w.set_short_lived_fraction(wo.short_lived_fraction);
  w.set_recreate_fraction(wo.recreate_fraction);
  w.set_recreate_delay_max(DurText(wo.recreate_delay_max));
  w.set_label_change_fraction(wo.label_change_fraction);
  w.set_min_spec_bytes(wo.min_spec_bytes);
  w.set_max_spec_bytes(wo.max_spec_bytes);
  std::vector<std::string> names;
  for (size_t i = 0; i < o.handlers.size(); ++i) {
    const HandlerSpec& h = o.handlers[i];
    scenarios::Handler& out = *s.add_handler();
    names.push_back(h.name.empty() ? absl::StrCat("handler-", i) : h.name);
    out.set_name(names.back());
    if (h.resync_period.has_value()) out.set_resync_period(DurText(*h.resync_period));
    out.set_speed(h.speed);
    if (h.added_at > absl::ZeroDuration()) out.set_added_at(DurText(h.added_at));
    if (h.crash_fraction > 0) out.set_crash_fraction(h.crash_fraction);
  }
  if (o.faults.empty()) s.set_no_faults(true);
  for (const ScriptedFault& f : o.faults) {
    scenarios::Fault& out = *s.add_fault();
    out.set_at(DurText(f.at));
    for (const auto& k : kKinds) {
      if (k.sim == f.kind) out.set_kind(k.proto);
    }
    out.set_on_list(f.on_list);
    if (f.kind == FaultKind::kLagInstance) out.set_instance(f.target);
    if (f.kind == FaultKind::kStallHandler && static_cast<size_t>(f.target) < names.size()) {
      out.set_handler(names[static_cast<size_t>(f.target)]);
    }
    if (f.kind == FaultKind::kLagInstance || f.kind == FaultKind::kRefuseConnections ||
        f.kind == FaultKind::kFailRequests || f.kind == FaultKind::kPauseConsumer ||
        f.kind == FaultKind::kStallHandler || f.kind == FaultKind::kChurn) {
      out.set_duration(DurText(f.duration));
    }
  }
  for (const ScriptedWrite& sw : o.writes) {
    scenarios::Write& out = *s.add_write();
    out.set_at(DurText(sw.at));
    out.set_op(sw.op == ScriptedWrite::Op::kCreate   ? scenarios::CREATE
               : sw.op == ScriptedWrite::Op::kUpdate ? scenarios::UPDATE
                                                     : scenarios::DELETE);
    out.set_namespace_(sw.namespace_name);
    out.set_name(sw.name);
    for (const auto& [k, v] : sw.labels) (*out.mutable_labels())[k] = v;
    out.set_spec(sw.spec);
  }
  scenarios::Rates& r = *s.mutable_rates();
  r.set_list_too_many_requests(o.fault_rates.list_too_many_requests);
  r.set_list_internal_error(o.fault_rates.list_internal_error);
  r.set_watch_too_many_requests(o.fault_rates.watch_too_many_requests);
  r.set_connection_refused(o.fault_rates.connection_refused);
  r.set_continue_expired(o.fault_rates.continue_expired);
  r.set_watch_break(o.fault_rates.watch_break);
  r.set_watch_error_event(o.fault_rates.watch_error_event);
  if (o.fault_rates.watch_internal_error_event > 0) {
    r.set_watch_internal_error_event(o.fault_rates.watch_internal_error_event);
  }
  scenarios::Checks& c = *s.mutable_checks();
  c.set_allow_time_travel(o.allow_time_travel);
  c.set_restart_time_travel_is_violation(o.restart_time_travel_is_violation);
  c.set_quiescent_check_interval(DurText(o.quiescent_check_interval));
  std::string text;
  for (const std::string& line : comment) absl::StrAppend(&text, "# ", line, "\n");
  std::string body;
  TextFormat::Printer printer;
  printer.PrintToString(s, &body);
  return absl::StrCat(text, body);
}

}  // namespace sim
}  // namespace informersim
