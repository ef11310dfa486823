// Invariants of the layers: spectral norm (sigma, lower bound, u updates, caching), TF padding,
// activations, transforms, antialias, norms, comb_mask.
#include "models/autocast_guard.h"
#include "models/cubesnet.h"
#include "models/layers/preprocess.h"
#include "models/layers/weighted.h"
#include "models/layers/functional.h"
#include "models/layers/spectral_norm.h"
#include "models/registry.h"

#include <ATen/CPUGeneratorImpl.h>
#include <gtest/gtest.h>

#include <cmath>
#include <set>

namespace ebm {
namespace {

// Same architecture, same names: copy every parameter and buffer.
void copy_state(torch::nn::Module& from, torch::nn::Module& to) {
  torch::NoGradGuard g;
  auto src = from.named_parameters();
  for (auto& kv : to.named_parameters()) kv.value().copy_(src[kv.key()]);
  auto bsrc = from.named_buffers();
  for (auto& kv : to.named_buffers()) kv.value().copy_(bsrc[kv.key()]);
}

ConvSpec conv_spec(int64_t c_in, int64_t c_out, bool zero = false) {
  ConvSpec s;
  s.k = 3;
  s.c_in = c_in;
  s.c_out = c_out;
  s.zero = zero;
  return s;
}

TEST(SpectralNorm, NormalizedWeightHasUnitSigmaOnceUConverges) {
  torch::manual_seed(1);
  CondConv conv(conv_spec(8, 16));
  conv->train();  // every evaluation advances u, as TF's assign does
  torch::Tensor w;
  for (int i = 0; i < 500; ++i) w = conv->effective_weight();
  EXPECT_NEAR(max_singular_value(conv->tf_matrix(w)), 1.0, 1e-3);
  FC fc(FCSpec{32, 10, true, 1, 1.0f});
  fc->train();
  for (int i = 0; i < 500; ++i) w = fc->effective_weight();
  EXPECT_NEAR(max_singular_value(w), 1.0, 1e-3);
}

TEST(SpectralNorm, LowerBoundKeepsTinyWeightsTinyAndShrinksLargeOnes) {
  torch::manual_seed(2);
  CondConv tiny(conv_spec(8, 8, /*zero=*/true));  // N(0, 1e-10) init, lower-bound SN
  tiny->eval();
  auto w = tiny->effective_weight();
  EXPECT_LT(w.abs().max().item<double>(), 1e-8);
  EXPECT_TRUE(torch::allclose(w, tiny->c, 1e-4, 0.0)) << "sigma < 1 must leave the weight unchanged";
  {
    torch::NoGradGuard g;
    tiny->c.normal_(0.0, 1.0);  // sigma >> 1 → normalized to sigma 1
  }
  tiny->train();
  for (int i = 0; i < 500; ++i) w = tiny->effective_weight();
  EXPECT_NEAR(max_singular_value(tiny->tf_matrix(w)), 1.0, 1e-3);
}

TEST(SpectralNorm, UAdvancesOncePerEvaluationOnlyInTrainingMode) {
  torch::manual_seed(3);
  CondConv conv(conv_spec(4, 6));
  auto u0 = conv->u().clone();
  conv->eval();
  conv->effective_weight();
  EXPECT_TRUE(torch::equal(conv->u(), u0));
  conv->train();
  conv->effective_weight();
  auto u1 = conv->u().clone();
  EXPECT_FALSE(torch::equal(u1, u0));
  // One power iteration from u0 gives exactly u1.
  torch::Tensor expect;
  spectral_normalize(conv->c, conv->tf_matrix(conv->c), u0, conv->spectral_options(), &expect);
  EXPECT_TRUE(torch::allclose(u1, expect));
  EXPECT_NEAR(u1.norm().item<double>(), 1.0, 1e-5);
}

TEST(SpectralNorm, SpecIterIsRespected) {
  torch::manual_seed(4);
  auto w = torch::randn({5, 7});
  auto u = torch::randn({1, 7});
  torch::Tensor u1, u3;
  spectral_normalize(w, w, u, SpectralOptions{true, false, 1, 1.0f}, &u1);
  spectral_normalize(w, w, u, SpectralOptions{true, false, 3, 1.0f}, &u3);
  EXPECT_FALSE(torch::allclose(u1, u3));
  EXPECT_THROW(spectral_normalize(w, w, u, SpectralOptions{true, false, 0, 1.0f}), std::invalid_argument);
}

// A CubesNet of 8 filters in eval mode, weights from `seed`.
std::shared_ptr<NetworkImpl> small_cubesnet(uint64_t seed) {
  torch::manual_seed(seed);
  ModelConfig c = ModelConfig::defaults_for(Arch::CubesNet);
  c.num_filters = 8;
  auto net = make_network(c);
  net->eval();
  return net;
}

TEST(SpectralNorm, CachedModeEqualsUncachedAndStopsWeightGradients) {
  auto net = small_cubesnet(5);
  auto x = torch::rand({2, 3, 24, 24}).requires_grad_(true);
  auto label = torch::rand({2, 2});
  auto e0 = net->energy(x, label);
  auto g0 = torch::autograd::grad({e0.sum()}, {x})[0];
  net->cache_spectral_weights(/*update_u=*/false);
  EXPECT_TRUE(net->spectral_cache_active());
  auto e1 = net->energy(x, label);
  auto g1 = torch::autograd::grad({e1.sum()}, {x})[0];
  EXPECT_TRUE(torch::allclose(e0, e1, 1e-6, 1e-7));
  EXPECT_TRUE(torch::allclose(g0, g1, 1e-5, 1e-9));
  auto wg = torch::autograd::grad({e1.sum()}, {net->layers()["c1_pre"]->as<CondConvImpl>()->c},
                                  /*grad_outputs=*/{}, /*retain_graph=*/false, /*create_graph=*/false,
                                  /*allow_unused=*/true)[0];
  EXPECT_FALSE(wg.defined()) << "cached weights are constants for autograd";
  net->clear_spectral_cache();
  EXPECT_FALSE(net->spectral_cache_active());
}

// The trainer's CUDA graph reads the cached W/sigma where it was captured: a reused cache must land
// in the same tensors after the weights changed, with the values a fresh cache would have.
TEST(SpectralNorm, ReusedCacheStorageKeepsItsAddressAndFollowsTheWeights) {
  auto net = small_cubesnet(6);
  auto layer = net->layers()["c1_pre"]->as<CondConvImpl>();
  net->cache_spectral_weights(/*update_u=*/false, /*reuse_storage=*/true);
  const void* where = layer->cached_weight().data_ptr();
  const auto first = layer->cached_weight().clone();
  net->clear_spectral_cache();
  {
    torch::NoGradGuard no_grad;
    for (auto& p : net->parameters()) p.mul_(1.5).add_(0.01);  // an optimizer step: in place
  }
  net->cache_spectral_weights(/*update_u=*/false, /*reuse_storage=*/true);
  EXPECT_EQ(layer->cached_weight().data_ptr(), where);
  const auto reused = layer->cached_weight().clone();
  EXPECT_FALSE(torch::allclose(first, reused));
  net->clear_spectral_cache();
  net->cache_spectral_weights(/*update_u=*/false);  // a fresh tensor, the same values
  EXPECT_NE(layer->cached_weight().data_ptr(), where);
  EXPECT_TRUE(torch::equal(layer->cached_weight(), reused));
  std::set<const void*> weights;
  for (const auto& t : net->weight_tensors()) weights.insert(t.data_ptr());
  EXPECT_TRUE(weights.count(layer->cached_weight().data_ptr())) << "weight_tensors() lists the active cache";
  net->clear_spectral_cache();
}

TEST(TfOps, SamePaddingMatchesTensorFlow) {
  using P = std::pair<int64_t, int64_t>;
  EXPECT_EQ(tf_same_pad(64, 3, 2), P(0, 1));
  EXPECT_EQ(tf_same_pad(64, 4, 2), P(1, 1));
  EXPECT_EQ(tf_same_pad(5, 3, 1), P(1, 1));
  EXPECT_EQ(tf_same_pad(7, 4, 2), P(1, 2));  // odd total: the extra pixel goes after
  auto x = torch::rand({1, 2, 64, 64});
  auto w = torch::rand({3, 2, 4, 4});
  EXPECT_EQ(conv2d_same(x, w, 2).sizes(), (std::vector<int64_t>{1, 3, 32, 32}));
}

TEST(TfOps, LeakyReluUsesTensorFlowSlope) {
  auto y = apply_act(Act::LeakyRelu, torch::tensor({-1.0f, 2.0f}));
  EXPECT_FLOAT_EQ(y[0].item<float>(), -0.2f);
  EXPECT_FLOAT_EQ(y[1].item<float>(), 2.0f);
  EXPECT_NEAR(apply_act(Act::Swish, torch::tensor({1.0f}))[0].item<float>(), 1.0 / (1.0 + std::exp(-1.0)), 1e-6);
}

TEST(TfOps, SwishIsXTimesSigmoidAndKeepsItsSecondDerivative) {
  auto x = torch::linspace(-6, 6, 97, torch::kDouble).requires_grad_(true);
  auto y = swish(x);
  EXPECT_TRUE(torch::allclose(y, x * torch::sigmoid(x), 1e-12, 1e-12));
  // Score matching differentiates the input gradient again: the fused op must keep that graph.
  auto g = torch::autograd::grad({y.sum()}, {x}, {}, /*retain_graph=*/true, /*create_graph=*/true)[0];
  auto s = torch::sigmoid(x);
  EXPECT_TRUE(torch::allclose(g, s * (1 + x * (1 - s)), 1e-12, 1e-12));
  auto gg = torch::autograd::grad({g.sum()}, {x})[0];
  EXPECT_TRUE(torch::allclose(gg, s * (1 - s) * (2 + x * (1 - 2 * s)), 1e-10, 1e-10));
}

TEST(TfOps, AveragePoolingIsTheSameOnChannelsLastTensors) {
  torch::manual_seed(4);
  auto x = torch::randn({3, 5, 8, 6});
  auto g = torch::randn({3, 5, 4, 3});
  auto pooled = [&](const torch::Tensor& in) {
    auto leaf = in.detach().requires_grad_(true);
    auto y = avg_pool_2x2(leaf);
    auto gx = torch::autograd::grad({y}, {leaf}, {g})[0];
    return std::make_pair(y, gx);
  };
  auto ref_y = torch::avg_pool2d(x, 2, 2);
  auto [y_nchw, g_nchw] = pooled(x);
  auto [y_cl, g_cl] = pooled(x.contiguous(at::MemoryFormat::ChannelsLast));
  EXPECT_TRUE(torch::allclose(y_nchw, ref_y, 0, 0));
  EXPECT_TRUE(torch::allclose(y_cl, ref_y, 1e-6, 1e-6));
  EXPECT_TRUE(y_cl.is_contiguous(at::MemoryFormat::ChannelsLast));  // the next conv needs no copy
  EXPECT_TRUE(torch::allclose(g_cl, g_nchw, 1e-6, 1e-6));
  EXPECT_TRUE(torch::allclose(g_nchw, g.repeat_interleave(2, 2).repeat_interleave(2, 3) / 4, 1e-6, 1e-6));
  // Odd sizes floor, as avg_pool2d does.
  auto odd = torch::randn({1, 4, 7, 5}).contiguous(at::MemoryFormat::ChannelsLast);
  EXPECT_TRUE(torch::allclose(avg_pool_2x2(odd), torch::avg_pool2d(odd, 2, 2), 1e-6, 1e-6));
}

TEST(CondConv, UnderBf16AutocastTheActivationsStayBf16) {
  torch::manual_seed(5);
  ConvSpec spec = conv_spec(4, 4);
  spec.classes = 2;
  spec.spec_norm = false;  // its power iteration would run in bf16 here too: not what this is about
  CondConv conv(spec);
  {
    torch::NoGradGuard ng;
    for (auto& p : conv->parameters()) p.add_(0.1 * torch::randn_like(p));  // non-trivial g, gb, cb, b
  }
  auto x = torch::rand({2, 4, 8, 8});
  auto label = torch::tensor({0.5f, -0.5f, 1.0f, 0.0f}).view({2, 2});
  ConvCall call;
  call.extra_bias = true;
  call.use_scale = true;
  call.use_bias = true;
  call.act = Act::Swish;
  auto ref = conv->forward(x, label, call);
  torch::Tensor low;
  {
    AutocastGuard amp(c10::kCPU, at::kBFloat16);  // the same type rules as on CUDA, where bf16 runs
    low = conv->forward(x, label, call);
  }
  ASSERT_EQ(ref.scalar_type(), torch::kFloat);
  // fp32 parameters after the conv must not promote its bf16 output (the elementwise ops would move
  // twice the bytes and the next conv would cast back: docs/gpu.md).
  EXPECT_EQ(low.scalar_type(), torch::kBFloat16);
  EXPECT_LT((low.to(torch::kFloat) - ref).abs().max().item<float>(), 0.05f * ref.abs().max().item<float>());
}

TEST(Transforms, StandardTransformsTurn64Into70AndValidateDraws) {
  auto x = torch::rand({3, 3, 64, 64});
  for (int a = 0; a < kNumRotationAngles; a += 5) {
    TransformDraw d{4, 0, a, 2, 1};
    EXPECT_EQ(apply_standard_transforms(x, d).sizes(), (std::vector<int64_t>{3, 3, 70, 70}));
  }
  EXPECT_EQ(standard_transform_size(64), 70);
  EXPECT_THROW(apply_standard_transforms(x, TransformDraw{5, 0, 0, 0, 0}), std::invalid_argument);
  EXPECT_THROW(apply_standard_transforms(x, TransformDraw{0, 0, 26, 0, 0}), std::invalid_argument);
  EXPECT_THROW(apply_standard_transforms(x, TransformDraw{0, 0, 0, 3, 0}), std::invalid_argument);
  EXPECT_EQ(kRotationAnglesDeg[0], -10);
  EXPECT_EQ(kRotationAnglesDeg[20], 10);
  EXPECT_EQ(kRotationAnglesDeg[25], 0);
}

TEST(Transforms, PaddingIsGreyAndRotationKeepsTheCentre) {
  auto x = torch::zeros({1, 1, 64, 64});
  auto y = apply_standard_transforms(x, TransformDraw{0, 0, 10, 0, 0});  // angle 0, offsets 0: 6 px of pad
  EXPECT_FLOAT_EQ(y[0][0][0][0].item<float>(), 0.5f);
  auto img = torch::rand({1, 1, 33, 33});
  auto r = rotate_nearest(img, 7);
  EXPECT_FLOAT_EQ(r[0][0][16][16].item<float>(), img[0][0][16][16].item<float>());
  EXPECT_FLOAT_EQ(r[0][0][0][0].item<float>(), 0.0f) << "corners rotate out of the image: zero fill";
  EXPECT_TRUE(torch::equal(rotate_nearest(img, 0), img));
}

TEST(Transforms, DrawsAreSeededAndRedrawnEveryEvaluation) {
  auto g1 = at::detail::createCPUGenerator(42), g2 = at::detail::createCPUGenerator(42);
  for (int i = 0; i < 5; ++i) EXPECT_EQ(draw_standard_transform(g1).describe(), draw_standard_transform(g2).describe());
  ModelConfig c = ModelConfig::defaults_for(Arch::CubesNet);
  c.num_filters = 4;
  c.augment_vis = true;
  auto net = std::dynamic_pointer_cast<CubesNetImpl>(make_network(c));
  ASSERT_TRUE(net);
  net->eval();
  net->seed_transforms(9);
  auto x = torch::rand({2, 3, 64, 64});
  auto label = torch::zeros({2, 2});
  std::set<std::string> seen;
  for (int i = 0; i < 8; ++i) {
    torch::NoGradGuard g;
    net->energy(x, label);
    seen.insert(net->last_transform()->describe());
  }
  EXPECT_GT(seen.size(), 1u);
  net->force_transform(TransformDraw{1, 2, 3, 1, 0});
  torch::NoGradGuard g;
  auto e1 = net->energy(x, label), e2 = net->energy(x, label);
  EXPECT_TRUE(torch::equal(e1, e2)) << "a forced draw makes the energy deterministic";
}

TEST(Antialias, BinomialKernelsAndChannelMixingDownsample) {
  EXPECT_NEAR(binomial_kernel(3).sum().item<double>(), 1.0, 1e-7);
  EXPECT_NEAR(binomial_kernel(5).sum().item<double>(), 1.0, 1e-7);
  EXPECT_FLOAT_EQ(binomial_kernel(5)[2][2].item<float>(), 36.0f / 256.0f);
  EXPECT_THROW(binomial_kernel(4), std::invalid_argument);
  auto x = torch::full({1, 3, 64, 64}, 0.25f);
  auto y = antialias_downsample(x, 3);
  EXPECT_EQ(y.sizes(), (std::vector<int64_t>{1, 3, 32, 32}));
  // Interior pixels: the blur of a constant, summed over the 3 input channels.
  EXPECT_NEAR(y[0][1][5][5].item<double>(), 0.75, 1e-6);
  EXPECT_EQ(antialias_downsample(x, 5).sizes(), (std::vector<int64_t>{1, 3, 32, 32}));
}

TEST(Norms, StatisticsMatchTheirDefinitions) {
  torch::manual_seed(6);
  auto x = torch::randn({2, 64, 5, 5}) * 3 + 1;
  auto p = pixel_norm(x);
  EXPECT_TRUE(torch::allclose(p.pow(2).mean({2, 3}), torch::ones({2, 64}), 1e-4, 1e-4));
  auto ones = torch::ones({64}), zeros = torch::zeros({64});
  auto g = group_norm(x, ones, zeros, 32).reshape({2, 2, 32, 5, 5});
  EXPECT_LT(g.mean({2, 3, 4}).abs().max().item<double>(), 1e-5);
  EXPECT_TRUE(torch::allclose(g.var({2, 3, 4}, /*unbiased=*/false), torch::ones({2, 2}), 1e-3, 1e-3));
  auto l = layer_norm(x, ones * 2, zeros + 1);
  EXPECT_NEAR(l.mean().item<double>(), 1.0, 1e-4);
  auto b = batch_norm(x);
  EXPECT_LT(b.mean(0).abs().max().item<double>(), 1e-5);
  EXPECT_THROW(group_norm(torch::randn({1, 48, 2, 2}), torch::ones({48}), torch::zeros({48}), 32), std::invalid_argument);
  EXPECT_THROW(layer_norm(x, torch::ones({3}), zeros), std::invalid_argument);
}

TEST(CombMask, CorrectVariantSplitsTheImageAndTheQuirkScramblesIt) {
  torch::manual_seed(7);
  auto x = torch::rand({2, 3, 8, 8});
  auto mask = torch::randn({2, 3, 8, 8});
  auto parts = comb_mask_split(x, mask, /*reshape_quirk=*/false);
  ASSERT_EQ(parts.sizes(), (std::vector<int64_t>{6, 3, 8, 8}));
  EXPECT_TRUE(torch::allclose(parts.view({2, 3, 3, 8, 8}).sum(1), x, 1e-5, 1e-6)) << "softmax masks sum to one";
  auto quirk = comb_mask_split(x, mask, /*reshape_quirk=*/true);
  ASSERT_EQ(quirk.sizes(), parts.sizes());
  EXPECT_FALSE(torch::allclose(quirk, parts));
  // Same values, other positions: a reinterpretation of the same memory.
  EXPECT_TRUE(torch::equal(std::get<0>(quirk.flatten().sort()), std::get<0>(parts.flatten().sort())));
  EXPECT_THROW(comb_mask_split(x, {}, true), std::invalid_argument);
}

TEST(CombMask, CorrectVariantEnergyIsTheSumOverMaskedCopies) {
  torch::manual_seed(8);
  ModelConfig c = ModelConfig::defaults_for(Arch::CubesNet);
  c.num_filters = 4;
  c.cclass = false;
  c.comb_mask = true;
  c.comb_mask_reshape_quirk = false;
  auto masked = make_network(c);
  ModelConfig plain_cfg = c;
  plain_cfg.comb_mask = false;
  auto plain = make_network(plain_cfg);
  copy_state(*masked, *plain);
  masked->eval();
  plain->eval();
  torch::NoGradGuard g;
  auto x = torch::rand({2, 3, 64, 64});
  auto mask = torch::randn({2, 3, 64, 64});
  auto e = masked->energy(x, {}, mask);
  auto soft = torch::softmax(mask, 1);
  auto expect = torch::zeros({2, 1});
  for (int k = 0; k < 3; ++k) expect += plain->energy(x * soft.narrow(1, k, 1), {});
  EXPECT_TRUE(torch::allclose(e, expect, 1e-5, 1e-6));
}

}  // namespace
}  // namespace ebm
