#include "sim/simulation.h"

#include <algorithm>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <stdexcept>
#include <utility>

#include "absl/base/attributes.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "core/api_errors.h"
#include "core/index.h"
#include "core/keys.h"
#include "core/lister_watcher.h"
#include "core/mutex.h"
#include "core/processor_listener.h"
#include "core/reflector_feeder.h"
#include "core/shared_informer.h"
#include "sim/identity.h"
#include "sim/selection.h"
#include "sim/world.h"

namespace informersim {
namespace sim {
namespace {

// Quiescence is polled before every step of the liveness phase; it is cheap
// (a few reads), so no batching is needed.

// The label the workload moves objects between; indexed by the informer.
constexpr char kAppIndex[] = "app";

absl::Status AppLabelIndexFunc(const Item& item, std::vector<std::string>* values) {
  const api::ObjectMeta* meta = item.meta();
  if (meta == nullptr) return absl::InvalidArgumentError("object has no meta");
  auto it = meta->labels().find("app");
  if (it != meta->labels().end()) values->push_back(it->second);
  return absl::OkStatus();
}

// A multi-value index: the comma-separated values of the "tags" label
// (repeats included; the index counts a key once per distinct value). It
// refuses an object that carries kRefusedTag, as a user's index function
// may fail on an object it does not expect.
constexpr char kTagsIndex[] = "tags";

absl::Status TagsIndexFunc(const Item& item, std::vector<std::string>* values) {
  const api::ObjectMeta* meta = item.meta();
  if (meta == nullptr) return absl::InvalidArgumentError("object has no meta");
  auto it = meta->labels().find("tags");
  if (it == meta->labels().end() || it->second.empty()) return absl::OkStatus();
  for (absl::string_view v : absl::StrSplit(it->second, ',')) {
    if (v == kRefusedTag) {
      return absl::InvalidArgumentError(
          absl::StrCat("tags index: the value \"", kRefusedTag, "\" is not accepted"));
    }
    values->emplace_back(v);
  }
  return absl::OkStatus();
}

// How long a process that crashed on an index function error is down
// before it starts again (a pod restart).
constexpr absl::Duration kIndexCrashRestartDelay = absl::Seconds(1);

// The simulated store starts at revision 1, as etcd does: an empty list
// never carries RV "0".
ApiServerOptions ServerOptionsFor(const SimOptions& options) {
  ApiServerOptions o = options.server;
  o.initial_revision = std::max<int64_t>(1, o.initial_revision);
  return o;
}

// -1 for an RV the fake server would not have written.
int64_t ParseRv(absl::string_view rv) {
  int64_t v = -1;
  return ParseResourceVersion(rv, &v) ? v : -1;
}

// key -> uid: the incarnation of each key that an initial state held.
using Incarnations = std::map<std::string, std::string>;

void AddIncarnation(const api::ObjectMeta& meta, Incarnations* out) {
  (*out)[ObjectKey(meta.namespace_(), meta.name())] = meta.uid();
}

// Forwards the workload's writes to the server and tells the checker which
// trace step each key was last written at.
class CheckedWriter final : public ObjectWriter {
 public:
  CheckedWriter(FakeApiServer* server, Checker* checker) : server_(server), checker_(checker) {}
  // Also told of every change the writer made.
  void SetOnChange(std::function<void(const Change&)> hook) { on_change_ = std::move(hook); }

  absl::StatusOr<ObjectPtr> Create(api::Object object) override {
    return Noted(server_->Create(std::move(object)));
  }
  absl::StatusOr<ObjectPtr> Update(api::Object object) override {
    return Noted(server_->Update(std::move(object)));
  }
  absl::StatusOr<ObjectPtr> Delete(absl::string_view namespace_name,
                                   absl::string_view name) override {
    return Noted(server_->Delete(namespace_name, name));
  }
  std::vector<ObjectPtr> Objects() const override { return server_->Objects(); }

 private:
  absl::StatusOr<ObjectPtr> Noted(absl::StatusOr<ObjectPtr> written) {
    if (written.ok() && *written != nullptr) {
      const Change* change = server_->store().ChangeAt(ParseRv((*written)->metadata().resource_version()));
      if (change != nullptr) {
        checker_->NoteWrite(*change);
        if (on_change_) on_change_(*change);
      }
    }
    return written;
  }

  FakeApiServer* const server_;
  Checker* const checker_;
  std::function<void(const Change&)> on_change_;
};

// Sits between the informer and the server. It remembers the first
// complete initial state the current informer received (the items of a
// LIST, all its pages, or of a watch-list stream up to its
// initial-events-end bookmark), for the INV9 checks of HasSynced, and it
// checks INV2 on every request the reflector makes:
//   - a request's RV is the reflector's last synced RV (RF4, RF8, RF15), or
//     "0" for a first LIST, or "" for a first watch-list or after the server
//     answered a list or watch with 410 or "too large" (RF6);
//   - the last synced RV never goes back.
// Requests of an informer stopped by a restart are not counted.
class RequestObserver final : public ListerWatcher {
 public:
  RequestObserver(ListerWatcher* inner, Checker* checker) : inner_(inner), checker_(checker) {}

  // The informer's label and field selectors: every request must carry
  // them (client-go's tweakListOptions applies them to each), and the first
  // initial state's RVs are kept (INV9 with objects that leave the
  // selection).
  void SetSelectors(std::string label_selector, std::string field_selector) {
    label_selector_ = std::move(label_selector);
    field_selector_ = std::move(field_selector);
    keep_snapshot_rvs_ = !label_selector_.empty() || !field_selector_.empty();
  }
  // key -> RV of the first initial state (with a selector only).
  const std::map<std::string, int64_t>& snapshot_rvs() const { return snapshot_rvs_; }

  // A new informer, whose reflector's last synced RV `last_sync` reads.
  void NewGeneration(std::function<std::string()> last_sync) {
    ++generation_;
    last_sync_ = std::move(last_sync);
    pages_.clear();
    snapshot_.reset();
    snapshot_rvs_.clear();
    may_list_from_empty_ = false;
    must_relist_from_empty_ = false;
    must_list_next_ = false;
    max_last_sync_ = -1;
  }
  // key -> uid of the first initial state, once complete.
  const std::optional<Incarnations>& snapshot() const { return snapshot_; }
  // A LIST or a watch-list's initial state is on its way (coverage).
  bool initial_state_in_flight() const { return initial_state_in_flight_; }
  // Called when the informer asks for a whole state (KIND@list faults).
  void SetOnWholeStateRequest(std::function<void()> hook) { on_whole_state_ = std::move(hook); }
  // First LIST pages and watch-lists, of every informer generation.
  int64_t whole_state_requests() const { return whole_state_requests_; }

  void List(const ListOptions& options, ListCallback done) override {
    CheckRequest("LIST", options, /*watch_list=*/false);
    const uint64_t generation = generation_;
    const uint64_t request = ++requests_;
    const bool first_page = options.continue_token.empty();
    initial_state_in_flight_ = true;
    if (first_page) {
      ++whole_state_requests_;
      if (on_whole_state_) on_whole_state_();
    }
    inner_->List(options, [this, generation, request, first_page, done = std::move(done)](
                              absl::StatusOr<ListPage> page) mutable {
      if (generation == generation_) {
        if (!page.ok()) {
          // A continue page's 410 makes client-go's pager list again at the
          // same RV; only a first page's answer obliges a relist from "".
          NoteError(page.status(), first_page && request == requests_);
          initial_state_in_flight_ = false;
        } else {
          checker_->NoteListServed();
          if (first_page) pages_.clear();
          for (const ObjectPtr& o : page->items) pages_.push_back(o);
          if (page->continue_token.empty()) Complete(pages_);
        }
      }
      done(std::move(page));
    });
  }

  void Watch(const ListOptions& options, std::shared_ptr<WatchConsumer> consumer,
             WatchCallback started) override {
    const bool watch_list = options.send_initial_events.value_or(false);
    CheckRequest("WATCH", options, watch_list);
    const uint64_t generation = generation_;
    const uint64_t request = ++requests_;
    if (watch_list) {
      initial_state_in_flight_ = true;
      ++whole_state_requests_;
      if (on_whole_state_) on_whole_state_();
    }
    int64_t start_rv = -1;  // -1: the stream starts with a synthetic state
    if (!watch_list && options.resource_version != "0") {
      ParseResourceVersion(options.resource_version, &start_rv);
    }
    auto tap = std::make_shared<Tap>(this, generation, request, watch_list, start_rv,
                                     std::move(consumer));
    inner_->Watch(options, tap,
                  [this, generation, request, watch_list, started = std::move(started)](
                      absl::StatusOr<std::unique_ptr<WatchStream>> stream) mutable {
                    if (!stream.ok() && generation == generation_) {
                      NoteError(stream.status(), request == requests_, /*watch=*/!watch_list);
                      if (watch_list) initial_state_in_flight_ = false;
                    }
                    started(std::move(stream));
                  });
  }

  bool IsWatchListSemanticsUnsupported() const override {
    return inner_->IsWatchListSemanticsUnsupported();
  }

