#include "core/reflector.h"

#include <atomic>
#include <cassert>
#include <deque>
#include <optional>
#include <utility>

#include "absl/base/thread_annotations.h"
#include "absl/strings/str_cat.h"
#include "core/api_errors.h"
#include "core/cache.h"
#include "core/errors.h"
#include "core/keys.h"
#include "core/mutex.h"
#include "core/reflector_store_ext.h"
#include "core/ring_queue.h"
#include "core/retry_with_deadline.h"

namespace informersim {
namespace {

// RF1: client-go fills in its default backoff, steps and all, only when none
// is supplied; a supplied wait.Backoff keeps its Steps, zero when unset, and
// a zero-step backoff never grows.
BackoffOptions EffectiveBackoff(const std::optional<BackoffOptions>& supplied) {
  if (!supplied.has_value()) return BackoffOptions{};  // steps: ceil(cap / initial)
  BackoffOptions b = *supplied;
  if (!b.steps.has_value()) b.steps = 0;
  return b;
}


constexpr absl::Duration kDefaultMinWatchTimeout = absl::Minutes(5);
constexpr absl::Duration kDefaultMaxWatchTimeout = absl::Minutes(10);
constexpr int64_t kDefaultPageSize = 500;  // the pager's default (RF5)
constexpr size_t kMaxLogLines = 64;

// RF6: the list version is unusable; relist from the newest state.
bool IsExpiredOrTooLarge(const absl::Status& s) {
  return IsExpiredOrGone(s) || IsTooLargeResourceVersion(s);
}

// RF9/RF16: errors after which the same request is retried after a backoff.
bool IsWatchErrorRetriable(const absl::Status& s) {
  return IsConnectionRefused(s) || IsTooManyRequests(s);
}

absl::Status VeryShortWatchError(absl::string_view name) {
  return absl::UnavailableError(absl::StrCat(
      "very short watch: ", name,
      ": Unexpected watch close - watch lasted less than a second and no items "
      "received"));
}

// One list() call: the pager state (client-go tools/pager) and the
// reflector's single retry with RV "" (RF5, RF6).
struct ListState {
  std::string initial_rv;  // RF4 choice of this list() call
  int64_t page_size = 0;
  bool retried = false;  // the RV "" retry after expired/too-large
  // The pager run in progress.
  std::string requested_rv;
  ResourceVersionMatch requested_match = ResourceVersionMatch::kUnset;
  ListOptions page_options;  // of the request in flight
  bool full_list_fallback = false;
  bool paginated = false;
  bool accumulating = false;
  std::string list_rv;
  std::vector<ObjectPtr> items;
};

}  // namespace

// All members without a lock annotation belong to the loop strand.
class Reflector::Impl : public std::enable_shared_from_this<Impl> {
 public:
  Impl(ListerWatcher* lw, ReflectorStore* store, Runtime* runtime, RandomSource* random,
       ReflectorOptions options)
      : lw_(lw),
        store_(store),
        runtime_(runtime),
        random_(random),
        options_(std::move(options)),
        loop_strand_(runtime->NewStrand(options_.name)),
        resync_strand_(runtime->NewStrand(absl::StrCat(options_.name, "-resync"))),
        backoff_(EffectiveBackoff(options_.backoff), runtime, random) {
    // RF8: a minimum below client-go's default keeps the default window.
    if (options_.min_watch_timeout > kDefaultMinWatchTimeout) {
      min_watch_timeout_ = options_.min_watch_timeout;
      max_watch_timeout_ = 2 * options_.min_watch_timeout;
    }
    // RF3: the gate, unless the client says it cannot do watch-list.
    use_watch_list_ = options_.use_watch_list && !lw_->IsWatchListSemanticsUnsupported();
    bookmark_store_ = dynamic_cast<ReflectorBookmarkStore*>(store_);
    rv_updater_ = dynamic_cast<ResourceVersionUpdater*>(store_);
    if (auto* ts = dynamic_cast<TransformingStore*>(store_)) {
      if (ts->Transformer()) transformer_ = ts->Transformer();
    }
  }

  ~Impl() {
    // Only when the Runtime dropped tasks without running them: close what
    // is still open.
    if (stream_ != nullptr) stream_->Stop();
  }

