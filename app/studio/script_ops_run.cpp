// Script actions that set the sampler and drive the run: start, pause, steps, waits, rewinds, and
// what the panels show (the selected sample, the Curves panel's plot).
#include "app/studio/script_args.h"
#include "app/studio/script_ops.h"
#include "app/studio/studio.h"

#include <stdexcept>

namespace ebm::studio {

namespace {

using nlohmann::json;
using Clock = std::chrono::steady_clock;

bool settled(SessionStatus s) { return s != SessionStatus::Running; }

void validate_set_sampler(const ScriptAction& a) {
  in_range(a, "steps", 1, 1e8);
  in_range(a, "step_lr", 0, 1e9);
  in_range(a, "noise_std", 0, 1e3);
  in_range(a, "batch", 1, 4096);
  in_range(a, "seed", 0, 1e15);
  in_range(a, "preview_every_steps", 0, 1e6);
  in_range(a, "preview_every_ms", 0, 1e7);
  parsed_if_given(a, "device", "cpu, cuda or cuda:N", parse_device);
  parsed_if_given(a, "precision", "fp32, tf32 or bf16", precision_from_string);
  parsed_if_given(a, "step_rule", "langevin, mala or hmc", step_rule_from_string);
  in_range(a, "leapfrog_steps", 1, 100);
  parsed_if_given(a, "mode", "joint or sequential", sample_mode_from_string);
  parsed_if_given(a, "init", "uniform, gaussian, grey_colour, image or noise", init_mode_from_string);
  if (a.args.contains("cuda_graph")) need(a, "cuda_graph", json::value_t::boolean, "true or false");
}

bool run_set_sampler(ScriptContext& c, const ScriptAction& a) {
  Controller& ctl = c.controller();
  const json& j = a.args;
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
  ctl.apply_sampler(p);  // checked once there; a bad value fails the script
  if (j.contains("preview_every_steps") || j.contains("preview_every_ms")) {
    SessionOptions o = ctl.session_options();
    if (j.contains("preview_every_steps")) o.publish_every_steps = j.at("preview_every_steps").get<std::int64_t>();
    if (j.contains("preview_every_ms")) o.publish_every_ms = j.at("preview_every_ms").get<double>();
    ctl.set_session_options(o);
  }
  return true;
}

void validate_set_walk(const ScriptAction& a) {
  if (a.args.contains("quality")) {
    need(a, "quality", json::value_t::string, "auto, draft, quick or final");
    const auto q = a.args.at("quality").get<std::string>();
    if (q != "auto" && q != "draft" && q != "quick" && q != "final")
      bad_arg(a, "'quality' must be auto, draft, quick or final");
  }
  parsed_if_given(a, "walk", "corrector or euler", ladder_walk_from_string);
  in_range(a, "euler_steps", 1, 100000);
  in_range(a, "churn", 0, 1000);
  in_range(a, "euler_top_steps", 0, 100000);
  in_range(a, "levels", 1, 10000);
  in_range(a, "steps_per_level", 0, 100000);
  in_range(a, "top_steps", 0, 100000);
  in_range(a, "corrector_r", 1e-6, 10);
  in_range(a, "euler_corrector_steps", 0, 1000);
  in_range(a, "euler_corrector_r", 1e-6, 10);
  if (a.args.contains("heun")) need(a, "heun", json::value_t::boolean, "true or false");
  if (a.args.contains("preview_denoised")) need(a, "preview_denoised", json::value_t::boolean, "true or false");
}

bool run_set_walk(ScriptContext& c, const ScriptAction& a) {
  Controller& ctl = c.controller();
  const json& j = a.args;
  LadderOptions l = ctl.ladder();
  const bool by_rule = j.value("quality", std::string()) == "auto";
  if (j.contains("quality") && !by_rule) l = ladder_for_quality(j.at("quality").get<std::string>());
  if (j.contains("walk")) l.walk = ladder_walk_from_string(j.at("walk").get<std::string>());
  if (j.contains("euler_steps")) l.euler_steps = j.at("euler_steps").get<int>();
  if (j.contains("churn")) l.churn = j.at("churn").get<double>();
  if (j.contains("euler_top_steps")) l.euler_top_steps = j.at("euler_top_steps").get<std::int64_t>();
  if (j.contains("levels")) l.levels = j.at("levels").get<int>();
  if (j.contains("steps_per_level")) l.steps_per_level = j.at("steps_per_level").get<std::int64_t>();
  if (j.contains("top_steps")) l.top_steps = j.at("top_steps").get<std::int64_t>();
  if (j.contains("heun")) l.heun = j.at("heun").get<bool>();
  if (j.contains("corrector_r")) l.r = j.at("corrector_r").get<double>();
  if (j.contains("euler_corrector_steps")) l.euler_corrector_steps = j.at("euler_corrector_steps").get<std::int64_t>();
  if (j.contains("euler_corrector_r")) l.euler_corrector_r = j.at("euler_corrector_r").get<double>();
  // "auto" alone walks by the composition's rule; with walk fields beside it, they change the walk in use.
  const size_t walk_fields = j.size() - j.count("do") - j.count("quality") - j.count("preview_denoised");
  if (by_rule && walk_fields == 0) ctl.set_walk_by_rule();
  else ctl.set_ladder(l);
  if (j.contains("preview_denoised")) {
    SessionOptions o = ctl.session_options();
    o.preview_denoised = j.at("preview_denoised").get<bool>();
    ctl.set_session_options(o);
  }
  return true;
}

// Errors of a chain's start arrive as events after this one (`wait until running` reads them).
void mark_start(ScriptContext& c) {
  c.start_event_seq = last_event_seq(c.controller());
  c.start_error_seen.reset();
}

bool run_start(ScriptContext& c, const ScriptAction&) {
  mark_start(c);
  c.controller().start();
  return true;
}

bool run_pause(ScriptContext& c, const ScriptAction&) {
  c.controller().pause();
  return true;
}

bool run_resume(ScriptContext& c, const ScriptAction&) {
  c.controller().resume();
  return true;
}

bool run_cancel(ScriptContext& c, const ScriptAction&) {
  c.controller().cancel();
  return true;
}

void validate_restart(const ScriptAction& a) {
  if (a.args.contains("new_seed") && !a.args.at("new_seed").is_boolean()) bad_arg(a, "'new_seed' must be true or false");
}

bool run_restart(ScriptContext& c, const ScriptAction& a) {
  mark_start(c);
  c.controller().restart(a.args.value("new_seed", false));
  return true;
}

void validate_run_steps(const ScriptAction& a) {
  need(a, "steps", json::value_t::number_integer, "an integer >= 1");
  in_range(a, "steps", 1, 1e8);
  in_range(a, "timeout_s", 0.1, 1e5);
}

bool run_run_steps(ScriptContext& c, const ScriptAction& a) {
  Controller& ctl = c.controller();
  const auto n = a.args.at("steps").get<std::int64_t>();
  const auto& s = ctl.snapshot();
  // Step N continues an existing chain (paused, finished, running) or starts one at step 0.
  const bool has_chain = s && s->images.defined() && s->status != SessionStatus::Idle;
  c.wait_step_target = (has_chain ? s->step : 0) + n;
  c.wait_seq = s ? s->seq : 0;
  ctl.step(n);
  return false;
}

bool poll_run_steps(ScriptContext& c, const ScriptAction&) {
  const auto& s = c.controller().snapshot();
  if (!s || s->seq == c.wait_seq) return false;
  if (s->status == SessionStatus::Error) throw std::runtime_error("sampling stopped with an error (see the log)");
  return settled(s->status) && s->step >= c.wait_step_target;
}

void validate_wait(const ScriptAction& a) {
  if (!a.args.contains("frames") && !a.args.contains("ms") && !a.args.contains("until"))
    bad_arg(a, "needs 'frames', 'ms' or 'until' (settled|running|images|gradients)");
  in_range(a, "frames", 0, 1e7);
  in_range(a, "ms", 0, 1e8);
  if (a.args.contains("until")) {
    const auto u = a.args.value("until", std::string());
    if (u != "settled" && u != "running" && u != "images" && u != "gradients")
      bad_arg(a, "'until' must be settled, running, images or gradients");
  }
}

bool run_wait(ScriptContext& c, const ScriptAction& a) {
  const json& j = a.args;
  c.wait_kind = j.value("until", std::string());
  c.wait_frames_until = c.studio.frame_count() + j.value("frames", std::uint64_t{0});
  c.wait_time_until = Clock::now() + std::chrono::milliseconds(static_cast<long>(j.value("ms", 0.0)));
  c.wait_seq = c.controller().snapshot() ? c.controller().snapshot()->seq : 0;
  return false;
}

bool poll_wait(ScriptContext& c, const ScriptAction&) {
  Controller& ctl = c.controller();
  const auto& s = ctl.snapshot();
  if (c.studio.frame_count() < c.wait_frames_until || Clock::now() < c.wait_time_until) return false;
  if (c.wait_kind == "settled") return s && s->seq != c.wait_seq && settled(s->status);
  if (c.wait_kind == "running") {
    if (s && s->status == SessionStatus::Running) return true;
    // A chain that cannot start (a device without CUDA, a bad composition) would never run; its
    // error may have come before this wait began. A start that races a pending edit (a preset
    // whose composition is still on its way) can fail and be followed by one that succeeds, so
    // the error ends the wait only when no chain runs a moment later.
    if (s)
      for (const auto& e : s->events)
        if (e.seq > c.start_event_seq && e.kind == Event::Kind::Error) {
          if (!c.start_error_seen) c.start_error_seen = Clock::now();
          if (Clock::now() - *c.start_error_seen > std::chrono::seconds(3))
            throw std::runtime_error("sampling did not start: " + e.message);
          break;
        }
    return false;
  }
  if (c.wait_kind == "images") return s && s->images.defined();
  if (c.wait_kind == "gradients") {
    // The maps of the selected sample at the chain's current step (or why there are none).
    const GradientMaps* g = s ? s->gradient_maps.get() : nullptr;
    return g && ctl.selected() >= 0 && g->sample == ctl.selected() && (g->step == s->step || !g->error.empty());
  }
  return true;
}

void validate_rewind(const ScriptAction& a) {
  need(a, "step", json::value_t::number_integer, "a kept step (integer >= 0)");
  in_range(a, "step", 0, 1e12);
}

bool run_rewind(ScriptContext& c, const ScriptAction& a) {
  c.wait_step_target = a.args.at("step").get<std::int64_t>();
  c.wait_seq = c.controller().snapshot() ? c.controller().snapshot()->seq : 0;
  c.controller().rewind(c.wait_step_target);
  return false;
}

bool poll_rewind(ScriptContext& c, const ScriptAction&) {
  const auto& s = c.controller().snapshot();
  if (!s || s->seq == c.wait_seq) return false;
  return s->status == SessionStatus::Paused && s->step == c.wait_step_target;
}

void validate_select(const ScriptAction& a) {
  need(a, "sample", json::value_t::number_integer, "a sample index (-1: none)");
}

bool run_select(ScriptContext& c, const ScriptAction& a) {
  c.controller().select(a.args.at("sample").get<int>());
  return true;
}

void validate_show_curves(const ScriptAction& a) {
  need(a, "plot", json::value_t::string, "energy, grad_norm or acceptance");
  const auto p = a.args.at("plot").get<std::string>();
  if (p != "energy" && p != "grad_norm" && p != "acceptance") bad_arg(a, "'plot' must be energy, grad_norm or acceptance");
}

bool run_show_curves(ScriptContext& c, const ScriptAction& a) {
  const auto p = a.args.at("plot").get<std::string>();
  c.studio.ui().curves.grad_norm = p == "grad_norm";
  c.studio.ui().curves.acceptance = p == "acceptance";
  return true;
}

}  // namespace

std::vector<ScriptOp> run_script_ops() {
  return {
      {"set_sampler",
       "[steps, step_lr, noise_std, batch, seed, init, mode, step_rule, leapfrog_steps, device, precision, cuda_graph, "
       "preview_every_steps, preview_every_ms]",
       validate_set_sampler, run_set_sampler, nullptr},
      {"set_walk",
       "[quality (draft|quick|final), walk (corrector|euler), euler_steps, churn, euler_top_steps, heun, "
       "euler_corrector_steps, euler_corrector_r, corrector_r, levels, steps_per_level, top_steps, preview_denoised]: how denoising models' ladder is walked",
       validate_set_walk, run_set_walk, nullptr},
      {"start", "start a new chain", no_args, run_start, nullptr},
      {"pause", "pause", no_args, run_pause, nullptr},
      {"resume", "resume", no_args, run_resume, nullptr},
      {"cancel", "cancel the run", no_args, run_cancel, nullptr},
      {"restart", "[new_seed]: restart the chain", validate_restart, run_restart, nullptr},
      {"run_steps", "steps [, timeout_s]: run N more steps and wait until they are done", validate_run_steps,
       run_run_steps, poll_run_steps},
      {"wait",
       "frames | ms | until (settled|running|images|gradients): let the UI run; gradients: the selected sample's "
       "gradient maps are shown for the current step",
       validate_wait, run_wait, poll_wait},
      {"rewind", "step: go back to a kept step (waits until the chain is there)", validate_rewind, run_rewind,
       poll_rewind},
      {"select", "sample: select a sample in the grid (-1: none)", validate_select, run_select, nullptr},
      {"show_curves", "plot (energy|grad_norm|acceptance): what the Curves panel plots", validate_show_curves,
       run_show_curves, nullptr},
  };
}

}  // namespace ebm::studio
