#include "sim/workload.h"

#include <map>
#include <set>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/time/time.h"
#include "core/manual_runtime.h"
#include "gtest/gtest.h"
#include "sim/prng.h"
#include "sim/tracer.h"

namespace informersim {
namespace sim {
namespace {

// A map-backed ObjectWriter that logs every accepted write with its virtual
// time.
class MapWriter : public ObjectWriter {
 public:
  struct Write {
    absl::Time at;
    std::string op;  // "create", "update", "delete"
    std::string key;
    std::string uid;
    std::string spec;
    std::string app;  // the "app" label after the write
  };

  explicit MapWriter(const Runtime* clock) : clock_(clock) {}

  absl::StatusOr<ObjectPtr> Create(api::Object object) override {
    const std::string key = KeyOf(object.metadata());
    if (objects_.count(key) > 0) return absl::AlreadyExistsError(key);
    object.mutable_metadata()->set_uid(absl::StrCat("u", ++uids_));
    object.mutable_metadata()->set_resource_version(absl::StrCat(++rv_));
    ObjectPtr stored = MakeObject(std::move(object));
    objects_[key] = stored;
    Log("create", key, *stored);
    return stored;
  }
  absl::StatusOr<ObjectPtr> Update(api::Object object) override {
    const std::string key = KeyOf(object.metadata());
    auto it = objects_.find(key);
    if (it == objects_.end()) return absl::NotFoundError(key);
    object.mutable_metadata()->set_uid(it->second->metadata().uid());
    object.mutable_metadata()->set_resource_version(absl::StrCat(++rv_));
    it->second = MakeObject(std::move(object));
    Log("update", key, *it->second);
    return it->second;
  }
  absl::StatusOr<ObjectPtr> Delete(absl::string_view ns, absl::string_view name) override {
    const std::string key = ns.empty() ? std::string(name) : absl::StrCat(ns, "/", name);
    auto it = objects_.find(key);
    if (it == objects_.end()) return absl::NotFoundError(key);
    ObjectPtr last = it->second;
    objects_.erase(it);
    ++rv_;
    Log("delete", key, *last);
    return last;
  }
  std::vector<ObjectPtr> Objects() const override {
    std::vector<ObjectPtr> out;
    for (const auto& [key, object] : objects_) out.push_back(object);
    return out;
  }

  // Removes an object behind the workload's back.
  void Remove(const std::string& key) { objects_.erase(key); }
  size_t size() const { return objects_.size(); }
  const std::vector<Write>& log() const { return log_; }

 private:
  static std::string KeyOf(const api::ObjectMeta& m) {
    return m.namespace_().empty() ? m.name() : m.namespace_() + "/" + m.name();
  }
  void Log(const char* op, const std::string& key, const api::Object& o) {
    auto app = o.metadata().labels().find("app");
    log_.push_back(Write{clock_->Now(), op, key, o.metadata().uid(), o.spec(),
                         app == o.metadata().labels().end() ? "" : app->second});
  }

