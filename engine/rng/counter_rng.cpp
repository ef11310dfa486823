#include "engine/rng/counter_rng.h"

#include "engine/rng/hash32.h"

#ifdef EBM_HAVE_CUDA_KERNELS
#include "engine/rng/counter_noise_cuda.h"

#include <c10/cuda/CUDAGuard.h>
#include <c10/cuda/CUDAStream.h>
#endif

#include <atomic>
#include <cmath>
#include <type_traits>

namespace ebm {

namespace {

constexpr std::int64_t kMask32 = 0xFFFFFFFFLL;
using rng::kElementSalt;
using rng::kMulA;
using rng::kMulB;
constexpr std::int64_t kSecondSalt = rng::kSecondSalt;  // as an int64 tensor operand
// 24 random bits -> float32 exactly: float has a 24-bit significand.
constexpr double kTwoPowMinus24 = 1.0 / 16777216.0;

// (x * c) mod 2^32 for x in [0, 2^32): c is split into 16-bit halves so every product stays below
// 2^48 and int64 never overflows (signed overflow would be UB on CPU and differ on CUDA).
torch::Tensor mul32(const torch::Tensor& x, std::uint32_t c) {
  const std::int64_t lo = c & 0xFFFFu, hi = c >> 16;
  torch::Tensor a = x * lo;
  torch::Tensor b = (x * hi).bitwise_and_(0xFFFF).mul_(65536);
  return a.add_(b).bitwise_and_(kMask32);
}

torch::Tensor hash32_tensor(torch::Tensor x) {
  x = x.bitwise_xor(x.bitwise_right_shift(16));
  x = mul32(x, kMulA);
  x = x.bitwise_xor(x.bitwise_right_shift(15));
  x = mul32(x, kMulB);
  return x.bitwise_xor(x.bitwise_right_shift(16));
}

// [B, N] int64 hashes in [0, 2^32) of (key, sample id, element index). `key` is a 0-dim int64
// tensor or a host value (xor with either gives the same bits).
template <typename Key>
torch::Tensor element_hashes(const Key& key, const torch::Tensor& sample_ids, std::int64_t n) {
  TORCH_CHECK(sample_ids.dim() == 1, "counter noise: sample_ids must be 1-D, got ", sample_ids.sizes());
  auto ids = sample_ids.to(torch::kLong);
  torch::Tensor ks = hash32_tensor(ids.bitwise_and(kMask32).bitwise_xor(key));
  ks = hash32_tensor(ks.bitwise_xor(ids.bitwise_right_shift(32).bitwise_and(kMask32)));
  auto opts = torch::TensorOptions().dtype(torch::kLong).device(ids.device());
  torch::Tensor he = hash32_tensor(torch::arange(n, opts).bitwise_xor(static_cast<std::int64_t>(kElementSalt)));
  return hash32_tensor(ks.unsqueeze(1).bitwise_xor(he.unsqueeze(0)));
}

std::vector<std::int64_t> full_shape(std::int64_t b, at::IntArrayRef per_sample, std::int64_t* n) {
  std::vector<std::int64_t> shape{b};
  *n = 1;
  for (auto s : per_sample) {
    TORCH_CHECK(s >= 0, "counter noise: negative size in shape ", per_sample);
    shape.push_back(s);
    *n *= s;
  }
  return shape;
}

torch::Tensor to_unit_float(const torch::Tensor& h, double offset) {
  return h.bitwise_right_shift(8).to(torch::kFloat).add_(offset).mul_(kTwoPowMinus24);
}

}  // namespace

std::uint32_t hash32(std::uint32_t x) { return rng::mix32(x); }

std::uint32_t noise_key(std::uint64_t seed, NoiseStream stream, std::uint32_t sub, std::int64_t counter) {
  const auto c = static_cast<std::uint64_t>(counter);
  std::uint32_t k = hash32(static_cast<std::uint32_t>(seed));
  k = hash32(k ^ static_cast<std::uint32_t>(seed >> 32));
  k = hash32(k ^ static_cast<std::uint32_t>(stream));
  k = hash32(k ^ sub);
  k = hash32(k ^ static_cast<std::uint32_t>(c));
  return hash32(k ^ static_cast<std::uint32_t>(c >> 32));
}

namespace {

#ifdef EBM_HAVE_CUDA_KERNELS
// The one-kernel draw (counter_noise_cuda.h) of what uniform_from/normal_from compute with tensor ops.
torch::Tensor cuda_draw(const torch::Tensor* key, std::uint32_t key_host, const torch::Tensor& sample_ids,
                        at::IntArrayRef per_sample_shape, bool normal) {
  std::int64_t n = 0;
  auto shape = full_shape(sample_ids.size(0), per_sample_shape, &n);
  TORCH_CHECK(sample_ids.dim() == 1, "counter noise: sample_ids must be 1-D, got ", sample_ids.sizes());
  TORCH_CHECK(!key || key->device() == sample_ids.device(), "counter noise: the key is on ", key->device(),
              ", the sample ids on ", sample_ids.device());
  const c10::cuda::CUDAGuard guard(sample_ids.device());
  const torch::Tensor ids = sample_ids.to(torch::kLong).contiguous();
  torch::Tensor out = torch::empty(shape, ids.options().dtype(torch::kFloat));
  gpu::launch_counter_noise(key ? key->data_ptr<std::int64_t>() : nullptr, key_host, ids.data_ptr<std::int64_t>(),
                            ids.size(0), n, normal, out.data_ptr<float>(),
                            c10::cuda::getCurrentCUDAStream(sample_ids.device().index()).stream());
  return out;
}
#endif

template <typename Key>
torch::Tensor uniform_from(const Key& key, const torch::Tensor& sample_ids, at::IntArrayRef per_sample_shape) {
  std::int64_t n = 0;
  auto shape = full_shape(sample_ids.size(0), per_sample_shape, &n);
  return to_unit_float(element_hashes(key, sample_ids, n), 0.0).reshape(shape);
}

template <typename Key>
torch::Tensor normal_from(const Key& key, const torch::Tensor& sample_ids, at::IntArrayRef per_sample_shape) {
  std::int64_t n = 0;
  auto shape = full_shape(sample_ids.size(0), per_sample_shape, &n);
  torch::Tensor h1 = element_hashes(key, sample_ids, n);
  torch::Tensor h2 = hash32_tensor(h1.add(kSecondSalt).bitwise_and_(kMask32));
  // u1 in (0,1) (never 0, so the log is finite), u2 in [0,1).
  torch::Tensor u1 = to_unit_float(h1, 0.5);
  torch::Tensor u2 = to_unit_float(h2, 0.0);
  torch::Tensor r = u1.log_().mul_(-2.0).sqrt_();
  return r.mul_(u2.mul_(2.0 * M_PI).cos_()).reshape(shape);
}

std::atomic<bool> g_kernel_enabled{true};

// Every draw: on CUDA the one-kernel version unless switched off (tests compare the two), else the
// tensor ops. `key` is the host value (an int64 holding 32 bits) or the 0-dim int64 tensor.
template <typename Key>
torch::Tensor draw(const Key& key, const torch::Tensor& sample_ids, at::IntArrayRef per_sample_shape, bool normal) {
#ifdef EBM_HAVE_CUDA_KERNELS
  if (sample_ids.is_cuda() && g_kernel_enabled.load(std::memory_order_relaxed)) {
    if constexpr (std::is_same_v<Key, torch::Tensor>)
      return cuda_draw(&key, 0, sample_ids, per_sample_shape, normal);
    else
      return cuda_draw(nullptr, static_cast<std::uint32_t>(key), sample_ids, per_sample_shape, normal);
  }
#endif
  return normal ? normal_from(key, sample_ids, per_sample_shape) : uniform_from(key, sample_ids, per_sample_shape);
}

void check_key(const torch::Tensor& key) {
  TORCH_CHECK(key.dim() == 0 && key.scalar_type() == torch::kLong, "counter noise: key must be a 0-dim int64 tensor");
}

}  // namespace

bool counter_noise_kernel_enabled() { return g_kernel_enabled.load(std::memory_order_relaxed); }
void set_counter_noise_kernel_enabled(bool on) { g_kernel_enabled.store(on, std::memory_order_relaxed); }

torch::Tensor counter_uniform(std::uint32_t key, const torch::Tensor& sample_ids, at::IntArrayRef per_sample_shape) {
  return draw(static_cast<std::int64_t>(key), sample_ids, per_sample_shape, false);
}

torch::Tensor counter_normal(std::uint32_t key, const torch::Tensor& sample_ids, at::IntArrayRef per_sample_shape) {
  return draw(static_cast<std::int64_t>(key), sample_ids, per_sample_shape, true);
}

torch::Tensor counter_uniform(const torch::Tensor& key, const torch::Tensor& sample_ids, at::IntArrayRef per_sample_shape) {
  check_key(key);
  return draw(key, sample_ids, per_sample_shape, false);
}

torch::Tensor counter_normal(const torch::Tensor& key, const torch::Tensor& sample_ids, at::IntArrayRef per_sample_shape) {
  check_key(key);
  return draw(key, sample_ids, per_sample_shape, true);
}

torch::Tensor key_tensor(std::uint32_t key, const torch::Device& device) {
  return torch::full({}, static_cast<std::int64_t>(key), torch::TensorOptions().dtype(torch::kLong).device(device));
}

}  // namespace ebm
