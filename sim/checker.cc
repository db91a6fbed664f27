#include "sim/checker.h"

#include <algorithm>
#include <cassert>
#include <cstring>
#include <deque>
#include <functional>
#include <iterator>
#include <limits>
#include <optional>
#include <set>
#include <utility>

#include "absl/base/attributes.h"
#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/match.h"
#include "core/index.h"
#include "core/keys.h"
#include "sim/identity.h"

namespace informersim {
namespace sim {
namespace {

// Longest object diff quoted in a violation: enough to see the field.
constexpr size_t kMaxDiffChars = 400;
// Allowed time travels kept for Describe.
constexpr size_t kMaxTimeTravelExamples = 5;

// -1 when absent or unparsable (the caller has reported it already).
int64_t RvOf(const Item& item) {
  int64_t rv = -1;
  if (!ParseResourceVersion(item.resource_version(), &rv)) return -1;
  return rv;
}

// The indexer's item for `key`, or nullopt (a store error reads as absent;
// GetByKey fails only on key errors, which a plain key cannot cause).
std::optional<Item> Lookup(const Store& store, absl::string_view key) {
  absl::StatusOr<std::optional<Item>> got = store.GetByKey(key);
  if (!got.ok() || !got->has_value()) return std::nullopt;
  return *std::move(*got);
}

// One line for `field` if it differs ("modified: metadata.name: \"a\" ->
// \"b\"", "added: metadata.labels[\"k\"]: \"v\""), for INV1's report: each
// side says whether it has the field and its text.
void DiffLine(absl::string_view field, bool cached_set, const std::string& cached,
              bool server_set, const std::string& server, std::vector<std::string>* lines) {
  if (cached_set == server_set && cached == server) return;
  if (!cached_set) {
    lines->push_back(absl::StrCat("added: ", field, ": ", server));
  } else if (!server_set) {
    lines->push_back(absl::StrCat("deleted: ", field, ": ", cached));
  } else {
    lines->push_back(absl::StrCat("modified: ", field, ": ", cached, " -> ", server));
  }
}

std::string Quoted(absl::string_view s) { return absl::StrCat("\"", absl::CEscape(s), "\""); }

// A proto3 string: set when not empty.
void DiffString(absl::string_view field, const std::string& cached, const std::string& server,
                std::vector<std::string>* lines) {
  if (cached == server) return;
  DiffLine(field, !cached.empty(), Quoted(cached), !server.empty(), Quoted(server), lines);
}

void DiffInt(absl::string_view field, bool cached_set, int64_t cached, bool server_set,
             int64_t server, std::vector<std::string>* lines) {
  DiffLine(field, cached_set, absl::StrCat(cached), server_set, absl::StrCat(server), lines);
}

// Entry by entry, over the keys of both maps.
void DiffMap(absl::string_view field, const api::StringMap& cached, const api::StringMap& server,
             std::vector<std::string>* lines) {
  auto entry = [&](const std::string& k) {
    const auto c = cached.find(k);
    const auto s = server.find(k);
    const bool in_c = c != cached.end();
    const bool in_s = s != server.end();
    if (in_c && in_s && c->second == s->second) return;
    DiffLine(absl::StrCat(field, "[", Quoted(k), "]"), in_c, in_c ? Quoted(c->second) : "",
             in_s, in_s ? Quoted(s->second) : "", lines);
  };
  for (const auto& kv : cached) entry(kv.first);
  for (const auto& kv : server) {
    if (!cached.contains(kv.first)) entry(kv.first);
  }
}

std::string ObjectDiff(const api::Object& cached, const api::Object& server) {
  std::vector<std::string> lines;
  DiffString("kind", cached.kind(), server.kind(), &lines);
  if (cached.has_metadata() != server.has_metadata()) {
    lines.push_back(absl::StrCat(cached.has_metadata() ? "deleted" : "added", ": metadata"));
  }
  const api::ObjectMeta& c = cached.metadata();
  const api::ObjectMeta& s = server.metadata();
  DiffString("metadata.namespace", c.namespace_(), s.namespace_(), &lines);
  DiffString("metadata.name", c.name(), s.name(), &lines);
  DiffString("metadata.uid", c.uid(), s.uid(), &lines);
  DiffString("metadata.resource_version", c.resource_version(), s.resource_version(), &lines);
  DiffInt("metadata.generation", c.generation() != 0, c.generation(), s.generation() != 0,
          s.generation(), &lines);
  DiffMap("metadata.labels", c.labels(), s.labels(), &lines);
  DiffMap("metadata.annotations", c.annotations(), s.annotations(), &lines);
  DiffInt("metadata.deletion_timestamp_ms", c.has_deletion_timestamp_ms(),
          c.deletion_timestamp_ms(), s.has_deletion_timestamp_ms(), s.deletion_timestamp_ms(),
          &lines);
  DiffString("spec", cached.spec(), server.spec(), &lines);
  std::sort(lines.begin(), lines.end());
  std::string diff = absl::StrJoin(lines, "; ");
  if (diff.size() > kMaxDiffChars) {
    diff.resize(kMaxDiffChars);
    diff += "...";
  }
  return diff;
}

// `n` bytes from `from` to `to`: the pieces are mostly a few bytes long, and
// fixed-size copies (two overlapping ones) cost less than a call to memcpy.
ABSL_ATTRIBUTE_ALWAYS_INLINE inline void CopyShort(char* to, const char* from, size_t n) {
  if (n >= 8 && n <= 16) {
    uint64_t head;
    uint64_t tail;
    std::memcpy(&head, from, 8);
    std::memcpy(&tail, from + n - 8, 8);
    std::memcpy(to, &head, 8);
    std::memcpy(to + n - 8, &tail, 8);
  } else if (n >= 4 && n < 8) {
    uint32_t head;
    uint32_t tail;
    std::memcpy(&head, from, 4);
    std::memcpy(&tail, from + n - 4, 4);
    std::memcpy(to, &head, 4);
    std::memcpy(to + n - 4, &tail, 4);
  } else if (n > 16) {
    std::memcpy(to, from, n);
  } else if (n > 0) {  // 1 to 3 bytes: first, middle and last cover them
    to[0] = from[0];
    to[n / 2] = from[n / 2];
    to[n - 1] = from[n - 1];
  }
}

// `pieces` written one after another at the start of `buf`, which only ever
// grows (no allocation once it is long enough, no zero-filling); the result
// views `buf` and is valid until its next use. Every notification builds a
// key and a trace line.
template <typename... Views>
ABSL_ATTRIBUTE_ALWAYS_INLINE inline absl::string_view ConcatViews(std::string* buf,
                                                                 Views... pieces) {
  const size_t n = (size_t{0} + ... + pieces.size());
  if (buf->size() < n) buf->resize(n);
  char* out = &(*buf)[0];
  ((CopyShort(out, pieces.data(), pieces.size()), out += pieces.size()), ...);
  return absl::string_view(buf->data(), n);
}

// A pack, not a list, and inlined: each piece's copy is laid out in place,
// a literal's as fixed-size moves.
template <typename... Pieces>
ABSL_ATTRIBUTE_ALWAYS_INLINE inline absl::string_view Concat(std::string* buf,
                                                            const Pieces&... pieces) {
  return ConcatViews(buf, absl::string_view(pieces)...);
}

// DeletionHandlingMetaNamespaceKeyFunc's key into `key` (false where it
// fails), without a StatusOr or a new string: every notification needs it.
// The key views `item` or `buf` (Concat).
bool BuildKey(const Item& item, std::string* buf, absl::string_view* key) {
  if (item.is_tombstone()) {
    *key = item.tombstone().key;
    return true;
  }
  if (item.kind() == Item::Kind::kExplicitKey) {
    *key = item.explicit_key();
    return true;
  }
  const api::ObjectMeta* meta = item.meta();
  if (meta == nullptr) return false;
  const std::string& ns = meta->namespace_();
  *key = ns.empty() ? Concat(buf, meta->name()) : Concat(buf, ns, "/", meta->name());
  return true;
}

// Whether DeletionHandlingMetaNamespaceKeyFunc(item) succeeds with `key`,
// compared piece by piece.
bool HasKey(const Item& item, absl::string_view key) {
  if (item.is_tombstone()) return item.tombstone().key == key;
  if (item.kind() == Item::Kind::kExplicitKey) return item.explicit_key() == key;
  const api::ObjectMeta* meta = item.meta();
  if (meta == nullptr) return false;
  const std::string& ns = meta->namespace_();
  const std::string& name = meta->name();
  if (ns.empty()) return key == name;
  return key.size() == ns.size() + 1 + name.size() && absl::StartsWith(key, ns) &&
         key[ns.size()] == '/' && absl::EndsWith(key, name);
}

std::string Or(const std::string& s, absl::string_view fallback) {
  return s.empty() ? std::string(fallback) : s;
}

}  // namespace

// ---------------------------------------------------------------------------
// HandlerRecorder

HandlerRecorder::HandlerRecorder(std::string name, Checker* checker, const Store* indexer)
    : actor_(std::move(name)), checker_(checker) {
  assert(checker_ != nullptr);
  SetIndexer(indexer);
}

void HandlerRecorder::SetIndexer(const Store* indexer) {
  indexer_ = indexer;
  indexer_cache_ = dynamic_cast<const Cache*>(indexer);
}

std::optional<Item> HandlerRecorder::IndexerGet(absl::string_view key) const {
  // Cache::GetByKey is its storage's Get in a StatusOr: the direct call
  // skips the wrapper and its copies.
  if (indexer_cache_ != nullptr) return indexer_cache_->storage().Get(key);
  return Lookup(*indexer_, key);
}

void HandlerRecorder::SetRegistration(
    std::shared_ptr<ResourceEventHandlerRegistration> registration) {
  registration_ = std::move(registration);
  listener_ = dynamic_cast<const ProcessorListener*>(registration_.get());
}

void HandlerRecorder::DropRegistration() {
  registration_ = nullptr;
  listener_ = nullptr;
}

const std::shared_ptr<ResourceEventHandlerRegistration>& HandlerRecorder::registration() const {
  return registration_;
}

const std::string& HandlerRecorder::name() const { return actor_.name; }
absl::btree_map<std::string, ViewEntry> HandlerRecorder::view() const {
  absl::btree_map<std::string, ViewEntry> view;
  for (const auto& [key, state] : keys_) {
    if (state.held) view.emplace(key, state.view);
  }
  return view;
}

const ViewEntry* HandlerRecorder::Held(const std::string& key) const {
  auto it = keys_.find(key);
  return it != keys_.end() && it->second.held ? &it->second.view : nullptr;
}

size_t HandlerRecorder::HeldCount() const {
#ifndef NDEBUG
  size_t n = 0;
  for (const auto& [key, state] : keys_) n += state.held ? 1 : 0;
  assert(n == held_count_ && "held_count_ missed a change of a key's `held`");
#endif
  return held_count_;
}

std::vector<std::pair<const std::string*, const ViewEntry*>> HandlerRecorder::SortedView() const {
  std::vector<std::pair<const std::string*, const ViewEntry*>> view;
  for (const auto& [key, state] : keys_) {
    if (state.held) view.emplace_back(&key, &state.view);
  }
  // Keys are unique: the order is total, whatever order the map gave.
  std::sort(view.begin(), view.end(),
            [](const auto& a, const auto& b) { return *a.first < *b.first; });
  return view;
}
const HandlerCounts& HandlerRecorder::counts() const { return counts_; }

namespace {
// `size` + `slack`, saturating (SIZE_MAX never buries).
size_t BuryAt(size_t size, size_t slack) {
  return slack > std::numeric_limits<size_t>::max() - size ? std::numeric_limits<size_t>::max()
                                                          : size + slack;
}

// Whether a grave's mask names the handler at `index` (a grave names at
// most the first 64 handlers; BuryDead buries nothing once there are more).
bool HasBit(uint64_t mask, size_t index) { return index < 64 && ((mask >> index) & 1) != 0; }

// What an informer restart does to a key's RVs, in a record and in a grave
// alike: the last delivered RV becomes the one before the restart.
void ForgetAtRestart(int64_t* last_rv, int64_t* before_restart_rv) {
  if (*last_rv >= 0) *before_restart_rv = *last_rv;
  *last_rv = -1;
}
}  // namespace

// One probe: a key new to this table may be buried (Unbury then fills the
// record just made, and inserts into no other table of this handler).
ABSL_ATTRIBUTE_ALWAYS_INLINE inline HandlerRecorder::KeyState& HandlerRecorder::Record(
    absl::string_view key) {
  auto [it, inserted] = keys_.try_emplace(key);
  if (ABSL_PREDICT_FALSE(inserted)) checker_->Unbury(key);
  return it->second;
}

// A grave stands for a record with ever_saw and got_delete set in every
// handler it names (Checker::Grave).
HandlerRecorder::Told HandlerRecorder::ToldOf(absl::string_view key) const {
  auto it = keys_.find(key);
  if (it != keys_.end()) {
    return Told{it->second.ever_saw, it->second.got_delete, it->second.initial_add};
  }
  const Checker::Grave* grave = checker_->FindGrave(key);
  if (grave == nullptr || !HasBit(grave->present, index_)) return Told{};
  return Told{true, true, HasBit(grave->initial_add, index_)};
}

bool HandlerRecorder::EverSaw(absl::string_view key) const { return ToldOf(key).ever_saw; }

void HandlerRecorder::Restart(const Store* indexer) {
  SetIndexer(indexer);
  DropRegistration();
  synced_seen_ = false;
  registration_synced_last_ = false;
  early_sync_reported_ = false;
  for (auto& [key, state] : keys_) {
    ForgetAtRestart(&state.last_rv, &state.before_restart_rv);
    state.initial_add = false;
    state.held = false;  // the view is forgotten
  }
  held_count_ = 0;
}

bool HandlerRecorder::GotInitialAdd(absl::string_view key) const {
  return ToldOf(key).initial_add;
}

bool HandlerRecorder::GotDelete(absl::string_view key) const { return ToldOf(key).got_delete; }

void HandlerRecorder::WatchTombstones(const std::vector<std::string>& keys) {
  tombstones_watched_.insert(keys.begin(), keys.end());
}

void HandlerRecorder::Fail(const char* invariant, absl::string_view key, std::string detail) {
  checker_->Fail(invariant, std::string(key), actor_.name, std::move(detail));
}

bool HandlerRecorder::KeyAndRv(const Item& obj, absl::string_view rv_text, absl::string_view what,
                               absl::string_view* key, int64_t* rv) {
  if (!BuildKey(obj, &key_buf_, key)) {
    absl::StatusOr<std::string> k = DeletionHandlingMetaNamespaceKeyFunc(obj);
    Fail("INV3", "",
         absl::StrCat(what, " of an item without a key: ", obj.DebugString(), ": ",
                      k.status().message()));
    return false;
  }
  if (!ParseResourceVersion(rv_text, rv)) {
    Fail("INV1", *key, absl::StrCat("bad resourceVersion \"", rv_text, "\" in ", what));
    return false;
  }
  return true;
}

// Inlined into each notification: its reports are the rare part.
ABSL_ATTRIBUTE_ALWAYS_INLINE inline void HandlerRecorder::CheckNotOlder(
    KeyState& state, absl::string_view key, int64_t rv, absl::string_view what) {
  if (state.last_rv >= 0 && rv < state.last_rv) {
    checker_->TimeTravel(key, actor_.name,
                         absl::StrCat(what, " rv=", rv, " is older than rv=", state.last_rv,
                                      " delivered before"));
  } else if (state.last_rv < 0 && state.before_restart_rv >= 0 && rv < state.before_restart_rv) {
    checker_->RestartTimeTravel(
        key, actor_.name,
        absl::StrCat(what, " rv=", rv, " after the informer restarted is older than rv=",
                     state.before_restart_rv, " delivered before the restart"));
  }
  // Last delivered, not the maximum: see the header on time travel.
  state.last_rv = rv;
}

void HandlerRecorder::CheckIndexerAtLeast(absl::string_view key, const Item& notified,
                                          int64_t rv) {
  if (indexer_ == nullptr) return;
  std::optional<Item> stored = IndexerGet(key);
  if (!stored.has_value()) return;  // a later delete already applied
  // The notified object itself (the common case) has the notified RV.
  if (stored->SameAs(notified)) return;
  const int64_t stored_rv = RvOf(*stored);
  if (stored_rv >= rv) return;
  std::string detail = absl::StrCat("notified rv=", rv, " but the indexer holds rv=",
                                    stored->resource_version(), ", older (store before notify)");
  if (checker_->options_.allow_time_travel) {
    checker_->TimeTravel(key, actor_.name, std::move(detail));
  } else {
    Fail("INV7", key, std::move(detail));
  }
}

void HandlerRecorder::OnAdd(const Item& obj, bool is_in_initial_list) {
  ++counts_.adds;
  if (is_in_initial_list) ++counts_.initial_adds;
  const absl::string_view rv_text = obj.resource_version();
  absl::string_view key;
  int64_t rv = 0;
  const bool usable = KeyAndRv(obj, rv_text, "add", &key, &rv);
  if (checker_->tracer_ != nullptr) {
    const std::string debug = usable ? std::string() : obj.DebugString();
    checker_->tracer_->Record(
        NOTIFY, actor_,
        Concat(&trace_line_, "add ", usable ? key : absl::string_view(debug), " rv=", rv_text,
                              is_in_initial_list ? " initial" : ""));
  }
  if (!usable) return;

  // INV9: initial adds all come before the registration reports synced
  // (SI11: its counter falls only after OnAdd returns, so it is false even
  // during the last one).
  if (is_in_initial_list &&
      (synced_seen_ || (registration_ != nullptr && registration_->HasSynced()))) {
    Fail("INV9", key, absl::StrCat("initial-list add rv=", rv, " after the handler synced"));
  }
  KeyState& state = Record(key);
  if (is_in_initial_list) state.initial_add = true;
  if (state.held) {
    Fail("INV3", key,
         absl::StrCat("add rv=", rv, " while present (the handler holds rv=", state.view.rv, ")"));
  }
  if (!state.held) ++held_count_;
  state.held = true;
  CheckNotOlder(state, key, rv, "add");
  CheckIndexerAtLeast(key, obj, rv);
  state.view.rv = rv;
  state.ever_saw = true;
}

void HandlerRecorder::SetResyncPolicy(bool receives_resyncs, bool registered_before_run) {
  receives_resyncs_ = receives_resyncs;
  registered_before_run_ = registered_before_run;
}

void HandlerRecorder::CheckSyncSource(absl::string_view key, int64_t rv) {
  Checker& c = *checker_;
  const Checker::LastWrite* w = c.FindLastWrite(key);
  // Unknown when the key was written again since: let it pass.
  if (w == nullptr || w->rv != rv) return;
  const bool from_state = w->lists_served < c.lists_served_;
  if (!from_state) {
    // Not a served state's Replace or re-add: a resync pass, or a bug.
    if (!c.options_.informer_resyncs) {
      Fail("INV11", key,
           absl::StrCat("sync update of rv=", rv,
                        " with resync off and no state served since that write (a duplicated "
                        "watch event, not a relist)"));
    } else if (!receives_resyncs_) {
      Fail("INV11", key,
           absl::StrCat("resync update of rv=", rv,
                        " to a handler whose resync period is 0 (shouldResync never picks it)"));
    } else if (c.resync_seen_at_lists_ < 0) {
      c.resync_seen_at_lists_ = c.lists_served_;
    }
    return;
  }
  // A relist's unchanged object goes only to syncing listeners (client-go
  // distributes an update that keeps the RV as a sync); once a resync pass
  // was seen before that state was served, shouldResync had already marked
  // a period-0 listener as not syncing.
  if (!receives_resyncs_ && registered_before_run_ && c.resync_seen_at_lists_ >= 0 &&
      c.resync_seen_at_lists_ <= w->lists_served) {
    Fail("INV11", key,
         absl::StrCat("a relisted unchanged object (rv=", rv,
                      ") reached a handler with resync period 0 after resync checks began"));
  }
}

void HandlerRecorder::OnUpdate(const Item& old_obj, const Item& new_obj) {
  ++counts_.updates;
  const absl::string_view rv_text = new_obj.resource_version();
  const absl::string_view old_rv_text = old_obj.resource_version();
  absl::string_view key;
  int64_t rv = 0;
  const bool usable = KeyAndRv(new_obj, rv_text, "update", &key, &rv);
  int64_t old_rv = -1;
  const bool old_parses = ParseResourceVersion(old_rv_text, &old_rv);
  if (old_parses && usable && old_rv == rv) ++counts_.sync_updates;
  if (checker_->tracer_ != nullptr) {
    const std::string debug = usable ? std::string() : new_obj.DebugString();
    checker_->tracer_->Record(NOTIFY, actor_,
                              Concat(&trace_line_, "update ", usable ? key : absl::string_view(debug),
                                                    " rv=", old_rv_text, "->", rv_text));
  }
  if (!usable) return;
  if (!old_parses) {
    Fail("INV1", key,
         absl::StrCat("bad resourceVersion \"", old_rv_text, "\" in update's old object"));
    return;
  }
  if (!HasKey(old_obj, key)) {
    Fail("INV3", key,
         absl::StrCat("update's old object ", old_obj.DebugString(), " is not of this key"));
  }

  KeyState& state = Record(key);
  ViewEntry& held = state.view;
  if (!state.held) {
    Fail("INV3", key, absl::StrCat("update rv=", old_rv, "->", rv, " while absent"));
    state.held = true;
    ++held_count_;
    held = ViewEntry();
  } else if (old_rv == rv) {
    if (held.rv != rv) {
      Fail("INV4", key,
           absl::StrCat("sync update of rv=", rv, " but the handler holds rv=", held.rv));
    } else {
      CheckSyncSource(key, rv);
    }
  } else if (rv == held.rv) {
    Fail("INV4", key,
         absl::StrCat("sync update with old.RV != new.RV: rv=", old_rv, "->", rv,
                      " repeats the rv the handler holds"));
  } else if (old_rv != held.rv) {
    Fail("INV3", key,
         absl::StrCat("update's old object rv=", old_rv, " is not the rv=", held.rv,
                      " the handler holds (a lost or extra notification)"));
  }
  CheckNotOlder(state, key, rv, "update");
  CheckIndexerAtLeast(key, new_obj, rv);
  held.rv = rv;
  state.ever_saw = true;
}

void HandlerRecorder::OnDelete(const Item& obj) {
  ++counts_.deletes;
  const bool tombstone = obj.is_tombstone();
  if (tombstone) {
    ++counts_.tombstone_deletes;
    if (!tombstones_watched_.empty() && tombstones_watched_.contains(obj.tombstone().key)) {
      tombstones_got_.insert(obj.tombstone().key);
    }
  }
  // The deleted object: the tombstone's last known state (K5), possibly
  // null; read in place (what Item(obj.tombstone().obj) would say).
  const ObjectPtr* last_state = tombstone ? &obj.tombstone().obj : nullptr;
  const bool deleted_null = tombstone ? *last_state == nullptr : obj.is_null();
  absl::string_view deleted_rv_text;
  if (!tombstone) {
    deleted_rv_text = obj.resource_version();
  } else if (!deleted_null && (*last_state)->has_metadata()) {
    deleted_rv_text = (*last_state)->metadata().resource_version();
  }
  absl::string_view key;
  int64_t rv = -1;  // -1: a tombstone without an object
  bool usable = true;
  if (!tombstone) {
    usable = KeyAndRv(obj, deleted_rv_text, "delete", &key, &rv);
  } else {
    key = obj.tombstone().key;  // K2
    if (!deleted_null && !ParseResourceVersion(deleted_rv_text, &rv)) {
      Fail("INV1", key,
           absl::StrCat("bad resourceVersion \"", deleted_rv_text, "\" in a tombstone's object"));
      usable = false;
    }
  }
  if (checker_->tracer_ != nullptr) {
    const std::string debug = usable ? std::string() : obj.DebugString();
    checker_->tracer_->Record(
        NOTIFY, actor_,
        Concat(&trace_line_, "delete ", usable ? key : absl::string_view(debug),
                              tombstone ? " tombstone" : "", " rv=",
                              deleted_null ? absl::string_view("?") : deleted_rv_text));
  }
  if (!usable) return;

  KeyState& state = Record(key);
  state.got_delete = true;
  const int64_t held_rv = state.held ? state.view.rv : -1;
  if (!state.held) {
    if (checker_->options_.allow_unknown_deletes) {
      ++counts_.unknown_deletes;
    } else {
      Fail("INV3", key, absl::StrCat("delete rv=", rv, " while absent"));
    }
  } else {
    state.held = false;
    --held_count_;
  }

  if (tombstone) {
    // K5/D5: an informer's tombstone carries the last state known locally
    // (the indexer's object, or the newest queued one); it is empty only
    // when the known-objects store lost the key between listing its keys
    // and reading it back, which a single-threaded simulation rules out.
    if (deleted_null && checker_->options_.tombstones_carry_state) {
      Fail("INV5", key, "tombstone without the key's last known state (K5)");
    }
    // K5: the tombstone carries the last state known locally, which the
    // handler was told of or an older one, never a newer.
    if (rv >= 0 && state.last_rv >= 0 && rv > state.last_rv) {
      Fail("INV4", key,
           absl::StrCat("tombstone's object rv=", rv, " is newer than rv=", state.last_rv,
                        " delivered before"));
    }
  } else {
    CheckNotOlder(state, key, rv, "delete");
  }

  // INV7: the indexer lacks the key or holds a newer incarnation.
  const int64_t reference = rv >= 0 ? rv : held_rv;
  if (indexer_ == nullptr || reference < 0) return;
  std::optional<Item> stored = IndexerGet(key);
  if (!stored.has_value()) return;
  const int64_t stored_rv = RvOf(*stored);
  if (stored_rv > reference) return;
  std::string detail = absl::StrCat("deleted rv=", reference, " but the indexer still holds rv=",
                                    stored->resource_version());
  if (checker_->options_.allow_time_travel) {
    checker_->TimeTravel(key, actor_.name, std::move(detail));
  } else {
    Fail("INV7", key, std::move(detail));
  }
}

// ---------------------------------------------------------------------------
// Checker

Checker::Checker(Tracer* tracer, const Runtime* clock, CheckerOptions options)
    : tracer_(tracer),
      clock_(clock),
      options_(options),
      // The trace's time zero, so violations and steps share one clock.
      start_(tracer != nullptr ? tracer->start()
                               : clock != nullptr ? clock->Now() : absl::UnixEpoch()),
      bury_at_(options.bury_slack) {}

Checker::~Checker() {
  for (const std::shared_ptr<HandlerRecorder>& h : handlers_) h->DropRegistration();
}

bool SameObject(const api::Object& a, const api::Object& b) { return &a == &b || a == b; }

std::shared_ptr<HandlerRecorder> Checker::AddHandler(std::string name, const Store* indexer) {
  auto recorder = std::make_shared<HandlerRecorder>(std::move(name), this, indexer);
  recorder->index_ = handlers_.size();
  handlers_.push_back(recorder);
  return recorder;
}

void Checker::NoteWrite(const Change& change) {
  if (ABSL_PREDICT_FALSE(last_write_.size() >= bury_at_)) {
    BuryDead();
    bury_at_ = BuryAt(2 * last_write_.size(), options_.bury_slack);
  }
  auto [it, inserted] = last_write_.try_emplace(change.key);
  // A buried key written again: its records come back (the last write is
  // overwritten below).
  if (ABSL_PREDICT_FALSE(inserted)) Unbury(change.key);
  LastWrite& w = it->second;
  w.deleted = change.type == WatchEventType::kDeleted;
  w.rv = change.rv;
  w.lists_served = lists_served_;
  w.step = tracer_ != nullptr ? static_cast<int64_t>(tracer_->step_count()) : 0;
}

uint64_t Checker::StepNow() const { return tracer_ != nullptr ? tracer_->step_count() : 0; }

absl::Duration Checker::Elapsed() const {
  return clock_ != nullptr ? clock_->Now() - start_ : absl::ZeroDuration();
}

int64_t Checker::LastWriteStep(absl::string_view key) const {
  const LastWrite* w = FindLastWrite(key);
  return w == nullptr ? -1 : w->step;
}

const Checker::LastWrite* Checker::FindLastWrite(absl::string_view key) const {
  auto it = last_write_.find(key);
  if (it != last_write_.end()) return &it->second;
  const Grave* grave = FindGrave(key);
  return grave == nullptr ? nullptr : &grave->write;
}

const Checker::Grave* Checker::FindGrave(absl::string_view key) const {
  if (!grave_filter_.MayContain(KeyHasher()(key))) return nullptr;
  auto it = graves_.find(key);
  return it == graves_.end() ? nullptr : &it->second;
}

void Checker::BuryDead() {
  if (handlers_.size() > 64) return;  // a grave's masks hold 64 handlers
  const size_t before = graves_.size();
  for (auto it = last_write_.begin(); it != last_write_.end();) {
    if (!it->second.deleted) {
      ++it;
      continue;
    }
    const std::string& key = it->first;
    Grave grave;
    grave.write = it->second;
    bool first = true, uniform = true;
    for (const std::shared_ptr<HandlerRecorder>& h : handlers_) {
      auto r = h->keys_.find(key);
      if (r == h->keys_.end()) continue;
      const HandlerRecorder::KeyState& state = r->second;
      if (state.held || !state.ever_saw || !state.got_delete) {
        uniform = false;
        break;
      }
      if (first) {
        grave.last_rv = state.last_rv;
        grave.before_restart_rv = state.before_restart_rv;
        first = false;
      } else if (state.last_rv != grave.last_rv ||
                 state.before_restart_rv != grave.before_restart_rv) {
        uniform = false;
        break;
      }
      grave.present |= uint64_t{1} << h->index_;
      if (state.initial_add) grave.initial_add |= uint64_t{1} << h->index_;
    }
    if (!uniform) {
      ++it;
      continue;
    }
    for (const std::shared_ptr<HandlerRecorder>& h : handlers_) {
      if (HasBit(grave.present, h->index_)) h->keys_.erase(key);
    }
    grave_filter_.Add(KeyHasher()(key));
    oldest_grave_rv_ = std::min(oldest_grave_rv_, grave.write.rv);
    graves_.emplace(key, grave);
    // Erasing from a flat map moves no other element: `it` goes on.
    last_write_.erase(it++);
  }
  // Unbury leaves its keys' bits set; rebuilding when the graves outgrow
  // the filter drops them, and keeps the filter at kBitsPerKey a grave.
  if (graves_.size() > before && graves_.size() > grave_filter_.capacity()) RebuildGraveFilter();
}

void Checker::RebuildGraveFilter() {
  grave_filter_.Reset(2 * graves_.size());
  for (const auto& [key, grave] : graves_) grave_filter_.Add(KeyHasher()(key));
}

void Checker::Unbury(absl::string_view key) {
  const Grave* buried = FindGrave(key);
  if (buried == nullptr) return;
  const Grave grave = *buried;
  graves_.erase(graves_.find(key));
  for (const std::shared_ptr<HandlerRecorder>& h : handlers_) {
    if (!HasBit(grave.present, h->index_)) continue;
    HandlerRecorder::KeyState& state = h->keys_[key];
    state.last_rv = grave.last_rv;
    state.before_restart_rv = grave.before_restart_rv;
    state.ever_saw = true;
    state.got_delete = true;
    state.initial_add = HasBit(grave.initial_add, h->index_);
    state.held = false;
    state.view.rv = grave.last_rv;  // never read while not held
  }
  last_write_.insert_or_assign(std::string(key), grave.write);
}

void Checker::RetireGraves(int64_t rv) {
  // The quiescent points come every few seconds, the revision they pass
  // moves on at compactions: most calls have nothing to retire.
  if (rv < oldest_grave_rv_) return;
  const size_t before = graves_.size();
  oldest_grave_rv_ = INT64_MAX;
  for (auto it = graves_.begin(); it != graves_.end();) {
    if (it->second.write.rv <= rv) {
      graves_.erase(it++);  // moves no other element
    } else {
      oldest_grave_rv_ = std::min(oldest_grave_rv_, it->second.write.rv);
      ++it;
    }
  }
  // A Bloom filter cannot forget a key: rebuilt over the graves left, so
  // that a retired key's next write does not probe graves_.
  if (graves_.size() < before) RebuildGraveFilter();
}

void Checker::Fail(std::string invariant, std::string key, std::string handler,
                   std::string detail, int64_t diverged_at_step) {
  Violation v;
  v.invariant = std::move(invariant);
  v.key = std::move(key);
  v.handler = std::move(handler);
  v.detail = std::move(detail);
  v.diverged_at_step = diverged_at_step;
  Report(std::move(v));
}

void Checker::Report(Violation violation) {
  if (violation.step == 0) violation.step = StepNow();
  if (violation.at == absl::ZeroDuration()) violation.at = Elapsed();
  if (violations_.size() >= options_.max_violations) {
    ++dropped_violations_;
    return;
  }
  if (tracer_ != nullptr) {
    tracer_->Record(VIOLATION, violation.invariant,
                    absl::StrCat(Or(violation.key, "-"), " ", Or(violation.handler, "-"), ": ",
                                 violation.detail));
  }
  violations_.push_back(std::move(violation));
}

void Checker::TimeTravel(absl::string_view key, const std::string& handler,
                         std::string detail) {
  if (!options_.allow_time_travel) {
    Fail("INV4", std::string(key), handler, absl::StrCat("time travel: ", detail));
    return;
  }
  ++time_travel_findings_;
  KeepTimeTravelExample(key, handler, std::move(detail));
}

void Checker::KeepTimeTravelExample(absl::string_view key, const std::string& handler,
                                    std::string detail) {
  if (time_travel_examples_.size() >= kMaxTimeTravelExamples) return;
  Violation v;
  v.invariant = "INV4";
  v.key = std::string(key);
  v.handler = handler;
  v.step = StepNow();
  v.at = Elapsed();
  v.detail = std::move(detail);
  time_travel_examples_.push_back(std::move(v));
}

void Checker::RestartTimeTravel(absl::string_view key, const std::string& handler,
                                std::string detail) {
  if (options_.restart_time_travel_is_violation) {
    Fail("INV4", std::string(key), handler, absl::StrCat("time travel across a restart: ", detail));
    return;
  }
  ++restart_time_travel_findings_;
  KeepTimeTravelExample(key, handler, std::move(detail));
}

void Checker::InformerRestarted(const Store* indexer) {
  informer_synced_last_ = false;
  resync_seen_at_lists_ = -1;  // a new processor: every listener syncing again
  cache_rvs_.clear();
  for (const std::shared_ptr<HandlerRecorder>& h : handlers_) h->Restart(indexer);
  // Every handler restarts: a grave's records change as Restart changes
  // each record.
  for (auto& [key, grave] : graves_) {
    ForgetAtRestart(&grave.last_rv, &grave.before_restart_rv);
    grave.initial_add = 0;
  }
  if (tracer_ != nullptr) tracer_->Record(PHASE, "checker", "informer restarted");
}

int64_t Checker::restart_time_travel_findings() const { return restart_time_travel_findings_; }

// Inlined into CheckStep, which runs after every scheduler step.
ABSL_ATTRIBUTE_ALWAYS_INLINE inline void Checker::ReadRegistrations() {
  for (const std::shared_ptr<HandlerRecorder>& h : handlers_) {
    const ResourceEventHandlerRegistration* registration = h->registration_.get();
    if (registration == nullptr) continue;
    const bool registration_synced = registration->HasSynced();
    if (registration_synced) h->synced_seen_ = true;
    if (h->registration_synced_last_ && !registration_synced) {
      FailSyncState(h->name(), "registration HasSynced went from true to false");
    }
    h->registration_synced_last_ = registration_synced;
  }
}

void Checker::CheckStep(const SharedIndexInformer& informer) {
  // Registrations first: the informer's sync only ever turns on, so reading
  // it second cannot make a correct registration look early.
  ReadRegistrations();
  const bool informer_has_synced = informer.HasSynced();
  // CheckSynced would report nothing and change nothing: the informer stays
  // synced and no registration was reported early (see any_early_reported_).
  if (informer_has_synced && informer_synced_last_ && !any_early_reported_) return;
  CheckSynced(informer_has_synced);
}

void Checker::CheckSyncState(bool informer_has_synced) {
  ReadRegistrations();
  CheckSynced(informer_has_synced);
}

void Checker::CheckSynced(bool informer_has_synced) {
  if (informer_synced_last_ && !informer_has_synced) {
    FailSyncState("", "informer HasSynced went from true to false");
  }
  informer_synced_last_ = informer_has_synced;
  // With the informer synced no registration is early, and when none was
  // reported early before either, the loop would change nothing: every
  // early_sync_reported_ is false (only this loop sets one, and it records
  // whether it did in any_early_reported_).
  if (informer_has_synced && !any_early_reported_) return;
  bool any_early = false;
  for (const std::shared_ptr<HandlerRecorder>& h : handlers_) {
    if (h->registration_ != nullptr) {
      const bool early = h->registration_synced_last_ && !informer_has_synced;
      if (early && !h->early_sync_reported_) {
        FailSyncState(h->name(), "registration HasSynced while the informer has not synced");
      }
      h->early_sync_reported_ = early;
    }
    any_early = any_early || h->early_sync_reported_;
  }
  any_early_reported_ = any_early;
}

void Checker::FailSyncState(const std::string& handler, const char* detail) {
  Fail("INV9", "", handler, detail);
}

Checker::CacheItems Checker::CacheByKey(const Cache& indexer) {
  // Looked up in ListKeys order (so are the reports), then sorted, so every
  // later report is in key order; a key listed twice is kept once (its
  // first lookup).
  std::vector<std::string> keys = indexer.ListKeys();
  std::vector<Item> items(keys.size());
  std::vector<uint32_t> found;  // positions in `keys`, sorted below
  found.reserve(keys.size());
  for (size_t i = 0; i < keys.size(); ++i) {
    std::optional<Item> item = Lookup(indexer, keys[i]);
    if (!item.has_value()) {
      Fail("INV1", keys[i], "", "ListKeys names the key but GetByKey does not find it",
           LastWriteStep(keys[i]));
      continue;
    }
    items[i] = *std::move(item);
    found.push_back(static_cast<uint32_t>(i));
  }
  // Positions sorted, not the pairs: moving an Item costs more than an int.
  std::stable_sort(found.begin(), found.end(),
                   [&keys](uint32_t a, uint32_t b) { return keys[a] < keys[b]; });
  CacheItems cache;
  cache.reserve(found.size());
  for (uint32_t i : found) {
    if (!cache.empty() && cache.back().first == keys[i]) continue;
    cache.emplace_back(std::move(keys[i]), std::move(items[i]));
  }
  return cache;
}

void Checker::CheckIndexesNow(const Cache& indexer) { CheckIndexes(indexer, CacheByKey(indexer)); }

void Checker::CheckQuiescent(const std::vector<ObjectPtr>& truth, const Cache& indexer) {
  const CacheItems cache = CacheByKey(indexer);
  // The truth's keys, once for every part.
  ServerItems server;
  server.reserve(truth.size());
  for (const ObjectPtr& obj : truth) {
    absl::StatusOr<std::string> key = DeletionHandlingMetaNamespaceKeyFunc(Item(obj));
    assert(key.ok() && "the server holds only keyable objects");
    if (key.ok()) server.emplace_back(*std::move(key), obj.get());
  }
  auto by_key = [](const ServerItems::value_type& a, const ServerItems::value_type& b) {
    return a.first < b.first;
  };
  // The server's objects come sorted; stable, so a repeated key keeps its
  // first object.
  if (!std::is_sorted(server.begin(), server.end(), by_key)) {
    std::stable_sort(server.begin(), server.end(), by_key);
  }
  server.erase(std::unique(server.begin(), server.end(),
                           [](const ServerItems::value_type& a, const ServerItems::value_type& b) {
                             return a.first == b.first;
                           }),
               server.end());
  CheckConvergence(server, cache);
  CheckIndexes(indexer, cache);
  CheckHandlerViews(server, cache);
  CheckCacheNeverWentBack(cache);
}

void Checker::CheckCacheNeverWentBack(const CacheItems& cache) {
  // The fake's RVs come from one counter, so a later incarnation of a key
  // has a larger RV too: per key, the cache's RV only grows between
  // quiescent points (within one informer; a restart starts afresh).
  std::vector<std::pair<std::string, int64_t>> now;
  now.reserve(cache.size());
  auto before = cache_rvs_.begin();  // both sorted by key: one merge walk
  for (const auto& [key, item] : cache) {
    const int64_t rv = RvOf(item);
    if (rv < 0) continue;  // reported by CheckConvergence
    now.emplace_back(key, rv);
    while (before != cache_rvs_.end() && before->first < key) ++before;
    if (before == cache_rvs_.end() || before->first != key || rv >= before->second) continue;
    const std::string detail = absl::StrCat("the cache holds rv=", rv, " but held rv=",
                                            before->second, " at an earlier quiescent point");
    if (options_.allow_time_travel) {
      ++time_travel_findings_;
      KeepTimeTravelExample(key, "", detail);
    } else {
      Fail("INV2", key, "", absl::StrCat("cache time travel: ", detail));
    }
  }
  cache_rvs_ = std::move(now);
}

void Checker::CheckConvergence(const ServerItems& server, const CacheItems& cache) {
  auto s = server.begin();
  auto c = cache.begin();
  while (s != server.end() || c != cache.end()) {
    if (c == cache.end() || (s != server.end() && s->first < c->first)) {
      Fail("INV1", s->first, "",
           absl::StrCat("missing: the server has rv=", s->second->metadata().resource_version(),
                        ", the indexer lacks the key"),
           LastWriteStep(s->first));
      ++s;
      continue;
    }
    const std::string& key = c->first;
    const Item& item = c->second;
    if (s == server.end() || c->first < s->first) {
      Fail("INV1", key, "",
           absl::StrCat("ghost: the indexer holds rv=", item.resource_version(),
                        ", the server lacks the key"),
           LastWriteStep(key));
      ++c;
      continue;
    }
    const api::Object& want = *s->second;
    ++s;
    ++c;
    if (!item.is_object()) {
      Fail("INV1", key, "", absl::StrCat("the indexer holds a non-object ", item.DebugString()),
           LastWriteStep(key));
      continue;
    }
    absl::StatusOr<std::string> own_key = DeletionHandlingMetaNamespaceKeyFunc(item);
    if (!own_key.ok() || *own_key != key) {
      Fail("INV1", key, "",
           absl::StrCat("stored under this key, but its key is ",
                        own_key.ok() ? *own_key : std::string(own_key.status().message())),
           LastWriteStep(key));
      continue;
    }
    int64_t rv = 0;
    if (!ParseResourceVersion(item.resource_version(), &rv)) {
      Fail("INV1", key, "",
           absl::StrCat("bad resourceVersion \"", item.resource_version(), "\" in the indexer"),
           LastWriteStep(key));
      continue;
    }
    if (item.resource_version() != want.metadata().resource_version()) {
      Fail("INV1", key, "",
           absl::StrCat("rv mismatch: the indexer holds rv=", rv, ", the server rv=",
                        want.metadata().resource_version()),
           LastWriteStep(key));
      continue;
    }
    if (!SameObject(*item.object(), want)) {
      Fail("INV1", key, "",
           absl::StrCat("object mismatch at rv=", rv, " (indexer vs server): ",
                        ObjectDiff(*item.object(), want)),
           LastWriteStep(key));
    }
  }
}

namespace {

// Keys held by pointer (to the checker's copies, or to strings a check
// made), ordered and compared by content.
using KeyRefs = std::vector<const std::string*>;

bool RefLess(const std::string* a, const std::string* b) { return *a < *b; }
bool RefEqual(const std::string* a, const std::string* b) { return a == b || *a == *b; }

// The keys of `cache` (sorted, unique) by address: within it, address order
// is key order and the same address is the same key, so refs into it sort
// by pointer (no string compares); anything else sorts by content.
class CacheKeyOrder {
 public:
  template <typename Items>
  explicit CacheKeyOrder(const Items& cache)
      : first_(cache.empty() ? nullptr : &cache.front().first),
        last_(cache.empty() ? nullptr : &cache.back().first) {}

