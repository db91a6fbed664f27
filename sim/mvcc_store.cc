#include "sim/mvcc_store.h"

#include <algorithm>
#include <cassert>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "core/api_errors.h"
#include "sim/identity.h"

namespace informersim {
namespace sim {
namespace {

// client-go MetaNamespaceKeyFunc's key, from the meta alone (no Item needed
// on the write path).
std::string KeyOf(const api::ObjectMeta& meta) { return ObjectKey(meta.namespace_(), meta.name()); }

const ObjectPtr& NullObject() {
  static const ObjectPtr* const kNull = new ObjectPtr();
  return *kNull;
}

}  // namespace

MvccStore::MvccStore(int64_t initial_revision)
    : current_rv_(initial_revision), compacted_rv_(initial_revision) {
  assert(initial_revision >= 0);
}

MvccStore::HistoryMap::iterator MvccStore::FindKey(absl::string_view key) {
  return histories_.find(key);
}

MvccStore::HistoryMap::const_iterator MvccStore::FindKey(absl::string_view key) const {
  return histories_.find(key);
}

MvccStore::HistoryMap::iterator MvccStore::Append(HistoryMap::iterator it, std::string key,
                                                  WatchEventType type, ObjectPtr object,
                                                  absl::Time now) {
  const int64_t rv = current_rv_ + 1;
  if (it == histories_.end()) {
    it = histories_.emplace(key, History{}).first;
    keys_added_.push_back(&*it);
  }
  // A key's second version makes room for four: written keys tend to be
  // written again (the versions would grow 1, 2, 4 with a copy each time),
  // while a key written once (most of a large initial state) keeps one.
  std::vector<Version>& versions = it->second.versions;
  if (versions.size() == 1 && versions.capacity() == 1) versions.reserve(4);
  ObjectPtr prev = versions.empty() ? nullptr : versions.back().object;
  versions.push_back(Version{rv, type == WatchEventType::kDeleted ? nullptr : object});
  log_.push_back(Change{rv, type, std::move(key), std::move(object), std::move(prev), now});
  current_rv_ = rv;
  return it;
}

absl::StatusOr<ObjectPtr> MvccStore::Create(api::Object object, absl::Time now) {
  api::ObjectMeta& meta = *object.mutable_metadata();
  std::string key = KeyOf(meta);
  if (meta.name().empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("mvcc: create \"", key, "\": object has no name"));
  }
  auto it = FindKey(key);
  if (it != histories_.end() && it->second.versions.back().object != nullptr) {
    return absl::AlreadyExistsError(absl::StrCat("mvcc: create ", key, ": already exists"));
  }
  // A new incarnation: a fresh uid even when the key existed before.
  meta.set_uid(absl::StrCat("uid-", next_uid_++));
  meta.set_resource_version(absl::StrCat(current_rv_ + 1));
  meta.set_generation(1);
  ObjectPtr stored = MakeObject(std::move(object));
  const auto created = Append(it, std::move(key), WatchEventType::kAdded, stored, now);
  ++live_;
  if (!created->second.listed) {
    created->second.listed = true;
    live_added_.push_back(&*created);
  } else {
    --dead_listed_;  // listed while dead: alive again in its place
  }
  return stored;
}

absl::StatusOr<ObjectPtr> MvccStore::Update(api::Object object, absl::Time now) {
  api::ObjectMeta& meta = *object.mutable_metadata();
  std::string key = KeyOf(meta);
  auto it = FindKey(key);
  if (it == histories_.end() || it->second.versions.back().object == nullptr) {
    return absl::NotFoundError(absl::StrCat("mvcc: update ", key, ": not found"));
  }
  const api::ObjectMeta& previous = it->second.versions.back().object->metadata();
  meta.set_uid(previous.uid());
  meta.set_generation(previous.generation() + 1);
  meta.set_resource_version(absl::StrCat(current_rv_ + 1));
  ObjectPtr stored = MakeObject(std::move(object));
  Append(it, std::move(key), WatchEventType::kModified, stored, now);
  return stored;
}

absl::StatusOr<ObjectPtr> MvccStore::Delete(absl::string_view key, absl::Time now) {
  auto it = FindKey(key);
  if (it == histories_.end() || it->second.versions.back().object == nullptr) {
    return absl::NotFoundError(absl::StrCat("mvcc: delete ", key, ": not found"));
  }
  // What a DELETED event shows: the last state at the deletion's revision.
  api::Object last = *it->second.versions.back().object;
  last.mutable_metadata()->set_resource_version(absl::StrCat(current_rv_ + 1));
  ObjectPtr final_state = MakeObject(std::move(last));
  Append(it, std::string(key), WatchEventType::kDeleted, final_state, now);
  --live_;
  ++dead_listed_;  // every live key is listed
  return final_state;
}

int64_t MvccStore::current_rv() const { return current_rv_; }
int64_t MvccStore::compacted_rv() const { return compacted_rv_; }
size_t MvccStore::size() const { return live_; }

ObjectPtr MvccStore::Get(absl::string_view key) const {
  auto it = FindKey(key);
  if (it == histories_.end()) return nullptr;
  return it->second.versions.back().object;
}

void MvccStore::MergeInto(std::vector<const HistoryNode*>* sorted,
                          std::vector<const HistoryNode*>* added) {
  auto by_key = [](const HistoryNode* a, const HistoryNode* b) { return a->first < b->first; };
  std::sort(added->begin(), added->end(), by_key);
  const size_t old_size = sorted->size();
  sorted->insert(sorted->end(), added->begin(), added->end());
  std::inplace_merge(sorted->begin(), sorted->begin() + static_cast<ptrdiff_t>(old_size),
                     sorted->end(), by_key);
  added->clear();
}

void MvccStore::SortLiveKeys() const {
  if (live_added_.empty() && dead_listed_ == 0) return;
  auto dead = [](const HistoryNode* node) {
    if (node->second.versions.back().object != nullptr) return false;
    node->second.listed = false;
    return true;
  };
  live_sorted_.erase(std::remove_if(live_sorted_.begin(), live_sorted_.end(), dead),
                     live_sorted_.end());
  live_added_.erase(std::remove_if(live_added_.begin(), live_added_.end(), dead),
                    live_added_.end());
  MergeInto(&live_sorted_, &live_added_);
  dead_listed_ = 0;
  assert(live_sorted_.size() == live_);
}

std::vector<ObjectPtr> MvccStore::Objects() const {
  SortLiveKeys();
  std::vector<ObjectPtr> out;
  out.reserve(live_sorted_.size());
  for (const HistoryNode* node : live_sorted_) out.push_back(node->second.versions.back().object);
  return out;
}

const ObjectPtr& MvccStore::VisibleAt(const History& history, int64_t rv) {
  const std::vector<Version>& v = history.versions;
  // Most reads are of the latest state.
  if (v.back().rv <= rv) return v.back().object;
  auto after = std::upper_bound(v.begin(), v.end(), rv,
                                [](int64_t r, const Version& x) { return r < x.rv; });
  if (after == v.begin()) return NullObject();
  return std::prev(after)->object;
}

absl::Status MvccStore::CheckReadable(int64_t rv, absl::string_view what) const {
  if (rv < compacted_rv_) {
    return ExpiredError(absl::StrFormat(
        "mvcc: %s at rv %d: required revision has been compacted (compacted revision %d)",
        what, rv, compacted_rv_));
  }
  if (rv > current_rv_) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "mvcc: %s at rv %d: beyond the current revision %d", what, rv, current_rv_));
  }
  return absl::OkStatus();
}

