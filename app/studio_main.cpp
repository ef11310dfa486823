// ebm-studio: the desktop app. Thin main: parse the command line, build Studio, run its loop.
#include "app/studio/studio.h"
#include "engine/gpu/cpu_threads.h"
#include "engine/gpu/device_check.h"
#include "engine/gpu/precision.h"
#include "engine/sampling/walk_presets.h"

#include <CLI/CLI.hpp>
#include <spdlog/spdlog.h>

#include <cstdio>

int main(int argc, char** argv) {
  using ebm::studio::StudioOptions;
  StudioOptions opt;
  std::vector<std::string> models;
  bool no_vsync = false, no_autostart = false;
  int batch = 0, gpus = 1;
  std::string device = "auto", precision, quality = "auto";
  CLI::App app{"ebm-studio: compose energy-based concepts and watch Langevin sampling live"};
  app.add_option("models", models, "model files (.safetensors, .pt) or directories to load (default: the shipped models)");
  app.add_option("--script", opt.script, "run the UI actions of this JSON script, then quit (docs/studio.md)")->check(CLI::ExistingFile);
  app.add_option("--screenshot-dir", opt.screenshot_dir, "where a script's screenshots, exports and report go (default: next to the script)");
  app.add_option("--preset", opt.preset, "open this recipe (.json, or a PNG exported by ebm) at start-up");
  app.add_option("--width", opt.width, "window width")->check(CLI::Range(320, 16384));
  app.add_option("--height", opt.height, "window height")->check(CLI::Range(240, 16384));
  app.add_option("--batch", batch, "samples per chain (default 16; 4 on a CPU)")->check(CLI::Range(1, 4096));
  app.add_option("--device", device, "where the sampler runs: auto (the first GPU when CUDA is available), cpu, cuda, cuda:N")
      ->capture_default_str();
  app.add_option("--gpus", gpus, "split the chains over this many GPUs from --device on (each with a copy of the models; the images are one GPU's)")
      ->check(CLI::Range(1, 64));
  app.add_option("--precision", precision,
                 "arithmetic of the sampling step: tf32 (GPU default), fp32 or bf16 (also on a CPU with bf16 "
                 "instructions, the CPU default there)");
  app.add_option("--quality", quality,
                 "how denoising models' ladder is walked: draft (27 fast steps), quick (39 steps, the best walk "
                 "for colour compositions and three or four concepts), final (the 400-step ladder) or auto (draft on the CPU; on a "
                 "GPU each composition's default: quick around one prior, final otherwise)")
      ->check(CLI::IsMember({"auto", "draft", "quick", "final"}))
      ->capture_default_str();
  app.add_option("--max-seconds", opt.max_seconds, "fail a scripted run that takes longer than this")->check(CLI::NonNegativeNumber);
  app.add_flag("--no-vsync", no_vsync, "do not wait for the display's vertical sync (the loop is still capped)");
  app.add_flag("--no-autostart", no_autostart, "do not build a default composition and start sampling at start-up");
  CLI11_PARSE(app, argc, argv);

  ebm::gpu::use_all_cores();  // LibTorch's CPU pool starts at one thread here (cpu_threads.h)
  // The GUI thread's tensor work is small; the pool's threads are for the sampling worker.
  ebm::gpu::serial_ops_on_this_thread();
  opt.vsync = !no_vsync;
  opt.controller.autostart = !no_autostart;
  if (batch > 0) opt.controller.sampler.batch = batch;
  try {
    opt.controller.sampler.device = ebm::resolve_device(device).str();
    const bool cpu = torch::Device(opt.controller.sampler.device).is_cpu();
    // A CPU answers in seconds only on the draft walk, at a small batch, in bf16 where the CPU has it
    // (docs/studio.md, "On a CPU").
    // On a GPU, auto walks each composition's default (engine/recipe/default_walk.h), as `ebm sample` does.
    opt.controller.ladder = ebm::ladder_for_quality(quality != "auto" ? quality : cpu ? "draft" : "final");
    opt.controller.walk_by_rule = quality == "auto" && !cpu;
    if (cpu && batch == 0) opt.controller.sampler.batch = 4;
    if (cpu && precision.empty() && ebm::cpu_has_native_bf16()) opt.controller.sampler.precision = ebm::Precision::Bf16;
    if (!precision.empty()) opt.controller.sampler.precision = ebm::precision_from_string(precision);
    ebm::require_gpu_split(torch::Device(opt.controller.sampler.device), gpus, "--gpus " + std::to_string(gpus));
    opt.controller.sampler.devices = gpus;
  } catch (const std::invalid_argument& e) {
    std::fprintf(stderr, "ebm-studio: %s\n", e.what());
    return 2;
  }
  // Scripted runs must not depend on (or change) the user's window layout.
  opt.use_ini = opt.script.empty();
  // The running binary (/proc/self/exe), not argv[0]: started from $PATH, argv[0] is a bare name.
  opt.models = models.empty() ? ebm::studio::shipped_model_files("") : models;
  try {
    ebm::studio::Studio studio(std::move(opt));
    return studio.run();
  } catch (const std::exception& e) {
    // Only failures before a window exists end up here (no display, no OpenGL 3.3, a bad script).
    std::fprintf(stderr, "ebm-studio: %s\n", e.what());
    return 1;
  }
}
