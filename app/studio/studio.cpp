// Studio: construction/shutdown order, the frame loop, shortcuts, drag-and-drop, screenshots.
// (Presets and export: studio_files.cpp.)
#include "app/studio/studio.h"

#include "app/studio/gl/readback.h"
#include "app/studio/script.h"
#include "app/studio/shortcuts.h"
#include "engine/energy/model_loader.h"
#include "engine/recipe/model_search.h"

#include <GLFW/glfw3.h>
#include <imgui.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstring>
#include <thread>

namespace ebm::studio {

namespace {
constexpr int kCpuSamplingFps = 10;  // the frame cap while a chain samples on the CPU
// The same when the GL itself runs on the CPU (Mesa's llvmpipe/softpipe, e.g. under Xvfb): its
// frames cost the sampler's cores, so fewer of them.
constexpr int kCpuSamplingFpsSoftwareGl = 5;

bool software_gl(const std::string& renderer) {
  for (const char* s : {"llvmpipe", "softpipe", "swrast", "Software Rasterizer"})
    if (renderer.find(s) != std::string::npos) return true;
  return false;
}
}  // namespace

namespace fs = std::filesystem;

namespace {

void drop_callback(GLFWwindow* w, int count, const char** paths) {
  auto* s = static_cast<Studio*>(glfwGetWindowUserPointer(w));
  if (s == nullptr) return;
  std::vector<std::string> v(paths, paths + count);
  s->open_dropped(v);
}

void content_scale_callback(GLFWwindow* w, float, float) {
  // Moving to a monitor of another scale: ImGui's fonts were baked for the old scale. Rebuilding the
  // atlas mid-frame is not allowed, so the user is told; sizes still follow the style.
  spdlog::warn("the display scale changed; restart ebm-studio for crisp text at the new scale");
}

}  // namespace

Studio::Studio(StudioOptions options)
    : opt_(std::move(options)), log_(std::make_shared<UiLog>()), started_(std::chrono::steady_clock::now()) {
  sink_ = std::make_unique<ScopedUiLogSink>(log_);
  try {
    paths_ = AppPaths::from_env();
    std::string err;
    have_config_dir_ = paths_.ensure(err);
    if (!have_config_dir_) log_->warn(err);
  } catch (const std::exception& e) {
    log_->warn(e.what());
  }
  if (have_config_dir_) {
    try {
      recent_.load(paths_.recent_file());
    } catch (const std::exception& e) {
      log_->warn(e.what());
    }
  }

  glfw_ = std::make_unique<GlfwLibrary>();
  WindowOptions wo;
  wo.width = opt_.width;
  wo.height = opt_.height;
  wo.vsync = opt_.vsync;
  wo.title = "ebm-studio";
  window_ = std::make_unique<Window>(wo);
  gl_renderer_ = window_->gl_renderer();
  spdlog::info("OpenGL: {}", gl_renderer_);
  const std::string ini = opt_.use_ini && have_config_dir_ ? paths_.imgui_ini().string() : std::string();
  imgui_ = std::make_unique<ImGuiLayer>(window_->handle(), window_->content_scale(), ini);
  gfx_ = std::make_unique<ViewResources>();
  controller_ = std::make_unique<Controller>(*log_, opt_.controller);

  glfwSetWindowUserPointer(window_->handle(), this);
  glfwSetDropCallback(window_->handle(), drop_callback);
  glfwSetWindowContentScaleCallback(window_->handle(), content_scale_callback);

  actions_.save_preset = [this](const std::string& p) { save_preset(p); };
  actions_.open_preset = [this](const std::string& p) { open_preset(p); };
  actions_.export_now = [this] { export_now(); };
  actions_.screenshot = [this](const std::string& p) {
    request_screenshot(p.empty() ? output_dir_ / ("ebm-studio-" + std::to_string(std::time(nullptr)) + ".png") : fs::path(p));
  };
  actions_.fit_view = [this] { fit_view(); };
  actions_.quit = [this] { quit(0); };
  actions_.read_sample = [this](int i) { read_sample(i); };
  actions_.read_again = [this] { start_read(); };
  actions_.use_reading = [this] { use_reading(); };
  actions_.edit_from_image = [this] { edit_from_read_image(); };

  output_dir_ = fs::current_path();
  if (!opt_.script.empty()) {
    Script s = load_script(opt_.script);  // throws with the action and field at fault
    output_dir_ = opt_.screenshot_dir.empty() ? s.base_dir : fs::path(opt_.screenshot_dir);
    std::error_code ec;
    fs::create_directories(output_dir_, ec);
    if (ec) throw std::runtime_error("cannot create the output directory " + output_dir_.string() + ": " + ec.message());
    script_ = std::make_unique<ScriptRunner>(std::move(s), *this);
  }
  ui_.exports.dir = output_dir_.string();

  std::vector<std::string> models = opt_.models.empty() ? std::vector<std::string>{} : expand_model_paths(opt_.models);
  controller_->open_startup_models(models);
  examples_ = example_recipes();
  if (!opt_.preset.empty()) open_preset(opt_.preset);
}

// Reverse of construction (members are unique_ptrs reset in order here to make it explicit): the
// script, then the controller (the worker thread stops and joins), the GL resources (the context is
// still current), ImGui (saves imgui.ini), the window, GLFW, and finally the log sink.
Studio::~Studio() {
  script_.reset();
  controller_.reset();
  gfx_.reset();
  imgui_.reset();
  if (window_) glfwSetWindowUserPointer(window_->handle(), nullptr);
  window_.reset();
  glfw_.reset();
  if (have_config_dir_) {
    try {
      recent_.save(paths_.recent_file());
    } catch (const std::exception& e) {
      spdlog::warn("cannot save the recent-files list: {}", e.what());
    }
  }
  sink_.reset();
}

void Studio::quit(int code) {
  exit_code_ = code;
  window_->request_close();
}

void Studio::request_screenshot(const fs::path& path) { screenshot_ = path; }

void Studio::fit_view() {
  ui_.views.auto_fit = true;
  ui_.views.refit = true;
}

void Studio::remember(const std::string& path) {
  std::error_code ec;
  const fs::path abs = fs::absolute(path, ec);
  recent_.add(ec ? path : abs.string());
}

void Studio::open_dropped(const std::vector<std::string>& paths) {
  // Called from glfwPollEvents (main thread, outside the ImGui frame): queue for the next frame.
  dropped_.insert(dropped_.end(), paths.begin(), paths.end());
}

int Studio::run() {
  while (!window_->should_close()) frame();
  if (script_) {
    nlohmann::json rep = script_->report();
    try {
      write_file_atomic(output_dir_ / "script_report.json", rep.dump(2) + "\n");
    } catch (const std::exception& e) {
      spdlog::error("cannot write the script report: {}", e.what());
    }
    if (script_->failed()) {
      spdlog::error("script failed: {}", script_->error());
      return 1;
    }
  }
  return exit_code_;
}

void Studio::frame() {
  using Clock = std::chrono::steady_clock;
  const auto t0 = Clock::now();
  glfwPollEvents();
  if (!dropped_.empty()) {
    auto files = std::move(dropped_);
    dropped_.clear();
    for (const auto& f : files) open_dropped_file(f);
  }
  const bool changed = controller_->poll();
  poll_reader();
  if (ui_.read.show && reader_.image().defined()) gfx_->update_read_image(reader_.image(), reader_.image_version());
  gfx_->update(*controller_, changed, ui_.masks.attention_term, ui_.masks.attention_k);
  const bool sampling = controller_->sampling();

  imgui_->new_frame();
  handle_shortcuts();
  draw_ui();
  if (script_) {
    script_->tick();
    if (opt_.max_seconds > 0 && !script_->finished() &&
        std::chrono::duration<double>(Clock::now() - started_).count() > opt_.max_seconds) {
      spdlog::error("the script ran longer than --max-seconds {}; stopping", opt_.max_seconds);
      quit(1);
    }
  }

  int fw = 0, fh = 0;
  window_->framebuffer_size(fw, fh);
  glViewport(0, 0, fw, fh);
  glClearColor(0.07f, 0.07f, 0.08f, 1.f);
  glClear(GL_COLOR_BUFFER_BIT);
  imgui_->render();
  if (screenshot_) take_screenshot();
  const double busy = std::chrono::duration<double>(Clock::now() - t0).count();
  glfwSwapBuffers(window_->handle());

  // Frame cap at the monitor's rate for drivers where vsync does not block (Xvfb, some compositors):
  // an uncapped loop would take a whole core from the sampler. While a chain samples on the CPU the
  // cap is 10 fps: its previews change a few times a second, and every frame the GUI does not draw is
  // CPU time for the sampler. Under Mesa's software GL (Xvfb) a frame costs ~31 ms of both cores: the
  // opening composition's draft step at batch 4 took 409 ms at 60 and 20 fps, 294 ms at 10 and 256 ms
  // at 5 (2 cores), so with a software GL the cap is 5.
  int fps = std::max(30, window_->refresh_rate());
  if (sampling && controller_->sampler().device == "cpu")
    fps = std::min(fps, software_gl(gl_renderer_) ? kCpuSamplingFpsSoftwareGl : kCpuSamplingFps);
  const double budget = 1.0 / fps;
  const double spent = std::chrono::duration<double>(Clock::now() - t0).count();
  if (spent < budget) std::this_thread::sleep_for(std::chrono::duration<double>(budget - spent));
  const double frame = std::chrono::duration<double>(Clock::now() - t0).count();
  frames_.add_frame(frame);
  if (sampling) sampling_frames_.add(frame, busy);
}

std::string Studio::preview_path() const { return gfx_ ? gfx_->upload_path() : std::string(); }

void Studio::take_screenshot() {
  const fs::path path = *screenshot_;
  screenshot_.reset();
  try {
    int fw = 0, fh = 0;
    window_->framebuffer_size(fw, fh);
    auto img = gl::read_framebuffer(0, fw, fh, /*fbo_top_row_first=*/false);
    gl::write_png(path, img);
    log_->info("screenshot saved: " + path.string());
  } catch (const std::exception& e) {
    log_->error(std::string("screenshot failed: ") + e.what());
  }
}

void Studio::handle_shortcuts() {
  const ImGuiIO& io = ImGui::GetIO();
  for (const auto& s : shortcut_table()) {
    if (!ImGui::IsKeyPressed(s.key, /*repeat=*/s.action == ShortcutAction::Step)) continue;
    auto a = match_shortcut(s.key, io.KeyCtrl, io.KeyShift, io.WantTextInput);
    if (!a || *a != s.action) continue;
    switch (*a) {
      case ShortcutAction::TogglePause: controller_->toggle_pause(); break;
      case ShortcutAction::Step: controller_->step(1); break;
      case ShortcutAction::Restart: controller_->restart(!ui_.seed_locked); break;
      case ShortcutAction::RestartNewSeed: controller_->restart(true); break;
      case ShortcutAction::FitView: fit_view(); break;
      case ShortcutAction::Export: export_now(); break;
      case ShortcutAction::SavePreset: ui_.save_preset_popup = true; break;
      case ShortcutAction::OpenPreset: ui_.open_preset_popup = true; break;
      case ShortcutAction::Help: ui_.show_help = !ui_.show_help; break;
      case ShortcutAction::Quit: quit(0); break;
    }
  }
}

void Studio::place_next(const char* name) {
  // First-use placement of the panels (imgui.ini overrides it afterwards): tree editor on the left,
  // grid and curves in the middle, run controls, masks and export on the right.
  const ImGuiViewport* vp = ImGui::GetMainViewport();
  const float x0 = vp->WorkPos.x, y0 = vp->WorkPos.y, W = vp->WorkSize.x, H = vp->WorkSize.y;
  const float lw = std::round(W * 0.25f), rw = std::round(W * 0.26f), cw = W - lw - rw;
  const float gh = std::round(H * 0.62f), ch = std::round(H * 0.66f);
  const float sh = std::round(H * 0.42f), mh = std::round(H * 0.40f);
  struct R { const char* n; float x, y, w, h; };
  const R rects[] = {{"Composition", x0, y0, lw, ch},
                     {"Models", x0, y0 + ch, lw, H - ch},
                     {"Views", x0 + lw, y0, cw, gh},
                     {"Curves", x0 + lw, y0 + gh, cw, H - gh},
                     {"Sampler", x0 + lw + cw, y0, rw, sh},
                     {"Masks", x0 + lw + cw, y0 + sh, rw, mh},
                     {"Export", x0 + lw + cw, y0 + sh + mh, rw, H - sh - mh},
                     {"Read", x0 + lw + cw, y0 + sh, rw, H - sh}};  // over Masks and Export when it opens
  for (const auto& r : rects) {
    if (std::strcmp(r.n, name) != 0) continue;
    ImGui::SetNextWindowPos(ImVec2(r.x, r.y), ImGuiCond_FirstUseEver);
    ImGui::SetNextWindowSize(ImVec2(r.w, r.h), ImGuiCond_FirstUseEver);
  }
}

void Studio::draw_ui() {
  PanelContext c{*controller_, ui_, *gfx_, frames_, actions_, imgui_->scale(), imgui_->mono_font(), &recent_.items(),
                 paths_.presets_dir().string(), gl_renderer_};
  c.examples = &examples_;
  c.reader = &reader_;
  draw_menu_bar(c);
  place_next("Composition");
  draw_composition_panel(c);
  place_next("Models");
  draw_models_panel(c);
  place_next("Views");
  draw_views_panel(c);
  place_next("Curves");
  draw_curves_panel(c);
  place_next("Sampler");
  draw_sampler_panel(c);
  place_next("Masks");
  draw_masks_panel(c);
  place_next("Export");
  draw_export_panel(c);
  place_next("Read");
  draw_read_panel(c);
  draw_perf_overlay(c);
  draw_help_window(c);
  draw_log_panel(c);
}

namespace {

// A grading classifier (`ebm train-classifier`) is not an energy model; a damaged file counts as a
// model here so that loading it reports what is wrong with it.
bool is_classifier_file(const std::string& path) {
  return fs::path(path).extension() == ".safetensors" && is_grading_classifier_file(path);
}

}  // namespace

std::vector<std::string> expand_model_paths(const std::vector<std::string>& paths) {
  std::vector<std::string> out;
  for (const auto& p : paths) {
    std::error_code ec;
    if (fs::is_directory(p, ec)) {
      std::vector<std::string> files;
      for (const auto& e : fs::directory_iterator(p, ec)) {
        const auto ext = e.path().extension().string();
        if (ext == ".safetensors" || ext == ".pt") {
          if (is_classifier_file(e.path().string())) continue;  // the shipped grader sits beside the models
          files.push_back(e.path().string());
        }
      }
      std::sort(files.begin(), files.end());
      out.insert(out.end(), files.begin(), files.end());
    } else {
      out.push_back(p);
    }
  }
  return out;
}

std::vector<std::string> shipped_model_files(const std::string& exe_path) {
  std::error_code ec;
  for (const auto& d : shipped_search_dirs(ShippedKind::Models, exe_path)) {
    if (!fs::is_directory(d, ec)) continue;
    auto files = expand_model_paths({d.string()});
    if (!files.empty()) return files;
  }
  return {};
}

}  // namespace ebm::studio
