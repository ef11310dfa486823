// `ebm sample`: runs a recipe (JSON, or a PNG exported by ebm) to completion and writes a PNG grid
// carrying the recipe it ran (with the command line's overrides applied), so the grid reproduces.
#include "app/cli/cli_errors.h"
#include "app/cli/commands.h"
#include "app/cli/output_check.h"
#include "app/cli/dist_flags.h"
#include "app/cli/ladder_flags.h"
#include "app/cli/step_rule_flags.h"
#include "engine/energy/guidance_rule.h"
#include "engine/sampling/batch_split.h"
#include "engine/gpu/device_check.h"
#include "engine/dist/launcher.h"
#include "engine/export/grid.h"
#include "engine/image/image_io.h"
#include "engine/recipe/recipe.h"
#include "engine/recipe/runnable.h"
#include "engine/sampling/sampler.h"

#include <torch/cuda.h>
#include <torch/torch.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <iostream>
#include <optional>
#include <unistd.h>

namespace ebm::cli {

namespace {

struct SampleArgs {
  std::string recipe, out;
  std::optional<int64_t> steps, batch, offset;
  std::optional<uint64_t> seed;
  std::optional<std::string> device;
  std::optional<int64_t> micro_batch;
  std::optional<std::string> precision;
  std::optional<std::string> init_image;
  std::optional<double> init_sigma;
  std::optional<std::string> init_region;
  StepRuleFlags step_rule;
  bool no_cuda_graph = false;
  int columns = 0;
  bool ignore_hash = false;
  bool quiet = false;
  DistFlags dist;
  WalkFlags walk;  // --quality and the walk flags (unnamed: the composition's default walk)
};

// Progress on stderr: a redrawn bar on a terminal, a plain line per 10 % otherwise (logs, CI).
class Progress {
 public:
  explicit Progress(int64_t total) : total_(total), tty_(isatty(STDERR_FILENO) == 1) {}
  // Whether update() would print at this step: the caller reads the energy (a device sync) only then,
  // so a GPU chain runs without a host round trip per step.
  bool due(int64_t step) const {
    if (step == total_) return true;
    if (tty_) return step % 10 == 0;
    return (total_ > 0 ? 10 * step / total_ : 10) != last_decile_;
  }
  void update(int64_t step, double ms_per_step, double energy) {
    if (tty_) {
      constexpr int kWidth = 30;
      const int fill = total_ > 0 ? static_cast<int>(kWidth * step / total_) : kWidth;
      std::string bar(static_cast<size_t>(fill), '#');
      bar.resize(kWidth, '.');
      std::fprintf(stderr, "\r[%s] %lld/%lld  %.1f ms/step  E=%.4g ", bar.c_str(), static_cast<long long>(step),
                   static_cast<long long>(total_), ms_per_step, energy);
      if (step == total_) std::fprintf(stderr, "\n");
    } else {
      const int64_t decile = total_ > 0 ? 10 * step / total_ : 10;
      if (decile == last_decile_ && step != total_) return;
      last_decile_ = decile;
      std::fprintf(stderr, "step %lld/%lld  %.1f ms/step  mean energy %.6g\n", static_cast<long long>(step),
                   static_cast<long long>(total_), ms_per_step, energy);
    }
    std::fflush(stderr);
  }

