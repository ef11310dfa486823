// How the samples of a chain start, and restart after a NaN/Inf (SamplerParams::init, spec §5.2):
// images and comb_mask attention logits drawn from the counter-based streams of rng/counter_rng.h,
// so sample i of a seed starts from the same image whatever the batch and wherever it sits in it.
// An image start with init_sigma is the image plus σ·N(0, I) from the same streams: each sample its
// own noise, so a batch of edits of one image differ.
#pragma once

#include "engine/energy/composition.h"
#include "engine/sampling/sampler_params.h"

#include <torch/torch.h>

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace ebm {

// The sub-stream of a term's mask noise: FNV-1a of its name, so masks keep their streams when other
// terms are added or removed.
std::uint32_t term_stream(const std::string& term);

// For InitMode::Noise: the mean over the active denoising terms' training-image means, [C,1,1] on
// the CPU (0.5 without one).
torch::Tensor noise_start_mean(const CompiledComposition& comp);

class ChainInit {
 public:
  // The chain's identity (init mode and image, seed, the schedule's first σ), as started.
  void set_chain(const SamplerParams& chain);
  // The composition's image shape and InitMode::Noise's mean ([C,1,1] on the chain's device).
  void set_shape(std::int64_t channels, std::int64_t image_size, torch::Tensor start_mean);

  // [B,C,S,S] on ids' device from the streams of `key` and `colour_key` (0-dim int64 keys: the
  // Init streams at the start, the Reset streams of a step when re-initialising).
  torch::Tensor images(const torch::Tensor& key, const torch::Tensor& colour_key, const torch::Tensor& ids) const;
  // The Image init's image fitted to the models, [C,S,S] on `device`: made once per chain (the first
  // call after set_chain/set_shape) and kept, so a reset needs no host copy. Throws
  // std::invalid_argument when its channels do not fit the models.
  void prepare_image(const torch::Device& device) const;
  // Whether the chain holds part of its image start (SamplerParams::init_region).
  bool holds() const { return mode_ == InitMode::Image && init_region_.defined(); }
  // x with the held region put back to the image noised to `sigma` (0-dim float; 0: the image
  // itself), from the Hold stream of `key` (0-dim int64): region·x + (1 − region)·(image + σ·ξ). x
  // unchanged when nothing is held. Elementwise on x's device, no host sync (a captured graph holds it).
  torch::Tensor hold(const torch::Tensor& x, const torch::Tensor& key, const torch::Tensor& sigma, const torch::Tensor& ids) const;
  // U(-1, 1) attention logits [B,K,S,S] of a comb_mask term, as the reference's mask chain starts.
  torch::Tensor attention(const std::string& term, int k, const torch::Tensor& ids) const;
  // Re-initialises the samples flagged in `bad` [B] (bool) from the given (Reset) streams, images and
  // the masks of `terms`' comb_mask terms: torch::where on the device, no host sync.
  void reset(const torch::Tensor& bad, const torch::Tensor& ids, const torch::Tensor& key,
             const torch::Tensor& colour_key, const std::vector<CompiledComposition::CTerm>& terms,
             torch::Tensor* x, std::map<std::string, torch::Tensor>* attention) const;

 private:
  InitMode mode_ = InitMode::GreyColour;
  torch::Tensor init_image_;  // SamplerParams::init_image (CPU)
  torch::Tensor init_region_;  // SamplerParams::init_region (CPU)
  std::uint64_t seed_ = 0;
  double sigma0_ = 1.0;
  double image_sigma_ = 0.0;  // init_noise_sigma(): the noise an image start gets
  std::int64_t channels_ = 3, size_ = 64;
  torch::Tensor start_mean_;
  mutable torch::Tensor image_;  // prepare_image()'s cache (images() makes it when a reshape dropped it)
  mutable torch::Tensor region_;  // prepare_image()'s region, [1,S,S] (undefined when nothing is held)
};

}  // namespace ebm
