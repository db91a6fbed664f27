#include "core/key_index.h"

#include <cstdint>
#include <optional>
#include <random>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"

namespace informersim {
namespace {

// Keys by id, as a queue or store keeps them; the index is checked against
// an unordered_map model.
class Table {
 public:
  // `hash_bits`: how many low bits of KeyHash survive, so a small value makes
  // many keys share a hash and a home (long runs, wrap-around, shifting).
  explicit Table(int hash_bits) : mask_(hash_bits >= 32 ? ~0u : (1u << hash_bits) - 1) {}

  uint32_t Hash(const std::string& key) const { return KeyHash(key) & mask_; }

  std::optional<uint32_t> Find(const std::string& key) const {
    return index_.Find(Hash(key), [&](uint32_t id) { return keys_.at(id) == key; });
  }
  // Returns the key's id, inserting it under `id` if absent.
  uint32_t FindOrInsert(const std::string& key, uint32_t id, bool* inserted) {
    const uint32_t got =
        index_.FindOrInsert(Hash(key), id, [&](uint32_t i) { return keys_.at(i) == key; }, inserted);
    if (*inserted) keys_[id] = key;
    return got;
  }
  void Insert(const std::string& key, uint32_t id) {
    index_.Insert(Hash(key), id);
    keys_[id] = key;
  }
  void Erase(const std::string& key, uint32_t id) {
    index_.Erase(Hash(key), id);
    keys_.erase(id);
  }
  KeyIndex& index() { return index_; }

