// Gradient checkpointing of the residual blocks (models/layers/checkpoint.h): the same energies and
// the same gradients (to 1e-5) as without, w.r.t. the weights and the input, first order (CD, the
// sampler's input gradient) and second order (denoising score matching), with spectral norm
// advancing its `u` in training mode and with ResNet128's always-on dropout.
#include "models/registry.h"
#include "tests/support/cpu_bytes_peak.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <iostream>
#include <set>

namespace ebm {
namespace {

struct Grads {
  torch::Tensor energy, dx;
  std::vector<torch::Tensor> params, buffers;
};

// Energy, and the gradients of `loss` w.r.t. x and every parameter. second_order: the loss is the
// squared input gradient (as DSM's), so the weights' gradients go through ∇ₓE.
Grads run(NetworkImpl& net, const torch::Tensor& x0, const torch::Tensor& label, bool second_order, uint64_t seed) {
  torch::manual_seed(seed);  // the same dropout masks in both runs
  auto x = x0.clone().requires_grad_(true);
  net.zero_grad();
  Grads g;
  auto e = net.energy(x, label);
  g.energy = e.detach();
  if (second_order) {
    auto dx = torch::autograd::grad({e.sum()}, {x}, {}, /*retain_graph=*/true, /*create_graph=*/true)[0];
    auto loss = dx.square().sum();
    g.dx = torch::autograd::grad({loss}, {x}, {}, /*retain_graph=*/true)[0];
    loss.backward();
  } else {
    e.sum().backward();
    g.dx = x.grad().clone();
  }
  for (const auto& p : net.parameters()) g.params.push_back(p.grad().defined() ? p.grad().clone() : torch::zeros_like(p));
  for (const auto& b : net.buffers()) g.buffers.push_back(b.clone());
  return g;
}

void expect_same(const Grads& a, const Grads& b) {
  EXPECT_TRUE(torch::allclose(a.energy, b.energy, 1e-5, 1e-6)) << a.energy << b.energy;
  EXPECT_TRUE(torch::allclose(a.dx, b.dx, 1e-5, 1e-6));
  ASSERT_EQ(a.params.size(), b.params.size());
  double worst = 0;
  for (size_t i = 0; i < a.params.size(); ++i)
    worst = std::max(worst, (a.params[i] - b.params[i]).abs().max().item<double>() /
                                (a.params[i].abs().max().item<double>() + 1e-8));
  EXPECT_LT(worst, 1e-5) << "largest relative gradient difference";
  // Spectral norm's `u` advanced once per evaluation, as without checkpointing — not twice.
  for (size_t i = 0; i < a.buffers.size(); ++i) EXPECT_TRUE(torch::allclose(a.buffers[i], b.buffers[i], 1e-6, 1e-7));
}

void compare(const ModelConfig& c, const torch::Tensor& x, const torch::Tensor& label, bool second_order) {
  torch::manual_seed(11);
  auto plain = make_network(c);
  torch::manual_seed(11);
  auto ckpt = make_network(c);  // the same weights and buffers
  ckpt->set_checkpoint_activations(true);
  plain->train();
  ckpt->train();
  expect_same(run(*plain, x, label, second_order, 5), run(*ckpt, x, label, second_order, 5));
}

TEST(Checkpointing, CubesNetWithSpectralNormFirstAndSecondOrder) {
  ModelConfig c = ModelConfig::defaults_for(Arch::CubesNet);
  c.num_filters = 8;
  ASSERT_TRUE(c.spec_norm);
  torch::manual_seed(1);
  const auto x = torch::rand({3, 3, 64, 64});
  const auto label = torch::rand({3, 2}) * 2 - 1;
  compare(c, x, label, false);
  compare(c, x, label, true);
}

TEST(Checkpointing, ResNet128WithDropoutReplaysTheSameMasks) {
  ModelConfig c = ModelConfig::defaults_for(Arch::ResNet128);
  c.num_filters = 4;
  c.dropout = true;
  torch::manual_seed(2);
  const auto x = torch::rand({2, 3, 32, 32});
  const auto label = torch::tensor({{1.f, 0.f}, {0.f, 1.f}});
  compare(c, x, label, false);
  compare(c, x, label, true);
}

// Whether the autograd graph behind `t` holds a checkpointed block (so the tests above compare the
// checkpointed path, not the plain one twice).
bool has_checkpoint_node(const torch::Tensor& t) {
  std::vector<torch::autograd::Node*> todo{t.grad_fn().get()};
  std::set<torch::autograd::Node*> seen;
  while (!todo.empty()) {
    auto* n = todo.back();
    todo.pop_back();
    if (!n || !seen.insert(n).second) continue;
    if (n->name().find("CheckpointFunction") != std::string::npos) return true;
    for (const auto& e : n->next_edges()) todo.push_back(e.function.get());
  }
  return false;
}

TEST(Checkpointing, TheSwitchPutsTheBlocksBehindTheCheckpoint) {
  ModelConfig c = ModelConfig::defaults_for(Arch::CubesNet);
  c.num_filters = 4;
  auto net = make_network(c);
  const auto x = torch::rand({1, 3, 64, 64}).requires_grad_(true);
  const auto label = torch::rand({1, 2});
  EXPECT_FALSE(has_checkpoint_node(net->energy(x, label)));
  net->set_checkpoint_activations(true);
  EXPECT_TRUE(has_checkpoint_node(net->energy(x, label)));
}

TEST(Checkpointing, WithoutGradientsItIsThePlainForward) {
  ModelConfig c = ModelConfig::defaults_for(Arch::CubesNet);
  c.num_filters = 4;
  torch::manual_seed(3);
  auto net = make_network(c);
  net->eval();
  const auto x = torch::rand({2, 3, 64, 64});
  const auto label = torch::rand({2, 2});
  torch::NoGradGuard no_grad;
  const auto a = net->energy(x, label);
  net->set_checkpoint_activations(true);
  EXPECT_TRUE(torch::equal(a, net->energy(x, label)));
}

// The CPU tensor memory a training forward of ResNet128 leaves alive for the backward, and the most
// in use at once through the forward and backward, plain and checkpointed — counted exactly by
// wrapping the CPU allocator (tests/support/cpu_bytes_peak.h), so it holds under the sanitizers too.
struct Peaks {
  std::size_t after_forward, peak;
};
Peaks forward_backward_peak(bool ckpt, int filters, int64_t batch) {
  ModelConfig c = ModelConfig::defaults_for(Arch::ResNet128);
  c.num_filters = filters;
  torch::manual_seed(4);
  auto net = make_network(c);
  net->set_checkpoint_activations(ckpt);
  net->train();
  const auto x = torch::rand({batch, 3, 128, 128});
  const auto label = torch::rand({batch, 2});
  ebm::test::CpuBytesPeak counter;
  auto e = net->energy(x, label);
  const std::size_t after_forward = counter.in_use();
  e.sum().backward();
  return {after_forward, counter.peak()};
}

// The forward keeps far fewer bytes alive, and the backward's peak is lower — by much less, because
// the recompute of ResNet128's full-resolution first block with its gradients sets it (measured at 64
// filters, batch 8: plain 465 MB kept, peak 493 MB; checkpointed 83 MB kept, peak 416 MB; docs/training.md).
// EBM_CKPT_PEAK_FILTERS / EBM_CKPT_PEAK_BATCH measure other sizes.
TEST(Checkpointing, TheForwardKeepsFarFewerBytesAliveAndTheBackwardPeaksLower) {
  int filters = 16;
  int64_t batch = 4;
  if (const char* w = std::getenv("EBM_CKPT_PEAK_FILTERS")) filters = std::atoi(w);
  if (const char* b = std::getenv("EBM_CKPT_PEAK_BATCH")) batch = std::atoll(b);
  const Peaks plain = forward_backward_peak(false, filters, batch), ckpt = forward_backward_peak(true, filters, batch);
  std::cout << "[checkpoint peak] ResNet128, " << filters << " filters, batch " << batch << ": plain keeps "
            << plain.after_forward / 1e6 << " MB after the forward, peak " << plain.peak / 1e6
            << " MB; checkpointed " << ckpt.after_forward / 1e6 << " MB, peak " << ckpt.peak / 1e6 << " MB\n";
  EXPECT_GT(plain.after_forward, 0u);
  EXPECT_LT(ckpt.after_forward * 3, plain.after_forward);
  EXPECT_LT(ckpt.peak, plain.peak);
}

}  // namespace
}  // namespace ebm
