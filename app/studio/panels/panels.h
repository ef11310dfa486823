// The studio's panels: one function per panel (one file each), all drawing from the same context.
// Panels only read state and call Controller/Studio actions; they own no engine or GL lifetime.
#pragma once

#include "app/studio/concept_reader.h"
#include "app/studio/controller.h"
#include "app/studio/perf_stats.h"
#include "app/studio/ui_state.h"
#include "app/studio/view_resources.h"

#include <imgui.h>

#include <functional>
#include <string>

namespace ebm::studio {

// Studio-level actions a panel may request (things beyond the engine document: files, screenshots).
struct StudioActions {
  std::function<void(const std::string&)> save_preset;
  std::function<void(const std::string&)> open_preset;
  std::function<void()> export_now;     // with the Export panel's settings
  std::function<void(const std::string&)> screenshot;
  std::function<void()> fit_view;
  std::function<void()> quit;
  // The Read panel's (studio_reading.cpp); each may throw std::invalid_argument saying what is missing.
  std::function<void(int)> read_sample;   // read sample i of the grid
  std::function<void()> read_again;       // the panel's image, with the composition's models as they are now
  std::function<void()> use_reading;      // the labels read, into the composition
  std::function<void()> edit_from_image;  // chains restarted from the panel's image at its σ
};

struct PanelContext {
  Controller& ctl;
  UiState& ui;
  ViewResources& gfx;
  const FrameStats& frames;
  StudioActions& actions;
  float scale = 1.f;        // HiDPI factor: multiply pixel sizes by it
  ImFont* mono = nullptr;
  const std::vector<std::string>* recent = nullptr;  // recent presets and models, newest first
  std::string presets_dir;  // where Save preset suggests writing (XDG config)
  std::string gl_renderer;
  const std::vector<std::string>* examples = nullptr;  // the shipped example recipes (File > Open example)
  const ConceptReader* reader = nullptr;                // the Read panel's image and readings
};

void draw_models_panel(PanelContext& c);
void draw_composition_panel(PanelContext& c);
void draw_masks_panel(PanelContext& c);
void draw_sampler_panel(PanelContext& c);
void draw_views_panel(PanelContext& c);
void draw_curves_panel(PanelContext& c);
void draw_export_panel(PanelContext& c);
void draw_read_panel(PanelContext& c);     // an image read into concepts, and the edit from it
void draw_perf_overlay(PanelContext& c);
void draw_log_panel(PanelContext& c);      // the Log window and the toasts
void draw_help_window(PanelContext& c);    // F1
void draw_menu_bar(PanelContext& c);

// Helpers shared by panels.
void help_marker(const char* text);  // a "(?)" with a tooltip
void section(const char* title);     // a titled separator (ImGui 1.86 has no SeparatorText)
ImU32 term_colour(int term_index);   // the colour of term i in curves, overlays and the tree
// Runs `fn`, sending any exception to the UI log as an error prefixed with `what` (panels call
// controller actions that validate input; a bad value must surface in the UI, not crash).
void guarded(Controller& ctl, const char* what, const std::function<void()>& fn);

}  // namespace ebm::studio
