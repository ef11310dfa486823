// Sampler panel: run control (start / pause / resume / step / cancel / restart), Langevin parameters,
// chain identity (seed lock/new, batch, init mode), preview cadence, and the timeline scrubber that
// rewinds to a kept step.
#include "app/studio/panels/panels.h"
#include "engine/gpu/precision.h"
#include "engine/sampling/walk_presets.h"
#include "engine/gpu/device_check.h"

#include <algorithm>
#include <string>
#include <vector>

namespace ebm::studio {

namespace {

ImVec4 status_colour(SessionStatus s) {
  switch (s) {
    case SessionStatus::Running: return ImVec4(0.45f, 0.85f, 0.45f, 1.f);
    case SessionStatus::Error: return ImVec4(1.f, 0.45f, 0.4f, 1.f);
    case SessionStatus::Paused:
    case SessionStatus::Cancelled: return ImVec4(1.f, 0.8f, 0.35f, 1.f);
    default: return ImVec4(0.75f, 0.75f, 0.8f, 1.f);
  }
}

void timeline(PanelContext& c, const Snapshot& s) {
  ImGui::TextUnformatted("Timeline");
  help_marker("Kept steps of this chain (History). Drag and release to rewind there; the chain pauses, and "
              "edits then continue from that step.");
  const auto& kept = s.kept_steps;
  if (kept.empty()) {
    ImGui::TextDisabled("(no kept steps yet)");
    return;
  }
  // Slider over the index of kept steps: kept steps may be sparse (history keeps every n-th).
  static int scrub = -1;
  auto cur = std::lower_bound(kept.begin(), kept.end(), s.step);
  int idx = static_cast<int>(std::min<std::ptrdiff_t>(cur - kept.begin(), static_cast<std::ptrdiff_t>(kept.size()) - 1));
  if (scrub >= 0) idx = std::min(scrub, static_cast<int>(kept.size()) - 1);
  ImGui::SetNextItemWidth(-1.f);
  char fmt[64];
  std::snprintf(fmt, sizeof fmt, "step %lld", static_cast<long long>(kept[static_cast<size_t>(idx)]));
  if (ImGui::SliderInt("##timeline", &idx, 0, static_cast<int>(kept.size()) - 1, fmt)) scrub = idx;
  if (ImGui::IsItemDeactivatedAfterEdit() && scrub >= 0) {
    c.ctl.rewind(kept[static_cast<size_t>(scrub)]);
    scrub = -1;
  }
  ImGui::TextDisabled("kept %zu steps: %lld … %lld", kept.size(), static_cast<long long>(kept.front()),
                      static_cast<long long>(kept.back()));
}

// Where the chain runs (applies at restart, like batch and seed) and, on a GPU, the step's
// arithmetic and CUDA-graph replay (apply from the next step; docs/gpu.md).
bool device_controls(SamplerParams& p) {
  bool changed = false;
  static const std::vector<std::string> devices = device_choices();  // asked once: GPUs do not come and go
  std::string current = p.device == "cuda" ? "cuda:0" : p.device;
  if (ImGui::BeginCombo("device", current.c_str())) {
    for (const auto& d : devices)
      if (ImGui::Selectable(d.c_str(), d == current)) p.device = d, changed = true;
    ImGui::EndCombo();
  }
  help_marker(devices.size() > 1 ? "Where the chain runs; applies at the next start or restart."
                                 : "Where the chain runs. This build or machine has no CUDA GPU, so only the CPU is listed.");
  const bool gpu = p.device.rfind("cuda", 0) == 0;  // the names device_choices() gives, or "cuda"
  // Several GPUs: the chains split from the chosen one on (each GPU a copy of the models).
  const int gpus_here = gpus_from(parse_device(p.device));
  if (gpus_here > 1) {
    int n = p.devices;
    if (ImGui::SliderInt("GPUs", &n, 1, gpus_here, "%d", ImGuiSliderFlags_AlwaysClamp) && n != p.devices)
      p.devices = n, changed = true;
    help_marker("Split the batch's chains over this many GPUs, from the device above on; each runs a copy of the "
                "models and the images are gathered on the first. The same images as one GPU at micro-batch "
                "ceil(batch/GPUs). Applies at the next start or restart.");
  }
  // The CPU takes the batch whole, and a split never reaches past the machine's last GPU (after
  // choosing a later first GPU, say).
  const int most = std::max(1, gpus_here);
  if (p.devices > most) p.devices = most, changed = true;
  // bf16 on the CPU only where it has bf16 instructions (precision.h); tf32 there is plain fp32.
  ImGui::BeginDisabled(!gpu && !cpu_has_native_bf16());
  const char* precisions[] = {"fp32", "tf32", "bf16"};
  int prec = p.precision == Precision::Fp32 ? 0 : p.precision == Precision::Tf32 ? 1 : 2;
  if (ImGui::Combo("precision", &prec, precisions, 3)) p.precision = precision_from_string(precisions[prec]), changed = true;
  ImGui::EndDisabled();
  ImGui::BeginDisabled(!gpu);
  if (ImGui::Checkbox("CUDA graph", &p.cuda_graph)) changed = true;
  ImGui::EndDisabled();
  help_marker("precision: fp32 (strict), tf32 (GPU default: TF32 matrix units, ~1e-5 px per 43 steps; fp32 on a "
              "CPU) or bf16 (autocast: fastest, energies ~1-2 % off; on a CPU with bf16 instructions too, ~1.4-1.6x "
              "its fp32 step). CUDA graph (GPU): replay the captured Langevin step (edits of weights, labels and "
              "step size need no re-capture).");
  return changed;
}

// The corrector steps' size r (each step r·sigma^2): on the Euler walk that of its top steps.
void step_size_control(LadderOptions& l, bool& changed) {
  float r = static_cast<float>(l.r);
  if (ImGui::DragFloat("step size r", &r, 0.005f, 0.001f, 2.f, "%.3f", ImGuiSliderFlags_AlwaysClamp))
    l.r = r, changed = true;
  help_marker("Langevin (corrector) step r x sigma^2, noise sqrt(2r) x sigma. Larger steps form an object in fewer "
              "top steps (the draft takes r = 0.5); past about 1 the chain overshoots.");
}

}  // namespace

// The walk of the denoising models' ladder: draft / quick / final / custom, the custom walk's settings, and
// what it costs in network evaluations per sample. Changes go through Controller::set_ladder.
void ladder_controls(PanelContext& c, const SamplerParams& p) {
  LadderOptions l = c.ctl.ladder();
  bool changed = false;
  const bool by_rule = c.ctl.walk_by_rule();
  const std::string quality = quality_of(l);
  if (ImGui::RadioButton("auto", by_rule) && !by_rule) guarded(c.ctl, "set walk", [&] { c.ctl.set_walk_by_rule(); });
  ImGui::SameLine();
  for (const char* q : {"draft", "quick", "final"}) {
    if (ImGui::RadioButton(q, !by_rule && quality == q)) l = ladder_for_quality(q), changed = true;
    ImGui::SameLine();
  }
  ImGui::TextDisabled("%s", by_rule ? ("(" + quality + ")").c_str() : quality == "custom" ? "(custom)" : "");
  help_marker("auto: each composition's default walk - quick around one prior (colour compositions), final "
              "otherwise; it follows the composition as you edit it. draft: 16 Langevin steps of r 0.5 at the top "
              "noise level, then 10 Euler steps (27 in all) - a composition in seconds, on a CPU too. quick: 24 top steps of r 0.6 and 14 Euler steps (39) - the best walk for "
              "colour compositions and for three or four concepts, a few points under final on position and size. "
              "final: the 400-step annealed Langevin ladder the model card grades. Or set the walk below.");
  const char* walks[] = {"corrector", "euler"};
  int w = l.walk == LadderWalk::Euler ? 1 : 0;
  if (ImGui::Combo("walk", &w, walks, 2)) l.walk = w == 1 ? LadderWalk::Euler : LadderWalk::Corrector, changed = true;
  if (l.walk == LadderWalk::Euler) {
    int n = l.euler_steps;
    if (ImGui::DragInt("Euler steps", &n, 0.2f, 1, 2000)) l.euler_steps = std::max(1, n), changed = true;
    float churn = static_cast<float>(l.churn);
    if (ImGui::DragFloat("churn", &churn, 0.2f, 0.f, 200.f, "%.1f")) l.churn = churn, changed = true;
    int top = static_cast<int>(l.euler_top_steps);
    if (ImGui::DragInt("top steps", &top, 0.5f, 0, 2000)) l.euler_top_steps = std::max(0, top), changed = true;
    if (ImGui::Checkbox("Heun", &l.heun)) changed = true;
    help_marker("Euler steps of the probability-flow ODE on Karras-spaced noise levels (one evaluation each); churn "
                "re-noises each step a little (EDM), top steps are Langevin steps at the top noise level first. "
                "Heun: second-order steps (EDM), two evaluations each but the last - as far with half the steps. "
                "Corrector steps: Langevin steps of r*sigma^2 after each Euler step, at the level it ends on - a "
                "summed composition's score is not its noised product's, and they pull the chain toward it (the corrector walk does more).");
    // Below the help marker, which stays beside the Heun box where the panel has room for it.
    int corr = static_cast<int>(l.euler_corrector_steps);
    if (ImGui::DragInt("corrector steps", &corr, 0.1f, 0, 20)) l.euler_corrector_steps = std::max(0, corr), changed = true;
    if (l.euler_corrector_steps > 0) {
      float cr = static_cast<float>(l.euler_corrector_r);
      if (ImGui::DragFloat("corrector r", &cr, 0.01f, 0.01f, 2.f, "%.2f")) l.euler_corrector_r = std::max(0.01f, cr), changed = true;
    }
    step_size_control(l, changed);
  } else {
    int levels = l.levels;
    if (ImGui::DragInt("levels", &levels, 0.2f, 1, 1000)) l.levels = std::max(1, levels), changed = true;
    int per = static_cast<int>(l.steps_per_level);
    if (ImGui::DragInt("steps per level", &per, 0.1f, 0, 100)) l.steps_per_level = std::max(0, per), changed = true;
    int top = static_cast<int>(l.top_steps);
    if (ImGui::DragInt("top steps", &top, 0.5f, 0, 2000)) l.top_steps = std::max(0, top), changed = true;
    if (ImGui::Checkbox("predictor", &l.predictor)) changed = true;
    step_size_control(l, changed);
    if (!l.predictor && l.steps_per_level < 1) l.steps_per_level = 1;
  }
  const auto& L = p.schedule.levels;
  const long long steps = static_cast<long long>(p.total_steps());
  // A Heun step evaluates the composition twice.
  const long long evaluated = static_cast<long long>(schedule_evaluations(p.schedule, p.total_steps()));
  const int per_step = c.ctl.evaluations_per_step();
  ImGui::TextDisabled("%lld steps, sigma %.3g -> %.3g", steps, L.front().sigma, L.back().sigma);
  if (evaluated != steps)
    ImGui::TextDisabled("cost: (%lld steps + %lld Heun) x %d = %lld evaluations per sample", steps, evaluated - steps,
                        per_step, evaluated * per_step);
  else
    ImGui::TextDisabled("cost: %lld x %d = %lld network evaluations per sample", steps, per_step, steps * per_step);
  if (changed) guarded(c.ctl, "set walk", [&] { c.ctl.set_ladder(l); });
}

void draw_sampler_panel(PanelContext& c) {
  if (!ImGui::Begin("Sampler")) {
    ImGui::End();
    return;
  }
  const auto& snap = c.ctl.snapshot();
  const SessionStatus st = snap ? snap->status : SessionStatus::Idle;
  ImGui::TextColored(status_colour(st), "%s", to_string(st).c_str());
  if (snap) {
    ImGui::SameLine();
    ImGui::Text("step %lld / %lld   chain %llu   seed %llu", static_cast<long long>(snap->step),
                static_cast<long long>(snap->total_steps), static_cast<unsigned long long>(snap->chain_id),
                static_cast<unsigned long long>(snap->params.seed));
    if (snap->total_steps > 0)
      ImGui::ProgressBar(std::clamp(static_cast<float>(snap->step) / static_cast<float>(snap->total_steps), 0.f, 1.f),
                         ImVec2(-1.f, 4.f * c.scale), "");
  }

  // Run control.
  if (st == SessionStatus::Running) {
    if (ImGui::Button("Pause")) c.ctl.pause();
  } else if (st == SessionStatus::Idle || st == SessionStatus::Finished) {
    if (ImGui::Button("Start")) c.ctl.start();
  } else {
    if (ImGui::Button("Resume")) c.ctl.resume();
  }
  ImGui::SameLine();
  if (ImGui::Button("Step")) c.ctl.step(1);
  ImGui::SameLine();
  ImGui::SetNextItemWidth(70.f * c.scale);
  ImGui::InputInt("##n", &c.ui.step_n, 0);
  c.ui.step_n = std::clamp(c.ui.step_n, 1, 100000);
  ImGui::SameLine();
  if (ImGui::Button("Step N")) c.ctl.step(c.ui.step_n);
  if (ImGui::Button("Cancel")) c.ctl.cancel();
  ImGui::SameLine();
  if (ImGui::Button("Restart")) c.ctl.restart(!c.ui.seed_locked);
  ImGui::SameLine();
  if (ImGui::Button("New seed")) c.ctl.restart(true);
  ImGui::SameLine();
  ImGui::Checkbox("lock seed", &c.ui.seed_locked);

  ImGui::Separator();
  SamplerParams p = c.ctl.sampler();
  bool changed = false;
  ImGui::PushItemWidth(-110.f * c.scale);
  if (p.schedule.annealed()) {
    // Denoising models: the step, noise and length come from the noise ladder (per level), not the sliders.
    ladder_controls(c, p);
  } else {
    int steps = static_cast<int>(p.steps);
    if (ImGui::DragInt("steps", &steps, 1.f, 1, 100000)) p.steps = steps, changed = true;
    float lr = static_cast<float>(p.step_lr);
    if (ImGui::DragFloat("step size", &lr, 1.f, 0.f, 10000.f, "%.4g", ImGuiSliderFlags_Logarithmic)) p.step_lr = lr, changed = true;
    float noise = static_cast<float>(p.noise_std);
    if (ImGui::DragFloat("noise std", &noise, 0.0001f, 0.f, 1.f, "%.4g", ImGuiSliderFlags_Logarithmic)) p.noise_std = noise, changed = true;
  }
  const char* modes[] = {"joint", "sequential"};
  int mode = p.mode == SampleMode::Joint ? 0 : 1;
  if (ImGui::Combo("mode", &mode, modes, 2)) p.mode = mode == 0 ? SampleMode::Joint : SampleMode::Sequential, changed = true;
  help_marker("joint: one step on the composed energy; sequential: a separate step per child of the root AND "
              "(the original 'continual' task).");
  const char* rules[] = {"langevin", "mala", "hmc"};
  int rule = static_cast<int>(p.step_rule);
  if (ImGui::Combo("step rule", &rule, rules, 3)) p.step_rule = step_rule_from_string(rules[rule]), changed = true;
  help_marker("langevin: every step is taken (the original scripts). mala: Metropolis-adjusted Langevin - a step "
              "is taken with the probability that makes the chain sample exp(-E/T) (T = noise^2 / (2 step), 1 on a "
              "denoising ladder; exact without clamp), at twice the energy evaluations. hmc: Hamiltonian Monte "
              "Carlo, several leapfrog steps per accept test (one is mala). The Curves panel plots the acceptance. "
              "Not for comb_mask models.");
  if (p.step_rule == StepRule::Hmc) {
    int leapfrogs = p.leapfrog_steps;
    if (ImGui::DragInt("leapfrog steps", &leapfrogs, 0.1f, 1, 100)) p.leapfrog_steps = std::clamp(leapfrogs, 1, 100), changed = true;
  }

  section("chain (applies at restart)");
  int batch = static_cast<int>(p.batch);
  if (ImGui::DragInt("batch", &batch, 0.2f, 1, 1024)) p.batch = batch, changed = true;
  int seed = static_cast<int>(p.seed);
  if (ImGui::InputInt("seed", &seed)) p.seed = static_cast<std::uint64_t>(std::max(seed, 0)), changed = true;
  const char* inits[] = {"uniform", "gaussian", "grey_colour", "noise"};
  int init = p.init == InitMode::Uniform      ? 0
             : p.init == InitMode::Gaussian   ? 1
             : p.init == InitMode::GreyColour ? 2
             : p.init == InitMode::Noise      ? 3
                                              : -1;
  if (init >= 0 && ImGui::Combo("init", &init, inits, 4)) p.init = init_mode_from_string(inits[init]), changed = true;
  if (init < 0) ImGui::TextDisabled("init: from an image");
  changed |= device_controls(p);
  ImGui::PopItemWidth();
  if (changed) c.ctl.set_sampler(p);

  section("preview");
  SessionOptions o = c.ctl.session_options();
  bool ochanged = false;
  ImGui::PushItemWidth(-110.f * c.scale);
  int every = static_cast<int>(o.publish_every_steps);
  if (ImGui::DragInt("every k steps", &every, 0.2f, 0, 1000)) o.publish_every_steps = every, ochanged = true;
  if (ImGui::Checkbox("denoised preview", &o.preview_denoised)) ochanged = true;
  help_marker("On a denoising ladder, show each step's estimate of the clean image (Tweedie: x - sigma^2 dE/dx) "
              "instead of the noisy chain, so shapes show from the first steps. Exports keep the chain.");
  float ms = static_cast<float>(o.publish_every_ms);
  if (ImGui::DragFloat("or every T ms", &ms, 1.f, 0.f, 5000.f, "%.0f")) o.publish_every_ms = ms, ochanged = true;
  help_marker("A snapshot (images, energies) is published every k steps or after T ms, whichever comes first; "
              "0 turns one of them off. Fewer snapshots leave more time for sampling.");
  int hist_mb = static_cast<int>(o.history_bytes >> 20);
  if (ImGui::DragInt("history MiB", &hist_mb, 1.f, 0, 65536)) o.history_bytes = std::int64_t{hist_mb} << 20, ochanged = true;
  ImGui::PopItemWidth();
  if (ochanged) c.ctl.set_session_options(o);

  ImGui::Separator();
  if (snap) timeline(c, *snap);
  ImGui::End();
}

}  // namespace ebm::studio
