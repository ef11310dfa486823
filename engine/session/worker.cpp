#include "engine/session/worker.h"

#include "engine/energy/model_loader.h"
#include "engine/export/grid.h"
#include "engine/gpu/thread_streams.h"
#include "engine/gradient_maps.h"
#include "models/checkpoint/sha256.h"

#include <algorithm>
#include <cmath>
#include <fstream>
#include <limits>
#include <type_traits>
#include <unistd.h>

#if defined(EBM_HAVE_CUDA)
#include <c10/cuda/CUDACachingAllocator.h>
#endif

namespace ebm {

namespace {

constexpr float kNaN = std::numeric_limits<float>::quiet_NaN();

std::vector<float> to_floats(const torch::Tensor& t) {
  if (!t.defined()) return {};
  auto c = t.detach().to(torch::kCPU, torch::kFloat).contiguous();
  return {c.data_ptr<float>(), c.data_ptr<float>() + c.numel()};
}

std::vector<std::int64_t> to_ints(const torch::Tensor& t) {
  if (!t.defined()) return {};
  auto c = t.detach().to(torch::kCPU, torch::kLong).contiguous();
  return {c.data_ptr<std::int64_t>(), c.data_ptr<std::int64_t>() + c.numel()};
}

std::int64_t host_rss_bytes() {
  std::ifstream f("/proc/self/statm");
  std::int64_t size = 0, resident = 0;
  if (!(f >> size >> resident)) return -1;
  return resident * static_cast<std::int64_t>(sysconf(_SC_PAGESIZE));
}

// Returns the CUDA caching allocator's unused blocks to the driver (no-op without CUDA).
void free_cached_device_memory() {
#if defined(EBM_HAVE_CUDA)
  c10::cuda::CUDACachingAllocator::emptyCache();
#endif
}

std::int64_t device_bytes(const torch::Tensor& x) {
#if defined(EBM_HAVE_CUDA)
  if (x.defined() && x.is_cuda()) {
    // Index 0 of the stat arrays is the aggregate over pool types in every LibTorch version.
    auto stats = c10::cuda::CUDACachingAllocator::getDeviceStats(x.device().index());
    return stats.allocated_bytes[0].current;
  }
#endif
  return -1;
}

}  // namespace

Worker::Worker(Session& session, SessionOptions options)
    : session_(session), options_(options), history_(options.history_bytes, options.history_every),
      run_ahead_(options.max_steps_ahead), curves_(std::make_shared<Curves>()) {}

void Worker::run() {
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

void Worker::apply(Command& c) {
  dirty_ = true;
  grad_stale_ = true;  // any command may change the image, the composition or the σ
  std::visit(
      [this](auto& v) {
        using T = std::decay_t<decltype(v)>;
        if constexpr (std::is_same_v<T, cmd::SetComposition>) {
          try {
            sampler_.set_composition(std::move(v.root));
          } catch (const std::exception& e) {
            event(Event::Kind::Error, std::string("composition rejected: ") + e.what());
            return;
          }
          if (sampler_.has_chain()) check_compiles();
        } else if constexpr (std::is_same_v<T, cmd::SetSampler>) {
          const SamplerParams old = sampler_.params();
          try {
            sampler_.set_params(std::move(v.params));
          } catch (const std::exception& e) {
            event(Event::Kind::Error, std::string("sampler parameters rejected: ") + e.what());
            return;
          }
          if (sampler_.has_chain() && !sampler_.params().same_chain(old))
            event(Event::Kind::Info, "seed, batch, sample ids, init and device changes apply at the next restart");
        } else if constexpr (std::is_same_v<T, cmd::SetOptions>) {
          options_ = v.options;
          history_.configure(options_.history_bytes, options_.history_every);
          if (run_ahead_.limit() != options_.max_steps_ahead) run_ahead_.set_limit(options_.max_steps_ahead);
        } else if constexpr (std::is_same_v<T, cmd::Start>) {
          step_budget_ = 0;
          start_chain();
        } else if constexpr (std::is_same_v<T, cmd::Pause>) {
          if (status_ == SessionStatus::Running) set_status(SessionStatus::Paused);
          step_budget_ = 0;
        } else if constexpr (std::is_same_v<T, cmd::Resume>) {
          if (!sampler_.has_chain()) {
            start_chain();
          } else if (status_ != SessionStatus::Running) {
            if (sampler_.step_count() >= sampler_.params().total_steps()) {
              event(Event::Kind::Warning, "the run already reached its " +
                                              std::to_string(sampler_.params().total_steps()) +
                                              " steps; raise the step count, use Step, or restart");
              return;
            }
            if (check_compiles()) set_status(SessionStatus::Running);
          }
          step_budget_ = 0;
        } else if constexpr (std::is_same_v<T, cmd::Step>) {
          if (v.n < 1) {
            event(Event::Kind::Error, "step count must be at least 1");
            return;
          }
          if (!sampler_.has_chain()) {
            start_chain();
            if (!sampler_.has_chain()) return;
          } else if (!check_compiles()) {
            return;
          }
          step_budget_ = v.n;
          set_status(SessionStatus::Running);
        } else if constexpr (std::is_same_v<T, cmd::Cancel>) {
          step_budget_ = 0;
          if (status_ == SessionStatus::Running || status_ == SessionStatus::Paused) {
            sampler_.stop();
            set_status(SessionStatus::Cancelled);
          }
        } else if constexpr (std::is_same_v<T, cmd::Finish>) {
          options_.repeat = false;
        } else if constexpr (std::is_same_v<T, cmd::Restart>) {
          if (v.seed) {
            SamplerParams p = sampler_.params();
            p.seed = *v.seed;
            sampler_.set_params(p);
          }
          step_budget_ = 0;
          start_chain();
        } else if constexpr (std::is_same_v<T, cmd::Rewind>) {
          auto kept = history_.find(v.step);
          if (!kept) {
            auto steps = history_.steps();
            event(Event::Kind::Error,
                  "step " + std::to_string(v.step) + " is not kept" +
                      (steps.empty() ? std::string(" (no states kept)")
                                     : " (kept: " + std::to_string(steps.front()) + ".." + std::to_string(steps.back()) +
                                           ", every " + std::to_string(std::max<std::int64_t>(1, options_.history_every)) + ")"));
            return;
          }
          try {
            sampler_.restore(*kept);
          } catch (const std::exception& e) {
            event(Event::Kind::Error, e.what());
            return;
          }
          flush_curves();
          auto c = std::make_shared<Curves>(*curves_);
          const auto keep = static_cast<size_t>(
              std::upper_bound(c->steps.begin(), c->steps.end(), v.step) - c->steps.begin());
          c->steps.resize(keep);
          c->energy.resize(keep);
          c->grad_norm.resize(keep);
          c->acceptance.resize(keep);
          for (auto& t : c->terms) t.second.resize(keep);
          curves_ = c;
          history_.truncate_after(v.step);
          last_stats_ = StepStats{};
          step_budget_ = 0;
          set_status(SessionStatus::Paused);
        } else if constexpr (std::is_same_v<T, cmd::AddModel>) {
          if (v.name.empty() || !v.model) {
            event(Event::Kind::Error, "AddModel needs a name and a model");
            return;
          }
          ModelRef ref{v.name, v.path.empty() ? "memory:" + v.name : v.path, ""};
          if (!v.path.empty()) {
            try {
              ref.sha256 = sha256_file(v.path);
            } catch (const std::exception& e) {
              event(Event::Kind::Warning, std::string("model '") + v.name + "': " + e.what());
            }
          }
          models_[v.name] = v.model;
          model_refs_[v.name] = ref;
          set_models();
          if (sampler_.has_chain()) check_compiles();
        } else if constexpr (std::is_same_v<T, cmd::UnloadModel>) {
          model_refs_.erase(v.name);
          if (!models_.erase(v.name)) {
            event(Event::Kind::Warning, "model '" + v.name + "' is not loaded");
            return;
          }
          set_models();
          if (sampler_.has_chain()) check_compiles();
        } else if constexpr (std::is_same_v<T, cmd::Export>) {
          do_export(v.request);
        } else if constexpr (std::is_same_v<T, cmd::InspectSample>) {
          inspect_ = v.index < 0 ? -1 : v.index;
        } else if constexpr (std::is_same_v<T, cmd::LoadModel>) {
          if (v.name.empty() || v.path.empty()) {
            event(Event::Kind::Error, "LoadModel needs a name and a file path");
            return;
          }
          try {
            LoadedEnergyModel loaded = load_energy_model(v.path);
            models_[v.name] = loaded.model;
            model_refs_[v.name] = ModelRef{v.name, v.path, loaded.sha256};
            set_models();
            event(Event::Kind::Info, "loaded model '" + v.name + "': " + loaded.summary);
          } catch (const std::exception& e) {
            event(Event::Kind::Error, "cannot load model '" + v.name + "' from " + v.path + ": " + e.what());
            return;
          }
          if (sampler_.has_chain()) check_compiles();
        }
      },
      c);
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
  pending_rows_.clear();
  curves_ = std::make_shared<Curves>();
  last_stats_ = StepStats{};
  resets_reported_ = 0;
  steps_since_publish_ = 0;
  last_publish_ = Clock::now();
  set_status(SessionStatus::Running);
  dirty_ = true;
}

void Worker::record_curve_row(const StepStats& st) {
  auto names = sampler_.term_names();
  if (!row_names_ || *row_names_ != names) row_names_ = std::make_shared<const std::vector<std::string>>(names);
  std::vector<torch::Tensor> vals{st.energy.mean(), st.grad_norm.mean(),
                                  st.accepted.defined() ? st.accepted.mean() : torch::full({}, kNaN, st.energy.options())};
  for (const auto& t : st.per_term)
    vals.push_back(t.defined() ? t.mean() : torch::full({}, kNaN, st.energy.options()));
  pending_rows_.push_back({sampler_.step_count(), row_names_, torch::stack(vals)});
}

void Worker::flush_curves() {
  if (pending_rows_.empty()) return;
  std::vector<torch::Tensor> all;
  for (const auto& r : pending_rows_) all.push_back(r.values.to(torch::kFloat));
  const auto host = to_floats(torch::cat(all));
  auto c = std::make_shared<Curves>(*curves_);
  size_t off = 0;
  for (const auto& r : pending_rows_) {
    const size_t n0 = c->steps.size();
    c->steps.push_back(r.step);
    c->energy.push_back(host[off]);
    c->grad_norm.push_back(host[off + 1]);
    c->acceptance.push_back(host[off + 2]);
    for (size_t i = 0; i < r.names->size(); ++i) {
      const auto& name = (*r.names)[i];
      auto it = std::find_if(c->terms.begin(), c->terms.end(), [&](const auto& t) { return t.first == name; });
      if (it == c->terms.end()) {
        c->terms.emplace_back(name, std::vector<float>(n0, kNaN));
        it = c->terms.end() - 1;
      }
      it->second.push_back(host[off + 3 + i]);
    }
    for (auto& t : c->terms)
      if (t.second.size() < c->steps.size()) t.second.resize(c->steps.size(), kNaN);
    off += static_cast<size_t>(r.values.numel());
  }
  pending_rows_.clear();
  curves_ = c;
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
  record_curve_row(st);
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
  free_cached_device_memory();  // the failed step's activations were released by the unwinding
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

  auto m = std::make_shared<GradientMaps>();
  m->sample = inspect_;
  m->chain_id = chain_id_;
  m->step = cs.step;
  grad_stale_ = false;
  grad_at_ = Clock::now();
  struct Timer {  // stamps the maps' cost however the computation ends
    GradientMaps& m;
    Clock::time_point t0 = Clock::now();
    ~Timer() { m.ms = std::chrono::duration<double, std::milli>(Clock::now() - t0).count(); }
  } timer{*m};
  const std::int64_t batch = cs.x.size(0);
  if (inspect_ >= batch) {
    m->error = "sample " + std::to_string(inspect_) + " is not in the batch (0.." + std::to_string(batch - 1) + ")";
    grad_maps_ = m;
    return;
  }
  try {
    const CompiledComposition& comp = sampler_.compiled();
    m->sigma = sampler_.params().at(cs.step).sigma;  // what the next step gives denoising models
    m->sample_id = to_ints(cs.sample_ids.narrow(0, inspect_, 1)).at(0);
    std::vector<torch::Tensor> att(comp.terms().size());
    for (size_t i = 0; i < att.size(); ++i) {
      auto it = cs.attention.find(comp.terms()[i].name);
      if (it != cs.attention.end()) att[i] = it->second.narrow(0, inspect_, 1);
    }
    std::map<std::string, std::string> model_of;
    for (const Node* t : collect_terms(sampler_.composition())) model_of[t->name] = t->model;
    const auto parts = term_gradients(comp, cs.x.narrow(0, inspect_, 1), att, m->sigma);
    torch::Tensor total;
    for (const auto& p : parts) {
      GradientMaps::Term t;
      t.name = comp.terms()[static_cast<size_t>(p.term)].name;
      t.model = model_of[t.name];
      t.coefficient = p.coefficient;
      t.energy = p.energy;
      t.norm = p.grad.to(torch::kDouble).norm().item<double>();
      t.magnitude = gradient_magnitude(p.grad).to(torch::kCPU).contiguous();
      total = total.defined() ? total + p.grad : p.grad;
      m->terms.push_back(std::move(t));
    }
    if (total.defined()) m->total_norm = total.to(torch::kDouble).norm().item<double>();
  } catch (const std::exception& e) {
    m->terms.clear();
    m->error = std::string("gradient maps failed: ") + e.what();
  }
  grad_maps_ = m;
}

void Worker::publish() {
  flush_curves();
  update_gradient_maps();
  auto s = std::make_shared<Snapshot>();
  s->seq = ++snap_seq_;
  s->status = status_;
  s->chain_id = chain_id_;
  s->params = sampler_.params();
  s->total_steps = s->params.total_steps();
  s->composition = sampler_.composition();
  for (const auto& kv : models_) s->models.push_back(kv.first);
  if (sampler_.has_chain()) {
    const ChainState& cs = sampler_.state();
    s->step = cs.step;
    s->images = cs.x;
    s->sample_ids = to_ints(cs.sample_ids);
    s->resets = to_ints(cs.resets);
    for (const auto& kv : cs.attention) s->masks.emplace_back(kv.first, torch::softmax(kv.second, 1));
    std::int64_t total_resets = 0;
    for (auto r : s->resets) total_resets += r;
    if (total_resets > resets_reported_) {
      std::string ids;
      for (size_t i = 0; i < s->resets.size(); ++i)
        if (s->resets[i] > 0) ids += (ids.empty() ? "" : ", ") + std::to_string(s->sample_ids[i]);
      event(Event::Kind::NanReset, std::to_string(total_resets - resets_reported_) +
                                       " chain(s) produced NaN/Inf and were re-initialised (samples " + ids + ")");
      resets_reported_ = total_resets;
    }
    s->memory.chain_bytes = cs.bytes();
    s->memory.device_bytes = device_bytes(cs.x);
  }
  s->has_composition = sampler_.has_composition();
  try {
    if (s->has_composition) s->term_names = sampler_.term_names();
  } catch (const std::exception&) {
    // Reported as an event when the edit was applied; the snapshot just carries no names.
  }
  if (last_stats_.energy.defined()) {
    s->energy = to_floats(last_stats_.energy);
    s->grad_norm = to_floats(last_stats_.grad_norm);
    const size_t b = s->energy.size();
    for (size_t i = 0; i < s->term_names.size(); ++i) {
      if (i < last_stats_.per_term.size() && last_stats_.per_term[i].defined())
        s->term_energy.push_back(to_floats(last_stats_.per_term[i]));
      else
        s->term_energy.emplace_back(b, kNaN);
    }
  }
  // What the snapshot holds on the GPU (images, attention masks) is complete before another thread
  // reads it on its own stream; and the wall time below is the real cost of the steps.
  if (s->images.defined()) gpu::ThreadStreams::synchronize(s->images.device());
  const auto now = Clock::now();
  if (steps_since_publish_ > 0)
    ms_per_step_ = std::chrono::duration<double, std::milli>(now - window_start_).count() / steps_since_publish_;
  s->ms_per_step = ms_per_step_;
  s->step_path = sampler_.last_step_path();
  s->devices = sampler_.has_chain() ? sampler_.shards() : 1;
  s->memory.history_bytes = history_.bytes();
  s->memory.host_rss_bytes = host_rss_bytes();
  s->kept_steps = history_.steps();
  s->events.assign(events_.begin(), events_.end());
  s->curves = curves_;
  s->gradient_maps = grad_maps_;
  steps_since_publish_ = 0;
  last_publish_ = now;
  dirty_ = false;
  session_.publish(std::move(s));
}

}  // namespace ebm
