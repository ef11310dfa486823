// `ebm render`: a grid of procedural cubes scenes (the training data of `ebm train`), optionally
// arranged so one concept sweeps across the grid, e.g. `--concept position` puts x along columns and
// y along rows. Deterministic per --seed; written atomically as a PNG.
#include "app/cli/cli_errors.h"
#include "app/cli/commands.h"
#include "app/cli/output_check.h"
#include "engine/data/cubes_renderer.h"
#include "engine/data/image_grid.h"
#include "engine/gpu/device_check.h"
#include "engine/image/image_io.h"
#include "models/checkpoint/atomic_file.h"

#include <ATen/CPUGeneratorImpl.h>
#include <nlohmann/json.hpp>
#include <torch/torch.h>

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <iostream>

namespace ebm::cli {

namespace {

struct RenderArgs {
  int64_t n = 64;
  uint64_t seed = 0;
  std::string out;
  std::string concept_name;
  int objects = 1;
  int64_t cols = 0;
  std::string device = "cpu";
  std::string labels_out;
  std::string folder;  // one PNG per scene + labels.csv (the layout `ebm train --data` reads)
  bool regions = false;  // with folder: regions/scene_NNNNN.png, each object's edit region
};

// Overwrites the swept concept so it varies along the grid (columns, and rows for position).
void arrange(data::CubesScenes& s, data::CubesConcept c, int64_t cols) {
  const int64_t n = s.batch();
  const int64_t rows = (n + cols - 1) / cols;
  auto idx = torch::arange(n, torch::kLong);
  auto col = (idx % cols).to(torch::kFloat), row = (idx / cols).to(torch::kFloat);
  auto span = [](const torch::Tensor& i, int64_t count, float lo, float hi) {
    return count > 1 ? lo + (hi - lo) * i / static_cast<float>(count - 1) : torch::full_like(i, 0.5f * (lo + hi));
  };
  switch (c) {
    case data::CubesConcept::Position:
      s.first.pos = torch::stack({span(col, cols, -1, 1), span(row, rows, 1, -1)}, 1).clamp(-1, 1);  // top row = far
      break;
    case data::CubesConcept::Size:
      s.first.size = span(col, cols, data::kMinSize, data::kMaxSize).clamp(data::kMinSize, data::kMaxSize);
      break;
    case data::CubesConcept::Shape: s.first.shape = idx % cols % data::kNumShapes; break;
    case data::CubesConcept::Color: s.first.color = idx % cols % data::kNumColors; break;
  }
}

nlohmann::json scene_json(const data::CubesObjects& o, int64_t i) {
  return {{"x", o.pos[i][0].item<double>()},   {"y", o.pos[i][1].item<double>()},
          {"size", o.size[i].item<double>()},  {"shape", o.shape[i].item<int64_t>()},
          {"color", o.color[i].item<int64_t>()}};
}

// DIR/scene_00000.png … and DIR/labels.csv (file, x, y, size, shape, color — shape and colour as
// class indices, the first object's when a scene has two). Each file is written atomically, the
// CSV last, so a folder with a labels.csv is complete.
void write_folder(const std::string& dir, const torch::Tensor& img, const data::CubesObjects& o) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) throw std::runtime_error("--folder: cannot create " + dir + ": " + ec.message());
  std::string csv = "file,x,y,size,shape,color\n";
  for (int64_t i = 0; i < img.size(0); ++i) {
    char name[32];
    std::snprintf(name, sizeof name, "scene_%05lld.png", static_cast<long long>(i));
    save_png((std::filesystem::path(dir) / name).string(), img[i]);
    char row[160];
    std::snprintf(row, sizeof row, "%s,%.6f,%.6f,%.6f,%lld,%lld\n", name, o.pos[i][0].item<double>(),
                  o.pos[i][1].item<double>(), o.size[i].item<double>(),
                  static_cast<long long>(o.shape[i].item<int64_t>()), static_cast<long long>(o.color[i].item<int64_t>()));
    csv += row;
  }
  write_file_atomic((std::filesystem::path(dir) / "labels.csv").string(), csv);
}

// Where each scene differs from the empty floor (its object and the object's shadow), grown by
// kRegionGrowPx pixels: [B,1,S,S] in {0, 1} — the region an edit of the object redraws
// (SamplerParams::init_region; scripts/models/edit_accuracy.py --region), as a user would paint it.
constexpr double kRegionThreshold = 0.04;  // per channel, in [0, 1]: above the floor's antialiasing noise
constexpr int64_t kRegionGrowPx = 3;
torch::Tensor object_regions(const torch::Tensor& img) {
  const torch::Tensor floor = data::CubesRenderer().render_floor(img.size(0), img.device());
  torch::Tensor differs = (img - floor).abs().amax(1, /*keepdim=*/true).gt(kRegionThreshold).to(torch::kFloat);
  const int64_t k = 2 * kRegionGrowPx + 1;
  return torch::max_pool2d(differs, {k, k}, {1, 1}, {kRegionGrowPx, kRegionGrowPx});
}