  void Run() {
    {
      MutexLock l(&mu_);
      assert(!run_called_ && "Reflector::Run called twice");
      run_called_ = true;
    }
    Post([](Impl* self) { self->RunLoopIteration(); });
  }

  void Stop() {
    if (stopped_.exchange(true)) return;
    TimerId resync_timer = 0;
    {
      MutexLock l(&mu_);
      ++resync_gen_;
      resync_timer = resync_timer_;
      resync_timer_ = 0;
    }
    if (resync_timer != 0) runtime_->Cancel(resync_timer);
    Post([](Impl* self) {
      self->CancelDelay();
      if (self->cycle_active_) self->FinishCycle(absl::OkStatus());
    });
  }

  bool IsStopped() const { return stopped_.load(); }

  std::string LastSyncResourceVersion() const {
    MutexLock l(&mu_);
    return last_sync_rv_;
  }

  ReflectorStats stats() const {
    MutexLock l(&mu_);
    ReflectorStats s = stats_;
    s.relists = syncs_ > 0 ? syncs_ - 1 : 0;
    return s;
  }

  std::vector<std::string> RecentLog() const {
    MutexLock l(&mu_);
    return std::vector<std::string>(log_.begin(), log_.end());
  }

  void SetLastSyncResourceVersionForTest(std::string rv) {
    MutexLock l(&mu_);
    last_sync_rv_ = std::move(rv);
  }

  void ListAndWatchOnce(std::function<void(absl::Status)> done) {
    Post([done = std::move(done)](Impl* self) mutable {
      if (self->stopped_.load()) {
        done(absl::OkStatus());
        return;
      }
      assert(!self->cycle_active_ && "one ListAndWatch at a time");
      self->StartCycle(std::move(done));
    });
  }

  void CancelListAndWatch() {
    Post([](Impl* self) {
      if (self->cycle_active_) self->FinishCycle(absl::OkStatus());
    });
  }

 private:
  enum class Mode : uint8_t {
    kNone,
    kListing,
    kWatchList,  // RF15: streaming into the temporary store
    kWatch,      // RF8-RF12
  };

  // What watch streams deliver to; hops onto the loop strand, tagged with the
  // generation of the request that opened the stream.
  class Consumer final : public WatchConsumer {
   public:
    Consumer(std::weak_ptr<Impl> impl, uint64_t gen) : impl_(std::move(impl)), gen_(gen) {}
    void OnEvent(WatchEvent event) override {
      if (auto impl = impl_.lock()) impl->PostWatchEvent(gen_, std::move(event));
    }
    void OnClosed() override {
      if (auto impl = impl_.lock()) {
        const uint64_t gen = gen_;
        impl->Post([gen](Impl* self) { self->OnWatchClosed(gen); });
      }
    }

   private:
    std::weak_ptr<Impl> impl_;
    const uint64_t gen_;
  };

  template <typename F>
  void Post(F f) {
    runtime_->Post(loop_strand_, [self = shared_from_this(), f = std::move(f)]() mutable {
      f(self.get());
    });
  }

  // A watch event hops to the loop strand through events_: the task posted
  // holds only the Impl, small enough for a Task to keep inline, where a
  // task holding the event cost an allocation per event. One task per
  // event, each taking the oldest. The task is posted under the queue's
  // lock, so with streams sending from several threads at once the tasks
  // still sit on the strand in their events' order: each takes its own
  // event, as when it carried it (and none runs after its stream's
  // OnClosed).
  void PostWatchEvent(uint64_t gen, WatchEvent event) {
    MutexLock l(&events_mu_);
    events_.push_back(QueuedEvent{gen, std::move(event)});
    runtime_->Post(loop_strand_, [self = shared_from_this()] { self->TakeWatchEvent(); });
  }

  void TakeWatchEvent() {
    QueuedEvent e;
    {
      MutexLock l(&events_mu_);
      assert(!events_.empty() && "one queued event per posted task");
      e = std::move(events_.front());
      events_.pop_front();
    }
    OnWatchEvent(e.gen, std::move(e.event));
  }

  void Log(std::string line) {
    MutexLock l(&mu_);
    if (log_.size() == kMaxLogLines) log_.pop_front();
    log_.push_back(std::move(line));
  }

