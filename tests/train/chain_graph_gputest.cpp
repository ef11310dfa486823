// The CD trainer's Langevin chain replayed from a CUDA graph (engine/train/chain_graph.h) against the
// eager chain: same seeds, fp32 with TF32 off, so the two must agree to float rounding — over training
// iterations whose optimizer steps change the weights under the captured graph.
#include "engine/data/cubes_scene.h"
#include "engine/train/cd_objective.h"
#include "models/registry.h"

#include <ATen/CPUGeneratorImpl.h>
#include <ATen/Context.h>
#include <gtest/gtest.h>

#include <cmath>
#include <iostream>
#include <mutex>

namespace ebm::train {
namespace {

#define EBM_REQUIRE_CUDA() \
  if (!torch::cuda::is_available()) GTEST_SKIP() << "no CUDA device"

// Strict fp32 for the scope (TF32 would differ between runs of different cuDNN algorithms).
struct StrictFp32 {
  bool cudnn = at::globalContext().allowTF32CuDNN(), cublas = at::globalContext().allowTF32CuBLAS();
  bool bench = at::globalContext().benchmarkCuDNN();
  StrictFp32() {
    at::globalContext().setAllowTF32CuDNN(false);
    at::globalContext().setAllowTF32CuBLAS(false);
    at::globalContext().setBenchmarkCuDNN(false);
  }
  ~StrictFp32() {
    at::globalContext().setAllowTF32CuDNN(cudnn);
    at::globalContext().setAllowTF32CuBLAS(cublas);
    at::globalContext().setBenchmarkCuDNN(bench);
  }
};

TrainOptions chain_opts(bool graph) {
  TrainOptions o;
  o.objective = "cd";
  o.out_dir = "unused";
  o.device = "cuda";
  o.batch = 16;
  o.num_filters = 16;
  o.langevin_steps = 10;
  o.sample_steps = 10;
  o.replay_size = 64;
  o.cuda_graph = graph;
  return o;
}

std::shared_ptr<NetworkImpl> cd_network(const TrainOptions& o, uint64_t seed) {
  torch::manual_seed(seed);
  ModelConfig mc = ModelConfig::defaults_for(Arch::CubesNet);
  mc.num_filters = o.num_filters;
  mc.label_size = data::label_size(data::CubesConcept::Position);
  mc.spec_norm = true;
  mc.energy_kind = EnergyKind::Contrastive;
  return make_network(mc, data::cubes_schema(data::CubesConcept::Position));
}

torch::Generator cuda_default_gen(uint64_t seed) {
  torch::Generator g = at::globalContext().defaultGenerator(torch::Device(torch::kCUDA, 0));
  std::lock_guard<std::mutex> lock(g.mutex());
  g.set_current_seed(seed);
  return g;
}

double max_abs_diff(const torch::Tensor& a, const torch::Tensor& b) {
  return (a.cpu().to(torch::kDouble) - b.cpu().to(torch::kDouble)).abs().max().item<double>();
}

struct ChainRun {
  std::vector<torch::Tensor> stats;   // per iteration
  std::vector<torch::Tensor> params;  // after the last iteration
  std::string path;
  int captures = 0;
};

// `iters` CD iterations from the same network init, data and seeds; only the chain's path differs.
ChainRun train(bool graph, int iters, bool bf16 = false) {
  auto o = chain_opts(graph);
  o.bf16 = bf16;
  o.channels_last = bf16;
  const torch::Device dev(torch::kCUDA, 0);
  auto net = cd_network(o, 7);
  CdObjective obj(net, o, dev, cuda_default_gen(11), at::detail::createCPUGenerator(13));
  auto data_gen = at::detail::createCPUGenerator(17);
  ChainRun r;
  for (int i = 0; i < iters; ++i) {
    auto images = torch::rand({o.batch, 3, 64, 64}, data_gen).to(dev);
    auto labels = (torch::rand({o.batch, 2}, data_gen) * 2 - 1).to(dev);
    r.stats.push_back(obj.step(images, labels, i).cpu());
  }
  for (const auto& p : net->parameters()) r.params.push_back(p.detach().cpu().clone());
  r.path = obj.chain_path();
  r.captures = obj.graph_captures();
  return r;
}

TEST(ChainGraphGpu, TheReplayedChainTrainsLikeTheEagerChain) {
  EBM_REQUIRE_CUDA();
  StrictFp32 fp32;
  // Replayed starts mix in once the buffer holds more than a batch (from the third iteration).
  const int iters = 6;
  ChainRun eager = train(false, iters), graph = train(true, iters);
  EXPECT_EQ(eager.path, "eager");
  EXPECT_EQ(graph.path, "cuda graph");
  EXPECT_EQ(graph.captures, 1) << "the optimizer's steps must not re-capture";
  double ds = 0, dp = 0;
  for (int i = 0; i < iters; ++i) {
    const double d = max_abs_diff(eager.stats[i], graph.stats[i]);
    ds = std::max(ds, d);
    EXPECT_LT(d, 1e-5) << "iteration " << i << ": eager " << eager.stats[i] << " graph " << graph.stats[i];
  }
  for (size_t k = 0; k < eager.params.size(); ++k) dp = std::max(dp, max_abs_diff(eager.params[k], graph.params[k]));
  EXPECT_LT(dp, 1e-5);
  std::cout << "[chain graph] fp32, " << iters << " iterations: max |eager - graph| of loss/energies " << ds
            << ", of the weights " << dp << "\n";
}

TEST(ChainGraphGpu, AfterAnOptimizerStepTheReplayReadsTheNewWeights) {
  EBM_REQUIRE_CUDA();
  StrictFp32 fp32;
  const torch::Device dev(torch::kCUDA, 0);
  auto o = chain_opts(true);
  auto net = cd_network(o, 3);
  // Two objectives over one network: the graph one and an eager one, reading the same weights.
  CdObjective graph(net, o, dev, cuda_default_gen(1), at::detail::createCPUGenerator(2));
  CdObjective eager(net, chain_opts(false), dev, cuda_default_gen(1), at::detail::createCPUGenerator(2));
  auto labels = (torch::rand({8, 2}) * 2 - 1).to(dev);
  auto sample = [&](CdObjective& obj) {
    torch::Generator g = cuda_default_gen(99);
    return obj.sample(labels, g);
  };
  auto g0 = sample(graph), e0 = sample(eager);
  EXPECT_LT(max_abs_diff(g0, e0), 1e-5);
  EXPECT_EQ(graph.chain_path(), "cuda graph");

  // One training iteration of the graph objective: an optimizer step changes every weight in place.
  auto images = torch::rand({o.batch, 3, 64, 64}).to(dev);
  auto train_labels = (torch::rand({o.batch, 2}) * 2 - 1).to(dev);
  const auto before = net->parameters().front().detach().clone();
  graph.step(images, train_labels, 0);
  ASSERT_GT(max_abs_diff(before, net->parameters().front()), 0.0) << "the optimizer step changed nothing";

  auto g1 = sample(graph), e1 = sample(eager);
  EXPECT_LT(max_abs_diff(g1, e1), 1e-5) << "the replay must read the updated weights";
  EXPECT_GT(max_abs_diff(g1, g0), 1e-6) << "new weights, same noise: the samples must move";
  EXPECT_EQ(graph.graph_captures(), 2) << "one sample graph and one training graph, none re-captured";
}

TEST(ChainGraphGpu, Bf16AndChannelsLastReplayStaysNearTheEagerChain) {
  EBM_REQUIRE_CUDA();
  ChainRun eager = train(false, 3, /*bf16=*/true), graph = train(true, 3, /*bf16=*/true);
  EXPECT_EQ(graph.path, "cuda graph");
  EXPECT_EQ(graph.captures, 1);
  for (int i = 0; i < 3; ++i) {
    for (int k = 0; k < graph.stats[i].numel(); ++k) EXPECT_TRUE(std::isfinite(graph.stats[i][k].item<double>()));
    const double d = max_abs_diff(eager.stats[i], graph.stats[i]);
    EXPECT_LT(d, 1e-2) << "iteration " << i;
    std::cout << "[chain graph] bf16+channels_last iteration " << i << ": max |eager - graph| " << d << "\n";
  }
}

}  // namespace
}  // namespace ebm::train