// DIR/regions/scene_00000.png …: object_regions() as grey PNGs (white = the object's region).
void write_regions(const std::string& dir, const torch::Tensor& img) {
  const std::filesystem::path sub = std::filesystem::path(dir) / "regions";
  std::error_code ec;
  std::filesystem::create_directories(sub, ec);
  if (ec) throw std::runtime_error("--regions: cannot create " + sub.string() + ": " + ec.message());
  const torch::Tensor regions = object_regions(img);
  for (int64_t i = 0; i < img.size(0); ++i) {
    char name[32];
    std::snprintf(name, sizeof name, "scene_%05lld.png", static_cast<long long>(i));
    save_png((sub / name).string(), regions[i]);
  }
}

void run_render(const RenderArgs& a) {
  if (a.n < 1 || a.n > 4096) throw std::invalid_argument("--n must be in [1, 4096]");
  if (a.objects != 1 && a.objects != 2) throw std::invalid_argument("--objects must be 1 or 2");
  torch::Device dev(torch::kCPU);
  if (a.device == "cuda") {
    dev = torch::Device(torch::kCUDA, 0);
    require_available(dev, "--device");
  } else if (a.device != "cpu") {
    throw std::invalid_argument("--device must be cpu or cuda");
  }
  data::SceneSampling so;
  so.num_objects = a.objects;
  auto scenes = data::sample_scenes(a.n, at::detail::createCPUGenerator(a.seed), so);
  int64_t cols = a.cols;
  if (!a.concept_name.empty()) {
    const auto c = data::cubes_concept_from_string(a.concept_name);
    if (cols == 0 && c == data::CubesConcept::Color && a.n >= data::kNumColors) cols = data::kNumColors;
    if (cols == 0) cols = static_cast<int64_t>(std::ceil(std::sqrt(static_cast<double>(a.n))));
    arrange(scenes, c, cols);
  }
  if (a.out.empty() && a.folder.empty()) throw std::invalid_argument("give --out GRID.png, --folder DIR or both");
  if (a.regions && a.folder.empty()) throw std::invalid_argument("--regions writes into the --folder: give --folder DIR too");
  if (!a.out.empty()) check_output_file(a.out, "--out");
  if (!a.folder.empty()) check_output_dir(a.folder, "--folder");
  torch::NoGradGuard no_grad;
  auto img = data::CubesRenderer().render(scenes.to(dev)).cpu();
  if (!a.out.empty()) save_png(a.out, data::tile_images(img, cols));
  if (!a.folder.empty()) {
    if (a.regions) write_regions(a.folder, img);  // before labels.csv, the folder's last file
    write_folder(a.folder, img, scenes.first);
  }
  if (!a.labels_out.empty()) {
    nlohmann::json j = nlohmann::json::array();
    for (int64_t i = 0; i < a.n; ++i) {
      nlohmann::json e = scene_json(scenes.first, i);
      if (scenes.second) e["second"] = scene_json(*scenes.second, i);
      j.push_back(e);
    }
    write_file_atomic(a.labels_out, j.dump(1) + "\n");
  }
  std::cout << "wrote " << (a.out.empty() ? a.folder + "/" : a.out) << " (" << a.n << " scenes, seed " << a.seed
            << ")\n";
}

void register_render(CLI::App& app) {
  auto args = std::make_shared<RenderArgs>();
  auto* sub = app.add_subcommand("render", "Render a grid of procedural cubes scenes (the training data)");
  sub->add_option("--n", args->n, "number of scenes")->capture_default_str();
  sub->add_option("--seed", args->seed, "scene seed (same seed, same scenes)")->capture_default_str();
  sub->add_option("--out", args->out, "output PNG grid");
  sub->add_option("--folder", args->folder, "also (or instead) write one PNG per scene and labels.csv into this directory");
  sub->add_option("--concept", args->concept_name, "sweep one concept across the grid: position, size, shape, color");
  sub->add_option("--objects", args->objects, "objects per scene (1 or 2)")->capture_default_str();
  sub->add_option("--cols", args->cols, "images per grid row (0 = square)")->capture_default_str();
  sub->add_option("--device", args->device, "cpu or cuda")->capture_default_str();
  sub->add_option("--labels-out", args->labels_out, "also write each scene's parameters as JSON");
  sub->add_flag("--regions", args->regions,
                "with --folder: also regions/scene_NNNNN.png, each scene's object and shadow grown by 3 px (white): "
                "the region an edit redraws (ebm sample --init-region)");
  sub->callback([args] {
    run_command("render", [&] {
      run_render(*args);
    });
  });
}

}  // namespace

EBM_CLI_COMMAND(300, register_render);

}  // namespace ebm::cli
