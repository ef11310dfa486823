#include "app/cli/bench_session.h"

#include "app/cli/bench_support.h"
#include "engine/gpu/device_check.h"
#include "engine/gpu/atlas.h"
#include "engine/gpu/cuda_gl_buffer.h"
#include "engine/gpu/headless_gl.h"
#include "app/common/quantile.h"
#include "engine/session.h"

#include <torch/torch.h>

#include <chrono>
#include <cstdio>
#include <memory>
#include <optional>
#include <stdexcept>
#include <thread>

namespace ebm::cli {

namespace {

using Clock = std::chrono::steady_clock;

double ms_since(Clock::time_point t) { return std::chrono::duration<double, std::milli>(Clock::now() - t).count(); }

struct Row {
  std::string path;
  std::int64_t frames = 0, previews = 0;
  double fps = 0, frame_p50 = 0, frame_p99 = 0, preview_p50 = 0, preview_p99 = 0, worker_img_steps_per_s = 0;
  std::string step_path;
};

// One session: the chain runs for `seconds` of 60 Hz frames after its first snapshot with images.
Row run_one(const BenchComposition& comp, std::int64_t batch, const SessionBenchArgs& a, const std::string& path,
            gpu::HeadlessGl* gl) {
  SessionOptions options;
  options.max_steps_ahead = a.max_steps_ahead;
  Session session(options);
  for (const auto& [name, model] : comp.models) session.submit(cmd::AddModel{name, model});
  session.submit(cmd::SetComposition{comp.root});
  SamplerParams p;
  p.batch = batch;
  p.steps = kMaxSteps;
  p.device = a.device;
  p.devices = a.gpus;
  p.init = InitMode::Uniform;
  session.submit(cmd::SetSampler{p});
  session.submit(cmd::Start{});
  // Until the chain runs (the first steps on a GPU capture the graph).
  auto snap = session.latest();
  const auto started = Clock::now();
  while (!(snap->images.defined() && snap->status == SessionStatus::Running)) {
    if (snap->status == SessionStatus::Error || ms_since(started) > 120000) {
      std::string why = "did not start within 120 s";
      for (const auto& e : snap->events)
        if (e.kind == Event::Kind::Error) why = e.message;
      throw std::runtime_error("ebm bench --session: the chain " + why);
    }
    snap = session.wait_for_newer(snap->seq, 100);
  }

  const auto layout = atlas_for(batch, snap->images.size(2));
  const std::size_t bytes = static_cast<std::size_t>(layout.width()) * layout.height() * 4;
  torch::Tensor host_atlas;
  unsigned int buffer = 0;
  std::optional<gpu::CudaGlBuffer> registered;
  if (path == "host") host_atlas = torch::empty({layout.height(), layout.width(), 4}, torch::kUInt8);
  if (path == "interop") {
    buffer = gl->create_buffer(bytes);
    registered.emplace(buffer, bytes, snap->images.device().index());
  }

  Row r;
  r.path = path;
  std::vector<double> frame_ms, preview_ms, worker_ms;
  std::uint64_t seen = snap->seq;
  const auto t_end = Clock::now() + std::chrono::duration<double>(a.seconds);
  const auto t_begin = Clock::now();
  while (Clock::now() < t_end) {
    const auto t0 = Clock::now();
    auto s = session.latest();
    if (s->seq != seen && s->images.defined()) {
      seen = s->seq;
      if (s->ms_per_step > 0) worker_ms.push_back(s->ms_per_step);
      r.step_path = s->step_path;
      const auto tp = Clock::now();
      if (path == "host") gpu::fill_rgba_atlas(s->images, layout, host_atlas);
      if (path == "interop") {
        registered->fill({s->images}, [&](torch::Tensor& mapped) {
          torch::Tensor view = mapped.view({layout.height(), layout.width(), 4});
          gpu::fill_rgba_atlas(s->images, layout, view);
        });
        gl->finish();  // the studio's texture upload from the buffer waits for the same
      }
      if (path != "none") {
        preview_ms.push_back(ms_since(tp));
        ++r.previews;
      }
    }
    // The studio's frame cap (60 Hz): sleep off what the frame did not use.
    const double used = ms_since(t0);
    if (used < 1000.0 / 60.0) std::this_thread::sleep_for(std::chrono::duration<double, std::milli>(1000.0 / 60.0 - used));
    frame_ms.push_back(ms_since(t0));
    ++r.frames;
  }
  const double total_s = std::chrono::duration<double>(Clock::now() - t_begin).count();
  session.submit(cmd::Cancel{});
  registered.reset();
  if (buffer) gl->delete_buffer(buffer);
  r.fps = static_cast<double>(r.frames) / total_s;
  r.frame_p50 = nearest_rank_quantile(frame_ms, 0.5);
  r.frame_p99 = nearest_rank_quantile(frame_ms, 0.99);
  r.preview_p50 = nearest_rank_quantile(preview_ms, 0.5);
  r.preview_p99 = nearest_rank_quantile(preview_ms, 0.99);
  const double ms_step = nearest_rank_quantile(worker_ms, 0.5);
  r.worker_img_steps_per_s = ms_step > 0 ? 1000.0 * static_cast<double>(batch) / ms_step : 0.0;
  return r;
}

}  // namespace

void run_session_rows(const SessionBenchArgs& a, const std::vector<Arch>& archs, const std::vector<std::int64_t>& batches,
                      const std::vector<std::int64_t>& terms, nlohmann::json* out) {
  if (!(a.seconds > 0) || a.seconds > 3600) throw std::invalid_argument("--session: seconds in (0, 3600]");
  const torch::Device dev = parse_device(a.device);
  if (a.gpus < 1) throw std::invalid_argument("--session-gpus must be at least 1");
  require_gpu_split(dev, a.gpus, "--session-gpus " + std::to_string(a.gpus));
  std::string why = "the chain is on the CPU";
  std::unique_ptr<gpu::HeadlessGl> gl;
  if (dev.is_cuda()) {
    if (gpu::CudaGlBuffer::available()) gl = gpu::HeadlessGl::create(&why);
    else why = "this build has no CUDA-GL interop";
  }
  if (!a.json)
    std::printf("\nstudio threading (worker on %d GPU(s), at most %d steps ahead (0: unbounded), + a 60 Hz reader, %.1f s per row; interop %s)\n%-10s %6s %6s %-8s %7s %7s %15s %17s %12s  %s\n",
                a.gpus, a.max_steps_ahead, a.seconds, gl ? gl->renderer().c_str() : ("unavailable: " + why).c_str(), "model", "batch", "terms",
                "preview", "frames", "fps", "frame p50/p99", "preview p50/p99", "worker i-s/s", "step");
  for (Arch arch : archs)
    for (std::int64_t b : batches)
      for (std::int64_t t : terms) {
        const BenchComposition comp = make_bench_composition(arch, t);
        for (const std::string path : {"none", "host", "interop"}) {
          if (path == "interop" && !gl) continue;
          const Row r = run_one(comp, b, a, path, gl.get());
          if (a.json) {
            out->push_back({{"model", to_string(arch)}, {"device", a.device}, {"gpus", a.gpus}, {"max_steps_ahead", a.max_steps_ahead}, {"batch", b},
                            {"terms", t}, {"session_preview", path}, {"frames", r.frames}, {"previews", r.previews}, {"fps", r.fps},
                            {"frame_ms_p50", r.frame_p50}, {"frame_ms_p99", r.frame_p99},
                            {"preview_ms_p50", r.preview_p50}, {"preview_ms_p99", r.preview_p99},
                            {"worker_img_steps_per_s", r.worker_img_steps_per_s}, {"step_path", r.step_path}});
          } else {
            std::printf("%-10s %6lld %6lld %-8s %7lld %7.1f %7.1f/%7.1f %8.2f/%8.2f %12.0f  %s\n", to_string(arch).c_str(),
                        static_cast<long long>(b), static_cast<long long>(t), path.c_str(), static_cast<long long>(r.frames),
                        r.fps, r.frame_p50, r.frame_p99, r.preview_p50, r.preview_p99, r.worker_img_steps_per_s,
                        r.step_path.c_str());
            std::fflush(stdout);
          }
        }
      }
}

}  // namespace ebm::cli
