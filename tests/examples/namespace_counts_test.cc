// Worked example 1 of docs/USER_GUIDE.md: a controller's handler that keeps
// a derived count of objects per namespace, checked against the server at
// every quiescent point under random worlds with watch drops, 410s and
// relists. The version that ignores DeletedFinalStateUnknown tombstones (the
// deletes an informer only learns of by relisting) is caught; the correct
// one passes.
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "core/item.h"
#include "core/keys.h"
#include "core/resource_event_handler.h"
#include "gtest/gtest.h"
#include "sim/harness.h"
#include "sim/harness_gtest.h"

namespace informersim {
namespace {

// ---- The user's code: about 30 lines ----
class NamespaceCounts : public ResourceEventHandler {
 public:
  explicit NamespaceCounts(bool handle_tombstones) : handle_tombstones_(handle_tombstones) {}

  void OnAdd(const Item& obj, bool) override { ++counts_[obj.meta()->namespace_()]; }
  void OnUpdate(const Item&, const Item&) override {}  // a namespace never changes
  void OnDelete(const Item& obj) override {
    if (obj.is_object()) {
      Decrement(obj.meta()->namespace_());
    } else if (obj.is_tombstone() && handle_tombstones_) {
      // The tombstone's object may be stale or absent; its key is exact.
      const std::string& key = obj.tombstone().key;
      const size_t slash = key.find('/');
      Decrement(slash == std::string::npos ? "" : key.substr(0, slash));
    }
  }
  const std::map<std::string, int64_t>& counts() const { return counts_; }

 private:
  void Decrement(const std::string& ns) {
    if (--counts_[ns] == 0) counts_.erase(ns);
  }
  const bool handle_tombstones_;
  std::map<std::string, int64_t> counts_;
};

// ---- The harness: a few lines ----
absl::Status CountsMatchServer(const sim::InvariantContext& c) {
  std::map<std::string, int64_t> want;
  for (const ObjectPtr& o : c.truth()) ++want[o->metadata().namespace_()];
  const auto* h = c.handler_as<NamespaceCounts>("counts");
  if (h == nullptr || h->counts() == want) return absl::OkStatus();
  std::vector<std::string> diffs;
  for (const auto& [ns, n] : want) {
    auto it = h->counts().find(ns);
    const int64_t got = it == h->counts().end() ? 0 : it->second;
    if (got != n) diffs.push_back(absl::StrCat(ns, ": counted ", got, ", the server has ", n));
  }
  for (const auto& [ns, n] : h->counts()) {
    if (want.count(ns) == 0) diffs.push_back(absl::StrCat(ns, ": counted ", n, ", the server has 0"));
  }
  return absl::FailedPreconditionError(absl::StrJoin(diffs, "; "));
}

sim::Simulation CountsUnderSwarm(bool handle_tombstones) {
  absl::StatusOr<sim::Simulation> sim = sim::Simulation::FromFlags({"--swarm", "--world=small"});
  EXPECT_TRUE(sim.ok()) << sim.status();
  sim->AddHandler("counts", [handle_tombstones] {
        return std::make_shared<NamespaceCounts>(handle_tombstones);
      })
      .CheckAtQuiescence("counts-match", CountsMatchServer);
  return *std::move(sim);
}

TEST(NamespaceCountsExample, CorrectHandlerPassesEverySeed) {
  EXPECT_TRUE(sim::PassesOnSeeds(CountsUnderSwarm(true), sim::SeedsForThisShard(1, 200)));
}

TEST(NamespaceCountsExample, HandlerIgnoringTombstonesIsCaught) {
  // Not sharded: the claim is that some seed of the range catches it.
  std::vector<uint64_t> seeds;
  for (uint64_t s = 1; s <= 200; ++s) seeds.push_back(s);
  EXPECT_TRUE(sim::CaughtOnSomeSeed(CountsUnderSwarm(false), seeds, "USER:counts-match"));
}

}  // namespace
}  // namespace informersim