 private:
  int64_t total_;
  bool tty_;
  int64_t last_decile_ = -1;
};

void run_sample(const SampleArgs& a) {
  check_output_file(a.out, "--out");  // before minutes of sampling, not after
  std::vector<std::string> warnings;
  Recipe r = load_recipe(a.recipe, &warnings);
  for (const auto& w : warnings) std::cerr << "ebm sample: warning: " << w << "\n";

  SamplerParams& p = r.sampler;
  if (a.steps) apply_step_count(*a.steps, p);
  if (a.seed) p.seed = *a.seed;
  if (a.batch) {
    if (!p.sample_ids.empty() && static_cast<int64_t>(p.sample_ids.size()) != *a.batch)
      throw std::invalid_argument("--batch: the recipe lists " + std::to_string(p.sample_ids.size()) +
                                  " sample ids; drop them from the recipe to change the batch");
    p.batch = *a.batch;
  }
  if (a.offset) p.sample_offset = *a.offset;
  if (a.init_image) {
    // An edit from this image: the recipe's composition, started from the image (noised to
    // --init-sigma), so what the noise leaves standing is kept.
    p.init = InitMode::Image;
    try {
      p.init_image = load_image(*a.init_image, 3).squeeze(0);
    } catch (const std::exception& e) {
      throw std::invalid_argument(std::string("--init-image: ") + e.what());
    }
  }
  if (a.init_sigma) {
    if (p.init != InitMode::Image)
      throw std::invalid_argument("--init-sigma noises an image start: give --init-image too (or a recipe whose init is an image)");
    p.init_sigma = *a.init_sigma;
  }
  if (a.init_region) {
    if (p.init != InitMode::Image)
      throw std::invalid_argument("--init-region holds part of an image start: give --init-image too (or a recipe whose init is an image)");
    try {
      p.init_region = load_image(*a.init_region, 1).squeeze(0);
    } catch (const std::exception& e) {
      throw std::invalid_argument(std::string("--init-region: ") + e.what());
    }
  }
  if (a.device) p.device = *a.device;
  if (a.micro_batch) p.micro_batch = *a.micro_batch;
  if (a.precision) p.precision = precision_from_string(*a.precision);
  a.step_rule.apply(p);
  if (a.no_cuda_graph) p.cuda_graph = false;
  p.validate();
  require_available(parse_device(p.device), a.device ? "--device" : "the recipe's device");
  // A worker of `--gpus N` joins its group first; rank 0 speaks for it.
  const auto group = join_group_if_worker(torch::Device(dist::rank_device_name(p.device, dist::is_worker())));
  const bool quiet = a.quiet || (group && group->rank() != 0);

  // The recipe made runnable: its models loaded and checked against its hashes, and the schedule a
  // denoising model needs when it has none (kept in the PNG's recipe).
  RunnableOptions ro;
  ro.ignore_hash = a.ignore_hash;
  // The walk: the one named (--steps names one: ladder_flags.h), or the composition's default (quick
  // around one prior, final otherwise).
  ro.ladder = a.walk.for_composition(r.composition);
  RunnableRecipe run = make_runnable(r, a.recipe, ro);
  if (a.steps && run.schedule_from_models) {
    // An explicit step count applies to denoising models too (ladder_flags.h).
    ro.ladder = ladder_in_steps(ro.ladder, *a.steps);
    run.recipe.sampler.schedule = {};
    apply_model_schedule(run.recipe.sampler, run.recipe.composition, info_lookup(run.models), ro.ladder);
  }
  if (!quiet) {
    for (const auto& n : run.notes) std::cerr << (n.hash_mismatch ? "ebm sample: warning: " : "") << n.text << "\n";
    if (run.schedule_from_models)
      std::cerr << "ebm sample: denoising models: sampling on their annealed schedule ("
                << describe_ladder(ro.ladder, run.recipe.sampler.total_steps())
                << a.walk.why(run.recipe.composition) << ")\n";
  }
  if (!quiet && run.recipe.sampler.init == InitMode::Image)
    std::cerr << "ebm sample: starting from the init image"
              << (init_noise_sigma(run.recipe.sampler) > 0
                      ? " noised to sigma " + std::to_string(init_noise_sigma(run.recipe.sampler)) +
                            (run.recipe.sampler.schedule.annealed() ? " (the ladder from there on)" : "")
                      : std::string(" as it is"))
              << (run.recipe.sampler.init_region.defined() ? "; outside its region the image is held" : "") << "\n";
  r = std::move(run.recipe);  // p is r.sampler: now with the hashes and the schedule
  const ModelSet models = std::move(run.models);

  // `--gpus N`: each worker samples its share of the sample ids (a sample's chain depends only on its
  // id and the seed, so the grid is the one process's, image for image) and rank 0 writes the grid.
  const int64_t batch = p.batch;
  const int world = group ? group->world_size() : 1;
  const int64_t share = share_size(batch, world);
  // On CUDA a sample's arithmetic depends on the batch shape its kernels saw (cuDNN picks them by
  // shape): evaluating in chunks of one share makes the group's images those of one GPU run with
  // the same micro_batch, which the PNG's recipe records.
  if (group && p.micro_batch == 0) p.micro_batch = share;
  const Recipe as_given = r;  // the PNG carries the whole batch's recipe
  const auto all_ids = p.ids();
  int64_t mine = batch;
  if (group) {
    check_batch_split(batch, world, "--gpus " + std::to_string(world));
    const auto [first, count] = batch_share(batch, world, group->rank());
    mine = count;
    p.sample_ids.assign(all_ids.begin() + first, all_ids.begin() + first + mine);
    p.batch = mine;
    p.device = dist::rank_device_name(p.device, /*in_group=*/true);
  }

  Sampler s;
  s.set_models(models);
  s.set_composition(r.composition);
  s.set_params(p);
  torch::NoGradGuard no_grad;
  s.start();
  if (const auto capped = capped_term_names(r.composition, info_lookup(models), s.guidance_defaults());
      !quiet && !capped.empty()) {
    std::string names;
    for (const auto& n : capped) names += (names.empty() ? "" : ", ") + n;
    std::cerr << "ebm sample: guidance " << kCrowdedGuidance << " for " << names
              << " (three or more terms pull around one prior: docs/engine.md; give a term \"guidance\" in the "
                 "recipe to keep its model's)\n";
  }
  const int64_t total = p.total_steps();
  Progress progress(total);
  auto t0 = std::chrono::steady_clock::now();
  StepStats st;
  AcceptanceMeter acceptance;
  for (int64_t i = 0; i < total; ++i) {
    st = s.step();
    acceptance.add(st);
    if (!quiet && progress.due(i + 1)) {
      const double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count() / (i + 1);
      progress.update(i + 1, ms, st.energy.mean().item<double>());
    }
  }
  if (!quiet) std::cerr << "ebm sample: steps ran as " << s.last_step_path() << "\n";
  if (const double rate = acceptance.mean(); !quiet && rate >= 0)
    std::cerr << "ebm sample: acceptance " << rate << " (mean over " << total << " steps)\n";
  const auto resets = s.state().resets.sum().item<int64_t>();
  if (resets > 0) std::cerr << "ebm sample: warning: " << resets << " chain(s) hit NaN/Inf and were re-initialised\n";

  torch::Tensor images = s.state().x;
  if (group) {
    // Equal shares for the gather: the last worker's may be short, so pad and drop the padding.
    auto padded = torch::zeros({share, images.size(1), images.size(2), images.size(3)}, images.options());
    padded.narrow(0, 0, mine).copy_(images);
    auto all = group->gather_rows(padded).to(torch::kCPU);
    std::vector<torch::Tensor> parts;
    for (int r = 0; r < world; ++r) parts.push_back(all.narrow(0, r * share, batch_share(batch, world, r).count));
    images = torch::cat(parts, 0);
    if (group->rank() != 0) return;
  }
  GridOptions g;
  g.columns = a.columns;
  write_grid_png(a.out, images, g, &as_given);
  std::cout << "wrote " << a.out << " (" << images.size(0) << " samples, " << total << " steps, seed " << p.seed
            << (group ? ", " + std::to_string(group->world_size()) + " processes" : std::string()) << ")\n";
  if (st.energy.defined() && !group) {
    const auto names = s.term_names();
    for (size_t i = 0; i < names.size(); ++i)
      if (i < st.per_term.size() && st.per_term[i].defined())
        std::cout << "  term " << names[i] << ": mean energy " << st.per_term[i].mean().item<double>() << "\n";
  }
}

void register_sample(CLI::App& app) {
  auto a = std::make_shared<SampleArgs>();
  auto* sub = app.add_subcommand("sample", "Run a sampling recipe and write a PNG grid (with the recipe inside)");
  sub->add_option("--recipe", a->recipe, "recipe JSON, or a PNG exported by ebm")->required();
  sub->add_option("--out", a->out, "output PNG grid")->required();
  sub->add_option("--steps", a->steps, "override the recipe's step count");
  sub->add_option("--seed", a->seed, "override the recipe's seed");
  sub->add_option("--batch", a->batch, "override the recipe's batch size");
  sub->add_option("--offset", a->offset, "global index of the first sample (sample i of a seed is fixed)");
  sub->add_option("--device", a->device, "cpu, cuda or cuda:N (override)");
  sub->add_option("--micro-batch", a->micro_batch,
                  "evaluate energies in chunks of this many samples (0 = whole batch; --gpus N sets ceil(batch/N))");
  sub->add_option("--precision", a->precision, "CUDA arithmetic: fp32, tf32 (default) or bf16 (docs/gpu.md)");
  sub->add_option("--init-image", a->init_image,
                  "start every chain from this PNG/JPEG (an edit of it: the recipe's labels, the image's rest)");
  sub->add_option("--init-sigma", a->init_sigma,
                  "noise the --init-image to this sigma and enter the ladder there (0: as it is; docs/recipe.md)");
  sub->add_option("--init-region", a->init_region,
                  "a grey PNG the size of any image: where the edit may redraw (white); the rest (black) is held to "
                  "the --init-image; with --init-sigma 1 the region is redrawn from noise at the recipe's labels, "
                  "the best edit measured (docs/recipe.md, An edit box)");
  add_step_rule_flags(sub, a->step_rule, "overrides the recipe's (langevin when it names none)");
  sub->add_flag("--no-cuda-graph", a->no_cuda_graph, "step eagerly instead of replaying a captured CUDA graph");
  sub->add_option("--columns", a->columns, "grid columns (0 = square)")->capture_default_str();
  sub->add_flag("--ignore-hash", a->ignore_hash, "sample even when a model file differs from the recipe's hash");
  sub->add_flag("--quiet", a->quiet, "no progress output");
  add_ladder_flags(sub, a->walk);
  a->walk.name_by_steps(sub->get_option("--steps"));
  add_dist_flags(sub, a->dist);
  sub->callback([a] {
    run_command("sample", [&]() -> int {
      if (auto code = launch_workers_if_asked(a->dist, "ebm sample")) return *code;  // the workers' exit code
      run_sample(*a);
      return 0;
    });
  });
}

}  // namespace

EBM_CLI_COMMAND(200, register_sample);

}  // namespace ebm::cli
