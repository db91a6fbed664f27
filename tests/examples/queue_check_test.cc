// Worked example 2 of docs/USER_GUIDE.md: a modified queue checked against
// the faithful one. The modification is a decorator over the informer's own
// queue that skips a Delete for a key it never saw (an "optimization": why
// queue the deletion of an unknown object?). Keys come to a queue by Add,
// Update and Replace; the version that forgets Replace drops the deletes of
// listed objects, and the informer keeps ghosts (INV1). The version that
// learns from Replace too behaves exactly as the faithful queue: the same
// seed gives the same trace, step for step.
#include <memory>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "core/controller.h"
#include "core/keys.h"
#include "core/queue.h"
#include "gtest/gtest.h"
#include "sim/harness.h"
#include "sim/harness_gtest.h"

namespace informersim {
namespace {

// ---- The user's code ----
class SkipUnknownDeletes final : public Queue {
 public:
  SkipUnknownDeletes(std::unique_ptr<Queue> inner, bool learn_from_replace)
      : inner_(std::move(inner)), learn_from_replace_(learn_from_replace) {}

  absl::Status Add(Item obj) override { return Learn(obj) ? inner_->Add(std::move(obj)) : Bad(); }
  absl::Status Update(Item obj) override {
    return Learn(obj) ? inner_->Update(std::move(obj)) : Bad();
  }
  absl::Status Delete(Item obj) override {
    absl::StatusOr<std::string> key = DeletionHandlingMetaNamespaceKeyFunc(obj);
    if (!key.ok()) return key.status();
    if (keys_.erase(*key) == 0) return absl::OkStatus();  // "nothing to delete"
    return inner_->Delete(std::move(obj));
  }
  absl::Status Replace(std::vector<Item> list, absl::string_view rv) override {
    if (learn_from_replace_) {
      keys_.clear();
      for (const Item& item : list) Learn(item);
    }
    return inner_->Replace(std::move(list), rv);
  }
  absl::Status Resync() override { return inner_->Resync(); }
  PopResult Pop(PopProcessFunc process) override { return inner_->Pop(process); }
  PopResult TryPop(PopProcessFunc process) override { return inner_->TryPop(process); }
  bool HasSynced() const override { return inner_->HasSynced(); }
  void Close() override { inner_->Close(); }
  bool IsClosed() const override { return inner_->IsClosed(); }
  void SetReadyCallback(std::function<void()> on_ready) override {
    inner_->SetReadyCallback(std::move(on_ready));
  }

 private:
  bool Learn(const Item& obj) {
    absl::StatusOr<std::string> key = DeletionHandlingMetaNamespaceKeyFunc(obj);
    if (key.ok()) keys_.insert(*std::move(key));
    return key.ok();
  }
  static absl::Status Bad() { return absl::InvalidArgumentError("an object without a key"); }

  const std::unique_ptr<Queue> inner_;
  const bool learn_from_replace_;
  std::set<std::string> keys_;
};

QueueFactory Decorated(bool learn_from_replace) {
  return [learn_from_replace](const ProfileOptions& profile, const KeyListerGetter* known,
                              TransformFunc transform,
                              size_t batch_size) -> absl::StatusOr<std::unique_ptr<Queue>> {
    absl::StatusOr<std::unique_ptr<Queue>> inner =
        NewQueueForProfile(profile, known, std::move(transform), batch_size);
    if (!inner.ok()) return inner.status();
    return std::unique_ptr<Queue>(
        std::make_unique<SkipUnknownDeletes>(*std::move(inner), learn_from_replace));
  };
}

// ---- The harness ----
// CLASSIC: the decorator is a plain Queue, as client-go's DeltaFIFO is.
sim::Simulation Worlds() {
  absl::StatusOr<sim::Simulation> sim =
      sim::Simulation::FromFlags({"--swarm", "--world=small", "--profile=classic"});
  EXPECT_TRUE(sim.ok()) << sim.status();
  return *std::move(sim);
}

TEST(QueueCheckExample, LearningFromReplaceMatchesTheFaithfulQueueStepForStep) {
  sim::Simulation faithful = Worlds();
  sim::Simulation modified = Worlds();
  modified.UseQueue(Decorated(/*learn_from_replace=*/true));
  for (uint64_t seed : sim::SeedsForThisShard(1, 60)) {
    absl::StatusOr<sim::SimResult> a = faithful.Run(seed);
    absl::StatusOr<sim::SimResult> b = modified.Run(seed);
    ASSERT_TRUE(a.ok() && b.ok()) << seed;
    EXPECT_TRUE(b->passed) << b->report;
    EXPECT_EQ(a->trace_hash, b->trace_hash) << "seed " << seed << " diverged from the faithful queue";
  }
}

TEST(QueueCheckExample, ForgettingReplaceLosesDeletesAndIsCaught) {
  sim::Simulation modified = Worlds();
  modified.UseQueue(Decorated(/*learn_from_replace=*/false));
  std::vector<uint64_t> seeds;
  for (uint64_t s = 1; s <= 60; ++s) seeds.push_back(s);
  EXPECT_TRUE(sim::CaughtOnSomeSeed(modified, seeds, "INV1"));
}

}  // namespace
}  // namespace informersim
