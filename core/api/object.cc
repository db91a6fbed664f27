#include "core/api/object.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <utility>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"

namespace informersim {
namespace api {

StringMap::StringMap(std::initializer_list<value_type> entries) {
  for (const value_type& e : entries) insert(e);
}

std::vector<StringMap::value_type>::const_iterator StringMap::LowerBound(
    absl::string_view key) const {
  return std::lower_bound(
      entries_.begin(), entries_.end(), key,
      [](const value_type& e, absl::string_view k) { return absl::string_view(e.first) < k; });
}

std::vector<StringMap::value_type>::iterator StringMap::LowerBound(absl::string_view key) {
  return entries_.begin() + (std::as_const(*this).LowerBound(key) - entries_.cbegin());
}

StringMap::const_iterator StringMap::find(absl::string_view key) const {
  auto it = LowerBound(key);
  return it != entries_.end() && it->first == key ? it : entries_.end();
}

const std::string& StringMap::at(absl::string_view key) const {
  auto it = find(key);
  if (it == end()) {
    // A programmer error, fatal in every build (as protobuf's Map::at).
    std::fprintf(stderr, "StringMap::at: no key \"%.*s\"\n", static_cast<int>(key.size()),
                 key.data());
    std::abort();
  }
  return it->second;
}

std::string& StringMap::operator[](absl::string_view key) {
  auto it = LowerBound(key);
  if (it == entries_.end() || it->first != key) {
    it = entries_.emplace(it, std::string(key), std::string());
  }
  return it->second;
}

std::pair<StringMap::const_iterator, bool> StringMap::insert(value_type entry) {
  auto it = LowerBound(entry.first);
  if (it != entries_.end() && it->first == entry.first) return {it, false};
  it = entries_.insert(it, std::move(entry));
  return {it, true};
}

size_t StringMap::erase(absl::string_view key) {
  auto it = LowerBound(key);
  if (it == entries_.end() || it->first != key) return 0;
  entries_.erase(it);
  return 1;
}

bool operator==(const ObjectMeta& a, const ObjectMeta& b) {
  return a.ns_ == b.ns_ && a.name_ == b.name_ && a.uid_ == b.uid_ &&
         a.resource_version_ == b.resource_version_ && a.generation_ == b.generation_ &&
         a.has_deletion_timestamp_ms_ == b.has_deletion_timestamp_ms_ &&
         a.deletion_timestamp_ms_ == b.deletion_timestamp_ms_ && a.labels_ == b.labels_ &&
         a.annotations_ == b.annotations_;
}

bool operator==(const Object& a, const Object& b) {
  return a.has_metadata_ == b.has_metadata_ && a.kind_ == b.kind_ && a.spec_ == b.spec_ &&
         a.metadata_ == b.metadata_;
}

namespace {

// Protobuf's short text form: fields with their default value are left out,
// strings are quoted with C escapes, map entries as key/value messages.
void AppendString(std::string* out, absl::string_view field, const std::string& value) {
  if (value.empty()) return;
  absl::StrAppend(out, out->empty() ? "" : " ", field, ": \"", absl::CEscape(value), "\"");
}

void AppendMap(std::string* out, absl::string_view field, const StringMap& map) {
  for (const auto& [k, v] : map) {
    absl::StrAppend(out, out->empty() ? "" : " ", field, " { key: \"", absl::CEscape(k),
                    "\" value: \"", absl::CEscape(v), "\" }");
  }
}

}  // namespace

std::string ObjectMeta::ShortDebugString() const {
  std::string out;
  AppendString(&out, "namespace", ns_);
  AppendString(&out, "name", name_);
  AppendString(&out, "uid", uid_);
  AppendString(&out, "resource_version", resource_version_);
  if (generation_ != 0) absl::StrAppend(&out, out.empty() ? "" : " ", "generation: ", generation_);
  AppendMap(&out, "labels", labels_);
  AppendMap(&out, "annotations", annotations_);
  if (has_deletion_timestamp_ms_) {
    absl::StrAppend(&out, out.empty() ? "" : " ", "deletion_timestamp_ms: ",
                    deletion_timestamp_ms_);
  }
  return out;
}

std::string Object::ShortDebugString() const {
  std::string out;
  AppendString(&out, "kind", kind_);
  if (has_metadata_) {
    const std::string meta = metadata_.ShortDebugString();
    absl::StrAppend(&out, out.empty() ? "" : " ", "metadata {", meta.empty() ? "" : " ", meta,
                    " }");
  }
  AppendString(&out, "spec", spec_);
  return out;
}

}  // namespace api
}  // namespace informersim
