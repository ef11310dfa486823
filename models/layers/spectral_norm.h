// Spectral normalization exactly as the original's `spectral_normed_weight` (spec §2.4), written by
// hand because torch::nn::utils' version differs in three ways that change results: it has no
// lower-bound variant, flattens OIHW instead of TF's HWIO order for `u`, and updates `u` on every
// forward. Here:
//   * raw weight W viewed as the TF matrix [k*k*c_in, c_out] (HWIO flattening, so the persistent
//     `u` [1, c_out] of a TF checkpoint is used as-is);
//   * `spec_iter` power iterations v = l2n(u Wᵀ), u = l2n(v W) without gradient; sigma = v W uᵀ with
//     gradient through W only;
//   * W / sigma * spec_norm_val, or for zero-initialised weights (every res_c2) the lower-bound form
//     W / (sigma+1e-6) * min(sigma+1e-6, 1) * spec_norm_val, which never scales tiny weights up;
//   * `u` is written back once per evaluation in training mode (TF's assign runs once per
//     session.run); in eval mode it is left alone;
//   * cache(): computes W/sigma once and reuses it until uncache(), which is what TF does for a whole
//     sampling chain (one session.run) and saves a power iteration per Langevin step. With
//     reuse_storage it writes W/sigma into the same tensor every time, so a CUDA graph recorded
//     over one chain's cached weights reads the next chain's (the trainer's captured chain).
#pragma once

#include <torch/torch.h>

#include <cstdint>

namespace ebm {

struct SpectralOptions {
  bool enabled = true;
  bool lower_bound = false;  // zero-init weights (res_c2): only ever shrink
  int iters = 1;
  float scale = 1.0f;        // spec_norm_val
};

// One spectral normalization of `w` given its TF-ordered matrix view `mat` [rows, c_out] and the
// current `u` [1, c_out]. When `u_out` is non-null it receives the advanced u. Exposed for tests.
torch::Tensor spectral_normalize(const torch::Tensor& w, const torch::Tensor& mat, const torch::Tensor& u,
                                 const SpectralOptions& opt, torch::Tensor* u_out = nullptr);

// The largest singular value of a TF-ordered matrix, from the eigenvalues of MᵀM in double precision
// (tests and diagnostics only).
double max_singular_value(const torch::Tensor& mat);

// Base of every layer that owns a (possibly) spectrally normalized weight: CondConv and FC.
// Registers the persistent buffer `u` [1, c_out] (N(0,1) init, as TF) on the layer itself so its
// state_dict name is `<layer>.u`.
class SpectralWeightImpl : public torch::nn::Module {
 public:
  // The weight the layer computes with: cached if cache() is active, else freshly normalized
  // (advancing `u` when the module is in training mode). Without spectral norm: the raw weight.
  torch::Tensor effective_weight();

  // Normalizes once and keeps the result (detached: sampling needs input gradients only).
  // update_u = true also writes the advanced u back, as TF does at the start of a chain.
  // reuse_storage = true writes the result into the tensor the previous such cache() used (kept
  // across uncache(); allocated anew only when the weight's shape, layout, dtype or device changed).
  void cache(bool update_u, bool reuse_storage = false);
  void uncache() { cached_ = torch::Tensor(); }
  bool is_cached() const { return cached_.defined(); }
  // The cached weight (undefined when not cached).
  const torch::Tensor& cached_weight() const { return cached_; }

  bool spectral_enabled() const { return sn_.enabled; }
  const SpectralOptions& spectral_options() const { return sn_; }
  // The raw (unnormalized) weight and its TF matrix view [rows, c_out].
  virtual torch::Tensor raw_weight() const = 0;
  virtual torch::Tensor tf_matrix(const torch::Tensor& w) const = 0;
  torch::Tensor u() const { return u_; }

 protected:
  void init_spectral(int64_t c_out, SpectralOptions opt);

 private:
  torch::Tensor normalize(bool update_u);

  SpectralOptions sn_;
  torch::Tensor u_;       // registered buffer "u" when enabled
  torch::Tensor cached_;  // W/sigma while cache() is active
  torch::Tensor storage_; // where cache(…, reuse_storage = true) writes W/sigma; outlives uncache()
};

}  // namespace ebm
