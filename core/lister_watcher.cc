#include "core/lister_watcher.h"

namespace informersim {

absl::string_view WatchEventTypeName(WatchEventType type) {
  switch (type) {
    case WatchEventType::kAdded:
      return "ADDED";
    case WatchEventType::kModified:
      return "MODIFIED";
    case WatchEventType::kDeleted:
      return "DELETED";
    case WatchEventType::kBookmark:
      return "BOOKMARK";
    case WatchEventType::kError:
      return "ERROR";
  }
  return "UNKNOWN";
}

void FilteredListerWatcher::List(const ListOptions& options, ListCallback done) {
  ListOptions tweaked = options;
  if (tweak_) tweak_(&tweaked);
  inner_->List(tweaked, std::move(done));
}

void FilteredListerWatcher::Watch(const ListOptions& options,
                                  std::shared_ptr<WatchConsumer> consumer,
                                  WatchCallback started) {
  ListOptions tweaked = options;
  if (tweak_) tweak_(&tweaked);
  inner_->Watch(tweaked, std::move(consumer), std::move(started));
}

TweakListOptionsFunc WithLabelSelector(std::string label_selector) {
  return [label_selector = std::move(label_selector)](ListOptions* options) {
    options->label_selector = label_selector;
  };
}

TweakListOptionsFunc WithSelectors(std::string label_selector, std::string field_selector) {
  return [label_selector = std::move(label_selector),
          field_selector = std::move(field_selector)](ListOptions* options) {
    options->label_selector = label_selector;
    options->field_selector = field_selector;
  };
}

}  // namespace informersim
