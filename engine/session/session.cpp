#include "engine/session.h"

#include "engine/session/worker.h"

#include <chrono>
#include <iterator>

namespace ebm {

Session::Session(SessionOptions options)
    : latest_(std::make_shared<const Snapshot>()), worker_(std::make_unique<Worker>(*this, options)) {
  thread_ = std::thread([this] { worker_->run(); });
}

Session::~Session() {
  {
    std::lock_guard<std::mutex> lk(queue_mu_);
    quit_ = true;
    queue_.clear();
  }
  queue_cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void Session::submit(Command c) {
  {
    std::lock_guard<std::mutex> lk(queue_mu_);
    // A newer edit replaces a queued one of the same kind — but only among the edits queued after the
    // last control command (Start, Step, Export…): an edit queued before a Start must still apply
    // before it, not move behind it with the newer one.
    if (is_latest_wins(c)) {
      auto it = queue_.end();
      while (it != queue_.begin() && is_latest_wins(*std::prev(it))) --it;
      while (it != queue_.end()) it = it->index() == c.index() ? queue_.erase(it) : std::next(it);
    }
    queue_.push_back(std::move(c));
  }
  queue_cv_.notify_one();
}

std::deque<Command> Session::take(bool block) {
  std::unique_lock<std::mutex> lk(queue_mu_);
  if (block) queue_cv_.wait(lk, [this] { return quit_ || !queue_.empty(); });
  std::deque<Command> out;
  out.swap(queue_);
  return out;
}

bool Session::quitting() const {
  std::lock_guard<std::mutex> lk(queue_mu_);
  return quit_;
}

void Session::publish(std::shared_ptr<const Snapshot> s) {
  {
    std::lock_guard<std::mutex> lk(snap_mu_);
    latest_ = std::move(s);
  }
  snap_cv_.notify_all();
}

std::shared_ptr<const Snapshot> Session::latest() const {
  std::lock_guard<std::mutex> lk(snap_mu_);
  return latest_;
}

std::shared_ptr<const Snapshot> Session::wait_for_newer(std::uint64_t seq, int timeout_ms) const {
  std::unique_lock<std::mutex> lk(snap_mu_);
  snap_cv_.wait_for(lk, std::chrono::milliseconds(timeout_ms), [&] { return latest_->seq > seq; });
  return latest_;
}

std::shared_ptr<const Snapshot> Session::wait_until_settled(std::uint64_t after_seq, int timeout_ms) const {
  std::unique_lock<std::mutex> lk(snap_mu_);
  snap_cv_.wait_for(lk, std::chrono::milliseconds(timeout_ms),
                    [&] { return latest_->seq > after_seq && latest_->status != SessionStatus::Running; });
  return latest_;
}

}  // namespace ebm
