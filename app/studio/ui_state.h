// The studio's UI-only state (what is selected, tool settings, which windows are open): everything a
// panel remembers between frames that is not part of the recipe. Plain data, owned by Studio.
#pragma once

#include "app/studio/grid_layout.h"
#include "app/studio/edit_box.h"
#include "app/studio/mask_brush.h"

#include <array>
#include <cstdint>
#include <set>
#include <string>
#include <vector>

namespace ebm::studio {

struct ViewSettings {
  bool linear = false;       // texture filter: nearest shows pixels exactly, linear smooths when zoomed
  bool show_masks = true;    // spatial masks as coloured overlays on the grid
  bool auto_fit = true;      // refit when the grid's size changes (until the user zooms or pans)
  bool refit = true;         // refit on the next frame (Fit button, F)
  ViewTransform view;
  int hovered = -1;
  bool show_grad = true;     // per-term gradient magnitude of the selected sample
  bool grad_log = true;      // gradient magnitudes span decades: log colour scale by default
  bool grad_shared = true;   // one colour range for every term's map (comparable); off: each its own
  int palette = 1;           // 0 viridis, 1 inferno
  float area[4] = {0, 0, 0, 0};  // screen rect (x, y, w, h) of the grid this frame (the perf overlay sits on it)
  std::vector<std::array<float, 4>> grad_tiles;  // screen rects of the gradient maps drawn this frame (script report)
};

struct MaskTool {
  std::string term;          // the term whose mask is edited ("" = none)
  Brush brush;
  bool show_attention = true;  // learned attention masks of comb_mask models (per step, colormapped)
  std::string attention_term;  // the comb_mask term whose attention masks are shown
  int attention_k = 0;         // which of the K attention masks to show
  std::vector<float> stroke;   // points of the stroke being painted (mask pixels)
  ViewTransform canvas_view;
};

struct CurveSettings {
  bool log_scale = false;
  bool band = true;           // batch min–max band around the mean
  bool selected_only = false; // plot the selected sample instead of the batch
  bool grad_norm = false;     // plot the gradient norm instead of energies
  bool acceptance = false;    // plot a MALA run's acceptance instead of energies
  std::set<std::string> hidden;  // series switched off in the legend
};

struct ExportSettings {
  std::string dir;            // default: the current directory
  std::string name = "grid";
  int kind = 0;               // 0 grid, 1 every sample as its own PNG, 2 step sequence (kept steps)
  bool labels = true;         // row/column labels on grids
  int sequence_every = 5;     // steps between frames of a step sequence
  int sweep_term = -1;        // grid sweep: the term whose label is swept (-1: none)
  int sweep_slot = 0;
  float sweep_lo = -1.f, sweep_hi = 1.f;
  int sweep_columns = 5;
  int sweep_seeds = 3;        // rows of a sweep grid
};

// The Read panel (issue #29): an image read into concepts, and the edit started from it.
struct ReadSettings {
  // Edit from this image: the noise level the image is started at, by whether a box holds the rest.
  // The whole image: 0.8 rather than 0.4 — on 64 colour edits (2-core CPU, draft walk, docs/recipe.md
  // "Which σ") it took the new colour more often (73 against 63 % with the pull) and kept every target
  // more often (38 against 27 %). Inside a box: 1, the models' top σ — the box redrawn from noise at
  // the composition's labels while the rest is held took the new colour in all 64 of the same edits (the
  // quick walk, no pull) with position error 0.029 and size 0.021 (docs/recipe.md "An edit box").
  static constexpr float kWholeImageSigma = 0.8f;
  static constexpr float kBoxSigma = 1.0f;

  bool show = false;
  float sigma = kWholeImageSigma;
  bool thorough = false;  // the full read (ReadOptions defaults) on a CPU too; off: the quick one there
  // Edit only inside a box dragged on the image (the rest held to it); off: the whole image.
  bool use_box = false;
  EditBox box;

  // Turns the box on or off; a change moves sigma to that mode's start value (the user may move it after).
  void set_use_box(bool on) {
    if (on != use_box) sigma = on ? kBoxSigma : kWholeImageSigma;
    use_box = on;
  }
};

struct UiState {
  bool show_help = false;
  bool show_log = false;
  bool show_perf = true;
  bool show_demo = false;
  std::string model_path_field;
  std::string preset_path_field;
  bool open_preset_popup = false;
  bool save_preset_popup = false;
  int selected_term = -1;  // highlighted in the Composition panel
  bool seed_locked = true; // restart keeps the seed; unlocked: every restart draws a new one
  int step_n = 10;         // the "Step N" button
  ViewSettings views;
  MaskTool masks;
  CurveSettings curves;
  ExportSettings exports;
  ReadSettings read;
  std::uint64_t last_toast_id = 0;
};

}  // namespace ebm::studio
