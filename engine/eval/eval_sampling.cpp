#include "engine/eval/eval_sampling.h"

#include "engine/sampling/sampler.h"

#include <algorithm>
#include <chrono>
#include <stdexcept>

namespace ebm::eval {

torch::Tensor sample_n(const ModelSet& models, const Node& composition, SamplerParams params, int64_t n,
                       int64_t chunk, const SamplingProgressFn& progress, double* acceptance) {
  if (n < 1 || n > 1000000) throw std::invalid_argument("--n must be 1 … 1000000 (got " + std::to_string(n) + ")");
  if (chunk < 1 || chunk > kMaxBatch)
    throw std::invalid_argument("--batch must be 1 … " + std::to_string(kMaxBatch) + " (got " + std::to_string(chunk) + ")");
  if (!params.sample_ids.empty())
    throw std::invalid_argument("the recipe lists explicit sample ids; drop them to evaluate n samples");
  chunk = std::min(chunk, n);
  const int64_t chunks = (n + chunk - 1) / chunk;
  const int64_t offset = params.sample_offset;
  Sampler s;
  s.set_models(models);
  s.set_composition(composition);
  std::vector<torch::Tensor> parts;
  torch::NoGradGuard no_grad;
  AcceptanceMeter accepted;
  for (int64_t k = 0; k < chunks; ++k) {
    params.batch = std::min(chunk, n - k * chunk);
    params.sample_offset = offset + k * chunk;
    s.set_params(params);
    s.start();
    const int64_t total = params.total_steps();
    const auto t0 = std::chrono::steady_clock::now();
    auto last_report = std::chrono::steady_clock::now();
    for (int64_t i = 0; i < total; ++i) {
      auto st = s.step();
      accepted.add(st);
      // Reading the energy waits for the GPU: at most 4 times a second and at the chunk's end, so
      // the host keeps queueing steps ahead of the device in between.
      const auto now = std::chrono::steady_clock::now();
      if (progress && (i + 1 == total || now - last_report >= std::chrono::milliseconds(250))) {
        last_report = now;
        SamplingProgress p;
        p.chunk = k + 1;
        p.chunks = chunks;
        p.step = i + 1;
        p.steps = total;
        p.ms_per_step = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count() / (i + 1);
        p.energy = st.energy.mean().item<double>();
        progress(p);
      }
    }
    parts.push_back(s.state().x.detach());
    s.stop();
  }
  if (acceptance) *acceptance = accepted.mean();
  return torch::cat(parts, 0);
}

CubesPrediction classify(CubesClassifierImpl& classifier, const torch::Tensor& images, int64_t chunk) {
  if (!images.defined() || images.dim() != 4 || images.size(1) != 3 || images.size(2) != 64 || images.size(3) != 64)
    throw std::invalid_argument("the grading classifier reads 64×64 RGB images; the samples are " +
                                (images.defined() ? c10::str(images.sizes()) : std::string("missing")) +
                                " (the recipe's models are not cubes models)");
  torch::NoGradGuard no_grad;
  classifier.eval();
  classifier.to(images.device());
  std::vector<torch::Tensor> pos, size, shape, color, count;
  for (int64_t i = 0; i < images.size(0); i += chunk) {
    // Graded as `ebm sample` writes them: clamped to [0, 1].
    auto x = images.slice(0, i, std::min(images.size(0), i + chunk)).to(torch::kFloat).clamp(0.0, 1.0);
    auto p = classifier.forward(x);
    pos.push_back(p.pos);
    size.push_back(p.size);
    shape.push_back(p.shape_logits);
    color.push_back(p.color_logits);
    if (p.has_count()) count.push_back(p.count_logits);
  }
  return {torch::cat(pos), torch::cat(size), torch::cat(shape), torch::cat(color),
          count.empty() ? torch::Tensor() : torch::cat(count)};
}

}  // namespace ebm::eval
