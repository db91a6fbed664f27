#include "core/small_block_pool.h"

#include <cstdint>

namespace informersim {
namespace {

constexpr int kMinShift = 5;   // kMinBlockBytes
constexpr int kMaxShift = 16;  // kMaxBlockBytes
constexpr int kClasses = kMaxShift - kMinShift + 1;
static_assert(SmallBlockPool::kMinBlockBytes == size_t{1} << kMinShift, "");
static_assert(SmallBlockPool::kMaxBlockBytes == size_t{1} << kMaxShift, "");

// A kept block's first bytes link it to the next one of its class.
struct FreeBlock {
  FreeBlock* next;
};
static_assert(sizeof(FreeBlock) <= SmallBlockPool::kMinBlockBytes, "");

// Class c holds blocks of 2^(kMinShift + c) bytes; `bytes` <= kMaxBlockBytes.
int ClassOf(size_t bytes) {
  if (bytes <= SmallBlockPool::kMinBlockBytes) return 0;
  const int shift = 64 - __builtin_clzll(static_cast<unsigned long long>(bytes - 1));
  return shift - kMinShift;
}

size_t BytesOf(int c) { return size_t{1} << (kMinShift + c); }

class ThreadLists {
 public:
  ThreadLists() = default;
  ThreadLists(const ThreadLists&) = delete;
  ThreadLists& operator=(const ThreadLists&) = delete;
  // At thread exit. A block freed afterwards on this thread (by a static
  // object's destructor on the main thread) goes straight back.
  ~ThreadLists() {
    for (int c = 0; c < kClasses; ++c) {
      while (heads_[c] != nullptr) {
        FreeBlock* b = heads_[c];
        heads_[c] = b->next;
        ::operator delete(b, BytesOf(c));
      }
    }
    kept_ = 0;
    closed_ = true;
  }

  void* Take(int c) {
    FreeBlock* b = heads_[c];
    if (b == nullptr) return ::operator new(BytesOf(c));
    heads_[c] = b->next;
    kept_ -= BytesOf(c);
    return b;
  }

  void Keep(void* block, int c) {
    const size_t bytes = BytesOf(c);
    if (closed_ || kept_ + bytes > SmallBlockPool::kMaxKeptBytes) {
      ::operator delete(block, bytes);
      return;
    }
    FreeBlock* b = ::new (block) FreeBlock{heads_[c]};
    heads_[c] = b;
    kept_ += bytes;
  }

  size_t kept() const { return kept_; }

 private:
  FreeBlock* heads_[kClasses] = {};
  size_t kept_ = 0;
  bool closed_ = false;
};

thread_local ThreadLists lists;

}  // namespace

size_t SmallBlockPool::ClassBytes(size_t bytes) {
  return bytes > kMaxBlockBytes ? bytes : BytesOf(ClassOf(bytes));
}

void* SmallBlockPool::Allocate(size_t bytes) {
  if (!kEnabled) return ::operator new(bytes);
  if (bytes > kMaxBlockBytes) return ::operator new(bytes);
  return lists.Take(ClassOf(bytes));
}

void SmallBlockPool::Deallocate(void* block, size_t bytes) noexcept {
  if (block == nullptr) return;
  if (!kEnabled) {
    ::operator delete(block, bytes);
    return;
  }
  if (bytes > kMaxBlockBytes) {
    ::operator delete(block, bytes);
    return;
  }
  lists.Keep(block, ClassOf(bytes));
}

size_t SmallBlockPool::KeptBytes() { return kEnabled ? lists.kept() : 0; }

}  // namespace informersim
