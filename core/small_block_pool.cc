#include "core/small_block_pool.h"

#include <cstdint>

#include "absl/base/attributes.h"

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

// A thread's lists. Trivially destructible and zero-initialised, so that
// reading them needs no initialisation check and stays valid after the
// thread's exit handlers ran (a static object's destructor may free a block
// on the main thread after them).
struct ThreadLists {
  FreeBlock* heads[kClasses];
  size_t kept;
  bool reaper_registered;
  bool closed;  // the thread is exiting: free blocks at once
};

thread_local ThreadLists lists;

// Frees the lists' blocks at thread exit. Built on the first block a thread
// keeps (building it registers its destructor).
struct Reaper {
  ~Reaper() {
    for (int c = 0; c < kClasses; ++c) {
      while (lists.heads[c] != nullptr) {
        FreeBlock* b = lists.heads[c];
        lists.heads[c] = b->next;
        ::operator delete(b);
      }
    }
    lists.kept = 0;
    lists.closed = true;
  }
};

ABSL_ATTRIBUTE_NOINLINE void RegisterReaper() {
  static thread_local Reaper reaper;
  (void)reaper;
  lists.reaper_registered = true;
}

void* Take(int c) {
  FreeBlock* b = lists.heads[c];
  if (b == nullptr) return ::operator new(BytesOf(c));
  lists.heads[c] = b->next;
  lists.kept -= BytesOf(c);
  return b;
}

void Keep(void* block, int c) {
  const size_t bytes = BytesOf(c);
  if (lists.closed || lists.kept + bytes > SmallBlockPool::kMaxKeptBytes) {
    ::operator delete(block);
    return;
  }
  if (!lists.reaper_registered) RegisterReaper();
  lists.heads[c] = ::new (block) FreeBlock{lists.heads[c]};
  lists.kept += bytes;
}

}  // namespace

size_t SmallBlockPool::ClassBytes(size_t bytes) {
  return bytes > kMaxBlockBytes ? bytes : BytesOf(ClassOf(bytes));
}

void* SmallBlockPool::Allocate(size_t bytes) {
  if (!kEnabled || bytes > kMaxBlockBytes) return ::operator new(bytes);
  return Take(ClassOf(bytes));
}

void SmallBlockPool::Deallocate(void* block, size_t bytes) noexcept {
  if (block == nullptr) return;
  if (!kEnabled || bytes > kMaxBlockBytes) {
    ::operator delete(block);
    return;
  }
  Keep(block, ClassOf(bytes));
}

size_t SmallBlockPool::KeptBytes() { return kEnabled ? lists.kept : 0; }

}  // namespace informersim
