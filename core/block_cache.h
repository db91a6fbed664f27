// BlockCache: a process-wide cache of large freed memory blocks, and
// CachedAllocator, the standard-library allocator that goes through it.
//
// Why: queues and stores grow in big blocks (DeltaFIFO's ring and key index,
// RealFIFO's delta vector, the store's item chunks and key table), and an
// informer or a simulation builds such structures again and again with the
// same growth pattern. glibc hands blocks of that size back to the kernel when
// they are freed (munmap, heap trimming), so each new structure paid page
// faults and zeroing on freshly mapped memory for every block. Keeping freed
// blocks for the next allocation of the same size class is the allocator-level
// counterpart of Go's heap, which keeps its spans after a collection.
//
// Small requests (below kMinCachedBytes) go straight to operator new: malloc
// already reuses those. Large ones are rounded up to a size class (four per
// power of two, so at most 25% waste) and served from that class's free list
// when it has a block. At most kMaxCachedBytes are kept in total; a freed block
// beyond that goes back to operator delete.
//
// Thread safety: Allocate and Deallocate may be called from any thread; one
// Mutex guards the free lists (taken only for large blocks, so rarely).
// Invariants: every cached block came from operator new with its class size;
// the cached total never exceeds kMaxCachedBytes.
#ifndef INFORMERSIM_CORE_BLOCK_CACHE_H_
#define INFORMERSIM_CORE_BLOCK_CACHE_H_

#include <cstddef>
#include <new>

#include "core/source_allocator.h"

namespace informersim {

class BlockCache {
 public:
  static constexpr size_t kMinCachedBytes = size_t{16} << 10;
  static constexpr size_t kMaxBlockBytes = size_t{32} << 20;
  static constexpr size_t kMaxCachedBytes = size_t{96} << 20;

  // `bytes` of memory aligned as operator new aligns; never null (throws
  // std::bad_alloc like operator new).
  static void* Allocate(size_t bytes);
  // Gives back a block from Allocate(bytes), with the same `bytes`.
  static void Deallocate(void* block, size_t bytes) noexcept;

  // The size class `bytes` is rounded up to (itself below kMinCachedBytes).
  static size_t ClassSize(size_t bytes);
  // Bytes currently held in the free lists (for tests).
  static size_t CachedBytes();
};

// An allocator for containers of large, regrowing storage.
template <typename T>
using CachedAllocator = SourceAllocator<T, BlockCache>;

}  // namespace informersim

#endif  // INFORMERSIM_CORE_BLOCK_CACHE_H_
