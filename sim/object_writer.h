// ObjectWriter: the write side of an API server as the workload sees it
// (create, update, delete at the current virtual time). The fake API server
// implements it; workload tests can use a map-backed double.
//
// Keys are client-go MetaNamespaceKeyFunc keys ("ns/name", or "name" for
// cluster-scoped objects).
//
// Thread safety: as the implementation; the simulator is single-threaded.
#ifndef INFORMERSIM_SIM_OBJECT_WRITER_H_
#define INFORMERSIM_SIM_OBJECT_WRITER_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "core/api/object.h"
#include "core/item.h"

namespace informersim {
namespace sim {

class ObjectWriter {
 public:
  virtual ~ObjectWriter() = default;
  // Stores a new object (a fresh uid and the next resourceVersion are
  // assigned). AlreadyExists if the key is present.
  virtual absl::StatusOr<ObjectPtr> Create(api::Object object) = 0;
  // Replaces the object's spec, labels and annotations, keeping its uid; the
  // next resourceVersion is assigned. NotFound if the key is absent.
  virtual absl::StatusOr<ObjectPtr> Update(api::Object object) = 0;
  // Removes the object; the returned final state carries the deletion's
  // resourceVersion. NotFound if absent.
  virtual absl::StatusOr<ObjectPtr> Delete(absl::string_view namespace_name,
                                           absl::string_view name) = 0;
  // The current objects, sorted by key.
  virtual std::vector<ObjectPtr> Objects() const = 0;
};

}  // namespace sim
}  // namespace informersim

#endif  // INFORMERSIM_SIM_OBJECT_WRITER_H_
