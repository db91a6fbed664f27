// Test doubles for the ListerWatcher interface (core/lister_watcher.h), the
// C++ counterparts of client-go's cache.ListWatch and watch.FakeWatcher.
//
//   - FakeWatcher: one watch stream the test drives. Add/Modify/Delete/
//     Bookmark/Error push events, Stop() closes the stream from the server's
//     side (what Go's FakeWatcher.Stop does to the result channel). Events
//     pushed before the stream is handed to a consumer are buffered and
//     delivered, in order, once it is. When the client stops the stream
//     (WatchStream::Stop), nothing more is delivered.
//   - FuncListerWatcher: List and Watch answered synchronously by test
//     functions, every request's options recorded.
//
// Delivery is synchronous: the consumer (the Reflector) posts each call to its
// own strand, so with ManualRuntime nothing happens until the test runs it.
//
// Thread safety: both are safe for concurrent use (the functions given to
// FuncListerWatcher must be too when used from several threads).
#ifndef INFORMERSIM_TESTS_CORE_SUPPORT_LISTER_WATCHER_DOUBLES_H_
#define INFORMERSIM_TESTS_CORE_SUPPORT_LISTER_WATCHER_DOUBLES_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "core/item.h"
#include "core/lister_watcher.h"
#include "core/mutex.h"
#include "core/random.h"

namespace informersim {
namespace testing_support {

// A pod-like object with the given name and resource version.
ObjectPtr MakePod(absl::string_view name, absl::string_view resource_version,
                  absl::string_view ns = "");
// A bookmark object; `initial_events_end` sets k8s.io/initial-events-end to
// `annotation_value`.
ObjectPtr MakeBookmark(absl::string_view resource_version, bool initial_events_end = false,
                       absl::string_view annotation_value = "true");

// A deterministic RandomSource (splitmix64), safe for concurrent use.
class SplitMixRandom final : public RandomSource {
 public:
  explicit SplitMixRandom(uint64_t seed = 1) : state_(seed) {}
  uint64_t NextUint64() override;

 private:
  Mutex mu_;
  uint64_t state_ ABSL_GUARDED_BY(mu_);
};

// A RandomSource whose Float64() is always `fraction` (in [0, 1)): makes
// jittered delays exact in tests.
class FixedRandom final : public RandomSource {
 public:
  explicit FixedRandom(double fraction)
      : bits_(static_cast<uint64_t>(fraction * 9007199254740992.0) << 11) {}
  uint64_t NextUint64() override { return bits_; }

 private:
  const uint64_t bits_;
};

class FakeWatcher : public std::enable_shared_from_this<FakeWatcher> {
 public:
  static std::shared_ptr<FakeWatcher> New() { return std::make_shared<FakeWatcher>(); }

  void Add(ObjectPtr obj) { Action(WatchEventType::kAdded, std::move(obj)); }
  void Modify(ObjectPtr obj) { Action(WatchEventType::kModified, std::move(obj)); }
  void Delete(ObjectPtr obj) { Action(WatchEventType::kDeleted, std::move(obj)); }
  void Bookmark(ObjectPtr obj) { Action(WatchEventType::kBookmark, std::move(obj)); }
  void Error(absl::Status status);
  void Action(WatchEventType type, ObjectPtr obj);
  // The server closes the stream (Go: FakeWatcher.Stop closes ResultChan).
  void Stop();

  // True once closed by either side.
  bool IsStopped() const;
  // True once the client (the reflector) called WatchStream::Stop.
  bool StoppedByClient() const;
  // Events delivered to the consumer so far.
  int64_t delivered() const;

  // For FuncListerWatcher: the handle given to the client, and attaching the
  // consumer (flushes buffered events).
  std::unique_ptr<WatchStream> NewHandle();
  void Attach(std::shared_ptr<WatchConsumer> consumer);

 private:
  struct Pending {
    bool closed = false;  // a close marker
    WatchEvent event;
  };
  void StopByClient();
  void DeliverLocked(Pending p) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  mutable Mutex mu_;
  std::shared_ptr<WatchConsumer> consumer_ ABSL_GUARDED_BY(mu_);
  std::vector<Pending> buffered_ ABSL_GUARDED_BY(mu_);
  bool closed_by_server_ ABSL_GUARDED_BY(mu_) = false;
  bool stopped_by_client_ ABSL_GUARDED_BY(mu_) = false;
  int64_t delivered_ ABSL_GUARDED_BY(mu_) = 0;
};

class FuncListerWatcher final : public ListerWatcher {
 public:
  using ListFn = std::function<absl::StatusOr<ListPage>(const ListOptions&)>;
  using WatchFn =
      std::function<absl::StatusOr<std::shared_ptr<FakeWatcher>>(const ListOptions&)>;

  FuncListerWatcher(ListFn list_fn, WatchFn watch_fn, bool watch_list_unsupported = false)
      : list_fn_(std::move(list_fn)),
        watch_fn_(std::move(watch_fn)),
        watch_list_unsupported_(watch_list_unsupported) {}

  void List(const ListOptions& options, ListCallback done) override;
  void Watch(const ListOptions& options, std::shared_ptr<WatchConsumer> consumer,
             WatchCallback started) override;
  bool IsWatchListSemanticsUnsupported() const override { return watch_list_unsupported_; }

  std::vector<ListOptions> list_options() const;
  std::vector<ListOptions> watch_options() const;
  // Every request in order, lists and watches interleaved.
  std::vector<ListOptions> request_options() const;

 private:
  const ListFn list_fn_;
  const WatchFn watch_fn_;
  const bool watch_list_unsupported_;
  mutable Mutex mu_;
  std::vector<ListOptions> list_options_ ABSL_GUARDED_BY(mu_);
  std::vector<ListOptions> watch_options_ ABSL_GUARDED_BY(mu_);
  std::vector<ListOptions> request_options_ ABSL_GUARDED_BY(mu_);
};

}  // namespace testing_support
}  // namespace informersim

#endif  // INFORMERSIM_TESTS_CORE_SUPPORT_LISTER_WATCHER_DOUBLES_H_
