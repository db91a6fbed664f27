// Fuzz target: the API objects, pages, watch events and error statuses the
// core accepts from a ListerWatcher. A real API server (or a proxy, or a
// buggy aggregated server) can send any metadata (empty or slashed names,
// no metadata at all, any resourceVersion string, huge label maps), any
// Status (unknown reasons, odd codes, causes and retry advice) and any event
// order; the informer must neither crash nor corrupt its cache.
//
// The bytes drive one SharedIndexInformer (profile, watch-list support, page
// size and resync from the first bytes) on a ManualRuntime: each operation
// runs scheduler steps, moves virtual time, or makes the fake server answer
// the pending list, open or fail the pending watch, send an event on the
// open watch or close it. When the bytes end the informer is stopped and
// drained, and the cache must agree with itself: every object under the key
// the key function gives it, every index entry backed by the objects.
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "core/api_errors.h"
#include "core/index.h"
#include "core/item.h"
#include "core/keys.h"
#include "core/lister_watcher.h"
#include "core/manual_runtime.h"
#include "core/random.h"
#include "core/reflector_feeder.h"
#include "core/resource_event_handler.h"
#include "core/shared_informer.h"

namespace informersim {
namespace {

// Reads the fuzzer's bytes; past the end every read is zero.
class Bytes {
 public:
  Bytes(const uint8_t* data, size_t size) : p_(data), n_(size) {}
  bool empty() const { return n_ == 0; }
  uint8_t U8() {
    if (n_ == 0) return 0;
    --n_;
    return *p_++;
  }
  uint32_t U16() { return static_cast<uint32_t>(U8()) | static_cast<uint32_t>(U8()) << 8; }
  uint32_t U32() { return U16() | U16() << 16; }
  // A string of at most `max` bytes, raw.
  std::string Raw(size_t max) {
    const size_t len = std::min<size_t>(U8() % (max + 1), n_);
    std::string s(reinterpret_cast<const char*>(p_), len);
    p_ += len;
    n_ -= len;
    return s;
  }
  // Mostly the values a server sends, sometimes anything.
  std::string Pick(std::initializer_list<const char*> usual, size_t max_raw) {
    const uint8_t c = U8();
    if (c < usual.size()) return *(usual.begin() + c);
    if (c < 200) return absl::StrCat(U16());
    return Raw(max_raw);
  }

 private:
  const uint8_t* p_;
  size_t n_;
};

std::string ResourceVersion(Bytes& in) {
  return in.Pick({"", "0", "1", "2", "5", "18446744073709551615", "18446744073709551616",
                  "-1", "abc", "007", " 5"},
                 24);
}

ObjectPtr FuzzObject(Bytes& in, bool bookmark) {
  api::Object obj;
  const uint8_t shape = in.U8();
  if (shape % 16 == 15) return MakeObject(std::move(obj));  // no metadata
  obj.set_kind(bookmark ? "Pod" : in.Pick({"Pod", "", "ConfigMap"}, 8));
  api::ObjectMeta* meta = obj.mutable_metadata();
  meta->set_resource_version(ResourceVersion(in));
  if (bookmark) {
    if (shape & 1) {
      (*meta->mutable_annotations())[std::string(kInitialEventsEndAnnotation)] =
          in.Pick({"true", "false", ""}, 6);
    }
    return MakeObject(std::move(obj));
  }
  meta->set_namespace_(in.Pick({"", "default", "kube-system", "a/b", "/"}, 12));
  meta->set_name(in.Pick({"a", "b", "c", "", "x/y", "a:b"}, 12));
  meta->set_uid(in.Pick({"u1", "u2", ""}, 8));
  const uint8_t labels = in.U8() % 8;
  for (uint8_t i = 0; i < labels; ++i) {
    (*meta->mutable_labels())[in.Pick({"app", "tier", ""}, 8)] = in.Pick({"web", "db", ""}, 16);
  }
  // Now and then a huge label map, as a misbehaving controller might write.
  if (shape % 32 == 7) {
    for (int i = 0; i < 2000; ++i) (*meta->mutable_labels())[absl::StrCat("k", i)] = "v";
  }
  if (shape & 2) meta->set_deletion_timestamp_ms(in.U16());
  obj.set_spec(in.Raw(16));
  return MakeObject(std::move(obj));
}

absl::Status FuzzError(Bytes& in) {
  const uint8_t c = in.U8();
  if (c % 8 == 0) return ConnectionRefusedError("fuzz");
  api::Status s;
  static constexpr int kCodes[] = {410, 429, 500, 504, 400, 404, 422, 403, 0, 200, 503, -1};
  s.set_code(kCodes[in.U8() % (sizeof(kCodes) / sizeof(kCodes[0]))]);
  s.set_reason(in.Pick({"Expired", "Gone", "TooManyRequests", "Timeout", "InternalError",
                        "", "Invalid", "BadRequest", "NotFound", "ServerTimeout"},
                       12));
  s.set_message(in.Pick({"too old resource version", "", "Too large resource version"}, 32));
  const uint8_t causes = in.U8() % 3;
  for (uint8_t i = 0; i < causes; ++i) {
    api::StatusCause* cause = s.add_causes();
    cause->set_type(in.Pick({"ResourceVersionTooLarge", ""}, 8));
    cause->set_message(in.Pick({"Too large resource version", ""}, 8));
  }
  s.set_retry_after_seconds(static_cast<int32_t>(in.U8() % 8) - 1);
  return ApiError(s);
}

// The server side: requests wait until the bytes answer them.
class FuzzListerWatcher final : public ListerWatcher {
 public:
  explicit FuzzListerWatcher(bool watch_list_unsupported)
      : watch_list_unsupported_(watch_list_unsupported) {}

