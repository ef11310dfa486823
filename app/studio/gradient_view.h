// Layout and colour scales of the Views panel's per-term gradient maps (the selected sample's
// |∂(w_t·E_t)/∂x| per term, engine/sampling/gradient_maps.h): pure arithmetic, tested without GL.
#pragma once

#include <string>
#include <vector>

namespace ebm::studio {

// Square tiles in a column block beside the sample grid: `cols` columns of `tile`-pixel maps, each
// followed by its caption, `side_w` pixels wide in all.
struct GradTileLayout {
  int cols = 1;
  float tile = 0.f;
  float side_w = 0.f;
};

// Picks the column count that gives `n` tiles (each with `caption_h` of text under it, `gap` between
// tiles) the largest size within `max_frac` of the panel width and the panel height, between
// `min_tile` (the block then scrolls) and `max_tile` (the grid keeps the rest). n <= 0: side_w 0.
GradTileLayout grad_tile_layout(int n, float avail_w, float avail_h, float caption_h, float gap, float min_tile,
                                float max_tile, float max_frac = 0.4f);

// The colour range [lo, hi] of one term's map.
struct GradScale {
  float lo = 0.f, hi = 1.f;
};

// One range per term from the maps' maxima: `shared` (the default) gives every term the largest
// maximum, so a term's colour says how hard it pulls compared with the others; otherwise each term is
// scaled to its own maximum (shows where a weak term pulls). A log scale spans `decades` below the
// top; an all-zero or non-finite map gets a tiny positive range (it draws as the lowest colour).
std::vector<GradScale> grad_scales(const std::vector<float>& maxima, bool shared, bool log_scale,
                                   float decades = 3.f);

// "name · model" and "|g| value" lines under a map.
std::string grad_caption(const std::string& term, const std::string& model, double norm);

}  // namespace ebm::studio
