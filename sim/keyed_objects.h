// KeyedObjects: the objects of one API server instance's watch cache by key,
// written one key at a time in amortized O(1) and read in key order on
// demand.
//
// Why not an ordered tree: every commit writes every instance's cache, while
// only a LIST served from the cache or a watch's initial state reads it in
// key order. A tree pays a string compare per level on every write; here a
// write is one hash lookup, and the key order is kept as a sorted list that
// is brought up to date only when somebody reads it: keys new since the last
// read are sorted among themselves and merged in, in one pass that a read
// (which walks every object anyway) pays for.
//
// Thread safety: none; the simulator is single-threaded.
// Invariants:
//   - live_ is the number of keys whose object is non-null;
//   - every key in map_ is in exactly one of sorted_ (in key order) and
//     added_; an erased key keeps its node, with a null object, until the
//     next merge drops it, and a merge happens before erased nodes outnumber
//     the live ones (plus a small slack), so memory stays bounded by the
//     live keys.
#ifndef INFORMERSIM_SIM_KEYED_OBJECTS_H_
#define INFORMERSIM_SIM_KEYED_OBJECTS_H_

#include <cstddef>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/node_hash_map.h"
#include "absl/strings/string_view.h"
#include "core/item.h"
#include "core/key_index.h"

namespace informersim {
namespace sim {

class KeyedObjects {
 public:
  KeyedObjects() = default;
  // Not copyable: the order lists point into map_'s nodes (a move keeps the
  // nodes, so moves are fine). A moved-from value is empty.
  KeyedObjects(const KeyedObjects&) = delete;
  KeyedObjects& operator=(const KeyedObjects&) = delete;
  KeyedObjects(KeyedObjects&& other) noexcept { *this = std::move(other); }
  KeyedObjects& operator=(KeyedObjects&& other) noexcept {
    if (this != &other) {
      map_ = std::move(other.map_);
      sorted_ = std::move(other.sorted_);
      added_ = std::move(other.added_);
      live_ = other.live_;
      other.map_.clear();
      other.sorted_.clear();
      other.added_.clear();
      other.live_ = 0;
    }
    return *this;
  }

  // Stores `object` (non-null) under `key`, replacing what was there.
  void Set(absl::string_view key, ObjectPtr object);
  // Removes `key`; a no-op if absent.
  void Erase(absl::string_view key);
  // The object under `key`, or null.
  const ObjectPtr* Find(absl::string_view key) const;

  size_t size() const { return live_; }
  bool empty() const { return live_ == 0; }
  // Keys held, erased ones not yet dropped included (for tests).
  size_t held_keys() const { return map_.size(); }

  // Calls f(const std::string& key, const ObjectPtr& object) for every key,
  // in key order. The references stay valid until the next Set or Erase.
  template <typename F>
  void ForEachInKeyOrder(F&& f) {
    Merge();
    for (const Node* node : sorted_) f(node->first, node->second);
  }

 private:
  using Map = absl::node_hash_map<std::string, ObjectPtr, KeyHasher>;
  using Node = Map::value_type;

  // Sorts added_ into sorted_ and drops the erased keys.
  void Merge();

  Map map_;
  std::vector<Node*> sorted_;
  std::vector<Node*> added_;
  size_t live_ = 0;
};

}  // namespace sim
}  // namespace informersim

#endif  // INFORMERSIM_SIM_KEYED_OBJECTS_H_
