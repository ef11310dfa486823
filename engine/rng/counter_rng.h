// Counter-based noise: every random number the sampler draws is a pure function of
// (seed, stream, counter, sample id, element index), computed with integer tensor ops.
//
// Why not torch::Generator: a generator's output depends on how many numbers were drawn before,
// so sample i's noise would change with the batch size, its position in the batch, and with every
// pause/rewind. Hashing the coordinates instead makes sample i of seed s the same image whatever
// the batch, and lets a rewound chain replay exactly (the step number is the counter).
//
// The hash is a 32-bit integer mixer ("lowbias32" constants, Chris Wellons' hash-prospector),
// evaluated on int64 tensors holding values in [0, 2^32): Torch has no uint32 arithmetic on 1.13,
// and the multiplication is split into 16-bit halves so no product leaves the int64 range. The
// integer part is bitwise identical on CPU and CUDA; the uniform -> normal transform (log, sqrt,
// cos in float32) may differ by an ulp between the two.
#pragma once

#include <torch/torch.h>

#include <cstdint>

namespace ebm {

// Independent streams of one chain. Values are part of the determinism contract: never renumber.
enum class NoiseStream : std::uint32_t {
  Init = 1,         // initial image
  InitColour = 2,   // per-image colour of the "grey + random colour" init
  Langevin = 3,     // noise added before each gradient (counter = step, sub-stream = stage)
  MaskInit = 4,     // initial attention-mask logits of comb_mask terms
  MaskNoise = 5,    // noise added to the attention masks each step
  Reset = 6,        // re-initialisation of a chain that produced NaN/Inf (counter = step)
  ResetColour = 7,
  Accept = 8,       // the uniform of a MALA step's accept test (counter = step, sub-stream = stage)
  Label = 9,        // per-sample labels of "any label" terms (sub-stream = a hash of the term's name)
  Hold = 10,        // the noise of an edit's held region (SamplerParams::init_region; counter = step)
};

// Scalar version of the mixer, for host-side key derivation (and tests).
std::uint32_t hash32(std::uint32_t x);

// Key of (seed, stream, sub-stream, counter): a 32-bit value every per-element hash starts from.
std::uint32_t noise_key(std::uint64_t seed, NoiseStream stream, std::uint32_t sub, std::int64_t counter);

// Uniform [0,1) float32 numbers, [B, shape...], on sample_ids' device. sample_ids: [B] int64 (the
// global index of each sample in the seed's sequence; any values, any order).
torch::Tensor counter_uniform(std::uint32_t key, const torch::Tensor& sample_ids, at::IntArrayRef per_sample_shape);

// Standard normal float32 numbers (Box–Muller on two hashed uniforms), [B, shape...].
torch::Tensor counter_normal(std::uint32_t key, const torch::Tensor& sample_ids, at::IntArrayRef per_sample_shape);

// The same numbers with the key given as a 0-dim int64 tensor on sample_ids' device (key_tensor()):
// a captured CUDA graph reads its key from such a tensor, so each replay draws the next step's
// noise without a re-capture or a host sync.
torch::Tensor counter_uniform(const torch::Tensor& key, const torch::Tensor& sample_ids, at::IntArrayRef per_sample_shape);
torch::Tensor counter_normal(const torch::Tensor& key, const torch::Tensor& sample_ids, at::IntArrayRef per_sample_shape);
// On CUDA (a CUDA build) the numbers come from one kernel (counter_noise_cuda.h) instead of ~30
// tensor ops; the integer hashes are identical and the float steps are the same operations in the
// same order. Switchable for tests and `ebm bench` (process-wide; default on).
bool counter_noise_kernel_enabled();
void set_counter_noise_kernel_enabled(bool on);

// `key` as that 0-dim tensor on `device` (a fill on the device: no host-to-device copy to wait for).
torch::Tensor key_tensor(std::uint32_t key, const torch::Device& device);

}  // namespace ebm
