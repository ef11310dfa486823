#include "engine/session/curve_recorder.h"

#include <algorithm>
#include <limits>

namespace ebm {

namespace {
constexpr float kNaN = std::numeric_limits<float>::quiet_NaN();
}  // namespace

void CurveRecorder::record(std::int64_t step, const std::vector<std::string>& names, const StepStats& st) {
  if (!row_names_ || *row_names_ != names) row_names_ = std::make_shared<const std::vector<std::string>>(names);
  std::vector<torch::Tensor> vals{st.energy.mean(), st.grad_norm.mean(),
                                  st.accepted.defined() ? st.accepted.mean() : torch::full({}, kNaN, st.energy.options())};
  for (const auto& t : st.per_term)
    vals.push_back(t.defined() ? t.mean() : torch::full({}, kNaN, st.energy.options()));
  pending_.push_back({step, row_names_, torch::stack(vals)});
}

std::shared_ptr<const Curves> CurveRecorder::flush() {
  if (pending_.empty()) return curves_;
  std::vector<torch::Tensor> all;
  for (const auto& r : pending_) all.push_back(r.values.to(torch::kFloat));
  const auto flat = torch::cat(all).to(torch::kCPU, torch::kFloat).contiguous();
  const float* host = flat.data_ptr<float>();
  auto c = std::make_shared<Curves>(*curves_);
  size_t off = 0;
  for (const auto& r : pending_) {
    const size_t n0 = c->steps.size();
    c->steps.push_back(r.step);
    c->energy.push_back(host[off]);
    c->grad_norm.push_back(host[off + 1]);
    c->acceptance.push_back(host[off + 2]);
    for (size_t i = 0; i < r.names->size(); ++i) {
      const auto& name = (*r.names)[i];
      auto it = std::find_if(c->terms.begin(), c->terms.end(), [&](const auto& t) { return t.first == name; });
      if (it == c->terms.end()) {
        c->terms.emplace_back(name, std::vector<float>(n0, kNaN));
        it = c->terms.end() - 1;
      }
      it->second.push_back(host[off + 3 + i]);
    }
    for (auto& t : c->terms)
      if (t.second.size() < c->steps.size()) t.second.resize(c->steps.size(), kNaN);
    off += static_cast<size_t>(r.values.numel());
  }
  pending_.clear();
  curves_ = c;
  return curves_;
}

void CurveRecorder::truncate_after(std::int64_t step) {
  flush();
  auto c = std::make_shared<Curves>(*curves_);
  const auto keep = static_cast<size_t>(std::upper_bound(c->steps.begin(), c->steps.end(), step) - c->steps.begin());
  c->steps.resize(keep);
  c->energy.resize(keep);
  c->grad_norm.resize(keep);
  c->acceptance.resize(keep);
  for (auto& t : c->terms) t.second.resize(keep);
  curves_ = c;
}

void CurveRecorder::clear() {
  pending_.clear();
  curves_ = std::make_shared<Curves>();
}

}  // namespace ebm
