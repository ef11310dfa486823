// Worker: one handler per command (session/commands.h), applied between two steps. Every handler
// reports what went wrong as an event and leaves the session usable.
#include "engine/session/worker.h"

#include "engine/energy/model_loader.h"

#include <algorithm>

namespace ebm {

// ---- edits of the composition and the parameters

void Worker::handle(cmd::SetComposition& c) {
  try {
    sampler_.set_composition(std::move(c.root));
  } catch (const std::exception& e) {
    event(Event::Kind::Error, std::string("composition rejected: ") + e.what());
    return;
  }
  if (sampler_.has_chain()) check_compiles();
}

void Worker::handle(cmd::EditValues& c) {
  try {
    sampler_.edit_values(c.edits);
  } catch (const std::exception& e) {
    event(Event::Kind::Error, std::string("edit rejected: ") + e.what());
    return;
  }
  // An edit that could not be written in place recompiles; its errors show as a tree edit's would.
  if (sampler_.has_chain()) check_compiles();
}

void Worker::handle(cmd::SetSampler& c) {
  const SamplerParams old = sampler_.params();
  try {
    sampler_.set_params(c.checked ? std::move(*c.checked) : CheckedSamplerParams::check(std::move(c.params)));
  } catch (const std::exception& e) {
    event(Event::Kind::Error, std::string("sampler parameters rejected: ") + e.what());
    return;
  }
  if (sampler_.has_chain() && !sampler_.params().same_chain(old))
    event(Event::Kind::Info, "seed, batch, sample ids, init and device changes apply at the next restart");
}

void Worker::handle(cmd::SetOptions& c) {
  options_ = c.options;
  history_.configure(options_.history_bytes, options_.history_every);
  if (run_ahead_.limit() != options_.max_steps_ahead) run_ahead_.set_limit(options_.max_steps_ahead);
}

// ---- run control

void Worker::handle(cmd::Start&) {
  step_budget_ = 0;
  start_chain();
}

void Worker::handle(cmd::Pause&) {
  if (status_ == SessionStatus::Running) set_status(SessionStatus::Paused);
  step_budget_ = 0;
}

void Worker::handle(cmd::Resume&) {
  if (!sampler_.has_chain()) {
    start_chain();
  } else if (status_ != SessionStatus::Running) {
    if (sampler_.step_count() >= sampler_.params().total_steps()) {
      event(Event::Kind::Warning, "the run already reached its " + std::to_string(sampler_.params().total_steps()) +
                                      " steps; raise the step count, use Step, or restart");
      return;
    }
    if (check_compiles()) set_status(SessionStatus::Running);
  }
  step_budget_ = 0;
}

void Worker::handle(cmd::Step& c) {
  if (c.n < 1) {
    event(Event::Kind::Error, "step count must be at least 1");
    return;
  }
  if (!sampler_.has_chain()) {
    start_chain();
    if (!sampler_.has_chain()) return;
  } else if (!check_compiles()) {
    return;
  }
  step_budget_ = c.n;
  set_status(SessionStatus::Running);
}

void Worker::handle(cmd::Cancel&) {
  step_budget_ = 0;
  if (status_ == SessionStatus::Running || status_ == SessionStatus::Paused) {
    sampler_.stop();
    set_status(SessionStatus::Cancelled);
  }
}

void Worker::handle(cmd::Finish&) { options_.repeat = false; }

void Worker::handle(cmd::Restart& c) {
  if (c.seed) {
    SamplerParams p = sampler_.params();
    p.seed = *c.seed;
    sampler_.set_params(p);
  }
  step_budget_ = 0;
  start_chain();
}

void Worker::handle(cmd::Rewind& c) {
  auto kept = history_.find(c.step);
  if (!kept) {
    auto steps = history_.steps();
    event(Event::Kind::Error,
          "step " + std::to_string(c.step) + " is not kept" +
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
  curves_.truncate_after(c.step);
  history_.truncate_after(c.step);
  last_stats_ = StepStats{};
  step_budget_ = 0;
  set_status(SessionStatus::Paused);
}

// ---- models

void Worker::handle(cmd::LoadModel& c) {
  if (c.name.empty() || c.path.empty()) {
    event(Event::Kind::Error, "LoadModel needs a name and a file path");
    return;
  }
  try {
    LoadedEnergyModel loaded = load_energy_model(c.path);
    models_[c.name] = loaded.model;
    model_refs_[c.name] = ModelRef{c.name, c.path, loaded.sha256};
    set_models();
    event(Event::Kind::Info, "loaded model '" + c.name + "': " + loaded.summary);
  } catch (const std::exception& e) {
    event(Event::Kind::Error, "cannot load model '" + c.name + "' from " + c.path + ": " + e.what());
    return;
  }
  if (sampler_.has_chain()) check_compiles();
}

void Worker::handle(cmd::AddModel& c) {
  if (c.name.empty() || !c.model) {
    event(Event::Kind::Error, "AddModel needs a name and a model");
    return;
  }
  // The hash came with the model from its loader: the file is not read again on this thread.
  models_[c.name] = c.model;
  model_refs_[c.name] = ModelRef{c.name, c.path.empty() ? "memory:" + c.name : c.path, c.sha256};
  set_models();
  if (sampler_.has_chain()) check_compiles();
}

void Worker::handle(cmd::UnloadModel& c) {
  model_refs_.erase(c.name);
  if (!models_.erase(c.name)) {
    event(Event::Kind::Warning, "model '" + c.name + "' is not loaded");
    return;
  }
  set_models();
  if (sampler_.has_chain()) check_compiles();
}

// ---- files and inspection

void Worker::handle(cmd::Export& c) { do_export(c.request); }

void Worker::handle(cmd::InspectSample& c) { inspect_ = c.index < 0 ? -1 : c.index; }

}  // namespace ebm
