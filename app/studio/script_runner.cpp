// ScriptRunner: executes parsed script actions through Studio/Controller, one per frame, waiting
// (frame by frame, never blocking the loop) for those that take time.
#include "app/studio/script.h"
#include "app/studio/studio.h"

#include <spdlog/spdlog.h>

namespace ebm::studio {

using nlohmann::json;
using Clock = std::chrono::steady_clock;

namespace {

constexpr double kDefaultTimeoutS = 300.0;

NodePath term_or_path(Controller& ctl, const json& a) {
  if (a.contains("path")) return a.at("path").get<NodePath>();
  const json& t = a.at("term");
  return t.is_string() ? ctl.term_path(t.get<std::string>()) : ctl.term_path(t.get<int>());
}

std::string term_name(Controller& ctl, const json& a) { return ctl.node(term_or_path(ctl, a))->name; }

bool settled(SessionStatus s) { return s != SessionStatus::Running; }

std::uint64_t last_event_seq(const Controller& ctl) {
  const auto& s = ctl.snapshot();
  return s && !s->events.empty() ? s->events.back().seq : 0;
}

}  // namespace

ScriptRunner::ScriptRunner(Script script, Studio& studio)
    : script_(std::move(script)), studio_(studio), started_(Clock::now()) {}

std::filesystem::path ScriptRunner::output_path(const std::string& p) const {
  std::filesystem::path path(p);
  return path.is_absolute() ? path : studio_.output_dir() / path;
}

std::filesystem::path ScriptRunner::input_path(const std::string& p) const {
  std::filesystem::path path(p);
  return path.is_absolute() ? path : script_.base_dir / path;
}

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
      if (!poll(a)) return;
      waiting_ = false;
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
      waiting_ = !start(a);
    }
  } catch (const std::exception& e) {
    fail(script_.actions[next_ - 1].where() + ": " + e.what());
  }
}

