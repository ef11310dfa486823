#include "app/studio/sample_history.h"

#include "engine/session/snapshot.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace ebm::studio {

void SampleHistory::clear() {
  rows_.clear();
  term_names_.clear();
  have_chain_ = false;
}

void SampleHistory::on_snapshot(const Snapshot& s) {
  if (s.energy.empty()) {
    // No measurement (no chain yet, or just rewound): still follow a rewind of this chain.
    if (have_chain_ && s.chain_id == chain_id_)
      while (!rows_.empty() && rows_.back().step > s.step) rows_.pop_back();
    return;
  }
  SampleRow r;
  r.step = s.step;
  r.energy = s.energy;
  r.grad_norm = s.grad_norm;
  r.terms = s.term_energy;
  add_row(s.chain_id, std::move(r), s.term_names);
}

void SampleHistory::add_row(std::uint64_t chain_id, SampleRow row, const std::vector<std::string>& term_names) {
  if (!have_chain_ || chain_id != chain_id_) {
    rows_.clear();
    chain_id_ = chain_id;
    have_chain_ = true;
  }
  if (!rows_.empty() && row.step <= rows_.back().step) {
    if (row.step == rows_.back().step && term_names == term_names_) return;  // same step republished
    // The chain went back (rewind) or re-measured this step: drop the rows it replaced.
    while (!rows_.empty() && rows_.back().step >= row.step) rows_.pop_back();
  }
  if (term_names != term_names_) {
    // Terms were added/removed/renamed: realign old rows to the new names (missing → NaN).
    for (auto& r : rows_) {
      std::vector<std::vector<float>> t(term_names.size());
      for (size_t i = 0; i < term_names.size(); ++i) {
        auto it = std::find(term_names_.begin(), term_names_.end(), term_names[i]);
        if (it != term_names_.end() && static_cast<size_t>(it - term_names_.begin()) < r.terms.size())
          t[i] = r.terms[static_cast<size_t>(it - term_names_.begin())];
      }
      r.terms = std::move(t);
    }
    term_names_ = term_names;
  }
  rows_.push_back(std::move(row));
  if (rows_.size() > kMaxRows) {
    // Keep the whole run visible at half the density rather than forgetting its start.
    std::vector<SampleRow> thin;
    thin.reserve(rows_.size() / 2 + 1);
    for (size_t i = 0; i < rows_.size(); i += 2) thin.push_back(std::move(rows_[i]));
    rows_ = std::move(thin);
  }
}

void SampleHistory::column(int term, Stat stat, int sample, std::vector<double>& xs, std::vector<double>& ys) const {
  xs.clear();
  ys.clear();
  const double nan = std::numeric_limits<double>::quiet_NaN();
  for (const auto& r : rows_) {
    const std::vector<float>* v = nullptr;
    if (term == -1) v = &r.energy;
    else if (term == -2) v = &r.grad_norm;
    else if (term >= 0 && static_cast<size_t>(term) < r.terms.size()) v = &r.terms[static_cast<size_t>(term)];
    double y = nan;
    if (v != nullptr && !v->empty()) {
      if (stat == Stat::Sample) {
        if (sample >= 0 && static_cast<size_t>(sample) < v->size()) y = (*v)[static_cast<size_t>(sample)];
      } else {
        double acc = stat == Stat::Mean ? 0.0 : (stat == Stat::Min ? std::numeric_limits<double>::infinity()
                                                                   : -std::numeric_limits<double>::infinity());
        int n = 0;
        for (float f : *v) {
          if (!std::isfinite(f)) continue;
          ++n;
          if (stat == Stat::Mean) acc += f;
          else if (stat == Stat::Min) acc = std::min(acc, static_cast<double>(f));
          else acc = std::max(acc, static_cast<double>(f));
        }
        y = n == 0 ? nan : (stat == Stat::Mean ? acc / n : acc);
      }
    }
    xs.push_back(static_cast<double>(r.step));
    ys.push_back(y);
  }
}

}  // namespace ebm::studio
