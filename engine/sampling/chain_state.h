// What a chain is at one step (ChainState) and what one step measured (StepStats): plain values the
// sampler hands out, the session keeps in its history and the exports write.
#pragma once

#include <torch/torch.h>

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace ebm {

// Everything that evolves along a chain. Tensors are never modified in place once stored, so a
// ChainState (or a snapshot referencing its tensors) can be kept and shared without copying.
struct ChainState {
  torch::Tensor x;           // [B,C,H,W] on the models' device
  torch::Tensor sample_ids;  // [B] int64
  std::map<std::string, torch::Tensor> attention;  // comb_mask term name -> [B,K,H,W] mask logits
  torch::Tensor resets;      // [B] int64: NaN/Inf re-initialisations so far
  std::int64_t step = 0;     // steps taken (the next step's counter)
  std::int64_t bytes() const;
};

// What one step measured, as device tensors (no host sync).
struct StepStats {
  torch::Tensor energy;                 // [B] total energy at the noised x, before the update
  std::vector<torch::Tensor> per_term;  // [B] raw energy of each term (undefined: inactive)
  torch::Tensor grad_norm;              // [B] L2 norm of the (projected) gradient
  torch::Tensor reset;                  // [B] bool: samples re-initialised after NaN/Inf (undefined: none)
  // [B,C,H,W] the step's estimate of the clean image on a denoising ladder, x̂₀ = p − σ²·∇E(p, σ) at
  // the point p where the step took its gradient (Tweedie's formula; the progressive preview). Eager
  // Langevin steps of the joint mode only; undefined otherwise.
  torch::Tensor denoised;
  torch::Tensor accepted;               // [B] float, MALA and HMC only: 1 where the step took its
                                        // proposal (always, for a step without noise), 0 where the chain
                                        // stayed; Sequential: the fraction of stages. Undefined for Langevin
};

// Mean of StepStats::accepted over every step and sample of a run, summed on the chain's device
// (one host read, in mean()); −1 when no step had an accept test (the Langevin rule).
class AcceptanceMeter {
 public:
  void add(const StepStats& st);
  double mean() const;

 private:
  torch::Tensor sum_;
  std::int64_t tests_ = 0;
};

}  // namespace ebm
