#include "sim/api_server.h"

#include <algorithm>
#include <optional>
#include <cassert>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <utility>

#include "absl/functional/any_invocable.h"
#include "absl/strings/escaping.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "core/api_errors.h"
#include "core/ring_queue.h"
#include "sim/identity.h"
#include "sim/keyed_objects.h"
#include "sim/selection.h"

namespace informersim {
namespace sim {
namespace {

constexpr absl::string_view kContinuePrefix = "c1";

// Continue tokens: "c1:<rv in hex>:<start key in hex>". Opaque to clients;
// the snapshot's revision and the first key of the next page.
std::string EncodeContinue(int64_t rv, absl::string_view key) {
  return absl::StrCat(kContinuePrefix, ":", absl::Hex(rv), ":", absl::BytesToHexString(key));
}

bool DecodeContinue(absl::string_view token, int64_t* rv, std::string* key) {
  std::vector<absl::string_view> parts = absl::StrSplit(token, ':');
  if (parts.size() != 3 || parts[0] != kContinuePrefix || parts[1].empty() ||
      parts[1].size() > 16 || parts[2].empty() || parts[2].size() % 2 != 0) {
    return false;
  }
  uint64_t value = 0;
  for (char c : parts[1]) {
    int digit;
    if (c >= '0' && c <= '9') {
      digit = c - '0';
    } else if (c >= 'a' && c <= 'f') {
      digit = c - 'a' + 10;
    } else {
      return false;
    }
    value = value * 16 + static_cast<uint64_t>(digit);
  }
  for (char c : parts[2]) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  if (value > static_cast<uint64_t>(INT64_MAX)) return false;
  *rv = static_cast<int64_t>(value);
  *key = absl::HexStringToBytes(parts[2]);
  return true;
}

absl::string_view MatchName(ResourceVersionMatch match) {
  switch (match) {
    case ResourceVersionMatch::kUnset:
      return "";
    case ResourceVersionMatch::kNotOlderThan:
      return "NotOlderThan";
    case ResourceVersionMatch::kExact:
      return "Exact";
  }
  return "?";
}

std::string DescribeRequest(absl::string_view verb, const ListOptions& o) {
  std::string out = absl::StrCat(verb, " rv=\"", o.resource_version, "\"");
  if (o.resource_version_match != ResourceVersionMatch::kUnset) {
    absl::StrAppend(&out, " match=", MatchName(o.resource_version_match));
  }
  if (o.limit != 0) absl::StrAppend(&out, " limit=", o.limit);
  if (!o.continue_token.empty()) absl::StrAppend(&out, " continue=", o.continue_token);
  if (o.send_initial_events.has_value()) {
    absl::StrAppend(&out, " sendInitialEvents=", *o.send_initial_events ? "true" : "false");
  }
  if (o.allow_watch_bookmarks) absl::StrAppend(&out, " bookmarks");
  if (o.timeout_seconds.has_value()) absl::StrAppend(&out, " timeout=", *o.timeout_seconds, "s");
  if (!o.label_selector.empty()) absl::StrAppend(&out, " labelSelector=\"", o.label_selector, "\"");
  if (!o.field_selector.empty()) absl::StrAppend(&out, " fieldSelector=\"", o.field_selector, "\"");
  return out;
}

std::string DescribeError(const absl::Status& s) {
  std::string reason = ReasonOf(s);
  if (reason.empty()) reason = std::string(absl::StatusCodeToString(s.code()));
  return absl::StrCat(reason, ": ", s.message());
}

enum class WaitResult : uint8_t { kReached, kTimedOut, kShutdown };

// A request's label and field selectors: nullopt selects everything (no
// selector given, and then nothing is filtered at all).
using Selection = std::optional<ObjectSelection>;

bool Selects(const Selection& selection, const api::Object& object) {
  return !selection.has_value() || selection->Matches(object);
}

}  // namespace

struct FakeApiServer::State : public std::enable_shared_from_this<FakeApiServer::State> {
  struct WatchState;
  // One delivery on a watch's ordered chain: a watch event (`flag`: an
  // event of the initial state, or the bookmark that ends it), or any other
  // step, in `step`.
  struct Delivery {
    using Step = absl::AnyInvocable<void(State*, const std::shared_ptr<WatchState>&)>;
    WatchEvent event;
    bool flag = false;
    Step step;
  };

  // One open (or opening) watch stream, shared by the server and the client's
  // handle.
  struct WatchState {
    uint64_t id = 0;
    size_t instance = 0;
    std::shared_ptr<WatchConsumer> consumer;
    WatchCallback started;
    bool allow_bookmarks = false;
    // The request's label selector (the watch cache's filter).
    Selection selection;
    // Set by the client's Stop: nothing more is handed to the consumer.
    bool stopped = false;
    // Set by Shutdown: the stream is dropped without a word.
    bool dropped = false;
    // The server has decided to end the stream (OnClosed is on its way).
    bool closed = false;
    // Accepted and registered for changes (after `started` was sent).
    bool streaming = false;
    // Deliveries are posted with non-decreasing deadlines, so the runtime's
    // FIFO tie-break keeps them in stream order whatever latency is drawn.
    absl::Time next_delivery = absl::InfinitePast();
    // Made, not yet delivered, in order (Deliver).
    RingQueue<Delivery> deliveries;
    TimerId bookmark_timer = 0;
    TimerId timeout_timer = 0;
    std::weak_ptr<State> server;

    bool done() const { return stopped || dropped || closed; }
  };

  struct Waiter {
    int64_t target_rv = 0;
    TimerId timer = 0;
    absl::AnyInvocable<void(WaitResult)> resume;
  };

  // A change an instance has received and not yet applied. `due` is when
  // the instance shows it: the earliest of its commit time plus each lag
  // the instance had while it waited. `due` never decreases along an
  // instance's pending queue.
  struct Pending {
    Change change;
    absl::Time due;
  };

  // One server instance: its watch cache (a prefix of the store's change log,
  // `lag` behind) and the streams it serves.
  struct Instance {
    std::string name;
    // Its place among the server's instances, and the server: what a timer
    // holding only a weak pointer to the instance needs (see Arm).
    size_t index = 0;
    State* server = nullptr;
    StrandId strand = 0;
    absl::Duration lag;
    int64_t visible_rv = 0;
    // Committed, not yet visible here, in RV order. Copies: the store may
    // compact them away before this cache catches up (the watch cache has
    // already received them from etcd; only its processing lags).
    RingQueue<Pending> pending;
    // The one timer that applies `pending` while anybody watches or waits
    // here (0: none); it is due at `advance_at`.
    TimerId advance_timer = 0;
    absl::Time advance_at = absl::InfiniteFuture();
    // The cache's state at visible_rv (every write updates it; LISTs and
    // initial states read it in key order).
    KeyedObjects state;
    // Streaming watches, in the order they opened.
    std::vector<std::shared_ptr<WatchState>> watches;
    // Requests waiting for this cache to reach a version, by arrival.
    std::map<uint64_t, Waiter> waiters;
  };

