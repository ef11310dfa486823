#include "engine/train/count_source.h"

#include "engine/data/cubes_renderer.h"
#include "engine/train/train_data.h"

#include <ATen/CPUGeneratorImpl.h>

#include <algorithm>

namespace ebm::train {

namespace {

constexpr int64_t kNumCounts = 3;       // none, one, two objects

torch::Tensor count_labels(const torch::Tensor& counts) {
  return torch::one_hot(counts.to(torch::kLong), kNumCounts).to(torch::kFloat);
}

// The pool: counts drawn per scene, each scene rendered with that many objects, kept as uint8.
CubesPool render_count_pool(int64_t n, uint64_t seed, const torch::Device& device) {
  auto gen = at::detail::createCPUGenerator(seed);
  torch::Generator g(gen);
  auto counts = torch::randint(0, kNumCounts, {n}, g, torch::kLong);
  // Chunk by chunk, in order: one seed gives one pool (the scenes of a chunk are drawn as it renders).
  auto images = render_pool_images(n, device, [&](int64_t start, int64_t m) {
    return render_counted_scenes(counts.narrow(0, start, m), g, device);
  });
  return CubesPool(images, count_labels(counts).to(device));
}

class CountSource : public TrainingSource {
 public:
  CountSource(const TrainOptions& opt, const torch::Device& device, uint64_t pool_seed)
      : pool_(render_count_pool(opt.pool, pool_seed, device)) {}

  TrainingBatch sample(int64_t batch, torch::Generator& gen, int64_t) override {
    return pool_.sample(batch, gen);
  }
  std::array<double, 3> channel_mean() const override { return pool_.channel_mean(); }
  double pixel_std() const override { return pool_.pixel_std(); }
  LabelSchema schema() const override { return LabelSchema::cubes_count(); }
  int image_size() const override { return 64; }
  // The grids cycle through none, one, two objects, so each column shows one count.
  torch::Tensor preview_labels(int64_t n, uint64_t) const override {
    return count_labels(torch::arange(n, torch::kLong).remainder(kNumCounts));
  }
  torch::Tensor reference_images(int64_t n, uint64_t seed) const override {
    auto gen = at::detail::createCPUGenerator(seed);
    torch::Generator g(gen);
    torch::NoGradGuard no_grad;
    return render_counted_scenes(torch::arange(n, torch::kLong).remainder(kNumCounts), g, torch::kCPU);
  }
  nlohmann::json describe() const override {
    return {{"kind", "procedural cubes"}, {"renderer", "engine/data/cubes_renderer.h"}, {"pool", pool_.size()},
            {"objects", "0, 1 or 2 per scene, a third each"}};
  }
  std::string summary() const override {
    return "data pool " + std::to_string(pool_.size()) + " scenes of none, one or two objects";
  }

 private:
  CubesPool pool_;
};

}  // namespace

torch::Tensor render_counted_scenes(const torch::Tensor& counts, torch::Generator& gen, const torch::Device& device) {
  if (counts.dim() != 1 || counts.scalar_type() != torch::kLong || counts.device().type() != torch::kCPU)
    throw std::invalid_argument("render_counted_scenes: counts must be a [n] int64 CPU tensor");
  const int64_t n = counts.size(0);
  if (n > 0 && (counts.min().item<int64_t>() < 0 || counts.max().item<int64_t>() >= kNumCounts))
    throw std::invalid_argument("render_counted_scenes: a count must be 0, 1 or 2");
  const data::CubesRenderer renderer;
  const auto size = renderer.options().image_size;
  // Every scene starts as the empty floor; the one- and two-object scenes are rendered and put in place.
  auto out = renderer.render_floor(1, device).expand({n, 3, size, size}).contiguous();
  for (int objects = 1; objects <= 2; ++objects) {
    auto where = (counts == objects).nonzero().reshape({-1});
    if (where.numel() == 0) continue;
    data::SceneSampling so;
    so.num_objects = objects;
    auto scenes = data::sample_scenes(where.numel(), gen, so).to(device);
    out.index_copy_(0, where.to(device), renderer.render(scenes));
  }
  return out;
}

std::unique_ptr<TrainingSource> make_count_source(const TrainOptions& opt, const torch::Device& device,
                                                  uint64_t pool_seed) {
  return std::make_unique<CountSource>(opt, device, pool_seed);
}

}  // namespace ebm::train
