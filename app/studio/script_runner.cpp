// ScriptRunner: executes parsed script actions through their rows of the table (script_ops.h), one
// per frame, waiting (frame by frame, never blocking the loop) for those that take time.
#include "app/studio/script.h"
#include "app/studio/script_ops.h"
#include "app/studio/studio.h"
#include "engine/recipe/recipe.h"  // node_to_json (the report's composition)

#include <spdlog/spdlog.h>

namespace ebm::studio {

using nlohmann::json;
using Clock = std::chrono::steady_clock;

namespace {

constexpr double kDefaultTimeoutS = 300.0;

}  // namespace

ScriptRunner::ScriptRunner(Script script, Studio& studio)
    : script_(std::move(script)), studio_(studio),
      context_(std::make_unique<ScriptContext>(studio, script_.base_dir)), started_(Clock::now()) {}

ScriptRunner::~ScriptRunner() = default;

void ScriptRunner::fail(const std::string& message) {
  error_ = message;
  finished_ = true;
  studio_.controller().log().error("script stopped: " + message);
  // A failed script ends the app (exit code 1, report written): a test or demo must never be left
  // waiting on a window nobody drives.
  studio_.quit(1);
}

void ScriptRunner::tick() {
  if (finished_) return;
  if (frames_at_start_ == 0) frames_at_start_ = studio_.frame_count() + 1;
  Controller& ctl = studio_.controller();
  if (ctl.snapshot()) max_step_seen_ = std::max(max_step_seen_, ctl.snapshot()->step);
  try {
    if (waiting_) {
      const ScriptAction& a = script_.actions[next_ - 1];
      if (Clock::now() > deadline_) {
        fail(a.where() + " did not finish within its timeout (" + std::to_string(a.args.value("timeout_s", kDefaultTimeoutS)) + " s)");
        return;
      }
      if (!find_script_op(a.op)->poll(*context_, a)) return;
      waiting_ = false;
      done_at_.push_back(std::chrono::duration<double>(Clock::now() - started_).count());
    }
    // Models still loading (those given on the command line load in the background at start-up):
    // actions run once they are in, as a user would see them in the Models panel first.
    if (ctl.loading()) return;
    // Run actions until one has to wait; at most a few per frame so the UI shows progress.
    for (int n = 0; n < 8 && !waiting_ && !finished_; ++n) {
      if (next_ >= script_.actions.size()) {
        finished_ = true;
        studio_.quit(0);
        return;
      }
      const ScriptAction& a = script_.actions[next_++];
      spdlog::debug("script: {}", a.where());
      deadline_ = Clock::now() + std::chrono::milliseconds(static_cast<long>(1000.0 * a.args.value("timeout_s", kDefaultTimeoutS)));
      const ScriptOp* op = find_script_op(a.op);  // parse_script accepted only actions of the table
      waiting_ = !op->run(*context_, a) && op->poll != nullptr;
      if (!waiting_) done_at_.push_back(std::chrono::duration<double>(Clock::now() - started_).count());
      finished_ = context_->quit;
    }
  } catch (const std::exception& e) {
    fail(script_.actions[next_ - 1].where() + ": " + e.what());
  }
}

json ScriptRunner::report() const {
  json j;
  j["ok"] = error_.empty() && finished_;
  j["error"] = error_;
  j["actions_total"] = script_.actions.size();
  j["actions_done"] = waiting_ ? next_ - 1 : next_;
  j["frames"] = studio_.frame_count();
  const SamplingFrames& sf = studio_.sampling_frames();
  j["frames_while_sampling"] = sf.count();
  // How the GUI kept up while the worker sampled (docs/gpu.md: the studio at batch 64 on a GPU).
  json perf = {{"fps", sf.fps()},
               {"frame_ms_median", sf.frame_ms_quantile(0.5)},
               {"frame_ms_p99", sf.frame_ms_quantile(0.99)},
               {"busy_ms_median", sf.busy_ms_quantile(0.5)},
               {"busy_ms_p99", sf.busy_ms_quantile(0.99)},
               {"busy_ms_max", sf.busy_ms_quantile(1.0)},
               {"preview_path", studio_.preview_path()}};
  if (const auto& s = studio_.controller().snapshot(); s && s->images.defined()) {
    perf["device"] = s->images.device().str();  // the running chain's, not a pending edit's
    perf["devices"] = s->devices;               // how many devices its chains are split over
    perf["precision"] = to_string(s->params.precision);
    perf["batch"] = s->images.size(0);
    perf["ms_per_step"] = s->ms_per_step;
    perf["img_steps_per_s"] = s->ms_per_step > 0 ? 1000.0 * static_cast<double>(s->images.size(0)) / s->ms_per_step : 0.0;
    perf["step_path"] = s->step_path;
  }
  j["sampling_perf"] = perf;
  if (const auto& s = studio_.controller().snapshot(); s) {
    j["chain"] = {{"status", to_string(s->status)},
                  {"step", s->step},
                  {"total_steps", s->total_steps},
                  {"batch", s->params.batch},
                  {"precision", to_string(s->params.precision)},
                  {"schedule_levels", s->params.schedule.levels.size()},
                  {"images_denoised", s->images_denoised}};
  }
  j["walk"] = to_string(studio_.controller().ladder().walk);
  // The walk by name (draft, quick, final, custom) and whether it follows the composition's rule.
  j["quality"] = quality_of(studio_.controller().ladder());
  j["walk_by_rule"] = studio_.controller().walk_by_rule();
  j["max_step_seen"] = max_step_seen_;
  j["seconds"] = std::chrono::duration<double>(Clock::now() - started_).count();
  // When each finished action finished, in seconds since the script started: where a run's time went.
  j["action_done_s"] = done_at_;
  j["files"] = context_->written;
  // What the UI showed the user: the log's errors, warnings and info lines, and each model's state.
  j["errors"] = json::array();
  j["warnings"] = json::array();
  j["info"] = json::array();
  for (const auto& e : studio_.controller().log().snapshot()) {
    if (e.level == LogLevel::Error) j["errors"].push_back(e.text);
    if (e.level == LogLevel::Warning) j["warnings"].push_back(e.text);
    if (e.level == LogLevel::Info) j["info"].push_back(e.text);
  }
  // The selected sample's gradient maps as last published, and where the Views panel drew them.
  if (const auto& snap = studio_.controller().snapshot(); snap && snap->gradient_maps) {
    const GradientMaps& g = *snap->gradient_maps;
    json terms = json::array();
    for (const auto& t : g.terms)
      terms.push_back({{"name", t.name}, {"model", t.model}, {"norm", t.norm}, {"coefficient", t.coefficient},
                       {"max", t.max}});
    j["gradient_maps"] = {{"sample", g.sample}, {"step", g.step}, {"total_norm", g.total_norm}, {"ms", g.ms}, {"error", g.error}, {"terms", terms}};
  }
  j["gradient_tiles"] = studio_.ui().views.grad_tiles;
  // The Read panel: its image, the state of its read, and what each model read.
  const ConceptReader& reader = studio_.reader();
  json readings = json::array();
  for (const auto& r : reader.readings()) {
    json one = {{"model", r.model}, {"text", r.text}, {"error", r.error}};
    if (r.error.empty()) one["reading"] = r.reading;
    readings.push_back(one);
  }
  const char* read_state = reader.state() == ConceptReader::State::Done ? "done"
                           : reader.state() == ConceptReader::State::Reading ? "reading" : "idle";
  j["read"] = {{"shown", studio_.ui().read.show}, {"source", reader.source()}, {"state", read_state},
               {"seconds", reader.seconds()}, {"readings", readings}};
  const SamplerParams& sp = studio_.controller().sampler();
  j["init"] = {{"mode", to_string(sp.init)}, {"sigma", sp.init_sigma}, {"noise_sigma", init_noise_sigma(sp)},
               {"total_steps", sp.total_steps()},
               // the share of the image an edit may redraw (1: all of it; below: held outside the edit box)
               {"region_share", sp.init_region.defined() ? sp.init_region.mean().item<double>() : 1.0}};
  j["composition"] = node_to_json(studio_.controller().composition());  // the tree as edited (masks aside)
  j["models"] = json::array();
  for (const auto& m : studio_.controller().models())
    j["models"].push_back({{"name", m.name},
                           {"path", m.path},
                           {"state", m.state == ModelEntry::State::Ready ? "ready" : m.state == ModelEntry::State::Loading ? "loading" : "failed"},
                           {"error", m.error}});
  return j;
}

}  // namespace ebm::studio
