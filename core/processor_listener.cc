#include "core/processor_listener.h"

#include <exception>
#include <utility>

#include "absl/strings/str_cat.h"

namespace informersim {

namespace {

// SI9: client-go's run loop sleeps this long after a recovered panic.
constexpr absl::Duration kCrashBackoff = absl::Seconds(1);

}  // namespace

void HandlerCrashLog::Record(std::string message) {
  MutexLock lock(&mu_);
  ++count_;
  if (messages_.size() < kMaxMessages) messages_.push_back(std::move(message));
}

int64_t HandlerCrashLog::count() const {
  MutexLock lock(&mu_);
  return count_;
}

std::vector<std::string> HandlerCrashLog::messages() const {
  MutexLock lock(&mu_);
  return messages_;
}

ProcessorListener::ProcessorListener(std::shared_ptr<ResourceEventHandler> handler,
                                     Runtime* runtime, absl::Duration requested_resync_period,
                                     absl::Duration resync_period, absl::Time now,
                                     std::function<bool()> upstream_has_synced,
                                     std::shared_ptr<HandlerCrashLog> crash_log)
    : handler_(std::move(handler)),
      runtime_(runtime),
      strand_(runtime->NewStrand("processor_listener")),
      requested_resync_period_(requested_resync_period),
      upstream_has_synced_(std::move(upstream_has_synced)),
      crash_log_(crash_log != nullptr ? std::move(crash_log)
                                      : std::make_shared<HandlerCrashLog>()),
      resync_period_(resync_period),
      next_resync_(now + resync_period) {}

void ProcessorListener::Add(Notification n) {
  MutexLock lock(&mu_);
  if (stopped_) return;
  if (n.kind == Notification::Kind::kAdd && n.is_in_initial_list) ++pending_initial_;
  buffer_.push_back(std::move(n));
  if (started_) PostDispatchLocked();
}

void ProcessorListener::Start() {
  MutexLock lock(&mu_);
  if (started_ || stopped_) return;
  started_ = true;
  if (!buffer_.empty()) PostDispatchLocked();
}

void ProcessorListener::StartSyncWatch() {
  MutexLock lock(&mu_);
  sync_watch_started_ = true;
}

void ProcessorListener::PostDispatchLocked() {
  if (dispatch_pending_) return;
  dispatch_pending_ = true;
  std::shared_ptr<ProcessorListener> self = shared_from_this();
  if (sleep_after_crash_) {
    sleep_after_crash_ = false;
    runtime_->PostAfter(strand_, kCrashBackoff, [self] { self->Dispatch(); });
  } else {
    runtime_->Post(strand_, [self] { self->Dispatch(); });
  }
}

void ProcessorListener::Dispatch() {
  Notification n;
  {
    MutexLock lock(&mu_);
    dispatch_pending_ = false;
    if (stopped_ || buffer_.empty()) {
      MaybeFinishLocked();
      return;
    }
    n = std::move(buffer_.front());
    buffer_.pop_front();
    in_handler_ = true;
  }
  bool crashed = false;
  std::string what;
  try {
    switch (n.kind) {
      case Notification::Kind::kAdd:
        handler_->OnAdd(n.new_obj, n.is_in_initial_list);
        break;
      case Notification::Kind::kUpdate:
        handler_->OnUpdate(n.old_obj, n.new_obj);
        break;
      case Notification::Kind::kDelete:
        handler_->OnDelete(n.old_obj);
        break;
    }
  } catch (const std::exception& e) {
    crashed = true;
    what = e.what();
  } catch (...) {
    crashed = true;
    what = "unknown exception";
  }
  if (crashed) crash_log_->Record(absl::StrCat("Observed a panic: ", what));

  MutexLock lock(&mu_);
  in_handler_ = false;
  if (crashed) {
    // SI9: the notification is skipped; the next waits a second. A crashed
    // initial add stays pending, so the registration never syncs (SI11).
    ++crashes_;
    sleep_after_crash_ = true;
  } else {
    ++delivered_;
    if (n.kind == Notification::Kind::kAdd && n.is_in_initial_list) --pending_initial_;
  }
  if (stopped_) {
    MaybeFinishLocked();
    return;
  }
  if (!buffer_.empty()) PostDispatchLocked();
}

void ProcessorListener::Stop() {
  MutexLock lock(&mu_);
  if (stopped_) return;
  stopped_ = true;
  buffer_.clear();
  MaybeFinishLocked();
}

void ProcessorListener::MaybeFinishLocked() {
  if (finished_ || !stopped_ || in_handler_) return;
  finished_ = true;
  std::vector<std::function<void()>> done = std::move(on_shutdown_);
  on_shutdown_.clear();
  MutexUnlock unlock(&mu_);
  for (auto& f : done) f();
}

void ProcessorListener::OnShutDown(std::function<void()> done) {
  {
    MutexLock lock(&mu_);
    if (!finished_) {
      on_shutdown_.push_back(std::move(done));
      return;
    }
  }
  done();
}

bool ProcessorListener::HasSynced() const {
  if (synced_latched_.load(std::memory_order_acquire)) return true;
  {
    MutexLock lock(&mu_);
    if (!sync_watch_started_ || pending_initial_ > 0) return false;
  }
  // SI11: the informer's sync, read without our lock (it reads the queue).
  if (upstream_has_synced_ != nullptr && !upstream_has_synced_()) return false;
  synced_latched_.store(true, std::memory_order_release);
  return true;
}

bool ProcessorListener::IsShutDown() const {
  MutexLock lock(&mu_);
  return finished_;
}

bool ProcessorListener::ShouldResync(absl::Time now) const {
  MutexLock lock(&mu_);
  if (resync_period_ == absl::ZeroDuration()) return false;
  return now >= next_resync_;
}

void ProcessorListener::DetermineNextResync(absl::Time now) {
  MutexLock lock(&mu_);
  next_resync_ = now + resync_period_;
}

void ProcessorListener::SetResyncPeriod(absl::Duration period) {
  MutexLock lock(&mu_);
  resync_period_ = period;
}

absl::Duration ProcessorListener::resync_period() const {
  MutexLock lock(&mu_);
  return resync_period_;
}

size_t ProcessorListener::pending() const {
  MutexLock lock(&mu_);
  return buffer_.size();
}

int64_t ProcessorListener::delivered() const {
  MutexLock lock(&mu_);
  return delivered_;
}

int64_t ProcessorListener::crashes() const {
  MutexLock lock(&mu_);
  return crashes_;
}

// ---------------------------------------------------------------------------

bool SharedProcessor::AddListener(std::shared_ptr<ProcessorListener> listener) {
  MutexLock lock(&mu_);
  ProcessorListener* raw = listener.get();
  listeners_.push_back(Entry{std::move(listener), true});
  // Not the sync watch: a late joiner's synthetic adds come first (SI7).
  if (started_) raw->Start();
  return started_;
}

bool SharedProcessor::RemoveListener(const ProcessorListener* listener) {
  std::shared_ptr<ProcessorListener> removed;
  {
    MutexLock lock(&mu_);
    for (auto it = listeners_.begin(); it != listeners_.end(); ++it) {
      if (it->listener.get() == listener) {
        removed = std::move(it->listener);
        listeners_.erase(it);
        break;
      }
    }
  }
  if (removed == nullptr) return false;
  removed->Stop();  // may run shutdown callbacks: outside our lock
  return true;
}

bool SharedProcessor::HasListener(const ProcessorListener* listener) const {
  MutexLock lock(&mu_);
  for (const Entry& e : listeners_) {
    if (e.listener.get() == listener) return true;
  }
  return false;
}

void SharedProcessor::Distribute(const Notification& n, bool sync) {
  MutexLock lock(&mu_);
  for (const Entry& e : listeners_) {
    // SI4: sync notifications only reach listeners due for a resync.
    if (!sync || e.syncing) e.listener->Add(n);
  }
}

void SharedProcessor::Run() {
  MutexLock lock(&mu_);
  started_ = true;
  for (const Entry& e : listeners_) {
    e.listener->StartSyncWatch();
    e.listener->Start();
  }
}

void SharedProcessor::Stop() {
  std::vector<Entry> listeners;
  {
    MutexLock lock(&mu_);
    listeners = std::move(listeners_);
    listeners_.clear();
    started_ = false;
  }
  for (const Entry& e : listeners) e.listener->Stop();
}

bool SharedProcessor::ShouldResync(absl::Time now) {
  MutexLock lock(&mu_);
  bool any = false;
  for (Entry& e : listeners_) {
    e.syncing = e.listener->ShouldResync(now);
    if (e.syncing) {
      any = true;
      e.listener->DetermineNextResync(now);
    }
  }
  return any;
}

void SharedProcessor::ResyncCheckPeriodChanged(absl::Duration check_period) {
  MutexLock lock(&mu_);
  for (const Entry& e : listeners_) {
    e.listener->SetResyncPeriod(
        DetermineResyncPeriod(e.listener->requested_resync_period(), check_period));
  }
}

size_t SharedProcessor::listener_count() const {
  MutexLock lock(&mu_);
  return listeners_.size();
}

absl::Duration DetermineResyncPeriod(absl::Duration desired, absl::Duration check) {
  if (desired == absl::ZeroDuration()) return desired;
  if (check == absl::ZeroDuration()) return absl::ZeroDuration();  // no resyncs at all
  if (desired < check) return check;
  return desired;
}

}  // namespace informersim