  const Runtime* clock_;
  std::map<std::string, ObjectPtr> objects_;
  std::vector<Write> log_;
  int64_t uids_ = 0;
  int64_t rv_ = 0;
};

// One workload over a ManualRuntime and a MapWriter.
struct Rig {
  explicit Rig(WorkloadOptions options, uint64_t seed = 1, bool trace = false)
      : writer(&runtime),
        tracer(&runtime, runtime.Now(), /*keep_steps=*/true),
        workload(&runtime, &writer, Prng::Stream(seed, "workload"), trace ? &tracer : nullptr,
                 options) {}
  ManualRuntime runtime;
  MapWriter writer;
  Tracer tracer;
  Workload workload;
};

int64_t RandomWrites(const WorkloadStats& s) {
  return s.creates - s.preloaded - s.recreates + s.updates + s.deletes -
         s.short_lived_deleted + s.rejected;
}

WorkloadOptions Quiet() {
  WorkloadOptions o;
  o.short_lived_fraction = 0;
  o.recreate_fraction = 0;
  return o;
}

// Every byte value in every position of the word gives 'a' + value % 26,
// independently of its neighbours (lanes must not carry into each other).
TEST(Workload, SpecLettersAreEachByteModulo26) {
  for (int position = 0; position < 8; ++position) {
    for (uint64_t fill : {uint64_t{0}, ~uint64_t{0}, uint64_t{0x0123456789abcdefULL}}) {
      for (uint64_t b = 0; b < 256; ++b) {
        const uint64_t bits =
            (fill & ~(uint64_t{0xff} << (8 * position))) | b << (8 * position);
        const uint64_t letters = SpecLetters(bits);
        for (int k = 0; k < 8; ++k) {
          const uint64_t byte = (bits >> (8 * k)) & 0xff;
          ASSERT_EQ((letters >> (8 * k)) & 0xff, 'a' + byte % 26)
              << "byte " << k << " of " << bits;
        }
      }
    }
  }
}

TEST(Workload, ValidateAcceptsDefaultsAndRejectsBadOptions) {
  EXPECT_TRUE(Workload::Validate(WorkloadOptions()).ok());
  struct Case {
    const char* mentions;
    void (*mutate)(WorkloadOptions&);
  } cases[] = {
      {"initial_objects", [](WorkloadOptions& o) { o.initial_objects = -1; }},
      {"writes_per_second", [](WorkloadOptions& o) { o.writes_per_second = -5; }},
      {"writes_per_second", [](WorkloadOptions& o) { o.writes_per_second = 1e9; }},
      {"namespaces", [](WorkloadOptions& o) { o.namespaces = -1; }},
      {"label_values", [](WorkloadOptions& o) { o.label_values = -2; }},
      {"update_weight", [](WorkloadOptions& o) { o.update_weight = -1; }},
      {"all 0",
       [](WorkloadOptions& o) { o.create_weight = o.update_weight = o.delete_weight = 0; }},
      {"short_lived_fraction", [](WorkloadOptions& o) { o.short_lived_fraction = 1.5; }},
      {"recreate_fraction", [](WorkloadOptions& o) { o.recreate_fraction = -0.1; }},
      {"label_change_fraction", [](WorkloadOptions& o) { o.label_change_fraction = 2; }},
      {"short_lived_min",
       [](WorkloadOptions& o) { o.short_lived_min = absl::Seconds(3); }},  // > max 2s
      {"short_lived_min", [](WorkloadOptions& o) { o.short_lived_min = absl::Seconds(-1); }},
      {"recreate_delay_max",
       [](WorkloadOptions& o) { o.recreate_delay_max = absl::Milliseconds(-1); }},
      {"min_spec_bytes", [](WorkloadOptions& o) { o.min_spec_bytes = 300; }},
      {"min_spec_bytes", [](WorkloadOptions& o) { o.min_spec_bytes = -1; }},
  };
  for (const Case& c : cases) {
    WorkloadOptions o;
    c.mutate(o);
    absl::Status s = Workload::Validate(o);
    EXPECT_TRUE(absl::IsInvalidArgument(s)) << c.mentions;
    EXPECT_NE(s.message().find(c.mentions), std::string::npos) << s;
  }
  WorkloadOptions zero_rate;
  zero_rate.writes_per_second = 0;
  zero_rate.namespaces = 0;
  zero_rate.label_values = 0;
  EXPECT_TRUE(Workload::Validate(zero_rate).ok());
}

TEST(Workload, PreloadCreatesAcrossNamespacesAndLabels) {
  WorkloadOptions o;
  o.initial_objects = 500;
  Rig rig(o);
  ASSERT_TRUE(rig.workload.Preload().ok());
  EXPECT_EQ(rig.writer.size(), 500u);
  EXPECT_EQ(rig.workload.population(), 500u);
  EXPECT_EQ(rig.workload.stats().creates, 500);
  EXPECT_EQ(rig.workload.stats().preloaded, 500);
  std::set<std::string> namespaces, apps;
  for (const ObjectPtr& obj : rig.writer.Objects()) {
    namespaces.insert(obj->metadata().namespace_());
    apps.insert(obj->metadata().labels().at("app"));
    EXPECT_GE(obj->spec().size(), 16u);
    EXPECT_LE(obj->spec().size(), 256u);
  }
  EXPECT_EQ(namespaces.size(), 10u);
  EXPECT_EQ(apps, (std::set<std::string>{"a0", "a1", "a2", "a3", "a4"}));
  EXPECT_EQ(rig.runtime.pending_timers(), 0u);  // no scheduling
  EXPECT_TRUE(rig.workload.done());
}

TEST(Workload, PreloadReportsRefusedCreate) {
  WorkloadOptions o;
  o.initial_objects = 3;
  o.namespaces = 1;
  Rig rig(o);
  api::Object squatter;
  squatter.mutable_metadata()->set_namespace_("ns-0");
  squatter.mutable_metadata()->set_name("obj-1");
  ASSERT_TRUE(rig.writer.Create(squatter).ok());
  absl::Status s = rig.workload.Preload();
  EXPECT_TRUE(absl::IsAlreadyExists(s)) << s;
  EXPECT_NE(s.message().find("workload preload: create ns-0/obj-1"), std::string::npos) << s;
}

TEST(Workload, ClusterScopedWithoutLabels) {
  WorkloadOptions o = Quiet();
  o.initial_objects = 20;
  o.namespaces = 0;
  o.label_values = 0;
  Rig rig(o);
  ASSERT_TRUE(rig.workload.Preload().ok());
  rig.workload.Start(rig.runtime.Now() + absl::Seconds(5));
  rig.runtime.RunFor(absl::Seconds(6));
  for (const ObjectPtr& obj : rig.writer.Objects()) {
    EXPECT_EQ(obj->metadata().namespace_(), "");
    EXPECT_TRUE(obj->metadata().labels().empty());
  }
  EXPECT_GT(rig.workload.stats().updates, 0);
}

TEST(Workload, RateIsHonouredOverALongRun) {
  WorkloadOptions o = Quiet();
  o.initial_objects = 100;
  o.writes_per_second = 100;
  Rig rig(o);
  ASSERT_TRUE(rig.workload.Preload().ok());
  const absl::Time stop = rig.runtime.Now() + absl::Seconds(100);
  rig.workload.Start(stop);
  rig.runtime.RunUntil(stop + absl::Seconds(1));
  const int64_t writes = RandomWrites(rig.workload.stats());
  EXPECT_GT(writes, 9700);  // 10,000 expected; sd about 60
  EXPECT_LT(writes, 10300);
  EXPECT_EQ(static_cast<int64_t>(rig.writer.log().size()) - 100, writes);
  EXPECT_TRUE(rig.workload.done());

  // A slower rate over the same time.
  WorkloadOptions slow = o;
  slow.writes_per_second = 2.5;
  Rig rig2(slow);
  ASSERT_TRUE(rig2.workload.Preload().ok());
  rig2.workload.Start(rig2.runtime.Now() + absl::Seconds(400));
  rig2.runtime.RunFor(absl::Seconds(401));
  const int64_t slow_writes = RandomWrites(rig2.workload.stats());
  EXPECT_GT(slow_writes, 900);
  EXPECT_LT(slow_writes, 1100);
}

TEST(Workload, WeightsAreRespected) {
  WorkloadOptions o = Quiet();
  o.initial_objects = 1000;
  o.writes_per_second = 200;
  Rig rig(o);
  ASSERT_TRUE(rig.workload.Preload().ok());
  rig.workload.Start(rig.runtime.Now() + absl::Seconds(100));
  rig.runtime.RunFor(absl::Seconds(101));
  const WorkloadStats& s = rig.workload.stats();
  const double total = static_cast<double>(RandomWrites(s));
  const double creates = static_cast<double>(s.creates - s.preloaded);
  // Weights 1:3:1 around the target population: 20% / 60% / 20%.
  EXPECT_NEAR(s.updates / total, 0.6, 0.02);
  EXPECT_NEAR(creates / total, 0.2, 0.02);
  EXPECT_NEAR(s.deletes / total, 0.2, 0.02);
  EXPECT_EQ(s.rejected, 0);
  // About label_change_fraction of the updates moved the label.
  EXPECT_NEAR(static_cast<double>(s.label_changes) / s.updates, 0.2, 0.02);

  // Updates only: the population cannot change.
  WorkloadOptions updates_only = Quiet();
  updates_only.initial_objects = 50;
  updates_only.create_weight = updates_only.delete_weight = 0;
  Rig rig2(updates_only);
  ASSERT_TRUE(rig2.workload.Preload().ok());
  rig2.workload.Start(rig2.runtime.Now() + absl::Seconds(10));
  rig2.runtime.RunFor(absl::Seconds(11));
  EXPECT_EQ(rig2.workload.stats().creates, 50);
  EXPECT_EQ(rig2.workload.stats().deletes, 0);
  EXPECT_GT(rig2.workload.stats().updates, 900);
  EXPECT_EQ(rig2.writer.size(), 50u);
}

TEST(Workload, PopulationStaysNearTheTarget) {
  WorkloadOptions o;  // defaults: short-lived and recreates on
  o.initial_objects = 1000;
  o.writes_per_second = 200;
  Rig rig(o);
  ASSERT_TRUE(rig.workload.Preload().ok());
  rig.workload.Start(rig.runtime.Now() + absl::Seconds(300));
  for (int i = 0; i < 30; ++i) {
    rig.runtime.RunFor(absl::Seconds(10));
    EXPECT_GT(rig.writer.size(), 900u) << "at " << (i + 1) * 10 << "s";
    EXPECT_LT(rig.writer.size(), 1100u) << "at " << (i + 1) * 10 << "s";
    EXPECT_EQ(rig.writer.size(), rig.workload.population());
  }
}

TEST(Workload, PopulationGrowsTowardTheTargetWithoutPreload) {
  WorkloadOptions o = Quiet();
  o.initial_objects = 200;
  o.writes_per_second = 100;
  Rig rig(o);
  rig.workload.Start(rig.runtime.Now() + absl::Seconds(200));
  rig.runtime.RunFor(absl::Seconds(201));
  EXPECT_GT(rig.writer.size(), 170u);
  EXPECT_LT(rig.writer.size(), 230u);
}

TEST(Workload, ShortLivedObjectsAreDeletedSoon) {
  WorkloadOptions o = Quiet();
  o.initial_objects = 0;
  o.writes_per_second = 20;
  o.create_weight = 1;
  o.update_weight = o.delete_weight = 0;
  o.short_lived_fraction = 1;
  o.short_lived_min = absl::Milliseconds(50);
  o.short_lived_max = absl::Seconds(2);
  Rig rig(o);
  const absl::Time stop = rig.runtime.Now() + absl::Seconds(60);
  rig.workload.Start(stop);
  rig.runtime.RunUntil(stop + absl::Seconds(5));
  const WorkloadStats& s = rig.workload.stats();
  EXPECT_EQ(s.short_lived, s.creates);
  EXPECT_GT(s.creates, 1000);
  // Those created within short_lived_max of the stop may outlive the run.
  EXPECT_GE(s.short_lived_deleted, s.creates - 60);
  EXPECT_EQ(s.deletes, s.short_lived_deleted);
  EXPECT_EQ(rig.writer.size(), static_cast<size_t>(s.creates - s.deletes));
  std::map<std::string, absl::Time> created_at;
  for (const MapWriter::Write& w : rig.writer.log()) {
    if (w.op == "create") created_at[w.key] = w.at;
    if (w.op == "delete") {
      const absl::Duration lived = w.at - created_at.at(w.key);
      EXPECT_GE(lived, absl::Milliseconds(50)) << w.key;
      EXPECT_LE(lived, absl::Seconds(2)) << w.key;
    }
    EXPECT_LT(w.at, stop);
  }
  EXPECT_TRUE(rig.workload.done());
}

TEST(Workload, RecreateMakesANewIncarnation) {
  WorkloadOptions o = Quiet();
  o.initial_objects = 200;
  o.writes_per_second = 50;
  o.recreate_fraction = 1;
  o.recreate_delay_max = absl::Milliseconds(500);
  Rig rig(o);
  ASSERT_TRUE(rig.workload.Preload().ok());
  rig.workload.Start(rig.runtime.Now() + absl::Seconds(60));
  rig.runtime.RunFor(absl::Seconds(61));
  const WorkloadStats& s = rig.workload.stats();
  EXPECT_GT(s.recreates, 400);
  EXPECT_LE(s.recreates, s.deletes);
  std::map<std::string, MapWriter::Write> last;
  int recreated = 0;
  for (const MapWriter::Write& w : rig.writer.log()) {
    auto it = last.find(w.key);
    if (w.op == "create" && it != last.end()) {
      ASSERT_EQ(it->second.op, "delete") << w.key;
      EXPECT_NE(w.uid, it->second.uid) << w.key;  // a new incarnation
      EXPECT_LE(w.at - it->second.at, absl::Milliseconds(500)) << w.key;
      ++recreated;
    }
    last[w.key] = w;
  }
  EXPECT_EQ(recreated, s.recreates);
}

// Churn: a delete now and a new incarnation of the same name later.
TEST(Workload, ChurnDeletesAndRecreatesLater) {
  WorkloadOptions o = Quiet();
  o.initial_objects = 5;
  o.writes_per_second = 0.001;  // running, but no random writes in the window
  Rig rig(o);
  ASSERT_TRUE(rig.workload.Preload().ok());
  rig.workload.Start(rig.runtime.Now() + absl::Seconds(60));
  const size_t before = rig.writer.log().size();
  ASSERT_TRUE(rig.workload.Churn(absl::Seconds(2)));
  ASSERT_EQ(rig.writer.log().size(), before + 1);
  const MapWriter::Write deleted = rig.writer.log().back();
  EXPECT_EQ(deleted.op, "delete");
  EXPECT_EQ(rig.workload.population(), 4u);
  rig.runtime.RunFor(absl::Seconds(3));
  bool recreated = false;
  for (size_t i = before + 1; i < rig.writer.log().size(); ++i) {
    const MapWriter::Write& w = rig.writer.log()[i];
    if (w.op == "create" && w.key == deleted.key) {
      recreated = true;
      EXPECT_NE(w.uid, deleted.uid);
      EXPECT_EQ(w.at - deleted.at, absl::Seconds(2));
    }
  }
  EXPECT_TRUE(recreated);
  // Nothing live: nothing to churn.
  WorkloadOptions none = Quiet();
  none.initial_objects = 0;
  Rig empty(none);
  EXPECT_FALSE(empty.workload.Churn(absl::Seconds(1)));
}

// The multi-valued "tags" label: zero to three values, repeats allowed,
// redrawn by label changes.
TEST(Workload, TagsLabelHoldsSeveralValues) {
  WorkloadOptions o = Quiet();
  o.initial_objects = 300;
  o.tag_values = 3;
  Rig rig(o);
  ASSERT_TRUE(rig.workload.Preload().ok());
  std::map<size_t, int> by_count;
  bool repeat = false;
  for (const ObjectPtr& obj : rig.writer.Objects()) {
    const auto it = obj->metadata().labels().find("tags");
    ASSERT_NE(it, obj->metadata().labels().end());
    std::vector<std::string> values =
        it->second.empty() ? std::vector<std::string>{} : absl::StrSplit(it->second, ',');
    ++by_count[values.size()];
    std::set<std::string> distinct(values.begin(), values.end());
    repeat = repeat || distinct.size() < values.size();
    for (const std::string& v : values) EXPECT_TRUE(v == "t0" || v == "t1" || v == "t2") << v;
  }
  EXPECT_EQ(by_count.size(), 4u);  // 0, 1, 2 and 3 values
  EXPECT_TRUE(repeat);
  WorkloadOptions off = Quiet();
  off.initial_objects = 5;
  Rig plain(off);
  ASSERT_TRUE(plain.workload.Preload().ok());
  for (const ObjectPtr& obj : plain.writer.Objects()) {
    EXPECT_EQ(obj->metadata().labels().count("tags"), 0u);
  }
}

// Refused tags: drawn with their fraction, only when asked for (the same
// seed without them writes the same objects), and ClearRefusedTags rewrites
// exactly the objects that carry one, keeping their other tags.
TEST(Workload, RefusedTagsAreDrawnAndCleared) {
  const auto tags_of = [](const ObjectPtr& obj) {
    const auto it = obj->metadata().labels().find("tags");
    return it == obj->metadata().labels().end() ? std::string() : it->second;
  };
  const auto refused = [](const std::string& tags) {
    for (absl::string_view v : absl::StrSplit(tags, ',')) {
      if (v == kRefusedTag) return true;
    }
    return false;
  };
  WorkloadOptions o = Quiet();
  o.initial_objects = 400;
  o.tag_values = 3;
  o.refused_tag_fraction = 0.25;
  Rig rig(o);
  ASSERT_TRUE(rig.workload.Preload().ok());
  std::map<std::string, std::string> before;
  int with_refused = 0;
  for (const ObjectPtr& obj : rig.writer.Objects()) {
    before[obj->metadata().name()] = tags_of(obj);
    if (refused(tags_of(obj))) ++with_refused;
  }
  EXPECT_GT(with_refused, 60);
  EXPECT_LT(with_refused, 140);

  const int64_t updates = rig.workload.stats().updates;
  EXPECT_EQ(rig.workload.ClearRefusedTags(), with_refused);
  EXPECT_EQ(rig.workload.stats().updates, updates + with_refused);
  for (const ObjectPtr& obj : rig.writer.Objects()) {
    const std::string& was = before[obj->metadata().name()];
    const std::string now = tags_of(obj);
    EXPECT_FALSE(refused(now)) << obj->metadata().name();
    if (!refused(was)) {
      EXPECT_EQ(now, was);
      continue;
    }
    std::vector<std::string> kept;
    for (absl::string_view v : absl::StrSplit(was, ',')) {
      if (v != kRefusedTag) kept.emplace_back(v);
    }
    EXPECT_EQ(now, absl::StrJoin(kept, ","));
  }
  EXPECT_EQ(rig.workload.ClearRefusedTags(), 0);

  // Off: no refused value, and the same objects as a world that never
  // heard of the option.
  o.refused_tag_fraction = 0;
  Rig off(o);
  WorkloadOptions plain_options = Quiet();
  plain_options.initial_objects = 400;
  plain_options.tag_values = 3;
  Rig plain(plain_options);
  ASSERT_TRUE(off.workload.Preload().ok());
  ASSERT_TRUE(plain.workload.Preload().ok());
  const std::vector<ObjectPtr> a = off.writer.Objects(), b = plain.writer.Objects();
  ASSERT_EQ(a.size(), b.size());
  for (size_t i = 0; i < a.size(); ++i) {
    EXPECT_FALSE(refused(tags_of(a[i])));
    EXPECT_EQ(tags_of(a[i]), tags_of(b[i]));
  }
}

TEST(Workload, LabelChangesMoveTheAppLabel) {
  WorkloadOptions o = Quiet();
  o.initial_objects = 30;
  o.create_weight = o.delete_weight = 0;
  o.label_change_fraction = 1;
  o.label_values = 2;
  Rig rig(o);
  ASSERT_TRUE(rig.workload.Preload().ok());
  rig.workload.Start(rig.runtime.Now() + absl::Seconds(5));
  rig.runtime.RunFor(absl::Seconds(6));
  EXPECT_EQ(rig.workload.stats().label_changes, rig.workload.stats().updates);
  std::map<std::string, std::string> app;
  for (const MapWriter::Write& w : rig.writer.log()) {
    if (w.op == "update") {
      EXPECT_NE(app.at(w.key), w.app) << w.key;
    }
    app[w.key] = w.app;
  }
}

std::vector<std::string> Render(const MapWriter& writer) {
  std::vector<std::string> out;
  for (const MapWriter::Write& w : writer.log()) {
    out.push_back(absl::StrCat(absl::ToUnixMicros(w.at), " ", w.op, " ", w.key, " ", w.app,
                               " ", w.spec));
  }
  return out;
}

TEST(Workload, SameSeedSameWritesOtherSeedOtherWrites) {
  WorkloadOptions o;
  o.initial_objects = 100;
  o.writes_per_second = 100;
  auto run = [&o](uint64_t seed, uint64_t* hash) {
    Rig rig(o, seed, /*trace=*/true);
    EXPECT_TRUE(rig.workload.Preload().ok());
    rig.workload.Start(rig.runtime.Now() + absl::Seconds(20));
    rig.runtime.RunFor(absl::Seconds(25));
    *hash = rig.tracer.hash();
    return Render(rig.writer);
  };
  uint64_t h1, h2, h3;
  const std::vector<std::string> a = run(7, &h1);
  const std::vector<std::string> b = run(7, &h2);
  const std::vector<std::string> c = run(8, &h3);
  EXPECT_GT(a.size(), 1500u);
  EXPECT_EQ(a, b);
  EXPECT_EQ(h1, h2);
  EXPECT_NE(a, c);
  EXPECT_NE(h1, h3);
}

TEST(Workload, TracesEachWrite) {
  WorkloadOptions o = Quiet();
  o.initial_objects = 3;
  o.writes_per_second = 10;
  Rig rig(o, 1, /*trace=*/true);
  ASSERT_TRUE(rig.workload.Preload().ok());
  rig.workload.Start(rig.runtime.Now() + absl::Seconds(2));
  rig.runtime.RunFor(absl::Seconds(3));
  const std::vector<TraceStep>& steps = rig.tracer.steps();
  ASSERT_EQ(steps.size(), rig.writer.log().size());
  for (size_t i = 0; i < steps.size(); ++i) {
    EXPECT_EQ(steps[i].kind(), WRITE);
    EXPECT_EQ(steps[i].actor(), "workload");
    EXPECT_NE(steps[i].detail().find(rig.writer.log()[i].key), std::string::npos)
        << steps[i].detail();
  }
  EXPECT_EQ(steps[0].detail().rfind("preload ", 0), 0u) << steps[0].detail();
}

TEST(Workload, RejectedWritesAreCountedNotFatal) {
  WorkloadOptions o = Quiet();
  o.initial_objects = 10;
  o.create_weight = o.delete_weight = 0;  // updates only
  Rig rig(o, 3, /*trace=*/true);
  ASSERT_TRUE(rig.workload.Preload().ok());
  for (const ObjectPtr& obj : rig.writer.Objects()) {
    rig.writer.Remove(obj->metadata().namespace_() + "/" + obj->metadata().name());
  }
  rig.workload.Start(rig.runtime.Now() + absl::Seconds(10));
  rig.runtime.RunFor(absl::Seconds(11));
  // Each vanished key is refused once, then dropped from the workload's view;
  // with nothing left to update, arrivals do nothing.
  EXPECT_EQ(rig.workload.stats().rejected, 10);
  EXPECT_EQ(rig.workload.stats().updates, 0);
  EXPECT_EQ(rig.workload.population(), 0u);
  EXPECT_NE(rig.tracer.steps().back().detail().find("rejected: NOT_FOUND"), std::string::npos)
      << rig.tracer.steps().back().detail();
  EXPECT_TRUE(rig.workload.done());
}

TEST(Workload, StopStopsAndNothingRunsAfterStopAt) {
  WorkloadOptions o;
  o.initial_objects = 100;
  o.short_lived_fraction = 0.5;
  o.recreate_fraction = 0.5;
  Rig rig(o);
  ASSERT_TRUE(rig.workload.Preload().ok());
  const size_t preload_writes = rig.writer.log().size();
  EXPECT_TRUE(rig.workload.done());
  rig.workload.Start(rig.runtime.Now() + absl::Seconds(100));
  EXPECT_FALSE(rig.workload.done());
  rig.runtime.RunFor(absl::Seconds(5));
  const size_t before = rig.writer.log().size();
  EXPECT_GT(before, preload_writes + 300);
  rig.workload.Stop();
  EXPECT_TRUE(rig.workload.done());
  rig.runtime.RunFor(absl::Seconds(20));
  EXPECT_EQ(rig.writer.log().size(), before);
  EXPECT_EQ(rig.runtime.pending_timers(), 0u);

  // Started again, it runs until stop_at and then ends by itself.
  const absl::Time stop = rig.runtime.Now() + absl::Seconds(3);
  rig.workload.Start(stop);
  rig.runtime.RunUntil(stop + absl::Seconds(3));
  EXPECT_GT(rig.writer.log().size(), before + 200);
  EXPECT_TRUE(rig.workload.done());
  EXPECT_EQ(rig.runtime.pending_timers(), 0u);
  for (const MapWriter::Write& w : rig.writer.log()) EXPECT_LT(w.at, stop);

  // A zero rate schedules nothing.
  WorkloadOptions none = o;
  none.writes_per_second = 0;
  Rig idle(none);
  idle.workload.Start(idle.runtime.Now() + absl::Seconds(10));
  EXPECT_TRUE(idle.workload.done());
  idle.runtime.RunFor(absl::Seconds(11));
  EXPECT_TRUE(idle.writer.log().empty());
}

}  // namespace
}  // namespace sim
}  // namespace informersim