 private:
  uint32_t mask_;
  KeyIndex index_;
  std::unordered_map<uint32_t, std::string> keys_;
};

TEST(KeyIndexTest, EmptyFindsNothing) {
  KeyIndex index;
  EXPECT_EQ(index.Find(KeyHash("a"), [](uint32_t) { return true; }), std::nullopt);
  EXPECT_TRUE(index.empty());
}

TEST(KeyIndexTest, InsertFindErase) {
  Table t(32);
  t.Insert("ns/a", 7);
  t.Insert("ns/b", 0);
  t.Insert("ns/c", 0xffffffffu);  // every id can be stored
  EXPECT_EQ(t.Find("ns/a"), 7u);
  EXPECT_EQ(t.Find("ns/b"), 0u);
  EXPECT_EQ(t.Find("ns/c"), 0xffffffffu);
  EXPECT_EQ(t.Find("ns/d"), std::nullopt);
  t.Erase("ns/a", 7);
  EXPECT_EQ(t.Find("ns/a"), std::nullopt);
  EXPECT_EQ(t.Find("ns/c"), 0xffffffffu);
  EXPECT_EQ(t.index().size(), 2u);
}

TEST(KeyIndexTest, FindOrInsertProbesOnce) {
  Table t(32);
  bool inserted = false;
  EXPECT_EQ(t.FindOrInsert("k", 3, &inserted), 3u);
  EXPECT_TRUE(inserted);
  EXPECT_EQ(t.FindOrInsert("k", 9, &inserted), 3u);
  EXPECT_FALSE(inserted);
  EXPECT_EQ(t.index().size(), 1u);
}

TEST(KeyIndexTest, EqualHashesAreToldApartByTheKeys) {
  Table t(0);  // every key hashes to 0: one run holds everything
  for (uint32_t i = 0; i < 100; ++i) t.Insert(absl::StrCat("key-", i), i);
  for (uint32_t i = 0; i < 100; ++i) EXPECT_EQ(t.Find(absl::StrCat("key-", i)), i);
  // Erase from the middle of the run: the rest must stay reachable.
  for (uint32_t i = 0; i < 100; i += 3) t.Erase(absl::StrCat("key-", i), i);
  for (uint32_t i = 0; i < 100; ++i) {
    const std::optional<uint32_t> want =
        i % 3 == 0 ? std::nullopt : std::optional<uint32_t>(i);
    EXPECT_EQ(t.Find(absl::StrCat("key-", i)), want) << i;
  }
}

TEST(KeyIndexTest, ReserveMakesRoomAndGrowingKeepsEverything) {
  Table t(32);
  t.index().Reserve(1000);
  const size_t reserved = t.index().capacity();
  EXPECT_GE(reserved * 13 / 16, 1000u);
  for (uint32_t i = 0; i < 1000; ++i) t.Insert(absl::StrCat("ns-", i % 7, "/obj-", i), i);
  EXPECT_EQ(t.index().capacity(), reserved);  // no growth within the reservation
  for (uint32_t i = 1000; i < 5000; ++i) t.Insert(absl::StrCat("ns-", i % 7, "/obj-", i), i);
  for (uint32_t i = 0; i < 5000; ++i) {
    ASSERT_EQ(t.Find(absl::StrCat("ns-", i % 7, "/obj-", i)), i) << i;
  }
  EXPECT_EQ(t.index().size(), 5000u);
}

TEST(KeyIndexTest, ChurnOfDistinctKeysKeepsTheTableSmall) {
  // A queue's keys come and go: erased slots must be reused or cleaned, not
  // grow the table with the number of keys ever seen.
  Table t(32);
  for (uint32_t i = 0; i < 200000; ++i) {
    t.Insert(absl::StrCat("key-", i), i);
    if (i >= 50) t.Erase(absl::StrCat("key-", i - 50), i - 50);
  }
  EXPECT_EQ(t.index().size(), 50u);
  EXPECT_LE(t.index().capacity(), 128u);
  for (uint32_t i = 200000 - 50; i < 200000; ++i) EXPECT_EQ(t.Find(absl::StrCat("key-", i)), i);
  EXPECT_EQ(t.Find("key-0"), std::nullopt);
}

TEST(KeyIndexTest, QueueChurnThroughFindOrInsertTerminates) {
  // DeltaFIFO's pattern: keys enter by FindOrInsert and leave from the head;
  // lookups of absent keys must still reach an empty slot however many
  // tombstones the churn leaves.
  Table t(32);
  for (uint32_t i = 0; i < 100000; ++i) {
    bool inserted = false;
    ASSERT_EQ(t.FindOrInsert(absl::StrCat("key-", i), i, &inserted), i);
    ASSERT_TRUE(inserted);
    if (i >= 40) t.Erase(absl::StrCat("key-", i - 40), i - 40);
    ASSERT_EQ(t.Find(absl::StrCat("absent-", i)), std::nullopt);
  }
  EXPECT_EQ(t.index().size(), 40u);
  EXPECT_LE(t.index().capacity(), 128u);
}

TEST(KeyIndexTest, DrainingAndRefillingReusesTheTable) {
  Table t(32);
  for (uint32_t round = 0; round < 5; ++round) {
    for (uint32_t i = 0; i < 10000; ++i) t.Insert(absl::StrCat(round, "/", i), i);
    const size_t capacity = t.index().capacity();
    for (uint32_t i = 0; i < 10000; ++i) t.Erase(absl::StrCat(round, "/", i), i);
    EXPECT_TRUE(t.index().empty());
    EXPECT_EQ(t.index().capacity(), capacity);
    EXPECT_LE(capacity, 16384u);
  }
}

// Random inserts, lookups and erasures against a model, with hashes cut to
// a few bits so runs are long, wrap around the table's end and shift back.
TEST(KeyIndexTest, AgreesWithAMapUnderCollisions) {
  for (int bits : {0, 3, 6, 32}) {
    for (uint32_t seed = 1; seed <= 5; ++seed) {
      std::mt19937 rng(seed * 131 + static_cast<uint32_t>(bits));
      Table t(bits);
      std::unordered_map<std::string, uint32_t> model;
      uint32_t next_id = 0xfffffff0u;  // ids wrap through 0xffffffff and 0
      for (int step = 0; step < 4000; ++step) {
        const std::string key = absl::StrCat("k", rng() % 300);
        const uint32_t op = rng() % 3;
        auto it = model.find(key);
        if (op == 0) {
          bool inserted = false;
          const uint32_t id = next_id++;
          const uint32_t got = t.FindOrInsert(key, id, &inserted);
          ASSERT_EQ(inserted, it == model.end()) << bits << "/" << seed << "/" << step;
          if (inserted) {
            model[key] = id;
            ASSERT_EQ(got, id);
          } else {
            ASSERT_EQ(got, it->second);
          }
        } else if (op == 1) {
          if (it != model.end()) {
            t.Erase(key, it->second);
            model.erase(it);
          }
        } else {
          const std::optional<uint32_t> want =
              it == model.end() ? std::nullopt : std::optional<uint32_t>(it->second);
          ASSERT_EQ(t.Find(key), want) << bits << "/" << seed << "/" << step;
        }
        ASSERT_EQ(t.index().size(), model.size());
      }
      for (const auto& [key, id] : model) ASSERT_EQ(t.Find(key), id) << key;
    }
  }
}

TEST(KeyHashTest, EveryByteCounts) {
  // For each length, changing any one byte changes the hash.
  for (size_t n = 1; n <= 70; ++n) {
    std::string key(n, 'a');
    for (size_t i = 0; i < n; ++i) key[i] = static_cast<char>('a' + i % 26);
    const uint32_t base = KeyHash(key);
    for (size_t i = 0; i < n; ++i) {
      std::string changed = key;
      changed[i] = static_cast<char>(changed[i] ^ 0x01);
      EXPECT_NE(KeyHash(changed), base) << "length " << n << " byte " << i;
    }
  }
}

TEST(KeyHashTest, LengthCounts) {
  // Keys that are prefixes of each other (zero bytes included) differ.
  const std::string zeros(40, '\0');
  std::unordered_set<uint32_t> seen;
  for (size_t n = 0; n <= zeros.size(); ++n) seen.insert(KeyHash(absl::string_view(zeros.data(), n)));
  EXPECT_EQ(seen.size(), zeros.size() + 1);
}

TEST(KeyHashTest, SpreadsObjectKeysOverHomes) {
  // 100,000 object keys over 2^17 homes (the index reads the top bits): the
  // fullest home holds few, and almost no two keys share a 32-bit hash.
  constexpr int kKeys = 100000;
  std::vector<int> homes(1 << 17);
  std::unordered_set<uint32_t> hashes;
  for (int i = 0; i < kKeys; ++i) {
    const uint32_t h = KeyHash(absl::StrCat("ns-", i % 100, "/obj-", i));
    ++homes[h >> 15];
    hashes.insert(h);
  }
  int fullest = 0;
  for (int n : homes) fullest = std::max(fullest, n);
  EXPECT_LE(fullest, 12);
  EXPECT_GE(hashes.size(), static_cast<size_t>(kKeys - 10));
}

}  // namespace
}  // namespace informersim
