#include "engine/train/training_source.h"

#include "engine/data/cubes_renderer.h"
#include "engine/data/image_folder.h"
#include "engine/train/count_source.h"
#include "engine/train/batch_loader.h"
#include "engine/train/train_data.h"

#include <ATen/CPUGeneratorImpl.h>

#include <filesystem>

namespace ebm::train {

namespace {

namespace fs = std::filesystem;

// A folder set larger than this stays in host memory and is streamed by a loader thread; smaller ones
// live on the training device (a gather per batch, no host round trip), as the cubes pool does.
constexpr int64_t kDeviceResidentBytes = 4LL << 30;
constexpr int64_t kStatsChunk = 1024;  // images per chunk when measuring the data's statistics

class CubesSource : public TrainingSource {
 public:
  CubesSource(const TrainOptions& opt, const torch::Device& device, uint64_t pool_seed)
      : concept_(data::cubes_concept_from_string(opt.concept_name)),
        num_objects_(opt.num_objects),
        pool_(concept_, opt.pool, opt.num_objects, pool_seed, device) {}

  TrainingBatch sample(int64_t batch, torch::Generator& gen, int64_t) override {
    return pool_.sample(batch, gen);
  }
  std::array<double, 3> channel_mean() const override { return pool_.channel_mean(); }
  double pixel_std() const override { return pool_.pixel_std(); }
  LabelSchema schema() const override { return data::cubes_schema(concept_); }
  int image_size() const override { return 64; }
  torch::Tensor preview_labels(int64_t n, uint64_t seed) const override {
    return data::concept_labels(scenes(n, seed).first, concept_);
  }
  torch::Tensor reference_images(int64_t n, uint64_t seed) const override {
    torch::NoGradGuard no_grad;
    return data::CubesRenderer().render(scenes(n, seed));
  }
  std::optional<data::CubesConcept> cubes_concept() const override { return concept_; }
  nlohmann::json describe() const override {
    return {{"kind", "procedural cubes"}, {"renderer", "engine/data/cubes_renderer.h"}, {"pool", pool_.size()},
            {"objects", num_objects_}};
  }
  std::string summary() const override { return "data pool " + std::to_string(pool_.size()) + " scenes"; }

 private:
  data::CubesScenes scenes(int64_t n, uint64_t seed) const {
    auto g = at::detail::createCPUGenerator(seed);
    data::SceneSampling so;
    so.num_objects = num_objects_;
    return data::sample_scenes(n, g, so);
  }
  data::CubesConcept concept_;
  int num_objects_;
  CubesPool pool_;
};

class FolderSource : public TrainingSource {
 public:
  FolderSource(const TrainOptions& opt, const torch::Device& device) : device_(device), data_dir_(opt.data_dir) {
    data::ImageFolderOptions f;
    f.dir = opt.data_dir;
    f.label_columns = opt.label_columns;
    f.one_hot = opt.one_hot_columns();
    f.ranges = opt.label_range_columns();
    f.size = opt.image_size;
    std::error_code ec;
    fs::create_directories(opt.out_dir, ec);
    f.cache = (fs::path(opt.out_dir) / ("data_cache_" + std::to_string(opt.image_size) + ".u8")).string();
    data_ = data::load_image_folder(f);
    data_.schema.concept_name = opt.concept_name;
    measure_statistics();
    const int64_t bytes = data_.images.numel();
    streamed_ = device.is_cuda() && bytes > kDeviceResidentBytes;
    if (streamed_) {
      loader_ = std::make_unique<BatchLoader>(data_.images, data_.labels, opt.seed, device);
    } else {
      images_ = data_.images.to(device);
      labels_ = data_.labels.to(device);
    }
  }

  TrainingBatch sample(int64_t batch, torch::Generator& gen, int64_t iteration) override {
    if (streamed_) return loader_->next(iteration, batch);
    return draw_from_pool(images_, labels_, batch, gen);
  }
  std::array<double, 3> channel_mean() const override { return mean_; }
  double pixel_std() const override { return std_; }
  LabelSchema schema() const override { return data_.schema; }
  int image_size() const override { return static_cast<int>(data_.images.size(3)); }
  // The grids show the labels of the set's first images, so each grid cell has a real counterpart.
  torch::Tensor preview_labels(int64_t n, uint64_t) const override { return data_.labels.narrow(0, 0, count(n)); }
  torch::Tensor reference_images(int64_t n, uint64_t) const override {
    return data_.images.narrow(0, 0, count(n)).to(torch::kFloat).div(255.0);
  }
  nlohmann::json describe() const override {
    return {{"kind", "image folder"},
            {"dir", fs::absolute(data_dir_).string()},
            {"count", data_.images.size(0)},
            {"sha256", data_.sha256},
            {"image_size", image_size()},
            {"schema", data_.schema}};
  }
  std::string summary() const override {
    return std::to_string(data_.images.size(0)) + " images (" + (data_.from_cache ? "from the cache" : "decoded") +
           (streamed_ ? ", streamed from host memory" : ", on the device") + ")";
  }

 private:
  int64_t count(int64_t n) const { return std::min<int64_t>(n, data_.images.size(0)); }

  // μ per channel and the mean per-pixel std, in chunks (a memory-mapped set is never all in memory).
  void measure_statistics() {
    torch::NoGradGuard no_grad;
    const int64_t n = data_.images.size(0);
    torch::Tensor sum, sumsq;
    for (int64_t s = 0; s < n; s += kStatsChunk) {
      auto x = data_.images.narrow(0, s, std::min(kStatsChunk, n - s)).to(torch::kDouble).div(255.0);
      sum = sum.defined() ? sum + x.sum(0) : x.sum(0);
      sumsq = sumsq.defined() ? sumsq + x.square().sum(0) : x.square().sum(0);
    }
    const auto mean = sum / static_cast<double>(n);  // [3,S,S]
    const auto var = (sumsq / static_cast<double>(n) - mean.square()).clamp_min(0.0);
    const auto m = mean.mean({1, 2});
    mean_ = {m[0].item<double>(), m[1].item<double>(), m[2].item<double>()};
    std_ = var.mean().sqrt().item<double>();
    if (!(std_ > 0)) std_ = 1e-3;  // a set of identical images: keep the prior's scale finite
  }

  torch::Device device_;
  std::string data_dir_;
  data::ImageFolderData data_;
  std::array<double, 3> mean_{0.5, 0.5, 0.5};
  double std_ = 0.2;
  bool streamed_ = false;
  torch::Tensor images_, labels_;  // on the device (not streamed)
  std::unique_ptr<BatchLoader> loader_;
};

}  // namespace

std::unique_ptr<TrainingSource> make_training_source(const TrainOptions& opt, const torch::Device& device,
                                                     uint64_t pool_seed) {
  if (opt.concept_name == "count" && !opt.folder_data()) return make_count_source(opt, device, pool_seed);
  if (!opt.folder_data()) return std::make_unique<CubesSource>(opt, device, pool_seed);
  return std::make_unique<FolderSource>(opt, device);
}

}  // namespace ebm::train
