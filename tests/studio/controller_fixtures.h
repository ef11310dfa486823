// Closed-form models, options and polling shared by the controller tests: a Controller against a real
// engine Session with energies that need no trained file.
#pragma once

#include "app/studio/controller.h"

#include <chrono>
#include <memory>
#include <thread>

namespace ebm::studio::test {

constexpr int kSide = 8;

// E(x | c) = 0.5 ||x - c||^2 with a 2-slot "position"-like label mapped to a grey level.
inline std::shared_ptr<EnergyModel> quadratic(LabelSchema schema) {
  ModelInfo info;
  info.channels = 3;
  info.image_size = kSide;
  info.label_size = schema.size();
  info.schema = schema;
  return std::make_shared<FunctionModel>(
      [](const torch::Tensor& x, const torch::Tensor& label) {
        auto c = label.mean(1).view({-1, 1, 1, 1}) * 0.5 + 0.5;
        return 0.5 * (x - c).square().flatten(1).sum(1);
      },
      info);
}

// A denoising "position" model (σ 0.02–0.8) whose energy ignores its label: it brings a noise ladder.
inline ModelInfo denoising_info() {
  ModelInfo info;
  info.channels = 3;
  info.image_size = kSide;
  info.label_size = 2;
  info.denoising = true;
  info.sigma_min = 0.02;
  info.sigma_max = 0.8;
  info.schema = LabelSchema::cubes_position();
  return info;
}

inline std::shared_ptr<EnergyModel> denoising_model() {
  return std::make_shared<FunctionModel>(
      [](const torch::Tensor& x, const torch::Tensor&) { return 0.5 * (x - 0.5).square().flatten(1).sum(1); },
      denoising_info());
}

inline ControllerOptions fast_options(bool autostart = false) {
  ControllerOptions o;
  o.autostart = autostart;
  o.sampler.batch = 2;
  o.sampler.steps = 100000;
  o.sampler.step_lr = 0.1;
  o.session.publish_every_steps = 1;
  return o;
}

// Polls until `pred` holds or ~20 s pass (the engine works on its own thread).
template <class F>
bool poll_until(Controller& c, F pred) {
  for (int i = 0; i < 2000; ++i) {
    c.poll();
    if (pred()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return false;
}

}  // namespace ebm::studio::test
