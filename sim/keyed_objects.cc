#include "sim/keyed_objects.h"

#include <algorithm>
#include <cassert>
#include <utility>

namespace informersim {
namespace sim {
namespace {

// Erased nodes a map may hold beyond its live ones before a write merges.
constexpr size_t kErasedSlack = 64;

}  // namespace

void KeyedObjects::Set(absl::string_view key, ObjectPtr object) {
  assert(object != nullptr);
  auto it = map_.find(key);
  if (it == map_.end()) {
    it = map_.emplace(std::string(key), std::move(object)).first;
    added_.push_back(&*it);
    ++live_;
    return;
  }
  if (it->second == nullptr) ++live_;  // an erased key comes back in place
  it->second = std::move(object);
}

void KeyedObjects::Erase(absl::string_view key) {
  auto it = map_.find(key);
  if (it == map_.end() || it->second == nullptr) return;
  it->second = nullptr;
  --live_;
  if (map_.size() - live_ > live_ + kErasedSlack) Merge();
}

const ObjectPtr* KeyedObjects::Find(absl::string_view key) const {
  auto it = map_.find(key);
  if (it == map_.end() || it->second == nullptr) return nullptr;
  return &it->second;
}

void KeyedObjects::Merge() {
  if (added_.empty() && map_.size() == live_) return;
  auto by_key = [](const Node* a, const Node* b) { return a->first < b->first; };
  std::sort(added_.begin(), added_.end(), by_key);
  std::vector<Node*> merged;
  merged.reserve(live_);
  // Erased nodes leave the map only after the merge has read them.
  std::vector<Node*> erased;
  auto keep = [&](Node* node) {
    if (node->second != nullptr) {
      merged.push_back(node);
    } else {
      erased.push_back(node);
    }
  };
  auto s = sorted_.begin();
  auto a = added_.begin();
  while (s != sorted_.end() || a != added_.end()) {
    if (a == added_.end() || (s != sorted_.end() && by_key(*s, *a))) {
      keep(*s++);
    } else {
      keep(*a++);
    }
  }
  for (Node* node : erased) map_.erase(map_.find(node->first));
  sorted_ = std::move(merged);
  added_.clear();
  assert(sorted_.size() == live_ && map_.size() == live_);
}

}  // namespace sim
}  // namespace informersim
