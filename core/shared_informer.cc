#include "core/shared_informer.h"

#include "absl/strings/str_cat.h"
#include "core/errors.h"

#include <cxxabi.h>

#include <algorithm>
#include <cstdlib>
#include <typeinfo>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "core/keys.h"

namespace informersim {

namespace {

// SI6: client-go minimumResyncPeriod.
constexpr absl::Duration kMinimumResyncPeriod = absl::Seconds(1);

}  // namespace

// SI3: the informer as processDeltas' handler. Runs under block_deltas_.
class SharedIndexInformer::DeltaHandler final : public ResourceEventHandler {
 public:
  explicit DeltaHandler(SharedProcessor* processor) : processor_(processor) {}

  void OnAdd(const Item& obj, bool is_in_initial_list) override {
    processor_->Distribute(Notification::Add(obj, is_in_initial_list), /*sync=*/false);
  }
  void OnUpdate(const Item& old_obj, const Item& new_obj) override {
    // SI3: an unchanged RV marks a resync (or a relist that changed nothing).
    bool is_sync = false;
    if (new_obj.meta() != nullptr && old_obj.meta() != nullptr) {
      is_sync = new_obj.resource_version() == old_obj.resource_version();
    }
    processor_->Distribute(Notification::Update(old_obj, new_obj), is_sync);
  }
  void OnDelete(const Item& obj) override {
    processor_->Distribute(Notification::Delete(obj), /*sync=*/false);
  }

