// Threaded tests of RealFIFO and FIFO: blocking Pop/PopBatch, Close waking
// blocked consumers, producers racing a consumer, and RealFIFO's
// UnlockWhileProcessing. The threads live in this test only (core/ never
// starts one). Run under ThreadSanitizer:
//   bazel test --config=tsan //tests/core:fifo_blocking_test
#include <atomic>
#include <functional>
#include <chrono>
#include <condition_variable>
#include <future>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "core/fifo.h"
#include "core/real_fifo.h"
#include "gtest/gtest.h"
#include "tests/core/real_fifo_test_support.h"

namespace informersim {
namespace {

using ::informersim::testing_fifo::FifoKey;
using ::informersim::testing_fifo::FifoObj;
using ::informersim::testing_fifo::LiteralListerGetter;
using ::informersim::testing_fifo::NameOf;
using ::informersim::testing_fifo::ValOf;

constexpr auto kPatience = std::chrono::seconds(10);

std::unique_ptr<RealFIFO> NewRealFIFO(const KeyListerGetter* known) {
  RealFIFOOptions o;
  o.key_function = FifoKey;
  o.known_objects = known;
  absl::StatusOr<std::unique_ptr<RealFIFO>> f = RealFIFO::Create(std::move(o));
  EXPECT_TRUE(f.ok()) << f.status();
  return *std::move(f);
}

std::unique_ptr<RealFIFO> NewAtomicRealFIFO(bool unlock_while_processing) {
  RealFIFOOptions o;
  o.key_function = FifoKey;
  o.atomic_events = true;
  o.unlock_while_processing = unlock_while_processing;
  absl::StatusOr<std::unique_ptr<RealFIFO>> f = RealFIFO::Create(std::move(o));
  EXPECT_TRUE(f.ok()) << f.status();
  return *std::move(f);
}

// What a consumer thread received, shared with the test thread.
class Inbox {
 public:
  void Put(Item item) {
    std::lock_guard<std::mutex> lock(mu_);
    items_.push_back(std::move(item));
    cv_.notify_all();
  }
  // Waits until at least n items arrived; false on timeout.
  bool WaitFor(size_t n) {
    std::unique_lock<std::mutex> lock(mu_);
    return cv_.wait_for(lock, kPatience, [&] { return items_.size() >= n; });
  }
  std::vector<Item> Items() {
    std::lock_guard<std::mutex> lock(mu_);
    return items_;
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<Item> items_;
};

// A consumer that pops (blocking) until the queue is closed and drained.
std::thread RealFIFOConsumer(RealFIFO* f, Inbox* inbox) {
  return std::thread([f, inbox] {
    for (;;) {
      PopResult r = f->Pop([&](const Deltas& d, bool) {
        const Delta& newest = d.back();
        inbox->Put(newest.object);
        return absl::OkStatus();
      });
      if (r.outcome == PopOutcome::kClosed) return;
    }
  });
}

std::thread FIFOConsumer(FIFO* f, Inbox* inbox) {
  return std::thread([f, inbox] {
    for (;;) {
      PopResult r = f->PopItem([&](const Item& obj, bool) {
        inbox->Put(obj);
        return absl::OkStatus();
      });
      if (r.outcome == PopOutcome::kClosed) return;
    }
  });
}

// Ten blocked pops all return once the queue is closed.
template <typename PopFn>
void ExpectBlockedPopsReturnOnClose(std::function<void()> close, PopFn pop) {
  constexpr int kJobs = 10;
  std::atomic<int> returned{0};
  std::vector<std::thread> jobs;
  for (int i = 0; i < kJobs; ++i) {
    jobs.emplace_back([&] {
      EXPECT_EQ(pop(), PopOutcome::kClosed);
      returned.fetch_add(1);
    });
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(20));  // let them block
  EXPECT_EQ(returned.load(), 0);
  close();
  const auto deadline = std::chrono::steady_clock::now() + kPatience;
  while (returned.load() < kJobs && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  ASSERT_EQ(returned.load(), kJobs) << "timed out waiting for Pop to return after Close";
  for (std::thread& t : jobs) t.join();
}

// Mirrors client-go TestRealFIFO_basic: two producer threads, one blocking
// consumer; each producer's values arrive in order.
TEST(RealFIFOBlockingTest, Basic) {
  LiteralListerGetter known({});
  auto f = NewRealFIFO(&known);
  constexpr int kAmount = 500;
  std::thread a([&] {
    for (int i = 0; i < kAmount; ++i) ASSERT_TRUE(f->Add(FifoObj(absl::StrCat("a", i), i + 1)).ok());
  });
  std::thread b([&] {
    for (int i = 0; i < kAmount; ++i) ASSERT_TRUE(f->Add(FifoObj(absl::StrCat("b", i), i + 1)).ok());
  });
  int64_t last_a = 0, last_b = 0;
  for (int i = 0; i < 2 * kAmount; ++i) {
    Item got;
    PopResult r = f->Pop([&](const Deltas& d, bool) {
      got = d.back().object;
      return absl::OkStatus();
    });
    ASSERT_EQ(r.outcome, PopOutcome::kPopped);
    int64_t& last = NameOf(got)[0] == 'a' ? last_a : last_b;
    EXPECT_GT(ValOf(got), last) << NameOf(got) << " out of order";
    last = ValOf(got);
  }
  a.join();
  b.join();
  EXPECT_EQ(last_a, kAmount);
  EXPECT_EQ(last_b, kAmount);
}

// Mirrors client-go TestRealFIFO_addUpdate: a consumer thread receives all
// three events, and nothing more before Close ends it.
TEST(RealFIFOBlockingTest, AddUpdate) {
  LiteralListerGetter known({});
  auto f = NewRealFIFO(&known);
  ASSERT_TRUE(f->Add(FifoObj("foo", 10)).ok());
  ASSERT_TRUE(f->Update(FifoObj("foo", 12)).ok());
  ASSERT_TRUE(f->Delete(FifoObj("foo", 15)).ok());
  Inbox inbox;
  std::thread consumer = RealFIFOConsumer(f.get(), &inbox);
  ASSERT_TRUE(inbox.WaitFor(3));
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  f->Close();
  consumer.join();
  std::vector<Item> got = inbox.Items();
  ASSERT_EQ(got.size(), 3u);
  EXPECT_EQ(ValOf(got[0]), 10);
  EXPECT_EQ(ValOf(got[1]), 12);
  EXPECT_EQ(ValOf(got[2]), 15);
  EXPECT_EQ(f->size(), 0u);
}

// Mirrors client-go TestRealFIFO_addReplace.
TEST(RealFIFOBlockingTest, AddReplace) {
  LiteralListerGetter known({});
  auto f = NewRealFIFO(&known);
  ASSERT_TRUE(f->Add(FifoObj("foo", 10)).ok());
  ASSERT_TRUE(f->Replace({FifoObj("foo", 15)}, "0").ok());
  Inbox inbox;
  std::thread consumer = RealFIFOConsumer(f.get(), &inbox);
  ASSERT_TRUE(inbox.WaitFor(2));
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  f->Close();
  consumer.join();
  std::vector<Item> got = inbox.Items();
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(ValOf(got[0]), 10);
  EXPECT_EQ(ValOf(got[1]), 15);
  EXPECT_EQ(f->size(), 0u);
}

// Mirrors client-go TestRealFIFO_ReplaceAtomicPop.
TEST(RealFIFOBlockingTest, ReplaceAtomicPop) {
  auto f = NewAtomicRealFIFO(false);
  ASSERT_TRUE(f->Add(FifoObj("foo", 10)).ok());
  ASSERT_TRUE(f->Replace({FifoObj("foo", 15)}, "20").ok());
  Inbox inbox;
  std::thread consumer = RealFIFOConsumer(f.get(), &inbox);
  ASSERT_TRUE(inbox.WaitFor(2));
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  f->Close();
  consumer.join();
  std::vector<Item> got = inbox.Items();
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(NameOf(got[0]), "foo");
  EXPECT_EQ(ValOf(got[0]), 10);
  ASSERT_EQ(got[1].kind(), Item::Kind::kReplacedAll);
  ASSERT_EQ(got[1].replaced_all().objects.size(), 1u);
  EXPECT_EQ(got[1].replaced_all().objects[0]->metadata().resource_version(), "15");
}

// Mirrors client-go TestRealFIFO_PopShouldUnblockWhenClosed.
TEST(RealFIFOBlockingTest, PopShouldUnblockWhenClosed) {
  LiteralListerGetter known({FifoObj("foo", 5)});
  auto f = NewRealFIFO(&known);
  ExpectBlockedPopsReturnOnClose([&] { f->Close(); }, [&] {
    return f->Pop([](const Deltas&, bool) { return absl::OkStatus(); }).outcome;
  });
}

// The same for PopBatch (client-go's batch tests leave blocked PopBatch
// goroutines that Close releases).
TEST(RealFIFOBlockingTest, PopBatchShouldUnblockWhenClosed) {
  auto f = NewAtomicRealFIFO(true);
  ExpectBlockedPopsReturnOnClose([&] { f->Close(); }, [&] {
    return f
        ->PopBatch([](absl::Span<const Delta>, bool) { return absl::OkStatus(); },
                   [](const Deltas&, bool) { return absl::OkStatus(); })
        .outcome;
  });
}

// R9: with UnlockWhileProcessing a producer thread can enqueue while the
// consumer's callback runs; without it the producer waits for the callback.
TEST(RealFIFOBlockingTest, UnlockWhileProcessingLetsProducersIn) {
  for (bool unlock : {true, false}) {
    SCOPED_TRACE(unlock ? "unlocked" : "locked");
    auto f = NewAtomicRealFIFO(unlock);
    ASSERT_TRUE(f->Add(FifoObj("a", 1)).ok());
    std::promise<void> added;
    std::future<void> added_future = added.get_future();
    std::thread producer;
    bool added_during_process = false;
    PopResult r = f->Pop([&](const Deltas&, bool) {
      producer = std::thread([&] {
        EXPECT_TRUE(f->Add(FifoObj("b", 2)).ok());
        added.set_value();
      });
      const auto wait = unlock ? kPatience : std::chrono::milliseconds(100);
      added_during_process = added_future.wait_for(wait) == std::future_status::ready;
      return absl::OkStatus();
    });
    producer.join();
    EXPECT_EQ(r.outcome, PopOutcome::kPopped);
    EXPECT_EQ(added_during_process, unlock);
    EXPECT_EQ(f->size(), 1u);
  }
}

// Several producers and one PopBatch consumer: nothing lost or duplicated,
// and each producer's events keep their order (R1, R10).
TEST(RealFIFOBlockingTest, ProducersRaceBatchConsumer) {
  auto f = NewAtomicRealFIFO(true);
  constexpr int kProducers = 4;
  constexpr int kPerProducer = 2000;
  std::vector<std::thread> producers;
  for (int p = 0; p < kProducers; ++p) {
    producers.emplace_back([&, p] {
      for (int i = 0; i < kPerProducer; ++i) {
        // Few keys per producer, so duplicate keys split batches often.
        ASSERT_TRUE(f->Update(FifoObj(absl::StrCat("p", p, "-", i % 3), i)).ok());
      }
    });
  }
  std::vector<int64_t> last(kProducers, -1);
  int received = 0;
  while (received < kProducers * kPerProducer) {
    auto take = [&](const Delta& d) {
      const std::string name = NameOf(d.object);
      const int p = name[1] - '0';
      EXPECT_EQ(ValOf(d.object), last[p] + 1) << name;
      last[p] = ValOf(d.object);
      ++received;
    };
    PopResult r = f->PopBatch(
        [&](absl::Span<const Delta> batch, bool) {
          for (const Delta& d : batch) take(d);
          return absl::OkStatus();
        },
        [&](const Deltas& d, bool) {
          take(d.back());
          return absl::OkStatus();
        });
    ASSERT_EQ(r.outcome, PopOutcome::kPopped);
  }
  for (std::thread& t : producers) t.join();
  EXPECT_EQ(f->size(), 0u);
  f->Close();
}

// Mirrors client-go TestFIFO_basic.
TEST(FIFOBlockingTest, Basic) {
  FIFO f(FifoKey);
  constexpr int kAmount = 500;
  std::thread a([&] {
    for (int i = 0; i < kAmount; ++i) ASSERT_TRUE(f.Add(FifoObj(absl::StrCat("a", i), i + 1)).ok());
  });
  std::thread b([&] {
    for (int i = 0; i < kAmount; ++i) ASSERT_TRUE(f.Add(FifoObj(absl::StrCat("b", i), i + 1)).ok());
  });
  int64_t last_a = 0, last_b = 0;
  for (int i = 0; i < 2 * kAmount; ++i) {
    Item got;
    PopResult r = f.PopItem([&](const Item& obj, bool) {
      got = obj;
      return absl::OkStatus();
    });
    ASSERT_EQ(r.outcome, PopOutcome::kPopped);
    int64_t& last = NameOf(got)[0] == 'a' ? last_a : last_b;
    EXPECT_GT(ValOf(got), last) << NameOf(got) << " out of order";
    last = ValOf(got);
  }
  a.join();
  b.join();
}

// Mirrors client-go TestFIFO_addUpdate.
TEST(FIFOBlockingTest, AddUpdate) {
  FIFO f(FifoKey);
  ASSERT_TRUE(f.Add(FifoObj("foo", 10)).ok());
  ASSERT_TRUE(f.Update(FifoObj("foo", 15)).ok());
  Inbox inbox;
  std::thread consumer = FIFOConsumer(&f, &inbox);
  ASSERT_TRUE(inbox.WaitFor(1));
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  absl::StatusOr<std::optional<Item>> left = f.Get(FifoObj("foo", 0));
  f.Close();
  consumer.join();
  std::vector<Item> got = inbox.Items();
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(ValOf(got[0]), 15);
  ASSERT_TRUE(left.ok());
  EXPECT_FALSE(left->has_value()) << "item did not get removed";
}

// Mirrors client-go TestFIFO_addReplace.
TEST(FIFOBlockingTest, AddReplace) {
  FIFO f(FifoKey);
  ASSERT_TRUE(f.Add(FifoObj("foo", 10)).ok());
  ASSERT_TRUE(f.Replace({FifoObj("foo", 15)}, "15").ok());
  Inbox inbox;
  std::thread consumer = FIFOConsumer(&f, &inbox);
  ASSERT_TRUE(inbox.WaitFor(1));
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  absl::StatusOr<std::optional<Item>> left = f.Get(FifoObj("foo", 0));
  f.Close();
  consumer.join();
  std::vector<Item> got = inbox.Items();
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(ValOf(got[0]), 15);
  ASSERT_TRUE(left.ok());
  EXPECT_FALSE(left->has_value()) << "item did not get removed";
}

// Mirrors client-go TestFIFO_PopShouldUnblockWhenClosed.
TEST(FIFOBlockingTest, PopShouldUnblockWhenClosed) {
  FIFO f(FifoKey);
  ExpectBlockedPopsReturnOnClose([&] { f.Close(); }, [&] {
    return f.PopItem([](const Item&, bool) { return absl::OkStatus(); }).outcome;
  });
}

// A consumer blocked on an empty FIFO wakes for a Replace.
TEST(FIFOBlockingTest, ReplaceWakesBlockedPop) {
  FIFO f(FifoKey);
  Inbox inbox;
  std::thread consumer = FIFOConsumer(&f, &inbox);
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  ASSERT_TRUE(f.Replace({FifoObj("a", 1), FifoObj("b", 2)}, "1").ok());
  ASSERT_TRUE(inbox.WaitFor(2));
  f.Close();
  consumer.join();
  EXPECT_TRUE(f.HasSynced());
}

}  // namespace
}  // namespace informersim
