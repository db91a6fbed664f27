// SmallBlockPool: per-thread free lists of small heap blocks in power-of-two
// size classes: the storage of Deltas (core/delta.h) and of the store's id
// sets (core/id_set.h).
//
// Why: a DeltaFIFO key's Deltas grows 1 -> 4 -> 16 ... deltas and is
// freed when the key is popped. In a queue that is filled and drained again
// and again, glibc coalesces the freed blocks into the top of its heap and
// hands them back to the kernel, so the next fill faults fresh pages in for
// its blocks (half of the W2 update-churn benchmark's time). Keeping freed
// blocks for the next allocation of the same class is reuse by design: the
// small-block counterpart of BlockCache, and of the per-processor caches of
// Go's allocator.
//
// Blocks of 1 byte to kMaxBlockBytes are rounded up to a power of two (at
// least kMinBlockBytes); larger requests go straight to operator new. A
// thread keeps at most kMaxKeptBytes; a block freed beyond that goes back to
// operator delete. A block may be freed on another thread than the one that
// allocated it: it joins the freeing thread's lists. A thread's kept blocks
// are freed when it exits. Under AddressSanitizer the pool is bypassed
// (kEnabled is false), so that a use of a freed block is still reported.
//
// Thread safety: Allocate and Deallocate may be called from any thread; each
// thread touches only its own lists, so there are no locks.
// Invariants: every kept block came from operator new with its class size;
// a thread's kept bytes never exceed kMaxKeptBytes.
#ifndef INFORMERSIM_CORE_SMALL_BLOCK_POOL_H_
#define INFORMERSIM_CORE_SMALL_BLOCK_POOL_H_

#include <cstddef>
#include <new>

namespace informersim {

class SmallBlockPool {
 public:
#if defined(__SANITIZE_ADDRESS__)
  static constexpr bool kEnabled = false;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
  static constexpr bool kEnabled = false;
#else
  static constexpr bool kEnabled = true;
#endif
#else
  static constexpr bool kEnabled = true;
#endif
  static constexpr size_t kMinBlockBytes = 32;
  static constexpr size_t kMaxBlockBytes = size_t{64} << 10;
  static constexpr size_t kMaxKeptBytes = size_t{32} << 20;

  // `bytes` of memory aligned as operator new aligns; never null (throws
  // std::bad_alloc like operator new).
  static void* Allocate(size_t bytes);
  // Gives back a block from Allocate(bytes), with the same `bytes`.
  static void Deallocate(void* block, size_t bytes) noexcept;

  // The size `bytes` is rounded up to (itself above kMaxBlockBytes).
  static size_t ClassBytes(size_t bytes);
  // Bytes the calling thread keeps for reuse (for tests).
  static size_t KeptBytes();
};

}  // namespace informersim

#endif  // INFORMERSIM_CORE_SMALL_BLOCK_POOL_H_
