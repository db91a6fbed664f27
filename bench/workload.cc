#include "bench/workload.h"

#include <time.h>

#include "absl/strings/str_cat.h"

namespace informersim {
namespace bench {

ObjectPtr WorkloadObject(int64_t i, int64_t resource_version) {
  api::Object o;
  o.set_kind("ConfigMap");
  api::ObjectMeta* m = o.mutable_metadata();
  m->set_namespace_(absl::StrCat("ns-", i % 100));
  m->set_name(absl::StrCat("obj-", i));
  m->set_resource_version(absl::StrCat(resource_version));
  (*m->mutable_labels())["app"] = absl::StrCat("app-", i % 10);
  (*m->mutable_labels())["tier"] = absl::StrCat("tier-", i % 3);
  return MakeObject(std::move(o));
}

std::vector<Item> WorkloadItems(int64_t begin, int64_t end, int64_t resource_version) {
  std::vector<Item> items;
  items.reserve(static_cast<size_t>(end - begin));
  for (int64_t i = begin; i < end; ++i) items.emplace_back(WorkloadObject(i, resource_version));
  return items;
}

absl::Status NamespaceOf(const Item& item, std::vector<std::string>* values) {
  const api::ObjectMeta* m = item.meta();
  if (m != nullptr) values->push_back(m->namespace_());
  return absl::OkStatus();
}

double ThreadCpuNs() {
  timespec ts;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) * 1e9 + static_cast<double>(ts.tv_nsec);
}

absl::Status NoOpProcess(const Deltas&, bool) { return absl::OkStatus(); }

}  // namespace bench
}  // namespace informersim
