// FakeControllerSource: an in-memory ListerWatcher for informer tests, the
// C++ form of client-go's tools/cache/testing/fake_controller_source.go.
//
// Add/Modify/Delete stamp the object with the next value of one global
// integer resourceVersion, update the item map, record the change in the
// history and broadcast it to every open watch. The ...DropWatch variants
// record the change but tell no watcher. List answers a snapshot of every
// item (sorted by key) at the current RV; Watch(RV) replays the recorded
// changes after RV and then streams live ones. As in client-go's fake:
//   - a non-integer RV (e.g. "" for a watch-list) is an error, unless
//     watch-list support is switched on (see below);
//   - an RV older than the history (ResetWatch clears it) is 410 Expired;
//   - an RV in the future is an error.
// With `support_watch_list`, a watch with send_initial_events=true streams
// the current items as Added events, then a bookmark annotated
// k8s.io/initial-events-end=true at the current RV, then live changes.
//
// Asynchronous: every answer and every event is a task on the source's own
// strand of the Runtime, in order, so ManualRuntime runs are deterministic.
//
// Thread safety: safe for concurrent use.
#ifndef INFORMERSIM_TESTS_CORE_INFORMER_SUPPORT_FAKE_CONTROLLER_SOURCE_H_
#define INFORMERSIM_TESTS_CORE_INFORMER_SUPPORT_FAKE_CONTROLLER_SOURCE_H_

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <tuple>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "core/item.h"
#include "core/lister_watcher.h"
#include "core/mutex.h"
#include "core/runtime.h"

namespace informersim {
namespace testing_support {

class FakeControllerSource final : public ListerWatcher {
 public:
  explicit FakeControllerSource(Runtime* runtime, bool support_watch_list = false);
  ~FakeControllerSource() override;

  // Each returns the object as stored, with its new resourceVersion.
  ObjectPtr Add(api::Object obj) { return Change(WatchEventType::kAdded, std::move(obj), true); }
  ObjectPtr Modify(api::Object obj) {
    return Change(WatchEventType::kModified, std::move(obj), true);
  }
  ObjectPtr Delete(api::Object last_value) {
    return Change(WatchEventType::kDeleted, std::move(last_value), true);
  }
  ObjectPtr AddDropWatch(api::Object obj) {
    return Change(WatchEventType::kAdded, std::move(obj), false);
  }
  ObjectPtr ModifyDropWatch(api::Object obj) {
    return Change(WatchEventType::kModified, std::move(obj), false);
  }
  ObjectPtr DeleteDropWatch(api::Object last_value) {
    return Change(WatchEventType::kDeleted, std::move(last_value), false);
  }
  ObjectPtr Change(WatchEventType type, api::Object obj, bool notify_watchers);

  // Closes every open watch and forgets the history, so the next watch from
  // an old RV gets 410 Expired.
  void ResetWatch();
  // Closes every watch; later requests fail.
  void Shutdown();
  // Non-OK: every List answers this error.
  void SetListError(absl::Status error);

  int64_t last_rv() const;
  // The current items, sorted by (namespace, name, uid).
  std::vector<ObjectPtr> Items() const;
  size_t open_watches() const;
  int64_t list_calls() const;
  int64_t watch_calls() const;

  // ListerWatcher.
  void List(const ListOptions& options, ListCallback done) override;
  void Watch(const ListOptions& options, std::shared_ptr<WatchConsumer> consumer,
             WatchCallback started) override;

 private:
  struct Watcher;
  class Stream;
  using ItemKey = std::tuple<std::string, std::string, std::string>;  // ns, name, uid

  void DeliverLocked(const std::shared_ptr<Watcher>& watcher, WatchEvent event)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void CloseLocked(const std::shared_ptr<Watcher>& watcher) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void PruneLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  Runtime* const runtime_;
  const StrandId strand_;
  const bool support_watch_list_;

  mutable Mutex mu_;
  std::map<ItemKey, ObjectPtr> items_ ABSL_GUARDED_BY(mu_);
  // One change per RV, oldest first; changes_[i] has RV first_change_rv_ + i.
  std::vector<WatchEvent> changes_ ABSL_GUARDED_BY(mu_);
  int64_t last_rv_ ABSL_GUARDED_BY(mu_) = 0;
  std::vector<std::shared_ptr<Watcher>> watchers_ ABSL_GUARDED_BY(mu_);
  absl::Status list_error_ ABSL_GUARDED_BY(mu_);
  bool shut_down_ ABSL_GUARDED_BY(mu_) = false;
  int64_t list_calls_ ABSL_GUARDED_BY(mu_) = 0;
  int64_t watch_calls_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace testing_support
}  // namespace informersim

#endif  // INFORMERSIM_TESTS_CORE_INFORMER_SUPPORT_FAKE_CONTROLLER_SOURCE_H_
