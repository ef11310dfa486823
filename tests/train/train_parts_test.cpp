// Unit tests of the trainer's parts: the original's clipped Adam, the CD loss and replay mixing,
// the DSM loss on a Gaussian toy problem, the σ draw and the annealed sampler.
#include "engine/train/annealed_sampler.h"
#include "engine/train/cd_objective.h"
#include "engine/train/clip_adam.h"
#include "engine/train/collapse_guard.h"
#include "models/denoising_energy.h"
#include "engine/train/dsm_loss.h"

#include <ATen/CPUGeneratorImpl.h>
#include <gtest/gtest.h>

#include <cmath>

namespace ebm::train {
namespace {

TEST(ClipAdam, MatchesAHandComputationOfTheOriginalClip) {
  // Two steps on a 3-element parameter with β1 = 0, β2 = 0.99, lr = 0.1, computed by hand.
  auto p = torch::tensor({1.0f, -2.0f, 0.5f}).requires_grad_(true);
  ClipAdamOptions o;
  o.lr = 0.1;
  ClipAdam adam({p}, o);
  const double b2 = 0.99, eps = 1e-8;
  double pv[3] = {1.0, -2.0, 0.5}, v[3] = {0, 0, 0};
  const double g1[3] = {0.05, -3.0, 0.2}, g2[3] = {0.3, -0.05, 10.0};
  const double* grads[2] = {g1, g2};
  for (int t = 1; t <= 2; ++t) {
    p.mutable_grad() = torch::tensor({static_cast<float>(grads[t - 1][0]), static_cast<float>(grads[t - 1][1]),
                                      static_cast<float>(grads[t - 1][2])});
    adam.step();
    const double b2t = std::pow(b2, t);
    for (int i = 0; i < 3; ++i) {
      const double bound = 3 * std::sqrt(v[i] / (1 - b2t)) + 0.1;  // previous v, current power
      const double g = std::max(-bound, std::min(bound, grads[t - 1][i]));
      v[i] = b2 * v[i] + (1 - b2) * g * g;
      const double m = g;  // β1 = 0
      pv[i] -= 0.1 * std::sqrt(1 - b2t) / 1.0 * m / (std::sqrt(v[i]) + eps);
    }
    for (int i = 0; i < 3; ++i) EXPECT_NEAR(p[i].item<double>(), pv[i], 1e-5) << "step " << t << " element " << i;
  }
  // Step 1 clipped -3.0 to -0.1 (v = 0 ⇒ bound 0.1): |g| ≤ 0.1 in the second moment.
  EXPECT_NEAR(adam.v()[1].item<double>(), b2 * (0.01 * 0.01) + 0.01 * 0.05 * 0.05, 1e-9);
  EXPECT_EQ(adam.steps(), 2);
}

TEST(ClipAdam, StateRoundTripsAndRejectsAnotherModel) {
  auto p = torch::ones({4}).requires_grad_(true);
  ClipAdam a({p}, {});
  p.mutable_grad() = torch::full({4}, 0.5f);
  a.step();
  auto q = torch::ones({4}).requires_grad_(true);
  ClipAdam b({q}, {});
  b.load_state(a.state());
  EXPECT_TRUE(torch::equal(a.v(), b.v()));
  EXPECT_EQ(b.steps(), 1);
  auto r = torch::ones({5}).requires_grad_(true);
  ClipAdam c({r}, {});
  EXPECT_THROW(c.load_state(a.state()), std::invalid_argument);
}

TEST(CdLoss, ValueAndGradientSignOnAToyEnergy) {
  // E(x) = θ·x. Data at x = 1, samples at x = −1: descending the loss must lower E(data) relative
  // to E(samples), i.e. decrease θ (E+ − E− = 2θ).
  auto theta = torch::tensor(0.3f).requires_grad_(true);
  auto e_pos = theta * torch::ones({4});
  auto e_neg = theta * -torch::ones({4});
  auto l = cd_loss(e_pos, e_neg, 1.0, 1.0);
  EXPECT_NEAR(l.loss.item<double>(), (0.3 + 0.3) + (0.09 + 0.09), 1e-6);
  l.loss.backward();
  // d/dθ [2θ + 2θ²] = 2 + 4θ > 0, so gradient descent lowers θ.
  EXPECT_NEAR(theta.grad().item<double>(), 2 + 4 * 0.3, 1e-5);
  EXPECT_NEAR(l.e_pos.item<double>(), 0.3, 1e-6);
  EXPECT_NEAR(l.e_neg.item<double>(), -0.3, 1e-6);
}

TEST(Replay, MixesNinetyFivePercentReplayedStarts) {
  auto gen = at::detail::createCPUGenerator(1);
  auto fresh = torch::zeros({20000, 1, 1, 1});
  auto replayed = torch::ones({20000, 1, 1, 1});
  auto [mixed, mask] = mix_replay(fresh, replayed, 0.05, gen);
  const double frac = mixed.mean().item<double>();
  EXPECT_NEAR(frac, 0.95, 0.006);
  EXPECT_NEAR(mask.to(torch::kFloat).mean().item<double>(), frac, 1e-9);
  // keep_ratio 1 never replays, 0 always does.
  EXPECT_EQ(mix_replay(fresh, replayed, 1.0, gen).first.sum().item<double>(), 0.0);
  EXPECT_EQ(mix_replay(fresh, replayed, 0.0, gen).first.sum().item<double>(), 20000.0);
}

// Data x0 ~ N(μ, s²I) in D = 8 dimensions, noised by σ ~ U(0.1, 1): N(μ, (s² + σ²)I), whose energy is
// ½‖x−μ‖²/(s²+σ²). energy(m, k) is that energy with mean m and variance scaled by k (the truth: m = μ, k = 1).
struct GaussianToy {
  double mu, s;
  torch::Tensor x0, eps, sigma;
  GaussianToy(uint64_t seed, double mu_, double s_) : mu(mu_), s(s_) {
    torch::manual_seed(seed);
    x0 = mu + s * torch::randn({4096, 8});
    eps = torch::randn({4096, 8});
    sigma = torch::rand({4096}) * 0.9 + 0.1;
  }
  SigmaEnergyFn energy(double mean, double var_scale) const {
    const double sd = s;
    return [=](const torch::Tensor& x, const torch::Tensor& sg) {
      return 0.5 * (x - mean).square().sum(1) / ((sd * sd + sg * sg) * var_scale);
    };
  }
  double loss(const SigmaEnergyFn& e, const torch::Tensor& w = {}) const {
    return dsm_loss(e, x0, sigma, eps, w).loss.item<double>();
  }
};

TEST(DsmLoss, IsMinimisedByTheTrueScoreOfAGaussian) {
  const GaussianToy g(0, 0.3, 0.2);
  const double best = g.loss(g.energy(g.mu, 1.0));
  for (double m : {g.mu - 0.05, g.mu + 0.05}) EXPECT_GT(g.loss(g.energy(m, 1.0)), best) << "mean " << m;
  for (double k : {0.8, 1.25}) EXPECT_GT(g.loss(g.energy(g.mu, k)), best) << "variance x" << k;
  // At the optimum the loss is the irreducible part E[s²/(s²+σ²)], not zero.
  const double expect = (g.s * g.s / (g.s * g.s + g.sigma.square())).mean().item<double>();
  EXPECT_NEAR(best, expect, 0.03);
}

// The edm weighting reweights σ but keeps the minimiser: the true score is still the best energy,
// the weighted loss is mean(w·per_sample), and per_sample stays unweighted.
TEST(DsmLoss, EdmWeightingKeepsTheTrueScoreBestAndWeightsLargeSigmaUp) {
  const GaussianToy g(2, 0.3, 0.1);
  const auto w = edm_weight(g.sigma, g.s);
  EXPECT_NEAR(edm_weight(torch::tensor({1.0f}), 0.1).item<double>(), 101.0, 1e-3);
  const auto best = dsm_loss(g.energy(g.mu, 1.0), g.x0, g.sigma, g.eps, w);
  const double b = best.loss.item<double>();
  EXPECT_NEAR(b, (best.per_sample * w).mean().item<double>(), 1e-5 * b);
  EXPECT_NEAR(best.per_sample.mean().item<double>(), g.loss(g.energy(g.mu, 1.0)), 1e-6);
  for (double k : {0.8, 1.25}) EXPECT_GT(g.loss(g.energy(g.mu, k), w), b);
  EXPECT_THROW(dsm_loss(g.energy(g.mu, 1.0), g.x0, g.sigma, g.eps, torch::ones({3})), std::invalid_argument);
}

// The logged prior_loss is dsm_loss of the Gaussian prior energy, computed in closed form.
TEST(DsmLoss, GaussianPriorLossMatchesTheLossOfThePriorEnergy) {
  torch::manual_seed(1);
  const std::array<double, 3> mean{0.37, 0.38, 0.41};
  const double sd = 0.105;
  auto x0 = torch::rand({6, 3, 8, 8});
  auto eps = torch::randn({6, 3, 8, 8});
  auto sigma = torch::tensor({0.01f, 0.05f, 0.1f, 0.3f, 0.6f, 1.0f});
  auto mu = torch::tensor({mean[0], mean[1], mean[2]}, torch::kFloat).view({1, 3, 1, 1});
  auto prior = [&](const torch::Tensor& x, const torch::Tensor& sg) {
    return 0.5 * (x - mu).square().flatten(1).sum(1) / (sg.square() + sd * sd);
  };
  const double want = dsm_loss(prior, x0, sigma, eps).loss.item<double>();
  EXPECT_NEAR(gaussian_prior_dsm_loss(x0, sigma, eps, mu, sd).item<double>(), want, 1e-5 * want);
}

TEST(DsmLoss, GradientReachesTheEnergyParameters) {
  auto w = torch::tensor(1.0f).requires_grad_(true);
  auto x0 = torch::zeros({8, 3});
  auto l = dsm_loss([&](const torch::Tensor& x, const torch::Tensor&) { return 0.5 * w * x.square().sum(1); }, x0,
                    torch::full({8}, 0.5f), torch::ones({8, 3}));
  l.loss.backward();
  ASSERT_TRUE(w.grad().defined());
  // σ·∇E − ε = 0.5·w·0.5 − 1 < 0 ⇒ raising w lowers the loss.
  EXPECT_LT(w.grad().item<double>(), 0);
}

TEST(SigmaDraw, StaysInRangeAroundTheMedian) {
  auto gen = at::detail::createCPUGenerator(2);
  auto s = sample_sigmas(20000, 0.2, 1.0, 0.01, 1.0, gen, torch::TensorOptions());
  EXPECT_GE(s.min().item<double>(), 0.01);
  EXPECT_LE(s.max().item<double>(), 1.0);
  EXPECT_NEAR(s.median().item<double>(), 0.2, 0.02);
  const double mid = ((s > 0.07) & (s < 0.55)).to(torch::kFloat).mean().item<double>();
  EXPECT_GT(mid, 0.6);
}

TEST(AnnealedSampler, DrawsFromAGaussianGivenItsExactEnergy) {
  // With the exact noised energy of N(μ, s²), samples must have mean μ and std ≈ s.
  const double mu = 0.6, s = 0.1;
  SigmaEnergyFn e = [=](const torch::Tensor& x, const torch::Tensor& sg) {
    auto var = s * s + sg.view({-1, 1, 1, 1}).square();
    return (0.5 * (x - mu).square() / var).sum({1, 2, 3});
  };
  auto gen = at::detail::createCPUGenerator(3);
  AnnealedOptions o;
  o.sigma_max = 1.0;
  o.sigma_min = 0.01;
  o.levels = 30;
  auto x0 = mu + std::sqrt(1.0 + s * s) * torch::randn({256, 1, 4, 4}, gen, torch::TensorOptions());
  auto x = sample_annealed(e, x0, o, gen);
  EXPECT_NEAR(x.mean().item<double>(), mu, 0.01);
  EXPECT_NEAR(x.std().item<double>(), s, 0.02);
}

}  // namespace
}  // namespace ebm::train

