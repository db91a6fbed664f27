#include "core/controller.h"

#include <algorithm>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "core/delta_fifo.h"
#include "core/errors.h"
#include "core/indexer.h"
#include "core/mutex.h"
#include "core/real_fifo.h"

namespace informersim {

namespace {

absl::StatusOr<std::string> KeyWith(const KeyFunc& key_func, const Item& obj) {
  if (key_func) return key_func(obj);
  return DeletionHandlingMetaNamespaceKeyFunc(obj);
}

// C3, ReplacedAll: the whole list is stored first, then the handler hears of
// the deletions, then of the adds/updates in list order (C5).
absl::Status ProcessReplacedAll(ResourceEventHandler& handler, Store& client_state,
                                const ReplacedAllInfo& info, bool is_in_initial_list,
                                const KeyFunc& key_func) {
  absl::flat_hash_set<std::string> listed;
  listed.reserve(info.objects.size());
  std::vector<Item> list;
  list.reserve(info.objects.size());
  for (const ObjectPtr& obj : info.objects) {
    Item item(obj);
    absl::StatusOr<std::string> key = KeyWith(key_func, item);
    if (!key.ok()) return KeyError(item, key.status());
    listed.insert(*std::move(key));
    list.push_back(std::move(item));
  }
  // Store keys absent from the list become tombstones of the stored state.
  // client-go's order is Go map order; sorted keys keep runs deterministic.
  std::vector<Item> deletions;
  std::vector<std::string> keys = client_state.ListKeys();
  std::sort(keys.begin(), keys.end());
  for (std::string& key : keys) {
    if (listed.contains(key)) continue;
    absl::StatusOr<std::optional<Item>> stored = client_state.GetByKey(key);
    ObjectPtr last;
    if (stored.ok() && stored->has_value()) {
      const Item& s = **stored;
      if (s.is_object()) {
        last = s.object();
      } else if (s.is_tombstone()) {
        last = s.tombstone().obj;
      }
    }
    deletions.push_back(Item::Tombstone(std::move(key), std::move(last)));
  }
  // The old object of each listed item, as processDeltas would see it.
  std::vector<std::optional<Item>> olds;
  olds.reserve(list.size());
  for (const Item& item : list) {
    absl::StatusOr<std::optional<Item>> old = client_state.Get(item);
    olds.push_back(old.ok() ? *std::move(old) : std::nullopt);
  }
  absl::Status replaced = client_state.Replace(list, info.resource_version);
  if (!replaced.ok()) return replaced;
  for (const Item& tombstone : deletions) handler.OnDelete(tombstone);
  for (size_t i = 0; i < list.size(); ++i) {
    if (olds[i].has_value()) {
      handler.OnUpdate(*olds[i], list[i]);
    } else {
      handler.OnAdd(list[i], is_in_initial_list);
    }
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status ProcessDeltas(ResourceEventHandler& handler, Store& client_state,
                           const Deltas& deltas, bool is_in_initial_list,
                           const KeyFunc& key_func) {
  for (const Delta& d : deltas) {
    const Item& obj = d.object;
    switch (d.type) {
      case DeltaType::kReplacedAll: {
        if (obj.kind() != Item::Kind::kReplacedAll) {
          return absl::InvalidArgumentError(absl::StrCat(
              "ReplacedAll did not contain ReplacedAllInfo: ", obj.DebugString()));
        }
        absl::Status status = ProcessReplacedAll(handler, client_state, obj.replaced_all(),
                                                 is_in_initial_list, key_func);
        if (!status.ok()) return status;
        break;
      }
      case DeltaType::kSyncAll: {
        if (obj.kind() != Item::Kind::kSyncAll) {
          return absl::InvalidArgumentError(
              absl::StrCat("SyncAll did not contain SyncAllInfo: ", obj.DebugString()));
        }
        // Sorted by key for determinism (client-go: map order).
        std::vector<std::string> keys = client_state.ListKeys();
        std::sort(keys.begin(), keys.end());
        for (const std::string& key : keys) {
          absl::StatusOr<std::optional<Item>> o = client_state.GetByKey(key);
          if (o.ok() && o->has_value()) handler.OnUpdate(**o, **o);
        }
        return absl::OkStatus();  // C3: the rest of the Deltas is skipped
      }
      case DeltaType::kSync:
      case DeltaType::kReplaced:
      case DeltaType::kAdded:
      case DeltaType::kUpdated: {
        absl::StatusOr<std::optional<Item>> old = client_state.Get(obj);
        if (old.ok() && old->has_value()) {
          absl::Status status = client_state.Update(obj);
          if (!status.ok()) return status;
          handler.OnUpdate(**old, obj);
        } else {
          absl::Status status = client_state.Add(obj);
          if (!status.ok()) return status;
          handler.OnAdd(obj, is_in_initial_list);
        }
        break;
      }
      case DeltaType::kDeleted: {
        absl::Status status = client_state.Delete(obj);
        if (!status.ok()) return status;
        handler.OnDelete(obj);  // even if the key was absent (C3)
        break;
      }
      case DeltaType::kBookmark: {
        if (obj.kind() != Item::Kind::kBookmark) {
          return absl::InvalidArgumentError(absl::StrCat(
              "bookmark delta did not contain BookmarkInfo: ", obj.DebugString()));
        }
        client_state.Bookmark(obj.bookmark().resource_version);
        break;
      }
    }
  }
  return absl::OkStatus();
}

absl::Status ProcessDeltasInBatch(ResourceEventHandler& handler, Store& client_state,
                                  absl::Span<const Delta> deltas, bool is_in_initial_list,
                                  const KeyFunc& key_func) {
  auto* txn_store = dynamic_cast<TransactionStore*>(&client_state);
  if (txn_store == nullptr) {
    std::vector<std::string> errors;
    for (const Delta& delta : deltas) {
      Deltas one;
      one.push_back(delta);
      absl::Status status =
          ProcessDeltas(handler, client_state, one, is_in_initial_list, key_func);
      if (!status.ok()) errors.emplace_back(status.message());
    }
    if (!errors.empty()) {
      return absl::InternalError(absl::StrCat("unexpected error when handling deltas: [",
                                              absl::StrJoin(errors, " "), "]"));
    }
    return absl::OkStatus();
  }

  struct Callback {
    enum Kind : uint8_t { kAdd, kUpdate, kDelete } kind;
    Item old_obj;
  };
  std::vector<Transaction> txns;
  std::vector<Callback> callbacks;
  txns.reserve(deltas.size());
  callbacks.reserve(deltas.size());
  for (const Delta& d : deltas) {
    switch (d.type) {
      case DeltaType::kSync:
      case DeltaType::kReplaced:
      case DeltaType::kAdded:
      case DeltaType::kUpdated: {
        // Keys are distinct within a batch (R10), so one Get per key.
        absl::StatusOr<std::optional<Item>> old = client_state.Get(d.object);
        if (old.ok() && old->has_value()) {
          txns.push_back(Transaction{d.object, TransactionType::kUpdate});
          callbacks.push_back(Callback{Callback::kUpdate, **std::move(old)});
        } else {
          txns.push_back(Transaction{d.object, TransactionType::kAdd});
          callbacks.push_back(Callback{Callback::kAdd, Item()});
        }
        break;
      }
      case DeltaType::kDeleted:
        txns.push_back(Transaction{d.object, TransactionType::kDelete});
        callbacks.push_back(Callback{Callback::kDelete, Item()});
        break;
      default:
        return absl::InvalidArgumentError(absl::StrCat(
            "Delta type ", DeltaTypeName(d.type), " is not supported in batch processing"));
    }
  }
  const auto run = [&](size_t i) {
    const Item& obj = deltas[i].object;
    switch (callbacks[i].kind) {
      case Callback::kAdd:
        handler.OnAdd(obj, is_in_initial_list);
        break;
      case Callback::kUpdate:
        handler.OnUpdate(callbacks[i].old_obj, obj);
        break;
      case Callback::kDelete:
        handler.OnDelete(obj);
        break;
    }
  };
  std::optional<TransactionError> error = txn_store->Transaction(std::move(txns));
  if (error.has_value()) {
    for (int i : error->successful_indices) {
      if (i >= 0 && static_cast<size_t>(i) < callbacks.size()) run(static_cast<size_t>(i));
    }
    absl::Status status = error->ToStatus();
    return absl::Status(status.code(),
                        absl::StrCat("not all items in the batch successfully processed: ",
                                     status.message()));
  }
  for (size_t i = 0; i < callbacks.size(); ++i) run(i);
  return absl::OkStatus();
}

// ---------------------------------------------------------------------------
// Controller

// Shared with the tasks the controller posts, so that they stay valid after
// the Controller object is gone (they then find `detached_` and return).
class Controller::State : public std::enable_shared_from_this<Controller::State> {
 public:
  explicit State(ControllerConfig config) : config_(std::move(config)) {
    strand_ = config_.runtime->NewStrand(config_.name);
    batch_queue_ = config_.batch_process && config_.process_batch
                       ? dynamic_cast<QueueWithBatch*>(config_.queue)
                       : nullptr;
  }

  void Run(std::function<void()> on_stopped) {
    std::unique_ptr<QueueFeeder> feeder;
    {
      MutexLock lock(&mu_);
      assert(!started_ && "Controller::Run called twice");
      if (started_) return;
      started_ = true;
      on_stopped_ = std::move(on_stopped);
      // A Stop that came first: nothing is listed or watched (client-go: the
      // Reflector's loop ends at once on a done context).
      if (config_.feeder_factory && !stop_requested_) {
        feeder_ = config_.feeder_factory(config_.queue, config_.feeder_options);
      }
    }
    std::weak_ptr<State> weak = shared_from_this();
    // Called under the queue's lock: it only posts a task.
    config_.queue->SetReadyCallback([weak] {
      if (std::shared_ptr<State> self = weak.lock()) self->Schedule();
    });
    Schedule();
    QueueFeeder* f = FeederForCall();
    if (f != nullptr) {
      f->Run();
      // A Stop racing with this Run may have found no feeder to stop yet.
      bool stop_requested;
      {
        MutexLock lock(&mu_);
        stop_requested = stop_requested_;
      }
      if (stop_requested) f->Stop();
    }
  }

  void Stop() {
    {
      MutexLock lock(&mu_);
      if (stop_requested_) return;
      stop_requested_ = true;
    }
    QueueFeeder* f = FeederForCall();
    if (f != nullptr) f->Stop();
    // C1: the queue is closed when the context is done; Close calls the
    // ready callback, which lets the loop see the stop.
    config_.queue->Close();
    Schedule();
  }

  void Detach() {
    config_.queue->SetReadyCallback(nullptr);
    MutexLock lock(&mu_);
    detached_ = true;
  }

  bool IsStopped() const {
    MutexLock lock(&mu_);
    return exited_;
  }
  bool HasStarted() const {
    MutexLock lock(&mu_);
    return started_;
  }
  bool HasSynced() const { return config_.queue->HasSynced(); }
  std::string LastSyncResourceVersion() const {
    MutexLock lock(&mu_);
    return feeder_ == nullptr ? std::string() : feeder_->LastSyncResourceVersion();
  }
  ControllerStats stats() const {
    MutexLock lock(&mu_);
    return stats_;
  }

 private:
  // The feeder pointer, read under the lock; the feeder itself lives as
  // long as the State.
  QueueFeeder* FeederForCall() {
    MutexLock lock(&mu_);
    return feeder_.get();
  }

  void Schedule() {
    MutexLock lock(&mu_);
    if (scheduled_ || exited_ || detached_ || !started_) return;
    scheduled_ = true;
    std::shared_ptr<State> self = shared_from_this();
    config_.runtime->Post(strand_, [self] { self->Step(); });
  }

  // One step of client-go's processLoop: check for a stop, pop once.
  void Step() {
    {
      MutexLock lock(&mu_);
      scheduled_ = false;
      if (detached_ || exited_) return;
      // A closed queue still pops what it holds, then reports closed.
      if (stop_requested_ && !config_.drain_closed_queue_after_stop) {
        Exit();
        return;
      }
    }
    PopResult result;
    if (batch_queue_ != nullptr) {
      result = batch_queue_->TryPopBatch(
          [this](absl::Span<const Delta> deltas, bool initial) {
            return config_.process_batch(deltas, initial);
          },
          [this](const Deltas& deltas, bool initial) { return config_.process(deltas, initial); });
    } else {
      result = config_.queue->TryPop(
          [this](const Deltas& deltas, bool initial) { return config_.process(deltas, initial); });
    }
    switch (result.outcome) {
      case PopOutcome::kPopped: {
        {
          MutexLock lock(&mu_);
          ++stats_.pops;
          if (!result.process_status.ok()) {
            // C1: errors other than "closed" are dropped with the item.
            ++stats_.process_errors;
            stats_.last_process_error = result.process_status;
          }
        }
        Schedule();  // one pop per task, so a driver can interleave
        break;
      }
      case PopOutcome::kEmpty:
        break;  // the ready callback schedules the next step
      case PopOutcome::kClosed: {
        MutexLock lock(&mu_);
        Exit();
        break;
      }
    }
  }

  void Exit() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    exited_ = true;
    std::function<void()> done = std::move(on_stopped_);
    on_stopped_ = nullptr;
    if (done) {
      MutexUnlock unlock(&mu_);
      done();
    }
  }

  const ControllerConfig config_;
  StrandId strand_ = 0;
  QueueWithBatch* batch_queue_ = nullptr;

  mutable Mutex mu_;
  std::unique_ptr<QueueFeeder> feeder_ ABSL_GUARDED_BY(mu_);
  std::function<void()> on_stopped_ ABSL_GUARDED_BY(mu_);
  bool started_ ABSL_GUARDED_BY(mu_) = false;
  bool scheduled_ ABSL_GUARDED_BY(mu_) = false;
  bool stop_requested_ ABSL_GUARDED_BY(mu_) = false;
  bool exited_ ABSL_GUARDED_BY(mu_) = false;
  bool detached_ ABSL_GUARDED_BY(mu_) = false;
  ControllerStats stats_ ABSL_GUARDED_BY(mu_);
};

Controller::Controller(ControllerConfig config) {
  assert(config.queue != nullptr && config.runtime != nullptr && config.process);
  state_ = std::make_shared<State>(std::move(config));
}

Controller::~Controller() {
  state_->Stop();
  state_->Detach();
}

void Controller::Run(std::function<void()> on_stopped) { state_->Run(std::move(on_stopped)); }
void Controller::Stop() { state_->Stop(); }
bool Controller::IsStopped() const { return state_->IsStopped(); }
bool Controller::HasStarted() const { return state_->HasStarted(); }
bool Controller::HasSynced() const { return state_->HasSynced(); }
std::string Controller::LastSyncResourceVersion() const {
  return state_->LastSyncResourceVersion();
}
ControllerStats Controller::stats() const { return state_->stats(); }

// ---------------------------------------------------------------------------
// NewInformer

absl::StatusOr<std::unique_ptr<Queue>> NewQueueForProfile(const ProfileOptions& profile,
                                                          const KeyListerGetter* known_objects,
                                                          TransformFunc transform,
                                                          size_t batch_size,
                                                          std::function<void()> unlocked_window) {
  if (profile.profile == Profile::kClassic) {
    DeltaFIFOOptions options;
    options.known_objects = known_objects;
    options.emit_delta_type_replaced = true;
    options.transformer = std::move(transform);
    options.legacy_requeue = profile.legacy_requeue;
    return std::unique_ptr<Queue>(std::make_unique<DeltaFIFO>(std::move(options)));
  }
  RealFIFOOptions options;
  options.transformer = std::move(transform);
  options.batch_size = batch_size;
  options.unlocked_window = std::move(unlocked_window);
  if (UsesAtomicFIFO(profile.profile)) {
    options.atomic_events = true;
    options.unlock_while_processing = true;
    options.emit_delta_type_bookmark = true;
  } else {
    // INTERIM: client-go v0.34's NewRealFIFO(keyFunc, indexer, transform).
    options.known_objects = known_objects;
  }
  absl::StatusOr<std::unique_ptr<RealFIFO>> fifo = RealFIFO::Create(std::move(options));
  if (!fifo.ok()) return fifo.status();
  return std::unique_ptr<Queue>(*std::move(fifo));
}

absl::StatusOr<std::unique_ptr<Informer>> Informer::Create(InformerOptions options) {
  if (options.runtime == nullptr || options.handler == nullptr) {
    return absl::InvalidArgumentError("Informer::Create: runtime and handler are required");
  }
  std::unique_ptr<Informer> informer(new Informer());
  StoreOptions store_options;
  // S5: the store tracks RVs only with the AtomicFIFO gate (CURRENT).
  store_options.track_resource_version = UsesAtomicFIFO(options.profile.profile);
  informer->store_ = NewIndexer(DeletionHandlingMetaNamespaceKeyFunc,
                                std::move(options.indexers), store_options);
  absl::StatusOr<std::unique_ptr<Queue>> queue =
      NewQueueForProfile(options.profile, informer->store_.get(), std::move(options.transform),
                         options.batch_size);
  if (!queue.ok()) return queue.status();
  informer->queue_ = *std::move(queue);

  ControllerConfig config;
  config.name = options.name;
  config.queue = informer->queue_.get();
  config.runtime = options.runtime;
  config.feeder_factory = std::move(options.feeder_factory);
  config.feeder_options.name = options.name;
  config.feeder_options.resync_period = options.resync_period;
  config.feeder_options.min_watch_timeout = options.min_watch_timeout;
  config.feeder_options.use_watch_list = UsesWatchList(options.profile.profile);
  Cache* store = informer->store_.get();
  ResourceEventHandler* handler = options.handler;
  config.process = [store, handler](const Deltas& deltas, bool initial) {
    return ProcessDeltas(*handler, *store, deltas, initial);
  };
  config.process_batch = [store, handler](absl::Span<const Delta> deltas, bool initial) {
    return ProcessDeltasInBatch(*handler, *store, deltas, initial);
  };
  config.batch_process = UsesBatchProcessing(options.profile.profile);
  informer->controller_ = std::make_unique<Controller>(std::move(config));
  return informer;
}

Informer::~Informer() {
  // The controller first: it detaches from the queue.
  controller_.reset();
}

}  // namespace informersim
