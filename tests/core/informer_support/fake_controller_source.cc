#include "tests/core/informer_support/fake_controller_source.h"

#include <atomic>
#include <utility>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "core/api_errors.h"

namespace informersim {
namespace testing_support {

struct FakeControllerSource::Watcher {
  explicit Watcher(std::shared_ptr<WatchConsumer> c) : consumer(std::move(c)) {}
  std::shared_ptr<WatchConsumer> consumer;
  // Set by the client's Stop; deliveries already posted are then dropped.
  std::atomic<bool> stopped{false};
  // Set under the source's lock when the source closed the stream.
  bool closed = false;
};

class FakeControllerSource::Stream final : public WatchStream {
 public:
  explicit Stream(std::shared_ptr<Watcher> watcher) : watcher_(std::move(watcher)) {}
  void Stop() override { watcher_->stopped.store(true); }

 private:
  std::shared_ptr<Watcher> watcher_;
};

FakeControllerSource::FakeControllerSource(Runtime* runtime, bool support_watch_list)
    : runtime_(runtime),
      strand_(runtime->NewStrand("fake_controller_source")),
      support_watch_list_(support_watch_list) {}

FakeControllerSource::~FakeControllerSource() = default;

ObjectPtr FakeControllerSource::Change(WatchEventType type, api::Object obj,
                                       bool notify_watchers) {
  MutexLock lock(&mu_);
  ++last_rv_;
  obj.mutable_metadata()->set_resource_version(absl::StrCat(last_rv_));
  ObjectPtr stored = MakeObject(std::move(obj));
  const ItemKey key{stored->metadata().namespace_(), stored->metadata().name(),
                    stored->metadata().uid()};
  if (type == WatchEventType::kDeleted) {
    items_.erase(key);
  } else {
    items_[key] = stored;
  }
  WatchEvent event{type, stored, absl::OkStatus()};
  changes_.push_back(event);
  if (notify_watchers) {
    PruneLocked();
    for (const std::shared_ptr<Watcher>& w : watchers_) DeliverLocked(w, event);
  }
  return stored;
}

void FakeControllerSource::DeliverLocked(const std::shared_ptr<Watcher>& watcher,
                                         WatchEvent event) {
  runtime_->Post(strand_, [watcher, event = std::move(event)]() mutable {
    if (!watcher->stopped.load()) watcher->consumer->OnEvent(std::move(event));
  });
}

void FakeControllerSource::CloseLocked(const std::shared_ptr<Watcher>& watcher) {
  watcher->closed = true;
  runtime_->Post(strand_, [watcher] {
    if (!watcher->stopped.load()) watcher->consumer->OnClosed();
  });
}

void FakeControllerSource::PruneLocked() {
  std::vector<std::shared_ptr<Watcher>> open;
  open.reserve(watchers_.size());
  for (std::shared_ptr<Watcher>& w : watchers_) {
    if (!w->stopped.load() && !w->closed) open.push_back(std::move(w));
  }
  watchers_ = std::move(open);
}

void FakeControllerSource::ResetWatch() {
  MutexLock lock(&mu_);
  PruneLocked();
  for (const std::shared_ptr<Watcher>& w : watchers_) CloseLocked(w);
  watchers_.clear();
  changes_.clear();
}

void FakeControllerSource::Shutdown() {
  MutexLock lock(&mu_);
  shut_down_ = true;
  PruneLocked();
  for (const std::shared_ptr<Watcher>& w : watchers_) CloseLocked(w);
  watchers_.clear();
}

void FakeControllerSource::SetListError(absl::Status error) {
  MutexLock lock(&mu_);
  list_error_ = std::move(error);
}

int64_t FakeControllerSource::last_rv() const {
  MutexLock lock(&mu_);
  return last_rv_;
}

std::vector<ObjectPtr> FakeControllerSource::Items() const {
  MutexLock lock(&mu_);
  std::vector<ObjectPtr> out;
  out.reserve(items_.size());
  for (const auto& [key, obj] : items_) out.push_back(obj);
  return out;
}

size_t FakeControllerSource::open_watches() const {
  MutexLock lock(&mu_);
  size_t n = 0;
  for (const std::shared_ptr<Watcher>& w : watchers_) {
    if (!w->stopped.load() && !w->closed) ++n;
  }
  return n;
}

int64_t FakeControllerSource::list_calls() const {
  MutexLock lock(&mu_);
  return list_calls_;
}

int64_t FakeControllerSource::watch_calls() const {
  MutexLock lock(&mu_);
  return watch_calls_;
}

void FakeControllerSource::List(const ListOptions& options, ListCallback done) {
  MutexLock lock(&mu_);
  ++list_calls_;
  if (shut_down_ || !list_error_.ok()) {
    absl::Status error =
        shut_down_ ? absl::UnavailableError("fake source is shut down") : list_error_;
    runtime_->Post(strand_, [done = std::move(done), error]() mutable { done(error); });
    return;
  }
  ListPage page;
  page.resource_version = absl::StrCat(last_rv_);
  page.items.reserve(items_.size());
  for (const auto& [key, obj] : items_) page.items.push_back(obj);
  runtime_->Post(strand_, [done = std::move(done), page = std::move(page)]() mutable {
    done(std::move(page));
  });
}

void FakeControllerSource::Watch(const ListOptions& options,
                                 std::shared_ptr<WatchConsumer> consumer, WatchCallback started) {
  MutexLock lock(&mu_);
  ++watch_calls_;
  const auto fail = [&](absl::Status error) {
    runtime_->Post(strand_, [started = std::move(started), error]() mutable { started(error); });
  };
  if (shut_down_) return fail(absl::UnavailableError("fake source is shut down"));

  auto watcher = std::make_shared<Watcher>(std::move(consumer));
  const auto open = [&]() {
    auto stream = std::make_unique<Stream>(watcher);
    runtime_->Post(strand_, [started = std::move(started), stream = std::move(stream)]() mutable {
      started(std::unique_ptr<WatchStream>(std::move(stream)));
    });
  };

  if (!support_watch_list_ && options.send_initial_events.has_value()) {
    // As an API server with the WatchList feature off: the field is refused,
    // so the reflector falls back to LIST (RF16) instead of waiting forever
    // for an initial-events-end bookmark.
    return fail(InvalidApiError(
        "sendInitialEvents is forbidden for watch unless the WatchList feature is enabled"));
  }
  if (support_watch_list_ && options.send_initial_events.value_or(false)) {
    open();
    for (const auto& [key, obj] : items_) {
      DeliverLocked(watcher, WatchEvent{WatchEventType::kAdded, obj, absl::OkStatus()});
    }
    api::Object bookmark;
    bookmark.set_kind("Pod");
    bookmark.mutable_metadata()->set_resource_version(absl::StrCat(last_rv_));
    (*bookmark.mutable_metadata()->mutable_annotations())[std::string(
        kInitialEventsEndAnnotation)] = "true";
    DeliverLocked(watcher,
                  WatchEvent{WatchEventType::kBookmark, MakeObject(std::move(bookmark)),
                             absl::OkStatus()});
    watchers_.push_back(std::move(watcher));
    return;
  }

  int64_t rc = 0;
  if (!absl::SimpleAtoi(options.resource_version, &rc)) {
    return fail(absl::InvalidArgumentError(absl::StrCat(
        "fake source: resource version \"", options.resource_version, "\" is not an integer")));
  }
  if (rc < last_rv_) {
    const int64_t oldest = last_rv_ - static_cast<int64_t>(changes_.size()) + 1;
    if (changes_.empty() || rc < oldest) {
      return fail(ExpiredError(absl::StrCat("too old resource version: ", rc, " (",
                                            changes_.empty() ? last_rv_ : oldest, ")")));
    }
    open();
    for (size_t i = static_cast<size_t>(rc - oldest + 1); i < changes_.size(); ++i) {
      DeliverLocked(watcher, changes_[i]);
    }
  } else if (rc > last_rv_) {
    return fail(absl::InvalidArgumentError(
        "resource version in the future not supported by this fake"));
  } else {
    open();
  }
  watchers_.push_back(std::move(watcher));
}

}  // namespace testing_support
}  // namespace informersim
