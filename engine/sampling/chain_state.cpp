#include "engine/sampling/chain_state.h"

namespace ebm {

std::int64_t ChainState::bytes() const {
  auto nb = [](const torch::Tensor& t) { return t.defined() ? static_cast<std::int64_t>(t.numel() * t.element_size()) : 0; };
  std::int64_t n = nb(x) + nb(sample_ids) + nb(resets);
  for (const auto& kv : attention) n += nb(kv.second);
  return n;
}

void AcceptanceMeter::add(const StepStats& st) {
  if (!st.accepted.defined()) return;
  sum_ = sum_.defined() ? sum_ + st.accepted.sum() : st.accepted.sum();
  tests_ += st.accepted.size(0);
}

double AcceptanceMeter::mean() const {
  return tests_ > 0 ? sum_.item<double>() / static_cast<double>(tests_) : -1.0;
}

}  // namespace ebm
