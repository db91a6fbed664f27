#include "tests/core/support/lister_watcher_doubles.h"

#include <utility>

namespace informersim {
namespace testing_support {

ObjectPtr MakePod(absl::string_view name, absl::string_view resource_version,
                  absl::string_view ns) {
  api::Object obj;
  obj.set_kind("Pod");
  obj.mutable_metadata()->set_name(std::string(name));
  obj.mutable_metadata()->set_namespace_(std::string(ns));
  obj.mutable_metadata()->set_uid(std::string(name));
  obj.mutable_metadata()->set_resource_version(std::string(resource_version));
  return MakeObject(std::move(obj));
}

ObjectPtr MakeBookmark(absl::string_view resource_version, bool initial_events_end,
                       absl::string_view annotation_value) {
  api::Object obj;
  obj.set_kind("Pod");
  obj.mutable_metadata()->set_resource_version(std::string(resource_version));
  if (initial_events_end) {
    (*obj.mutable_metadata()->mutable_annotations())[std::string(
        kInitialEventsEndAnnotation)] = std::string(annotation_value);
  }
  return MakeObject(std::move(obj));
}

uint64_t SplitMixRandom::NextUint64() {
  MutexLock l(&mu_);
  uint64_t z = (state_ += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

namespace {

class Handle final : public WatchStream {
 public:
  explicit Handle(std::function<void()> stop) : stop_(std::move(stop)) {}
  void Stop() override { stop_(); }

 private:
  std::function<void()> stop_;
};

}  // namespace

void FakeWatcher::Error(absl::Status status) {
  MutexLock l(&mu_);
  Pending p;
  p.event.type = WatchEventType::kError;
  p.event.error = std::move(status);
  DeliverLocked(std::move(p));
}

void FakeWatcher::Action(WatchEventType type, ObjectPtr obj) {
  MutexLock l(&mu_);
  Pending p;
  p.event.type = type;
  p.event.object = std::move(obj);
  DeliverLocked(std::move(p));
}

void FakeWatcher::Stop() {
  MutexLock l(&mu_);
  if (closed_by_server_ || stopped_by_client_) return;
  Pending p;
  p.closed = true;
  DeliverLocked(std::move(p));
  closed_by_server_ = true;
}

void FakeWatcher::DeliverLocked(Pending p) {
  if (closed_by_server_ || stopped_by_client_) return;
  if (consumer_ == nullptr) {
    buffered_.push_back(std::move(p));
    return;
  }
  if (p.closed) {
    consumer_->OnClosed();
  } else {
    ++delivered_;
    consumer_->OnEvent(std::move(p.event));
  }
}

bool FakeWatcher::IsStopped() const {
  MutexLock l(&mu_);
  return closed_by_server_ || stopped_by_client_;
}

bool FakeWatcher::StoppedByClient() const {
  MutexLock l(&mu_);
  return stopped_by_client_;
}

int64_t FakeWatcher::delivered() const {
  MutexLock l(&mu_);
  return delivered_;
}

void FakeWatcher::StopByClient() {
  MutexLock l(&mu_);
  stopped_by_client_ = true;
  buffered_.clear();
  consumer_.reset();
}

std::unique_ptr<WatchStream> FakeWatcher::NewHandle() {
  std::weak_ptr<FakeWatcher> weak = weak_from_this();
  return std::make_unique<Handle>([weak] {
    if (auto w = weak.lock()) w->StopByClient();
  });
}

void FakeWatcher::Attach(std::shared_ptr<WatchConsumer> consumer) {
  MutexLock l(&mu_);
  if (stopped_by_client_) return;
  consumer_ = std::move(consumer);
  std::vector<Pending> buffered = std::move(buffered_);
  buffered_.clear();
  // Flushing may meet a buffered close; DeliverLocked must not see it as
  // already closed.
  const bool was_closed = closed_by_server_;
  closed_by_server_ = false;
  for (auto& p : buffered) DeliverLocked(std::move(p));
  closed_by_server_ = was_closed;
}

void FuncListerWatcher::List(const ListOptions& options, ListCallback done) {
  {
    MutexLock l(&mu_);
    list_options_.push_back(options);
    request_options_.push_back(options);
  }
  done(list_fn_ ? list_fn_(options)
                : absl::StatusOr<ListPage>(absl::UnimplementedError("no list function")));
}

void FuncListerWatcher::Watch(const ListOptions& options,
                              std::shared_ptr<WatchConsumer> consumer,
                              WatchCallback started) {
  {
    MutexLock l(&mu_);
    watch_options_.push_back(options);
    request_options_.push_back(options);
  }
  absl::StatusOr<std::shared_ptr<FakeWatcher>> w =
      watch_fn_ ? watch_fn_(options)
                : absl::StatusOr<std::shared_ptr<FakeWatcher>>(
                      absl::UnimplementedError("no watch function"));
  if (!w.ok()) {
    started(w.status());
    return;
  }
  std::shared_ptr<FakeWatcher> watcher = *std::move(w);
  started(watcher->NewHandle());
  watcher->Attach(std::move(consumer));
}

std::vector<ListOptions> FuncListerWatcher::list_options() const {
  MutexLock l(&mu_);
  return list_options_;
}

std::vector<ListOptions> FuncListerWatcher::watch_options() const {
  MutexLock l(&mu_);
  return watch_options_;
}

std::vector<ListOptions> FuncListerWatcher::request_options() const {
  MutexLock l(&mu_);
  return request_options_;
}

}  // namespace testing_support
}  // namespace informersim
