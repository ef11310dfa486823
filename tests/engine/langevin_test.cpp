#include "engine/sampling/langevin.h"
#include "engine/sampling/sampler.h"
#include "test_energies.h"

#include <gtest/gtest.h>

#include <cmath>

namespace ebm {
namespace {

SamplerParams quiet_params(int batch = 2) {
  SamplerParams p;
  p.batch = batch;
  p.noise_std = 0.0;
  p.step_lr = 0.1;
  p.steps = 10;
  p.init = InitMode::Uniform;
  return p;
}

// With E = 0.5·k·||x−c||² and no noise, x_{t+1} − c = (1 − η·k)(x_t − c): geometric convergence.
TEST(Langevin, QuadraticContractsAtTheExpectedRate) {
  Sampler s;
  s.set_models({{"q", test::quadratic(2.0)}});
  s.set_composition(Node::term("t", "q", {0.3f, 0.5f, 0.7f}));
  s.set_params(quiet_params());
  s.start();
  auto c = torch::tensor({0.3f, 0.5f, 0.7f}).view({1, 3, 1, 1});
  auto d0 = (s.state().x - c).clone();
  for (int i = 0; i < 5; ++i) s.step();
  auto d5 = s.state().x - c;
  EXPECT_TRUE(torch::allclose(d5, d0 * std::pow(1.0 - 0.1 * 2.0, 5), 1e-5, 1e-6));
  EXPECT_EQ(s.state().step, 5);
}

TEST(Langevin, NoiseComesBeforeTheGradientAndClampApplies) {
  // A linear energy has a constant gradient: x1 = clamp(x0 + n − η·w); with a huge η every pixel
  // with positive w goes to 0, negative to 1.
  auto w = torch::ones({3, test::kSize, test::kSize});
  w.slice(0, 1, 2).fill_(-1.0);
  Sampler s;
  s.set_models({{"lin", test::linear(w)}});
  s.set_composition(Node::term("t", "lin"));
  auto p = quiet_params();
  p.step_lr = 100.0;
  p.noise_std = 0.001;
  s.set_params(p);
  s.start();
  s.step();
  auto x = s.state().x;
  EXPECT_EQ(x.select(1, 0).max().item<float>(), 0.f);
  EXPECT_EQ(x.select(1, 1).min().item<float>(), 1.f);
}

TEST(Langevin, StepMatchesTheTrainerFunction) {
  // The sampler's step and langevin_step (used by the trainer) agree on the same noise.
  auto q = test::quadratic(1.0);
  auto label = torch::full({2, 3}, 0.5f);
  auto x = torch::rand({2, 3, test::kSize, test::kSize});
  auto noise = 0.01 * torch::randn_like(x);
  LangevinParams lp;
  lp.step_lr = 0.5;
  auto r = langevin_step(x, noise, [&](const torch::Tensor& xx) { return q->energy(xx, label, {}, 0.0); }, lp);
  auto expect = (x + noise - 0.5 * (x + noise - 0.5)).clamp(0, 1);
  EXPECT_TRUE(torch::allclose(r.x, expect, 1e-5, 1e-6));
  EXPECT_EQ(r.energy.sizes(), (std::vector<int64_t>{2}));
}

TEST(Langevin, ProjectionVariants) {
  auto g = torch::tensor({3.0f, -4.0f, 0.5f, 0.0f}).view({2, 2});
  LangevinParams p;
  p.proj = ProjNorm::Elementwise;
  p.proj_norm = 1.0;
  EXPECT_TRUE(torch::equal(project_gradient(g, p), torch::tensor({1.0f, -1.0f, 0.5f, 0.0f}).view({2, 2})));
  p.proj = ProjNorm::L2;  // whole tensor: norm sqrt(25.25)
  EXPECT_NEAR(project_gradient(g, p).norm().item<double>(), 1.0, 1e-5);
  p.proj = ProjNorm::L2PerSample;  // row 0 has norm 5 -> 1, row 1 has 0.5 -> unchanged
  auto r = project_gradient(g, p);
  EXPECT_NEAR(r[0].norm().item<double>(), 1.0, 1e-5);
  EXPECT_NEAR(r[1].norm().item<double>(), 0.5, 1e-6);
}

TEST(Langevin, InitModes) {
  Sampler s;
  s.set_models({{"q", test::quadratic()}});
  s.set_composition(Node::term("t", "q", {0.5f, 0.5f, 0.5f}));
  auto p = quiet_params(32);
  p.init = InitMode::GreyColour;
  s.set_params(p);
  s.start();
  auto x = s.state().x;
  EXPECT_GE(x.min().item<float>(), 0.f);
  EXPECT_LT(x.max().item<float>(), 1.f);
  // U/2 + colour/2: each image's channel mean is its colour/2 + 1/4, so images differ in colour.
  auto ch_mean = x.mean({2, 3});
  EXPECT_GT(ch_mean.std().item<float>(), 0.05f);
  p.init = InitMode::Gaussian;
  s.set_params(p);
  s.start();
  EXPECT_NEAR(s.state().x.mean().item<double>(), 0.5, 0.02);
  EXPECT_NEAR(s.state().x.std().item<double>(), 0.5, 0.02);
  // Noise: μ + σ₀·N with σ₀ the annealed schedule's first level (1 without a schedule); μ = 0.5 for
  // models that are not denoising models (the next test has the data-mean case).
  p.init = InitMode::Noise;
  s.set_params(p);
  s.start();
  EXPECT_NEAR(s.state().x.std().item<double>(), 1.0, 0.04);
  p.schedule = geometric_schedule(2.0, 0.1, 4, 1, 0.01);
  p.clamp = false;
  s.set_params(p);
  s.start();
  EXPECT_NEAR(s.state().x.mean().item<double>(), 0.5, 0.05);
  EXPECT_NEAR(s.state().x.std().item<double>(), 2.0, 0.08);
  p.schedule = {};
  p.clamp = true;
  p.init = InitMode::Image;
  p.init_image = torch::full({3, 4, 4}, 0.25f);
  s.set_params(p);
  s.start();
  EXPECT_TRUE(torch::allclose(s.state().x, torch::full({32, 3, test::kSize, test::kSize}, 0.25f)));
}

TEST(Langevin, AnnealedScheduleSwitchesLevels) {
  SamplerParams p;
  p.schedule.levels = {{2, 1.0, 10.0, 0.1}, {3, 0.5, 5.0, 0.05}};
  EXPECT_EQ(p.total_steps(), 5);
  EXPECT_EQ(p.at(0).level, 0);
  EXPECT_EQ(p.at(1).sigma, 1.0);
  EXPECT_EQ(p.at(2).level, 1);
  EXPECT_EQ(p.at(4).step_lr, 5.0);
  EXPECT_EQ(p.at(99).level, 1);  // past the end: stays on the last level
  auto g = geometric_schedule(1.0, 0.01, 3, 10, 1e-5);
  ASSERT_EQ(g.levels.size(), 3u);
  EXPECT_NEAR(g.levels[1].sigma, 0.1, 1e-12);
  EXPECT_NEAR(g.levels[2].step_lr, 1e-5, 1e-15);
}

TEST(Langevin, DenoisingModelSeesTheScheduleSigma) {
  std::vector<double> seen;
  ModelInfo info;
  info.image_size = test::kSize;
  info.denoising = true;
  struct SigmaModel : EnergyModel {
    std::vector<double>* seen;
    ModelInfo inf;
    torch::Tensor energy(const torch::Tensor& x, const torch::Tensor&, const torch::Tensor&, double sigma) override {
      seen->push_back(sigma);
      return x.flatten(1).sum(1) * 0.0 + x.flatten(1).sum(1) * 1e-9;
    }
    ModelInfo info() const override { return inf; }
  };
  auto m = std::make_shared<SigmaModel>();
  m->seen = &seen;
  m->inf = info;
  Sampler s;
  s.set_models({{"d", m}});
  s.set_composition(Node::term("t", "d"));
  SamplerParams p;
  p.batch = 1;
  p.schedule.levels = {{1, 0.9, 1.0, 0.0}, {2, 0.1, 1.0, 0.0}};
  s.set_params(p);
  s.start();
  for (int i = 0; i < 3; ++i) s.step();
  // σ reaches the model as a float32 device value (what a captured graph reads): equal to fp32 rounding.
  const std::vector<double> want{0.9, 0.1, 0.1};
  ASSERT_EQ(seen.size(), want.size());
  for (size_t i = 0; i < want.size(); ++i) EXPECT_NEAR(seen[i], want[i], 1e-7) << "step " << i;
}

// A composition of denoising models gets their ladder, no clamp and the `noise` start, which is
// centred on their training images' mean (per channel, averaged over the terms' models) — not 0.5.
TEST(Langevin, DenoisingScheduleStartsAtTheModelsDataMean) {
  auto model = [](std::vector<float> mean) {
    ModelInfo info;
    info.image_size = test::kSize;
    info.label_size = 0;
    info.denoising = true;
    info.sigma_min = 0.05;
    info.sigma_max = 0.5;
    info.data_mean = std::move(mean);
    return std::make_shared<FunctionModel>(
        [](const torch::Tensor& x, const torch::Tensor&) { return 1e-9 * x.flatten(1).sum(1); }, info);
  };
  ModelSet models{{"a", model({0.2f, 0.3f, 0.4f})}, {"b", model({0.4f, 0.3f, 0.2f})}};
  SamplerParams p;
  p.batch = 256;
  std::vector<ModelInfo> infos{models["a"]->info(), models["b"]->info()};
  ASSERT_TRUE(apply_denoising_schedule(p, infos));
  EXPECT_EQ(p.schedule.levels.size(), 41u);  // the top steps at σ_max, then 40 levels
  EXPECT_DOUBLE_EQ(p.schedule.levels.front().sigma, 0.5);
  EXPECT_FALSE(p.clamp);
  EXPECT_EQ(p.init, InitMode::Noise);
  // A schedule already there is the recipe's own: left alone.
  EXPECT_FALSE(apply_denoising_schedule(p, infos));
  SamplerParams plain;
  ModelInfo not_denoising;
  EXPECT_FALSE(apply_denoising_schedule(plain, {not_denoising}));
  EXPECT_TRUE(plain.clamp);
  EXPECT_FALSE(plain.schedule.annealed());

  Sampler s;
  s.set_models(models);
  s.set_composition(Node::op(NodeKind::And, {Node::term("ta", "a"), Node::term("tb", "b")}));
  s.set_params(p);
  s.start();
  const auto ch_mean = s.state().x.mean({0, 2, 3});
  EXPECT_NEAR(ch_mean[0].item<double>(), 0.3, 0.01);
  EXPECT_NEAR(ch_mean[1].item<double>(), 0.3, 0.01);
  EXPECT_NEAR(ch_mean[2].item<double>(), 0.3, 0.01);
  EXPECT_NEAR(s.state().x.std().item<double>(), 0.5, 0.01);
  // One term alone: its own mean.
  s.set_composition(Node::term("ta", "a"));
  s.start();
  EXPECT_NEAR(s.state().x.mean({0, 2, 3})[0].item<double>(), 0.2, 0.01);
  EXPECT_NEAR(s.state().x.mean({0, 2, 3})[2].item<double>(), 0.4, 0.01);
}

}  // namespace
}  // namespace ebm
