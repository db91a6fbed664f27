// The API object model of InformerSim: the part of a Kubernetes object that
// informers look at (type and object meta) plus an opaque spec payload.
//
// A plain C++ value type with protobuf-style accessors (it was a proto3
// message; the accessor names are kept so the code reads the same). Why not
// a protobuf message: every simulated write builds one object and every
// queue, store and checker step reads its key and version. A generated
// message keeps each string and the meta in separate heap blocks (about a
// dozen allocations per object, and three dependent loads to reach the
// namespace and name of a cold object); here the meta sits inside the
// object and short strings inside their std::string, so an object is one
// allocation plus its long strings, and its key is one or two cache lines
// from the reference that holds it.
//
// Semantics as proto3: unset strings are "", an unset generation is 0,
// metadata() of an object without meta is an empty ObjectMeta, and
// deletion_timestamp_ms has presence (has_/clear_). Copies are deep. A
// moved-from object is valid but unspecified (protobuf left it empty):
// Clear() it before reuse.
//
// Thread safety: a value type; a const object may be read from any thread.
// Invariant: a StringMap's entries are sorted by key, keys unique.
#ifndef INFORMERSIM_CORE_API_OBJECT_H_
#define INFORMERSIM_CORE_API_OBJECT_H_

#include <cassert>
#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/string_view.h"

namespace informersim {
namespace api {

// A small string-to-string map (labels, annotations: a handful of entries):
// a vector sorted by key, so copying one is one allocation and iterating it
// goes in key order. The interface is the part of std::map the project uses.
class StringMap {
 public:
  using value_type = std::pair<std::string, std::string>;
  // Entries change only through operator[], insert and erase, which keep
  // them sorted: iteration is read-only.
  using const_iterator = std::vector<value_type>::const_iterator;
  using iterator = const_iterator;

  StringMap() = default;
  StringMap(std::initializer_list<value_type> entries);
  // A key listed twice keeps its first value, as in std::map.
  template <typename InputIt>
  StringMap(InputIt first, InputIt last) {
    for (; first != last; ++first) insert(value_type(first->first, first->second));
  }

  bool empty() const { return entries_.empty(); }
  size_t size() const { return entries_.size(); }
  const_iterator begin() const { return entries_.begin(); }
  const_iterator end() const { return entries_.end(); }

  const_iterator find(absl::string_view key) const;
  size_t count(absl::string_view key) const { return find(key) == end() ? 0 : 1; }
  bool contains(absl::string_view key) const { return find(key) != end(); }
  // The value of a present key; a missing key aborts the program.
  const std::string& at(absl::string_view key) const;
  // The value of `key`, inserted as "" if absent. Unlike a protobuf Map or
  // a std::map, an insert or erase moves entries: references and iterators
  // from earlier calls are invalid after one (`m["a"] = m["b"]` is wrong).
  std::string& operator[](absl::string_view key);
  // Inserts unless the key is present; returns where it is and whether it
  // was inserted.
  std::pair<const_iterator, bool> insert(value_type entry);
  // Removes `key`; returns how many entries went (0 or 1).
  size_t erase(absl::string_view key);
  void clear() { entries_.clear(); }

  friend bool operator==(const StringMap& a, const StringMap& b) {
    return a.entries_ == b.entries_;
  }
  friend bool operator!=(const StringMap& a, const StringMap& b) { return !(a == b); }

 private:
  // The first entry whose key is not below `key`.
  std::vector<value_type>::iterator LowerBound(absl::string_view key);
  std::vector<value_type>::const_iterator LowerBound(absl::string_view key) const;