void MvccStore::SortAllKeys() const {
  if (!keys_added_.empty()) MergeInto(&keys_sorted_, &keys_added_);
}

absl::StatusOr<std::vector<ObjectPtr>> MvccStore::SnapshotAt(int64_t rv) const {
  if (absl::Status s = CheckReadable(rv, "snapshot"); !s.ok()) return s;
  SortAllKeys();
  std::vector<ObjectPtr> out;
  out.reserve(live_);
  for (const HistoryNode* node : keys_sorted_) {
    const ObjectPtr& object = VisibleAt(node->second, rv);
    if (object != nullptr) out.push_back(object);
  }
  return out;
}

absl::StatusOr<StorePage> MvccStore::PageAt(
    int64_t rv, absl::string_view start_key, int64_t limit,
    const std::function<bool(const api::Object&)>& filter) const {
  if (absl::Status s = CheckReadable(rv, "page"); !s.ok()) return s;
  if (limit < 0) {
    return absl::InvalidArgumentError(
        absl::StrFormat("mvcc: page at rv %d: negative limit %d", rv, limit));
  }
  StorePage page;
  page.rv = rv;
  const size_t cap = limit == 0 ? SIZE_MAX : static_cast<size_t>(limit);
  if (limit > 0) page.items.reserve(std::min<size_t>(cap, live_));
  SortAllKeys();
  auto first = std::lower_bound(
      keys_sorted_.begin(), keys_sorted_.end(), start_key,
      [](const HistoryNode* node, absl::string_view key) { return node->first < key; });
  for (auto it = first; it != keys_sorted_.end(); ++it) {
    const ObjectPtr& object = VisibleAt((*it)->second, rv);
    if (object == nullptr) continue;
    if (filter && !filter(*object)) continue;
    if (page.items.size() < cap) {
      page.items.push_back(object);
      continue;
    }
    if (page.remaining == 0) page.next_key = (*it)->first;
    ++page.remaining;
  }
  return page;
}

