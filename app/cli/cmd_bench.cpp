// `ebm bench`: sampling throughput of the engine (image-steps per second) by model, batch size,
// number of composed terms, device and execution mode. Models get fresh random weights (throughput
// does not depend on the weights); each term is its own network, as in a real composition of concepts.
//
// Modes (CUDA): eager (fp32, one launch per op), graph (the step replayed from a captured CUDA
// graph, fp32), graph+tf32, graph+bf16. Every mode runs the same chains (same seeds, same steps), so
// each row also reports how far its final samples and energies are from the eager fp32 run's: the
// measured cost of TF32/bf16 arithmetic (and a check that the graph computes the eager step).
#include "app/cli/bench_session.h"
#include "app/cli/bench_support.h"
#include "app/cli/cli_errors.h"
#include "app/cli/commands.h"
#include "engine/gpu/device_check.h"
#include "engine/gpu/precision_scope.h"
#include "engine/gpu/atlas.h"
#include "engine/gpu/cuda_gl_buffer.h"
#include "engine/gpu/headless_gl.h"
#include "engine/rng/counter_rng.h"
#include "engine/sampling/sampler.h"
#include "models/registry.h"

#include <nlohmann/json.hpp>
#include <torch/cuda.h>
#include <torch/torch.h>

#include <chrono>
#include <cmath>
#include <memory>
#include <optional>
#include <cstdio>
#include <iostream>
#include <sstream>

namespace ebm::cli {

namespace {

struct BenchArgs {
  bool json = false;
  std::string models = "cubesnet";
  std::string batches = "16";
  std::string terms = "1,2";
  int64_t steps = 5;
  int64_t warmup = 2;
  std::string device = "cpu";
  std::string modes;  // default: eager on the CPU, every mode on CUDA
  std::string preview;  // snapshot intervals for the preview-overhead rows (empty: none)
  bool preview_parts = false;  // also the interop preview's two parts alone (its map/unmap, its kernels)
  double session = 0;   // seconds per row of the studio-threading rows (0: none)
  int session_gpus = 1;  // GPUs the session rows' chains are split over
  int session_ahead = SessionOptions{}.max_steps_ahead;  // the session worker's bound on queued GPU steps
};

// A preview of the running chain as the studio makes one: the batch tiled into the RGBA8 atlas
// either on the host (copy to host memory, convert on the CPU: the studio's host upload without the
// final memcpy into GL) or on the GPU into a GL buffer registered with CUDA (the interop path).
// The parts of the interop preview, each alone (--preview-parts), to tell where its cost lies
// without a profiler: "map" maps and unmaps the GL buffer through CudaGlBuffer::fill with the same
// stream ordering but writes nothing; "map-nowait" the same without the sampling stream waiting for
// it (SourceAfterFill::Kept: if this row is near 0 while "map" is not, the wait is the cost, not the
// host's time in the driver); "atlas" runs the atlas kernels into a CUDA tensor on the sampling
// stream, no GL at all. And one candidate: "interop-copy" copies the chain's state on the sampling
// stream first and fills from that copy, so the sampling stream need not wait for the preview.
struct Preview {
  std::string path = "none";  // none | host | interop | map | map-nowait | atlas | interop-copy
  int64_t every = 0;
  gpu::HeadlessGl* gl = nullptr;  // interop: the context its buffer lives in
};

// Whether a preview path writes into a registered GL buffer (it needs interop and a GL context).
bool goes_through_gl(const std::string& path) { return path != "none" && path != "host" && path != "atlas"; }

struct Mode {
  std::string name;
  bool graph = false;
  Precision precision = Precision::Fp32;
  // "+ops": the counter noise drawn with ~30 tensor ops, as before its CUDA kernel (counter_rng.h).
  bool noise_ops = false;
};

Mode base_mode(const std::string& s) {
  if (s == "eager") return {s, false, Precision::Fp32};
  if (s == "eager+tf32") return {s, false, Precision::Tf32};
  if (s == "eager+bf16") return {s, false, Precision::Bf16};
  if (s == "graph") return {s, true, Precision::Fp32};
  if (s == "graph+tf32") return {s, true, Precision::Tf32};
  if (s == "graph+bf16") return {s, true, Precision::Bf16};
  throw std::invalid_argument("--modes: unknown mode '" + s +
                              "' (eager, eager+tf32, eager+bf16, graph, graph+tf32, graph+bf16; any of them +ops)");
}

Mode mode_from_string(const std::string& text) {
  const std::string ops = "+ops";
  const bool noise_ops = text.size() > ops.size() && text.compare(text.size() - ops.size(), ops.size(), ops) == 0;
  Mode m = base_mode(noise_ops ? text.substr(0, text.size() - ops.size()) : text);
  m.name = text;
  m.noise_ops = noise_ops;
  return m;
}

std::vector<std::string> split(const std::string& s) {
  std::vector<std::string> out;
  std::stringstream ss(s);
  std::string item;
  while (std::getline(ss, item, ','))
    if (!item.empty()) out.push_back(item);
  return out;
}

std::vector<int64_t> split_ints(const std::string& s, const std::string& flag, int64_t lo, int64_t hi) {
  std::vector<int64_t> out;
  for (const auto& item : split(s)) {
    size_t used = 0;
    int64_t v = 0;
    try {
      v = std::stoll(item, &used);
    } catch (const std::exception&) {
      used = 0;
    }
    if (used != item.size() || v < lo || v > hi)
      throw std::invalid_argument(flag + ": '" + item + "' is not an integer in [" + std::to_string(lo) + ", " +
                                  std::to_string(hi) + "]");
    out.push_back(v);
  }
  if (out.empty()) throw std::invalid_argument(flag + ": give at least one value, e.g. 16,64");
  return out;
}

void sync(const torch::Device& d) {
  if (d.is_cuda()) torch::cuda::synchronize(d.index());
}

// Sets the counter-noise kernel switch for one row and restores it after.
class NoiseKernelSwitch {
 public:
  explicit NoiseKernelSwitch(bool on) : was_(counter_noise_kernel_enabled()) { set_counter_noise_kernel_enabled(on); }
  ~NoiseKernelSwitch() { set_counter_noise_kernel_enabled(was_); }
  NoiseKernelSwitch(const NoiseKernelSwitch&) = delete;
  NoiseKernelSwitch& operator=(const NoiseKernelSwitch&) = delete;