  template <typename Field>
  void Count(Field field) {
    MutexLock l(&mu_);
    ++(stats_.*field);
  }

  void SetLastSync(const std::string& rv) {
    MutexLock l(&mu_);
    last_sync_rv_ = rv;
  }

  void SetUnavailable(bool unavailable) {
    MutexLock l(&mu_);
    last_sync_rv_unavailable_ = unavailable;
  }

  // RF4.
  std::string RelistResourceVersion() const {
    MutexLock l(&mu_);
    if (last_sync_rv_unavailable_) return "";
    if (last_sync_rv_.empty()) return "0";
    return last_sync_rv_;
  }

  // RF15: the watch-list starts from lastSync, or "" when it is unusable.
  std::string RewatchResourceVersion() const {
    MutexLock l(&mu_);
    if (last_sync_rv_unavailable_) return "";
    return last_sync_rv_;
  }

  absl::Duration NextBackoff() {
    Count(&ReflectorStats::backoffs);
    return backoff_.Next();
  }

  // RF8: uniform in [min, max] whole seconds (truncated, as client-go does).
  int64_t WatchTimeoutSeconds() {
    const double min_s = absl::ToDoubleSeconds(min_watch_timeout_);
    const double max_s = absl::ToDoubleSeconds(max_watch_timeout_);
    return static_cast<int64_t>(min_s + random_->Float64() * (max_s - min_s));
  }

  // ---- Timers of the loop strand (backoff waits) ----

  template <typename F>
  void ScheduleDelay(absl::Duration delay, F f) {
    const uint64_t gen = ++gen_;
    delay_timer_ = runtime_->PostAfter(
        loop_strand_, delay,
        [self = shared_from_this(), gen, f = std::move(f)]() mutable {
          if (self->gen_ != gen || self->stopped_.load()) return;
          self->delay_timer_ = 0;
          f(self.get());
        });
  }

  void CancelDelay() {
    if (delay_timer_ != 0) {
      runtime_->Cancel(delay_timer_);
      delay_timer_ = 0;
    }
  }

  // ---- RF1: the run loop ----

  void RunLoopIteration() {
    if (stopped_.load()) return;
    StartCycle([this](absl::Status status) { OnRunCycleDone(std::move(status)); });
  }

  void OnRunCycleDone(absl::Status status) {
    if (!status.ok()) HandleWatchError(status);
    if (stopped_.load()) return;
    // RF1: always wait, also after a clean return.
    ScheduleDelay(NextBackoff(), [](Impl* self) { self->RunLoopIteration(); });
  }

  void HandleWatchError(const absl::Status& status) {
    if (options_.watch_error_handler) {
      options_.watch_error_handler(status);
      return;
    }
    // RF2: the default handler only logs.
    Log(absl::StrCat(IsExpiredOrGone(status) ? "watch closed: " : "failed to watch: ",
                     status.ToString()));
  }

  // ---- One ListAndWatch ----

  void StartCycle(std::function<void(absl::Status)> done) {
    assert(!cycle_active_);
    cycle_active_ = true;
    cycle_done_ = std::move(done);
    pending_resync_error_.reset();
    Count(&ReflectorStats::list_and_watch_runs);
    if (use_watch_list_) {
      StartWatchListAttempt();
    } else {
      StartList();
    }
  }

  // Ends the cycle: everything in flight is abandoned (late callbacks see a
  // newer generation), the resync timer and the watch are stopped.
  void FinishCycle(absl::Status status) {
    if (!cycle_active_) return;
    ++gen_;
    CancelDelay();
    StopResync();
    StopStream();
    temp_store_.reset();
    list_.reset();
    retry_.reset();
    pending_resync_error_.reset();
    mode_ = Mode::kNone;
    cycle_active_ = false;
    auto done = std::move(cycle_done_);
    cycle_done_ = nullptr;
    {
      // RF14: client-go's ListAndWatch returns only after its resync
      // goroutine has ended (watchWithResync waits for it), so a Resync still
      // running on the resync strand (possible with RealRuntime) finishes
      // before the next cycle can Replace.
      MutexLock l(&mu_);
      if (resync_running_) {
        after_resync_ = [done = std::move(done), status = std::move(status)]() mutable {
          done(std::move(status));
        };
        return;
      }
    }
    done(std::move(status));
  }