 private:
  // Watches what a stream delivers: in-stream errors, a watch-list's
  // initial events up to its end bookmark, and the stream's order (INV14,
  // the server's side of RF10: past its start RV, or past a watch-list's
  // end bookmark, a watch delivers changes in strictly increasing RV order,
  // each above the start; a bookmark never goes back; a watch-list's
  // initial objects are no newer than its end bookmark).
  class Tap final : public WatchConsumer {
   public:
    Tap(RequestObserver* owner, uint64_t generation, uint64_t request, bool watch_list,
        int64_t start_rv, std::shared_ptr<WatchConsumer> inner)
        : owner_(owner),
          generation_(generation),
          request_(request),
          collecting_(watch_list),
          last_rv_(start_rv),
          inner_(std::move(inner)) {}
    void OnEvent(WatchEvent event) override {
      const bool current = generation_ == owner_->generation_;
      if (current && event.type == WatchEventType::kError) {
        // Past its initial-events-end bookmark a watch-list stream is a
        // plain watch (client-go hands it to the same watch handling).
        owner_->NoteError(event.error, request_ == owner_->requests_, /*watch=*/!collecting_);
      }
      if (collecting_) {
        if (event.type == WatchEventType::kAdded && event.object != nullptr) {
          items_.push_back(event.object);
        } else if (event.type == WatchEventType::kBookmark && event.object != nullptr &&
                   event.object->metadata().annotations().count(
                       std::string(kInitialEventsEndAnnotation)) > 0) {
          collecting_ = false;
          int64_t end_rv = -1;
          ParseResourceVersion(event.object->metadata().resource_version(), &end_rv);
          for (const ObjectPtr& o : items_) {
            int64_t rv = -1;
            if (current && ParseResourceVersion(o->metadata().resource_version(), &rv) &&
                rv > end_rv) {
              owner_->Fail(absl::StrCat("watch-list initial object ",
                                        ObjectKey(o->metadata().namespace_(), o->metadata().name()),
                                        " rv=", rv,
                                        " is newer than the initial-events-end bookmark rv=", end_rv),
                           "INV14");
              break;
            }
          }
          last_rv_ = end_rv;
          owner_->checker_->NoteListServed();
          if (current) owner_->Complete(items_);
          items_.clear();
        }
      } else if (current && last_rv_ >= 0 && event.object != nullptr &&
                 event.type != WatchEventType::kError) {
        CheckOrder(event);
      } else if (last_rv_ < 0 && event.type == WatchEventType::kAdded) {
        owner_->checker_->NoteListServed();  // a synthetic initial state
      }
      inner_->OnEvent(std::move(event));
    }
    void OnClosed() override {
      if (collecting_ && generation_ == owner_->generation_) owner_->initial_state_in_flight_ = false;
      inner_->OnClosed();
    }

   private:
    void CheckOrder(const WatchEvent& event) {
      int64_t rv = -1;
      if (!ParseResourceVersion(event.object->metadata().resource_version(), &rv)) return;
      const bool bookmark = event.type == WatchEventType::kBookmark;
      if (bookmark ? rv < last_rv_ : rv <= last_rv_) {
        owner_->Fail(absl::StrCat(
            WatchEventTypeName(event.type), " ",
            ObjectKey(event.object->metadata().namespace_(), event.object->metadata().name()),
            " rv=", rv, bookmark ? " goes back from rv=" : " is not after rv=", last_rv_,
            ", the stream's start or previous event"), "INV14");
      }
      last_rv_ = std::max(last_rv_, rv);
    }

    RequestObserver* const owner_;
    const uint64_t generation_;
    const uint64_t request_;
    bool collecting_;
    // The RV the stream is past (its start, the end bookmark, the last
    // event); -1 while unknown (a synthetic initial state).
    int64_t last_rv_;
    const std::shared_ptr<WatchConsumer> inner_;
    std::vector<ObjectPtr> items_;
  };

  // `latest`: the answer to the reflector's latest request. RF6: a 410 or
  // "too large" answer to a first LIST page or a watch-list makes client-go
  // relist from "" with its very next request; a 410 to a plain watch ends
  // the cycle, so the next request is a list (at the last synced RV: a LIST
  // at an RV already returns data at least that fresh).
  void NoteError(const absl::Status& error, bool latest, bool watch = false) {
    if (!ServerSaidRvUnusable(error)) return;
    may_list_from_empty_ = true;
    if (!latest) return;
    if (!watch) {
      must_relist_from_empty_ = true;
    } else if (ApiStatusOf(error)->code() == 410) {
      must_list_next_ = true;
    }
  }

  // The server's own words, read without core's predicates (a faulty
  // predicate in core must not also bend the oracle): any 410, or a 504
  // that says the RV is too large (as a cause type, a cause message or, in
  // the oldest encoding, the message).
  static bool ServerSaidRvUnusable(const absl::Status& error) {
    const std::optional<api::Status> s = ApiStatusOf(error);
    if (!s.has_value()) return false;
    if (s->code() == 410) return true;
    if (s->code() != 504) return false;
    for (const api::StatusCause& c : s->causes()) {
      if (c.type() == kCauseResourceVersionTooLarge ||
          c.message() == kTooLargeResourceVersionText) {
        return true;
      }
    }
    return absl::StrContains(s->message(), kTooLargeResourceVersionText);
  }

  void Complete(const std::vector<ObjectPtr>& items) {
    initial_state_in_flight_ = false;
    may_list_from_empty_ = false;
    if (!snapshot_.has_value()) {
      Incarnations keys;
      for (const ObjectPtr& o : items) AddIncarnation(o->metadata(), &keys);
      snapshot_ = std::move(keys);
      if (keep_snapshot_rvs_) {
        for (const ObjectPtr& o : items) {
          snapshot_rvs_[ObjectKey(o->metadata().namespace_(), o->metadata().name())] =
              ParseRv(o->metadata().resource_version());
        }
      }
    }
    pages_.clear();
  }

  void CheckRequest(const char* what, const ListOptions& o, bool watch_list) {
    const auto check_selector = [&](const char* name, const std::string& sent,
                                    const std::string& informers) {
      if (sent == informers) return;
      Fail(absl::StrCat(what, watch_list ? " (watch-list)" : "",
                        o.continue_token.empty() ? "" : " (continue)", " with ", name, " \"",
                        sent, "\", not the informer's \"", informers, "\""));
    };
    check_selector("labelSelector", o.label_selector, label_selector_);
    check_selector("fieldSelector", o.field_selector, field_selector_);
    if (!last_sync_ || !o.continue_token.empty()) return;  // later pages follow the first
    const std::string last = last_sync_();
    int64_t last_rv = -1;
    if (ParseResourceVersion(last, &last_rv)) {
      if (last_rv < max_last_sync_) {
        Fail(absl::StrCat("the reflector's last synced RV went back from ", max_last_sync_,
                          " to ", last_rv));
      }
      max_last_sync_ = std::max(max_last_sync_, last_rv);
    }
    const std::string& rv = o.resource_version;
    const bool lists = watch_list || absl::string_view(what) == "LIST";
    if (must_relist_from_empty_ || must_list_next_) {
      const bool from_empty = must_relist_from_empty_;
      must_relist_from_empty_ = must_list_next_ = false;
      if (!lists || (from_empty && !rv.empty())) {
        Fail(absl::StrCat(what, watch_list ? " (watch-list)" : "", " at resourceVersion \"", rv,
                          from_empty ? "\" right after a list was told its RV is unusable (410 or "
                                       "too large): client-go relists from \"\" at once (RF6)"
                                     : "\" right after a watch got 410: client-go ends the cycle "
                                       "and lists (RF6)"));
        return;
      }
    }
    bool ok;
    if (rv.empty()) {
      ok = may_list_from_empty_ || (watch_list && last.empty());
    } else if (rv == "0") {
      ok = last.empty() || last == "0";
    } else {
      ok = rv == last;
    }
    if (!ok) {
      Fail(absl::StrCat(what, watch_list ? " (watch-list)" : "", " at resourceVersion \"", rv,
                        "\" while the reflector's last synced RV is \"", last, "\"",
                        rv.empty() ? " and no 410 or too-large answer came before" : ""));
    }
  }

  void Fail(std::string detail, const char* invariant = "INV2") {
    Violation v;
    v.invariant = invariant;
    v.detail = std::move(detail);
    checker_->Report(v);
  }

  ListerWatcher* const inner_;
  Checker* const checker_;
  uint64_t generation_ = 0;
  std::function<std::string()> last_sync_;
  std::vector<ObjectPtr> pages_;
  std::optional<Incarnations> snapshot_;
  std::string label_selector_;
  std::string field_selector_;
  bool keep_snapshot_rvs_ = false;
  std::map<std::string, int64_t> snapshot_rvs_;
  // An Expired/Gone/too-large answer came since the last completed list.
  bool may_list_from_empty_ = false;
  // ... and it obliges the very next request to be a relist from "" (RF6).
  bool must_relist_from_empty_ = false;
  // A watch got 410: the next request is a LIST or a watch-list.
  bool must_list_next_ = false;
  // Requests made (LIST pages and WATCHes), to tell the latest one.
  uint64_t requests_ = 0;
  bool initial_state_in_flight_ = false;
  std::function<void()> on_whole_state_;
  int64_t whole_state_requests_ = 0;
  int64_t max_last_sync_ = -1;
};

// A handler that, after it has handled a notification, throws with a drawn
// probability (HandlerSpec::crash_fraction): the user's handler that
// panics. The informer must recover and keep delivering (SI9), so the
// recorder's view stays right. Initial-list adds never throw (a crashed one
// stays pending and the registration would never sync, SI11). Crashes are
// faults: they stop with the fault phase (each costs the listener a second,
// so a crashing handler under frequent resyncs never drains).
struct HandlerCrashes {
  double fraction = 0;
  Prng random;
};

// Forwards notifications to a recorder while the informer generation it was
// registered with is the current one, then throws if the handler crashes.
class GenerationGate final : public ResourceEventHandler {
 public:
  GenerationGate(std::shared_ptr<HandlerRecorder> recorder, const uint64_t* current,
                 uint64_t generation, std::shared_ptr<HandlerCrashes> crashes)
      : recorder_(std::move(recorder)),
        current_(current),
        generation_(generation),
        crashes_(std::move(crashes)) {}
  void OnAdd(const Item& obj, bool is_in_initial_list) override {
    if (*current_ != generation_) return;
    recorder_->OnAdd(obj, is_in_initial_list);
    if (!is_in_initial_list) MaybeCrash();
  }
  void OnUpdate(const Item& old_obj, const Item& new_obj) override {
    if (*current_ != generation_) return;
    recorder_->OnUpdate(old_obj, new_obj);
    MaybeCrash();
  }
  void OnDelete(const Item& obj) override {
    if (*current_ != generation_) return;
    recorder_->OnDelete(obj);
    MaybeCrash();
  }

