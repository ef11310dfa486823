// Small energies for the engine tests: closed-form (known gradients) and a tiny conv net (real
// batched network math), both cheap enough for a 2-core CI machine.
#pragma once

#include "engine/energy/energy_model.h"

#include <torch/torch.h>

#include <memory>

namespace ebm::test {

constexpr int kSize = 8;  // image side of every test model

// E(x | c) = 0.5 · k · ||x − c||² per sample; the label is the per-channel target c ([B,3]).
inline std::shared_ptr<EnergyModel> quadratic(double k = 1.0, int channels = 3) {
  ModelInfo info;
  info.channels = channels;
  info.image_size = kSize;
  info.label_size = channels;
  info.schema = LabelSchema::generic(channels);
  return std::make_shared<FunctionModel>(
      [k](const torch::Tensor& x, const torch::Tensor& label) {
        auto c = label.view({label.size(0), label.size(1), 1, 1});
        return 0.5 * k * (x - c).square().flatten(1).sum(1);
      },
      info);
}

// A conditional "denoising" toy recommending `guidance`: E(x | c) = ½·a‖x − c‖², its unconditional
// energy E(x) = ½·b‖x‖² (b of its own, so two models' priors can differ); the label is 3 values.
inline std::shared_ptr<EnergyModel> conditional_denoiser(double a, double b, double guidance = 1.0) {
  ModelInfo info;
  info.image_size = kSize;
  info.label_size = 3;
  info.denoising = true;
  info.guidance = guidance;
  info.schema = LabelSchema::generic(3);
  return std::make_shared<FunctionModel>(
      [a, b](const torch::Tensor& x, const torch::Tensor& label) {
        if (!label.defined()) return 0.5 * b * x.square().flatten(1).sum(1);
        return 0.5 * a * (x - label.view({label.size(0), 3, 1, 1})).square().flatten(1).sum(1);
      },
      info);
}

// E(x) = sum of w ⊙ x: a linear energy with a known constant gradient w.
inline std::shared_ptr<EnergyModel> linear(torch::Tensor w) {
  ModelInfo info;
  info.channels = static_cast<int>(w.size(0));
  info.image_size = static_cast<int>(w.size(1));
  return std::make_shared<FunctionModel>(
      [w](const torch::Tensor& x, const torch::Tensor&) { return (x * w).flatten(1).sum(1); }, info);
}

// A tiny conv energy: conv3x3 -> swish -> conv3x3 stride 2 -> mean -> linear, fixed init.
struct TinyNetImpl : torch::nn::Module {
  TinyNetImpl() {
    torch::manual_seed(7);
    c1 = register_module("c1", torch::nn::Conv2d(torch::nn::Conv2dOptions(3, 8, 3).padding(1)));
    c2 = register_module("c2", torch::nn::Conv2d(torch::nn::Conv2dOptions(8, 8, 3).stride(2).padding(1)));
    fc = register_module("fc", torch::nn::Linear(8 + 2, 1));
  }
  torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& label) {
    auto h = c1->forward(x);
    h = h * torch::sigmoid(h);
    h = c2->forward(h);
    h = (h * torch::sigmoid(h)).mean({2, 3});
    return fc->forward(torch::cat({h, label}, 1)).reshape({-1}) * 10.0;
  }
  torch::nn::Conv2d c1{nullptr}, c2{nullptr};
  torch::nn::Linear fc{nullptr};
};
TORCH_MODULE(TinyNet);

inline std::shared_ptr<EnergyModel> tiny_net() {
  TinyNet net;
  ModelInfo info;
  info.channels = 3;
  info.image_size = kSize;
  info.label_size = 2;
  info.schema = LabelSchema::generic(2);
  return std::make_shared<FunctionModel>(
      [net](const torch::Tensor& x, const torch::Tensor& label) mutable { return net->forward(x, label); }, info);
}

}  // namespace ebm::test
