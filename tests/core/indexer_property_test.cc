// Property test of the Indexer (INV8, with I1-I7 and S1-S5): after any
// random sequence of Add, Update, Delete, Replace and AddIndexers with
// multi-valued index functions (some of which refuse some objects), the
// items equal a simple model, and every index equals the index recomputed
// from the items:
//   - IndexKeys(N, v) is exactly the sorted keys whose items yield v;
//   - ListIndexFuncValues(N) is exactly the values with a non-empty set;
//   - ByIndex(N, v) is exactly the items of IndexKeys(N, v);
//   - Index(N, o) is the union of ByIndex over fN(o), without duplicates;
//   - no index retains an empty set.
// Refused writes must fail and change nothing (I2 as this port defines it).
#include <map>
#include <ostream>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "core/cache.h"
#include "core/index.h"
#include "core/keys.h"
#include "gtest/gtest.h"
#include "rapidcheck.h"
#include "rapidcheck/gtest.h"

namespace informersim {
namespace {

// Index names; "a" and "b" exist from the start, "c" and "d" only once an
// AddIndexers adds them.
const std::vector<std::string>& AllIndexNames() {
  static const auto* names = new std::vector<std::string>{"a", "b", "c", "d"};
  return *names;
}

// An object: name "k<key>"; label N (for N in a..d) holds N's values,
// comma-separated; label "fail" names an index that refuses the object.
struct ObjSpec {
  int key = 0;
  std::map<std::string, std::string> labels;
};

enum class OpKind { kAdd, kUpdate, kDelete, kReplace, kAddIndexer };

struct Op {
  OpKind kind = OpKind::kAdd;
  ObjSpec obj;
  std::vector<ObjSpec> list;
  std::string index_name;
};

std::ostream& operator<<(std::ostream& os, const ObjSpec& spec) {
  os << "k" << spec.key << "{";
  for (const auto& [k, v] : spec.labels) os << k << "=" << v << ";";
  return os << "}";
}

std::ostream& operator<<(std::ostream& os, const Op& op) {
  switch (op.kind) {
    case OpKind::kAdd:
      return os << "Add(" << op.obj << ")";
    case OpKind::kUpdate:
      return os << "Update(" << op.obj << ")";
    case OpKind::kDelete:
      return os << "Delete(" << op.obj << ")";
    case OpKind::kReplace:
      os << "Replace(";
      for (const ObjSpec& spec : op.list) os << spec << " ";
      return os << ")";
    case OpKind::kAddIndexer:
      return os << "AddIndexers(" << op.index_name << ")";
  }
  return os;
}

std::string KeyOf(const ObjSpec& spec) { return absl::StrCat("k", spec.key); }

Item MakeItem(const ObjSpec& spec, int rv) {
  api::Object o;
  o.set_kind("Thing");
  o.mutable_metadata()->set_name(KeyOf(spec));
  o.mutable_metadata()->set_resource_version(absl::StrCat(rv));
  for (const auto& [k, v] : spec.labels) (*o.mutable_metadata()->mutable_labels())[k] = v;
  return Item(MakeObject(std::move(o)));
}

// The index function under test, reading the stored object.
IndexFunc LabelIndexFunc(const std::string& name) {
  return [name](const Item& item, std::vector<std::string>* values) -> absl::Status {
    const auto& labels = item.meta()->labels();
    auto fail = labels.find("fail");
    if (fail != labels.end() && fail->second == name) {
      return absl::InvalidArgumentError(absl::StrCat("index ", name, " refuses this"));
    }
    auto it = labels.find(name);
    if (it == labels.end()) return absl::OkStatus();
    for (absl::string_view part : absl::StrSplit(it->second, ',')) values->emplace_back(part);
    return absl::OkStatus();
  };
}

// The model's view of the same function, read from the spec.
bool ModelRefuses(const std::string& name, const ObjSpec& spec) {
  auto fail = spec.labels.find("fail");
  return fail != spec.labels.end() && fail->second == name;
}
std::vector<std::string> ModelValues(const std::string& name, const ObjSpec& spec) {
  std::vector<std::string> values;
  auto it = spec.labels.find(name);
  if (it != spec.labels.end()) values = absl::StrSplit(it->second, ',');
  return values;
}

rc::Gen<ObjSpec> GenObj() {
  return rc::gen::exec([] {
    ObjSpec spec;
    spec.key = *rc::gen::inRange(0, 6);
    for (const std::string& name : AllIndexNames()) {
      if (*rc::gen::inRange(0, 4) == 0) continue;  // no values for this index
      const int count = *rc::gen::inRange(1, 4);
      std::vector<std::string> parts;
      for (int i = 0; i < count; ++i) {
        parts.push_back(*rc::gen::element<std::string>("x", "y", "z", ""));
      }
      spec.labels[name] = absl::StrJoin(parts, ",");
    }
    if (*rc::gen::inRange(0, 12) == 0) {
      spec.labels["fail"] = *rc::gen::elementOf(AllIndexNames());
    }
    return spec;
  });
}

rc::Gen<Op> GenOp() {
  return rc::gen::exec([] {
    Op op;
    const int pick = *rc::gen::inRange(0, 20);
    if (pick < 6) {
      op.kind = OpKind::kAdd;
    } else if (pick < 10) {
      op.kind = OpKind::kUpdate;
    } else if (pick < 14) {
      op.kind = OpKind::kDelete;
    } else if (pick < 18) {
      op.kind = OpKind::kReplace;
      const int size = *rc::gen::inRange(0, 7);
      for (int i = 0; i < size; ++i) op.list.push_back(*GenObj());
    } else {
      op.kind = OpKind::kAddIndexer;
      op.index_name = *rc::gen::elementOf(AllIndexNames());
    }
    if (op.kind != OpKind::kReplace && op.kind != OpKind::kAddIndexer) op.obj = *GenObj();
    return op;
  });
}

struct Model {
  struct Entry {
    ObjSpec spec;
    Item item;
  };
  std::map<std::string, Entry> items;
  std::set<std::string> indexes = {"a", "b"};
  std::string resource_version;