  class Stream final : public WatchStream {
   public:
    explicit Stream(std::shared_ptr<WatchState> watch) : watch_(std::move(watch)) {}
    ~Stream() override = default;
    void Stop() override;

   private:
    std::shared_ptr<WatchState> watch_;
  };

  State(Runtime* rt, Prng prng, Tracer* tr, ApiServerOptions opts)
      : runtime(rt),
        random(std::move(prng)),
        tracer(tr),
        options(std::move(opts)),
        store(options.initial_revision) {
    assert(!options.instance_lags.empty() && "a server needs at least one instance");
    assert(options.min_latency <= options.max_latency);
    control_strand = runtime->NewStrand("apiserver");
    for (size_t i = 0; i < options.instance_lags.size(); ++i) {
      instances.emplace_back();
      instances[i].name = absl::StrCat("instance-", i);
      instances[i].index = i;
      instances[i].server = this;
      instances[i].strand = runtime->NewStrand(absl::StrCat("apiserver-", i));
      instances[i].lag = options.instance_lags[i];
      instances[i].visible_rv = store.current_rv();
    }
  }

  Runtime* const runtime;
  Prng random;
  Tracer* const tracer;
  const ApiServerOptions options;
  ServerFaultRates rates;
  ApiServerStats stats;
  MvccStore store;
  StrandId control_strand = 0;
  std::deque<Instance> instances;  // a deque: Instance is not movable
  uint64_t next_watch_id = 1;
  uint64_t next_waiter_id = 1;
  TimerId compaction_timer = 0;
  absl::Time refuse_until = absl::InfinitePast();
  absl::Time fail_until = absl::InfinitePast();
  bool shut_down = false;

  // ---- Helpers ----

  void Trace(StepKind kind, absl::string_view actor, absl::string_view detail) {
    if (tracer != nullptr) tracer->Record(kind, actor, detail);
  }
  // Reused for the per-write and per-event trace lines (no allocation per
  // line); each use builds and records its line before anything else runs.
  std::string trace_line;

  absl::Duration Latency() {
    if (options.max_latency <= absl::ZeroDuration()) return absl::ZeroDuration();
    return random.DurationBetween(options.min_latency, options.max_latency);
  }

  size_t Route() {
    if (instances.size() == 1) return 0;
    return static_cast<size_t>(random.Below(instances.size()));
  }

  // With reasonless_errors, a 410, 500 or 504 loses its reason.
  absl::Status Shaped(absl::Status error) const {
    if (!options.reasonless_errors) return error;
    std::optional<api::Status> s = ApiStatusOf(error);
    if (!s.has_value() || (s->code() != 410 && s->code() != 500 && s->code() != 504)) {
      return error;
    }
    s->clear_reason();
    return ApiError(*s);
  }

  absl::Status InternalError(absl::string_view message) const {
    return Shaped(InternalApiError(message));
  }

  absl::Status TooLarge(int64_t rv, int64_t have) {
    ++stats.too_large_responses;
    const std::string message =
        absl::StrCat("Too large resource version: ", rv, ", current: ", have);
    if (options.message_only_too_large) {
      return Shaped(TimeoutApiError(absl::StrCat(kTooLargeResourceVersionText, ": ", message), 1));
    }
    return Shaped(options.legacy_too_large_encoding
                      ? LegacyTooLargeResourceVersionError(message, 1)
                      : TooLargeResourceVersionError(message, 1));
  }

  // A 410 with the options' reason (drawn when either will do).
  absl::Status Expired(absl::string_view message, bool drawn_gone) {
    switch (options.expired_reason) {
      case ApiServerOptions::ExpiredReason::kExpired:
        return Shaped(ExpiredError(message));
      case ApiServerOptions::ExpiredReason::kGone:
        return Shaped(GoneError(message));
      case ApiServerOptions::ExpiredReason::kEither:
        break;
    }
    return Shaped(drawn_gone ? GoneError(message) : ExpiredError(message));
  }

  absl::Status BadRequest(absl::string_view message) {
    ++stats.bad_requests;
    return BadRequestApiError(message);
  }

  absl::Status Invalid(absl::string_view message) {
    ++stats.bad_requests;
    return InvalidApiError(message);
  }

  // The request's labelSelector and fieldSelector, parsed as the API
  // server's parameter decoding and field label conversion do: a selector
  // that does not parse, or names a field the kind does not have, is a 400.
  absl::StatusOr<Selection> ParseSelection(const ListOptions& o) {
    if (o.label_selector.empty() && o.field_selector.empty()) return Selection();
    absl::StatusOr<ObjectSelection> parsed =
        ObjectSelection::Parse(o.label_selector, o.field_selector);
    if (!parsed.ok()) return BadRequest(parsed.status().message());
    if (parsed->Empty()) return Selection();
    return Selection(*std::move(parsed));
  }

  // What a watch with `selection` is sent for `change`, as the watch cache
  // decides from the object before and after it: nothing when neither
  // matches; ADDED when only the new state matches (it entered the
  // selection); MODIFIED when both do; DELETED when only the old one does
  // (it left, or was deleted), carrying the old state stamped with the
  // change's RV. False: nothing to send.
  static bool ForWatch(const Selection& selection, const Change& change, WatchEventType* type,
                       ObjectPtr* object) {
    if (!selection.has_value()) {
      *type = change.type;
      *object = change.object;
      return true;
    }
    const bool now_in =
        change.type != WatchEventType::kDeleted && Selects(selection, *change.object);
    const bool was_in = change.prev != nullptr && Selects(selection, *change.prev);
    if (now_in) {
      *type = was_in ? WatchEventType::kModified : WatchEventType::kAdded;
      *object = change.object;
      return true;
    }
    if (!was_in) return false;
    *type = WatchEventType::kDeleted;
    if (change.type == WatchEventType::kDeleted) {
      *object = change.object;  // already the last state at the deletion's RV
    } else {
      api::Object left = *change.prev;
      left.mutable_metadata()->set_resource_version(absl::StrCat(change.rv));
      *object = MakeObject(std::move(left));
    }
    return true;
  }