bool ScriptRunner::start(const ScriptAction& a) {
  Studio& st = studio_;
  Controller& ctl = st.controller();
  const json& j = a.args;
  const std::string& op = a.op;
  if (op == "load_model") {
    wait_kind_ = ctl.open_model(input_path(j.at("path").get<std::string>()).string(), j.value("name", std::string()));
    return false;
  }
  if (op == "add_term") {
    std::optional<std::vector<float>> label;
    if (j.contains("label")) label = j.at("label").get<std::vector<float>>();
    ctl.add_term(j.value("parent", NodePath{}), j.at("model").get<std::string>(), label, j.value("weight", 1.0));
    return true;
  }
  if (op == "add_operator") {
    const auto k = j.at("kind").get<std::string>();
    ctl.add_operator(j.value("parent", NodePath{}), node_kind_from_string(k));
    return true;
  }
  if (op == "remove") return ctl.remove_node(term_or_path(ctl, j)), true;
  if (op == "set_weight") return ctl.set_weight(term_or_path(ctl, j), j.at("weight").get<double>()), true;
  if (op == "set_guidance") return ctl.set_guidance(term_or_path(ctl, j), j.at("guidance").get<double>()), true;
  if (op == "set_guidance_interval")
    return ctl.set_guidance_interval(term_or_path(ctl, j), guidance_interval_from_json(j.at("interval"))), true;
  if (op == "set_enabled") return ctl.set_enabled(term_or_path(ctl, j), j.at("enabled").get<bool>()), true;
  if (op == "set_solo") return ctl.set_solo(term_or_path(ctl, j), j.at("solo").get<bool>()), true;
  if (op == "set_label") {
    const NodePath p = term_or_path(ctl, j);
    if (j.contains("label")) {
      ctl.set_label(p, j.at("label").get<std::vector<float>>());
      return true;
    }
    int slot = -1;
    if (j.at("slot").is_number_integer()) {
      slot = j.at("slot").get<int>();
    } else {
      const ModelEntry* m = ctl.model(ctl.node(p)->model);
      const auto name = j.at("slot").get<std::string>();
      if (m)
        for (int i = 0; i < m->schema.size(); ++i)
          if (m->schema.slots[static_cast<size_t>(i)].name == name) slot = i;
      if (slot < 0) throw std::invalid_argument("the term's model has no label slot named '" + name + "'");
    }
    ctl.set_label_slot(p, slot, j.at("value").get<float>());
    return true;
  }
  if (op == "set_operator") {
    const NodePath p = term_or_path(ctl, j);
    if (j.contains("temperature")) ctl.set_temperature(p, j.at("temperature").get<double>());
    if (j.contains("coefficient")) ctl.set_coefficient(p, j.at("coefficient").get<double>());
    if (j.contains("prior")) ctl.set_shared_prior(p, j.at("prior") == "shared");
    return true;
  }
  if (op == "paint_mask") {
    Brush b;
    b.radius = j.value("radius", 6.0f);
    b.hardness = j.value("hardness", 0.7f);
    b.opacity = j.value("opacity", 1.0f);
    b.erase = j.value("erase", false);
    const float size = static_cast<float>(ctl.image_size());
    std::vector<float> pts;
    for (const auto& p : j.at("points")) {
      pts.push_back(p[0].get<float>() * size);
      pts.push_back(p[1].get<float>() * size);
    }
    ctl.paint_mask(term_name(ctl, j), pts, b);
    st.ui().masks.term = term_name(ctl, j);
    return true;
  }
  if (op == "mask") {
    const auto m = j.at("op").get<std::string>();
    const MaskOp mop = m == "clear" ? MaskOp::Clear : m == "fill" ? MaskOp::Fill : m == "invert" ? MaskOp::Invert : MaskOp::Remove;
    ctl.mask_op(term_name(ctl, j), mop);
    return true;
  }
  if (op == "set_sampler") {
    SamplerParams p = ctl.sampler();
    if (j.contains("steps")) p.steps = j.at("steps").get<std::int64_t>();
    if (j.contains("step_lr")) p.step_lr = j.at("step_lr").get<double>();
    if (j.contains("noise_std")) p.noise_std = j.at("noise_std").get<double>();
    if (j.contains("batch")) p.batch = j.at("batch").get<std::int64_t>();
    if (j.contains("seed")) p.seed = j.at("seed").get<std::uint64_t>();
    if (j.contains("init")) p.init = init_mode_from_string(j.at("init").get<std::string>());
    if (j.contains("mode")) p.mode = sample_mode_from_string(j.at("mode").get<std::string>());
    if (j.contains("step_rule")) p.step_rule = step_rule_from_string(j.at("step_rule").get<std::string>());
    if (j.contains("leapfrog_steps")) p.leapfrog_steps = j.at("leapfrog_steps").get<int>();
    if (j.contains("device")) p.device = j.at("device").get<std::string>();
    if (j.contains("devices")) p.devices = j.at("devices").get<int>();
    if (j.contains("precision")) p.precision = precision_from_string(j.at("precision").get<std::string>());
    if (j.contains("cuda_graph")) p.cuda_graph = j.at("cuda_graph").get<bool>();
    p.validate();
    ctl.set_sampler(p);
    if (j.contains("preview_every_steps") || j.contains("preview_every_ms")) {
      SessionOptions o = ctl.session_options();
      if (j.contains("preview_every_steps")) o.publish_every_steps = j.at("preview_every_steps").get<std::int64_t>();
      if (j.contains("preview_every_ms")) o.publish_every_ms = j.at("preview_every_ms").get<double>();
      ctl.set_session_options(o);
    }
    return true;
  }
  if (op == "start" || op == "restart" || op == "open_preset") start_event_seq_ = last_event_seq(ctl), start_error_seen_.reset();
  if (op == "start") return ctl.start(), true;
  if (op == "pause") return ctl.pause(), true;
  if (op == "resume") return ctl.resume(), true;
  if (op == "cancel") return ctl.cancel(), true;
  if (op == "restart") return ctl.restart(j.value("new_seed", false)), true;
  if (op == "run_steps") {
    const auto n = j.at("steps").get<std::int64_t>();
    const auto& s = ctl.snapshot();
    // Step N continues an existing chain (paused, finished, running) or starts one at step 0.
    const bool has_chain = s && s->images.defined() && s->status != SessionStatus::Idle;
    wait_step_target_ = (has_chain ? s->step : 0) + n;
    wait_seq_ = s ? s->seq : 0;
    ctl.step(n);
    return false;
  }
  if (op == "wait") {
    wait_kind_ = j.value("until", std::string());
    wait_frames_until_ = st.frame_count() + j.value("frames", std::uint64_t{0});
    wait_time_until_ = Clock::now() + std::chrono::milliseconds(static_cast<long>(j.value("ms", 0.0)));
    wait_seq_ = ctl.snapshot() ? ctl.snapshot()->seq : 0;
    return false;
  }
  if (op == "rewind") {
    wait_step_target_ = j.at("step").get<std::int64_t>();
    wait_seq_ = ctl.snapshot() ? ctl.snapshot()->seq : 0;
    ctl.rewind(wait_step_target_);
    return false;
  }
  if (op == "select") {
    ctl.select(j.at("sample").get<int>());
    return true;
  }
  if (op == "show_curves") {
    const auto p = j.at("plot").get<std::string>();
    st.ui().curves.grad_norm = p == "grad_norm";
    st.ui().curves.acceptance = p == "acceptance";
    return true;
  }
  if (op == "export") {
    ExportSettings& e = st.ui().exports;
    const auto path = output_path(j.at("path").get<std::string>());
    e.dir = path.parent_path().string();
    e.name = path.stem().string();
    const auto k = j.value("kind", std::string("grid"));
    e.kind = k == "grid" ? 0 : k == "samples" ? 1 : 2;
    wait_seq_ = last_event_seq(ctl);
    st.export_now();
    written_.push_back(path.string());
    return false;
  }
  if (op == "save_preset") {
    const auto p = output_path(j.at("path").get<std::string>());
    wait_seq_ = last_event_seq(ctl);
    st.save_preset(p.string());
    written_.push_back(p.string());
    return false;
  }
  if (op == "open_preset") {
    st.open_preset(input_path(j.at("path").get<std::string>()).string());
    return true;
  }
  if (op == "screenshot") {
    const auto p = output_path(j.at("path").get<std::string>());
    st.request_screenshot(p);
    written_.push_back(p.string());
    return false;
  }
  if (op == "quit") {
    finished_ = true;
    st.quit(j.value("code", 0));
    return true;
  }
  throw std::invalid_argument("unknown action");  // parse_script rejects these first
}

