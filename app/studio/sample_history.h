// SampleHistory: per-sample energies the GUI saw in published snapshots, for the Curves panel's
// min–max band and the selected sample's own curve. The engine's Curves carry batch means for every
// step of the run; snapshots carry per-sample values only at the steps they were published, so the
// band and per-sample curves have a point per published step. Reset on a new chain, truncated on rewind.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace ebm {
struct Snapshot;
}

namespace ebm::studio {

struct SampleRow {
  std::int64_t step = 0;
  std::vector<float> energy;               // [B]
  std::vector<float> grad_norm;            // [B]
  std::vector<std::vector<float>> terms;   // [T][B], in `term_names` order (NaN: inactive)
};

class SampleHistory {
 public:
  static constexpr size_t kMaxRows = 20000;  // older rows are thinned (every other one dropped)

  // Records `s` when it shows a new step of the chain; resets on a new chain id, truncates rows after
  // s.step when the chain went back (rewind).
  void on_snapshot(const Snapshot& s);
  void add_row(std::uint64_t chain_id, SampleRow row, const std::vector<std::string>& term_names);
  void clear();

  const std::vector<SampleRow>& rows() const { return rows_; }
  const std::vector<std::string>& term_names() const { return term_names_; }
  std::uint64_t chain_id() const { return chain_id_; }

  // Column extraction for plotting. `term` = -1: total energy, -2: gradient norm, else a term index.
  // mode: mean, min, max over the batch, or the value of sample `sample`.
  enum class Stat { Mean, Min, Max, Sample };
  void column(int term, Stat stat, int sample, std::vector<double>& xs, std::vector<double>& ys) const;

 private:
  std::vector<SampleRow> rows_;
  std::vector<std::string> term_names_;
  std::uint64_t chain_id_ = 0;
  bool have_chain_ = false;
};

}  // namespace ebm::studio