  void SendChange(const std::shared_ptr<WatchState>& w, const Change& change) {
    WatchEventType type;
    ObjectPtr object;
    if (ForWatch(w->selection, change, &type, &object)) {
      SendObjectEvent(w, type, std::move(object), /*initial=*/false);
    }
  }

  // Request-level faults shared by LIST and WATCH, in a fixed draw order.
  absl::Status RequestFault(const Instance& inst, bool is_list) {
    const absl::string_view verb = is_list ? "LIST" : "WATCH";
    const absl::Time now = runtime->Now();
    if (shut_down) {
      ++stats.connections_refused;
      return ConnectionRefusedError(absl::StrCat("apiserver ", inst.name, " (shut down)"));
    }
    if (now < refuse_until || random.Chance(rates.connection_refused)) {
      ++stats.connections_refused;
      Trace(StepKind::FAULT, "connection_refused", absl::StrCat(inst.name, " ", verb));
      return ConnectionRefusedError(absl::StrCat("apiserver ", inst.name));
    }
    if (now < fail_until ||
        (is_list && random.Chance(rates.list_internal_error))) {
      ++stats.internal_errors;
      Trace(StepKind::FAULT, "internal_error", absl::StrCat(inst.name, " ", verb));
      return InternalError(absl::StrCat("Internal error occurred: injected ", verb, " failure"));
    }
    if (random.Chance(is_list ? rates.list_too_many_requests : rates.watch_too_many_requests)) {
      ++stats.too_many_requests;
      Trace(StepKind::FAULT, "too_many_requests", absl::StrCat(inst.name, " ", verb));
      return TooManyRequestsError("Too many requests, please try again later.",
                                  rates.retry_after_seconds);
    }
    return absl::OkStatus();
  }

  // ---- Fresh waits ----

  // Runs `resume` once instance `i`'s cache has reached `target`, at once if
  // it already has, or with kTimedOut after fresh_wait.
  void WaitFor(size_t i, int64_t target, absl::AnyInvocable<void(WaitResult)> resume) {
    Instance& inst = instances[i];
    if (inst.visible_rv >= target) {
      resume(WaitResult::kReached);
      return;
    }
    if (options.fresh_wait <= absl::ZeroDuration()) {
      resume(WaitResult::kTimedOut);
      return;
    }
    const uint64_t id = next_waiter_id++;
    Waiter& w = inst.waiters[id];
    w.target_rv = target;
    w.resume = std::move(resume);
    w.timer = runtime->PostAfter(inst.strand, options.fresh_wait,
                                 [weak = weak_from_this(), i, id] {
                                   if (auto s = weak.lock()) s->OnWaitTimeout(i, id);
                                 });
    Arm(i);  // a waiter hears of changes as they are applied
  }

  void OnWaitTimeout(size_t i, uint64_t id) {
    // A change due at this very time counts as in time: applying it may
    // answer the waiter (as the per-commit timers set before it once did).
    Pump(i);
    auto it = instances[i].waiters.find(id);
    if (it == instances[i].waiters.end()) return;
    auto resume = std::move(it->second.resume);
    instances[i].waiters.erase(it);
    resume(WaitResult::kTimedOut);
  }

  void ResolveWaiters(size_t i) {
    Instance& inst = instances[i];
    std::vector<absl::AnyInvocable<void(WaitResult)>> ready;
    for (auto it = inst.waiters.begin(); it != inst.waiters.end();) {
      if (it->second.target_rv <= inst.visible_rv) {
        runtime->Cancel(it->second.timer);
        ready.push_back(std::move(it->second.resume));
        it = inst.waiters.erase(it);
      } else {
        ++it;
      }
    }
    for (auto& r : ready) r(WaitResult::kReached);
  }

  // ---- Writes and the watch caches ----

  // The instances apply changes lazily: nobody can tell when a cache that
  // no stream reads and no request waits on applied a change, only what it
  // shows when it is next read. So an idle instance applies what is due
  // when it is next written or read (CatchUp), and takes no timer; an
  // instance with a watch or a waiter keeps one timer for its next due
  // change, since its streams and waiters must hear of changes on time.
  void OnCommit(int64_t rv) {
    const Change* change = store.ChangeAt(rv);
    assert(change != nullptr);
    ++stats.writes;
    if (tracer != nullptr) {
      trace_line.clear();
      absl::StrAppend(&trace_line, WatchEventTypeName(change->type), " rv=", rv);
      Trace(StepKind::WRITE, change->key, trace_line);
    }
    for (size_t i = 0; i < instances.size(); ++i) {
      Instance& inst = instances[i];
      const absl::Time due = change->committed_at + inst.lag;
      // In order already: commits come in time order, and a shorter lag
      // first lowers every pending due to at most commit time plus it
      // (SetInstanceLag).
      assert(inst.pending.empty() || inst.pending.back().due <= due);
      inst.pending.emplace_back(Pending{*change, due});
      Pump(i);
    }
  }

  // Whether anybody hears of instance `i`'s changes as they are applied.
  bool Observed(const Instance& inst) const {
    if (!inst.waiters.empty()) return true;
    for (const auto& w : inst.watches) {
      if (!w->done()) return true;
    }
    return false;
  }

  // Applies instance `i`'s changes that are due by now.
  void CatchUp(size_t i) {
    Instance& inst = instances[i];
    const absl::Time now = runtime->Now();
    int64_t through = 0;
    for (size_t k = 0; k < inst.pending.size(); ++k) {
      const Pending& p = inst.pending[k];
      if (p.due > now) break;
      through = p.change.rv;
    }
    if (through != 0) Advance(i, through);
  }

  // CatchUp, then Arm.
  void Pump(size_t i) {
    CatchUp(i);
    Arm(i);
  }

  // The timer for instance `i`'s next due change if anybody is watching or
  // waiting there, none otherwise. Callers have caught up.
  void Arm(size_t i) {
    Instance& inst = instances[i];
    const bool wanted = !shut_down && !inst.pending.empty() && Observed(inst);
    const absl::Time at = wanted ? inst.pending.front().due : absl::InfiniteFuture();
    if (inst.advance_timer != 0 && inst.advance_at == at) return;
    if (inst.advance_timer != 0) runtime->Cancel(inst.advance_timer);
    inst.advance_timer = 0;
    inst.advance_at = absl::InfiniteFuture();
    if (!wanted) return;
    inst.advance_at = at;
    // A weak pointer to the instance that shares the server's ownership:
    // the task holds no more, so it stays inside the Task (no allocation
    // per arming), and it still finds the server gone.
    std::weak_ptr<Instance> weak(std::shared_ptr<Instance>(shared_from_this(), &inst));
    inst.advance_timer = runtime->PostAfter(inst.strand, at - runtime->Now(), [weak] {
      auto in = weak.lock();
      if (!in) return;
      in->advance_timer = 0;
      in->advance_at = absl::InfiniteFuture();
      in->server->Pump(in->index);
    });
  }

