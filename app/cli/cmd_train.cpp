// `ebm train`: trains a cubes concept EBM (contrastive divergence or denoising score matching) on
// procedurally rendered data; see docs/training.md. Ctrl-C / SIGTERM stop cleanly after the current
// iteration with a checkpoint; --resume continues the same trajectory.
#include "app/cli/cli_errors.h"
#include "app/cli/commands.h"
#include "app/cli/output_check.h"
#include "app/cli/dist_flags.h"
#include "engine/dist/launcher.h"
#include "engine/train/device.h"
#include "engine/train/init_source_options.h"
#include "engine/train/trainer.h"
#include "models/layers/augment.h"

#include <nlohmann/json.hpp>

#include <atomic>
#include <chrono>
#include <csignal>
#include <functional>
#include <iostream>
#include <memory>
#include <set>
#include <vector>

namespace ebm::cli {

namespace {

std::atomic<bool> g_stop{false};

extern "C" void on_stop_signal(int sig) {
  g_stop.store(true);
  std::signal(sig, SIG_DFL);  // a second Ctrl-C aborts at once
}

struct TrainArgs {
  train::TrainOptions opt;
  bool resume = false;
  bool augment_standard = false;  // --augment: the original's set for every --augment-* not given
  DistFlags dist;
  // Options given on the command line, as (json key, getter) — only these override a checkpoint's.
  std::vector<std::pair<CLI::Option*, std::function<void(nlohmann::json&)>>> given;
};

template <typename T>
void opt(CLI::App* sub, TrainArgs& a, const std::string& flag, const std::string& key, T& field, const std::string& help) {
  auto* o = sub->add_option(flag, field, help)->capture_default_str();
  a.given.emplace_back(o, [key, &field](nlohmann::json& j) { j[key] = field; });
}

// A boolean switch: `flag` sets `field` to `value`.
void toggle(CLI::App* sub, TrainArgs& a, const std::string& flag, const std::string& key, bool& field, bool value,
            const std::string& help) {
  auto* o = sub->add_flag_callback(flag, [&field, value] { field = value; }, help);
  a.given.emplace_back(o, [key, &field](nlohmann::json& j) { j[key] = field; });
}

// The JSON keys of the options set on the command line.
std::set<std::string> given_keys(TrainArgs& a) {
  std::set<std::string> keys;
  for (auto& g : a.given) {
    if (g.first->count() == 0) continue;
    nlohmann::json j;
    g.second(j);
    for (const auto& kv : j.items()) keys.insert(kv.key());
  }
  return keys;
}

// --augment fills in the original's transforms (AugmentOptions::standard) for the --augment-* flags
// the command line leaves out; position and size concepts of the cubes keep only the photometric ones
// (moving the object would make their label untrue).
void apply_standard_augmentation(TrainArgs& a) {
  if (!a.augment_standard) return;
  const AugmentOptions std_aug = AugmentOptions::standard();
  const bool spatial_label = !a.opt.folder_data() && (a.opt.concept_name == "position" || a.opt.concept_name == "size");
  const std::set<std::string> keys = given_keys(a);
  auto given = [&](const char* key) { return keys.count(key) > 0; };
  if (!given("augment_color")) a.opt.augment_color = std_aug.color_jitter;
  if (!given("augment_blur")) a.opt.augment_blur = std_aug.blur;
  if (spatial_label) return;
  if (!given("augment_translate")) a.opt.augment_translate = std_aug.translate;
  if (!given("augment_rotate")) a.opt.augment_rotate = std_aug.rotate_deg;
  if (!given("augment_scale")) a.opt.augment_scale = std_aug.scale;
}

void run_train(TrainArgs& a) {
  const auto started = std::chrono::steady_clock::now();
  apply_standard_augmentation(a);
  train::TrainOptions o = a.opt;
  if (a.resume) {
    nlohmann::json overrides = nlohmann::json::object();
    for (auto& g : a.given)
      if (g.first->count() > 0) g.second(overrides);
    o = train::merge_resume_options(train::read_checkpoint_options(a.opt.out_dir), overrides);
    o.out_dir = a.opt.out_dir;
  }
  // A fresh run from another model's weights learns what that model learned unless told otherwise.
  std::vector<std::string> inherited;
  if (!a.resume && !o.init_from.empty()) {
    inherited = train::inherit_init_source_options(&o, train::init_source_options(o.init_from), given_keys(a));
  }
  check_output_dir(o.out_dir, "--out");  // before the data is rendered or decoded
  g_stop.store(false);
  std::signal(SIGINT, on_stop_signal);
  std::signal(SIGTERM, on_stop_signal);
  // A worker of `--gpus N`: join the group first (every rank waits here for the others).
  // The trainer's device rule, so "auto" (the default) and bad names get its checks and messages.
  const torch::Device device = train::process_device(o.device, dist::is_worker());
  o.resolve_precision(device.is_cuda(), !a.resume);
  const auto group = join_group_if_worker(device);
  const bool quiet = group && group->rank() != 0;  // rank 0 speaks for the group
  if (quiet) o.progress_bar = false;
  if (group && !quiet)
    std::cerr << "ebm train: " << group->world_size() << " data-parallel processes (" << group->backend()
              << "), batch " << o.batch << " each, " << o.batch * group->world_size() << " in all\n";
  if (!quiet && !inherited.empty()) {
    std::cerr << "ebm train: from " << o.init_from << "'s training:";
    for (const auto& kv : inherited) std::cerr << " " << kv;
    std::cerr << " (give the flag to change one)\n";
  }
  if (!quiet) std::cerr << "ebm train: " << o.objective << " on '" << o.concept_name << "', batch " << o.batch << ", to iteration "
            << o.iters << (o.time_limit_min > 0 ? ", time limit " + std::to_string(o.time_limit_min) + " min" : "")
            << (a.resume ? " (resuming)" : "") << ", " << (o.bf16 ? "bf16 autocast + channels-last" : "fp32")
            << (o.auto_precision(device.is_cuda()) == "bf16" && !o.bf16 ? " (--precision auto trains cd in bf16 on CUDA)" : "")
            << "\n";
  train::Trainer trainer(o, a.resume, started, group.get());
  if (!quiet) std::cerr << "ebm train: device " << trainer.device().str() << ", " << trainer.data_summary()
            << " ready after " << std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count()
            << " s" << (o.augment().any() ? ", augmentation: " + o.augment().describe() : std::string()) << "\n";
  auto r = trainer.run(&g_stop);
  std::signal(SIGINT, SIG_DFL);
  std::signal(SIGTERM, SIG_DFL);
  if (quiet) return;
  std::cout << "ebm train: stopped at iteration " << r.iterations << "/" << o.iters << " (" << train::to_string(r.stop_reason) << "), "
            << (r.iterations - r.start_iteration) << " iterations this run at " << r.it_per_s << " it/s, "
            << r.train_seconds / 60.0 << " min of training in total\n"
            << "  model: " << o.out_dir << "/model.safetensors, checkpoint: " << o.out_dir
            << "/checkpoint.safetensors, log: " << o.out_dir << "/log.jsonl\n";
}

void register_train(CLI::App& app) {
  auto a = std::make_shared<TrainArgs>();
  auto& t = a->opt;
  auto* sub = app.add_subcommand(
      "train", "Train a concept EBM (cd or dsm) on the procedural cubes or a folder of your images; see docs/training.md");
  CLI::App* s = sub;
  opt(s, *a, "--concept", "concept_name", t.concept_name,
      "position | size | shape | color (the cubes), or the name of your --data folder's concept");
  opt(s, *a, "--objective", "objective", t.objective, "cd (the original contrastive divergence) | dsm (denoising score matching)");
  sub->add_option("--out", t.out_dir, "run directory (checkpoint, model, log, samples)")->required();
  sub->add_flag("--resume", a->resume, "continue the run in --out from its checkpoint");
  opt(s, *a, "--iters", "iters", t.iters, "total iterations");
  opt(s, *a, "--batch", "batch", t.batch, "batch size");
  opt(s, *a, "--device", "device", t.device, "auto | cpu | cuda | cuda:N");
  opt(s, *a, "--time-limit", "time_limit_min", t.time_limit_min, "stop cleanly before this many minutes (0 = none)");
  opt(s, *a, "--seed", "seed", t.seed, "seed of data, init and noise");
  opt(s, *a, "--init-from", "init_from", t.init_from,
      "start from this model file's weights (an earlier run's model.safetensors) instead of a random init; "
      "what its training learned with comes along unless given here: --objective, --filters, the noise "
      "settings, --dsm-weighting, --label-dropout");
  toggle(s, *a, "--init-across-concepts", "init_across_concepts", t.init_across_concepts, true,
         "with --init-from: the file may be of another concept with a label of the same length (a warm start)");
  opt(s, *a, "--log-every", "log_every", t.log_every, "iterations per log line");
  opt(s, *a, "--sample-every", "sample_every", t.sample_every, "iterations per sample grid (0 = only at the end)");
  opt(s, *a, "--ckpt-every", "ckpt_every", t.ckpt_every, "iterations per checkpoint");
  opt(s, *a, "--sample-n", "sample_n", t.sample_n, "images per sample grid");
  toggle(s, *a, "--no-progress", "progress_bar", t.progress_bar, false, "no progress display");
  opt(s, *a, "--pool", "pool", t.pool, "rendered scenes kept on the device");
  opt(s, *a, "--objects", "num_objects", t.num_objects, "objects per scene (1 or 2)");
  opt(s, *a, "--data", "data_dir", t.data_dir,
      "a folder of images with labels.csv (file,<label columns>) to train on instead of the cubes");
  {
    auto* o = sub->add_option("--label-columns", t.label_columns, "--data: the labels.csv columns that make the label")
                  ->delimiter(',');
    a->given.emplace_back(o, [&t](nlohmann::json& j) { j["label_columns"] = t.label_columns; });
    o = sub->add_option("--one-hot", t.one_hot, "--data: COLUMN:N, a column of class indices 0..N-1 (repeatable)")
            ->expected(1)
            ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll)
            ->allow_extra_args(false);
    a->given.emplace_back(o, [&t](nlohmann::json& j) { j["one_hot"] = t.one_hot; });
    o = sub->add_option("--label-range", t.label_ranges,
                        "--data: COLUMN:LO,HI, a continuous column's range (default -1,1; repeatable)")
            ->expected(1)
            ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll)
            ->allow_extra_args(false);
    a->given.emplace_back(o, [&t](nlohmann::json& j) { j["label_ranges"] = t.label_ranges; });
  }
  opt(s, *a, "--size", "image_size", t.image_size, "--data: 64 (CubesNet) or 128 (ResNet128)");
  sub->add_flag("--augment", a->augment_standard,
                "the original's augmentation (colour 0.1, translate 4 px, rotate 10°, blur 0.5) for every --augment-* not given");
  opt(s, *a, "--augment-color", "augment_color", t.augment_color, "brightness/contrast/saturation jitter U(1-a, 1+a)");
  opt(s, *a, "--augment-translate", "augment_translate", t.augment_translate, "shift by up to this many pixels");
  opt(s, *a, "--augment-rotate", "augment_rotate", t.augment_rotate, "rotate by up to this many degrees");
  opt(s, *a, "--augment-scale", "augment_scale", t.augment_scale, "zoom by U(1-s, 1+s)");
  opt(s, *a, "--augment-blur", "augment_blur", t.augment_blur, "probability of the binomial (antialias) blur");
  toggle(s, *a, "--checkpoint-activations", "checkpoint_activations", t.checkpoint_activations, true,
         "recompute the residual blocks in the backward (one more forward per block; measured on ResNet128 and "
         "CubesNet it did not lower the peak memory: docs/training.md)");
  opt(s, *a, "--filters", "num_filters", t.num_filters, "network width (the original: 64)");
  toggle(s, *a, "--no-spec-norm", "spec_norm", t.spec_norm, false, "cd: no spectral norm (dsm never uses it)");
  opt(s, *a, "--precision", "precision", t.precision,
      "auto (cd on CUDA: bf16 autocast + channels-last, about 2x the fp32 chain; otherwise fp32) | fp32 | bf16 "
      "(bf16 brings channels-last with it)");
  {
    auto* o = sub->add_flag_callback("--bf16", [&t] { t.precision = "bf16"; }, "the same as --precision bf16");
    a->given.emplace_back(o, [&t](nlohmann::json& j) { j["precision"] = t.precision; });
  }
  toggle(s, *a, "--channels-last", "channels_last", t.channels_last, true,
         "channels_last memory format (with fp32; bf16 always uses it)");
  toggle(s, *a, "--no-cudnn-benchmark", "cudnn_benchmark", t.cudnn_benchmark, false, "no cuDNN autotuning");
  toggle(s, *a, "--cuda-graph", "cuda_graph", t.cuda_graph, true,
         "cd on CUDA: replay the Langevin chain's step from a captured CUDA graph (the default)");
  toggle(s, *a, "--no-cuda-graph", "cuda_graph", t.cuda_graph, false, "cd: run the Langevin chain eagerly");
  opt(s, *a, "--lr", "lr", t.lr, "learning rate (0 = cd 3e-4, dsm 5e-4)");
  opt(s, *a, "--steps", "langevin_steps", t.langevin_steps, "cd: Langevin steps per iteration (original 40-60)");
  opt(s, *a, "--step-lr", "step_lr", t.step_lr, "cd: Langevin step size");
  opt(s, *a, "--noise", "langevin_noise", t.langevin_noise, "cd: Langevin noise std");
  opt(s, *a, "--replay", "replay_size", t.replay_size, "cd: replay buffer size (0 = off)");
  opt(s, *a, "--keep-ratio", "keep_ratio", t.keep_ratio, "cd: probability of a fresh-noise chain start");
  toggle(s, *a, "--no-replay-quirk", "replay_quirk", t.replay_quirk, false, "cd: exact uint8 replay (not the original /256)");
  opt(s, *a, "--l2", "l2_coeff", t.l2_coeff, "cd: energy L2 regulariser coefficient");
  opt(s, *a, "--sample-steps", "sample_steps", t.sample_steps, "cd: Langevin steps for sample grids");
  opt(s, *a, "--sigma-min", "sigma_min", t.sigma_min, "dsm: smallest noise level");
  opt(s, *a, "--sigma-max", "sigma_max", t.sigma_max, "dsm: largest noise level");
  opt(s, *a, "--sigma-median", "sigma_median", t.sigma_median, "dsm: median of the log-normal noise level draw");
  opt(s, *a, "--sigma-log-std", "sigma_log_std", t.sigma_log_std, "dsm: std of ln(sigma)");
  opt(s, *a, "--dsm-weighting", "dsm_weighting", t.dsm_weighting,
      "dsm: per-sigma loss weight, eps (uniform) or edm ((sigma^2 + sigma_d^2) / sigma_d^2)");
  opt(s, *a, "--sigma-features", "sigma_features", t.sigma_features, "dsm: label slots encoding sigma");
  opt(s, *a, "--label-dropout", "label_dropout", t.label_dropout, "dsm: fraction of unconditional rows");
  opt(s, *a, "--ema", "ema", t.ema, "dsm: EMA decay of the saved weights");
  opt(s, *a, "--warmup", "warmup", t.warmup, "dsm: lr warm-up iterations");
  opt(s, *a, "--grad-clip", "grad_clip", t.grad_clip, "dsm: global gradient-norm clip");
  opt(s, *a, "--sample-levels", "sample_levels", t.sample_levels, "dsm: noise levels of the sampler");
  opt(s, *a, "--sample-corrector", "sample_corrector", t.sample_corrector, "dsm: Langevin steps per level");
  opt(s, *a, "--sample-r", "sample_r", t.sample_r, "dsm: corrector step = r * sigma^2");
  opt(s, *a, "--sample-guidance", "sample_guidance", t.sample_guidance,
      "dsm: classifier-free guidance of the sample grids, saved as the model's recommended guidance");
  add_dist_flags(sub, a->dist);
  sub->callback([a] {
    run_command("train", [&]() -> int {
      if (auto code = launch_workers_if_asked(a->dist, "ebm train")) return *code;  // the workers' exit code
      run_train(*a);
      return 0;
    });
  });
}

}  // namespace

EBM_CLI_COMMAND(400, register_train);

}  // namespace ebm::cli