  bool Refused(const ObjSpec& spec) const {
    for (const std::string& name : indexes) {
      if (ModelRefuses(name, spec)) return true;
    }
    return false;
  }
};

// Applies `op` to both; returns a mismatch in outcome, or "".
std::string Apply(const Op& op, int step, Cache* cache, Model* model) {
  bool expect_ok = true;
  absl::Status status;
  switch (op.kind) {
    case OpKind::kAdd:
    case OpKind::kUpdate: {
      Item item = MakeItem(op.obj, step);
      status = op.kind == OpKind::kAdd ? cache->Add(item) : cache->Update(item);
      expect_ok = !model->Refused(op.obj);
      if (expect_ok) {
        model->items[KeyOf(op.obj)] = Model::Entry{op.obj, item};
        model->resource_version = absl::StrCat(step);
      }
      break;
    }
    case OpKind::kDelete:
      // Stored items were accepted by every index, so a delete never fails.
      status = cache->Delete(MakeItem(op.obj, step));
      model->items.erase(KeyOf(op.obj));
      model->resource_version = absl::StrCat(step);
      break;
    case OpKind::kReplace: {
      std::vector<Item> list;
      std::map<std::string, Model::Entry> next;
      for (const ObjSpec& spec : op.list) {
        Item item = MakeItem(spec, step);
        list.push_back(item);
        next[KeyOf(spec)] = Model::Entry{spec, item};  // S3: last wins
      }
      status = cache->Replace(std::move(list), absl::StrCat("replace-", step));
      for (const auto& entry : next) expect_ok = expect_ok && !model->Refused(entry.second.spec);
      if (expect_ok) {
        model->items = std::move(next);
        model->resource_version = absl::StrCat("replace-", step);
      }
      break;
    }
    case OpKind::kAddIndexer: {
      status = cache->AddIndexers(Indexers{{op.index_name, LabelIndexFunc(op.index_name)}});
      expect_ok = model->indexes.count(op.index_name) == 0;
      for (const auto& entry : model->items) {
        expect_ok = expect_ok && !ModelRefuses(op.index_name, entry.second.spec);
      }
      if (expect_ok) model->indexes.insert(op.index_name);
      break;
    }
  }
  if (status.ok() != expect_ok) {
    return absl::StrCat("outcome: got ", status.ToString(), ", want ok=", expect_ok);
  }
  return "";
}

std::string KeyOfItem(const Item& item) { return *MetaNamespaceKeyFunc(item); }

// INV8 (and the items themselves) against the model; returns the first
// mismatch, or "".
std::string Check(const Cache& cache, const Model& model, const std::vector<ObjSpec>& probes) {
  // Items.
  std::vector<std::string> keys = cache.ListKeys();
  std::set<std::string> key_set(keys.begin(), keys.end());
  if (keys.size() != model.items.size() || key_set.size() != keys.size()) {
    return absl::StrCat("item count ", keys.size(), " want ", model.items.size());
  }
  for (const auto& [key, entry] : model.items) {
    absl::StatusOr<std::optional<Item>> got = cache.GetByKey(key);
    if (!got.ok() || !got->has_value() || !(*got)->SameAs(entry.item)) {
      return absl::StrCat("item ", key, " missing or different");
    }
  }
  if (cache.List().size() != model.items.size()) return "List size";
  if (cache.LastStoreSyncResourceVersion() != model.resource_version) {
    return absl::StrCat("rv ", cache.LastStoreSyncResourceVersion(), " want ",
                        model.resource_version);
  }

  // Index names.
  std::set<std::string> names;
  for (const auto& entry : cache.GetIndexers()) names.insert(entry.first);
  if (names != model.indexes) return "GetIndexers names";

  const Indices snapshot = cache.storage().SnapshotIndices();
  for (const std::string& name : AllIndexNames()) {
    if (model.indexes.count(name) == 0) {
      if (!cache.ListIndexFuncValues(name).empty()) return "values of a missing index";
      if (cache.IndexKeys(name, "x").ok()) return "IndexKeys of a missing index";
      continue;
    }
    // The index recomputed from the items.
    std::map<std::string, std::set<std::string>> expected;
    for (const auto& [key, entry] : model.items) {
      for (const std::string& v : ModelValues(name, entry.spec)) expected[v].insert(key);
    }
    std::vector<std::string> values = cache.ListIndexFuncValues(name);
    std::set<std::string> value_set(values.begin(), values.end());
    if (value_set.size() != values.size()) return absl::StrCat(name, ": duplicate values");
    if (value_set.size() != expected.size()) {
      return absl::StrCat(name, ": ", values.size(), " values, want ", expected.size());
    }
    for (const auto& [value, want_keys] : expected) {
      if (value_set.count(value) == 0) return absl::StrCat(name, ": value '", value, "' missing");
      absl::StatusOr<std::vector<std::string>> index_keys = cache.IndexKeys(name, value);
      const std::vector<std::string> want(want_keys.begin(), want_keys.end());  // sorted
      if (!index_keys.ok()) return absl::StrCat(name, "/", value, ": IndexKeys failed");
      if (*index_keys != want) {
        return absl::StrCat(name, "/", value, ": IndexKeys [",
                            absl::StrJoin(*index_keys, ","), "] want [",
                            absl::StrJoin(want, ","), "]");
      }
      absl::StatusOr<std::vector<Item>> by_index = cache.ByIndex(name, value);
      if (!by_index.ok() || by_index->size() != want.size()) {
        return absl::StrCat(name, "/", value, ": ByIndex size");
      }
      std::set<std::string> seen;
      for (const Item& item : *by_index) {
        const std::string key = KeyOfItem(item);
        auto it = model.items.find(key);
        if (want_keys.count(key) == 0 || !seen.insert(key).second ||
            it == model.items.end() || !item.SameAs(it->second.item)) {
          return absl::StrCat(name, "/", value, ": ByIndex item ", key);
        }
      }
    }
    if (!cache.IndexKeys(name, "never")->empty() || !cache.ByIndex(name, "never")->empty()) {
      return absl::StrCat(name, ": unknown value not empty");
    }
    // No empty sets; the stored index is exactly the recomputed one.
    auto stored = snapshot.find(name);
    if (stored == snapshot.end() || stored->second.size() != expected.size()) {
      return absl::StrCat(name, ": snapshot size");
    }
    for (const auto& [value, set] : stored->second) {
      if (set.empty()) return absl::StrCat(name, "/", value, ": empty set retained");
    }
    // Index(N, o) = union of ByIndex(N, v) over v in fN(o).
    std::vector<ObjSpec> all_probes = probes;
    for (const auto& entry : model.items) all_probes.push_back(entry.second.spec);
    for (const ObjSpec& probe : all_probes) {
      absl::StatusOr<std::vector<Item>> found = cache.Index(name, MakeItem(probe, 0));
      if (ModelRefuses(name, probe)) {
        if (found.ok()) return absl::StrCat(name, ": Index of a refused probe succeeded");
        continue;
      }
      if (!found.ok()) return absl::StrCat(name, ": Index failed: ", found.status().ToString());
      std::set<std::string> want;
      for (const std::string& v : ModelValues(name, probe)) {
        auto it = expected.find(v);
        if (it != expected.end()) want.insert(it->second.begin(), it->second.end());
      }
      std::set<std::string> got;
      for (const Item& item : *found) {
        if (!got.insert(KeyOfItem(item)).second) return absl::StrCat(name, ": Index duplicate");
      }
      if (got != want) return absl::StrCat(name, ": Index of probe differs");
    }
  }
  return "";
}

RC_GTEST_PROP(IndexerPropertyTest, IndicesEqualRecomputationAfterAnyOps, ()) {
  const std::vector<Op> ops = *rc::gen::container<std::vector<Op>>(GenOp());
  Indexers indexers;
  for (const char* name : {"a", "b"}) indexers.emplace(name, LabelIndexFunc(name));
  std::unique_ptr<Cache> cache = NewIndexer(MetaNamespaceKeyFunc, std::move(indexers));
  Model model;
  int step = 0;
  for (const Op& op : ops) {
    ++step;
    RC_ASSERT(Apply(op, step, cache.get(), &model) == std::string());
    std::vector<ObjSpec> probes = op.list;
    if (op.kind != OpKind::kReplace && op.kind != OpKind::kAddIndexer) probes.push_back(op.obj);
    RC_ASSERT(Check(*cache, model, probes) == std::string());
  }
}

}  // namespace
}  // namespace informersim