  // Instance `i`'s cache now shows every change up to `rv`.
  void Advance(size_t i, int64_t rv) {
    Instance& inst = instances[i];
    if (rv <= inst.visible_rv) return;
    while (!inst.pending.empty() && inst.pending.front().change.rv <= rv) {
      Change c = std::move(inst.pending.front().change);
      inst.pending.pop_front();
      if (c.type == WatchEventType::kDeleted) {
        inst.state.Erase(c.key);
      } else {
        inst.state.Set(c.key, c.object);
      }
      if (shut_down) continue;
      // Every streaming watch of this instance has sent everything before
      // this change, so it follows on each. (Sending never adds watches.)
      for (const auto& w : inst.watches) {
        if (!w->done()) SendChange(w, c);
      }
    }
    inst.visible_rv = rv;
    PruneWatches(i);
    ResolveWaiters(i);
  }

  void PruneWatches(size_t i) {
    auto& ws = instances[i].watches;
    ws.erase(std::remove_if(ws.begin(), ws.end(),
                            [](const std::shared_ptr<WatchState>& w) { return w->done(); }),
             ws.end());
  }

  void ScheduleCompaction() {
    if (options.compaction_interval <= absl::ZeroDuration()) return;
    compaction_timer = runtime->PostAfter(control_strand, options.compaction_interval,
                                          [weak = weak_from_this()] {
                                            if (auto s = weak.lock()) s->OnCompactionTimer();
                                          });
  }

  void OnCompactionTimer() {
    compaction_timer = 0;
    if (shut_down) return;
    const int64_t target = store.current_rv() - options.history_window_events;
    if (target > store.compacted_rv()) {
      store.Compact(target);
      ++stats.compactions;
      Trace(StepKind::FAULT, "compaction", absl::StrCat("periodic to rv=", store.compacted_rv()));
    }
    ScheduleCompaction();
  }

  // ---- LIST ----

  void List(const ListOptions& o, ListCallback done) {
    const size_t i = Route();
    Pump(i);
    Instance& inst = instances[i];
    ++stats.list_requests;
    if (!o.continue_token.empty()) ++stats.list_continues;
    Trace(StepKind::REQUEST, inst.name, DescribeRequest("LIST", o));
    absl::Status fault = RequestFault(inst, /*is_list=*/true);
    if (!fault.ok()) return Respond(i, std::move(done), std::move(fault));
    absl::StatusOr<Selection> parsed = ParseSelection(o);
    if (!parsed.ok()) return Respond(i, std::move(done), parsed.status());
    Selection selection = *std::move(parsed);

    if (!o.continue_token.empty()) return ListContinue(i, o, selection, std::move(done));

    if (o.resource_version.empty()) {
      if (o.resource_version_match != ResourceVersionMatch::kUnset) {
        return Respond(i, std::move(done),
                       Invalid("resourceVersionMatch: Forbidden: resourceVersionMatch is "
                               "forbidden unless resourceVersion is provided"));
      }
      // Consistent read: the store's latest, paginated.
      return RespondPage(i, std::move(done), store.current_rv(), "", o.limit, selection);
    }
    int64_t rv = 0;
    if (!ParseResourceVersion(o.resource_version, &rv)) {
      return Respond(i, std::move(done),
                     BadRequest(absl::StrCat("invalid resource version \"", o.resource_version,
                                             "\": not a non-negative integer")));
    }
    const bool exact = o.resource_version_match == ResourceVersionMatch::kExact ||
                       (o.resource_version_match == ResourceVersionMatch::kUnset && o.limit > 0 &&
                        rv != 0);
    if (rv == 0) {
      if (o.resource_version_match == ResourceVersionMatch::kExact) {
        return Respond(i, std::move(done),
                       Invalid("resourceVersionMatch: Forbidden: resourceVersionMatch \"Exact\" "
                               "is forbidden for resourceVersion \"0\""));
      }
      // Any version: the cache as it is, one page (limit ignored).
      return RespondCache(i, std::move(done), selection);
    }
    if (exact) {
      // The store's snapshot at rv (etcd answers at once).
      if (rv > store.current_rv()) return Respond(i, std::move(done), TooLarge(rv, store.current_rv()));
      if (rv < store.compacted_rv()) {
        ++stats.expired_responses;
        return Respond(i, std::move(done),
                       Expired(absl::StrCat("The resourceVersion for the provided list is "
                                            "too old: ", rv, " (compacted at ",
                                            store.compacted_rv(), ")"),
                               /*drawn_gone=*/false));
      }
      return RespondPage(i, std::move(done), rv, "", o.limit, selection);
    }
    // Not older than rv: the cache once it has reached rv.
    WaitFor(i, rv,
            [this, i, rv, selection = std::move(selection),
             done = std::move(done)](WaitResult r) mutable {
              if (r == WaitResult::kReached) return RespondCache(i, std::move(done), selection);
              if (r == WaitResult::kShutdown) {
                return Respond(i, std::move(done),
                               ConnectionRefusedError(absl::StrCat("apiserver ",
                                                                   instances[i].name)));
              }
              Respond(i, std::move(done), TooLarge(rv, instances[i].visible_rv));
            });
  }

  void ListContinue(size_t i, const ListOptions& o, const Selection& selection,
                    ListCallback done) {
    // The API server's validation and etcd3's store: a continue may come with
    // no resourceVersion or "0", never a match.
    if (o.resource_version_match != ResourceVersionMatch::kUnset) {
      return Respond(i, std::move(done),
                     Invalid("resourceVersionMatch: Forbidden: resourceVersionMatch is "
                             "forbidden when continue is provided"));
    }
    if (!o.resource_version.empty() && o.resource_version != "0") {
      return Respond(i, std::move(done),
                     BadRequest("specifying resource version is not allowed when using "
                                "continue"));
    }
    int64_t rv = 0;
    std::string key;
    if (!DecodeContinue(o.continue_token, &rv, &key)) {
      return Respond(i, std::move(done),
                     BadRequest(absl::StrCat("continue key is not valid: \"", o.continue_token,
                                             "\"")));
    }
    const bool injected = random.Chance(rates.continue_expired);
    if (injected) {
      Trace(StepKind::FAULT, "continue_expired", instances[i].name);
    }
    if (injected || rv < store.compacted_rv()) {
      ++stats.continue_expired;
      ++stats.expired_responses;
      return Respond(
          i, std::move(done),
          Expired("The provided continue parameter is too old to display a consistent "
                  "list result. You can start a new list without the continue parameter.",
                  /*drawn_gone=*/false));
    }
    if (rv > store.current_rv()) {
      return Respond(i, std::move(done),
                     BadRequest(absl::StrCat("continue key is not valid: revision ", rv,
                                             " is in the future")));
    }
    RespondPage(i, std::move(done), rv, key, o.limit, selection, /*continued=*/true);
  }