  void StopStream() {
    if (stream_ != nullptr) {
      stream_->Stop();
      stream_.reset();
    }
  }

  // ---- RF4-RF7: list ----

  void StartList() {
    mode_ = Mode::kListing;
    list_.emplace();
    list_->initial_rv = RelistResourceVersion();
    // RF5.
    if (options_.watch_list_page_size != 0) {
      list_->page_size = options_.watch_list_page_size;
    } else if (paginated_result_) {
      list_->page_size = kDefaultPageSize;
    } else if (!list_->initial_rv.empty() && list_->initial_rv != "0") {
      list_->page_size = 0;
    } else {
      list_->page_size = kDefaultPageSize;
    }
    StartPager(list_->initial_rv);
  }

  void StartPager(const std::string& rv) {
    ListState& st = *list_;
    st.requested_rv = rv;
    st.requested_match = ResourceVersionMatch::kUnset;
    st.full_list_fallback = false;
    st.paginated = false;
    st.accumulating = false;
    st.list_rv.clear();
    st.items.clear();
    ListOptions o;
    o.resource_version = rv;
    o.limit = st.page_size;
    SendList(std::move(o));
  }

  void SendList(ListOptions o) {
    list_->page_options = o;
    const uint64_t gen = ++gen_;
    Count(&ReflectorStats::list_calls);
    std::weak_ptr<Impl> weak = weak_from_this();
    lw_->List(o, [weak, gen](absl::StatusOr<ListPage> page) {
      if (auto impl = weak.lock()) {
        impl->Post([gen, page = std::move(page)](Impl* self) mutable {
          self->OnListPage(gen, std::move(page));
        });
      }
    });
  }

  void OnListPage(uint64_t gen, absl::StatusOr<ListPage> result) {
    if (gen != gen_ || !cycle_active_ || !list_.has_value() || stopped_.load()) return;
    ListState& st = *list_;
    if (!result.ok()) {
      const absl::Status& err = result.status();
      // RF6: an expired continue token makes the pager list everything at
      // once, at the version first asked for.
      if (st.full_list_fallback || !IsResourceExpired(err) ||
          st.page_options.continue_token.empty()) {
        OnPagerFailed(err);
        return;
      }
      ListOptions o = st.page_options;
      o.limit = 0;
      o.continue_token.clear();
      o.resource_version = st.requested_rv;
      o.resource_version_match = st.requested_match;
      st.full_list_fallback = true;
      SendList(std::move(o));
      return;
    }
    ListPage page = std::move(result).value();
    if (st.full_list_fallback || (page.continue_token.empty() && !st.accumulating)) {
      OnPagerSucceeded(std::move(page.resource_version), std::move(page.items));
      return;
    }
    if (!st.accumulating) {
      st.accumulating = true;
      st.list_rv = page.resource_version;
      st.items.reserve(page.items.size() + static_cast<size_t>(st.page_options.limit));
    }
    for (auto& obj : page.items) st.items.push_back(std::move(obj));
    if (page.continue_token.empty()) {
      OnPagerSucceeded(std::move(st.list_rv), std::move(st.items));
      return;
    }
    // RF5: later pages carry only the continue token.
    ListOptions o = st.page_options;
    o.continue_token = std::move(page.continue_token);
    o.resource_version.clear();
    o.resource_version_match = ResourceVersionMatch::kUnset;
    st.paginated = true;
    SendList(std::move(o));
  }

  void OnPagerFailed(const absl::Status& err) {
    ListState& st = *list_;
    // RF6: once, relist from the newest state.
    if (!st.retried && IsExpiredOrTooLarge(err)) {
      st.retried = true;
      SetUnavailable(true);
      StartPager(RelistResourceVersion());
      return;
    }
    FinishCycle(Wrap(err, absl::StrCat("failed to list ", options_.name)));
  }

