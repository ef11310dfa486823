// Controller: session lifetime, snapshot polling, run control. (Composition edits live in
// controller_composition.cpp, model loading in controller_models.cpp.)
#include "app/studio/controller.h"

#include <spdlog/spdlog.h>

#include <random>

namespace ebm::studio {

Controller::Controller(UiLog& log, ControllerOptions options)
    : log_(log), options_(options.session), params_(options.sampler), ladder_(options.ladder), walk_by_rule_(options.walk_by_rule),
      autostart_(options.autostart) {
  doc_ = Node::op(NodeKind::And, {});
  session_ = std::make_unique<Session>(options_);
  session_->submit(cmd::SetSampler{params_});  // checked by the worker: a bad option is an event
  snap_ = session_->latest();
}

// Members go in reverse order: the session first (its destructor cancels the run and joins the worker),
// then pending model loads (std::async futures wait for their task to finish), then the document.
Controller::~Controller() = default;

bool Controller::poll() {
  collect_loads();
  auto s = session_->latest();
  if (!s || s == snap_) return false;
  snap_ = s;
  for (const auto& e : s->events) {
    if (e.seq <= last_event_seq_) continue;
    last_event_seq_ = e.seq;
    const std::string text = "step " + std::to_string(e.step) + ": " + e.message;
    switch (e.kind) {
      case Event::Kind::Error: log_.error(text); break;
      case Event::Kind::BatchReduced:
        // The engine restarted at a smaller batch: the panel shows it, and later edits keep it.
        params_.batch = s->params.batch;
        params_.sample_ids = s->params.sample_ids;
        log_.warn(text);
        break;
      case Event::Kind::Warning:
      case Event::Kind::NanReset: log_.warn(text); break;
      default: log_.info(text); break;
    }
  }
  history_.on_snapshot(*s);
  if (selected_ >= 0 && s->images.defined() && selected_ >= s->images.size(0)) selected_ = -1;
  sync_inspected();
  return true;
}

bool Controller::sampling() const { return snap_ && snap_->status == SessionStatus::Running; }

void Controller::set_sampler(const SamplerParams& p) {
  try {
    apply_sampler(p);
  } catch (const std::invalid_argument& e) {
    log_.error(std::string("sampler settings not applied: ") + e.what());
  }
}

void Controller::apply_sampler(const SamplerParams& p) {
  CheckedSamplerParams checked = CheckedSamplerParams::check(p);  // the one check of this edit
  // A schedule of the user's or a recipe's replaces the automatic one for denoising models.
  if (!same_schedule(p.schedule, params_.schedule)) auto_schedule_ = false;
  send_sampler(std::move(checked));
}

void Controller::send_sampler(CheckedSamplerParams checked) {
  params_ = checked.get();
  session_->submit(cmd::SetSampler{std::move(checked)});
}

void Controller::set_session_options(const SessionOptions& o) {
  options_ = o;
  session_->submit(cmd::SetOptions{options_});
}

void Controller::start() {
  if (!doc_error_.empty()) log_.warn("cannot start yet: " + doc_error_);
  session_->submit(cmd::Start{});
}
void Controller::pause() { session_->submit(cmd::Pause{}); }
void Controller::resume() { session_->submit(cmd::Resume{}); }

void Controller::toggle_pause() {
  const SessionStatus st = snap_ ? snap_->status : SessionStatus::Idle;
  if (st == SessionStatus::Running) pause();
  else if (st == SessionStatus::Idle || st == SessionStatus::Finished) start();
  else resume();
}

void Controller::step(std::int64_t n) {
  if (n < 1) {
    log_.error("step count must be at least 1, got " + std::to_string(n));
    return;
  }
  session_->submit(cmd::Step{n});
}

void Controller::cancel() { session_->submit(cmd::Cancel{}); }

void Controller::restart(bool new_seed) {
  cmd::Restart r;
  if (new_seed) {
    // A fresh seed from the OS: "new seed" must differ run to run; the seed is shown and kept in the
    // recipe, so the result stays reproducible.
    std::random_device rd;
    r.seed = (static_cast<std::uint64_t>(rd()) << 32 | rd()) % 1000000000ULL;
    params_.seed = *r.seed;
  }
  session_->submit(r);
}

void Controller::rewind(std::int64_t step) {
  if (step < 0) {
    log_.error("cannot rewind to a negative step (" + std::to_string(step) + ")");
    return;
  }
  session_->submit(cmd::Rewind{step});
}

void Controller::export_files(const ExportRequest& r) {
  if (r.path.empty()) {
    log_.error("export needs a file name");
    return;
  }
  session_->submit(cmd::Export{r});
}

void Controller::start_when_loaded() {
  autostart_ = true;
  autostart_done_ = false;
  restart_on_autostart_ = true;
}

void Controller::select(int sample) {
  const int n = snap_ && snap_->images.defined() ? static_cast<int>(snap_->images.size(0)) : 0;
  selected_ = sample >= 0 && sample < n ? sample : -1;
  sync_inspected();
}

void Controller::set_gradient_maps(bool on) {
  grad_maps_on_ = on;
  sync_inspected();
}

void Controller::sync_inspected() {
  const int want = grad_maps_on_ ? selected_ : -1;
  if (want == inspected_) return;
  inspected_ = want;
  session_->submit(cmd::InspectSample{want});
}

}  // namespace ebm::studio