  void RespondPage(size_t i, ListCallback done, int64_t rv, absl::string_view start_key,
                   int64_t limit, const Selection& selection, bool continued = false) {
    // A negative limit means no limit, as a zero one does. With a selector
    // a page holds `limit` matching objects (etcd's store reads on until it
    // has them) and the remaining count is not known, so not sent.
    std::function<bool(const api::Object&)> filter;
    if (selection.has_value()) {
      filter = [&selection](const api::Object& obj) { return Selects(selection, obj); };
    }
    absl::StatusOr<StorePage> page =
        store.PageAt(rv, start_key, std::max<int64_t>(limit, 0), filter);
    if (!page.ok()) {
      if (IsExpiredOrGone(page.status())) ++stats.expired_responses;
      return Respond(i, std::move(done), page.status());
    }
    ListPage out;
    out.resource_version = absl::StrCat(page->rv);
    out.items = std::move(page->items);
    if (!page->next_key.empty()) {
      out.continue_token = EncodeContinue(page->rv, page->next_key);
      if (!selection.has_value()) out.remaining_item_count = page->remaining;
    }
    if (!continued && page->rv < store.current_rv()) ++stats.stale_lists;
    Respond(i, std::move(done), std::move(out));
  }

  void RespondCache(size_t i, ListCallback done, const Selection& selection) {
    Instance& inst = instances[i];
    ListPage out;
    out.resource_version = absl::StrCat(inst.visible_rv);
    if (!selection.has_value()) out.items.reserve(inst.state.size());
    inst.state.ForEachInKeyOrder([&](const std::string&, const ObjectPtr& obj) {
      if (Selects(selection, *obj)) out.items.push_back(obj);
    });
    if (inst.visible_rv < store.current_rv()) ++stats.stale_lists;
    Respond(i, std::move(done), std::move(out));
  }

  void Respond(size_t i, ListCallback done, absl::StatusOr<ListPage> result) {
    if (result.ok()) ++stats.list_pages_served;
    runtime->PostAfter(
        instances[i].strand, Latency(),
        [weak = weak_from_this(), i, done = std::move(done), result = std::move(result)]() mutable {
          auto s = weak.lock();
          if (!s) return;
          if (s->tracer != nullptr) {
            std::string detail;
            if (result.ok()) {
              detail = absl::StrCat("LIST ok rv=", result->resource_version,
                                    " items=", result->items.size());
              if (!result->continue_token.empty()) absl::StrAppend(&detail, " continue");
            } else {
              detail = absl::StrCat("LIST error ", DescribeError(result.status()));
            }
            s->Trace(StepKind::RESPONSE, s->instances[i].name, detail);
          }
          done(std::move(result));
        });
  }

  // ---- WATCH ----

  void Watch(const ListOptions& o, std::shared_ptr<WatchConsumer> consumer,
             WatchCallback started) {
    const size_t i = Route();
    Pump(i);
    Instance& inst = instances[i];
    ++stats.watch_requests;
    auto w = std::make_shared<WatchState>();
    w->id = next_watch_id++;
    w->instance = i;
    w->consumer = std::move(consumer);
    w->started = std::move(started);
    w->allow_bookmarks = o.allow_watch_bookmarks;
    w->server = weak_from_this();
    Trace(StepKind::REQUEST, inst.name,
          absl::StrCat(DescribeRequest("WATCH", o), " watch=", w->id));
    absl::Status fault = RequestFault(inst, /*is_list=*/false);
    if (!fault.ok()) return FailWatch(w, std::move(fault));
    absl::StatusOr<Selection> parsed = ParseSelection(o);
    if (!parsed.ok()) return FailWatch(w, parsed.status());
    w->selection = *std::move(parsed);

    const bool has_sie = o.send_initial_events.has_value();
    if (has_sie && !options.watch_list_supported) {
      // As API servers without the WatchList feature (and older ones, which
      // forbid resourceVersionMatch on watches): the request is refused, and
      // the Reflector falls back to LIST (RF16). Ignoring the flag instead
      // would leave a watch-list client waiting for an initial-events-end
      // bookmark that never comes.
      return FailWatch(w, Invalid("sendInitialEvents: Forbidden: sendInitialEvents is "
                                  "forbidden for watch unless the WatchList feature gate is "
                                  "enabled"));
    }
    if (has_sie && *o.send_initial_events && options.watch_list_fails) {
      // A server (or a proxy in front of it) whose streaming list is broken
      // for good: client-go falls back to LIST on any error it does not
      // retry, "because making progress is better than deadlocking".
      ++stats.internal_errors;
      return FailWatch(w, InternalError("the streaming list is unavailable (simulated)"));
    }
    if (has_sie && *o.send_initial_events && !o.allow_watch_bookmarks) {
      return FailWatch(w, Invalid("allowWatchBookmarks: Required value: sendInitialEvents "
                                  "requires allowWatchBookmarks=true"));
    }
    if (has_sie && o.resource_version_match != ResourceVersionMatch::kNotOlderThan) {
      return FailWatch(w, Invalid("resourceVersionMatch: Forbidden: sendInitialEvents "
                                  "requires setting resourceVersionMatch to NotOlderThan"));
    }
    if (!has_sie && o.resource_version_match != ResourceVersionMatch::kUnset) {
      return FailWatch(w, Invalid("resourceVersionMatch: Forbidden: resourceVersionMatch is "
                                  "forbidden for watch unless sendInitialEvents is provided"));
    }
    int64_t rv = 0;
    const bool rv_empty = o.resource_version.empty();
    if (!rv_empty && !ParseResourceVersion(o.resource_version, &rv)) {
      return FailWatch(w, BadRequest(absl::StrCat("invalid resource version \"",
                                                  o.resource_version,
                                                  "\": not a non-negative integer")));
    }
    const int64_t timeout_seconds = o.timeout_seconds.value_or(0);
    const bool watch_list = has_sie && *o.send_initial_events;
    // sendInitialEvents=false at ""/"0": start at the cache's state without
    // the synthetic ADDED events.
    const bool initial_events = watch_list || !has_sie;

    if (rv_empty || rv == 0 || watch_list) {
      // "" waits for the cache to reach the store's latest (a consistent
      // start); "0" takes the cache as it is; X with sendInitialEvents waits
      // for X (NotOlderThan).
      const int64_t target = rv_empty ? store.current_rv() : rv;
      WaitFor(i, target,
              [this, w, target, initial_events, watch_list, timeout_seconds](WaitResult r) {
                if (r == WaitResult::kShutdown) {
                  return FailWatch(w, ConnectionRefusedError(instances[w->instance].name));
                }
                if (r == WaitResult::kTimedOut) {
                  return FailWatch(w, TooLarge(target, instances[w->instance].visible_rv));
                }
                Open(w, timeout_seconds);
                if (initial_events) SendInitialState(w, watch_list);
              });
      return;
    }
    // Changes after rv.
    if (rv < store.compacted_rv()) return TooOld(w, rv, timeout_seconds);
    WaitFor(i, rv, [this, w, rv, timeout_seconds](WaitResult r) {
      if (r == WaitResult::kShutdown) {
        return FailWatch(w, ConnectionRefusedError(instances[w->instance].name));
      }
      if (r == WaitResult::kTimedOut) {
        return FailWatch(w, TooLarge(rv, instances[w->instance].visible_rv));
      }
      if (rv < store.compacted_rv()) return TooOld(w, rv, timeout_seconds);
      absl::StatusOr<std::vector<const Change*>> history =
          store.ChangesAfter(rv, instances[w->instance].visible_rv);
      if (!history.ok()) return TooOld(w, rv, timeout_seconds);
      Open(w, timeout_seconds);
      for (const Change* c : *history) {
        if (w->done()) break;
        SendChange(w, *c);
      }
    });
  }

