// How the simulator names objects and versions: the storage key of an object
// (client-go MetaNamespaceKeyFunc's "ns/name", or "name" when cluster
// scoped) and the fake server's resourceVersions, decimal counters. Clients
// treat RVs as opaque (K6); only the simulator, which wrote them, orders
// them.
//
// Thread safety: pure functions.
#ifndef INFORMERSIM_SIM_IDENTITY_H_
#define INFORMERSIM_SIM_IDENTITY_H_

#include <cstdint>
#include <string>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"

namespace informersim {
namespace sim {

inline std::string ObjectKey(absl::string_view namespace_name, absl::string_view name) {
  if (namespace_name.empty()) return std::string(name);
  return absl::StrCat(namespace_name, "/", name);
}

// A resourceVersion as the fake server writes them: 1 to 19 decimal digits
// (no sign, no spaces). False for anything else.
inline bool ParseResourceVersion(absl::string_view text, int64_t* rv) {
  if (text.empty() || text.size() > 19) return false;
  for (char c : text) {
    if (c < '0' || c > '9') return false;
  }
  return absl::SimpleAtoi(text, rv);
}

}  // namespace sim
}  // namespace informersim

#endif  // INFORMERSIM_SIM_IDENTITY_H_