 private:
  void MaybeCrash() {
    if (crashes_ != nullptr && crashes_->fraction > 0 &&
        crashes_->random.Chance(crashes_->fraction)) {
      throw std::runtime_error("simulated handler crash");
    }
  }

  const std::shared_ptr<HandlerRecorder> recorder_;
  const uint64_t* const current_;
  const uint64_t generation_;
  const std::shared_ptr<HandlerCrashes> crashes_;
};

// A user handler as the informer of one process sees it: notifications of a
// retired process are dropped (they died with it), and after each one the
// user's after-notification invariants run.
class UserGate final : public ResourceEventHandler {
 public:
  using After = std::function<void(absl::string_view what, const Item& obj)>;
  UserGate(std::shared_ptr<ResourceEventHandler> handler, const uint64_t* current,
           uint64_t generation, After after)
      : handler_(std::move(handler)),
        current_(current),
        generation_(generation),
        after_(std::move(after)) {}
  void OnAdd(const Item& obj, bool is_in_initial_list) override {
    if (*current_ != generation_) return;
    handler_->OnAdd(obj, is_in_initial_list);
    after_("add", obj);
  }
  void OnUpdate(const Item& old_obj, const Item& new_obj) override {
    if (*current_ != generation_) return;
    handler_->OnUpdate(old_obj, new_obj);
    after_("update", new_obj);
  }
  void OnDelete(const Item& obj) override {
    if (*current_ != generation_) return;
    handler_->OnDelete(obj);
    after_("delete", obj);
  }

 private:
  const std::shared_ptr<ResourceEventHandler> handler_;
  const uint64_t* const current_;
  const uint64_t generation_;
  const After after_;
};

// How long the server runs before the informer starts: every watch cache
// catches up with the preloaded objects first (a real watch cache serves
// nothing older than its own initial list), and a millisecond more so that
// the caches' catch-up tasks due at the lag itself have run.
absl::Duration WarmUp(const SimOptions& options) {
  absl::Duration lag = absl::ZeroDuration();
  for (absl::Duration l : options.server.instance_lags) lag = std::max(lag, l);
  return lag + absl::Milliseconds(1);
}

class Run {
 public:
  Run(const SimOptions& options, const std::vector<std::string>& run_flags)
      : options_(options),
        run_flags_(run_flags),
        world_(options.seed, options.keep_trace, WarmUp(options)),
        client_random_(world_.Stream("client")),
        server_(world_.runtime(), world_.Stream("server"), world_.tracer(),
                ServerOptionsFor(options)),
        checker_(world_.tracer(), world_.runtime(), CheckerOptionsFor(options)),
        server_layer_(options.server_layer ? options.server_layer(&server_) : nullptr),
        observed_server_(server_layer_ != nullptr ? server_layer_.get()
                                                  : static_cast<ListerWatcher*>(&server_),
                         &checker_),
        writer_(&server_, &checker_),
        workload_(world_.runtime(), &writer_, world_.Stream("workload"), world_.tracer(),
                  options.workload) {
    world_.tracer()->SetFaultObserver([this](absl::string_view actor) { NoteFault(actor); });
    observed_server_.SetOnWholeStateRequest([this] { FireArmed(); });
    if (!options_.label_selector.empty() || !options_.field_selector.empty()) {
      // Validated with the options: they parse.
      absl::StatusOr<ObjectSelection> parsed =
          ObjectSelection::Parse(options_.label_selector, options_.field_selector);
      if (parsed.ok() && !parsed->Empty()) selector_ = *std::move(parsed);
      observed_server_.SetSelectors(options_.label_selector, options_.field_selector);
      writer_.SetOnChange([this](const Change& change) { NoteSelectedChange(change); });
    }
  }

  absl::StatusOr<SimResult> Go() {
    Phase("setup");
    absl::Status preload = workload_.Preload();
    if (!preload.ok()) return preload;
    // The server has been up for a while: every watch cache has caught up
    // with the preloaded objects before the informer's first request (a real
    // watch cache serves nothing older than its own initial list).
    // The world's clock started WarmUp before time zero, so the informer
    // starts at zero: fault scripts, traces and reports share that clock.
    if (options_.progress) world_.SetAfterStep([this] { MaybeProgress(); });
    world_.RunUntil(World::StartTime(), nullptr, options_.max_steps);
    world_.runtime()->AdvanceTo(World::StartTime());  // even if it went idle
    t0_ = world_.Now();
    MakeInformer();
    for (size_t i = 0; i < options_.handlers.size(); ++i) {
      if (options_.handlers[i].added_at == absl::ZeroDuration()) AddHandler(i);
    }
    user_slots_.resize(options_.user_handlers.size());
    for (size_t i = 0; i < options_.user_handlers.size(); ++i) {
      if (options_.user_handlers[i].added_at == absl::ZeroDuration()) AddUserHandler(i);
    }
    world_.SetAfterStep([this] {
      MaybeProgress();
      checking_ = true;
      if (index_refused_.has_value()) NoteIndexCrash();
      // A crashed process is not observed until its restart.
      if (!crashed_) {
        checker_.CheckStep(*informer_);
        CheckSyncMeaning();
        MaybeCheckQuiescentPoint();
      }
      checking_ = false;
    });
    informer_->Run();
    if (!informer_->RunStatus().ok()) return informer_->RunStatus();
    controller_strand_ = FindControllerStrand();

    Phase("faults");
    const absl::Time fault_end = t0_ + options_.duration;
    server_.SetFaultRates(options_.fault_rates);
    workload_.Start(fault_end);
    ScheduleScripted();
    ScheduleWrites();
    const World::RunResult faults = world_.RunUntil(fault_end, nullptr, options_.max_steps);
    if (faults == World::RunResult::kStepLimit) StepLimitViolation("faults");

    Phase("liveness");
    workload_.Stop();
    // Objects the index function refuses would crash every informer that
    // meets them: the run can converge only once they are rewritten.
    workload_.ClearRefusedTags();
    server_.EndFaults();
    for (auto& [index, crashes] : crashes_) crashes->fraction = 0;
    world_.ClearPerturbation();
    stopped_faults_ = true;
    const ApiServerStats before = server_.stats();
    const absl::Time liveness_start = world_.Now();
    const World::RunResult live = world_.RunUntil(
        liveness_start + options_.liveness_timeout, [this] { return Quiescent(); },
        options_.max_steps);
    const ApiServerStats after = server_.stats();
    // Relists, not pages: a paged list of many objects is one LIST.
    result_.liveness_lists = (after.list_requests - after.list_continues) -
                             (before.list_requests - before.list_continues);
    result_.liveness_watches = after.watch_requests - before.watch_requests;
    result_.converged = live == World::RunResult::kDone;
    result_.convergence_time = world_.Now() - liveness_start;
    if (live == World::RunResult::kStepLimit) StepLimitViolation("liveness");
    if (!result_.converged) {
      Violation v;
      v.invariant = "LIVENESS";
      v.detail = absl::StrCat("no quiescence within ", absl::FormatDuration(options_.liveness_timeout),
                              " after faults stopped (", RunResultName(live),
                              "); reflector at RV \"", informer_->LastSyncResourceVersion(),
                              "\", server at ", server_.current_rv(), "; ",
                              CountDifferences(), " keys differ from the server",
                              informer_->HasSynced() ? "" : ", informer never synced");
      checker_.Report(v);
    }
    if (result_.liveness_lists > options_.liveness_max_lists ||
        result_.liveness_watches > options_.liveness_max_watches) {
      Violation v;
      v.invariant = "LIVENESS";
      v.detail = absl::StrCat("relist/rewatch storm after faults stopped: ",
                              result_.liveness_lists, " LIST (budget ",
                              options_.liveness_max_lists, "), ", result_.liveness_watches,
                              " WATCH (budget ", options_.liveness_max_watches, ")");
      checker_.Report(v);
    }

    Phase("check");
    // Only a quiescent informer can be compared with the truth; without
    // quiescence the LIVENESS violation says what was left.
    if (result_.converged) CheckQuiescent();
    if (result_.converged && !informer_->HasSynced()) {
      Violation v;
      v.invariant = "INV9";
      v.detail = "the informer never reported HasSynced";
      checker_.Report(v);
    }
    Finish();
    Phase("shutdown");
    Shutdown();
    if (options_.keep_trace) result_.trace = world_.tracer()->ToProto(Header());
    result_.trace_hash = world_.tracer()->hash();
    result_.trace_steps = world_.tracer()->step_count();
    result_.scheduler_steps = world_.steps();
    return std::move(result_);
  }

