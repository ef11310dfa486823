// The ways a denoising model's noise ladder is walked (LadderOptions): the predictor–corrector walk
// written as langevin_step()s, and on a Gaussian whose noised energies are known exactly, that the
// walk draws the data distribution.
#include "engine/sampling/sampler.h"
#include "test_energies.h"

#include <gtest/gtest.h>

#include <cmath>

namespace ebm {
namespace {

TEST(NoiseLadder, PredictorCorrectorStepsAreTheReverseDiffusionAsLangevinSteps) {
  LadderOptions o;
  o.levels = 3;
  o.steps_per_level = 2;
  o.r = 0.1;
  o.predictor = true;
  o.top_steps = 0;
  const auto s = predictor_corrector_schedule(1.0, 0.01, o);
  const double sg[3] = {1.0, 0.1, 0.01};
  // Level 0: its two corrector steps (nothing carried in: one entry), predictor. Then per level: the
  // first corrector step (with the carried noise), the other one, predictor.
  ASSERT_EQ(s.levels.size(), 8u);
  EXPECT_EQ(s.levels[0].steps, 2);
  EXPECT_NEAR(s.levels[0].noise_std * s.levels[0].noise_std, 2 * 0.1, 1e-12);
  EXPECT_EQ(s.levels[1].noise_std, 0.0);
  EXPECT_NEAR(s.levels[1].step_lr, 1.0 - 0.01, 1e-12);
  for (int k = 1; k < 3; ++k) {
    const int b = 2 + 3 * (k - 1);
    const auto &c0 = s.levels[b], &c1 = s.levels[b + 1], &pr = s.levels[b + 2];
    const double eps = 0.1 * sg[k] * sg[k];
    const double carried = sg[k - 1] * sg[k - 1] - sg[k] * sg[k];
    EXPECT_NEAR(c0.sigma, sg[k], 1e-12);
    EXPECT_NEAR(c0.step_lr, eps, 1e-12);
    // the previous predictor's noise is drawn here, in quadrature with the corrector's own
    EXPECT_NEAR(c0.noise_std * c0.noise_std, carried + 2 * eps, 1e-12) << "level " << k;
    EXPECT_NEAR(c1.noise_std * c1.noise_std, 2 * eps, 1e-12);
    // predictor: gradient at the current point (no noise first), a step of σ_k² − σ_{k+1}²
    const double next = k < 2 ? sg[k + 1] : 0.0;  // the last one is the Tweedie denoise
    EXPECT_EQ(pr.noise_std, 0.0);
    EXPECT_NEAR(pr.step_lr, sg[k] * sg[k] - next * next, 1e-12);
    EXPECT_NEAR(pr.sigma, sg[k], 1e-12);
  }
}

TEST(NoiseLadder, TopStepsComeFirstAndPredictorOnlyCarriesAllTheNoise) {
  LadderOptions o;
  o.levels = 2;
  o.steps_per_level = 0;
  o.predictor = true;
  o.top_steps = 7;
  o.r = 0.2;
  const auto s = predictor_corrector_schedule(0.5, 0.1, o);
  ASSERT_EQ(s.levels.size(), 3u);  // top (7 steps), predictor, predictor (its noise drawn first)
  EXPECT_EQ(s.levels[0].steps, 7);
  EXPECT_NEAR(s.levels[0].step_lr, 0.2 * 0.25, 1e-12);
  EXPECT_NEAR(s.levels[2].noise_std, std::sqrt(0.25 - 0.01), 1e-12);
  EXPECT_NEAR(s.levels[2].step_lr, 0.01, 1e-12);
  // Corrector-only with top steps: the geometric ladder after the top steps.
  o.predictor = false;
  o.steps_per_level = 3;
  const auto c = predictor_corrector_schedule(0.5, 0.1, o);
  SamplerParams p;
  p.schedule = c;
  EXPECT_EQ(p.total_steps(), 7 + 2 * 3);
  // Out-of-range options name themselves.
  o.steps_per_level = 0;
  EXPECT_THROW(predictor_corrector_schedule(0.5, 0.1, o), std::invalid_argument);
  o.steps_per_level = 1;
  o.r = 0;
  EXPECT_THROW(predictor_corrector_schedule(0.5, 0.1, o), std::invalid_argument);
}

// Data x ~ N(m, s²) per pixel: the σ-noised density has energy (x − m)² / (2(s² + σ²)), so every
// score along the ladder is exact and what the walk draws is down to the walk alone.
struct NoisedGaussian : EnergyModel {
  double m = 0.3, s = 0.1;
  ModelInfo inf;
  NoisedGaussian() {
    inf.image_size = test::kSize;
    inf.denoising = true;
    inf.sigma_min = 0.01;
    inf.sigma_max = 3.0;
    inf.data_mean = {0.3f, 0.3f, 0.3f};
  }
  torch::Tensor energy(const torch::Tensor& x, const torch::Tensor&, const torch::Tensor&, double sigma) override {
    return (x - m).pow(2).flatten(1).sum(1) / (2 * (s * s + sigma * sigma));
  }
  ModelInfo info() const override { return inf; }
};

double walk_std(const LadderOptions& o, double* mean) {
  auto model = std::make_shared<NoisedGaussian>();
  Sampler smp;
  smp.set_models({{"g", model}});
  smp.set_composition(Node::term("t", "g"));
  SamplerParams p;
  p.batch = 128;
  p.seed = 3;
  if (!apply_denoising_schedule(p, {model->info()}, o)) throw std::runtime_error("no schedule");
  smp.set_params(p);
  smp.start();
  for (int64_t i = 0; i < p.total_steps(); ++i) smp.step();
  *mean = smp.state().x.mean().item<double>();
  return smp.state().x.std().item<double>();
}

// The ladder's temperature scales the corrector steps' noise variance (their step sizes stay), in
// both walks; the predictor's moves keep theirs.
TEST(NoiseLadder, TheTemperatureScalesTheCorrectorNoiseVarianceOnly) {
  LadderOptions o;
  o.levels = 3;
  o.steps_per_level = 2;
  o.top_steps = 4;
  const auto warm = predictor_corrector_schedule(0.5, 0.1, o);
  o.temperature = 0.25;
  const auto cold = predictor_corrector_schedule(0.5, 0.1, o);
  ASSERT_EQ(warm.levels.size(), cold.levels.size());
  for (size_t i = 0; i < warm.levels.size(); ++i) {
    EXPECT_EQ(warm.levels[i].step_lr, cold.levels[i].step_lr);
    EXPECT_NEAR(cold.levels[i].noise_std, 0.5 * warm.levels[i].noise_std, 1e-12) << "level " << i;
  }
  // A predictor-only walk has no corrector steps: the temperature leaves it as it is.
  o.predictor = true;
  o.steps_per_level = 0;
  o.top_steps = 0;
  const auto pred_cold = predictor_corrector_schedule(0.5, 0.1, o);
  o.temperature = 1.0;
  EXPECT_TRUE(same_schedule(pred_cold, predictor_corrector_schedule(0.5, 0.1, o)));
  const auto g1 = geometric_schedule(0.5, 0.1, 3, 2, 0.01);
  const auto g2 = geometric_schedule(0.5, 0.1, 3, 2, 0.01, 0.5);
  for (size_t i = 0; i < g1.levels.size(); ++i)
    EXPECT_NEAR(g2.levels[i].noise_std * g2.levels[i].noise_std, 0.5 * g1.levels[i].noise_std * g1.levels[i].noise_std, 1e-12);
  o.temperature = 0;
  EXPECT_THROW(predictor_corrector_schedule(0.5, 0.1, o), std::invalid_argument);
}

// The top steps' own temperature scales their noise variance alone; the levels keep the ladder's
// temperature; 0 means the ladder's; out of range is refused.
TEST(NoiseLadder, TheTopTemperatureScalesOnlyTheTopStepsNoise) {
  LadderOptions o;
  o.levels = 3;
  o.steps_per_level = 2;
  o.top_steps = 4;
  o.temperature = 0.5;
  const auto plain = predictor_corrector_schedule(0.5, 0.1, o);
  o.top_temperature = 0.5;
  EXPECT_TRUE(same_schedule(plain, predictor_corrector_schedule(0.5, 0.1, o))) << "top T = T: the same walk";
  o.top_temperature = 2.0;
  const auto hot_top = predictor_corrector_schedule(0.5, 0.1, o);
  ASSERT_EQ(plain.levels.size(), hot_top.levels.size());
  ASSERT_EQ(hot_top.levels.front().steps, 4);
  EXPECT_NEAR(hot_top.levels.front().noise_std, 2.0 * plain.levels.front().noise_std, 1e-12);  // √(2.0 / 0.5)
  EXPECT_EQ(hot_top.levels.front().step_lr, plain.levels.front().step_lr);
  for (size_t i = 1; i < plain.levels.size(); ++i) {
    EXPECT_EQ(hot_top.levels[i].noise_std, plain.levels[i].noise_std) << "level " << i;
    EXPECT_EQ(hot_top.levels[i].step_lr, plain.levels[i].step_lr) << "level " << i;
  }
  o.top_temperature = 11;
  EXPECT_THROW(predictor_corrector_schedule(0.5, 0.1, o), std::invalid_argument);
  o.top_temperature = -1;
  EXPECT_THROW(predictor_corrector_schedule(0.5, 0.1, o), std::invalid_argument);
}

TEST(NoiseLadder, BothWalksDrawTheDataOfAGaussian) {
  double mean = 0;
  LadderOptions pc;
  pc.levels = 100;
  pc.steps_per_level = 1;
  pc.predictor = true;
  // The last step is the Tweedie denoise at σ_min = 0.01: std s·s²/(s² + σ_min²) = 0.099.
  EXPECT_NEAR(walk_std(pc, &mean), 0.099, 0.006);
  EXPECT_NEAR(mean, 0.3, 0.005);
  LadderOptions langevin;  // the default: corrector only, ending with noise at σ_min
  langevin.levels = 100;
  langevin.steps_per_level = 5;
  EXPECT_NEAR(walk_std(langevin, &mean), std::sqrt(0.01 + 0.0001), 0.01);
  EXPECT_NEAR(mean, 0.3, 0.005);
}

}  // namespace
}  // namespace ebm