 private:
  bool was_;
};

struct Result {
  std::string model, mode, path;
  int64_t batch, terms, steps;
  double ms_per_step, img_steps_per_s;
  torch::Tensor x, energy;  // final samples and last step's energies (CPU), for the comparison
  double preview_host_ms = 0;  // the sampling thread's time in one preview (mean; 0: no previews)
};

Result bench_one(Arch arch, int64_t batch, int64_t terms, const Mode& mode, const BenchArgs& a,
                 const torch::Device& dev, const Preview& preview = {}) {
  BenchComposition comp = make_bench_composition(arch, terms);
  const NoiseKernelSwitch noise(!mode.noise_ops);
  Sampler s;
  s.set_models(comp.models);
  s.set_composition(comp.root);
  SamplerParams p;
  p.batch = batch;
  p.steps = a.warmup + a.steps;
  p.device = a.device;
  p.init = InitMode::Uniform;
  p.cuda_graph = mode.graph;
  p.precision = mode.precision;
  s.set_params(p);
  s.start();
  // Preview targets, set up before the clock starts.
  const auto layout = atlas_for(batch, s.state().x.size(2));
  const size_t atlas_bytes = static_cast<size_t>(layout.width()) * layout.height() * 4;
  torch::Tensor host_atlas, gpu_atlas;
  unsigned int gl_buffer = 0;
  std::optional<gpu::CudaGlBuffer> registered;
  if (preview.path == "host") host_atlas = torch::empty({layout.height(), layout.width(), 4}, torch::kUInt8);
  if (preview.path == "atlas")
    gpu_atlas = torch::empty({layout.height(), layout.width(), 4}, torch::TensorOptions().dtype(torch::kUInt8).device(dev));
  if (goes_through_gl(preview.path)) {
    gl_buffer = preview.gl->create_buffer(atlas_bytes);
    registered.emplace(gl_buffer, atlas_bytes, dev.index());
  }
  double preview_ms = 0;
  int64_t previews = 0;
  auto make_preview = [&] {
    if (preview.path == "host") gpu::fill_rgba_atlas(s.state().x, layout, host_atlas);
    if (preview.path == "interop")
      registered->fill({s.state().x}, [&](torch::Tensor& bytes) {
        torch::Tensor view = bytes.view({layout.height(), layout.width(), 4});
        gpu::fill_rgba_atlas(s.state().x, layout, view);
      });
    if (preview.path == "interop-copy") {
      const torch::Tensor copy = s.state().x.clone();  // on the sampling stream, before the next step
      registered->fill(
          {copy},
          [&](torch::Tensor& bytes) {
            torch::Tensor view = bytes.view({layout.height(), layout.width(), 4});
            gpu::fill_rgba_atlas(copy, layout, view);
          },
          gpu::SourceAfterFill::Kept);
    }
    if (preview.path == "map") registered->fill({s.state().x}, [](torch::Tensor&) {});
    if (preview.path == "map-nowait") registered->fill({}, [](torch::Tensor&) {}, gpu::SourceAfterFill::Kept);
    if (preview.path == "atlas") gpu::fill_rgba_atlas(s.state().x, layout, gpu_atlas);
  };
  auto show = [&](int64_t i) {
    if (preview.every <= 0 || (i + 1) % preview.every != 0) return;
    const auto p0 = std::chrono::steady_clock::now();
    make_preview();
    preview_ms += std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - p0).count();
    ++previews;
  };
  StepStats st;
  for (int64_t i = 0; i < a.warmup; ++i) st = s.step();  // the first step of a graph mode captures
  sync(dev);
  const auto t0 = std::chrono::steady_clock::now();
  for (int64_t i = 0; i < a.steps; ++i) {
    st = s.step();
    show(i);
  }
  sync(dev);
  if (preview.gl) preview.gl->finish();
  registered.reset();
  if (gl_buffer) preview.gl->delete_buffer(gl_buffer);
  const double sec = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  Result r{to_string(arch), mode.name, s.last_step_path(), batch, terms, a.steps, 1000.0 * sec / a.steps,
           batch * a.steps / sec, s.state().x.to(torch::kCPU), st.energy.to(torch::kCPU, torch::kDouble)};
  r.preview_host_ms = previews > 0 ? preview_ms / previews : 0.0;
  return r;
}

// How far a mode's run ended from the eager fp32 run of the same chains.
struct Deviation {
  double max_abs_dx = 0, rms_dx = 0, energy_rel = 0;
};
Deviation deviation(const Result& r, const Result& ref) {
  Deviation d;
  const auto dx = (r.x.to(torch::kDouble) - ref.x.to(torch::kDouble));
  d.max_abs_dx = dx.abs().max().item<double>();
  d.rms_dx = dx.square().mean().sqrt().item<double>();
  d.energy_rel = ((r.energy - ref.energy).abs() / ref.energy.abs().clamp_min(1e-12)).max().item<double>();
  return d;
}

// Preview overhead: the chain at the default arithmetic (graph + tf32) with no preview, the host
// preview and the interop preview every k steps; overhead = 1 − (img-steps/s with) / (without).
void run_preview_rows(const BenchArgs& a, const std::vector<Arch>& archs, const std::vector<int64_t>& batches,
                      const std::vector<int64_t>& terms, const torch::Device& dev, nlohmann::json* out) {
  if (!dev.is_cuda()) throw std::invalid_argument("--preview measures GPU previews: use --device cuda");
  const auto every = split_ints(a.preview, "--preview", 1, 100000);
  std::string why;
  std::unique_ptr<gpu::HeadlessGl> gl;
  if (gpu::CudaGlBuffer::available()) gl = gpu::HeadlessGl::create(&why);
  else why = "this build has no CUDA-GL interop";
  const Mode mode = mode_from_string("graph+tf32");
  if (!a.json)
    std::printf("\npreview overhead (%s; interop %s; host ms: the sampling thread's time in one preview)\n"
                "%-10s %6s %6s %-12s %6s %12s %9s %10s\n",
                mode.name.c_str(), gl ? gl->renderer().c_str() : ("unavailable: " + why).c_str(), "model", "batch",
                "terms", "preview", "every", "img-steps/s", "overhead", "host ms");
  for (Arch arch : archs)
    for (int64_t b : batches)
      for (int64_t t : terms) {
        const Result base = bench_one(arch, b, t, mode, a, dev);
        std::vector<std::string> paths = {"host", "interop"};
        if (a.preview_parts) paths.insert(paths.end(), {"map", "map-nowait", "atlas", "interop-copy"});
        for (const std::string& path : paths) {
          if (goes_through_gl(path) && !gl) continue;
          for (int64_t k : every) {
            const Result r = bench_one(arch, b, t, mode, a, dev, Preview{path, k, gl.get()});
            const double overhead = 1.0 - r.img_steps_per_s / base.img_steps_per_s;
            if (a.json) {
              out->push_back({{"model", r.model}, {"device", a.device}, {"batch", b}, {"terms", t}, {"mode", mode.name},
                              {"preview", path}, {"preview_every", k}, {"img_steps_per_s", r.img_steps_per_s},
                              {"img_steps_per_s_no_preview", base.img_steps_per_s}, {"preview_overhead", overhead},
                              {"preview_host_ms", r.preview_host_ms}});
            } else {
              std::printf("%-10s %6lld %6lld %-12s %6lld %12.1f %8.1f%% %10.3f\n", r.model.c_str(),
                          static_cast<long long>(b), static_cast<long long>(t), path.c_str(), static_cast<long long>(k),
                          r.img_steps_per_s, 100.0 * overhead, r.preview_host_ms);
              std::fflush(stdout);
            }
          }
        }
        if (!a.json)
          std::printf("%-10s %6lld %6lld %-12s %6s %12.1f %9s %10s\n", to_string(arch).c_str(),
                      static_cast<long long>(b), static_cast<long long>(t), "none", "-", base.img_steps_per_s, "-", "-");
      }
}

void run_bench(const BenchArgs& a) {
  const torch::Device dev = parse_device(a.device);
  require_available(dev, "--device");
  if (a.steps < 1 || a.steps > 100000 || a.warmup < 0 || a.warmup > 1000)
    throw std::invalid_argument("--steps must be in [1, 100000] and --warmup in [0, 1000]");
  if (a.session < 0 || a.session > 3600) throw std::invalid_argument("--session: seconds in [0, 3600] (0: no session rows)");
  if (!a.preview.empty()) {  // before any row runs, not after the throughput rows
    split_ints(a.preview, "--preview", 1, 100000);
    if (!dev.is_cuda()) throw std::invalid_argument("--preview measures GPU previews: use --device cuda");
  }
  if (a.preview_parts && a.preview.empty())
    throw std::invalid_argument("--preview-parts adds rows to --preview's: give --preview K too (e.g. --preview 4)");
  std::vector<Arch> archs;
  for (const auto& m : split(a.models)) {
    Arch arch = arch_from_string(m);
    if (!ModelConfig::defaults_for(arch).is_energy())
      throw std::invalid_argument("--model " + m + " is not an energy model (use cubesnet or resnet128)");
    archs.push_back(arch);
  }
  const auto batches = split_ints(a.batches, "--batch", 1, kMaxBatch);
  const auto terms = split_ints(a.terms, "--terms", 1, 64);
  std::vector<Mode> modes;
  for (const auto& m : split(a.modes.empty() ? (dev.is_cuda() ? "eager,graph,graph+tf32,graph+bf16" : "eager") : a.modes)) {
    modes.push_back(mode_from_string(m));
    const Precision p = modes.back().precision;
    if (!dev.is_cuda() && (modes.back().graph || p == Precision::Tf32))
      throw std::invalid_argument("--modes " + m + " needs --device cuda (the CPU runs eager fp32, or eager+bf16)");
    if (!dev.is_cuda() && p == Precision::Bf16) gpu::check_precision(p, dev);  // names the missing instructions
  }
  torch::NoGradGuard no_grad;
  nlohmann::json out = nlohmann::json::array();
  if (!a.json)
    std::printf("%-10s %-6s %6s %6s %-11s %10s %12s %8s %11s %11s\n", "model", "device", "batch", "terms", "mode",
                "ms/step", "img-steps/s", "x eager", "max|dx|", "max dE/E");
  for (Arch arch : archs)
    for (int64_t b : batches)
      for (int64_t t : terms) {
        std::optional<Result> ref;  // the eager fp32 run of these chains
        for (const Mode& mode : modes) {
          Result r = bench_one(arch, b, t, mode, a, dev);
          if (mode.name == "eager") ref = r;
          const double speedup = ref ? r.img_steps_per_s / ref->img_steps_per_s : 0.0;
          const Deviation d = ref ? deviation(r, *ref) : Deviation{};
          if (a.json) {
            nlohmann::json row = {{"model", r.model}, {"device", a.device}, {"batch", r.batch}, {"terms", r.terms},
                                  {"mode", r.mode}, {"path", r.path}, {"steps", r.steps},
                                  {"ms_per_step", r.ms_per_step}, {"img_steps_per_s", r.img_steps_per_s},
                                  {"threads", at::get_num_threads()}};
            if (ref) {
              row["speedup_vs_eager"] = speedup;
              row["max_abs_dx_vs_eager"] = d.max_abs_dx;
              row["rms_dx_vs_eager"] = d.rms_dx;
              row["max_energy_rel_diff_vs_eager"] = d.energy_rel;
            }
            out.push_back(row);
          } else {
            // Without an eager row to compare with (--modes without eager) the last columns stay empty.
            char cmp[64] = "       -           -           -";
            if (ref) std::snprintf(cmp, sizeof cmp, "%8.2f %11.3g %11.3g", speedup, d.max_abs_dx, d.energy_rel);
            std::printf("%-10s %-6s %6lld %6lld %-11s %10.3f %12.1f %s\n", r.model.c_str(), a.device.c_str(),
                        static_cast<long long>(r.batch), static_cast<long long>(r.terms), r.mode.c_str(),
                        r.ms_per_step, r.img_steps_per_s, cmp);
            std::fflush(stdout);
          }
        }
      }
  if (!a.preview.empty()) run_preview_rows(a, archs, batches, terms, dev, &out);
  if (a.session > 0) run_session_rows({a.session, a.device, a.session_gpus, a.session_ahead, a.json}, archs, batches, terms, &out);
  if (a.json) std::cout << out.dump(2) << "\n";
}

void register_bench(CLI::App& app) {
  auto args = std::make_shared<BenchArgs>();
  auto* sub = app.add_subcommand("bench", "Measure sampling throughput (image-steps/s) by model, batch, terms, device");
  sub->add_flag("--json", args->json, "print JSON instead of a table");
  sub->add_option("--model", args->models, "cubesnet, resnet128 or a comma list")->capture_default_str();
  sub->add_option("--batch", args->batches, "batch sizes, comma list (e.g. 16,64)")->capture_default_str();
  sub->add_option("--terms", args->terms, "numbers of composed terms, comma list (e.g. 1,2,4)")->capture_default_str();
  sub->add_option("--steps", args->steps, "timed Langevin steps per configuration")->capture_default_str();
  sub->add_option("--warmup", args->warmup, "untimed steps first")->capture_default_str();
  sub->add_option("--device", args->device, "cpu, cuda or cuda:N")->capture_default_str();
  sub->add_option("--modes", args->modes,
                  "comma list of eager, eager+tf32, eager+bf16, graph, graph+tf32, graph+bf16 "
                  "(default: eager on the CPU, eager,graph,graph+tf32,graph+bf16 on CUDA); a mode +ops draws the "
                  "Langevin noise with tensor ops instead of its CUDA kernel (e.g. graph+bf16+ops)");
  sub->add_option("--preview", args->preview,
                  "also measure the preview overhead: snapshot every K steps, comma list (e.g. 1,4,16), "
                  "through host memory and through CUDA-GL interop (CUDA only)");
  sub->add_flag("--preview-parts", args->preview_parts,
                "with --preview: also rows of the interop preview's parts alone - 'map' (the GL buffer mapped and "
                "unmapped, nothing written), 'map-nowait' (the same, the sampling stream not waiting for it) and "
                "'atlas' (the atlas kernels into a CUDA tensor, no GL) - and 'interop-copy' (the interop preview of "
                "a copy of the chain's state, the sampling stream not waiting for it)");
  sub->add_option("--session", args->session,
                  "also run the studio's threading for SECONDS per row: a sampling session and a 60 Hz reader "
                  "previewing each snapshot (none, host, interop); reports fps, frame and preview times and the "
                  "worker's img-steps/s");
  sub->add_option("--session-gpus", args->session_gpus,
                  "the session rows' chains split over this many GPUs from --device on, as the studio's --gpus")
      ->check(CLI::Range(1, 64))
      ->capture_default_str();
  sub->add_option("--session-ahead", args->session_ahead,
                  "the session worker's bound on steps queued on the GPU beyond those finished (0: unbounded)")
      ->check(CLI::Range(0, 1000))
      ->capture_default_str();
  sub->callback([args] {
    run_command("bench", [&] {
      run_bench(*args);
    });
  });
}

}  // namespace

EBM_CLI_COMMAND(810, register_bench);

}  // namespace ebm::cli