 private:
  static CheckerOptions CheckerOptionsFor(const SimOptions& o) {
    CheckerOptions c;
    c.allow_time_travel = o.allow_time_travel;
    c.restart_time_travel_is_violation = o.restart_time_travel_is_violation;
    // client-go's resync check period starts at the informer's default
    // period and is only ever lowered to a positive handler period: zero
    // means no resync pass at all.
    c.informer_resyncs = o.resync_period > absl::ZeroDuration();
    c.tombstones_carry_state = true;
    if (o.bury_slack.has_value()) c.bury_slack = *o.bury_slack;
    return c;
  }

  TraceHeader Header() const {
    TraceHeader header;
    header.set_format_version(kTraceFormatVersion);
    header.set_seed(options_.seed);
    for (const std::string& f : run_flags_) header.add_flags(f);
    return header;
  }

  void Phase(absl::string_view name) {
    world_.tracer()->Record(PHASE, "sim", name);
    phase_ = std::string(name);
    Progress();
  }

  void Progress() {
    if (!options_.progress) return;
    RunProgress p;
    p.phase = phase_;
    p.virtual_time = world_.Now() - World::StartTime();
    p.fault_phase = options_.duration;
    p.steps = world_.runtime()->steps_run();
    options_.progress(p);
  }

  // After each step: a progress report every 2^16 steps.
  void MaybeProgress() {
    if (options_.progress && (++steps_since_progress_ & 0xffff) == 0) Progress();
  }

  void MakeInformer() {
    SharedIndexInformerOptions io;
    io.profile.profile = options_.profile;
    io.name = "informer";
    io.resync_period = options_.resync_period;
    const auto wanted = [this](absl::string_view name) {
      return std::find(options_.indexes.begin(), options_.indexes.end(), name) !=
             options_.indexes.end();
    };
    if (wanted(kNamespaceIndex)) io.indexers[std::string(kNamespaceIndex)] = MetaNamespaceIndexFunc;
    if (wanted(kAppIndex)) io.indexers[kAppIndex] = AppLabelIndexFunc;
    // A failure is noted for NoteIndexCrash (not while the checker itself
    // recomputes the indexes).
    if (wanted(kTagsIndex)) io.indexers[kTagsIndex] = [this](const Item& item, std::vector<std::string>* values) {
      absl::Status status = TagsIndexFunc(item, values);
      if (!status.ok() && !checking_ && !index_refused_.has_value()) {
        absl::StatusOr<std::string> key = DeletionHandlingMetaNamespaceKeyFunc(item);
        index_refused_ = key.ok() ? *key : item.DebugString();
      }
      return status;
    };
    for (const auto& entry : options_.user_indexes) {
      // Not a structured binding: C++17 lambdas cannot capture those.
      io.indexers[entry.first] = [this, func = entry.second](const Item& item,
                                                            std::vector<std::string>* values) {
        absl::Status status = func(item, values);
        if (!status.ok() && !checking_ && !index_refused_.has_value()) {
          absl::StatusOr<std::string> key = DeletionHandlingMetaNamespaceKeyFunc(item);
          index_refused_ = key.ok() ? *key : item.DebugString();
        }
        return status;
      };
    }
    io.watch_list_page_size = options_.page_size;
    io.max_internal_error_retry_duration = options_.max_internal_error_retry_duration;
    io.batch_size = options_.batch_size;
    io.queue_factory = options_.queue_factory;
    // A WaitForCacheSync poller that runs while a pop is processed without
    // the queue's lock (R9): the scheduler runs one task at a time, so
    // without this no reader ever sees HasSynced inside that window.
    io.unlocked_window = [this] { CheckSyncMeaning(); };
    ListerWatcher* source = &observed_server_;
    if (options_.client_layer) {
      client_layers_.push_back(options_.client_layer(&observed_server_));
      source = client_layers_.back().get();
    }
    if (!options_.label_selector.empty() || !options_.field_selector.empty()) {
      // A filtered informer: its ListerWatcher puts the selectors on every
      // request (client-go's tweakListOptions).
      client_layers_.push_back(std::make_unique<FilteredListerWatcher>(
          source, WithSelectors(options_.label_selector, options_.field_selector)));
      source = client_layers_.back().get();
    }
    QueueFeederFactory inner = ReflectorFeederFactory(source, world_.runtime(), &client_random_);
    // The reflector's strands get their own name so that the scheduler can
    // tell them from the controller's.
    QueueFeederFactory feeder = [inner](ReflectorStore* queue, ReflectorOptions ro) {
      ro.name = "reflector";
      return inner(queue, std::move(ro));
    };
    informer_ = std::make_unique<SharedIndexInformer>(world_.runtime(), std::move(feeder), io);
    if (options_.transform != nullptr) {
      absl::Status set = informer_->SetTransform(options_.transform);
      if (!set.ok()) {
        Violation v;
        v.invariant = "SETUP";
        v.detail = absl::StrCat("SetTransform failed: ", set.ToString());
        checker_.Report(v);
      }
    }
    SharedIndexInformer* informer = informer_.get();
    observed_server_.NewGeneration([informer] { return informer->LastSyncResourceVersion(); });
  }

  // The newest informer's controller strand (each informer makes one).
  StrandId FindControllerStrand() {
    const std::vector<StrandId> strands = world_.StrandsNamed("informer");
    return strands.empty() ? 0 : strands.back();
  }

  void AddHandler(size_t index) {
    HandlerSlot slot;
    slot.index = index;
    slot.recorder = checker_.AddHandler(HandlerName(index), informer_->GetIndexer());
    slot.summary.name = slot.recorder->name();
    std::vector<std::string> expected_tombstones;
    for (const auto& [handler, key] : options_.expect.tombstones) {
      if (handler == slot.recorder->name()) expected_tombstones.push_back(key);
    }
    slot.recorder->WatchTombstones(expected_tombstones);
    slot.summary.late = options_.handlers[index].added_at > absl::ZeroDuration();
    slot.summary.speed = options_.handlers[index].speed;
    // INV11: an effective period of zero (the handler's own, else the
    // informer's default) is never picked by shouldResync.
    const absl::Duration period =
        options_.handlers[index].resync_period.value_or(options_.resync_period);
    slot.recorder->SetResyncPolicy(period > absl::ZeroDuration(), !informer_->HasStarted());
    // A handler added after Run gets the cache as it is now as its initial
    // batch (SI7); one added before gets the first list.
    if (informer_->HasStarted()) {
      slot.expected_initial.emplace();
      for (const Item& item : informer_->GetIndexer()->List()) {
        if (item.meta() != nullptr) AddIncarnation(*item.meta(), &*slot.expected_initial);
      }
    }
    handlers_.push_back(std::move(slot));
    // While the process is down after an index crash, the handler joins at
    // the restart, with the others.
    if (!crashed_) Register(index, handlers_.back().recorder);
  }

  // Registers handler `index` with the current informer and applies its
  // speed to the listener's strand.
  void Register(size_t index, const std::shared_ptr<HandlerRecorder>& recorder) {
    const HandlerSpec& spec = options_.handlers[index];
    const size_t strands_before = world_.runtime()->strand_count();
    HandlerOptions ho;
    ho.resync_period = spec.resync_period;
    // After a restart the retired informer's listeners may still deliver
    // what they had buffered: to a process that no longer exists, so the
    // gate drops it instead of telling the checker.
    std::shared_ptr<HandlerCrashes> crashes;
    if (spec.crash_fraction > 0) {
      std::shared_ptr<HandlerCrashes>& kept = crashes_[index];
      if (kept == nullptr) {
        kept = std::make_shared<HandlerCrashes>(
            HandlerCrashes{spec.crash_fraction, world_.Stream(absl::StrCat("crash-", index))});
      }
      crashes = kept;
    }
    auto gate = std::make_shared<GenerationGate>(recorder, &generation_, generation_, crashes);
    absl::StatusOr<std::shared_ptr<ResourceEventHandlerRegistration>> reg =
        informer_->AddEventHandlerWithOptions(std::move(gate), ho);
    if (!reg.ok()) {
      Violation v;
      v.invariant = "SETUP";
      v.handler = recorder->name();
      v.detail = absl::StrCat("AddEventHandler failed: ", reg.status().ToString());
      checker_.Report(v);
      return;
    }
    recorder->SetRegistration(*reg);
    StrandId strand = 0;
    if (world_.runtime()->strand_count() > strands_before) {
      strand = static_cast<StrandId>(strands_before + 1);
    }
    if (handler_strands_.size() <= index) handler_strands_.resize(index + 1, 0);
    handler_strands_[index] = strand;
    if (strand != 0 && spec.speed != 1.0) world_.SetStrandWeight(strand, spec.speed);
  }

