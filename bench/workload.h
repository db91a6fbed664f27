// The fixed objects of the queue and store benchmark workloads (W1-W5): object
// i lives in namespace "ns-(i % 100)", is named "obj-i" and carries the labels
// app=app-(i % 10) and tier=tier-(i % 3). Built once, before timing.
//
// Thread safety: free functions; the returned objects are immutable.
#ifndef INFORMERSIM_BENCH_WORKLOAD_H_
#define INFORMERSIM_BENCH_WORKLOAD_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/status.h"
#include "core/delta.h"
#include "core/item.h"

namespace informersim {
namespace bench {

ObjectPtr WorkloadObject(int64_t i, int64_t resource_version);

// Objects i in [begin, end) at one resource version, as Items.
std::vector<Item> WorkloadItems(int64_t begin, int64_t end, int64_t resource_version);

// This thread's CPU time in nanoseconds. The benchmarks time their phases
// with it: on a shared machine, CPU time leaves out the time other tenants
// hold the core (memory contention still shows).
double ThreadCpuNs();

// A Pop callback that does nothing.
absl::Status NoOpProcess(const Deltas& deltas, bool is_in_initial_list);

// The "namespace" index function of the workloads (an IndexFunc, see
// core/index.h): adds the object's namespace to `values`; nothing for an item
// without meta.
absl::Status NamespaceOf(const Item& item, std::vector<std::string>* values);

}  // namespace bench
}  // namespace informersim

#endif  // INFORMERSIM_BENCH_WORKLOAD_H_
