// Exports of samples: a PNG grid (optional row/column labels), single samples, and a numbered
// sequence of grids over the steps of a run. Every PNG carries the recipe that made it (iTXt chunk
// "ebm-recipe"), so `ebm sample --recipe grid.png` or the studio can reproduce it. Writes are
// atomic (temp file + rename): a crash never leaves a half-written PNG.
#pragma once

#include "engine/image/png_codec.h"
#include "engine/recipe/recipe.h"

#include <torch/torch.h>

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace ebm {

struct GridOptions {
  int columns = 0;   // 0: ceil(sqrt(B))
  int padding = 2;   // pixels between and around tiles
  std::vector<std::string> row_labels;     // drawn left of each row (optional)
  std::vector<std::string> column_labels;  // drawn above each column (optional)
  int label_scale = 0;                     // font scale; 0: 1 for tiles < 96 px, else 2
};

// [B,C,H,W] float images (any device) -> an RGB grid. Throws std::invalid_argument on a bad shape
// or options (more labels than rows/columns, columns < 0).
PngImage make_grid(const torch::Tensor& images, const GridOptions& options = {});

void write_grid_png(const std::string& path, const torch::Tensor& images, const GridOptions& options,
                    const Recipe* recipe);
// One PNG per sample: "<stem>_<sample id>.png", each with a recipe for that sample alone
// (batch 1, its sample id). Returns the paths written.
std::vector<std::string> write_sample_pngs(const std::string& stem, const torch::Tensor& images,
                                           const std::vector<std::int64_t>& sample_ids, const Recipe* recipe);
// One grid per frame: "<stem>_<step, 6 digits>.png". Returns the paths written.
std::vector<std::string> write_sequence_pngs(const std::string& stem,
                                             const std::vector<std::pair<std::int64_t, torch::Tensor>>& frames,
                                             const GridOptions& options, const Recipe* recipe);

// The recipe stored in an exported PNG file. Throws RecipeError when there is none.
Recipe read_png_recipe(const std::string& path, std::vector<std::string>* warnings);

}  // namespace ebm
