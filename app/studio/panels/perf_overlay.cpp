// Perf overlay: fps and frame time of the GUI, ms per Langevin step and images/s of the worker, the
// preview cost (snapshot → texture upload) and its path, host and GPU memory.
#include "app/studio/panels/panels.h"

namespace ebm::studio {

void draw_perf_overlay(PanelContext& c) {
  if (!c.ui.show_perf) return;
  const ImGuiViewport* vp = ImGui::GetMainViewport();
  const float pad = 10.f * c.scale;
  // On the grid's top-right corner (the Views panel records where the grid is), else the window's.
  const float* a = c.ui.views.area;
  const ImVec2 corner = a[2] > 0 ? ImVec2(a[0] + a[2] - pad, a[1] + pad) : ImVec2(vp->WorkPos.x + vp->WorkSize.x - pad, vp->WorkPos.y + pad);
  ImGui::SetNextWindowPos(corner, ImGuiCond_Always, ImVec2(1.f, 0.f));
  ImGui::SetNextWindowBgAlpha(0.78f);
  const ImGuiWindowFlags flags = ImGuiWindowFlags_NoDecoration | ImGuiWindowFlags_AlwaysAutoResize | ImGuiWindowFlags_NoSavedSettings |
                                 ImGuiWindowFlags_NoFocusOnAppearing | ImGuiWindowFlags_NoNav | ImGuiWindowFlags_NoMove;
  if (!ImGui::Begin("##perf", &c.ui.show_perf, flags)) {
    ImGui::End();
    return;
  }
  if (c.mono) ImGui::PushFont(c.mono);
  char buf[32];
  ImGui::Text("%6.1f fps  %5.1f ms (max %.0f)", c.frames.fps(), c.frames.mean_ms(), c.frames.max_ms());
  const auto& s = c.ctl.snapshot();
  if (s) {
    const long long batch = s->images.defined() ? static_cast<long long>(s->images.size(0)) : 0;
    const double ips = s->ms_per_step > 0 ? 1000.0 * static_cast<double>(batch) / s->ms_per_step : 0.0;
    ImGui::Text("%6.2f ms/step  %7.0f img-steps/s  %s", s->ms_per_step, ips, s->step_path.c_str());
    // Where the running chain is (its images' device, not a pending edit) and the step's arithmetic
    // (TF32/bf16 apply on a GPU only).
    if (s->images.defined()) {
      const bool gpu = s->images.is_cuda();
      // Split over several GPUs: the first one (where the images are gathered) and how many more.
      // (A CPU chain split in shares — scripts and tests do that — takes them in turn on the CPU.)
      std::string where = s->images.device().str();
      if (s->devices > 1)
        where += gpu ? " + " + std::to_string(s->devices - 1) + (s->devices > 2 ? " more GPUs" : " more GPU")
                     : ", " + std::to_string(s->devices) + " shares in turn";
      ImGui::TextDisabled("chain on %s%s%s", where.c_str(), gpu ? ", " : "",
                          gpu ? to_string(s->params.precision).c_str() : "");
    }
  }
  ImGui::Text("preview %5.2f ms  %s", c.gfx.last_upload_ms(), c.gfx.upload_path().c_str());
  const size_t rss = host_resident_bytes();
  ImGui::Text("host  %s", format_bytes(rss, buf, sizeof buf));
  if (s && s->memory.device_bytes >= 0)
    ImGui::Text("GPU   %s", format_bytes(static_cast<size_t>(s->memory.device_bytes), buf, sizeof buf));
  else
    ImGui::TextDisabled("GPU   n/a (CPU run)");
  if (s) ImGui::TextDisabled("history %s", format_bytes(static_cast<size_t>(std::max<std::int64_t>(0, s->memory.history_bytes)), buf, sizeof buf));
  if (c.mono) ImGui::PopFont();
  ImGui::End();
}

}  // namespace ebm::studio
