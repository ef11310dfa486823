#include "engine/session/history.h"

namespace ebm {

void History::configure(std::int64_t budget_bytes, std::int64_t every) {
  budget_ = budget_bytes < 0 ? 0 : budget_bytes;
  every_ = every < 1 ? 1 : every;
  evict();
}

void History::offer(const ChainState& s) {
  if (!wants(s.step)) return;
  if (!ring_.empty() && ring_.back().step >= s.step) truncate_after(s.step - 1);
  ring_.push_back(s);
  bytes_ += s.bytes();
  evict();
}

void History::evict() {
  while (!ring_.empty() && bytes_ > budget_) {
    bytes_ -= ring_.front().bytes();
    ring_.pop_front();
  }
}

std::optional<ChainState> History::find(std::int64_t step) const {
  for (const auto& s : ring_)
    if (s.step == step) return s;
  return std::nullopt;
}

void History::truncate_after(std::int64_t step) {
  while (!ring_.empty() && ring_.back().step > step) {
    bytes_ -= ring_.back().bytes();
    ring_.pop_back();
  }
}

void History::clear() {
  ring_.clear();
  bytes_ = 0;
}

std::vector<std::int64_t> History::steps() const {
  std::vector<std::int64_t> out;
  out.reserve(ring_.size());
  for (const auto& s : ring_) out.push_back(s.step);
  return out;
}

std::vector<std::pair<std::int64_t, torch::Tensor>> History::frames() const {
  std::vector<std::pair<std::int64_t, torch::Tensor>> out;
  out.reserve(ring_.size());
  for (const auto& s : ring_) out.emplace_back(s.step, s.x);
  return out;
}

}  // namespace ebm