  void OnPagerSucceeded(std::string rv, std::vector<ObjectPtr> objects) {
    // RF5: only a list at "0" shows that the server really paginates.
    if (list_->initial_rv == "0" && list_->paginated) paginated_result_ = true;
    list_.reset();
    SetUnavailable(false);
    std::vector<Item> found;
    found.reserve(objects.size());
    for (auto& obj : objects) found.emplace_back(std::move(obj));
    // RF7.
    absl::Status s = store_->Replace(std::move(found), rv);
    if (!s.ok()) {
      FinishCycle(Wrap(s, "unable to sync list result"));
      return;
    }
    SetLastSync(rv);
    {
      MutexLock l(&mu_);
      ++syncs_;
    }
    StartWatchPhase(/*have_stream=*/false);
  }

  // ---- RF8-RF14: watch ----

  void StartWatchPhase(bool have_stream) {
    mode_ = Mode::kWatch;
    StartResync();
    retry_.emplace(options_.max_internal_error_retry_duration, absl::Minutes(1),
                   [](const absl::Status& s) { return IsInternalError(s); }, runtime_);
    if (have_stream) {
      // The watch-list's stream: its events propagate their version at once.
      BeginHandleWatch(/*propagate_rv_from_start=*/true);
    } else {
      WatchIteration();
    }
  }

  void WatchIteration() {
    watch_start_ = runtime_->Now();
    ListOptions o;
    o.resource_version = LastSyncResourceVersion();
    o.timeout_seconds = WatchTimeoutSeconds();
    o.allow_watch_bookmarks = true;
    // RF10: a watch from "" or "0" starts with a synthetic state dump whose
    // Added events must not move lastSync.
    propagate_rv_from_start_ = !(o.resource_version.empty() || o.resource_version == "0");
    SendWatch(o);
  }

  void SendWatch(const ListOptions& o) {
    const uint64_t gen = ++gen_;
    Count(&ReflectorStats::watch_calls);
    std::weak_ptr<Impl> weak = weak_from_this();
    auto consumer = std::make_shared<Consumer>(weak, gen);
    lw_->Watch(o, std::move(consumer),
               [weak, gen](absl::StatusOr<std::unique_ptr<WatchStream>> started) {
                 if (auto impl = weak.lock()) {
                   impl->Post([gen, started = std::move(started)](Impl* self) mutable {
                     self->OnWatchStarted(gen, std::move(started));
                   });
                 } else if (started.ok() && *started != nullptr) {
                   (*started)->Stop();
                 }
               });
  }

  void OnWatchStarted(uint64_t gen, absl::StatusOr<std::unique_ptr<WatchStream>> started) {
    if (gen != gen_ || !cycle_active_ || stopped_.load()) {
      // A request abandoned by a stop or a cancel: close what it opened.
      if (started.ok() && *started != nullptr) (*started)->Stop();
      return;
    }
    if (started.ok() && *started == nullptr) {
      // A ListerWatcher bug, handled as a failed watch rather than a hang.
      started = absl::InternalError(
          absl::StrCat("reflector ", options_.name, ": watch succeeded without a stream"));
    }
    if (!started.ok()) {
      if (mode_ == Mode::kWatchList) {
        RetryWatchListOrFallBack(started.status());
      } else {
        OnWatchStartError(started.status());
      }
      return;
    }
    stream_ = std::move(started).value();
    if (mode_ == Mode::kWatchList) {
      event_count_ = 0;
      besides_added_ = false;
    } else {
      BeginHandleWatch(propagate_rv_from_start_, /*reset_start=*/false);
    }
  }

  // RF9.
  void OnWatchStartError(const absl::Status& err) {
    if (IsWatchErrorRetriable(err)) {
      Log(absl::StrCat("watch failed, backing off: ", err.ToString()));
      ScheduleDelay(NextBackoff(), [](Impl* self) { self->WatchIteration(); });
      return;
    }
    FinishCycle(err);
  }

  void BeginHandleWatch(bool propagate_rv_from_start, bool reset_start = true) {
    if (reset_start) watch_start_ = runtime_->Now();
    propagate_rv_from_start_ = propagate_rv_from_start;
    event_count_ = 0;
    besides_added_ = false;
    // RF14: a resync error that arrived while no watch was being handled.
    if (pending_resync_error_.has_value()) {
      absl::Status err = std::move(*pending_resync_error_);
      pending_resync_error_.reset();
      EndStream(std::move(err));
    }
  }

