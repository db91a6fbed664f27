// Deltas, the queues' small vector of changes: inline storage for one delta,
// growth 1 -> 4 -> 8 ... through the pool, bitwise relocation on growth and
// move, and every reference it takes given back exactly once.
#include "core/delta.h"

#include <memory>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "core/item.h"
#include "core/small_block_pool.h"
#include "gtest/gtest.h"

namespace informersim {
namespace {

std::vector<ObjectPtr> Objects(int n) {
  std::vector<ObjectPtr> objects;
  for (int i = 0; i < n; ++i) {
    api::Object o;
    o.mutable_metadata()->set_name("obj-" + std::to_string(i));
    o.mutable_metadata()->set_resource_version(std::to_string(100 + i));
    objects.push_back(MakeObject(std::move(o)));
  }
  return objects;
}

// The objects `deltas` refers to, in order (null for a non-object delta).
std::vector<const api::Object*> Pointers(const Deltas& deltas) {
  std::vector<const api::Object*> out;
  for (const Delta& d : deltas) out.push_back(d.object.is_object() ? d.object.object().get() : nullptr);
  return out;
}

std::vector<const api::Object*> Pointers(const std::vector<ObjectPtr>& objects, int n) {
  std::vector<const api::Object*> out;
  for (int i = 0; i < n; ++i) out.push_back(objects[i].get());
  return out;
}

void ExpectOnlyOwnersLeft(const std::vector<ObjectPtr>& objects) {
  for (const ObjectPtr& o : objects) EXPECT_EQ(o.use_count(), 1) << o->metadata().name();
}

TEST(DeltasTest, OneDeltaStaysInline) {
  std::vector<ObjectPtr> objects = Objects(1);
  {
    Deltas deltas;
    EXPECT_TRUE(deltas.empty());
    EXPECT_EQ(deltas.capacity(), 1u);
    deltas.push_back(Delta{DeltaType::kAdded, Item(objects[0])});
    EXPECT_EQ(deltas.size(), 1u);
    EXPECT_EQ(deltas.capacity(), 1u);
    EXPECT_EQ(deltas.front().type, DeltaType::kAdded);
    EXPECT_EQ(&deltas.front(), &deltas.back());
    EXPECT_EQ(objects[0].use_count(), 2);
  }
  ExpectOnlyOwnersLeft(objects);
}

TEST(DeltasTest, GrowsToFourThenFourfoldKeepingOrderAndReferences) {
  std::vector<ObjectPtr> objects = Objects(40);
  {
    Deltas deltas;
    std::vector<size_t> capacities;
    for (int i = 0; i < 40; ++i) {
      Delta& added = deltas.emplace_back(i % 2 == 0 ? DeltaType::kUpdated : DeltaType::kSync,
                                         Item(objects[i]));
      EXPECT_EQ(&added, &deltas.back());
      if (capacities.empty() || capacities.back() != deltas.capacity()) {
        capacities.push_back(deltas.capacity());
      }
      ASSERT_EQ(Pointers(deltas), Pointers(objects, i + 1)) << "after " << i + 1;
    }
    EXPECT_EQ(capacities, (std::vector<size_t>{1, 4, 16, 64}));
    for (int i = 0; i < 40; ++i) {
      EXPECT_EQ(deltas[i].type, i % 2 == 0 ? DeltaType::kUpdated : DeltaType::kSync);
      EXPECT_EQ(objects[i].use_count(), 2);
    }
  }
  ExpectOnlyOwnersLeft(objects);
}

TEST(DeltasTest, AppendingAnElementOfItselfWhileGrowing) {
  std::vector<ObjectPtr> objects = Objects(4);
  {
    // Full at every size the loop reaches: the copied delta lives in the
    // storage being replaced.
    Deltas deltas;
    deltas.push_back(Delta{DeltaType::kSync, Item(objects[0])});
    deltas.push_back(deltas.back());  // inline -> 4
    deltas.push_back(Delta{DeltaType::kUpdated, Item(objects[1])});
    deltas.push_back(Delta{DeltaType::kUpdated, Item(objects[2])});
    ASSERT_EQ(deltas.size(), deltas.capacity());
    deltas.push_back(deltas.front());  // 4 -> 16
    deltas.emplace_back(deltas[2]);
    EXPECT_EQ(Pointers(deltas),
              (std::vector<const api::Object*>{objects[0].get(), objects[0].get(), objects[1].get(),
                                               objects[2].get(), objects[0].get(), objects[1].get()}));
    EXPECT_EQ(objects[0].use_count(), 4);
    std::vector<DeltaType> types;
    for (const Delta& d : deltas) types.push_back(d.type);
    EXPECT_EQ(types, (std::vector<DeltaType>{DeltaType::kSync, DeltaType::kSync, DeltaType::kUpdated,
                                             DeltaType::kUpdated, DeltaType::kSync,
                                             DeltaType::kUpdated}));
    // Moving an element of itself in, as the growth happens.
    while (deltas.size() < deltas.capacity()) deltas.push_back(Delta{DeltaType::kSync, Item(objects[3])});
    deltas.push_back(std::move(deltas[1]));
    EXPECT_TRUE(deltas[1].object.is_null());
    EXPECT_EQ(deltas.back().object.object().get(), objects[0].get());
    EXPECT_EQ(objects[0].use_count(), 4);
  }
  ExpectOnlyOwnersLeft(objects);
}

TEST(DeltasTest, CopyMoveAndAssignAtEverySize) {
  std::vector<ObjectPtr> objects = Objects(9);
  for (int n = 0; n <= 9; ++n) {
    SCOPED_TRACE(n);
    {
      Deltas original;
      for (int i = 0; i < n; ++i) original.push_back(Delta{DeltaType::kUpdated, Item(objects[i])});
      Deltas copy = original;
      EXPECT_EQ(Pointers(copy), Pointers(objects, n));
      EXPECT_EQ(Pointers(original), Pointers(objects, n));

      Deltas moved = std::move(original);
      EXPECT_EQ(Pointers(moved), Pointers(objects, n));
      EXPECT_TRUE(original.empty());  // NOLINT(bugprone-use-after-move): specified empty
      EXPECT_EQ(original.capacity(), 1u);
      // The moved-from list is usable.
      original.push_back(Delta{DeltaType::kAdded, Item(objects[0])});
      EXPECT_EQ(original.size(), 1u);

      // Assignment over a list that holds something, inline and on the heap.
      Deltas target;
      for (int i = 0; i < 5; ++i) target.push_back(Delta{DeltaType::kSync, Item(objects[8 - i])});
      target = copy;
      EXPECT_EQ(Pointers(target), Pointers(objects, n));
      Deltas inline_target{Delta{DeltaType::kSync, Item(objects[8])}};
      inline_target = std::move(target);
      EXPECT_EQ(Pointers(inline_target), Pointers(objects, n));
      const Deltas& self = inline_target;
      inline_target = self;  // self-assignment keeps it
      EXPECT_EQ(Pointers(inline_target), Pointers(objects, n));
      for (int i = 0; i < n; ++i) {
        // copy, moved, inline_target, and the test's own reference; objects[0]
        // also in `original`.
        EXPECT_EQ(objects[i].use_count(), i == 0 ? 5 : 4) << i;
      }
    }
    ExpectOnlyOwnersLeft(objects);
  }
}

TEST(DeltasTest, PopBackClearReserveAndRanges) {
  std::vector<ObjectPtr> objects = Objects(6);
  {
    std::vector<Delta> source;
    for (const ObjectPtr& o : objects) source.push_back(Delta{DeltaType::kReplaced, Item(o)});
    Deltas ranged(source.begin(), source.end());
    EXPECT_EQ(Pointers(ranged), Pointers(objects, 6));
    source.clear();

    Deltas list{Delta{DeltaType::kAdded, Item(objects[0])}, Delta{DeltaType::kDeleted, Item(objects[1])}};
    EXPECT_EQ(list.size(), 2u);
    EXPECT_EQ(list.back().type, DeltaType::kDeleted);
    list.pop_back();
    EXPECT_EQ(Pointers(list), Pointers(objects, 1));
    EXPECT_EQ(objects[1].use_count(), 2);  // `ranged` only

    const size_t capacity = ranged.capacity();
    ranged.clear();
    EXPECT_TRUE(ranged.empty());
    EXPECT_EQ(ranged.capacity(), capacity);
    ranged.push_back(Delta{DeltaType::kSync, Item(objects[5])});
    EXPECT_EQ(Pointers(ranged), std::vector<const api::Object*>{objects[5].get()});

    Deltas reserved;
    reserved.reserve(1);
    EXPECT_EQ(reserved.capacity(), 1u);
    reserved.push_back(Delta{DeltaType::kAdded, Item(objects[2])});
    reserved.reserve(5);
    EXPECT_EQ(reserved.capacity(), 8u);
    EXPECT_EQ(Pointers(reserved), std::vector<const api::Object*>{objects[2].get()});
    reserved.reserve(3);  // never shrinks
    EXPECT_EQ(reserved.capacity(), 8u);

    // Non-object items relocate as well.
    Deltas mixed;
    mixed.push_back(Delta{DeltaType::kDeleted, Item::Tombstone("ns/a", objects[3])});
    mixed.push_back(Delta{DeltaType::kBookmark, Item::Bookmark("7")});
    mixed.push_back(Delta{DeltaType::kSyncAll, Item::SyncAll()});
    for (int i = 0; i < 6; ++i) mixed.push_back(Delta{DeltaType::kAdded, Item()});
    Deltas mixed_moved = std::move(mixed);
    EXPECT_EQ(mixed_moved[0].object.tombstone().key, "ns/a");
    EXPECT_EQ(mixed_moved[0].object.tombstone().obj.get(), objects[3].get());
    EXPECT_EQ(mixed_moved[1].object.bookmark().resource_version, "7");
    EXPECT_EQ(mixed_moved[2].object.kind(), Item::Kind::kSyncAll);
    EXPECT_TRUE(mixed_moved[8].object.is_null());
  }
  ExpectOnlyOwnersLeft(objects);
}

TEST(DeltasTest, HeapBlocksGoBackToThePoolAndAreReused) {
  if (!SmallBlockPool::kEnabled) GTEST_SKIP() << "bypassed under AddressSanitizer";
  std::vector<ObjectPtr> objects = Objects(8);
  // On a thread of its own, whose lists start empty.
  std::thread([&objects] {
    ASSERT_EQ(SmallBlockPool::KeptBytes(), 0u);
    const auto fill = [&objects] {
      Deltas deltas;
      for (int i = 0; i < 8; ++i) deltas.push_back(Delta{DeltaType::kUpdated, Item(objects[i])});
      return deltas.capacity();
    };
    ASSERT_EQ(fill(), 16u);
    // The 4-delta block went back when the list grew, the 16-delta one when
    // it was destroyed.
    EXPECT_EQ(SmallBlockPool::KeptBytes(), 4 * sizeof(Delta) + 16 * sizeof(Delta));
    // A second fill takes both from the pool and gives both back.
    fill();
    EXPECT_EQ(SmallBlockPool::KeptBytes(), 4 * sizeof(Delta) + 16 * sizeof(Delta));
  }).join();
  ExpectOnlyOwnersLeft(objects);
}

}  // namespace
}  // namespace informersim
