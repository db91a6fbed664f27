// SourceAllocator: a stateless standard-library allocator that takes its
// memory from a source's static Allocate(bytes) and Deallocate(p, bytes)
// (BlockCache). All instances are equal, so containers move
// and swap storage freely between them.
//
// Thread safety: as the source's functions.
#ifndef INFORMERSIM_CORE_SOURCE_ALLOCATOR_H_
#define INFORMERSIM_CORE_SOURCE_ALLOCATOR_H_

#include <cstddef>
#include <new>

namespace informersim {

template <typename T, typename Source>
class SourceAllocator {
 public:
  static_assert(alignof(T) <= __STDCPP_DEFAULT_NEW_ALIGNMENT__,
                "sources align their blocks as operator new does");
  using value_type = T;

  SourceAllocator() = default;
  template <typename U>
  SourceAllocator(const SourceAllocator<U, Source>&) noexcept {}  // NOLINT: rebinding

  T* allocate(size_t n) {
    if (n > static_cast<size_t>(-1) / sizeof(T)) throw std::bad_array_new_length();
    return static_cast<T*>(Source::Allocate(n * sizeof(T)));
  }
  void deallocate(T* p, size_t n) noexcept { Source::Deallocate(p, n * sizeof(T)); }

  friend bool operator==(const SourceAllocator&, const SourceAllocator&) { return true; }
  friend bool operator!=(const SourceAllocator&, const SourceAllocator&) { return false; }
};

}  // namespace informersim

#endif  // INFORMERSIM_CORE_SOURCE_ALLOCATOR_H_
