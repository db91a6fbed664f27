// RingQueue: a FIFO over a power-of-two ring that doubles when full, for
// queues that are filled and drained over and over (a strand's tasks, a
// listener's pending notifications). Once it has grown to the largest
// backlog it meets, pushing and popping allocate nothing, where
// a std::deque allocates and frees a block every few values (and two blocks
// when it is built). client-go keeps a listener's pending notifications in
// the same kind of queue (processorListener.pendingNotifications, a
// k8s.io/utils/buffer.RingGrowing). Unlike RingGrowing it gives a large
// ring back when it empties (more than 1,024 slots), so a burst such as a
// large initial list does not hold its memory for the queue's life.
//
// Thread safety: none; the owner guards it.
// Invariants: capacity_ is 0 or a power of two; exactly the queue's values
// are constructed, at ring positions head_, head_ + 1, ..., head_ + size_ - 1
// (mod capacity_), oldest first. A popped value is destroyed at once.
#ifndef INFORMERSIM_CORE_RING_QUEUE_H_
#define INFORMERSIM_CORE_RING_QUEUE_H_

#include <cassert>
#include <cstddef>
#include <memory>
#include <new>
#include <type_traits>
#include <utility>

namespace informersim {

template <typename T>
class RingQueue {
 public:
  RingQueue() = default;
  RingQueue(const RingQueue&) = delete;
  RingQueue& operator=(const RingQueue&) = delete;
  ~RingQueue() {
    clear();
    Release();
  }

  bool empty() const { return size_ == 0; }
  size_t size() const { return size_; }
  size_t capacity() const { return capacity_; }

  T& front() {
    assert(size_ > 0);
    return slots_[head_];
  }
  const T& front() const {
    assert(size_ > 0);
    return slots_[head_];
  }
  T& back() { return (*this)[size_ - 1]; }
  const T& back() const { return (*this)[size_ - 1]; }
  // The i-th value from the front.
  T& operator[](size_t i) {
    assert(i < size_);
    return slots_[(head_ + i) & (capacity_ - 1)];
  }
  const T& operator[](size_t i) const {
    assert(i < size_);
    return slots_[(head_ + i) & (capacity_ - 1)];
  }

  // Builds a value at the back from `args`, which may refer to a value in
  // the queue (a full queue builds the new value before it moves the old
  // ones).
  template <typename... Args>
  T& emplace_back(Args&&... args) {
    if (size_ == capacity_) return GrowAndEmplace(std::forward<Args>(args)...);
    T* slot = new (&slots_[(head_ + size_) & (capacity_ - 1)]) T(std::forward<Args>(args)...);
    ++size_;
    return *slot;
  }
  void push_back(T&& value) { emplace_back(std::move(value)); }

  void pop_front() {
    assert(size_ > 0);
    slots_[head_].~T();
    head_ = (head_ + 1) & (capacity_ - 1);
    --size_;
    // Emptied after a burst: the memory goes back, or a queue that once
    // held a whole initial list would keep its peak size for good.
    if (size_ == 0 && capacity_ > kKeptCapacity) Release();
  }
  void clear() {
    while (size_ > 0) pop_front();
  }

 private:
  // An empty queue keeps up to this many slots: bursts up to client-go's
  // initial listener buffer (1,024) then grow nothing the next time.
  static constexpr size_t kKeptCapacity = 1024;

  void Release() {
    if (slots_ != nullptr) std::allocator<T>().deallocate(slots_, capacity_);
    slots_ = nullptr;
    capacity_ = 0;
    head_ = 0;
  }

  // Moves, not copies, and cannot be undone halfway: values must move
  // without throwing (every Task, notification and event does).
  static_assert(std::is_nothrow_move_constructible<T>::value,
                "RingQueue moves its values when it grows");

  template <typename... Args>
  T& GrowAndEmplace(Args&&... args) {
    const size_t grown_capacity = capacity_ == 0 ? 8 : 2 * capacity_;
    T* grown = std::allocator<T>().allocate(grown_capacity);
    T* slot = new (&grown[size_]) T(std::forward<Args>(args)...);
    for (size_t i = 0; i < size_; ++i) {
      T& from = slots_[(head_ + i) & (capacity_ - 1)];
      new (&grown[i]) T(std::move(from));
      from.~T();
    }
    if (slots_ != nullptr) std::allocator<T>().deallocate(slots_, capacity_);
    slots_ = grown;
    capacity_ = grown_capacity;
    head_ = 0;
    ++size_;
    return *slot;
  }

  T* slots_ = nullptr;
  size_t capacity_ = 0;
  size_t head_ = 0;
  size_t size_ = 0;
};

}  // namespace informersim

#endif  // INFORMERSIM_CORE_RING_QUEUE_H_