  // RF10 (and RF15 while streaming the watch-list).
  void OnWatchEvent(uint64_t gen, WatchEvent event) {
    if (gen != gen_ || stream_ == nullptr || !cycle_active_ || stopped_.load()) return;
    if (event.type == WatchEventType::kError) {
      EndStream(event.error.ok() ? absl::UnknownError("watch error event without a status")
                                 : std::move(event.error));
      return;
    }
    if (event.object == nullptr || !event.object->has_metadata()) {
      Log(absl::StrCat("unable to understand watch event ",
                       WatchEventTypeName(event.type), ": no object metadata"));
      return;
    }
    const Item item(std::move(event.object));
    const api::ObjectMeta* meta = item.meta();
    const bool watch_list = mode_ == Mode::kWatchList;
    ReflectorStore* target = watch_list ? temp_store_.get() : store_;
    bool initial_events_end = false;
    absl::Status s;
    switch (event.type) {
      case WatchEventType::kAdded:
        s = target->Add(item);
        break;
      case WatchEventType::kModified:
        besides_added_ = true;
        s = target->Update(item);
        break;
      case WatchEventType::kDeleted:
        besides_added_ = true;
        s = target->Delete(item);
        break;
      case WatchEventType::kBookmark: {
        besides_added_ = true;
        auto it = meta->annotations().find(std::string(kInitialEventsEndAnnotation));
        initial_events_end = it != meta->annotations().end() && it->second == "true";
        // Like client-go's cache, the temporary store takes no bookmarks.
        if (!watch_list && bookmark_store_ != nullptr) {
          s = bookmark_store_->Bookmark(meta->resource_version());
        }
        break;
      }
      case WatchEventType::kError:
        break;  // handled above
    }
    if (!s.ok()) {
      Log(absl::StrCat("unable to apply watch event ", WatchEventTypeName(event.type),
                       " to the store: ", s.ToString()));
    }
    const std::string& rv = meta->resource_version();
    if (watch_list) {
      if (besides_added_) watch_list_rv_ = rv;
    } else if (propagate_rv_from_start_ || besides_added_) {
      SetLastSync(rv);
      if (rv_updater_ != nullptr) rv_updater_->UpdateResourceVersion(rv);
    }
    ++event_count_;
    Count(&ReflectorStats::watch_events);
    if (watch_list && initial_events_end) CompleteWatchList();
  }

  // RF11.
  void OnWatchClosed(uint64_t gen) {
    if (gen != gen_ || stream_ == nullptr || !cycle_active_ || stopped_.load()) return;
    if (runtime_->Now() - watch_start_ < absl::Seconds(1) && event_count_ == 0) {
      Count(&ReflectorStats::very_short_watches);
      EndStream(VeryShortWatchError(options_.name));
      return;
    }
    EndStream(absl::OkStatus());
  }

  // handleWatch has returned `status`: the stream is stopped and forgotten.
  void EndStream(absl::Status status) {
    ++gen_;
    StopStream();
    if (mode_ == Mode::kWatchList) {
      if (status.ok()) {
        StartWatchListAttempt();  // RF16: closed before the bookmark
      } else {
        RetryWatchListOrFallBack(status);
      }
      return;
    }
    AfterHandleWatch(std::move(status));
  }

  // RF12.
  void AfterHandleWatch(absl::Status err) {
    retry_->After(err);
    if (err.ok()) {
      WatchIteration();
      return;
    }
    if (IsExpiredOrGone(err)) {
      Log(absl::StrCat("watch closed: ", err.ToString()));
    } else if (IsTooManyRequests(err)) {
      Log("watch returned 429, backing off");
      ScheduleDelay(NextBackoff(), [](Impl* self) { self->WatchIteration(); });
      return;
    } else if (IsInternalError(err) && retry_->ShouldRetry()) {
      Log(absl::StrCat("retrying watch after internal error: ", err.ToString()));
      WatchIteration();
      return;
    } else {
      Log(absl::StrCat("watch ended with error: ", err.ToString()));
    }
    FinishCycle(absl::OkStatus());
  }

  // ---- RF14: resync, on its own strand ----

  void StartResync() {
    if (options_.resync_period <= absl::ZeroDuration()) return;
    uint64_t gen;
    {
      MutexLock l(&mu_);
      gen = ++resync_gen_;
    }
    ArmResync(gen);
  }

