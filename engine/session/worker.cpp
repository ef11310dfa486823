// Worker: the run loop, steps, chain starts and ends, events and publishing. The command handlers
// are in worker_commands.cpp.
#include "engine/session/worker.h"

#include <ATen/Parallel.h>

#include "engine/export/grid.h"
#include "engine/gpu/device_memory.h"
#include "engine/gpu/thread_streams.h"
#include "engine/session/snapshot_builder.h"

#include <algorithm>
#include <fstream>
#include <unistd.h>

namespace ebm {

namespace {

std::int64_t host_rss_bytes() {
  std::ifstream f("/proc/self/statm");
  std::int64_t size = 0, resident = 0;
  if (!(f >> size >> resident)) return -1;
  return resident * static_cast<std::int64_t>(sysconf(_SC_PAGESIZE));
}

}  // namespace

Worker::Worker(Session& session, SessionOptions options)
    : session_(session), options_(options), history_(options.history_bytes, options.history_every),
      run_ahead_(options.max_steps_ahead) {}

void Worker::run() {
  // OpenMP's thread count is per thread: a std::thread starts with the process's initial one (1 on the
  // machines measured, not the at::set_num_threads of main), which halved the studio's CPU steps
  // (409 ms at batch 4 where `ebm sample` took ~200). Take the count main set.
  at::init_num_threads();
  // Every CUDA call of this thread on its own streams (engine/gpu/thread_streams.h): a GUI thread
  // reading a snapshot must not wait for the steps launched after it.
  gpu::ThreadStreams streams;
  publish();
  while (true) {
    auto cmds = session_.take(/*block=*/status_ != SessionStatus::Running);
    if (session_.quitting()) break;
    // Nothing may escape the thread (std::terminate): an unexpected failure becomes an error event.
    try {
      for (auto& c : cmds) apply(c);
      if (status_ == SessionStatus::Running) do_step();
      if (dirty_) publish();
    } catch (const std::exception& e) {
      event(Event::Kind::Error, std::string("internal error: ") + e.what());
      sampler_.stop();
      set_status(SessionStatus::Error);
      try {
        publish();
      } catch (const std::exception&) {
        // Publishing itself failed; the next successful publish carries the event.
      }
    }
  }
  sampler_.stop();
}

void Worker::apply(Command& c) {
  dirty_ = true;
  grad_stale_ = true;  // any command may change the image, the composition or the σ
  std::visit([this](auto& v) { handle(v); }, c);
}

void Worker::event(Event::Kind kind, std::string message) {
  Event e;
  e.seq = ++event_seq_;
  e.kind = kind;
  e.step = sampler_.step_count();
  e.message = std::move(message);
  events_.push_back(std::move(e));
  while (static_cast<int>(events_.size()) > std::max(1, options_.max_events)) events_.pop_front();
  dirty_ = true;
}

void Worker::set_status(SessionStatus s) {
  if (s != status_) dirty_ = true;
  status_ = s;
}

bool Worker::check_compiles() {
  try {
    sampler_.compiled();
    return true;
  } catch (const std::exception& e) {
    event(Event::Kind::Error, e.what());
    if (status_ == SessionStatus::Running) {
      sampler_.stop();
      set_status(SessionStatus::Error);
    }
    return false;
  }
}

void Worker::set_models() {
  try {
    sampler_.set_models(models_);
  } catch (const std::exception& e) {
    // The sampler keeps its previous models (a chain split over several GPUs needs a copy of each
    // model on each): the session's list follows it, so the two never disagree.
    models_ = sampler_.models();
    for (auto it = model_refs_.begin(); it != model_refs_.end();)
      it = models_.count(it->first) ? std::next(it) : model_refs_.erase(it);
    event(Event::Kind::Error, e.what());
  }
}

void Worker::start_chain() {
  try {
    sampler_.start();
  } catch (const std::exception& e) {
    event(Event::Kind::Error, std::string("cannot start: ") + e.what());
    set_status(sampler_.has_chain() ? SessionStatus::Error : SessionStatus::Idle);
    return;
  }
  ++chain_id_;
  run_ahead_.clear();
  history_.clear();
  history_.offer(sampler_.state());
  curves_.clear();
  last_stats_ = StepStats{};
  resets_reported_ = 0;
  steps_since_publish_ = 0;
  last_publish_ = Clock::now();
  set_status(SessionStatus::Running);
  dirty_ = true;
}

void Worker::do_step() {
  if (steps_since_publish_ == 0) window_start_ = Clock::now();
  StepStats st;
  try {
    st = sampler_.step();
  } catch (const c10::OutOfMemoryError& e) {
    recover_from_out_of_memory(e.what());
    return;
  } catch (const std::exception& e) {
    event(Event::Kind::Error, std::string("step failed: ") + e.what());
    sampler_.stop();
    set_status(SessionStatus::Error);
    return;
  }
  run_ahead_.step_launched(sampler_.devices());
  last_stats_ = st;
  last_stats_step_ = sampler_.step_count();
  curves_.record(sampler_.step_count(), sampler_.term_names(), st);
  // A chain split over several GPUs gathers its state to read it: only for a state the history keeps.
  if (history_.wants(sampler_.step_count())) history_.offer(sampler_.state());
  ++steps_since_publish_;
  if (step_budget_ > 0 && --step_budget_ == 0) {
    set_status(SessionStatus::Paused);
  } else if (step_budget_ == 0 && sampler_.step_count() >= sampler_.params().total_steps()) {
    end_of_run();
  }
  const double ms = std::chrono::duration<double, std::milli>(Clock::now() - last_publish_).count();
  if ((options_.publish_every_steps > 0 && steps_since_publish_ >= options_.publish_every_steps) ||
      (options_.publish_every_ms > 0 && ms >= options_.publish_every_ms))
    dirty_ = true;
}

// A step that ran out of device memory (a batch too big for the GPU, or memory taken by another
// process) must not end the session: the allocator's cached blocks go back to the driver, the batch
// is halved (keeping the first half of the sample ids, so those samples stay the same samples), and
// the run restarts at step 0 with the same seed. At batch 1 there is nothing left to halve.
void Worker::recover_from_out_of_memory(const std::string& what) {
  const std::int64_t step = sampler_.step_count();
  sampler_.stop();
  gpu::free_cached_device_memory();  // the failed step's activations were released by the unwinding
  SamplerParams p = sampler_.params();
  const std::string first_line = what.substr(0, what.find('\n'));
  if (p.batch <= 1) {
    event(Event::Kind::Error, "out of device memory at batch 1 (step " + std::to_string(step) + "): " + first_line +
                                  " — free GPU memory (other programs), use a smaller model, or sample on the CPU");
    set_status(SessionStatus::Error);
    return;
  }
  const std::int64_t old_batch = p.batch;
  if (old_batch / 2 < p.devices) {
    event(Event::Kind::Error, "out of device memory at batch " + std::to_string(old_batch) + " over " +
                                  std::to_string(p.devices) + " GPUs (step " + std::to_string(step) + "): " + first_line +
                                  " — halving the batch would leave a GPU without chains; use fewer GPUs or free GPU memory");
    set_status(SessionStatus::Error);
    return;
  }
  p.batch = std::max<std::int64_t>(1, old_batch / 2);
  if (!p.sample_ids.empty()) p.sample_ids.resize(static_cast<size_t>(p.batch));
  sampler_.set_params(p);
  event(Event::Kind::BatchReduced, "out of device memory at batch " + std::to_string(old_batch) + " (step " +
                                  std::to_string(step) + "): freed the cached GPU memory, halved the batch to " +
                                  std::to_string(p.batch) + " and restarted the run");
  start_chain();
}

void Worker::end_of_run() {
  if (options_.repeat) {
    publish();  // let readers see the finished run before the next one replaces it
    SamplerParams p = sampler_.params();
    p.seed += 1;
    sampler_.set_params(p);
    start_chain();
    return;
  }
  sampler_.stop();
  set_status(SessionStatus::Finished);
}

Recipe Worker::current_recipe() const {
  Recipe r;
  for (const auto& name : referenced_models(sampler_.composition())) {
    auto it = model_refs_.find(name);
    r.models.push_back(it != model_refs_.end() ? it->second : ModelRef{name, "memory:" + name, ""});
  }
  r.composition = sampler_.composition();
  r.sampler = sampler_.chain_params();
  if (sampler_.has_chain() && !r.sampler.schedule.annealed()) r.sampler.steps = sampler_.state().step;
  return r;
}

void Worker::do_export(const ExportRequest& req) {
  if (!sampler_.has_chain()) {
    event(Event::Kind::Error, "nothing to export yet: start a run first");
    return;
  }
  if (req.path.empty()) {
    event(Event::Kind::Error, "export needs a file path");
    return;
  }
  try {
    const Recipe recipe = current_recipe();
    std::vector<std::string> written;
    switch (req.kind) {
      case ExportRequest::Kind::Grid:
        write_grid_png(req.path, sampler_.state().x, req.grid, &recipe);
        written.push_back(req.path);
        break;
      case ExportRequest::Kind::Samples: {
        auto ids = sampler_.state().sample_ids.to(torch::kCPU).contiguous();
        std::vector<std::int64_t> v(ids.data_ptr<std::int64_t>(), ids.data_ptr<std::int64_t>() + ids.numel());
        written = write_sample_pngs(req.path, sampler_.state().x, v, &recipe);
        break;
      }
      case ExportRequest::Kind::Sequence:
        written = write_sequence_pngs(req.path, history_.frames(), req.grid, &recipe);
        break;
      case ExportRequest::Kind::Recipe:
        save_recipe(req.path, recipe);
        written.push_back(req.path);
        break;
    }
    std::string msg = "exported " + std::to_string(written.size()) + " file(s)";
    if (!written.empty()) msg += ": " + written.front() + (written.size() > 1 ? " … " + written.back() : "");
    event(Event::Kind::Exported, msg);
  } catch (const std::exception& e) {
    event(Event::Kind::Error, std::string("export failed: ") + e.what());
  }
}

void Worker::update_gradient_maps() {
  if (inspect_ < 0 || !sampler_.has_chain()) {
    grad_maps_.reset();
    return;
  }
  const ChainState& cs = sampler_.state();
  const bool same_sample = grad_maps_ && grad_maps_->sample == inspect_ && grad_maps_->chain_id == chain_id_;
  if (same_sample && !grad_stale_ && grad_maps_->step == cs.step) return;
  // A running chain moves every step: refresh by time, so the maps never slow sampling much.
  const double since = std::chrono::duration<double, std::milli>(Clock::now() - grad_at_).count();
  if (same_sample && status_ == SessionStatus::Running && since < options_.gradient_maps_every_ms) return;
  grad_stale_ = false;
  grad_at_ = Clock::now();
  std::shared_ptr<GradientMaps> m;
  try {
    // The σ the next step gives denoising models.
    m = std::make_shared<GradientMaps>(gradient_maps_of(sampler_.compiled(), sampler_.composition(), cs, inspect_,
                                                        sampler_.params().at(cs.step).sigma));
  } catch (const std::exception& e) {  // the composition does not compile
    m = std::make_shared<GradientMaps>();
    m->sample = inspect_;
    m->step = cs.step;
    m->error = std::string("gradient maps failed: ") + e.what();
  }
  m->chain_id = chain_id_;
  grad_maps_ = m;
}

void Worker::report_nan_resets(const Snapshot& s) {
  std::int64_t total = 0;
  for (auto r : s.resets) total += r;
  if (total <= resets_reported_) return;
  std::string ids;
  for (size_t i = 0; i < s.resets.size(); ++i)
    if (s.resets[i] > 0) ids += (ids.empty() ? "" : ", ") + std::to_string(s.sample_ids[i]);
  event(Event::Kind::NanReset, std::to_string(total - resets_reported_) +
                                   " chain(s) produced NaN/Inf and were re-initialised (samples " + ids + ")");
  resets_reported_ = total;
}

void Worker::publish() {
  update_gradient_maps();
  SnapshotInputs in;
  in.seq = ++snap_seq_;
  in.status = status_;
  in.chain_id = chain_id_;
  for (const auto& kv : models_) in.models.push_back(kv.first);
  in.last_stats = &last_stats_;
  in.stats_step = last_stats_step_;
  in.preview_denoised = options_.preview_denoised;
  in.history = &history_;
  in.curves = curves_.flush();
  in.gradient_maps = grad_maps_;
  std::shared_ptr<Snapshot> s = build_snapshot(sampler_, in);
  report_nan_resets(*s);
  // What the snapshot holds on the GPU (images, attention masks) is complete before another thread
  // reads it on its own stream; and the wall time below is the real cost of the steps.
  if (s->images.defined()) gpu::ThreadStreams::synchronize(s->images.device());
  const auto now = Clock::now();
  if (steps_since_publish_ > 0)
    ms_per_step_ = std::chrono::duration<double, std::milli>(now - window_start_).count() / steps_since_publish_;
  s->ms_per_step = ms_per_step_;
  s->memory.host_rss_bytes = host_rss_bytes();
  s->events.assign(events_.begin(), events_.end());
  steps_since_publish_ = 0;
  last_publish_ = now;
  dirty_ = false;
  session_.publish(std::move(s));
}

}  // namespace ebm
