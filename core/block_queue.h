// BlockQueue: a FIFO of values in fixed-size blocks (from BlockCache), for
// queues that append at the tail and consume at the head.
//
// Why not a vector: a vector that grows by doubling moves every element on
// each growth and needs one large block per size; here growing adds a block,
// nothing ever moves, and a block drained at the head is kept as a spare for
// the tail, so a queue that is filled and drained over and over stops
// allocating.
//
// Thread safety: none; the owner guards it.
// Invariants: the values at positions [head_, tail_) are constructed and no
// others; blocks_[i] holds positions of block number first_block_ + i.
#ifndef INFORMERSIM_CORE_BLOCK_QUEUE_H_
#define INFORMERSIM_CORE_BLOCK_QUEUE_H_

#include <cassert>
#include <cstddef>
#include <cstdint>
#include <new>
#include <utility>
#include <vector>

#include "core/block_cache.h"

namespace informersim {

template <typename T>
class BlockQueue {
 public:
  BlockQueue() = default;
  BlockQueue(const BlockQueue&) = delete;
  BlockQueue& operator=(const BlockQueue&) = delete;
  ~BlockQueue() {
    clear();
    CachedAllocator<T> allocator;
    for (T* block : blocks_) allocator.deallocate(block, kBlockSize);
    if (spare_ != nullptr) allocator.deallocate(spare_, kBlockSize);
  }

  size_t size() const { return static_cast<size_t>(tail_ - head_); }
  bool empty() const { return tail_ == head_; }

  // The i-th value from the head.
  T& operator[](size_t i) { return At(head_ + i); }
  const T& operator[](size_t i) const { return At(head_ + i); }
  T& front() { return At(head_); }

  void push_back(T&& value) {
    if ((tail_ >> kBlockBits) - first_block_ == blocks_.size()) {
      T* block = spare_;
      spare_ = nullptr;
      if (block == nullptr) block = CachedAllocator<T>().allocate(kBlockSize);
      blocks_.push_back(block);
    }
    new (&At(tail_)) T(std::move(value));
    ++tail_;
  }

  // Destroys the `n` values at the head.
  void pop_front(size_t n) {
    assert(n <= size());
    for (size_t k = 0; k < n; ++k) {
      At(head_).~T();
      ++head_;
      if ((head_ & (kBlockSize - 1)) == 0) RetireFrontBlock();
    }
  }
  void clear() { pop_front(size()); }

 private:
  // About 32 KiB per block, a power of two of values.
  static constexpr int BlockBits() {
    int bits = 0;
    while ((size_t{2} << bits) * sizeof(T) <= (size_t{32} << 10)) ++bits;
    return bits;
  }
  static constexpr int kBlockBits = BlockBits();
  static constexpr uint64_t kBlockSize = uint64_t{1} << kBlockBits;

  T& At(uint64_t pos) { return blocks_[(pos >> kBlockBits) - first_block_][pos & (kBlockSize - 1)]; }
  const T& At(uint64_t pos) const {
    return blocks_[(pos >> kBlockBits) - first_block_][pos & (kBlockSize - 1)];
  }

  // The head just left the front block.
  void RetireFrontBlock() {
    T* drained = blocks_.front();
    blocks_.erase(blocks_.begin());
    ++first_block_;
    if (spare_ == nullptr) {
      spare_ = drained;
    } else {
      CachedAllocator<T>().deallocate(drained, kBlockSize);
    }
  }

  std::vector<T*> blocks_;
  uint64_t first_block_ = 0;
  T* spare_ = nullptr;
  uint64_t head_ = 0;
  uint64_t tail_ = 0;
};

}  // namespace informersim

#endif  // INFORMERSIM_CORE_BLOCK_QUEUE_H_
