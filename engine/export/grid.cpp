#include "engine/export/grid.h"

#include "engine/export/font5x7.h"
#include "models/checkpoint/atomic_file.h"

#include <cmath>
#include <cstdio>
#include <stdexcept>

namespace ebm {

namespace {

constexpr std::uint8_t kBackground = 255;  // white around tiles
constexpr std::uint8_t kInk = 0;           // black labels

void draw_text(PngImage* img, int x0, int y0, const std::string& text, int scale) {
  int x = x0;
  for (char c : text) {
    const std::uint8_t* g = glyph5x7(c);
    for (int r = 0; r < kGlyphH; ++r)
      for (int col = 0; col < kGlyphW; ++col) {
        if (!(g[r] & (0x10 >> col))) continue;
        for (int dy = 0; dy < scale; ++dy)
          for (int dx = 0; dx < scale; ++dx) {
            const int px = x + col * scale + dx, py = y0 + r * scale + dy;
            if (px < 0 || py < 0 || px >= img->width || py >= img->height) continue;
            auto* p = &img->pixels[(static_cast<std::size_t>(py) * img->width + px) * 3];
            p[0] = p[1] = p[2] = kInk;
          }
      }
    x += (kGlyphW + 1) * scale;
  }
}

std::string with_suffix(const std::string& stem, const std::string& suffix) {
  std::string s = stem;
  if (s.size() > 4 && s.compare(s.size() - 4, 4, ".png") == 0) s.resize(s.size() - 4);
  return s + suffix + ".png";
}

void write_png(const std::string& path, PngImage img, const Recipe* recipe) {
  if (recipe) img.text.emplace_back(kRecipePngKey, recipe_to_string(*recipe));
  img.text.emplace_back("Software", "ebm-studio");
  write_file_atomic(path, png_encode(img));
}

}  // namespace

PngImage make_grid(const torch::Tensor& images, const GridOptions& o) {
  if (!images.defined() || images.dim() != 4 || images.size(0) < 1)
    throw std::invalid_argument("grid: expected images [B,C,H,W] with B >= 1");
  const int b = static_cast<int>(images.size(0)), c = static_cast<int>(images.size(1));
  const int h = static_cast<int>(images.size(2)), w = static_cast<int>(images.size(3));
  if (c != 1 && c != 3 && c != 4) throw std::invalid_argument("grid: images need 1, 3 or 4 channels");
  if (o.columns < 0 || o.padding < 0 || o.padding > 256 || o.label_scale < 0 || o.label_scale > 16)
    throw std::invalid_argument("grid: columns must be >= 0, padding in 0..256, label scale in 0..16");
  const int cols = o.columns > 0 ? std::min(o.columns, b) : static_cast<int>(std::ceil(std::sqrt(static_cast<double>(b))));
  const int rows = (b + cols - 1) / cols;
  if (static_cast<int>(o.row_labels.size()) > rows)
    throw std::invalid_argument("grid: " + std::to_string(o.row_labels.size()) + " row labels for " + std::to_string(rows) + " rows");
  if (static_cast<int>(o.column_labels.size()) > cols)
    throw std::invalid_argument("grid: " + std::to_string(o.column_labels.size()) + " column labels for " +
                                std::to_string(cols) + " columns");
  const int scale = o.label_scale > 0 ? o.label_scale : (std::max(h, w) < 96 ? 1 : 2);
  int left = 0, top = 0;
  for (const auto& l : o.row_labels) left = std::max(left, text_width(l, scale) + 2 * scale);
  if (!o.column_labels.empty()) top = kGlyphH * scale + 2 * scale;
  const int pad = o.padding;
  PngImage img;
  img.channels = 3;
  img.width = left + pad + cols * (w + pad);
  img.height = top + pad + rows * (h + pad);
  if (img.width > kMaxPngSide || img.height > kMaxPngSide)
    throw std::invalid_argument("grid: " + std::to_string(img.width) + "×" + std::to_string(img.height) +
                                " is too large for one PNG; use more columns or export single samples");
  img.pixels.assign(static_cast<std::size_t>(img.width) * img.height * 3, kBackground);

  auto rgb = images.detach().to(torch::kCPU, torch::kFloat);
  rgb = c >= 3 ? rgb.slice(1, 0, 3) : rgb.expand({b, 3, h, w});
  auto u8 = torch::nan_to_num(rgb, 0.0, 1.0, 0.0).clamp(0.0, 1.0).mul(255.0).round().to(torch::kUInt8)
                .permute({0, 2, 3, 1}).contiguous();
  const std::uint8_t* src = u8.data_ptr<std::uint8_t>();
  for (int i = 0; i < b; ++i) {
    const int x0 = left + pad + (i % cols) * (w + pad), y0 = top + pad + (i / cols) * (h + pad);
    for (int y = 0; y < h; ++y)
      std::copy_n(src + (static_cast<std::size_t>(i) * h + y) * w * 3, static_cast<std::size_t>(w) * 3,
                  &img.pixels[(static_cast<std::size_t>(y0 + y) * img.width + x0) * 3]);
  }
  for (int r = 0; r < static_cast<int>(o.row_labels.size()); ++r)
    draw_text(&img, scale, top + pad + r * (h + pad) + (h - kGlyphH * scale) / 2, o.row_labels[r], scale);
  for (int col = 0; col < static_cast<int>(o.column_labels.size()); ++col) {
    const int tw = text_width(o.column_labels[col], scale);
    draw_text(&img, left + pad + col * (w + pad) + std::max(0, (w - tw) / 2), scale, o.column_labels[col], scale);
  }
  return img;
}

void write_grid_png(const std::string& path, const torch::Tensor& images, const GridOptions& options,
                    const Recipe* recipe) {
  write_png(path, make_grid(images, options), recipe);
}

std::vector<std::string> write_sample_pngs(const std::string& stem, const torch::Tensor& images,
                                           const std::vector<std::int64_t>& sample_ids, const Recipe* recipe) {
  if (!images.defined() || images.dim() != 4) throw std::invalid_argument("export: expected images [B,C,H,W]");
  if (static_cast<std::int64_t>(sample_ids.size()) != images.size(0))
    throw std::invalid_argument("export: one sample id per image needed");
  std::vector<std::string> out;
  for (std::int64_t i = 0; i < images.size(0); ++i) {
    const std::string path = with_suffix(stem, "_" + std::to_string(sample_ids[i]));
    std::optional<Recipe> one;
    if (recipe) {
      one = *recipe;
      one->sampler.batch = 1;
      one->sampler.sample_ids = {sample_ids[i]};
    }
    write_png(path, png_from_tensor(images[i].slice(0, 0, std::min<std::int64_t>(images.size(1), 4))),
              one ? &*one : nullptr);
    out.push_back(path);
  }
  return out;
}

std::vector<std::string> write_sequence_pngs(const std::string& stem,
                                             const std::vector<std::pair<std::int64_t, torch::Tensor>>& frames,
                                             const GridOptions& options, const Recipe* recipe) {
  std::vector<std::string> out;
  for (const auto& [step, images] : frames) {
    char num[32];
    std::snprintf(num, sizeof(num), "_%06lld", static_cast<long long>(step));
    const std::string path = with_suffix(stem, num);
    std::optional<Recipe> at;
    if (recipe) {
      at = *recipe;
      if (!at->sampler.schedule.annealed()) at->sampler.steps = step;
    }
    write_grid_png(path, images, options, at ? &*at : nullptr);
    out.push_back(path);
  }
  return out;
}

Recipe read_png_recipe(const std::string& path, std::vector<std::string>* warnings) {
  return load_recipe(path, warnings);
}

}  // namespace ebm