bool ScriptRunner::poll(const ScriptAction& a) {
  Studio& st = studio_;
  Controller& ctl = st.controller();
  const auto& s = ctl.snapshot();
  const std::string& op = a.op;
  if (op == "load_model") {
    const ModelEntry* m = ctl.model(wait_kind_);
    if (m == nullptr) throw std::runtime_error("the model disappeared while loading");
    if (m->state == ModelEntry::State::Loading) return false;
    if (m->state == ModelEntry::State::Failed) throw std::runtime_error("cannot load " + m->path + ": " + m->error);
    return true;
  }
  if (op == "run_steps") {
    if (!s || s->seq == wait_seq_) return false;
    if (s->status == SessionStatus::Error) throw std::runtime_error("sampling stopped with an error (see the log)");
    return settled(s->status) && s->step >= wait_step_target_;
  }
  if (op == "rewind") {
    if (!s || s->seq == wait_seq_) return false;
    return s->status == SessionStatus::Paused && s->step == wait_step_target_;
  }
  if (op == "wait") {
    if (st.frame_count() < wait_frames_until_ || Clock::now() < wait_time_until_) return false;
    if (wait_kind_ == "settled") return s && s->seq != wait_seq_ && settled(s->status);
    if (wait_kind_ == "running") {
      if (s && s->status == SessionStatus::Running) return true;
      // A chain that cannot start (a device without CUDA, a bad composition) would never run; its
      // error may have come before this wait began. A start that races a pending edit (a preset
      // whose composition is still on its way) can fail and be followed by one that succeeds, so
      // the error ends the wait only when no chain runs a moment later.
      if (s)
        for (const auto& e : s->events)
          if (e.seq > start_event_seq_ && e.kind == Event::Kind::Error) {
            if (!start_error_seen_) start_error_seen_ = Clock::now();
            if (Clock::now() - *start_error_seen_ > std::chrono::seconds(3))
              throw std::runtime_error("sampling did not start: " + e.message);
            break;
          }
      return false;
    }
    if (wait_kind_ == "images") return s && s->images.defined();
    if (wait_kind_ == "gradients") {
      // The maps of the selected sample at the chain's current step (or why there are none).
      const GradientMaps* g = s ? s->gradient_maps.get() : nullptr;
      return g && ctl.selected() >= 0 && g->sample == ctl.selected() && (g->step == s->step || !g->error.empty());
    }
    return true;
  }
  if (op == "screenshot") return !st.screenshot_pending();
  if (op == "export" || op == "save_preset") {
    // The worker writes the files and reports an `exported` or `error` event.
    if (!s) return false;
    for (const auto& e : s->events) {
      if (e.seq <= wait_seq_) continue;
      if (e.kind == Event::Kind::Exported) return true;
      if (e.kind == Event::Kind::Error) throw std::runtime_error(e.message);
    }
    return false;
  }
  return true;
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
  j["max_step_seen"] = max_step_seen_;
  j["seconds"] = std::chrono::duration<double>(Clock::now() - started_).count();
  j["files"] = written_;
  // What the UI showed the user: errors and warnings of the log, and each model's state.
  j["errors"] = json::array();
  j["warnings"] = json::array();
  for (const auto& e : studio_.controller().log().snapshot()) {
    if (e.level == LogLevel::Error) j["errors"].push_back(e.text);
    if (e.level == LogLevel::Warning) j["warnings"].push_back(e.text);
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
  j["models"] = json::array();
  for (const auto& m : studio_.controller().models())
    j["models"].push_back({{"name", m.name},
                           {"state", m.state == ModelEntry::State::Ready ? "ready" : m.state == ModelEntry::State::Loading ? "loading" : "failed"},
                           {"error", m.error}});
  return j;
}

}  // namespace ebm::studio