  // A watch from a compacted version: 410 as an HTTP error or as an
  // in-stream ERROR event, with reason Expired or Gone, drawn at random.
  void TooOld(const std::shared_ptr<WatchState>& w, int64_t rv, int64_t timeout_seconds) {
    ++stats.expired_responses;
    const std::string message = absl::StrCat("too old resource version: ", rv, " (",
                                             store.compacted_rv(), ")");
    absl::Status err = Expired(message, /*drawn_gone=*/random.Below(2) != 0);
    const bool http_error = random.Below(2) == 0;
    if (options.expired_watch == ApiServerOptions::ExpiredWatch::kHttpError ||
        (options.expired_watch == ApiServerOptions::ExpiredWatch::kEither && http_error)) {
      return FailWatch(w, std::move(err));
    }
    Open(w, timeout_seconds);
    SendErrorAndClose(w, std::move(err));
  }

  // Deliveries on the watch's ordered chain. The delivery waits in the
  // watch's queue and the timer's task holds only the watch, small enough
  // for a Task to keep inline (a task holding the event cost an allocation
  // per event). Each task takes the oldest: deadlines never decrease along
  // a watch and equal ones fire in the order they were set, so the tasks
  // run in the order the deliveries were made.
  void Deliver(const std::shared_ptr<WatchState>& w, WatchEvent event, bool flag = false) {
    Delivery& d = Enqueue(w);
    d.event = std::move(event);
    d.flag = flag;
  }
  void Deliver(const std::shared_ptr<WatchState>& w, Delivery::Step step) {
    Enqueue(w).step = std::move(step);
  }
  // A new delivery at the back of the watch's queue, for the caller to
  // fill, and the timer whose task will take it.
  Delivery& Enqueue(const std::shared_ptr<WatchState>& w) {
    const absl::Time now = runtime->Now();
    const absl::Time at = std::max(now + Latency(), w->next_delivery);
    w->next_delivery = at;
    Delivery& d = w->deliveries.emplace_back();
    runtime->PostAfter(instances[w->instance].strand, at - now, [w] { TakeDelivery(w); });
    return d;
  }
  static void TakeDelivery(const std::shared_ptr<WatchState>& w) {
    Delivery& next = w->deliveries.front();
    auto s = w->server.lock();
    if (!s || w->stopped || w->dropped) {
      w->deliveries.pop_front();
      return;
    }
    if (next.step) {
      Delivery::Step step = std::move(next.step);
      w->deliveries.pop_front();
      step(s.get(), w);
    } else {
      WatchEvent event = std::move(next.event);
      const bool flag = next.flag;
      w->deliveries.pop_front();
      s->Delivered(w, std::move(event), flag);
    }
  }

  // A watch event reaches the client (`flag` as in Delivery).
  void Delivered(const std::shared_ptr<WatchState>& w, WatchEvent event, bool flag) {
    switch (event.type) {
      case WatchEventType::kBookmark:
        ++stats.bookmarks_sent;
        if (tracer != nullptr) {
          Trace(StepKind::WATCH_EVENT, instances[w->instance].name,
                absl::StrCat("watch=", w->id, " BOOKMARK rv=",
                             event.object->metadata().resource_version(),
                             flag ? " initial-events-end" : ""));
        }
        break;
      case WatchEventType::kError:
        Trace(StepKind::WATCH_EVENT, instances[w->instance].name,
              absl::StrCat("watch=", w->id, " ERROR ", DescribeError(event.error)));
        break;
      default: {
        ++stats.events_sent;
        if (flag) ++stats.initial_events_sent;
        if (tracer != nullptr) {
          const api::ObjectMeta& m = event.object->metadata();
          std::string& line = trace_line;
          line.clear();
          absl::StrAppend(&line, "watch=", w->id, " ", WatchEventTypeName(event.type), " ");
          AppendObjectKey(&line, m.namespace_(), m.name());
          absl::StrAppend(&line, " rv=", m.resource_version());
          Trace(StepKind::WATCH_EVENT, instances[w->instance].name, line);
        }
      }
    }
    w->consumer->OnEvent(std::move(event));
  }

  void FailWatch(const std::shared_ptr<WatchState>& w, absl::Status err) {
    w->closed = true;
    Deliver(w, [err = std::move(err)](State* s, const std::shared_ptr<WatchState>& ws) mutable {
      s->Trace(StepKind::RESPONSE, s->instances[ws->instance].name,
               absl::StrCat("WATCH watch=", ws->id, " error ", DescribeError(err)));
      auto started = std::move(ws->started);
      started(std::move(err));
    });
  }

