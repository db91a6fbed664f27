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

// ObjectKey appended to `out`: for hot paths that reuse one buffer.
inline void AppendObjectKey(std::string* out, absl::string_view namespace_name,
                            absl::string_view name) {
  if (!namespace_name.empty()) out->append(namespace_name.data(), namespace_name.size()) += '/';
  out->append(name.data(), name.size());
}

// A resourceVersion as the fake server writes them: 1 to 19 decimal digits
// (no sign, no spaces). False for anything else.
// Parsed here rather than by absl::SimpleAtoi (signs, spaces, bases): the
// checker parses an RV at every notification.
inline bool ParseResourceVersion(absl::string_view text, int64_t* rv) {
  if (text.empty() || text.size() > 19) return false;
  uint64_t v = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return false;
    v = v * 10 + static_cast<uint64_t>(c - '0');
  }
  // 19 digits fit in uint64; above int64's range is not an RV.
  if (v > static_cast<uint64_t>(INT64_MAX)) return false;
  *rv = static_cast<int64_t>(v);
  return true;
}

}  // namespace sim
}  // namespace informersim

#endif  // INFORMERSIM_SIM_IDENTITY_H_