  void SortUnique(KeyRefs* keys) const {
    if (std::all_of(keys->begin(), keys->end(), [this](const std::string* k) { return In(k); })) {
      std::sort(keys->begin(), keys->end(), std::less<const std::string*>());
      keys->erase(std::unique(keys->begin(), keys->end()), keys->end());
      return;
    }
    std::sort(keys->begin(), keys->end(), RefLess);
    keys->erase(std::unique(keys->begin(), keys->end(), RefEqual), keys->end());
  }
  void Sort(KeyRefs* keys) const {
    if (std::all_of(keys->begin(), keys->end(), [this](const std::string* k) { return In(k); })) {
      std::sort(keys->begin(), keys->end(), std::less<const std::string*>());
    } else {
      std::sort(keys->begin(), keys->end(), RefLess);
    }
  }

 private:
  // Whether `k` is the key of one of the cache's pairs (pointers compared
  // with std::less, which orders any pointers).
  bool In(const std::string* k) const {
    std::less_equal<const std::string*> le;
    return first_ != nullptr && le(first_, k) && le(k, last_);
  }
  const std::string* first_;
  const std::string* last_;
};

// Sorted key lists compared by content, whatever holds the strings.
bool SameKeys(const std::vector<std::string>& a, const KeyRefs& b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (a[i] != *b[i]) return false;
  }
  return true;
}

bool SameKeys(const KeyRefs& a, const KeyRefs& b) {
  return std::equal(a.begin(), a.end(), b.begin(), b.end(), RefEqual);
}

std::vector<std::string> Strings(const KeyRefs& keys) {
  std::vector<std::string> out;
  out.reserve(keys.size());
  for (const std::string* k : keys) out.push_back(*k);
  return out;
}

std::string JoinRefs(const KeyRefs& keys) {
  std::string out;
  for (const std::string* k : keys) absl::StrAppend(&out, out.empty() ? "" : " ", *k);
  return out;
}

}  // namespace

void Checker::CheckIndexes(const Cache& indexer, const CacheItems& cache) {
  const Indexers indexers = indexer.GetIndexers();
  // Which stored object each payload pointer is, so the items ByIndex and
  // Index return are matched to stored ones without recomputing keys (the
  // cache is walked at every quiescent point; keys cost allocations).
  absl::flat_hash_map<const api::Object*, const std::string*> stored_key;
  stored_key.reserve(cache.size());
  for (const auto& [key, item] : cache) {
    if (item.is_object()) stored_key.emplace(item.object().get(), &key);
  }
  // Keys of items that are not stored ones (only when something is wrong);
  // a deque, so pointers to them stay valid.
  std::deque<std::string> made_keys;
  // The key of an item ByIndex or Index returned: the stored key if it is a
  // stored object (*stored true), else its own key, or "" when it has none.
  auto key_of = [&](const Item& item, bool* stored) -> const std::string* {
    if (item.is_object()) {
      auto it = stored_key.find(item.object().get());
      if (it != stored_key.end()) {
        *stored = true;
        return it->second;
      }
    }
    *stored = false;
    absl::StatusOr<std::string> k = DeletionHandlingMetaNamespaceKeyFunc(item);
    made_keys.push_back(k.ok() ? *std::move(k) : std::string());
    return &made_keys.back();
  };
  const CacheKeyOrder order(cache);
  // Scratch reused across the indexes: the index function fills `values`
  // (kept allocated); `flat` holds each item's sorted distinct values,
  // item k's in flat[ranges[k].first, ranges[k].second).
  std::vector<std::string> values;
  std::vector<std::string> flat;
  std::vector<std::pair<uint32_t, uint32_t>> ranges;
  std::vector<size_t> positions;  // ranges[k] is cache[positions[k]]'s
  // The index recomputed from the items: (value, key) pairs sorted by value,
  // keys in key order within a value (`cache` is walked in key order and
  // the sort is stable), and one group per distinct value.
  std::vector<std::pair<absl::string_view, const std::string*>> pairs;
  struct Group {
    absl::string_view value;
    uint32_t begin, end;  // in pairs
  };
  std::vector<Group> groups;
  KeyRefs want, item_keys, want_keys, got_keys;
  positions.reserve(cache.size());
  ranges.reserve(cache.size());
  for (const auto& [name, index_func] : indexers) {
    flat.clear();
    ranges.clear();
    positions.clear();
    for (size_t i = 0; i < cache.size(); ++i) {
      const auto& [key, item] = cache[i];
      values.clear();
      absl::Status status = index_func(item, &values);
      if (!status.ok()) {
        Fail("INV8", key, "",
             absl::StrCat("index \"", name, "\": the index function fails on the stored item: ",
                          status.message()));
        continue;
      }
      std::sort(values.begin(), values.end());
      values.erase(std::unique(values.begin(), values.end()), values.end());
      const uint32_t begin = static_cast<uint32_t>(flat.size());
      for (std::string& v : values) flat.push_back(std::move(v));
      ranges.emplace_back(begin, static_cast<uint32_t>(flat.size()));
      positions.push_back(i);
    }
    // Views into `flat` only now that it has stopped growing.
    pairs.clear();
    for (size_t k = 0; k < ranges.size(); ++k) {
      const std::string* key = &cache[positions[k]].first;
      for (uint32_t f = ranges[k].first; f < ranges[k].second; ++f) pairs.emplace_back(flat[f], key);
    }
    std::stable_sort(pairs.begin(), pairs.end(),
                     [](const auto& a, const auto& b) { return a.first < b.first; });
    groups.clear();
    for (uint32_t p = 0; p < pairs.size(); ++p) {
      if (groups.empty() || groups.back().value != pairs[p].first) {
        groups.push_back(Group{pairs[p].first, p, p});
      }
      groups.back().end = p + 1;
    }
    auto group_of = [&groups](absl::string_view v) -> const Group* {
      auto g = std::lower_bound(groups.begin(), groups.end(), v,
                                [](const Group& x, absl::string_view y) { return x.value < y; });
      return g != groups.end() && g->value == v ? &*g : nullptr;
    };
    auto keys_of = [&pairs](const Group& g, KeyRefs* out) {
      for (uint32_t p = g.begin; p < g.end; ++p) out->push_back(pairs[p].second);
    };

    std::vector<std::string> listed = indexer.ListIndexFuncValues(name);
    std::sort(listed.begin(), listed.end());
    // Every value listed or yielded, in order, each once (both lists are
    // sorted: one merge).
    std::vector<absl::string_view> all(listed.begin(), listed.end());
    for (const Group& g : groups) all.push_back(g.value);
    std::inplace_merge(all.begin(), all.begin() + static_cast<ptrdiff_t>(listed.size()), all.end());
    all.erase(std::unique(all.begin(), all.end()), all.end());

    for (absl::string_view v : all) {
      const bool is_listed = std::binary_search(listed.begin(), listed.end(), v);
      want.clear();
      if (const Group* g = group_of(v)) keys_of(*g, &want);
      // The reports' prefix, built only for a report.
      auto where = [&name = name, &v] {
        return absl::StrCat("index \"", name, "\" value \"", v, "\": ");
      };

      absl::StatusOr<std::vector<std::string>> got = indexer.IndexKeys(name, v);
      if (!got.ok()) {
        Fail("INV8", "", "", absl::StrCat(where(), "IndexKeys fails: ", got.status().message()));
        break;
      }
      std::vector<std::string> keys = *std::move(got);
      // IndexKeys sorts (I5); the check must not rely on it.
      if (!std::is_sorted(keys.begin(), keys.end())) std::sort(keys.begin(), keys.end());
      if (!is_listed && !want.empty()) {
        Fail("INV8", *want.front(), "",
             absl::StrCat(where(), "missing from ListIndexFuncValues (", want.size(),
                          " items yield it)"));
      }
      if (is_listed && keys.empty()) {
        Fail("INV8", "", "", absl::StrCat(where(), "an empty bucket is retained"));
      }
      if (!SameKeys(keys, want)) {
        // Name the first key on which they differ.
        const std::vector<std::string> wanted = Strings(want);
        std::vector<std::string> extra, lacking;
        std::set_difference(keys.begin(), keys.end(), wanted.begin(), wanted.end(),
                            std::back_inserter(extra));
        std::set_difference(wanted.begin(), wanted.end(), keys.begin(), keys.end(),
                            std::back_inserter(lacking));
        if (!extra.empty()) {
          Fail("INV8", extra.front(), "",
               absl::StrCat(where(), "IndexKeys has ", extra.size(),
                            " key(s) whose item does not yield the value (",
                            absl::StrJoin(extra, " "), ")"));
        }
        if (!lacking.empty()) {
          Fail("INV8", lacking.front(), "",
               absl::StrCat(where(), "IndexKeys lacks ", lacking.size(),
                            " key(s) whose item yields the value (", absl::StrJoin(lacking, " "),
                            ")"));
        }
      }

      // I4: ByIndex gives exactly the stored items of IndexKeys.
      absl::StatusOr<std::vector<Item>> by_index = indexer.ByIndex(name, v);
      if (!by_index.ok()) {
        Fail("INV8", "", "", absl::StrCat(where(), "ByIndex fails: ", by_index.status().message()));
        continue;
      }
      item_keys.clear();
      item_keys.reserve(by_index->size());
      for (const Item& item : *by_index) {
        bool stored = false;
        const std::string* k = key_of(item, &stored);
        if (!stored) {
          Fail("INV8", *k, "",
               absl::StrCat(where(), "ByIndex returns ", item.DebugString(),
                            ", which is not the stored item"));
          continue;
        }
        item_keys.push_back(k);
      }
      order.Sort(&item_keys);
      if (item_keys.size() == by_index->size() && !SameKeys(keys, item_keys)) {
        Fail("INV8", "", "",
             absl::StrCat(where(), "ByIndex gives [", JoinRefs(item_keys), "], IndexKeys [",
                          absl::StrJoin(keys, " "), "]"));
      }
    }

    // I3: Index(obj) is the union of the buckets of obj's values; checked
    // once per distinct value set (ranges of `flat`, by content).
    struct RangeHash {
      const std::vector<std::string>* flat;
      size_t operator()(std::pair<uint32_t, uint32_t> r) const {
        size_t h = r.second - r.first;
        for (uint32_t f = r.first; f < r.second; ++f) {
          h = (h ^ KeyHasher()((*flat)[f])) * 0x9e3779b97f4a7c15ULL;
        }
        return h;
      }
    };
    struct RangeEq {
      const std::vector<std::string>* flat;
      bool operator()(std::pair<uint32_t, uint32_t> a, std::pair<uint32_t, uint32_t> b) const {
        return std::equal(flat->begin() + a.first, flat->begin() + a.second,
                          flat->begin() + b.first, flat->begin() + b.second);
      }
    };
    absl::flat_hash_set<std::pair<uint32_t, uint32_t>, RangeHash, RangeEq> checked(
        ranges.size(), RangeHash{&flat}, RangeEq{&flat});
    for (size_t k = 0; k < ranges.size(); ++k) {
      if (!checked.insert(ranges[k]).second) continue;
      const auto& [key, item] = cache[positions[k]];
      want_keys.clear();
      for (uint32_t f = ranges[k].first; f < ranges[k].second; ++f) {
        if (const Group* g = group_of(flat[f])) keys_of(*g, &want_keys);
      }
      order.SortUnique(&want_keys);
      absl::StatusOr<std::vector<Item>> got = indexer.Index(name, item);
      if (!got.ok()) {
        Fail("INV8", key, "",
             absl::StrCat("index \"", name, "\": Index fails: ", got.status().message()));
        continue;
      }
      got_keys.clear();
      got_keys.reserve(got->size());
      for (const Item& got_item : *got) {
        bool stored = false;
        const std::string* k = key_of(got_item, &stored);
        if (k->empty()) {
          made_keys.push_back(got_item.DebugString());
          k = &made_keys.back();
        }
        got_keys.push_back(k);
      }
      order.SortUnique(&got_keys);
      if (!SameKeys(got_keys, want_keys) || got_keys.size() != got->size()) {
        Fail("INV8", key, "",
             absl::StrCat("index \"", name, "\": Index of the item gives [", JoinRefs(got_keys),
                          "] (", got->size(), " items), want [", JoinRefs(want_keys), "]"));
      }
    }
  }
}

void Checker::CheckHandlerViews(const ServerItems& server, const CacheItems& cache) {
  // `server` is sorted by key: a binary search instead of a set of copies,
  // and for the cache's keys one merge walk shared by every handler.
  auto on_server = [&server](const std::string& key) {
    auto it = std::lower_bound(
        server.begin(), server.end(), key,
        [](const ServerItems::value_type& s, const std::string& k) { return s.first < k; });
    return it != server.end() && it->first == key;
  };
  std::vector<bool> cached_on_server(cache.size());
  {
    auto s = server.begin();
    for (size_t i = 0; i < cache.size(); ++i) {
      while (s != server.end() && s->first < cache[i].first) ++s;
      cached_on_server[i] = s != server.end() && s->first == cache[i].first;
    }
  }
  std::vector<const ViewEntry*> held(cache.size());
  for (const std::shared_ptr<HandlerRecorder>& h : handlers_) {
    // The common case: every key the handler holds is cached. Then the
    // merge below reduces to the cache's walk with a lookup per key (no
    // sort of the view); its reports come in the same order.
    size_t matched = 0;
    for (size_t i = 0; i < cache.size(); ++i) {
      held[i] = h->Held(cache[i].first);
      if (held[i] != nullptr) ++matched;
    }
    if (matched == h->HeldCount()) {
      for (size_t i = 0; i < cache.size(); ++i) {
        const std::string& key = cache[i].first;
        const Item& item = cache[i].second;
        if (held[i] == nullptr) {
          Fail("INV6", key, h->name(),
               absl::StrCat("the indexer holds rv=", item.resource_version(),
                            ", the handler was never told of it (or told of its delete)"),
               LastWriteStep(key));
          continue;
        }
        const int64_t cache_rv = RvOf(item);
        if (!cached_on_server[i]) {
          Fail("INV5", key, h->name(),
               absl::StrCat("lost delete: the handler still holds rv=", held[i]->rv,
                            ", the server lacks the key"),
               LastWriteStep(key));
        } else if (cache_rv != held[i]->rv) {
          Fail("INV6", key, h->name(),
               absl::StrCat("the handler holds rv=", held[i]->rv, ", the indexer rv=",
                            item.resource_version()),
               LastWriteStep(key));
        }
      }
      continue;
    }
    const std::vector<std::pair<const std::string*, const ViewEntry*>> view = h->SortedView();
    auto v = view.begin();
    auto c = cache.begin();
    while (v != view.end() || c != cache.end()) {
      if (c == cache.end() || (v != view.end() && *v->first < c->first)) {
        // The handler holds a key the indexer lacks.
        const std::string& key = *v->first;
        if (!on_server(key)) {
          Fail("INV5", key, h->name(),
               absl::StrCat("lost delete: the handler still holds rv=", v->second->rv,
                            ", the server and the indexer lack the key",
                            h->GotDelete(key) ? " (an earlier incarnation was deleted)" : ""),
               LastWriteStep(key));
        } else {
          Fail("INV6", key, h->name(),
               absl::StrCat("the handler holds rv=", v->second->rv, ", the indexer lacks the key"),
               LastWriteStep(key));
        }
        ++v;
        continue;
      }
      const std::string& key = c->first;
      if (v == view.end() || c->first < *v->first) {
        Fail("INV6", key, h->name(),
             absl::StrCat("the indexer holds rv=", c->second.resource_version(),
                          ", the handler was never told of it (or told of its delete)"),
             LastWriteStep(key));
        ++c;
        continue;
      }
      const int64_t cache_rv = RvOf(c->second);
      if (!cached_on_server[static_cast<size_t>(c - cache.begin())]) {
        // A ghost in both; INV1 has reported the indexer's side.
        Fail("INV5", key, h->name(),
             absl::StrCat("lost delete: the handler still holds rv=", v->second->rv,
                          ", the server lacks the key"),
             LastWriteStep(key));
      } else if (cache_rv != v->second->rv) {
        Fail("INV6", key, h->name(),
             absl::StrCat("the handler holds rv=", v->second->rv, ", the indexer rv=",
                          c->second.resource_version()),
             LastWriteStep(key));
      }
      ++v;
      ++c;
    }
  }
}

const std::vector<Violation>& Checker::violations() const { return violations_; }
bool Checker::ok() const { return violations_.empty() && dropped_violations_ == 0; }
int64_t Checker::dropped_violations() const { return dropped_violations_; }
int64_t Checker::time_travel_findings() const { return time_travel_findings_; }
const std::vector<std::shared_ptr<HandlerRecorder>>& Checker::handlers() const {
  return handlers_;
}

std::string Checker::Describe(uint64_t seed, absl::string_view replay_command) const {
  const int64_t total = static_cast<int64_t>(violations_.size()) + dropped_violations_;
  std::string out = absl::StrCat("seed ", seed, ": ", total, total == 1 ? " violation" : " violations",
                                 "\n");
  auto describe = [&out](const Violation& v, size_t n) {
    absl::StrAppend(&out, "  #", n, " ", v.invariant, " key=", Or(v.key, "-"),
                    " handler=", Or(v.handler, "-"), " step=", v.step,
                    " t=", absl::FormatDuration(v.at), " diverged_at_step=");
    if (v.diverged_at_step >= 0) {
      absl::StrAppend(&out, v.diverged_at_step);
    } else {
      out += "-";
    }
    absl::StrAppend(&out, "\n      ", v.detail, "\n");
  };
  for (size_t i = 0; i < violations_.size(); ++i) describe(violations_[i], i + 1);
  if (dropped_violations_ > 0) {
    absl::StrAppend(&out, "  (", dropped_violations_, " more not recorded: max_violations=",
                    options_.max_violations, ")\n");
  }
  if (time_travel_findings_ > 0 || restart_time_travel_findings_ > 0) {
    absl::StrAppend(&out, "time travel (allowed by the scenario): ", time_travel_findings_,
                    " finding(s); across informer restarts (stale first list): ",
                    restart_time_travel_findings_, "\n");
    for (size_t i = 0; i < time_travel_examples_.size(); ++i) {
      describe(time_travel_examples_[i], i + 1);
    }
  }
  absl::StrAppend(&out, "replay: ", replay_command, "\n");
  return out;
}

}  // namespace sim
}  // namespace informersim