  // Accepts the watch: `started` goes out first, then the stream's events.
  void Open(const std::shared_ptr<WatchState>& w, int64_t timeout_seconds) {
    ++stats.watches_opened;
    w->streaming = true;
    Instance& inst = instances[w->instance];
    inst.watches.push_back(w);
    Arm(w->instance);  // the stream hears of changes as they are applied
    // The watch comes as the step's argument, not a capture: a capture
    // would keep the watch alive through its own queue.
    Deliver(w, [](State* s, const std::shared_ptr<WatchState>& ws) {
      s->Trace(StepKind::RESPONSE, s->instances[ws->instance].name,
               absl::StrCat("WATCH watch=", ws->id, " ok"));
      auto started = std::move(ws->started);
      started(std::unique_ptr<WatchStream>(std::make_unique<Stream>(ws)));
    });
    if (timeout_seconds > 0) {
      w->timeout_timer = runtime->PostAfter(
          inst.strand, absl::Seconds(timeout_seconds), [weak = weak_from_this(), w] {
            auto s = weak.lock();
            if (!s || w->done()) return;
            w->timeout_timer = 0;
            // Changes due by now go out before the stream ends.
            s->Pump(w->instance);
            if (w->done()) return;
            ++s->stats.watch_timeouts;
            s->Close(w, "timeout");
          });
    }
    ArmBookmark(w);
  }

  // Periodic bookmarks carry the cache's RV, which every event already sent
  // on the stream is at or below; they are sent even when nothing changed
  // (as the watch cache does), so a quiet stream still shows progress.
  void ArmBookmark(const std::shared_ptr<WatchState>& w) {
    if (!w->allow_bookmarks || options.bookmark_interval <= absl::ZeroDuration()) return;
    w->bookmark_timer = runtime->PostAfter(
        instances[w->instance].strand, options.bookmark_interval, [weak = weak_from_this(), w] {
          auto s = weak.lock();
          if (!s || w->done()) return;
          w->bookmark_timer = 0;
          // The cache's RV now: its changes due by now go out first.
          s->Pump(w->instance);
          if (w->done()) return;
          s->SendBookmark(w, /*initial_events_end=*/false);
          s->ArmBookmark(w);
        });
  }

  void SendBookmark(const std::shared_ptr<WatchState>& w, bool initial_events_end) {
    api::Object bookmark;
    bookmark.mutable_metadata()->set_resource_version(
        absl::StrCat(instances[w->instance].visible_rv));
    if (initial_events_end) {
      (*bookmark.mutable_metadata()->mutable_annotations())[std::string(
          kInitialEventsEndAnnotation)] = "true";
    }
    Deliver(w,
            WatchEvent{WatchEventType::kBookmark, MakeObject(std::move(bookmark)),
                       absl::OkStatus()},
            initial_events_end);
  }

  void SendInitialState(const std::shared_ptr<WatchState>& w, bool watch_list) {
    Instance& inst = instances[w->instance];
    // Pointers into the state, not copies: a stream that breaks early pays
    // for no reference counts. Sending mutates no state, so they stay valid.
    std::vector<const ObjectPtr*> objects;
    objects.reserve(inst.state.size());
    inst.state.ForEachInKeyOrder([&](const std::string&, const ObjectPtr& obj) {
      if (Selects(w->selection, *obj)) objects.push_back(&obj);
    });
    // Any order is legal; Fisher-Yates from the server's stream.
    for (size_t k = objects.size(); k > 1; --k) {
      std::swap(objects[k - 1], objects[static_cast<size_t>(random.Below(k))]);
    }
    for (const ObjectPtr* obj : objects) {
      if (w->done()) return;
      SendObjectEvent(w, WatchEventType::kAdded, *obj, /*initial=*/true);
    }
    if (watch_list && !w->done()) SendBookmark(w, /*initial_events_end=*/true);
  }

  void SendObjectEvent(const std::shared_ptr<WatchState>& w, WatchEventType type,
                       ObjectPtr object, bool initial) {
    // An in-stream 410 means the watch's position fell out of the history;
    // the initial state of a watch comes from the cache's snapshot, so it
    // never carries one (a broken connection, below, can still end it).
    if (!initial && random.Chance(rates.watch_error_event)) {
      Trace(StepKind::FAULT, "watch_error_event", absl::StrCat("watch=", w->id));
      ++stats.expired_responses;
      ++stats.watch_breaks;
      SendErrorAndClose(w, Expired("The resourceVersion for the provided watch is too old.",
                                   /*drawn_gone=*/false));
      return;
    }
    if (!initial && random.Chance(rates.watch_internal_error_event)) {
      Trace(StepKind::FAULT, "watch_internal_error", absl::StrCat("watch=", w->id));
      ++stats.internal_errors;
      ++stats.watch_breaks;
      SendErrorAndClose(w, InternalError("Internal error occurred: injected watch failure"));
      return;
    }
    Deliver(w, WatchEvent{type, std::move(object), absl::OkStatus()}, initial);
    if (random.Chance(rates.watch_break)) {
      Trace(StepKind::FAULT, "watch_break", absl::StrCat("watch=", w->id));
      ++stats.watch_breaks;
      Close(w, "break");
    }
  }

  void SendErrorAndClose(const std::shared_ptr<WatchState>& w, absl::Status err) {
    Deliver(w, WatchEvent{WatchEventType::kError, nullptr, std::move(err)});
    Close(w, "after error");
  }

  // The server ends the stream: OnClosed follows what is already queued.
  void Close(const std::shared_ptr<WatchState>& w, absl::string_view why) {
    if (w->done()) return;
    w->closed = true;
    CancelTimers(w.get());
    Deliver(w, [why = std::string(why)](State* s, const std::shared_ptr<WatchState>& ws) {
      s->Trace(StepKind::WATCH_EVENT, s->instances[ws->instance].name,
               absl::StrCat("watch=", ws->id, " CLOSED ", why));
      ws->consumer->OnClosed();
    });
  }

  void CancelTimers(WatchState* w) {
    if (w->bookmark_timer != 0) runtime->Cancel(w->bookmark_timer);
    if (w->timeout_timer != 0) runtime->Cancel(w->timeout_timer);
    w->bookmark_timer = 0;
    w->timeout_timer = 0;
  }

  // ---- Scripted faults ----

  int64_t BreakWatches() {
    int64_t broken = 0;
    for (size_t i = 0; i < instances.size(); ++i) {
      const auto watches = instances[i].watches;
      for (const auto& w : watches) {
        if (w->done()) continue;
        ++broken;
        ++stats.watch_breaks;
        Close(w, "break");
      }
      PruneWatches(i);
    }
    Trace(StepKind::FAULT, "break_watches", absl::StrCat(broken, " streams"));
    return broken;
  }