namespace ebm::train {
namespace {

// The H200 collapse (MODEL_CARD.md): loss ~0.013 then 0.34 for good. A jump must be confirmed by
// three intervals in a row; a one-interval spike is noise; the first intervals only settle.
TEST(CollapseGuard, ConfirmsASustainedJumpButNotASpike) {
  using S = CollapseGuard::State;
  CollapseGuard g;
  for (double l : {0.30, 0.08, 0.03, 0.02, 0.015}) EXPECT_EQ(g.observe(l), S::Ok);  // warm-up and settling
  EXPECT_EQ(g.observe(0.013), S::Ok);
  EXPECT_EQ(g.observe(0.20), S::Suspect);  // a spike of 15x ...
  EXPECT_EQ(g.observe(0.014), S::Ok);      // ... that comes back
  EXPECT_DOUBLE_EQ(g.best(), 0.013);
  EXPECT_EQ(g.observe(0.34), S::Suspect);
  EXPECT_EQ(g.observe(0.35), S::Suspect);
  EXPECT_EQ(g.observe(0.33), S::Collapsed);
  EXPECT_EQ(g.state(), S::Collapsed);
}

TEST(CollapseGuard, HighLossesWhileSettlingAreNotAJump) {
  CollapseGuard g(10.0, 3, 5);
  EXPECT_EQ(g.observe(0.001), CollapseGuard::State::Ok);  // a lucky first interval
  for (int i = 0; i < 4; ++i) EXPECT_EQ(g.observe(0.3), CollapseGuard::State::Ok);
  EXPECT_EQ(g.observe(0.3), CollapseGuard::State::Suspect);  // judged from the sixth interval on
}

}  // namespace
}  // namespace ebm::train

// The model file's "denoising" metadata carries the recommended guidance interval; a file without
// one (every file written before it existed) guides at every σ.
TEST(DenoisingSettings, GuidanceIntervalRoundTripsThroughTheMetadata) {
  ebm::DenoisingSettings s;
  s.guidance = 6.0;
  s.guidance_interval = ebm::GuidanceInterval{0.3, std::numeric_limits<double>::infinity()};
  const nlohmann::json j = s;
  EXPECT_EQ(j.at("guidance_interval").dump(), "[0.3,null]");
  const auto back = j.get<ebm::DenoisingSettings>();
  EXPECT_EQ(back.guidance_interval, s.guidance_interval);
  nlohmann::json old = j;
  old.erase("guidance_interval");
  EXPECT_TRUE(old.get<ebm::DenoisingSettings>().guidance_interval.everywhere());
  const nlohmann::json everywhere = ebm::DenoisingSettings{};
  EXPECT_FALSE(everywhere.contains("guidance_interval"));  // the default is not written
  old["guidance_interval"] = nlohmann::json::array({0.4, 0.1});
  try {
    old.get<ebm::DenoisingSettings>();
    FAIL() << "an interval with hi < lo was accepted";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("guidance_interval"), std::string::npos) << e.what();
  }
}