  void List(const ListOptions&, ListCallback done) override {
    pending_lists_.push_back(std::move(done));
  }
  void Watch(const ListOptions&, std::shared_ptr<WatchConsumer> consumer,
             WatchCallback started) override {
    pending_watches_.push_back({std::move(consumer), std::move(started)});
  }
  bool IsWatchListSemanticsUnsupported() const override { return watch_list_unsupported_; }

  void AnswerList(Bytes& in) {
    if (pending_lists_.empty()) return;
    ListCallback done = std::move(pending_lists_.front());
    pending_lists_.erase(pending_lists_.begin());
    if (in.U8() % 4 == 0) {
      done(FuzzError(in));
      return;
    }
    ListPage page;
    page.resource_version = ResourceVersion(in);
    if (in.U8() % 4 == 0) page.continue_token = in.Pick({"c1", "c2"}, 8);
    if (in.U8() % 4 == 0) page.remaining_item_count = static_cast<int64_t>(in.U16()) - 2;
    const uint8_t items = in.U8() % 8;
    for (uint8_t i = 0; i < items; ++i) page.items.push_back(FuzzObject(in, false));
    done(std::move(page));
  }

  void AnswerWatch(Bytes& in) {
    if (pending_watches_.empty()) return;
    PendingWatch w = std::move(pending_watches_.front());
    pending_watches_.erase(pending_watches_.begin());
    if (in.U8() % 4 == 0) {
      w.started(FuzzError(in));
      return;
    }
    auto stream = std::make_shared<Stream>();
    open_.push_back({std::move(w.consumer), stream});
    w.started(std::unique_ptr<WatchStream>(new Handle(stream)));
  }

  void SendEvent(Bytes& in) {
    if (open_.empty()) return;
    Open& o = open_[in.U8() % open_.size()];
    if (o.stream->stopped) return;
    WatchEvent e;
    const uint8_t t = in.U8() % 6;
    e.type = t == 0   ? WatchEventType::kAdded
             : t == 1 ? WatchEventType::kModified
             : t == 2 ? WatchEventType::kDeleted
             : t == 3 ? WatchEventType::kBookmark
             : t == 4 ? WatchEventType::kError
                      : static_cast<WatchEventType>(in.U8() % 5);
    if (e.type == WatchEventType::kError) {
      e.error = FuzzError(in);
    } else {
      e.object = FuzzObject(in, e.type == WatchEventType::kBookmark);
    }
    o.consumer->OnEvent(std::move(e));
  }

  void CloseWatch(Bytes& in) {
    if (open_.empty()) return;
    const size_t i = in.U8() % open_.size();
    if (!open_[i].stream->stopped) open_[i].consumer->OnClosed();
    open_.erase(open_.begin() + static_cast<std::ptrdiff_t>(i));
  }

  // Once the bytes end: every request fails, so the informer can stop.
  void RefuseAll() {
    while (!pending_lists_.empty()) {
      ListCallback done = std::move(pending_lists_.front());
      pending_lists_.erase(pending_lists_.begin());
      done(ConnectionRefusedError("fuzz: end of input"));
    }
    while (!pending_watches_.empty()) {
      PendingWatch w = std::move(pending_watches_.front());
      pending_watches_.erase(pending_watches_.begin());
      w.started(ConnectionRefusedError("fuzz: end of input"));
    }
    for (Open& o : open_) {
      if (!o.stream->stopped) o.consumer->OnClosed();
    }
    open_.clear();
  }

 private:
  struct Stream {
    bool stopped = false;
  };
  class Handle final : public WatchStream {
   public:
    explicit Handle(std::shared_ptr<Stream> s) : s_(std::move(s)) {}
    void Stop() override { s_->stopped = true; }

   private:
    std::shared_ptr<Stream> s_;
  };
  struct PendingWatch {
    std::shared_ptr<WatchConsumer> consumer;
    WatchCallback started;
  };
  struct Open {
    std::shared_ptr<WatchConsumer> consumer;
    std::shared_ptr<Stream> stream;
  };
  const bool watch_list_unsupported_;
  std::vector<ListCallback> pending_lists_;
  std::vector<PendingWatch> pending_watches_;
  std::vector<Open> open_;
};

class FixedRandom final : public RandomSource {
 public:
  explicit FixedRandom(uint64_t seed) : state_(seed) {}
  uint64_t NextUint64() override {
    state_ = state_ * 6364136223846793005ULL + 1442695040888963407ULL;
    return state_;
  }