  void Shutdown() {
    if (shut_down) return;
    shut_down = true;
    if (compaction_timer != 0) runtime->Cancel(compaction_timer);
    compaction_timer = 0;
    for (Instance& inst : instances) {
      if (inst.advance_timer != 0) runtime->Cancel(inst.advance_timer);
      inst.advance_timer = 0;
      inst.advance_at = absl::InfiniteFuture();
      for (const auto& w : inst.watches) {
        w->dropped = true;
        CancelTimers(w.get());
      }
      inst.watches.clear();
      std::vector<absl::AnyInvocable<void(WaitResult)>> waiting;
      for (auto& [id, waiter] : inst.waiters) {
        runtime->Cancel(waiter.timer);
        waiting.push_back(std::move(waiter.resume));
      }
      inst.waiters.clear();
      for (auto& r : waiting) r(WaitResult::kShutdown);
    }
  }
};

void FakeApiServer::State::Stream::Stop() {
  if (watch_->stopped) return;
  watch_->stopped = true;
  if (auto s = watch_->server.lock()) s->CancelTimers(watch_.get());
}

FakeApiServer::FakeApiServer(Runtime* runtime, Prng random, Tracer* tracer,
                             ApiServerOptions options)
    : state_(std::make_shared<State>(runtime, std::move(random), tracer, std::move(options))) {
  state_->ScheduleCompaction();
}

FakeApiServer::~FakeApiServer() {
  // Timers are cancelled; tasks already posted find the state gone.
  state_->Shutdown();
}

absl::StatusOr<ObjectPtr> FakeApiServer::Create(api::Object object) {
  absl::StatusOr<ObjectPtr> r = state_->store.Create(std::move(object), state_->runtime->Now());
  if (r.ok()) state_->OnCommit(state_->store.current_rv());
  return r;
}

absl::StatusOr<ObjectPtr> FakeApiServer::Update(api::Object object) {
  absl::StatusOr<ObjectPtr> r = state_->store.Update(std::move(object), state_->runtime->Now());
  if (r.ok()) state_->OnCommit(state_->store.current_rv());
  return r;
}

absl::StatusOr<ObjectPtr> FakeApiServer::Delete(absl::string_view namespace_name,
                                                absl::string_view name) {
  absl::StatusOr<ObjectPtr> r =
      state_->store.Delete(ObjectKey(namespace_name, name), state_->runtime->Now());
  if (r.ok()) state_->OnCommit(state_->store.current_rv());
  return r;
}

std::vector<ObjectPtr> FakeApiServer::Objects() const { return state_->store.Objects(); }

void FakeApiServer::List(const ListOptions& options, ListCallback done) {
  state_->List(options, std::move(done));
}

void FakeApiServer::Watch(const ListOptions& options, std::shared_ptr<WatchConsumer> consumer,
                          WatchCallback started) {
  state_->Watch(options, std::move(consumer), std::move(started));
}

int64_t FakeApiServer::current_rv() const { return state_->store.current_rv(); }
const MvccStore& FakeApiServer::store() const { return state_->store; }

int64_t FakeApiServer::OldestServableRv() const {
  int64_t oldest = state_->store.compacted_rv();
  for (const auto& inst : state_->instances) oldest = std::min(oldest, inst.visible_rv);
  return oldest;
}

void FakeApiServer::SetFaultRates(const ServerFaultRates& rates) { state_->rates = rates; }
const ServerFaultRates& FakeApiServer::fault_rates() const { return state_->rates; }

int64_t FakeApiServer::BreakWatches() { return state_->BreakWatches(); }

bool FakeApiServer::CompactNow() {
  State& s = *state_;
  const int64_t before = s.store.compacted_rv();
  s.store.Compact(s.store.current_rv());
  ++s.stats.compactions;
  s.Trace(StepKind::FAULT, "compaction", absl::StrCat("now to rv=", s.store.compacted_rv()));
  return s.store.compacted_rv() > before;
}

void FakeApiServer::SetInstanceLag(size_t instance, absl::Duration lag) {
  State& s = *state_;
  assert(instance < s.instances.size());
  State::Instance& inst = s.instances[instance];
  inst.lag = lag;
  s.Trace(StepKind::FAULT, "instance_lag",
          absl::StrCat(inst.name, " lag=", absl::FormatDuration(lag)));
  // A shorter lag brings pending changes forward; a longer one applies to
  // later commits only (the earlier ones keep their time). Both the old
  // dues and commit time plus lag grow along the queue, so their minimum
  // does too.
  for (size_t k = 0; k < inst.pending.size(); ++k) {
    State::Pending& p = inst.pending[k];
    p.due = std::min(p.due, p.change.committed_at + lag);
  }
  s.Pump(instance);
}

void FakeApiServer::RefuseConnectionsUntil(absl::Time until) {
  state_->refuse_until = until;
  state_->Trace(StepKind::FAULT, "refuse_connections",
                absl::StrCat("until ", absl::FormatTime(until, absl::UTCTimeZone())));
}

void FakeApiServer::FailRequestsUntil(absl::Time until) {
  state_->fail_until = until;
  state_->Trace(StepKind::FAULT, "fail_requests",
                absl::StrCat("until ", absl::FormatTime(until, absl::UTCTimeZone())));
}

void FakeApiServer::EndFaults() {
  State& s = *state_;
  s.rates = ServerFaultRates{};
  const absl::Time now = s.runtime->Now();
  if (s.refuse_until > now) s.refuse_until = now;
  if (s.fail_until > now) s.fail_until = now;
  for (size_t i = 0; i < s.instances.size(); ++i) {
    if (s.instances[i].lag != s.options.instance_lags[i]) SetInstanceLag(i, s.options.instance_lags[i]);
  }
  s.Trace(StepKind::FAULT, "end_faults", "rates zero, windows closed, lags as configured");
}

void FakeApiServer::Shutdown() { state_->Shutdown(); }

size_t FakeApiServer::instance_count() const { return state_->instances.size(); }

size_t FakeApiServer::open_watches() const {
  size_t n = 0;
  for (const State::Instance& inst : state_->instances) {
    for (const auto& w : inst.watches) {
      if (!w->done()) ++n;
    }
  }
  return n;
}

ApiServerStats FakeApiServer::stats() const { return state_->stats; }

}  // namespace sim
}  // namespace informersim