absl::StatusOr<std::vector<const Change*>> MvccStore::ChangesAfter(int64_t after_rv,
                                                                   int64_t up_to_rv) const {
  if (after_rv < compacted_rv_) {
    return ExpiredError(absl::StrFormat(
        "mvcc: changes after rv %d: required revision has been compacted (compacted "
        "revision %d)",
        after_rv, compacted_rv_));
  }
  std::vector<const Change*> out;
  const int64_t hi = std::min(up_to_rv, current_rv_);
  if (after_rv >= hi) return out;
  out.reserve(static_cast<size_t>(hi - after_rv));
  for (int64_t r = after_rv + 1; r <= hi; ++r) {
    out.push_back(&log_[static_cast<size_t>(r - compacted_rv_ - 1)]);
  }
  return out;
}

const Change* MvccStore::ChangeAt(int64_t rv) const {
  if (rv <= compacted_rv_ || rv > current_rv_) return nullptr;
  return &log_[static_cast<size_t>(rv - compacted_rv_ - 1)];
}

bool MvccStore::PruneKey(absl::string_view key) {
  auto it = FindKey(key);
  assert(it != histories_.end() && "a logged key keeps its history until DropEmptyKeys");
  std::vector<Version>& v = it->second.versions;
  auto after = std::upper_bound(v.begin(), v.end(), compacted_rv_,
                                [](int64_t r, const Version& x) { return r < x.rv; });
  if (after == v.begin()) return v.empty();
  // Keep the last version at or below the compacted revision (a snapshot
  // there still sees it) unless it is a deletion: absence needs no marker.
  auto keep_from = std::prev(after);
  if (keep_from->object == nullptr) keep_from = after;
  v.erase(v.begin(), keep_from);
  return v.empty();
}

void MvccStore::DropEmptyKeys() {
  // Only dead keys lose every version, and Compact has dropped the dead
  // from the live lists: keys_sorted_ is the one list left to mend.
  SortAllKeys();
  std::vector<const HistoryNode*> empty;
  keys_sorted_.erase(std::remove_if(keys_sorted_.begin(), keys_sorted_.end(),
                                    [&empty](const HistoryNode* node) {
                                      if (!node->second.versions.empty()) return false;
                                      assert(!node->second.listed);
                                      empty.push_back(node);
                                      return true;
                                    }),
                     keys_sorted_.end());
  for (const HistoryNode* node : empty) histories_.erase(histories_.find(node->first));
}

void MvccStore::Compact(int64_t rv) {
  const int64_t target = std::min(rv, current_rv_);
  if (target <= compacted_rv_) return;
  compacted_rv_ = target;
  // Pruning erases only dead keys' nodes; none may stay listed.
  if (dead_listed_ > 0) SortLiveKeys();
  // Only keys written in the compacted range can hold droppable versions.
  bool emptied = false;
  while (!log_.empty() && log_.front().rv <= target) {
    emptied |= PruneKey(log_.front().key);
    log_.pop_front();
  }
  if (emptied) DropEmptyKeys();
}

}  // namespace sim
}  // namespace informersim
