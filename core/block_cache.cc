#include "core/block_cache.h"

#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/numeric/bits.h"
#include "core/mutex.h"

namespace informersim {
namespace {

struct FreeLists {
  // Shared by every thread, simulated worlds' included: never elided.
  Mutex mu{Mutex::Elision::kNever};
  // Class size -> cached blocks of that size.
  absl::flat_hash_map<size_t, std::vector<void*>> blocks ABSL_GUARDED_BY(mu);
  size_t cached_bytes ABSL_GUARDED_BY(mu) = 0;
};

// Never destroyed: containers with static storage may free blocks during
// exit, after any destructor of ours would have run.
FreeLists& Lists() {
  static FreeLists* lists = new FreeLists();
  return *lists;
}

}  // namespace

size_t BlockCache::ClassSize(size_t bytes) {
  if (bytes < kMinCachedBytes) return bytes;
  // Four classes per power of two: steps of a quarter of the lower bound.
  const int step_bits = static_cast<int>(absl::bit_width(bytes - 1)) - 3;
  const size_t step = size_t{1} << step_bits;
  return (bytes + step - 1) & ~(step - 1);
}

void* BlockCache::Allocate(size_t bytes) {
  const size_t size = ClassSize(bytes);
  if (bytes >= kMinCachedBytes && size <= kMaxBlockBytes) {
    FreeLists& lists = Lists();
    MutexLock lock(&lists.mu);
    auto it = lists.blocks.find(size);
    if (it != lists.blocks.end() && !it->second.empty()) {
      void* block = it->second.back();
      it->second.pop_back();
      lists.cached_bytes -= size;
      return block;
    }
  }
  return ::operator new(size);
}

void BlockCache::Deallocate(void* block, size_t bytes) noexcept {
  if (block == nullptr) return;
  const size_t size = ClassSize(bytes);
  if (bytes >= kMinCachedBytes && size <= kMaxBlockBytes) {
    FreeLists& lists = Lists();
    MutexLock lock(&lists.mu);
    if (lists.cached_bytes + size <= kMaxCachedBytes) {
      lists.blocks[size].push_back(block);
      lists.cached_bytes += size;
      return;
    }
  }
  ::operator delete(block);
}

size_t BlockCache::CachedBytes() {
  FreeLists& lists = Lists();
  MutexLock lock(&lists.mu);
  return lists.cached_bytes;
}

}  // namespace informersim
