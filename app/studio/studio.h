// Studio: the desktop app. Owns, in construction order, the UI log (and its spdlog sink), the GLFW
// library, the window with its GL context, Dear ImGui, the view resources (GL), the controller (and
// through it the engine session) and the script runner; destruction runs in reverse, so the worker
// thread stops before the GL context goes, and ImGui shuts down before the window.
//
// The frame loop is the canonical Dear ImGui one (poll events → new frame → widgets → render → swap),
// plus: pick up the latest snapshot and upload it before the widgets, run one script tick after
// them, take a requested screenshot after rendering and before the swap. Nothing in the loop waits
// for the engine; the loop is capped at the monitor's refresh rate where vsync does not block.
#pragma once

#include "app/studio/app_paths.h"
#include "app/studio/concept_reader.h"
#include "app/studio/controller.h"
#include "app/studio/imgui_layer.h"
#include "app/studio/panels/panels.h"
#include "app/studio/perf_stats.h"
#include "app/studio/ui_log.h"
#include "app/studio/ui_state.h"
#include "app/studio/view_resources.h"
#include "app/studio/window.h"

#include <chrono>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace ebm::studio {

class ScriptRunner;

struct StudioOptions {
  std::vector<std::string> models;   // files or directories to load at start-up (empty: the shipped ones)
  std::string script;                // --script FILE.json: run its actions, then quit
  std::string screenshot_dir;        // where the script's screenshots/exports/report go ("" = next to the script)
  std::string preset;                // a recipe to open at start-up
  int width = 1600, height = 1000;
  bool vsync = true;
  bool use_ini = true;               // imgui.ini under the XDG config dir (off for scripted runs)
  double max_seconds = 0;            // >0: a scripted run that takes longer fails (CI safety net)
  ControllerOptions controller;
};

// Where the shipped models are looked for, in order: $EBM_STUDIO_MODELS, <exe>/../share/ebm-studio/models,
// the source tree's assets/models (shipped_search_dirs, engine/recipe/model_search.h; `exe_path` empty:
// this process's binary). Returns the files of the first that holds any (.safetensors/.pt, sorted), or none.
std::vector<std::string> shipped_model_files(const std::string& exe_path);
// The example recipes shipped with the studio (File > Open example): the .json files, sorted, of the
// first recipes directory found ($EBM_STUDIO_RECIPES, <exe>/../share/ebm-studio/recipes, the source
// tree's assets/recipes); none when there is none.
std::vector<std::string> example_recipes();

// Expands directories into their model files; keeps files as given (a missing file then fails to
// load and is shown in the Models panel).
std::vector<std::string> expand_model_paths(const std::vector<std::string>& paths);

class Studio {
 public:
  explicit Studio(StudioOptions options);  // throws std::runtime_error when no window can be made
  ~Studio();
  Studio(const Studio&) = delete;
  Studio& operator=(const Studio&) = delete;

  int run();  // the frame loop; returns the process exit code

  // ---- used by the script runner and the panels' StudioActions
  Controller& controller() { return *controller_; }
  UiState& ui() { return ui_; }
  std::uint64_t frame_count() const { return frames_.frame_count(); }
  const SamplingFrames& sampling_frames() const { return sampling_frames_; }
  std::string preview_path() const;  // the perf overlay's preview line: host upload or CUDA-GL interop
  void request_screenshot(const std::filesystem::path& path);  // taken at the end of this frame
  bool screenshot_pending() const { return screenshot_.has_value(); }
  void quit(int code);
  void save_preset(const std::string& path);
  void open_preset(const std::string& path);
  // Opens the shipped example whose file is NAME.json (File > Open example; the script's
  // open_example). Throws std::invalid_argument naming the examples there are when there is no such one.
  void open_example(const std::string& name);
  void export_now();
  void fit_view();
  void open_dropped(const std::vector<std::string>& paths);

  // ---- reading images into concepts (studio_reading.cpp; the Read panel)
  const ConceptReader& reader() const { return reader_; }
  // Shows the image (PNG or JPEG) in the Read panel and reads it with the composition's models.
  // Errors (no such file, not an image) go to the log; nothing else changes.
  void read_image_file(const std::string& path);
  // The same for sample `index` of the grid as it is now; throws std::out_of_range for no such sample.
  void read_sample(int index);
  // Reads the panel's image again with the models of the composition as it is now (or, with no term,
  // every loaded concept model); throws std::invalid_argument for no image or no model.
  void start_read();
  // Sets the labels read on the composition's terms (Controller::fill_labels); returns the terms set.
  std::vector<std::string> use_reading();
  // Restarts the chains from the panel's image at the panel's σ (Controller::edit_from_image).
  void edit_from_read_image();
  bool drop_pending() const { return !dropped_.empty(); }  // dropped files not opened yet
  const std::filesystem::path& output_dir() const { return output_dir_; }

 private:
  void frame();
  void handle_shortcuts();
  void draw_ui();
  void place_next(const char* panel);  // first-use position and size of a panel
  void take_screenshot();
  void remember(const std::string& path);
  void open_dropped_file(const std::string& path);  // a recipe, a picture to read, or a model file
  void poll_reader();

  StudioOptions opt_;
  std::shared_ptr<UiLog> log_;
  std::unique_ptr<ScopedUiLogSink> sink_;
  AppPaths paths_;
  bool have_config_dir_ = false;
  RecentFiles recent_;
  std::unique_ptr<GlfwLibrary> glfw_;
  std::unique_ptr<Window> window_;
  std::unique_ptr<ImGuiLayer> imgui_;
  std::unique_ptr<ViewResources> gfx_;
  std::unique_ptr<Controller> controller_;
  std::unique_ptr<ScriptRunner> script_;
  ConceptReader reader_;  // after the controller: its task holds no reference into it

  UiState ui_;
  StudioActions actions_;
  FrameStats frames_;
  SamplingFrames sampling_frames_;
  std::optional<std::filesystem::path> screenshot_;
  std::vector<std::string> dropped_;
  std::vector<std::string> examples_;  // example_recipes() at start-up
  std::filesystem::path output_dir_;
  int exit_code_ = 0;
  std::string gl_renderer_;
  std::chrono::steady_clock::time_point started_;
};

}  // namespace ebm::studio