  // A process restart: the informer stops (its tasks drain and find it
  // stopped; it is kept until the end of the run, per core's lifetime rule)
  // and a new one with a new cache starts; every handler re-registers.
  void RestartInformer() {
    ++generation_;
    informer_->Stop();
    retired_.push_back(std::move(informer_));
    informer_synced_ = false;
    // Every handler re-registers before the new informer runs: its initial
    // batch is the new informer's first list.
    for (HandlerSlot& h : handlers_) {
      h.expected_initial.reset();
      h.synced = false;
    }
    MakeInformer();
    checker_.InformerRestarted(informer_->GetIndexer());
    for (const HandlerSlot& h : handlers_) Register(h.index, h.recorder);
    for (size_t i = 0; i < user_slots_.size(); ++i) {
      if (user_slots_[i].added) RegisterUser(i);
    }
    informer_->Run();
    controller_strand_ = FindControllerStrand();
    ++result_.restarts;
  }

  std::string HandlerName(size_t index) const {
    const std::string& name = options_.handlers[index].name;
    return name.empty() ? absl::StrCat("handler-", index) : name;
  }

  // SimOptions::writes, on their own strand (made only when there are any,
  // so that runs without them schedule as before). A write the server
  // refuses is the scenario's mistake: a SETUP violation that names it.
  void ScheduleWrites() {
    if (options_.writes.empty()) return;
    const StrandId strand = world_.runtime()->NewStrand("writes");
    for (const ScriptedWrite& w : options_.writes) {
      world_.runtime()->PostAfter(strand, t0_ + w.at - world_.Now(), [this, w] {
        if (stopped_faults_) return;
        const std::string key = ObjectKey(w.namespace_name, w.name);
        absl::Status status;
        if (w.op == ScriptedWrite::Op::kDelete) {
          status = writer_.Delete(w.namespace_name, w.name).status();
        } else {
          api::Object object;
          object.set_kind("Widget");
          api::ObjectMeta& meta = *object.mutable_metadata();
          meta.set_namespace_(w.namespace_name);
          meta.set_name(w.name);
          for (const auto& [k, v] : w.labels) (*meta.mutable_labels())[k] = v;
          object.set_spec(w.spec);
          status = (w.op == ScriptedWrite::Op::kCreate ? writer_.Create(std::move(object))
                                                       : writer_.Update(std::move(object)))
                       .status();
        }
        const char* op = w.op == ScriptedWrite::Op::kCreate   ? "create"
                         : w.op == ScriptedWrite::Op::kUpdate ? "update"
                                                              : "delete";
        world_.tracer()->Record(WRITE, "script",
                                absl::StrCat(op, " ", key, status.ok() ? "" : " rejected"));
        if (!status.ok()) {
          Violation v;
          v.invariant = "SETUP";
          v.key = key;
          v.detail = absl::StrCat("the scripted ", op, " at ", absl::FormatDuration(w.at),
                                  " was refused: ", status.message());
          checker_.Report(v);
        }
      });
    }
  }

  void ScheduleScripted() {
    const StrandId strand = world_.runtime()->NewStrand("faults");
    for (size_t i = 0; i < options_.handlers.size(); ++i) {
      const absl::Duration at = options_.handlers[i].added_at;
      if (at == absl::ZeroDuration()) continue;
      world_.runtime()->PostAfter(strand, t0_ + at - world_.Now(), [this, i] {
        if (stopped_faults_) return;
        world_.tracer()->Record(FAULT, "add", HandlerName(i));
        result_.injected.push_back(
            absl::StrCat(absl::FormatDuration(world_.Elapsed()), " add ", HandlerName(i)));
        AddHandler(i);
      });
    }
    for (size_t i = 0; i < options_.user_handlers.size(); ++i) {
      const absl::Duration at = options_.user_handlers[i].added_at;
      if (at == absl::ZeroDuration()) continue;
      world_.runtime()->PostAfter(strand, t0_ + at - world_.Now(), [this, i] {
        if (stopped_faults_) return;
        world_.tracer()->Record(FAULT, "add", options_.user_handlers[i].name);
        result_.injected.push_back(absl::StrCat(absl::FormatDuration(world_.Elapsed()), " add ",
                                                options_.user_handlers[i].name));
        AddUserHandler(i);
      });
    }
    faults_strand_ = strand;
    fault_reached_.assign(options_.faults.size(), false);
    for (size_t k = 0; k < options_.faults.size(); ++k) {
      const ScriptedFault& fault = options_.faults[k];
      world_.runtime()->PostAfter(strand, t0_ + fault.at - world_.Now(), [this, fault, k] {
        fault_reached_[k] = true;
        if (fault.on_list) {
          Arm(fault);
        } else {
          Inject(fault);
        }
      });
    }
  }

  // A KIND@list fault waits for the informer's next whole-state request.
  void Arm(const ScriptedFault& fault) {
    if (stopped_faults_) {
      result_.injected.push_back(
          absl::StrCat(DescribeFault(fault), " (not armed: the fault phase had ended)"));
      return;
    }
    world_.tracer()->Record(PHASE, "faults", absl::StrCat("armed ", DescribeFault(fault)));
    armed_.push_back(fault);
  }

  // The informer asks for a whole state: armed faults fire, as tasks of
  // their own (a restart must not run inside the reflector's call).
  void FireArmed() {
    if (armed_.empty()) return;
    std::vector<ScriptedFault> fire;
    fire.swap(armed_);
    for (ScriptedFault& f : fire) {
      world_.runtime()->PostAfter(faults_strand_, absl::ZeroDuration(),
                                  [this, f] { Inject(f); });
    }
  }

  void Inject(const ScriptedFault& fault) {
    if (stopped_faults_) {
      // Not traced: the world is as it would be without the fault.
      result_.injected.push_back(
          absl::StrCat(DescribeFault(fault), " (not injected: the fault phase had ended)"));
      return;
    }
    const std::string described = DescribeFault(fault);
    world_.tracer()->Record(FAULT, FaultKindName(fault.kind), described);
    const absl::Time until = world_.Now() + fault.duration;
    std::string no_effect;
    switch (fault.kind) {
      case FaultKind::kBreakWatches:
        if (server_.BreakWatches() == 0) no_effect = "no watch was open";
        break;
      case FaultKind::kCompact:
        if (!server_.CompactNow()) no_effect = "nothing new to compact";
        break;
      case FaultKind::kLagInstance:
        server_.SetInstanceLag(static_cast<size_t>(fault.target), fault.duration);
        break;
      case FaultKind::kRefuseConnections:
        server_.RefuseConnectionsUntil(until);
        break;
      case FaultKind::kFailRequests:
        server_.FailRequestsUntil(until);
        break;
      case FaultKind::kPauseConsumer:
        if (controller_strand_ != 0) {
          world_.PauseStrand(controller_strand_, until);
        } else {
          no_effect = "no consumer is running";
        }
        consumer_paused_until_ = std::max(consumer_paused_until_, until);
        break;
      case FaultKind::kStallHandler: {
        const size_t h = static_cast<size_t>(fault.target);
        if (h < handler_strands_.size() && handler_strands_[h] != 0) {
          world_.PauseStrand(handler_strands_[h], until);
        } else {
          no_effect = absl::StrCat("handler ", h, " is not registered");
        }
        break;
      }
      case FaultKind::kAddHandler: {
        // An extra handler beyond the configured ones.
        options_.handlers.push_back(HandlerSpec{});
        AddHandler(options_.handlers.size() - 1);
        break;
      }
      case FaultKind::kRestartInformer:
        // A process down after an index crash is restarting already.
        if (!crashed_) {
          RestartInformer();
        } else {
          no_effect = "the informer was already restarting after a crash";
        }
        break;
      case FaultKind::kChurn:
        if (!workload_.Churn(fault.duration)) no_effect = "no live object to churn";
        break;
    }
    result_.injected.push_back(no_effect.empty()
                                   ? described
                                   : absl::StrCat(described, " (no effect: ", no_effect, ")"));
  }

  void CheckQuiescent() {
    checker_.CheckQuiescent(Truth(), *informer_->GetIndexer());
    RunInvariants(UserInvariant::When::kQuiescent, {}, {}, nullptr);
  }

  // The server's objects as the informer should hold them: transformed by
  // the user's transform, if any. An object the transform fails on is
  // compared untransformed (and so reported if the informer stored
  // something else).
  std::vector<ObjectPtr> Truth() {
    std::vector<ObjectPtr> truth = SelectedObjects();
    if (options_.transform == nullptr) return truth;
    for (ObjectPtr& obj : truth) {
      absl::StatusOr<Item> t = options_.transform(Item(obj));
      if (t.ok() && t->is_object()) obj = t->object();
    }
    return truth;
  }

  // ---- User code (sim/user_code.h) ----

  void AddUserHandler(size_t index) {
    user_slots_[index].added = true;
    // While the process is down after an index crash, it joins at the
    // restart.
    if (!crashed_) RegisterUser(index);
  }

