// The MALA and HMC step rules (Metropolis-adjusted Langevin, Hamiltonian Monte Carlo;
// SamplerParams::step_rule). MALA: on a Gaussian energy
// whose exact answer is known it samples exp(−E/T) where the original's unadjusted step at the same
// step size is measurably biased; per-sample determinism as the Langevin rule has; a clamped chain
// stays in its box; noiseless steps are plain gradient steps; a split chain draws the one-device
// chain; the recipe carries the rule and refuses what it cannot sample. HMC: the same Gaussian
// exactly, and one leapfrog step is MALA.
#include "engine/energy/network_model.h"
#include "engine/recipe/recipe.h"
#include "engine/sampling/sampler.h"
#include "engine/sampling/sharded_sampler.h"
#include "models/registry.h"
#include "test_energies.h"

#include <gtest/gtest.h>

#include <cmath>

namespace ebm {
namespace {

// E(x) = ½‖x − 0.5‖² over one channel of 8×8 pixels (64 dimensions per sample).
std::unique_ptr<Sampler> gaussian_chain(StepRule rule, double step, double noise, std::int64_t batch = 64,
                                        std::int64_t offset = 0, int leapfrogs = 3) {
  auto s = std::make_unique<Sampler>();
  s->set_models({{"q", test::quadratic(1.0, 1)}});
  s->set_composition(Node::term("q", "q", {0.5f}));
  SamplerParams p;
  p.batch = batch;
  p.sample_offset = offset;
  p.steps = 100000;
  p.step_lr = step;
  p.noise_std = noise;
  p.clamp = false;
  p.init = InitMode::Gaussian;  // variance 0.25: the chain has to widen to reach the target
  p.step_rule = rule;
  p.leapfrog_steps = leapfrogs;
  p.seed = 3;
  s->set_params(p);
  s->start();
  return s;
}

struct ChainMoments {
  double variance = 0;   // mean over the measured steps of the population variance around 0.5
  double acceptance = -1;
};

ChainMoments run(Sampler& s, int burn_in, int measured) {
  torch::NoGradGuard ng;
  ChainMoments m;
  double acc = 0;
  int tests = 0;
  for (int i = 0; i < burn_in + measured; ++i) {
    const StepStats st = s.step();
    if (i < burn_in) continue;
    m.variance += (s.state().x - 0.5).square().mean().item<double>() / measured;
    if (st.accepted.defined()) acc += st.accepted.mean().item<double>(), ++tests;
  }
  if (tests > 0) m.acceptance = acc / tests;
  return m;
}

// Step 0.3 with noise √(2·0.3): T = 1, so the target is N(0.5, 1) in every pixel. The original's
// step (noise, then the gradient at the noised point) has the stationary variance
// (1−s)²n²/(1−(1−s)²) = 0.576 there: 42 % short. MALA's accept test removes the bias.
TEST(Mala, SamplesTheGaussianExactlyWhereTheUnadjustedStepIsBiased) {
  const double step = 0.3, noise = std::sqrt(2 * step);
  auto mala = gaussian_chain(StepRule::Mala, step, noise);
  auto ula = gaussian_chain(StepRule::Langevin, step, noise);
  const ChainMoments m = run(*mala, 150, 300);
  const ChainMoments u = run(*ula, 150, 300);
  std::cout << "variance (target 1): mala " << m.variance << " (acceptance " << m.acceptance << "), langevin "
            << u.variance << " (theory 0.576)\n";
  EXPECT_NEAR(m.variance, 1.0, 0.06);
  EXPECT_NEAR(u.variance, 0.576, 0.04);
  EXPECT_GT(m.acceptance, 0.3);
  EXPECT_LT(m.acceptance, 0.99);
  EXPECT_LT(u.acceptance, 0);  // no accept test under Langevin: nothing reported
}

// T = noise²/(2·step): at noise √0.3 and step 0.3 the target is exp(−E/0.5) = N(0.5, 0.5).
TEST(Mala, TheTemperatureIsNoiseSquaredOverTwiceTheStep) {
  const double step = 0.3, noise = std::sqrt(0.3);
  auto mala = gaussian_chain(StepRule::Mala, step, noise);
  const ChainMoments m = run(*mala, 150, 300);
  std::cout << "variance (target 0.5): mala " << m.variance << " (acceptance " << m.acceptance << ")\n";
  EXPECT_NEAR(m.variance, 0.5, 0.04);
}

// HMC, three leapfrog steps of size √0.6 per accept test, on the same target N(0.5, 1).
TEST(Hmc, SamplesTheGaussianExactly) {
  auto hmc = gaussian_chain(StepRule::Hmc, 0.3, std::sqrt(0.6));
  const ChainMoments m = run(*hmc, 100, 200);
  std::cout << "variance (target 1): hmc " << m.variance << " (acceptance " << m.acceptance << ")\n";
  EXPECT_NEAR(m.variance, 1.0, 0.06);
  EXPECT_GT(m.acceptance, 0.3);
}

// One leapfrog step: x' = x − step·∇E(x) + noise·ξ and the same test — the MALA chain, to rounding.
TEST(Hmc, OneLeapfrogStepIsMala) {
  auto mala = gaussian_chain(StepRule::Mala, 0.3, std::sqrt(0.6), 8);
  auto hmc = gaussian_chain(StepRule::Hmc, 0.3, std::sqrt(0.6), 8, 0, 1);
  for (int i = 0; i < 10; ++i) {
    const StepStats a = mala->step(), b = hmc->step();
    ASSERT_TRUE(torch::equal(a.accepted, b.accepted)) << "step " << i;
  }
  EXPECT_TRUE(torch::allclose(mala->state().x, hmc->state().x, 1e-5, 1e-6));
}

// A sample's chain depends on its id and the seed alone, accept tests included: samples 2 and 3 of
// a batch of 4 are samples 0 and 1 of a batch of 2 that starts at offset 2, and a rerun repeats.
TEST(Mala, ASamplesChainDependsOnItsIdAndTheSeedOnly) {
  auto four = gaussian_chain(StepRule::Mala, 0.3, std::sqrt(0.6), 4, 0);
  auto two = gaussian_chain(StepRule::Mala, 0.3, std::sqrt(0.6), 2, 2);
  auto again = gaussian_chain(StepRule::Mala, 0.3, std::sqrt(0.6), 4, 0);
  torch::Tensor acc4, acc2;
  for (int i = 0; i < 20; ++i) {
    acc4 = four->step().accepted;
    acc2 = two->step().accepted;
    again->step();
  }
  EXPECT_TRUE(torch::allclose(four->state().x.narrow(0, 2, 2), two->state().x, 1e-6, 1e-7));
  EXPECT_TRUE(torch::equal(acc4.narrow(0, 2, 2), acc2));
  EXPECT_TRUE(torch::equal(four->state().x, again->state().x));
}

// With the clamp on, proposals are clamped into the box before the test: the chain stays inside
// and still moves where a wide target sends many proposals over the faces.
TEST(Mala, WithTheClampOnTheChainStaysInTheBoxAndMoves) {
  Sampler s;
  s.set_models({{"q", test::quadratic(0.1, 1)}});  // N(0.5, 10) unclamped
  s.set_composition(Node::term("q", "q", {0.5f}));
  SamplerParams p;
  p.batch = 16;
  p.steps = 100;
  p.step_lr = 0.005;
  p.noise_std = 0.1;  // T = 1
  p.init = InitMode::Uniform;
  p.step_rule = StepRule::Mala;
  s.set_params(p);
  s.start();
  const torch::Tensor x0 = s.state().x.clone();
  const ChainMoments m = run(s, 0, 40);
  EXPECT_GE(s.state().x.min().item<double>(), 0.0);
  EXPECT_LE(s.state().x.max().item<double>(), 1.0);
  EXPECT_GT(m.acceptance, 0.3) << "clamped proposals should mostly pass";
  EXPECT_GT((s.state().x - x0).abs().mean().item<double>(), 0.05);
}

// A step without noise (a predictor, the final denoise, noise_std 0) is the plain gradient step
// x − step·∇E, taken everywhere, under either rule.
TEST(Mala, AStepWithoutNoiseIsThePlainGradientStep) {
  auto mala = gaussian_chain(StepRule::Mala, 0.25, 0.0, 6);
  auto ula = gaussian_chain(StepRule::Langevin, 0.25, 0.0, 6);
  const torch::Tensor x0 = mala->state().x.clone();
  const StepStats st = mala->step();
  ula->step();
  EXPECT_TRUE(torch::allclose(mala->state().x, x0 - 0.25 * (x0 - 0.5), 1e-6, 1e-7));
  EXPECT_TRUE(torch::equal(mala->state().x, ula->state().x));
  ASSERT_TRUE(st.accepted.defined());
  EXPECT_TRUE(torch::equal(st.accepted, torch::ones({6})));
}

// The studio's worker splits a chain over devices (CPU shards here): the split MALA chain is the
// one-device chain, accept tests and all.
TEST(Mala, ASplitChainDrawsTheOneDeviceChain) {
  auto make = [](int devices) {
    auto s = std::make_unique<ShardedSampler>();
    s->set_models({{"net", test::tiny_net()}, {"quad", test::quadratic()}});
    s->set_composition(Node::op(NodeKind::And, {Node::term("a", "net", {0.5f, 0.f}), Node::term("b", "quad", {0.2f, 0.5f, 0.8f})}));
    SamplerParams p;
    p.batch = 5;
    p.steps = 8;
    p.step_lr = 0.01;
    p.noise_std = 0.05;
    p.seed = 4;
    p.devices = devices;
    p.micro_batch = 3;  // the split's chunk: bitwise equality needs the same evaluation shapes
    p.step_rule = StepRule::Mala;
    s->set_params(p);
    s->start();
    return s;
  };
  torch::NoGradGuard ng;
  auto split = make(2), one = make(1);
  for (int i = 0; i < 8; ++i) {
    const StepStats a = split->step(), b = one->step();
    ASSERT_TRUE(a.accepted.defined());
    EXPECT_TRUE(torch::equal(a.accepted, b.accepted)) << "step " << i;
    EXPECT_TRUE(torch::equal(a.energy, b.energy)) << "step " << i;
  }
  EXPECT_TRUE(torch::equal(split->state().x, one->state().x));
}

TEST(Mala, TheRecipeCarriesTheRuleAndRefusesWhatItCannotSample) {
  Recipe r;
  r.models.push_back({"q", "q.safetensors", ""});
  r.composition = Node::term("q", "q", {0.5f});
  r.sampler.step_rule = StepRule::Mala;
  const Recipe back = recipe_from_string(recipe_to_string(r), nullptr);
  EXPECT_EQ(back.sampler.step_rule, StepRule::Mala);
  nlohmann::json old = recipe_to_json(r);
  old["sampler"].erase("step_rule");  // recipes from before the field: the original step
  EXPECT_EQ(recipe_from_json(old, nullptr).sampler.step_rule, StepRule::Langevin);
  nlohmann::json bad = recipe_to_json(r);
  bad["sampler"]["step_rule"] = "hmc2";
  try {
    recipe_from_json(bad, nullptr);
    FAIL() << "an unknown rule was accepted";
  } catch (const RecipeError& e) {
    EXPECT_NE(std::string(e.what()).find("unknown step rule 'hmc2' (expected langevin, mala or hmc)"), std::string::npos) << e.what();
  }
  SamplerParams p;
  p.step_rule = StepRule::Mala;
  p.step_lr = 0.0;  // no temperature
  try {
    p.validate();
    FAIL() << "step_lr 0 was accepted";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("step_lr"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("mala"), std::string::npos) << e.what();
  }
  p.noise_std = 0.0;  // a noiseless chain has no accept test: no temperature needed
  EXPECT_NO_THROW(p.validate());

  r.sampler.step_rule = StepRule::Hmc;
  r.sampler.leapfrog_steps = 5;
  const Recipe hmc = recipe_from_string(recipe_to_string(r), nullptr);
  EXPECT_EQ(hmc.sampler.step_rule, StepRule::Hmc);
  EXPECT_EQ(hmc.sampler.leapfrog_steps, 5);
  nlohmann::json none = recipe_to_json(r);
  none["sampler"]["leapfrog_steps"] = 0;
  try {
    recipe_from_json(none, nullptr);
    FAIL() << "0 leapfrog steps were accepted";
  } catch (const RecipeError& e) {
    EXPECT_NE(std::string(e.what()).find("leapfrog_steps"), std::string::npos) << e.what();
  }
}

// comb_mask models move their attention masks along a gradient chain of their own, which the
// accept test does not cover: refused with the term's name and what to use instead.
TEST(Mala, CombMaskTermsAreRefusedWithTheReason) {
  torch::manual_seed(1);
  ModelConfig c = ModelConfig::defaults_for(Arch::CubesNet);
  c.num_filters = 4;
  c.label_size = 2;
  c.comb_mask = true;
  c.cclass = false;
  Sampler s;
  s.set_models({{"cm", std::make_shared<NetworkModel>(make_network(c))}});
  s.set_composition(Node::term("parts", "cm"));
  SamplerParams p;
  p.batch = 1;
  p.steps = 1;
  p.step_rule = StepRule::Mala;
  s.set_params(p);
  s.start();
  try {
    s.step();
    FAIL() << "a comb_mask term was sampled with MALA";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("'parts'"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("use step rule langevin"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace ebm