 private:
  uint64_t state_;
};

// Checks each notification against the handler's own view of the keys.
class CheckingHandler final : public ResourceEventHandler {
 public:
  void OnAdd(const Item& obj, bool) override { Key(obj); }
  void OnUpdate(const Item& old_obj, const Item& new_obj) override {
    // An update is always about one key.
    absl::StatusOr<std::string> a = DeletionHandlingMetaNamespaceKeyFunc(old_obj);
    absl::StatusOr<std::string> b = DeletionHandlingMetaNamespaceKeyFunc(new_obj);
    if (a.ok() != b.ok() || (a.ok() && *a != *b)) std::abort();
  }
  void OnDelete(const Item& obj) override { Key(obj); }

 private:
  static void Key(const Item& obj) {
    // Whatever reached a handler was stored under a key.
    if (!DeletionHandlingMetaNamespaceKeyFunc(obj).ok()) std::abort();
  }
};

absl::Status AppLabelIndex(const Item& item, std::vector<std::string>* out) {
  if (item.meta() == nullptr) return absl::InvalidArgumentError("no meta");
  auto it = item.meta()->labels().find("app");
  if (it != item.meta()->labels().end()) out->push_back(it->second);
  return absl::OkStatus();
}

void CheckCache(Cache& cache) {
  std::set<std::string> keys;
  for (const std::string& key : cache.ListKeys()) {
    keys.insert(key);
    absl::StatusOr<std::optional<Item>> got = cache.GetByKey(key);
    if (!got.ok() || !got->has_value()) std::abort();
    absl::StatusOr<std::string> k = MetaNamespaceKeyFunc(**got);
    if (!k.ok() || *k != key) std::abort();
  }
  if (keys.size() != cache.List().size()) std::abort();
  for (const char* index : {"namespace", "app"}) {
    for (const std::string& value : cache.ListIndexFuncValues(index)) {
      absl::StatusOr<std::vector<Item>> items = cache.ByIndex(index, value);
      if (!items.ok()) std::abort();
      for (const Item& item : *items) {
        absl::StatusOr<std::string> k = MetaNamespaceKeyFunc(item);
        if (!k.ok() || keys.count(*k) == 0) std::abort();
      }
    }
  }
}

}  // namespace
}  // namespace informersim

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace informersim;  // NOLINT
  if (size > 1 << 16) return 0;
  Bytes in(data, size);
  const uint8_t config = in.U8();
  SharedIndexInformerOptions options;
  options.profile.profile = config % 3 == 0   ? Profile::kClassic
                            : config % 3 == 1 ? Profile::kInterim
                                              : Profile::kCurrent;
  options.resync_period = (config & 4) ? absl::Seconds(1) : absl::ZeroDuration();
  options.watch_list_page_size = (config & 8) ? 2 : 0;
  options.indexers["namespace"] = MetaNamespaceIndexFunc;
  options.indexers["app"] = AppLabelIndex;
  ManualRuntime rt;
  FuzzListerWatcher lw(/*watch_list_unsupported=*/(config & 16) != 0);
  FixedRandom random(config);
  auto informer = std::make_unique<SharedIndexInformer>(
      &rt, ReflectorFeederFactory(&lw, &rt, &random), std::move(options));
  if (!informer->AddEventHandler(std::make_shared<CheckingHandler>()).ok()) std::abort();
  informer->Run();
  size_t steps = 0;
  while (!in.empty() && steps < 100000) {
    const uint8_t op = in.U8() % 8;
    switch (op) {
      case 0:
      case 1:
        steps += rt.RunUntilIdle(1 + in.U8() % 16);
        break;
      case 2:
        steps += rt.RunFor(absl::Milliseconds(in.U16() % 5000), 2000);
        break;
      case 3:
        lw.AnswerList(in);
        break;
      case 4:
        lw.AnswerWatch(in);
        break;
      case 5:
      case 6:
        lw.SendEvent(in);
        break;
      case 7:
        lw.CloseWatch(in);
        break;
    }
  }
  steps += rt.RunUntilIdle(10000);
  CheckCache(*informer->GetIndexer());
  informer->Stop();
  // Stopping must finish: requests still waiting fail, timers run out.
  for (int i = 0; i < 50 && !informer->IsStopped(); ++i) {
    lw.RefuseAll();
    rt.RunFor(absl::Seconds(5), 20000);
  }
  if (!informer->IsStopped()) std::abort();
  lw.RefuseAll();
  rt.RunFor(absl::Seconds(60), 20000);
  CheckCache(*informer->GetIndexer());
  return 0;
}