  // A fresh instance of user handler `index` for the current informer.
  void RegisterUser(size_t index) {
    const UserHandler& spec = options_.user_handlers[index];
    UserSlot& slot = user_slots_[index];
    slot.instance = spec.make();
    if (slot.instance == nullptr) {
      Violation v;
      v.invariant = "SETUP";
      v.handler = spec.name;
      v.detail = "the user handler's make returned null";
      checker_.Report(v);
      return;
    }
    const size_t strands_before = world_.runtime()->strand_count();
    HandlerOptions ho;
    ho.resync_period = spec.resync_period;
    auto gate = std::make_shared<UserGate>(
        slot.instance, &generation_, generation_,
        [this, name = spec.name](absl::string_view what, const Item& obj) {
          RunInvariants(UserInvariant::When::kAfterNotification, name, what, &obj);
        });
    absl::StatusOr<std::shared_ptr<ResourceEventHandlerRegistration>> reg =
        informer_->AddEventHandlerWithOptions(std::move(gate), ho);
    if (!reg.ok()) {
      Violation v;
      v.invariant = "SETUP";
      v.handler = spec.name;
      v.detail = absl::StrCat("AddEventHandler failed: ", reg.status().ToString());
      checker_.Report(v);
      return;
    }
    if (world_.runtime()->strand_count() > strands_before && spec.speed != 1.0) {
      world_.SetStrandWeight(static_cast<StrandId>(strands_before + 1), spec.speed);
    }
  }

  void RunInvariants(UserInvariant::When when, absl::string_view handler, absl::string_view what,
                     const Item* obj) {
    // Called after every notification of a user handler: build nothing
    // unless an invariant of this kind is there to see it.
    if (std::none_of(options_.invariants.begin(), options_.invariants.end(),
                     [when](const UserInvariant& inv) { return inv.when == when; })) {
      return;
    }
    InvariantContext::Sources sources;
    sources.at = world_.Elapsed();
    sources.cache = informer_->GetIndexer();
    sources.truth = [this] { return SelectedObjects(); };
    sources.handler = [this](absl::string_view name) -> ResourceEventHandler* {
      for (size_t i = 0; i < user_slots_.size(); ++i) {
        if (options_.user_handlers[i].name == name) return user_slots_[i].instance.get();
      }
      return nullptr;
    };
    sources.quiescent = when == UserInvariant::When::kQuiescent;
    sources.notified_handler = handler;
    sources.notification = what;
    sources.notified = obj;
    const InvariantContext context(std::move(sources));
    for (const UserInvariant& inv : options_.invariants) {
      if (inv.when != when) continue;
      const absl::Status status = inv.check(context);
      if (status.ok()) continue;
      Violation v;
      v.invariant = absl::StrCat("USER:", inv.name);
      v.handler = std::string(handler);
      if (obj != nullptr) {
        absl::StatusOr<std::string> key = DeletionHandlingMetaNamespaceKeyFunc(*obj);
        if (key.ok()) v.key = *std::move(key);
      }
      v.detail = std::string(status.message());
      checker_.Report(std::move(v));
    }
  }

  // INV9, the meaning of HasSynced, checked when it turns true: the
  // informer's cache holds every key of the first initial state that has
  // not been deleted since (the same incarnation is still on the server);
  // a registration's handler has been given every object of its initial
  // batch as an initial-list add.
  void CheckSyncMeaning() {
    // Inside an unlocked window after a refused write the process has
    // already crashed (client-go panics in the store).
    if (crashed_ || index_refused_.has_value()) return;
    // Each step comes here: the checks that run once are out of line.
    if (!informer_synced_ && informer_->HasSynced()) InformerSynced();
    for (const auto& h : handlers_) {  // MaybeHandlerSynced adds none
      if (!h.synced) MaybeHandlerSynced(static_cast<size_t>(&h - handlers_.data()));
    }
  }

  // CheckSyncMeaning: the informer's HasSynced has just turned true.
  ABSL_ATTRIBUTE_NOINLINE void InformerSynced() {
    informer_synced_ = true;
    const std::optional<Incarnations>& first = observed_server_.snapshot();
    if (!first.has_value()) return;
    const Store* indexer = informer_->GetIndexer();
    for (const auto& [key, uid] : *first) {
      const ObjectPtr now = server_.store().Get(key);
      if (now == nullptr || now->metadata().uid() != uid) continue;  // deleted since
      if (selector_.has_value() && LeftSelectionSince(key)) continue;
      absl::StatusOr<std::optional<Item>> stored = indexer->GetByKey(key);
      if (stored.ok() && stored->has_value()) continue;
      Violation v;
      v.invariant = "INV9";
      v.key = key;
      v.detail = "the informer reports HasSynced but its cache lacks a key of the first list";
      checker_.Report(v);
    }
  }

  // CheckSyncMeaning for handlers_[i], whose registration was not seen
  // synced.
  ABSL_ATTRIBUTE_NOINLINE void MaybeHandlerSynced(size_t i) {
    auto& h = handlers_[i];
    const auto& registration = h.recorder->registration();
    if (registration == nullptr || !registration->HasSynced()) return;
    h.synced = true;
    const std::optional<Incarnations>& first = observed_server_.snapshot();
    const std::optional<Incarnations>& expected =
        h.expected_initial.has_value() ? h.expected_initial : first;
    if (!expected.has_value()) return;
    for (const auto& [key, uid] : *expected) {
      if (h.recorder->GotInitialAdd(key)) continue;
      Violation v;
      v.invariant = "INV9";
      v.key = key;
      v.handler = h.recorder->name();
      v.detail = "the registration reports HasSynced before the handler got this initial "
                 "object";
      checker_.Report(v);
    }
  }

  // The key left the selection after the state of it that the first
  // initial state held (the informer may have handled that DELETED before
  // it synced, and the key's return may still be on its way).
  bool LeftSelectionSince(const std::string& key) const {
    auto left = left_rv_.find(key);
    if (left == left_rv_.end()) return false;
    auto seen = observed_server_.snapshot_rvs().find(key);
    return seen == observed_server_.snapshot_rvs().end() || left->second > seen->second;
  }

  // Safety at quiescent points during the fault phase too: whenever the
  // informer has caught up with the server and nothing is runnable, the
  // full checks hold. At most once per `quiescent_check_interval` of virtual
  // time (they cost O(objects)), and only for new server states.
  void MaybeCheckQuiescentPoint() {
    if (stopped_faults_ || options_.quiescent_check_interval <= absl::ZeroDuration()) return;
    const absl::Time now = world_.Now();
    if (now < next_quiescent_check_) return;
    const int64_t server_rv = server_.current_rv();
    if (server_rv == last_checked_rv_ || !Quiescent()) return;
    last_checked_rv_ = server_rv;
    next_quiescent_check_ = now + options_.quiescent_check_interval;
    ++result_.quiescent_points_checked;
    world_.tracer()->Record(PHASE, "checker", absl::StrCat("quiescent point at rv=", server_rv));
    CheckQuiescent();
    // Caught up and idle, the informer has nothing older than its last sync
    // in flight, and what it asks for from now on is served at or after
    // OldestServableRv: a key deleted by then cannot come back but by a
    // bug, which the quiescent checks catch as a ghost. (A relist in flight
    // asks at the last sync RV or for the latest state, so it is safe too;
    // waiting for none costs nothing.) The test-only layers may replay
    // anything, so their runs keep every grave.
    if (options_.retire_graves && !options_.server_layer && !options_.client_layer &&
        !observed_server_.initial_state_in_flight()) {
      checker_.RetireGraves(server_.OldestServableRv());
    }
  }

  // How many keys the cache has wrong (missing, ghost or another RV).
  int64_t CountDifferences() const {
    std::map<std::string, std::string> cache;
    for (const Item& item : informer_->GetIndexer()->List()) {
      absl::StatusOr<std::string> key = MetaNamespaceKeyFunc(item);
      if (key.ok()) cache[*key] = std::string(item.resource_version());
    }
    int64_t differ = 0;
    for (const ObjectPtr& o : SelectedObjects()) {
      auto it = cache.find(ObjectKey(o->metadata().namespace_(), o->metadata().name()));
      if (it == cache.end() || it->second != o->metadata().resource_version()) ++differ;
      if (it != cache.end()) cache.erase(it);
    }
    return differ + static_cast<int64_t>(cache.size());
  }

  bool Quiescent() {
    if (crashed_) return false;
    if (world_.runtime()->HasRunnable()) return false;
    if (!informer_->HasSynced()) return false;
    // Before the listeners: while writes come in, this is the test that
    // fails (every test here only reads, so their order is free).
    if (ParseRv(informer_->LastSyncResourceVersion()) < SelectedRv()) return false;
    // A listener that backs off after its handler crashed waits on a timer
    // with notifications still buffered: not idle.
    return !AnyHandlerBehind();
  }

  // ---- The informer's selectors ----

  // The server's objects the informer selects (all of them without a
  // selector): the truth its cache must equal.
  std::vector<ObjectPtr> SelectedObjects() const {
    std::vector<ObjectPtr> objects = server_.Objects();
    if (!selector_.has_value()) return objects;
    objects.erase(std::remove_if(objects.begin(), objects.end(),
                                 [this](const ObjectPtr& o) { return !Selected(o); }),
                  objects.end());
    return objects;
  }

  bool Selected(const ObjectPtr& object) const {
    return object != nullptr &&
           (!selector_.has_value() || selector_->Matches(*object));
  }

  // The RV the reflector must reach to have seen everything it can see:
  // the server's latest, or with a selector the last change that its
  // watches show (one that matched before or after). Later changes outside
  // the selection reach it only through a bookmark or a list, if ever.
  int64_t SelectedRv() const {
    return selector_.has_value() ? selected_rv_ : server_.current_rv();
  }

  void NoteSelectedChange(const Change& change) {
    const bool now_in = change.type != WatchEventType::kDeleted && Selected(change.object);
    const bool was_in = Selected(change.prev);
    if (now_in || was_in) selected_rv_ = change.rv;
    if (was_in && !now_in) left_rv_[change.key] = change.rv;
  }

