// The CUDA-graph sampling step against the eager one, on a real GPU (skips without CUDA): the
// replayed step computes the eager step (fp32: 1e-5), value edits and Langevin edits after the
// capture take effect without a re-capture, a structural edit re-captures, a denoising model's σ
// ladder (σ read from a device tensor) matches, an edit's held region is put back in the replay, and
// the bf16 option runs and stays near fp32.
#include "engine/sampling/sampler.h"
#include "engine/sampling/euler_schedule.h"
#include "engine/energy/denoising_model.h"
#include "models/registry.h"
#include "engine/energy/network_model.h"
#include "gpu_test_composition.h"

#include "require_cuda.h"

#include <gtest/gtest.h>

#include <cmath>
#include <iostream>

namespace ebm {
namespace {

using test::cubesnet;
using test::pair;

// Sampler owns a chain's caches and is neither copied nor moved.
std::unique_ptr<Sampler> make(bool graph, Precision prec = Precision::Fp32) {
  auto sp = std::make_unique<Sampler>();
  Sampler& s = *sp;
  s.set_models({{"m0", cubesnet(1)}, {"m1", cubesnet(2)}});
  s.set_composition(pair(1.0, 0.5f));
  SamplerParams p;
  p.batch = 16;
  p.steps = 40;
  p.device = "cuda";
  p.init = InitMode::Uniform;
  p.cuda_graph = graph;
  p.precision = prec;
  s.set_params(p);
  return sp;
}

double max_diff(const torch::Tensor& a, const torch::Tensor& b) { return (a - b).abs().max().item<double>(); }

// Steps both chains `n` times; every step's energies (total and per active term) must agree to 1e-5
// relative, and the states at the end to 1e-5.
void expect_same_steps(Sampler& eager, Sampler& graph, int n) {
  for (int i = 0; i < n; ++i) {
    auto a = eager.step();
    auto b = graph.step();
    ASSERT_LE(max_diff(a.energy, b.energy), 1e-5 * (1 + a.energy.abs().max().item<double>())) << "step " << i;
    ASSERT_EQ(a.per_term.size(), b.per_term.size());
    for (size_t t = 0; t < a.per_term.size(); ++t)
      if (a.per_term[t].defined())
        ASSERT_LE(max_diff(a.per_term[t], b.per_term[t]), 1e-5 * (1 + a.per_term[t].abs().max().item<double>()))
            << "step " << i << ", term " << t;
  }
  EXPECT_LE(max_diff(eager.state().x, graph.state().x), 1e-5);
}

TEST(SamplerGraphGpu, TheReplayedStepIsTheEagerStep) {
  REQUIRE_CUDA();
  torch::NoGradGuard ng;
  auto ep = make(false), gp = make(true);
  Sampler &eager = *ep, &graph = *gp;
  eager.start();
  graph.start();
  expect_same_steps(eager, graph, 10);
  EXPECT_EQ(graph.last_step_path(), "cuda graph");
  EXPECT_EQ(eager.last_step_path(), "eager");
  EXPECT_EQ(graph.graph_captures(), 1);
}

TEST(SamplerGraphGpu, EditsAfterCaptureTakeEffectWithoutReCapture) {
  REQUIRE_CUDA();
  torch::NoGradGuard ng;
  auto ep = make(false), gp = make(true);
  Sampler &eager = *ep, &graph = *gp;
  eager.start();
  graph.start();
  auto both = [&](auto&& edit) {
    edit(eager);
    edit(graph);
  };
  for (int i = 0; i < 3; ++i) both([](Sampler& s) { s.step(); });
  // A weight and a label dragged, then the step size and noise: values and Langevin fields.
  both([](Sampler& s) { s.set_composition(pair(0.25, -0.7f)); });
  both([](Sampler& s) {
    SamplerParams p = s.params();
    p.step_lr = 50.0;
    p.noise_std = 0.004;
    s.set_params(p);
  });
  expect_same_steps(eager, graph, 4);
  EXPECT_EQ(graph.graph_captures(), 1);
  // The edit really changed the step: a chain left at the old values ends elsewhere.
  auto oldp = make(true);
  Sampler& old = *oldp;
  old.start();
  for (int i = 0; i < 7; ++i) old.step();
  EXPECT_GT(max_diff(old.state().x, graph.state().x), 1e-3);
  // A rewind replays from a kept state without a re-capture either.
  const ChainState kept = graph.state();
  graph.step();
  graph.restore(kept);
  graph.step();
  EXPECT_EQ(graph.graph_captures(), 1);
  // A third term is a new structure: captured again.
  Node three = pair(0.25, -0.7f);
  three.children.push_back(Node::term("c", "m0", {0.1f, 0.1f}));
  graph.set_composition(three);
  graph.step();
  EXPECT_EQ(graph.graph_captures(), 2);
  EXPECT_EQ(graph.last_step_path(), "cuda graph");
}

// A denoising model's chain on `schedule` (its σ read from the device in a captured graph).
std::unique_ptr<Sampler> make_denoising(bool graph, const Schedule& schedule) {
  ModelConfig cfg = ModelConfig::defaults_for(Arch::CubesNet);
  DenoisingSettings set;
  cfg.label_size = set.network_label_size();
  cfg.energy_kind = EnergyKind::Denoising;
  torch::manual_seed(3);
  auto model = std::make_shared<DenoisingModel>(DenoisingEnergy(make_network(cfg), set, 1.0));
  auto sp = std::make_unique<Sampler>();
  sp->set_models({{"d", model}});
  sp->set_composition(Node::term("p", "d", {0.3f, -0.2f}));
  SamplerParams p;
  p.batch = 8;
  p.device = "cuda";
  p.cuda_graph = graph;
  p.schedule = schedule;
  p.clamp = false;
  p.init = InitMode::Noise;
  sp->set_params(p);
  return sp;
}

// A Heun walk (euler_schedule.h): its Heun steps run eagerly, the plain steps around them (top
// corrector steps, the last Euler step, the denoise) replay one captured graph, and the chain is the
// eager chain's.
TEST(SamplerGraphGpu, HeunStepsRunEagerlyBesideTheCapturedPlainSteps) {
  REQUIRE_CUDA();
  torch::NoGradGuard ng;
  EulerWalkOptions o;
  o.steps = 4;
  o.top_steps = 2;
  o.churn = 2;
  o.heun = true;
  const Schedule s = euler_schedule(1.0, 0.05, o);
  auto edp = make_denoising(false, s), gdp = make_denoising(true, s);
  Sampler &eager = *edp, &graph = *gdp;
  eager.start();
  graph.start();
  std::vector<std::string> paths;
  for (int i = 0; i < 2 + 4 + 1; ++i) {
    auto a = eager.step();
    auto b = graph.step();
    ASSERT_LE(max_diff(a.energy, b.energy), 1e-4 * (1 + a.energy.abs().max().item<double>())) << "step " << i;
    paths.push_back(graph.last_step_path());
  }
  EXPECT_LE(max_diff(eager.state().x, graph.state().x), 1e-4);
  EXPECT_EQ(paths[0], "cuda graph");
  EXPECT_EQ(paths[2], "eager");  // the first Heun step
  EXPECT_EQ(paths[6], "cuda graph");  // the denoise, on the graph captured for the top steps
  EXPECT_EQ(graph.graph_captures(), 1);
}

TEST(SamplerGraphGpu, ADenoisingLadderReadsSigmaFromTheDevice) {
  REQUIRE_CUDA();
  torch::NoGradGuard ng;
  const Schedule ladder = geometric_schedule(1.0, 0.05, 4, 2, 1e-3);  // σ changes every 2 steps
  auto edp = make_denoising(false, ladder), gdp = make_denoising(true, ladder);
  Sampler &eager = *edp, &graph = *gdp;
  eager.start();
  graph.start();
  expect_same_steps(eager, graph, 8);
  EXPECT_EQ(graph.graph_captures(), 1);
}

// An edit that holds the image outside a region (SamplerParams::init_region): the captured graph puts
// the held part back as the eager step does — noised to the next step's σ read from the device, the
// image itself after the last step.
TEST(SamplerGraphGpu, AnEditsHeldRegionIsPutBackInTheReplayAsEagerly) {
  REQUIRE_CUDA();
  torch::NoGradGuard ng;
  const Schedule ladder = geometric_schedule(1.0, 0.05, 4, 2, 1e-3);
  auto edp = make_denoising(false, ladder), gdp = make_denoising(true, ladder);
  Sampler &eager = *edp, &graph = *gdp;
  const auto image = torch::rand({3, 64, 64});
  auto region = torch::zeros({1, 64, 64});
  region.slice(1, 16, 48).slice(2, 16, 48).fill_(1.f);
  for (Sampler* s : {&eager, &graph}) {
    SamplerParams p = s->params();
    p.init = InitMode::Image;
    p.init_image = image;
    p.init_region = region;
    p.init_sigma = 0.5;
    p.schedule = schedule_from_sigma(ladder, 0.5);
    s->set_params(p);
    s->start();
  }
  const std::int64_t steps = graph.params().total_steps();
  expect_same_steps(eager, graph, static_cast<int>(steps));
  EXPECT_EQ(graph.last_step_path(), "cuda graph");
  const auto held = graph.state().x.cpu().slice(2, 0, 16);  // the top rows lie outside the region
  EXPECT_LE(max_diff(held, image.unsqueeze(0).expand({held.size(0), 3, 64, 64}).slice(2, 0, 16)), 1e-6);
}

TEST(SamplerGraphGpu, Bf16RunsInTheGraphAndStaysNearFp32) {
  REQUIRE_CUDA();
  torch::NoGradGuard ng;
  auto fp = make(false), bp = make(true, Precision::Bf16);
  Sampler &fp32 = *fp, &bf16 = *bp;
  fp32.start();
  bf16.start();
  auto a = fp32.step();
  auto b = bf16.step();
  // Against the batch's energy scale: this untrained model has energies near zero in some chains,
  // where a per-chain ratio says nothing about bf16 (measured on an H200 once the activations stay
  // bf16 between layers: 0.039 of the largest energy, 0.042–0.057 per chain; ebm bench's full-size
  // CubesNet moves 0.6–0.7 % per chain).
  const auto diff = (a.energy - b.energy).abs();
  const double rel = (diff.max() / a.energy.abs().max().clamp_min(1e-6)).item<double>();
  const double per_chain = (diff / a.energy.abs().clamp_min(1e-6)).max().item<double>();
  const double dx = max_diff(fp32.state().x, bf16.state().x);
  std::cout << "bf16 vs fp32 after one step: max energy difference " << rel << " of the largest energy (per chain "
            << per_chain << "), max |dx| " << dx << "\n";
  EXPECT_TRUE(torch::isfinite(b.energy).all().item<bool>());
  EXPECT_LT(rel, 0.05);
  EXPECT_EQ(bf16.last_step_path(), "cuda graph");
}

// The MALA and HMC step rules in a captured graph: every evaluation, the accept test and the
// where() are replayed; the same proposals are taken as eagerly (T = 1: step 0.01, noise √0.02, no clamp), and a
// noiseless step written before a replay (a predictor) is the plain gradient step, taken everywhere.
void expect_metropolis_graph_is_eager(StepRule rule) {
  torch::NoGradGuard ng;
  auto ep = make(false), gp = make(true);
  Sampler &eager = *ep, &graph = *gp;
  for (Sampler* s : {&eager, &graph}) {
    SamplerParams p = s->params();
    p.step_rule = rule;
    p.step_lr = 0.01;
    p.noise_std = std::sqrt(0.02);
    p.clamp = false;
    s->set_params(p);
    s->start();
  }
  double accepted = 0;
  for (int i = 0; i < 10; ++i) {
    auto a = eager.step();
    auto b = graph.step();
    ASSERT_TRUE(a.accepted.defined() && b.accepted.defined());
    ASSERT_TRUE(torch::equal(a.accepted, b.accepted)) << "step " << i;
    ASSERT_LE(max_diff(a.energy, b.energy), 1e-5 * (1 + a.energy.abs().max().item<double>())) << "step " << i;
    accepted += a.accepted.mean().item<double>() / 10;
  }
  EXPECT_LE(max_diff(eager.state().x, graph.state().x), 1e-5);
  EXPECT_EQ(graph.last_step_path(), "cuda graph");
  std::cout << to_string(rule) << " acceptance over 10 steps (T = 1, untrained CubesNet pair): " << accepted << "\n";
  for (Sampler* s : {&eager, &graph}) {
    SamplerParams p = s->params();
    p.noise_std = 0.0;
    s->set_params(p);
  }
  const torch::Tensor before = graph.state().x.clone();
  auto a = eager.step();
  auto b = graph.step();
  EXPECT_TRUE(torch::equal(b.accepted, torch::ones_like(b.accepted)));
  EXPECT_TRUE(torch::equal(a.accepted, b.accepted));
  EXPECT_LE(max_diff(eager.state().x, graph.state().x), 1e-5);
  EXPECT_GT(max_diff(before, graph.state().x), 0.0);
  EXPECT_EQ(graph.graph_captures(), 1);  // the noise is a value of the one capture
}

TEST(SamplerGraphGpu, MalaRunsInTheGraphAsEagerly) {
  REQUIRE_CUDA();
  expect_metropolis_graph_is_eager(StepRule::Mala);
}

TEST(SamplerGraphGpu, HmcRunsInTheGraphAsEagerly) {
  REQUIRE_CUDA();
  expect_metropolis_graph_is_eager(StepRule::Hmc);
}

TEST(SamplerGraphGpu, AChainOnTheSecondGpuIsCapturedThere) {
  REQUIRE_CUDA();
  if (torch::cuda::device_count() < 2) GTEST_SKIP() << "one CUDA device";
  torch::NoGradGuard ng;
  auto ep = make(false), gp = make(true);
  for (Sampler* s : {ep.get(), gp.get()}) {
    SamplerParams p = s->params();
    p.device = "cuda:1";
    s->set_params(p);
    s->start();
  }
  expect_same_steps(*ep, *gp, 5);
  EXPECT_EQ(gp->last_step_path(), "cuda graph");
  EXPECT_EQ(gp->state().x.device().index(), 1);
}

}  // namespace
}  // namespace ebm
