#include "engine/train/classifier_training.h"

#include "engine/data/cubes_renderer.h"
#include "engine/train/device.h"
#include "engine/train/progress.h"

#include <ATen/CPUGeneratorImpl.h>

#include <chrono>

namespace ebm::train {

namespace {
constexpr double kSizeWeight = 10.0;   // sizes span 0.4: weigh their MSE up to matter next to position
constexpr double kSafetyS = 10.0;      // margin under the time limit for evaluation and saving
constexpr int64_t kEvalChunk = 256;    // held-out renders per chunk
}  // namespace

void ClassifierTrainOptions::validate() const {
  auto req = [](bool ok, const std::string& m) {
    if (!ok) throw std::invalid_argument("train-classifier: " + m);
  };
  req(!out.empty(), "--out FILE is required");
  req(iters >= 1 && iters <= 10000000, "--iters must be in [1, 1e7]");
  req(batch >= 2 && batch <= 4096, "--batch must be in [2, 4096]");
  req(lr > 0 && lr < 1, "--lr must be in (0, 1)");
  req(num_filters >= 4 && num_filters <= 512, "--filters must be in [4, 512]");
  req(noise_max >= 0 && noise_max <= 1, "--noise-max must be in [0, 1]");
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
  CubesClassifier net(ClassifierConfig{opt.num_filters});
  net->to(dev);
  net->train();
  torch::optim::Adam adam(net->parameters(), torch::optim::AdamOptions(opt.lr));
  Progress progress(opt.progress_bar, Progress::stderr_is_tty(), opt.iters);

  ClassifierTrainResult res;
  torch::Tensor acc;
  int64_t acc_n = 0;
  double iter_s = 0;
  for (int64_t it = 0; it < opt.iters; ++it) {
    if (stop && stop->load()) break;
    if (opt.time_limit_min > 0 && since() + 2 * iter_s + kSafetyS > opt.time_limit_min * 60) break;
    const auto t0 = Clock::now();
    if (it == opt.iters * 3 / 4)
      for (auto& g : adam.param_groups()) static_cast<torch::optim::AdamOptions&>(g.options()).lr(opt.lr * 0.1);
    auto scenes = data::sample_scenes(opt.batch, scene_gen).to(dev);
    torch::Tensor x;
    {
      torch::NoGradGuard no_grad;
      x = renderer.render(scenes);
      auto std = torch::rand({opt.batch, 1, 1, 1}, x.options()) * opt.noise_max;
      x = (x + std * torch::randn_like(x)).clamp(0, 1);
    }
    auto p = net->forward(x);
    auto loss = torch::mse_loss(p.pos, scenes.first.pos) + kSizeWeight * torch::mse_loss(p.size, scenes.first.size) +
                torch::cross_entropy_loss(p.shape_logits, scenes.first.shape) +
                torch::cross_entropy_loss(p.color_logits, scenes.first.color);
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

  // Held-out renders from a seed the training stream never uses.
  auto eval_gen = at::detail::createCPUGenerator(opt.seed * 2 + 2);
  auto scenes = data::sample_scenes(opt.heldout, eval_gen);
  std::vector<torch::Tensor> imgs;
  {
    torch::NoGradGuard no_grad;
    for (int64_t s = 0; s < opt.heldout; s += kEvalChunk) {
      const int64_t n = std::min(kEvalChunk, opt.heldout - s);
      imgs.push_back(renderer.render(scenes.index(torch::arange(s, s + n, torch::kLong)).to(dev)));
    }
  }
  res.heldout = evaluate_classifier(*net, scenes.to(dev), torch::cat(imgs));
  nlohmann::json info = res.heldout;
  info["iterations"] = res.iterations;
  info["seed"] = opt.seed;
  net->to(torch::kCPU);
  save_classifier(opt.out, *net, info);
  res.seconds = since();
  return res;
}

}  // namespace ebm::train