  void StepLimitViolation(absl::string_view phase) {
    Violation v;
    v.invariant = "LIVENESS";
    v.detail = absl::StrCat("step limit of ", options_.max_steps, " reached in the ", phase,
                            " phase at virtual time ", absl::FormatDuration(world_.Elapsed()),
                            " (an endless loop, or a retry loop that takes no time?)");
    checker_.Report(v);
  }

  void Finish() {
    result_.seed = options_.seed;
    result_.time_travel_findings = checker_.time_travel_findings();
    result_.virtual_time = world_.Elapsed();
    result_.server = server_.stats();
    result_.workload = workload_.stats();
    result_.final_objects = server_.store().size();
    result_.last_sync_resource_version = informer_->LastSyncResourceVersion();
    result_.handler_crashes = informer_->crash_log().count();
    result_.whole_state_requests = observed_server_.whole_state_requests();
    for (const HandlerSlot& h : handlers_) {
      HandlerSummary s = h.summary;
      s.counts = h.recorder->counts();
      result_.handlers.push_back(s);
    }
    result_.restart_time_travel_findings = checker_.restart_time_travel_findings();
    result_.buried_keys = checker_.buried_keys();
    NoteFaultsWithoutEffect();
    CheckExpectations();
    const bool expected_failure = ExpectedFailureMet();
    result_.violations = checker_.violations();
    result_.passed = checker_.ok();
    result_.report = checker_.Describe(options_.seed, ReplayLine());
    if (expected_failure) {
      result_.passed = true;
      result_.expected_violations = std::move(result_.violations);
      result_.violations.clear();
      absl::StrAppend(&result_.report, "the violations above were expected (",
                      absl::StrJoin(options_.expect.fails_with, ", "), "): the run passes\n");
    }
  }

  // SimOptions::expect, once the run is over: each unmet expectation is an
  // EXPECT violation.
  void CheckExpectations() {
    const Expectations& e = options_.expect;
    const auto unmet = [this](std::string detail) {
      Violation v;
      v.invariant = "EXPECT";
      v.detail = std::move(detail);
      checker_.Report(v);
    };
    const int64_t relists = result_.whole_state_requests - 1 - result_.restarts;
    if (e.relist.has_value() && *e.relist != (relists > 0)) {
      unmet(absl::StrCat("expected ", *e.relist ? "a relist" : "no relist", "; the informer made ",
                         std::max<int64_t>(0, relists), " (", result_.whole_state_requests,
                         " whole-state requests, ", result_.restarts, " restarts)"));
    }
    const int64_t lists = result_.server.list_requests - result_.server.list_continues;
    if (e.min_lists.has_value() && lists < *e.min_lists) {
      unmet(absl::StrCat("expected at least ", *e.min_lists, " LIST requests, saw ", lists));
    }
    if (e.max_lists.has_value() && lists > *e.max_lists) {
      unmet(absl::StrCat("expected at most ", *e.max_lists, " LIST requests, saw ", lists));
    }
    if (e.no_time_travel &&
        (result_.time_travel_findings > 0 || result_.restart_time_travel_findings > 0)) {
      unmet(absl::StrCat("expected no time travel; saw ", result_.time_travel_findings,
                         " finding(s) and ", result_.restart_time_travel_findings,
                         " across restarts"));
    }
    if (e.converges_within.has_value() &&
        (!result_.converged || result_.convergence_time > *e.converges_within)) {
      unmet(absl::StrCat("expected convergence within ", absl::FormatDuration(*e.converges_within),
                         result_.converged
                             ? absl::StrCat("; it took ", absl::FormatDuration(result_.convergence_time))
                             : std::string("; it never converged")));
    }
    for (const auto& [handler, key] : e.tombstones) {
      bool got = false;
      for (const HandlerSlot& h : handlers_) {
        if (h.recorder->name() == handler && h.recorder->GotTombstone(key)) got = true;
      }
      if (!got) unmet(absl::StrCat("expected ", handler, " to receive a tombstone for ", key));
    }
    if (e.min_index_crashes.has_value() && result_.index_crashes < *e.min_index_crashes) {
      unmet(absl::StrCat("expected at least ", *e.min_index_crashes, " index crashes, saw ",
                         result_.index_crashes));
    }
    if (e.min_handler_crashes.has_value() && result_.handler_crashes < *e.min_handler_crashes) {
      unmet(absl::StrCat("expected at least ", *e.min_handler_crashes,
                         " handler crashes, saw ", result_.handler_crashes));
    }
    for (const auto& [fault, at_least] : e.faults_taken) {
      int64_t taken = 0;
      auto it = result_.fault_coverage.find(fault);
      if (it != result_.fault_coverage.end()) {
        for (const auto& [state, n] : it->second) taken += n;
      }
      if (taken < at_least) {
        unmet(absl::StrCat("expected the fault ", fault, " to take effect ", at_least,
                           " or more times; it did ", taken));
      }
    }
    if (e.min_restarts.has_value() && result_.restarts < *e.min_restarts) {
      unmet(absl::StrCat("expected at least ", *e.min_restarts, " restarts, saw ",
                         result_.restarts));
    }
  }

  // Expectations::fails_with: whether the run violates exactly those
  // invariants (each of them, no other), and so passes with its violations
  // kept as expected ones. When it does not, an EXPECT violation says so.
  bool ExpectedFailureMet() {
    const std::vector<std::string>& want = options_.expect.fails_with;
    if (want.empty()) return false;
    std::set<std::string> seen;
    for (const Violation& v : checker_.violations()) seen.insert(v.invariant);
    if (seen == std::set<std::string>(want.begin(), want.end())) return true;
    Violation v;
    v.invariant = "EXPECT";
    v.detail = absl::StrCat("expected the run to fail with exactly ", absl::StrJoin(want, ", "),
                            "; it ", seen.empty() ? "passed" : "failed with ",
                            absl::StrJoin(seen, ", "));
    checker_.Report(v);
    return false;
  }

  // Scripted faults the run never carried out, so the summary does not let
  // them pass for injected ones.
  void NoteFaultsWithoutEffect() {
    for (size_t k = 0; k < options_.faults.size(); ++k) {
      if (!fault_reached_.empty() && !fault_reached_[k]) {
        result_.injected.push_back(absl::StrCat(DescribeFault(options_.faults[k]),
                                                " (not injected: the run ended before its time)"));
      }
    }
    for (const ScriptedFault& f : armed_) {
      result_.injected.push_back(
          absl::StrCat(DescribeFault(f), " (no effect: no relist came after it)"));
    }
  }

  // How to run this world again. Code-set parts cannot travel in flags: the
  // code that set them must run again, which `options_.replay` names.
  std::string ReplayLine() const {
    if (!options_.replay.empty()) return options_.replay;
    if (HasCodeSetParts(options_)) {
      return absl::StrCat("run the code that set up this simulation again with seed ",
                          options_.seed, " (it sets handlers, invariants or a queue in code; ",
                          ReplayCommand(run_flags_), " alone runs another world)");
    }
    return ReplayCommand(run_flags_);
  }

  void Shutdown() {
    world_.SetAfterStep(nullptr);
    informer_->Stop();
    for (const auto& retired : retired_) retired->Stop();
    server_.Shutdown();
    world_.ClearPerturbation();
    // Let every posted task see the stop (core's lifetime rule), with a
    // bound: timers far in the future are abandoned with the runtime.
    world_.runtime()->RunUntilIdle(1000000);
  }

  SimOptions options_;
  const std::vector<std::string> run_flags_;
  std::string phase_;
  uint64_t steps_since_progress_ = 0;
  World world_;
  Prng client_random_;
  FakeApiServer server_;
  Checker checker_;
  // Tests only (SimOptions::server_layer): a deliberately broken server.
  std::unique_ptr<ListerWatcher> server_layer_;
  RequestObserver observed_server_;
  CheckedWriter writer_;
  Workload workload_;
  // Test-only layers under each informer (SimOptions::client_layer).
  std::vector<std::unique_ptr<ListerWatcher>> client_layers_;
  std::unique_ptr<SharedIndexInformer> informer_;
  // The informer's selectors (nullopt: none, or ones that select
  // everything); the RV of the last change they show, and per key the RV at
  // which it last left the selection.
  std::optional<ObjectSelection> selector_;
  int64_t selected_rv_ = 0;
  std::map<std::string, int64_t> left_rv_;
  // Informers stopped by a restart; destroyed after the final drain.
  std::vector<std::unique_ptr<SharedIndexInformer>> retired_;
  struct UserSlot {
    bool added = false;  // registered, or due at the next restart
    // The current process's instance (the invariants' view of it).
    std::shared_ptr<ResourceEventHandler> instance;
  };
  std::vector<UserSlot> user_slots_;
  struct HandlerSlot {
    size_t index = 0;  // into options_.handlers
    std::shared_ptr<HandlerRecorder> recorder;
    HandlerSummary summary;
    // A late handler's initial batch (key -> uid); nullopt: the first list.
    std::optional<Incarnations> expected_initial;
    bool synced = false;  // its registration's HasSynced was seen true
  };
  // The tags index function refused an object during the last step. In
  // client-go the store panics there and the process dies (since
  // f660c1f78a04; before, the error was dropped and the indexes were left
  // half-updated: kubernetes#43605). The port refuses the whole write
  // (I2), so the store must hold nothing the function refuses and its
  // indexes must agree with its items; then the process "crashes": the
  // informer stops at once and a new one starts after a pod restart delay.
  void NoteIndexCrash() {
    const std::string key = *std::move(index_refused_);
    index_refused_.reset();
    if (crashed_) return;
    world_.tracer()->Record(FAULT, "index_crash", key);
    ++result_.index_crashes;
    checker_.CheckIndexesNow(*informer_->GetIndexer());
    crashed_ = true;
    // The process is gone: what its listeners still hold is never handled.
    ++generation_;
    informer_->Stop();
    if (crash_strand_ == 0) crash_strand_ = world_.runtime()->NewStrand("crash");
    world_.runtime()->PostAfter(crash_strand_, kIndexCrashRestartDelay, [this] {
      crashed_ = false;
      RestartInformer();
    });
  }