  std::vector<value_type> entries_;
};

// Accessors of the string field held in `member`: name(), set_name(...)
// from any string form, mutable_name() and clear_name().
#define INFORMERSIM_API_STRING_FIELD(name, member)                            \
  const std::string& name() const { return member; }                         \
  void set_##name(const std::string& v) { member = v; }                      \
  void set_##name(std::string&& v) { member = std::move(v); }                \
  void set_##name(const char* v) { member = v; }                             \
  void set_##name(const char* v, size_t n) { member.assign(v, n); }          \
  void set_##name(absl::string_view v) { member.assign(v.data(), v.size()); } \
  std::string* mutable_##name() { return &member; }                          \
  void clear_##name() { member.clear(); }

class ObjectMeta {
 public:
  // A field added here must be added to the checker's SameObject, to
  // operator== and to ShortDebugString (tests/sim/checker_test.cc counts).
  static constexpr int kFieldCount = 8;

  INFORMERSIM_API_STRING_FIELD(namespace_, ns_)
  INFORMERSIM_API_STRING_FIELD(name, name_)
  INFORMERSIM_API_STRING_FIELD(uid, uid_)
  // Opaque to clients (client-go never orders them); the fake server writes
  // decimal integers from one global counter.
  INFORMERSIM_API_STRING_FIELD(resource_version, resource_version_)

  int64_t generation() const { return generation_; }
  void set_generation(int64_t v) { generation_ = v; }

  const StringMap& labels() const { return labels_; }
  StringMap* mutable_labels() { return &labels_; }
  const StringMap& annotations() const { return annotations_; }
  StringMap* mutable_annotations() { return &annotations_; }

  // Set once deletion has been requested; virtual milliseconds.
  bool has_deletion_timestamp_ms() const { return has_deletion_timestamp_ms_; }
  int64_t deletion_timestamp_ms() const { return deletion_timestamp_ms_; }
  void set_deletion_timestamp_ms(int64_t v) {
    deletion_timestamp_ms_ = v;
    has_deletion_timestamp_ms_ = true;
  }
  void clear_deletion_timestamp_ms() {
    deletion_timestamp_ms_ = 0;
    has_deletion_timestamp_ms_ = false;
  }

  void Clear() { *this = ObjectMeta(); }
  // Protobuf's short text form, for messages and test failures.
  std::string ShortDebugString() const;

  friend bool operator==(const ObjectMeta& a, const ObjectMeta& b);
  friend bool operator!=(const ObjectMeta& a, const ObjectMeta& b) { return !(a == b); }

 private:
  // Namespace and name first: they make the key, read on every write.
  std::string ns_;
  std::string name_;
  std::string resource_version_;
  std::string uid_;
  int64_t generation_ = 0;
  int64_t deletion_timestamp_ms_ = 0;
  bool has_deletion_timestamp_ms_ = false;
  StringMap labels_;
  StringMap annotations_;
};

class Object {
 public:
  // See ObjectMeta::kFieldCount.
  static constexpr int kFieldCount = 3;

  INFORMERSIM_API_STRING_FIELD(kind, kind_)

  // An object without metadata is a valid value that no key function can
  // key (client-go: "object has no meta").
  bool has_metadata() const { return has_metadata_; }
  const ObjectMeta& metadata() const { return metadata_; }
  ObjectMeta* mutable_metadata() {
    has_metadata_ = true;
    return &metadata_;
  }
  void clear_metadata() {
    metadata_.Clear();
    has_metadata_ = false;
  }

  INFORMERSIM_API_STRING_FIELD(spec, spec_)

  void Clear() { *this = Object(); }
  std::string ShortDebugString() const;
  std::string DebugString() const { return ShortDebugString(); }

  friend bool operator==(const Object& a, const Object& b);
  friend bool operator!=(const Object& a, const Object& b) { return !(a == b); }

 private:
  // The presence bit and the meta first, next to the reference count of a
  // shared object: a key is built from this end.
  bool has_metadata_ = false;
  ObjectMeta metadata_;
  std::string kind_;
  std::string spec_;
};

#undef INFORMERSIM_API_STRING_FIELD

}  // namespace api
}  // namespace informersim

#endif  // INFORMERSIM_CORE_API_OBJECT_H_
