#include "core/cache_sync.h"

#include <utility>

#include "absl/strings/str_cat.h"

namespace informersim {

CacheSyncWait::CacheSyncWait(Runtime* runtime, StrandId strand,
                             std::vector<InformerSynced> synced, std::function<void(bool)> done)
    : runtime_(runtime), strand_(strand), synced_(std::move(synced)), done_(std::move(done)) {}

void CacheSyncWait::Stop() {
  {
    MutexLock lock(&mu_);
    if (finished_) return;
    if (timer_ != 0) runtime_->Cancel(timer_);
    timer_ = 0;
  }
  // On the strand, so that `done` never runs twice or concurrently with a
  // check.
  runtime_->Post(strand_, [self = shared_from_this()] { self->Finish(false); });
}

bool CacheSyncWait::Finished() const {
  MutexLock lock(&mu_);
  return finished_;
}

void CacheSyncWait::Check() {
  {
    MutexLock lock(&mu_);
    timer_ = 0;
    if (finished_) return;
  }
  for (const InformerSynced& synced : synced_) {
    if (!synced()) {
      MutexLock lock(&mu_);
      if (finished_) return;
      timer_ = runtime_->PostAfter(strand_, kSyncedPollPeriod,
                                   [self = shared_from_this()] { self->Check(); });
      return;
    }
  }
  Finish(true);
}

void CacheSyncWait::Finish(bool synced) {
  {
    MutexLock lock(&mu_);
    if (finished_) return;
    finished_ = true;
  }
  std::function<void(bool)> done = std::move(done_);
  done_ = nullptr;
  if (done) done(synced);
}

std::shared_ptr<CacheSyncWait> WaitForCacheSync(Runtime* runtime, StrandId strand,
                                                std::vector<InformerSynced> synced,
                                                std::function<void(bool)> done) {
  auto wait = std::make_shared<CacheSyncWait>(runtime, strand, std::move(synced), std::move(done));
  runtime->Post(strand, [wait] { wait->Check(); });
  return wait;
}

std::shared_ptr<CacheSyncWait> WaitForNamedCacheSync(const std::string& controller_name,
                                                     Runtime* runtime, StrandId strand,
                                                     std::vector<InformerSynced> synced,
                                                     std::function<void(absl::Status)> done) {
  return WaitForCacheSync(runtime, strand, std::move(synced),
                          [controller_name, done = std::move(done)](bool ok) {
                            done(ok ? absl::OkStatus()
                                    : absl::CancelledError(absl::StrCat(
                                          "unable to sync caches for ", controller_name)));
                          });
}

}  // namespace informersim
