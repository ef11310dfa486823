#include "engine/train/classifier_training.h"

#include "engine/data/cubes_renderer.h"
#include "engine/data/pair_visibility.h"
#include "engine/train/device.h"
#include "engine/train/progress.h"

#include <ATen/CPUGeneratorImpl.h>

#include <chrono>
#include <cmath>

namespace ebm::train {

namespace {
constexpr double kSizeWeight = 10.0;   // sizes span 0.4: weigh their MSE up to matter next to position
constexpr double kSafetyS = 10.0;      // margin under the time limit for evaluation and saving
constexpr int64_t kEvalChunk = 256;    // held-out renders per chunk
constexpr int64_t kWarmupIters = 200;  // linear warm-up of the learning rate
constexpr double kFinalLrFraction = 0.05;

// Gaussian pixel noise of std U(0, noise_max) per image, clamped to [0, 1].
torch::Tensor add_pixel_noise(const torch::Tensor& x, double noise_max) {
  auto std = torch::rand({x.size(0), 1, 1, 1}, x.options()) * noise_max;
  return (x + std * torch::randn_like(x)).clamp(0, 1);
}

// One training batch: scenes with one object first (their attributes are the labels), then two-object
// scenes, then empty floors; `count` holds each image's object count (0, 1, 2).
struct ClassifierBatch {
  data::CubesScenes one;
  torch::Tensor images, count;
};

ClassifierBatch render_batch(const ClassifierTrainOptions& opt, bool counting, const data::CubesRenderer& renderer,
                             torch::Generator& gen, const torch::Device& dev) {
  const int64_t n0 = counting ? static_cast<int64_t>(opt.batch * opt.empty_fraction) : 0;
  const int64_t n2 = counting ? static_cast<int64_t>(opt.batch * opt.two_fraction) : 0;
  const int64_t n1 = opt.batch - n0 - n2;
  ClassifierBatch b;
  b.one = data::sample_scenes(n1, gen).to(dev);
  std::vector<torch::Tensor> imgs{renderer.render(b.one)};
  std::vector<int64_t> counts(static_cast<size_t>(n1), 1);
  if (n2 > 0) {
    data::SceneSampling two;
    two.num_objects = 2;
    imgs.push_back(renderer.render(data::sample_scenes(n2, gen, two).to(dev)));
    counts.insert(counts.end(), static_cast<size_t>(n2), 2);
  }
  if (n0 > 0) {
    imgs.push_back(renderer.render_floor(n0, dev));
    counts.insert(counts.end(), static_cast<size_t>(n0), 0);
  }
  b.images = add_pixel_noise(torch::cat(imgs), opt.noise_max);
  b.count = torch::tensor(counts, torch::kLong).to(dev);
  return b;
}
}  // namespace

void ClassifierTrainOptions::validate() const {
  auto req = [](bool ok, const std::string& m) {
    if (!ok) throw std::invalid_argument("train-classifier: " + m);
  };
  req(!out.empty(), "--out FILE is required");
  req(iters >= 0 && iters <= 10000000, "--iters must be in [0, 1e7]");
  req(iters > 0 || !init_from.empty(),
      "--iters 0 trains nothing: it re-measures a saved grader's held-out figures, so it needs --init-from FILE");
  req(batch >= 2 && batch <= 4096, "--batch must be in [2, 4096]");
  req(lr > 0 && lr < 1, "--lr must be in (0, 1)");
  req(num_filters >= 4 && num_filters <= 512, "--filters must be in [4, 512]");
  req(noise_max >= 0 && noise_max <= 1, "--noise-max must be in [0, 1]");
  req(empty_fraction >= 0 && two_fraction >= 0 && empty_fraction + two_fraction <= 0.9,
      "--empty-fraction and --two-fraction must be >= 0 and leave at least 10 % of each batch one-object scenes");
  req(static_cast<int64_t>(batch * (1.0 - empty_fraction - two_fraction)) >= 2,
      "--batch is too small to hold two one-object scenes after the empty and two-object shares");
  req(heldout >= 1 && heldout <= 100000, "--heldout must be in [1, 1e5]");
  req(time_limit_min >= 0, "--time-limit must be >= 0");
  req(log_every >= 1, "--log-every must be >= 1");
}

ClassifierTrainResult train_classifier(const ClassifierTrainOptions& opt, const std::atomic<bool>* stop) {
  opt.validate();
  using Clock = std::chrono::steady_clock;
  const auto start = Clock::now();
  auto since = [&] { return std::chrono::duration<double>(Clock::now() - start).count(); };
  const auto dev = resolve_device(opt.device);
  torch::manual_seed(opt.seed);
  auto scene_gen = at::detail::createCPUGenerator(opt.seed * 2 + 1);
  data::CubesRenderer renderer;
  nlohmann::json init_info;
  CubesClassifier net = opt.init_from.empty() ? CubesClassifier(ClassifierConfig{opt.num_filters, opt.layout})
                                              : load_classifier(opt.init_from, &init_info);
  const int64_t iterations_before = init_info.is_object() ? init_info.value("iterations", int64_t{0}) : 0;
  net->to(dev);
  net->train();
  torch::optim::Adam adam(net->parameters(), torch::optim::AdamOptions(opt.lr));
  Progress progress(opt.progress_bar, Progress::stderr_is_tty(), opt.iters);
  const double limit_s = opt.time_limit_min > 0 ? opt.time_limit_min * 60 - kSafetyS : 0;

  ClassifierTrainResult res;
  torch::Tensor acc;
  int64_t acc_n = 0;
  double iter_s = 0;
  for (int64_t it = 0; it < opt.iters; ++it) {
    if (stop && stop->load()) break;
    if (limit_s > 0 && since() + 2 * iter_s > limit_s) break;
    const auto t0 = Clock::now();
    // Where the run stands, by iterations or by time, whichever is further along.
    const double progress_frac =
        std::min(1.0, std::max(static_cast<double>(it) / opt.iters, limit_s > 0 ? since() / limit_s : 0.0));
    const double warm = std::min(1.0, static_cast<double>(it + 1) / kWarmupIters);
    const double cosine = kFinalLrFraction + (1 - kFinalLrFraction) * 0.5 * (1 + std::cos(M_PI * progress_frac));
    for (auto& g : adam.param_groups())
      static_cast<torch::optim::AdamOptions&>(g.options()).lr(opt.lr * warm * cosine);
    ClassifierBatch b;
    {
      torch::NoGradGuard no_grad;
      b = render_batch(opt, net->config().has_count_head(), renderer, scene_gen, dev);
    }
    auto p = net->forward(b.images);
    const int64_t n1 = b.one.batch();
    const auto& o = b.one.first;
    auto loss = torch::mse_loss(p.pos.narrow(0, 0, n1), o.pos) +
                kSizeWeight * torch::mse_loss(p.size.narrow(0, 0, n1), o.size) +
                torch::cross_entropy_loss(p.shape_logits.narrow(0, 0, n1), o.shape) +
                torch::cross_entropy_loss(p.color_logits.narrow(0, 0, n1), o.color);
    if (p.has_count()) loss = loss + torch::cross_entropy_loss(p.count_logits, b.count);
    adam.zero_grad();
    loss.backward();
    adam.step();
    acc = acc.defined() ? acc + loss.detach() : loss.detach();
    ++acc_n;
    res.iterations = it + 1;
    iter_s = std::chrono::duration<double>(Clock::now() - t0).count();
    if (res.iterations % opt.log_every == 0 || res.iterations == opt.iters) {
      const double l = acc.item<double>() / acc_n;
      res.losses.push_back(l);
      progress.stats(res.iterations, {{"loss", l}}, res.iterations / since());
      acc = torch::Tensor();
      acc_n = 0;
    }
    progress.tick(res.iterations, res.iterations / since());
  }
  progress.finish();

  // Held-out renders from a seed the training stream never uses, with the same pixel noise as
  // training: one-object scenes for the attributes, empty floors and two-object scenes for the count.
  auto eval_gen = at::detail::createCPUGenerator(opt.seed * 2 + 2);
  torch::manual_seed(opt.seed * 2 + 2);
  auto scenes = data::sample_scenes(opt.heldout, eval_gen);
  std::vector<torch::Tensor> imgs, twos, countable;
  torch::Tensor empty;
  {
    torch::NoGradGuard no_grad;
    for (int64_t s = 0; s < opt.heldout; s += kEvalChunk) {
      const int64_t n = std::min(kEvalChunk, opt.heldout - s);
      imgs.push_back(add_pixel_noise(renderer.render(scenes.index(torch::arange(s, s + n, torch::kLong)).to(dev)),
                                     opt.noise_max));
    }
    if (net->config().has_count_head()) {
      // As many empty floors and two-object scenes as one-object ones: the bound on reading them
      // (99.5 %) needs about a thousand renders to be told from 99 %.
      const int64_t n_count = opt.heldout;
      data::SceneSampling two;
      two.num_objects = 2;
      for (int64_t s = 0; s < n_count; s += kEvalChunk) {
        const int64_t n = std::min(kEvalChunk, n_count - s);
        const auto pairs = data::sample_scenes(n, eval_gen, two).to(dev);
        twos.push_back(add_pixel_noise(renderer.render(pairs), opt.noise_max));
        countable.push_back(data::least_visible_share(renderer, pairs) >= data::kCountableVisibleShare);
      }
      empty = add_pixel_noise(renderer.render_floor(n_count, dev), opt.noise_max);
    }
  }
  res.heldout = evaluate_classifier(*net, scenes.to(dev), torch::cat(imgs), empty,
                                    twos.empty() ? torch::Tensor() : torch::cat(twos),
                                    countable.empty() ? torch::Tensor() : torch::cat(countable));
  nlohmann::json info = res.heldout;
  info["iterations"] = iterations_before + res.iterations;
  if (!opt.init_from.empty()) {
    info["init_from"] = opt.init_from;
    info["iterations_this_run"] = res.iterations;
  }
  info["seed"] = opt.seed;
  info["noise_max"] = opt.noise_max;
  net->to(torch::kCPU);
  save_classifier(opt.out, *net, info);
  res.seconds = since();
  return res;
}

}  // namespace ebm::train
