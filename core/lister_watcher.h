// ListerWatcher: how an informer talks to an API server (client-go
// listwatch.go, metav1.ListOptions and watch.Interface), made asynchronous so
// that a deterministic driver can run every request and every event as its
// own step (core/runtime.h).
//
// Contract for implementations (the simulator's fake API server, test
// doubles, a real client):
//   - List answers exactly once through `done`, with a page or an error.
//   - Watch answers exactly once through `started`: with a WatchStream, after
//     which `consumer` receives events in stream order until the stream
//     closes (OnClosed) or the client stops it; or with an error, and then the
//     consumer is never called. No event precedes `started`.
//   - Callbacks may come from any thread or strand; consumers hand them to
//     their own strand. After WatchStream::Stop, the implementation delivers
//     no further calls, but calls already on their way may still arrive:
//     consumers must recognise a stopped stream's late events.
//   - Errors are API errors (core/api_errors.h) or a refused connection.
//
// Thread safety: implementations are safe for concurrent use.
#ifndef INFORMERSIM_CORE_LISTER_WATCHER_H_
#define INFORMERSIM_CORE_LISTER_WATCHER_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/functional/any_invocable.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "core/item.h"

namespace informersim {

// metav1.ResourceVersionMatch.
enum class ResourceVersionMatch : uint8_t {
  kUnset,
  kNotOlderThan,
  kExact,
};

// metav1.ListOptions, the fields informers use.
struct ListOptions {
  // "" = most recent (consistent read); "0" = any; else a version.
  std::string resource_version;
  ResourceVersionMatch resource_version_match = ResourceVersionMatch::kUnset;
  // Page size; 0 = no limit.
  int64_t limit = 0;
  // Continue token of the previous page; "" for the first page.
  std::string continue_token;
  bool allow_watch_bookmarks = false;
  // Watch only: the server closes the watch after this long.
  std::optional<int64_t> timeout_seconds;
  // Watch only: stream the current state as Added events first, ending with
  // an initial-events-end bookmark (watch-list, KEP 3157).
  std::optional<bool> send_initial_events;
  // metav1.ListOptions.LabelSelector in its textual form (core/labels.h
  // Parse); "" selects everything. The server answers LIST, WATCH and
  // watch-list with the matching objects only. The Reflector builds fresh
  // options for every request and never sets it, as client-go's does: a
  // selector reaches the server through the ListerWatcher (client-go's
  // tweakListOptions, FilteredListerWatcher below).
  std::string label_selector;
  // metav1.ListOptions.FieldSelector in its textual form (core/fields.h
  // ParseSelector); "" selects everything. Reaches the server the same way
  // (client-go's NewListWatchFromClient sets it from a fields.Selector).
  std::string field_selector;
};

// One page of a list (a *List object's ListMeta and Items).
struct ListPage {
  std::string resource_version;
  // Token for the next page; "" on the last page.
  std::string continue_token;
  std::optional<int64_t> remaining_item_count;
  std::vector<ObjectPtr> items;
};

// watch.EventType.
enum class WatchEventType : uint8_t {
  kAdded,
  kModified,
  kDeleted,
  kBookmark,
  kError,
};
absl::string_view WatchEventTypeName(WatchEventType type);

// The annotation on the bookmark that ends a watch-list's initial events.
inline constexpr absl::string_view kInitialEventsEndAnnotation =
    "k8s.io/initial-events-end";

// watch.Event. For kError, `error` holds the API error and `object` is null;
// for kBookmark, `object` carries only a resourceVersion (and annotations).
struct WatchEvent {
  WatchEventType type = WatchEventType::kAdded;
  ObjectPtr object;
  absl::Status error;
};

// The receiving end of one watch stream.
class WatchConsumer {
 public:
  virtual ~WatchConsumer() = default;
  virtual void OnEvent(WatchEvent event) = 0;
  // The server ended the stream (a timeout, or a broken connection); nothing
  // follows.
  virtual void OnClosed() = 0;
};

// The client's handle on an open watch (watch.Interface.Stop).
class WatchStream {
 public:
  virtual ~WatchStream() = default;
  // Idempotent. Asks the server to stop delivering; see the contract above.
  virtual void Stop() = 0;
};

using ListCallback = absl::AnyInvocable<void(absl::StatusOr<ListPage>)>;
using WatchCallback =
    absl::AnyInvocable<void(absl::StatusOr<std::unique_ptr<WatchStream>>)>;

class ListerWatcher {
 public:
  virtual ~ListerWatcher() = default;
  virtual void List(const ListOptions& options, ListCallback done) = 0;
  virtual void Watch(const ListOptions& options, std::shared_ptr<WatchConsumer> consumer,
                     WatchCallback started) = 0;
  // client-go IsWatchListSemanticsUnSupported: true makes the Reflector skip
  // watch-list and LIST at once (RF3).
  virtual bool IsWatchListSemanticsUnsupported() const { return false; }
};

// client-go's filtered ListWatch (NewFilteredListWatchFromClient, and the
// tweakListOptions of a filtered informer factory): every List and Watch
// request passes through `tweak` before it reaches `inner`, so options the
// Reflector builds afresh for each request (first pages, continue pages,
// watches, watch-lists) all carry what the tweak sets.
//
// Thread safety: as `inner`; `tweak` must be safe to call concurrently.
// `inner` must outlive this.
using TweakListOptionsFunc = std::function<void(ListOptions*)>;

class FilteredListerWatcher final : public ListerWatcher {
 public:
  FilteredListerWatcher(ListerWatcher* inner, TweakListOptionsFunc tweak)
      : inner_(inner), tweak_(std::move(tweak)) {}
  void List(const ListOptions& options, ListCallback done) override;
  void Watch(const ListOptions& options, std::shared_ptr<WatchConsumer> consumer,
             WatchCallback started) override;
  bool IsWatchListSemanticsUnsupported() const override {
    return inner_->IsWatchListSemanticsUnsupported();
  }

 private:
  ListerWatcher* const inner_;
  const TweakListOptionsFunc tweak_;
};

// A tweak that sets the label selector on every request (an informer
// factory's WithTweakListOptions setting options.LabelSelector).
TweakListOptionsFunc WithLabelSelector(std::string label_selector);
// A tweak that sets both selectors on every request ("" for none).
TweakListOptionsFunc WithSelectors(std::string label_selector, std::string field_selector);

}  // namespace informersim

#endif  // INFORMERSIM_CORE_LISTER_WATCHER_H_