  // Coverage: the informer's state when a fault takes effect.
  void NoteFault(absl::string_view actor) {
    // A scripted fault's effect line repeats it; the end of faults is none.
    static constexpr absl::string_view kNotFaults[] = {
        "end_faults", "break_watches", "instance_lag", "refuse_connections", "fail_requests"};
    for (absl::string_view n : kNotFaults) {
      if (actor == n) return;
    }
    ++result_.fault_coverage[std::string(actor)][InformerState()];
  }

  const char* InformerState() {
    if (informer_ == nullptr || !informer_->HasSynced()) return "unsynced";
    if (observed_server_.initial_state_in_flight()) return "relisting";
    if (world_.runtime()->Now() < consumer_paused_until_) return "consumer-paused";
    return AnyHandlerBehind() ? "handler-behind" : "watching";
  }

  // Some listener has notifications buffered, not yet handled.
  bool AnyHandlerBehind() const {
    for (const HandlerSlot& h : handlers_) {
      const ProcessorListener* listener = h.recorder->listener();
      if (listener != nullptr && listener->pending() > 0) return true;
    }
    return false;
  }

  absl::Time consumer_paused_until_ = absl::InfinitePast();
  StrandId faults_strand_ = 0;
  std::vector<ScriptedFault> armed_;  // KIND@list faults waiting for a relist
  std::vector<bool> fault_reached_;   // per scripted fault: its time came
  // In the order the handlers were added.
  std::vector<HandlerSlot> handlers_;
  // Per crashing handler's index: its crash draws, kept across restarts.
  std::map<size_t, std::shared_ptr<HandlerCrashes>> crashes_;
  bool informer_synced_ = false;
  // Incremented by each restart; handlers of older informers are gated off.
  uint64_t generation_ = 0;
  // When the informer started; fault and handler times count from here.
  absl::Time t0_;
  StrandId controller_strand_ = 0;
  // Index = handler index (options_.handlers).
  std::vector<StrandId> handler_strands_;
  bool stopped_faults_ = false;
  // The after-step checks are running (index failures they cause are not
  // the informer's).
  bool checking_ = false;
  // The key of an object the tags index function refused since the last
  // step; handled by NoteIndexCrash.
  std::optional<std::string> index_refused_;
  // Between an index crash and the restart that follows it.
  bool crashed_ = false;
  StrandId crash_strand_ = 0;
  absl::Time next_quiescent_check_ = absl::InfinitePast();
  int64_t last_checked_rv_ = -1;
  SimResult result_;
};

}  // namespace

absl::StatusOr<SimResult> RunSimulation(const SimOptions& options,
                                        const std::vector<std::string>& run_flags) {
  absl::Status valid = ValidateOptions(options);
  if (!valid.ok()) return valid;
  std::vector<std::string> flags = run_flags;
  if (flags.empty()) flags.push_back(absl::StrCat("--seed=", options.seed));
  // The whole world lives and dies on this thread (DESIGN: no threads under
  // the simulator), so its locks are elided (core/mutex.h).
  SingleThreadedScope single_threaded;
  auto run = std::make_unique<Run>(options, flags);
  return run->Go();
}

std::string ReplayCommand(const std::vector<std::string>& run_flags) {
  return absl::StrCat("bazel run //tools:informer_sim -- ", absl::StrJoin(run_flags, " "));
}

std::string FormatSummary(const SimOptions& o, const SimResult& r) {
  std::string out;
  absl::StrAppend(&out, "InformerSim run: seed ", r.seed, ", scenario ", o.scenario,
                  o.swarm ? " (swarm)" : "", ", profile ", ProfileName(o.profile), "\n");
  absl::StrAppend(&out, "  world: ", o.server.instance_lags.size(), " server instance(s), lags [");
  std::vector<std::string> lags;
  for (absl::Duration d : o.server.instance_lags) lags.push_back(absl::FormatDuration(d));
  absl::StrAppend(&out, absl::StrJoin(lags, ", "), "], ", o.workload.initial_objects,
                  " initial objects, ", o.workload.writes_per_second, " writes/s for ",
                  absl::FormatDuration(o.duration), ", page size ", o.page_size, ", resync ",
                  absl::FormatDuration(o.resync_period));
  if (!o.label_selector.empty()) {
    absl::StrAppend(&out, ", label selector \"", o.label_selector, "\"");
  }
  if (!o.field_selector.empty()) {
    absl::StrAppend(&out, ", field selector \"", o.field_selector, "\"");
  }
  absl::StrAppend(&out, "\n");
  const ApiServerStats& s = r.server;
  absl::StrAppend(&out, "injected:\n");
  absl::StrAppend(&out, "  scripted: ", r.injected.empty() ? "none" : absl::StrJoin(r.injected, ", "),
                  "\n");
  absl::StrAppend(&out, absl::StrFormat(
                            "  server: %d watch breaks, %d expired (410), %d too-large, %d "
                            "throttled (429), %d internal errors (500), %d refused, %d expired "
                            "continues, %d compactions, %d stale lists\n",
                            s.watch_breaks, s.expired_responses, s.too_large_responses,
                            s.too_many_requests, s.internal_errors, s.connections_refused,
                            s.continue_expired, s.compactions, s.stale_lists));
  absl::StrAppend(&out, "what the informer did:\n");
  absl::StrAppend(&out, absl::StrFormat(
                            "  %d LIST requests (%d for next pages; %d pages served), %d WATCH requests (%d opened, "
                            "%d timed out), %d events and %d bookmarks received\n",
                            s.list_requests, s.list_continues, s.list_pages_served,
                            s.watch_requests,
                            s.watches_opened, s.watch_timeouts, s.events_sent, s.bookmarks_sent));
  const WorkloadStats& w = r.workload;
  absl::StrAppend(&out, absl::StrFormat(
                            "  workload: %d creates, %d updates, %d deletes (%d recreated, %d "
                            "short-lived), %d rejected; %d objects at the end\n",
                            w.creates, w.updates, w.deletes, w.recreates, w.short_lived, w.rejected,
                            r.final_objects));
  for (const HandlerSummary& h : r.handlers) {
    absl::StrAppend(&out, absl::StrFormat(
                              "  %s%s%s: %d adds (%d initial), %d updates (%d resync), %d deletes "
                              "(%d tombstones)\n",
                              h.name, h.late ? " (added late)" : "",
                              h.speed < 1 ? absl::StrFormat(" (slow x%.2f)", h.speed) : "",
                              h.counts.adds, h.counts.initial_adds, h.counts.updates,
                              h.counts.sync_updates, h.counts.deletes, h.counts.tombstone_deletes));
  }
  absl::StrAppend(&out, absl::StrFormat(
                            "  converged: %s in %s after faults stopped (%d LIST, %d WATCH); "
                            "reflector at RV %s\n",
                            r.converged ? "yes" : "NO", absl::FormatDuration(r.convergence_time),
                            r.liveness_lists, r.liveness_watches,
                            r.last_sync_resource_version));
  if (r.restarts > 0) {
    absl::StrAppend(&out, "  informer restarts: ", r.restarts,
                    r.index_crashes > 0
                        ? absl::StrCat(" (", r.index_crashes,
                                       " after crashes on an index function error)")
                        : std::string(),
                    o.restart_time_travel_is_violation
                        ? "; keys seen older than before the restart (stale first list) are "
                          "violations in this run (INV4 below)"
                        : absl::StrCat("; keys seen older than before the restart (stale first "
                                       "list, legal client-go behaviour unless the scenario "
                                       "forbids it): ",
                                       r.restart_time_travel_findings),
                    "\n");
  }
  if (r.handler_crashes > 0) {
    absl::StrAppend(&out, "  handler crashes recovered by the informer: ", r.handler_crashes, "\n");
  }
  if (r.time_travel_findings > 0) {
    absl::StrAppend(&out, "  time travel seen (allowed by the scenario): ", r.time_travel_findings,
                    "\n");
  }
  absl::StrAppend(&out, absl::StrFormat(
                            "  %d scheduler steps, %d trace steps, %s virtual; full checks at %d "
                            "quiescent points during the faults and at the end\n",
                            r.scheduler_steps, r.trace_steps,
                            absl::FormatDuration(r.virtual_time), r.quiescent_points_checked));
  absl::StrAppend(&out, absl::StrFormat("trace hash: %016x\n", r.trace_hash));
  if (r.passed) {
    absl::StrAppend(&out, "verdict: PASS (", r.violations.size(), " violations)\n");
  } else {
    absl::StrAppend(&out, "verdict: FAIL\n", r.report);
  }
  return out;
}

}  // namespace sim
}  // namespace informersim
