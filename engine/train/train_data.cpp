#include "engine/train/train_data.h"

#include <ATen/CPUGeneratorImpl.h>

#include <algorithm>

namespace ebm::train {

namespace {
// Scenes rendered per chunk: bounds the renderer's temporaries (~40 [chunk, 128²] floats).
constexpr int64_t kRenderChunk = 256;
}  // namespace

CubesPool::CubesPool(data::CubesConcept concept, int64_t size, int num_objects, uint64_t seed,
                     const torch::Device& device, const std::function<void(int64_t, int64_t)>& progress) {
  if (size < 1) throw std::invalid_argument("data pool size must be >= 1");
  data::SceneSampling so;
  so.num_objects = num_objects;
  auto gen = at::detail::createCPUGenerator(seed);
  data::CubesScenes scenes = data::sample_scenes(size, gen, so);
  labels_ = data::concept_labels(scenes.first, concept).to(device);
  const data::CubesRenderer renderer;
  images_ = render_pool_images(size, device, [&](int64_t start, int64_t n) {
    return renderer.render(scenes.index(torch::arange(start, start + n, torch::kLong)).to(device));
  }, progress);
}

torch::Tensor render_pool_images(int64_t n, const torch::Device& device,
                                 const std::function<torch::Tensor(int64_t, int64_t)>& render,
                                 const std::function<void(int64_t, int64_t)>& progress) {
  auto images = torch::empty({n, 3, 64, 64}, torch::TensorOptions().dtype(torch::kUInt8).device(device));
  torch::NoGradGuard no_grad;
  for (int64_t start = 0; start < n; start += kRenderChunk) {
    const int64_t m = std::min(kRenderChunk, n - start);
    images.narrow(0, start, m).copy_((render(start, m) * 255.0).round_().to(torch::kUInt8));
    if (progress) progress(start + m, n);
  }
  return images;
}

CubesPool::CubesPool(torch::Tensor images_u8, torch::Tensor labels)
    : images_(std::move(images_u8)), labels_(std::move(labels)) {
  if (images_.dim() != 4 || images_.scalar_type() != torch::kUInt8 || labels_.dim() != 2 ||
      labels_.size(0) != images_.size(0) || images_.size(0) < 1 || images_.device() != labels_.device())
    throw std::invalid_argument("data pool: uint8 images [N,3,S,S] and labels [N,L] on one device, N >= 1");
}

TrainingBatch draw_from_pool(const torch::Tensor& images_u8, const torch::Tensor& labels, int64_t batch,
                             torch::Generator& gen) {
  auto idx = torch::randint(0, images_u8.size(0), {batch}, gen, torch::kLong);
  // A pinned, asynchronous copy: a plain host→GPU copy would wait for the queued GPU work (a host
  // sync per iteration) before the next iteration could be enqueued.
  idx = images_u8.is_cuda() ? idx.pin_memory().to(images_u8.device(), /*non_blocking=*/true) : idx;
  return {images_u8.index_select(0, idx).to(torch::kFloat).div_(255.0), labels.index_select(0, idx)};
}

std::array<double, 3> CubesPool::channel_mean() const {
  torch::NoGradGuard no_grad;
  auto m = images_.to(torch::kFloat).mean({0, 2, 3}).div(255.0).cpu();
  return {m[0].item<double>(), m[1].item<double>(), m[2].item<double>()};
}

double CubesPool::pixel_std() const {
  torch::NoGradGuard no_grad;
  auto f = images_.to(torch::kFloat).div(255.0);
  return f.var(0).mean().sqrt().item<double>();
}

}  // namespace ebm::train
