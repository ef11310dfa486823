// Gradient checkpointing of the residual blocks (models/layers/checkpoint.h): the same energies and
// the same gradients (to 1e-5) as without, w.r.t. the weights and the input, first order (CD, the
// sampler's input gradient) and second order (denoising score matching), with spectral norm
// advancing its `u` in training mode and with ResNet128's always-on dropout.
#include "models/registry.h"

#include <gtest/gtest.h>

#include <malloc.h>

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

// What checkpointing is for: after a forward that will be differentiated, the plain network keeps
// every block's activations alive, the checkpointed one only the blocks' inputs. Measured as the
// heap's bytes in use (glibc's mallinfo2: small blocks plus mmap'd large ones) before and after the
// forward. ResNet128 at 128 px: 466 MB against 84 MB at 64 filters and batch 8 (2026-12-06); the
// trainer's peaks did not move with the flag (docs/training.md), so the peak is elsewhere there.
std::size_t heap_in_use() {
  const struct mallinfo2 m = mallinfo2();
  return m.uordblks + m.hblkhd;
}

#if defined(__SANITIZE_ADDRESS__)
#define EBM_TEST_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define EBM_TEST_ASAN 1
#endif
#endif

TEST(Checkpointing, TheForwardKeepsFarFewerBytesAlive) {
#ifdef EBM_TEST_ASAN
  GTEST_SKIP() << "under AddressSanitizer the heap is ASan's, which glibc's mallinfo2 does not see";
#endif
  std::size_t alive[2] = {0, 0};
  for (bool ckpt : {false, true}) {
    ModelConfig c = ModelConfig::defaults_for(Arch::ResNet128);
    c.num_filters = 16;
    torch::manual_seed(4);
    auto net = make_network(c);
    net->set_checkpoint_activations(ckpt);
    net->train();
    const auto x = torch::rand({4, 3, 128, 128});
    const auto label = torch::rand({4, 2});
    const std::size_t before = heap_in_use();
    auto e = net->energy(x, label);
    alive[ckpt] = heap_in_use() - before;
    e.sum().backward();  // and the backward still runs
  }
  EXPECT_GT(alive[0], 0u);
  EXPECT_LT(alive[1] * 3, alive[0]) << "plain " << alive[0] << " bytes, checkpointed " << alive[1];
}

}  // namespace
}  // namespace ebm