  void StopResync() {
    TimerId timer = 0;
    {
      MutexLock l(&mu_);
      ++resync_gen_;
      timer = resync_timer_;
      resync_timer_ = 0;
    }
    if (timer != 0) runtime_->Cancel(timer);
  }

  // Any strand.
  void ArmResync(uint64_t gen) {
    const TimerId timer = runtime_->PostAfter(
        resync_strand_, options_.resync_period,
        [self = shared_from_this(), gen] { self->OnResyncTimer(gen); });
    bool current;
    {
      MutexLock l(&mu_);
      current = resync_gen_ == gen && !stopped_.load();
      if (current) resync_timer_ = timer;
    }
    if (!current) runtime_->Cancel(timer);
  }

  // Resync strand.
  void OnResyncTimer(uint64_t gen) {
    {
      MutexLock l(&mu_);
      if (resync_gen_ != gen || stopped_.load()) return;
      resync_timer_ = 0;
      resync_running_ = true;
    }
    absl::Status s = absl::OkStatus();
    if (!options_.should_resync || options_.should_resync()) {
      Count(&ReflectorStats::resyncs);
      s = store_->Resync();
    }
    std::function<void()> after;
    {
      MutexLock l(&mu_);
      resync_running_ = false;
      after = std::move(after_resync_);
      after_resync_ = nullptr;
    }
    // A cycle that ended meanwhile continues on the reflector's strand.
    if (after) Post([after = std::move(after)](Impl*) mutable { after(); });
    if (!s.ok()) {
      Post([gen, s = std::move(s)](Impl* self) mutable { self->OnResyncError(gen, std::move(s)); });
      return;
    }
    ArmResync(gen);
  }

  void OnResyncError(uint64_t gen, absl::Status err) {
    {
      MutexLock l(&mu_);
      if (resync_gen_ != gen) return;
    }
    if (!cycle_active_ || mode_ != Mode::kWatch) return;
    Log(absl::StrCat("resync failed: ", err.ToString()));
    if (stream_ != nullptr) {
      EndStream(std::move(err));
    } else {
      pending_resync_error_ = std::move(err);
    }
  }

  // ---- RF15/RF16: watch-list ----

  void StartWatchListAttempt() {
    mode_ = Mode::kWatchList;
    watch_list_rv_.clear();
    StoreOptions store_options;
    store_options.transformer = transformer_;
    temp_store_ = NewStore(DeletionHandlingMetaNamespaceKeyFunc, std::move(store_options));
    ListOptions o;
    o.resource_version = RewatchResourceVersion();
    o.allow_watch_bookmarks = true;
    o.send_initial_events = true;
    o.resource_version_match = ResourceVersionMatch::kNotOlderThan;
    o.timeout_seconds = WatchTimeoutSeconds();
    watch_start_ = runtime_->Now();
    event_count_ = 0;
    besides_added_ = false;
    SendWatch(o);
  }

  void RetryWatchListOrFallBack(const absl::Status& err) {
    if (IsWatchErrorRetriable(err)) {
      Log(absl::StrCat("watch-list failed, backing off: ", err.ToString()));
      ScheduleDelay(NextBackoff(), [](Impl* self) { self->StartWatchListAttempt(); });
      return;
    }
    if (IsExpiredOrTooLarge(err)) {
      SetUnavailable(true);
      StartWatchListAttempt();
      return;
    }
    FallBackToList(err);
  }

  // RF3: the watch-list failed; this ListAndWatch lists instead.
  void FallBackToList(const absl::Status& err) {
    Log(absl::StrCat("watch-list failed, falling back to list: ", err.ToString()));
    temp_store_.reset();
    StartList();
  }

  void CompleteWatchList() {
    SetUnavailable(false);
    std::vector<Item> items = temp_store_->List();
    temp_store_.reset();
    absl::Status s = store_->Replace(std::move(items), watch_list_rv_);
    if (!s.ok()) {
      // client-go returns this error without the watch, so ListAndWatch
      // lists instead; the stream is closed here rather than left open.
      ++gen_;
      StopStream();
      FallBackToList(Wrap(s, "unable to sync watch-list result"));
      return;
    }
    SetLastSync(watch_list_rv_);
    {
      MutexLock l(&mu_);
      ++syncs_;
      ++stats_.watch_list_syncs;
    }
    StartWatchPhase(/*have_stream=*/true);
  }