 private:
  SharedProcessor* const processor_;
};

SharedIndexInformer::SharedIndexInformer(Runtime* runtime, QueueFeederFactory feeder_factory,
                                         SharedIndexInformerOptions options)
    : runtime_(runtime),
      feeder_factory_(std::move(feeder_factory)),
      options_(std::move(options)),
      indexer_(NewIndexer(DeletionHandlingMetaNamespaceKeyFunc, options_.indexers,
                          StoreOptions{nullptr, /*track_resource_version=*/
                                       UsesAtomicFIFO(options_.profile.profile)})),
      crash_log_(std::make_shared<HandlerCrashLog>()),
      delta_handler_(std::make_unique<DeltaHandler>(&processor_)),
      resync_check_period_(options_.resync_period) {}

SharedIndexInformer::~SharedIndexInformer() {
  Stop();
  controller_.reset();  // detaches its tasks from the queue
  processor_.Stop();
}

absl::StatusOr<std::shared_ptr<ResourceEventHandlerRegistration>>
SharedIndexInformer::AddEventHandler(std::shared_ptr<ResourceEventHandler> handler) {
  return AddEventHandlerWithOptions(std::move(handler), HandlerOptions{});
}

absl::StatusOr<std::shared_ptr<ResourceEventHandlerRegistration>>
SharedIndexInformer::AddEventHandlerWithResyncPeriod(std::shared_ptr<ResourceEventHandler> handler,
                                                     absl::Duration resync_period) {
  return AddEventHandlerWithOptions(std::move(handler), HandlerOptions{resync_period});
}

namespace {

// The dynamic type of a handler, demangled where the compiler allows.
std::string HandlerTypeName(const ResourceEventHandler& handler) {
  const char* mangled = typeid(handler).name();
  int status = 0;
  char* demangled = abi::__cxa_demangle(mangled, nullptr, nullptr, &status);
  std::string name = status == 0 && demangled != nullptr ? demangled : mangled;
  std::free(demangled);
  return name;
}

}  // namespace

absl::StatusOr<std::shared_ptr<ResourceEventHandlerRegistration>>
SharedIndexInformer::AddEventHandlerWithOptions(std::shared_ptr<ResourceEventHandler> handler,
                                                HandlerOptions options) {
  assert(handler != nullptr);
  MutexLock lock(&started_mu_);
  if (stopped_) {
    // client-go prints the handler value (%v); its type is what C++ can
    // name deterministically.
    return absl::FailedPreconditionError(
        absl::StrCat("handler ", HandlerTypeName(*handler),
                     " was not added to shared informer because it has stopped already"));
  }
  absl::Duration period = options.resync_period.value_or(options_.resync_period);
  if (period > absl::ZeroDuration()) {
    if (period < kMinimumResyncPeriod) period = kMinimumResyncPeriod;  // SI6
    if (period < resync_check_period_) {
      if (started_) {
        period = resync_check_period_;
      } else {
        resync_check_period_ = period;
        processor_.ResyncCheckPeriodChanged(period);
      }
    }
  }
  auto listener = std::make_shared<ProcessorListener>(
      std::move(handler), runtime_, period, DetermineResyncPeriod(period, resync_check_period_),
      runtime_->Now(), [this] { return HasSynced(); }, crash_log_);
  if (!started_) {
    processor_.AddListener(listener);
    return std::shared_ptr<ResourceEventHandlerRegistration>(std::move(listener));
  }
  // SI7: a late join sees the cache as of now, under block_deltas_, before
  // its sync watch starts.
  MutexLock block(&block_deltas_);
  const bool running = processor_.AddListener(listener);
  std::vector<std::string> keys = indexer_->ListKeys();
  std::sort(keys.begin(), keys.end());  // deterministic (client-go: map order)
  for (const std::string& key : keys) {
    absl::StatusOr<std::optional<Item>> item = indexer_->GetByKey(key);
    if (item.ok() && item->has_value()) {
      listener->Add(Notification::Add(**std::move(item), /*is_in_initial_list=*/true));
    }
  }
  if (running) listener->StartSyncWatch();
  return std::shared_ptr<ResourceEventHandlerRegistration>(std::move(listener));
}

absl::Status SharedIndexInformer::RemoveEventHandler(
    const std::shared_ptr<ResourceEventHandlerRegistration>& handle) {
  auto* listener = dynamic_cast<ProcessorListener*>(handle.get());
  if (listener == nullptr) {
    return absl::InvalidArgumentError("RemoveEventHandler: not a handle of a shared informer");
  }
  MutexLock lock(&started_mu_);
  MutexLock block(&block_deltas_);
  processor_.RemoveListener(listener);  // SI8: unknown or removed -> no-op
  return absl::OkStatus();
}

absl::Status SharedIndexInformer::ShutDownEventHandler(
    const std::shared_ptr<ResourceEventHandlerRegistration>& handle, std::function<void()> done) {
  absl::Status status = RemoveEventHandler(handle);
  if (!status.ok()) return status;
  if (done) static_cast<ProcessorListener*>(handle.get())->OnShutDown(std::move(done));
  return absl::OkStatus();
}

void SharedIndexInformer::Run() {
  Controller* controller = nullptr;
  {
    MutexLock lock(&started_mu_);
    if (started_) {
      ++run_calls_ignored_;  // SI1: client-go logs and returns
      return;
    }
    started_ = true;
    if (stop_requested_) {
      stopped_ = true;
      return;
    }
    absl::StatusOr<std::unique_ptr<Queue>> queue =
        options_.queue_factory
            ? options_.queue_factory(options_.profile, indexer_.get(), transform_,
                                     options_.batch_size)
            : NewQueueForProfile(options_.profile, indexer_.get(), transform_,
                                 options_.batch_size, options_.unlocked_window);
    if (queue.ok() && *queue == nullptr) {
      queue = absl::InvalidArgumentError("the queue factory made no queue");
    }
    if (!queue.ok()) {
      run_status_ = Wrap(queue.status(), absl::StrCat("informer ", options_.name,
                                                       ": cannot start"));
      stopped_ = true;
      return;
    }
    queue_ = *std::move(queue);

    ControllerConfig config;
    config.name = options_.name;
    config.queue = queue_.get();
    config.runtime = runtime_;
    config.feeder_factory = feeder_factory_;
    ReflectorOptions& feeder = config.feeder_options;
    feeder.name = options_.name;
    feeder.resync_period = resync_check_period_;
    feeder.should_resync = [this] { return processor_.ShouldResync(runtime_->Now()); };
    feeder.watch_list_page_size = options_.watch_list_page_size;
    feeder.min_watch_timeout = options_.min_watch_timeout;
    feeder.max_internal_error_retry_duration = options_.max_internal_error_retry_duration;
    feeder.use_watch_list = UsesWatchList(options_.profile.profile);
    feeder.watch_error_handler = watch_error_handler_;
    config.process = [this](const Deltas& deltas, bool initial) {
      return HandleDeltas(deltas, initial);
    };
    config.process_batch = [this](absl::Span<const Delta> deltas, bool initial) {
      return HandleBatchDeltas(deltas, initial);
    };
    config.batch_process = UsesBatchProcessing(options_.profile.profile);
    config.drain_closed_queue_after_stop = DrainsClosedQueueAfterStop(options_.profile.profile);
    controller_ = std::make_unique<Controller>(std::move(config));
    controller = controller_.get();
    controller_ptr_.store(controller);
  }
  processor_.Run();
  controller->Run([this] { OnControllerStopped(); });
}

void SharedIndexInformer::OnControllerStopped() {
  {
    MutexLock lock(&started_mu_);
    stopped_ = true;  // no new listeners
  }
  processor_.Stop();  // strictly after the controller (SI1)
}

void SharedIndexInformer::Stop() {
  {
    MutexLock lock(&started_mu_);
    stop_requested_ = true;
  }
  // A Run racing with this Stop either saw stop_requested_ (and starts
  // nothing) or published its controller before we read it here.
  Controller* controller = controller_ptr_.load();
  if (controller != nullptr) controller->Stop();
}

absl::Status SharedIndexInformer::RunStatus() const {
  MutexLock lock(&started_mu_);
  return run_status_;
}

bool SharedIndexInformer::HasStarted() const {
  MutexLock lock(&started_mu_);
  return started_;
}

bool SharedIndexInformer::IsStopped() const {
  MutexLock lock(&started_mu_);
  return stopped_;
}

bool SharedIndexInformer::HasSynced() const {
  if (synced_.load(std::memory_order_acquire)) return true;
  Controller* controller = controller_ptr_.load();
  if (controller == nullptr || !controller->HasSynced()) return false;
  synced_.store(true, std::memory_order_release);
  return true;
}

std::string SharedIndexInformer::LastSyncResourceVersion() const {
  Controller* controller = controller_ptr_.load();
  return controller == nullptr ? std::string() : controller->LastSyncResourceVersion();
}

absl::Status SharedIndexInformer::AddIndexers(Indexers indexers) {
  MutexLock lock(&started_mu_);
  if (stopped_) {
    return absl::FailedPreconditionError("indexer was not added because it has stopped already");
  }
  return indexer_->AddIndexers(std::move(indexers));
}

absl::Status SharedIndexInformer::SetTransform(TransformFunc transform) {
  MutexLock lock(&started_mu_);
  if (started_) return absl::FailedPreconditionError("informer has already started");
  transform_ = std::move(transform);
  return absl::OkStatus();
}

absl::Status SharedIndexInformer::SetWatchErrorHandler(
    std::function<void(const absl::Status&)> handler) {
  MutexLock lock(&started_mu_);
  if (started_) return absl::FailedPreconditionError("informer has already started");
  watch_error_handler_ = std::move(handler);
  return absl::OkStatus();
}

bool SharedIndexInformer::IsRegistered(
    const std::shared_ptr<ResourceEventHandlerRegistration>& handle) const {
  auto* listener = dynamic_cast<const ProcessorListener*>(handle.get());
  return listener != nullptr && processor_.HasListener(listener);
}

Queue* SharedIndexInformer::queue() {
  MutexLock lock(&started_mu_);
  return queue_.get();
}

absl::Duration SharedIndexInformer::resync_check_period() const {
  MutexLock lock(&started_mu_);
  return resync_check_period_;
}

SharedInformerStats SharedIndexInformer::stats() const {
  SharedInformerStats out;
  {
    MutexLock lock(&started_mu_);
    out.run_calls_ignored = run_calls_ignored_;
  }
  Controller* controller = controller_ptr_.load();
  if (controller != nullptr) out.controller = controller->stats();
  return out;
}

absl::Status SharedIndexInformer::HandleDeltas(const Deltas& deltas, bool is_in_initial_list) {
  MutexLock block(&block_deltas_);  // SI2
  return ProcessDeltas(*delta_handler_, *indexer_, deltas, is_in_initial_list);
}

absl::Status SharedIndexInformer::HandleBatchDeltas(absl::Span<const Delta> deltas,
                                                    bool is_in_initial_list) {
  MutexLock block(&block_deltas_);  // SI2
  return ProcessDeltasInBatch(*delta_handler_, *indexer_, deltas, is_in_initial_list);
}

}  // namespace informersim
