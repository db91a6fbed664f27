#include "core/reflector_feeder.h"

#include <memory>
#include <string>
#include <utility>

namespace informersim {

namespace {

class ReflectorFeeder final : public QueueFeeder {
 public:
  ReflectorFeeder(ListerWatcher* lw, ReflectorStore* queue, Runtime* runtime,
                  RandomSource* random, ReflectorOptions options)
      : reflector_(lw, queue, runtime, random, std::move(options)) {}

  void Run() override { reflector_.Run(); }
  void Stop() override { reflector_.Stop(); }
  std::string LastSyncResourceVersion() const override {
    return reflector_.LastSyncResourceVersion();
  }

 private:
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