  // ---- Fixed at construction ----
  ListerWatcher* const lw_;
  ReflectorStore* const store_;
  Runtime* const runtime_;
  RandomSource* const random_;
  const ReflectorOptions options_;
  const StrandId loop_strand_;
  const StrandId resync_strand_;
  absl::Duration min_watch_timeout_ = kDefaultMinWatchTimeout;
  absl::Duration max_watch_timeout_ = kDefaultMaxWatchTimeout;
  bool use_watch_list_ = false;
  ReflectorBookmarkStore* bookmark_store_ = nullptr;
  ResourceVersionUpdater* rv_updater_ = nullptr;
  TransformFunc transformer_;

  std::atomic<bool> stopped_{false};

  // ---- Loop strand ----
  BackoffManager backoff_;
  // Bumped whenever the loop stops waiting for something; callbacks of
  // older requests, streams and timers compare and drop themselves.
  uint64_t gen_ = 0;
  bool cycle_active_ = false;
  std::function<void(absl::Status)> cycle_done_;
  Mode mode_ = Mode::kNone;
  TimerId delay_timer_ = 0;
  bool paginated_result_ = false;  // RF5, sticky
  std::optional<ListState> list_;
  std::unique_ptr<WatchStream> stream_;
  absl::Time watch_start_;
  bool propagate_rv_from_start_ = true;
  bool besides_added_ = false;
  int64_t event_count_ = 0;
  std::optional<RetryWithDeadline> retry_;
  std::optional<absl::Status> pending_resync_error_;
  std::unique_ptr<Cache> temp_store_;
  std::string watch_list_rv_;

  // ---- Any thread ----
  mutable Mutex mu_;
  bool run_called_ ABSL_GUARDED_BY(mu_) = false;
  std::string last_sync_rv_ ABSL_GUARDED_BY(mu_);
  bool last_sync_rv_unavailable_ ABSL_GUARDED_BY(mu_) = false;
  ReflectorStats stats_ ABSL_GUARDED_BY(mu_);
  int64_t syncs_ ABSL_GUARDED_BY(mu_) = 0;
  uint64_t resync_gen_ ABSL_GUARDED_BY(mu_) = 0;
  TimerId resync_timer_ ABSL_GUARDED_BY(mu_) = 0;
  // A Resync is running on the resync strand; a cycle that ends meanwhile
  // leaves its completion in after_resync_ (RF14).
  bool resync_running_ ABSL_GUARDED_BY(mu_) = false;
  std::function<void()> after_resync_ ABSL_GUARDED_BY(mu_);
  std::deque<std::string> log_ ABSL_GUARDED_BY(mu_);

  // Watch events on their way to the loop strand (PostWatchEvent).
  struct QueuedEvent {
    uint64_t gen = 0;
    WatchEvent event;
  };
  Mutex events_mu_;
  RingQueue<QueuedEvent> events_ ABSL_GUARDED_BY(events_mu_);
};

Reflector::Reflector(ListerWatcher* lister_watcher, ReflectorStore* store, Runtime* runtime,
                     RandomSource* random, ReflectorOptions options)
    : impl_(std::make_shared<Impl>(lister_watcher, store, runtime, random,
                                   std::move(options))) {}

Reflector::~Reflector() { impl_->Stop(); }

void Reflector::Run() { impl_->Run(); }
void Reflector::Stop() { impl_->Stop(); }
bool Reflector::IsStopped() const { return impl_->IsStopped(); }
std::string Reflector::LastSyncResourceVersion() const {
  return impl_->LastSyncResourceVersion();
}
ReflectorStats Reflector::stats() const { return impl_->stats(); }
void Reflector::ListAndWatchOnce(std::function<void(absl::Status)> done) {
  impl_->ListAndWatchOnce(std::move(done));
}
void Reflector::CancelListAndWatch() { impl_->CancelListAndWatch(); }
std::vector<std::string> Reflector::RecentLog() const { return impl_->RecentLog(); }
void Reflector::SetLastSyncResourceVersionForTest(std::string resource_version) {
  impl_->SetLastSyncResourceVersionForTest(std::move(resource_version));
}

}  // namespace informersim
