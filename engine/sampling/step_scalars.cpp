#include "engine/sampling/step_scalars.h"

#include "engine/rng/counter_rng.h"

namespace ebm {

StepScalars make_step_scalars(const torch::Device& device, std::uint64_t seed, std::int64_t step,
                              const StepSettings& set, bool holds) {
  auto f = torch::TensorOptions().dtype(torch::kFloat).device(device);
  StepScalars sc;
  sc.step_lr = torch::empty({}, f);
  sc.noise_std = torch::empty({}, f);
  sc.sigma = torch::empty({}, f);
  sc.noise_key = key_tensor(0, device);
  sc.reset_key = key_tensor(0, device);
  sc.reset_colour_key = key_tensor(0, device);
  sc.accept_key = key_tensor(0, device);
  if (holds) {
    sc.hold_sigma = torch::empty({}, f);
    sc.hold_key = key_tensor(0, device);
  }
  write_step_scalars(&sc, seed, step, set);
  return sc;
}

void write_step_scalars(StepScalars* sc, std::uint64_t seed, std::int64_t step, const StepSettings& set) {
  // fill_ with a host value launches a fill on the device: no copy from host memory to wait for.
  sc->step_lr.fill_(set.step_lr);
  sc->noise_std.fill_(set.noise_std);
  sc->sigma.fill_(set.sigma);
  sc->noise_key.fill_(static_cast<std::int64_t>(noise_key(seed, NoiseStream::Langevin, 0, step)));
  sc->reset_key.fill_(static_cast<std::int64_t>(noise_key(seed, NoiseStream::Reset, 0, step)));
  sc->reset_colour_key.fill_(static_cast<std::int64_t>(noise_key(seed, NoiseStream::ResetColour, 0, step)));
  sc->accept_key.fill_(static_cast<std::int64_t>(noise_key(seed, NoiseStream::Accept, 0, step)));
  if (sc->hold_sigma.defined()) {
    sc->hold_sigma.fill_(set.hold_sigma);
    sc->hold_key.fill_(static_cast<std::int64_t>(noise_key(seed, NoiseStream::Hold, 0, step)));
  }
}

}  // namespace ebm
