#include "core/reflector_feeder.h"

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "core/delta_fifo.h"
#include "core/real_fifo.h"
#include "core/reflector_store_ext.h"

namespace informersim {

namespace {

// Forwards a queue's writes and adds the capabilities client-go's queues
// have: RealFIFO takes bookmarks; RealFIFO and DeltaFIFO lend their
// transformer.
class QueueStore final : public ReflectorStore,
                         public ReflectorBookmarkStore,
                         public TransformingStore {
 public:
  explicit QueueStore(ReflectorStore* queue)
      : queue_(queue),
        real_fifo_(dynamic_cast<RealFIFO*>(queue)),
        delta_fifo_(dynamic_cast<DeltaFIFO*>(queue)) {}

  absl::Status Add(Item obj) override { return queue_->Add(std::move(obj)); }
  absl::Status Update(Item obj) override { return queue_->Update(std::move(obj)); }
  absl::Status Delete(Item obj) override { return queue_->Delete(std::move(obj)); }
  absl::Status Replace(std::vector<Item> list, absl::string_view rv) override {
    return queue_->Replace(std::move(list), rv);
  }
  absl::Status Resync() override { return queue_->Resync(); }
  // R8: only RealFIFO queues bookmarks (and only with the option set).
  absl::Status Bookmark(absl::string_view rv) override {
    return real_fifo_ != nullptr ? real_fifo_->Bookmark(rv) : absl::OkStatus();
  }
  const TransformFunc& Transformer() const override {
    if (real_fifo_ != nullptr) return real_fifo_->Transformer();
    if (delta_fifo_ != nullptr) return delta_fifo_->Transformer();
    return none_;
  }

 private:
  ReflectorStore* const queue_;
  RealFIFO* const real_fifo_;
  DeltaFIFO* const delta_fifo_;
  const TransformFunc none_;
};

class ReflectorFeeder final : public QueueFeeder {
 public:
  ReflectorFeeder(ListerWatcher* lw, ReflectorStore* queue, Runtime* runtime,
                  RandomSource* random, ReflectorOptions options)
      : store_(std::make_unique<QueueStore>(queue)),
        reflector_(lw, store_.get(), runtime, random, std::move(options)) {}

  void Run() override { reflector_.Run(); }
  void Stop() override { reflector_.Stop(); }
  std::string LastSyncResourceVersion() const override {
    return reflector_.LastSyncResourceVersion();
  }

 private:
  std::unique_ptr<QueueStore> store_;  // before reflector_: it must outlive it
  Reflector reflector_;
};

}  // namespace

QueueFeederFactory ReflectorFeederFactory(ListerWatcher* lister_watcher, Runtime* runtime,
                                          RandomSource* random,
                                          std::optional<BackoffOptions> backoff) {
  return [lister_watcher, runtime, random, backoff](ReflectorStore* queue,
                                                    ReflectorOptions options) {
    options.backoff = backoff;
    return std::unique_ptr<QueueFeeder>(
        std::make_unique<ReflectorFeeder>(lister_watcher, queue, runtime, random,
                                          std::move(options)));
  };
}

}  // namespace informersim
