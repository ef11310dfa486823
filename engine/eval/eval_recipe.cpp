#include "engine/eval/eval_recipe.h"

#include "engine/gpu/device_check.h"
#include "engine/train/quick_grade.h"

#include <torch/cuda.h>

#include <chrono>

namespace ebm::eval {

EvalOutcome evaluate_recipe(const std::string& name, const Recipe& r, const ModelSet& models,
                            CubesClassifierImpl& classifier, int64_t n, int64_t chunk,
                            const SamplingProgressFn& progress, const LadderOptions& ladder) {
  EvalOutcome out;
  const auto t0 = std::chrono::steady_clock::now();
  const auto targets = grade_targets(r.composition, models);
  out.params = r.sampler;
  // As the trainer's annealed sampler: no clamp along the ladder (a clamp at σ ≈ 1 would cut the
  // noise the levels rely on); the final images are clamped when they are graded.
  out.schedule_from_model = apply_model_schedule(out.params, r.composition, info_lookup(models), ladder);
  out.params.validate();
  require_available(parse_device(out.params.device), "the sampler's device");
  const auto images = sample_n(models, r.composition, out.params, n, chunk, progress, &out.table.acceptance);
  const auto pred = classify(classifier, images, chunk);
  const double acceptance = out.table.acceptance;
  out.table = grade(name, pred, targets);
  out.table.acceptance = acceptance;
  // A grader that counts says how many objects a sample holds; the first grader could not, so the
  // image reading of quick_grade.h stands in for it.
  if (!pred.has_count()) out.table.objects_found = train::objects_found(images).to(torch::kFloat).mean().item<double>();
  out.table.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return out;
}

}  // namespace ebm::eval
