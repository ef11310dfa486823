// Studio: presets (recipe JSON, or the recipe inside an exported PNG) and exports. Writing goes
// through the engine (cmd::Export), so every file carries the recipe of exactly what was sampled.
#include "app/studio/studio.h"

#include "engine/sampling/batch_split.h"
#include "engine/gpu/device_check.h"
#include "engine/recipe/recipe.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <stdexcept>

namespace ebm::studio {

namespace fs = std::filesystem;

namespace {

// Masks travel in a recipe as [H,W] tensors inside the tree; the draft keeps them as paintable images.
void take_masks(Node& n, std::map<std::string, MaskImage>& out) {
  if (n.kind == NodeKind::Term && n.mask.defined()) {
    auto m = n.mask.detach().to(torch::kCPU, torch::kFloat).contiguous();
    if (m.dim() == 2) {
      MaskImage img(static_cast<int>(m.size(1)), static_cast<int>(m.size(0)), 0.f);
      std::copy(m.data_ptr<float>(), m.data_ptr<float>() + m.numel(), img.values.begin());
      out[n.name] = std::move(img);
    }
    n.mask = torch::Tensor();
  }
  for (auto& c : n.children) take_masks(c, out);
}

}  // namespace

void Studio::open_preset(const std::string& path) {
  std::vector<std::string> warnings;
  Recipe r;
  try {
    r = load_recipe(path, &warnings);
  } catch (const std::exception& e) {
    log_->error("cannot open " + path + ": " + e.what());
    return;
  }
  for (const auto& w : warnings) log_->warn(path + ": " + w);
  Controller& ctl = *controller_;
  for (const auto& ref : r.models) {
    const ModelEntry* have = ctl.model(ref.name);
    if (have != nullptr && have->state != ModelEntry::State::Failed) continue;  // already loaded or loading
    if (ref.path.rfind("memory:", 0) == 0) {
      log_->warn("the recipe uses the in-memory model '" + ref.name + "', which is not loaded here; load a model named '" +
                 ref.name + "' to sample it");
      continue;
    }
    std::string file;
    try {
      file = resolve_model_path(path, ref.path);
    } catch (const ModelNotFoundError& e) {
      log_->error("model '" + ref.name + "': " + e.what());
      continue;
    }
    if (have != nullptr) ctl.unload_model(ref.name);
    ctl.open_model(file, ref.name);
  }
  std::map<std::string, MaskImage> masks;
  take_masks(r.composition, masks);
  ctl.set_composition(std::move(r.composition), std::move(masks));
  // A recipe made on a GPU machine opens anywhere: without that GPU the chain runs here on the CPU.
  try {
    require_available(parse_device(r.sampler.device), "the recipe's device");
  } catch (const std::invalid_argument& e) {
    log_->warn(std::string(e.what()) + "; sampling it on the cpu instead");
    r.sampler.device = "cpu";
  }
  // How many GPUs the chains are split over is this studio's choice (--gpus, the Sampler panel), not
  // the recipe's: it does not change the images.
  // Kept as far as this machine's GPUs from the recipe's device on, and the recipe's batch, allow.
  int devices = std::max(1, std::min(ctl.sampler().devices, gpus_from(parse_device(r.sampler.device))));
  while (devices > 1 && batch_share(r.sampler.batch, devices, devices - 1).count < 1) --devices;  // every GPU some chains
  r.sampler.devices = devices;
  ctl.set_sampler(r.sampler);
  ctl.start_when_loaded();
  remember(path);
  log_->info("opened recipe " + path);
}

std::vector<std::string> example_recipes() {
  std::vector<std::string> out;
  const fs::path dir = find_shipped_dir(ShippedKind::Recipes);
  if (dir.empty()) return out;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(dir, ec))
    if (e.path().extension() == ".json" && e.is_regular_file(ec)) out.push_back(e.path().string());
  std::sort(out.begin(), out.end());
  return out;
}

void Studio::open_example(const std::string& name) {
  std::string names;
  for (const auto& p : examples_) {
    if (fs::path(p).stem() == name) return open_preset(p);
    names += (names.empty() ? "" : ", ") + fs::path(p).stem().string();
  }
  if (examples_.empty())
    throw std::invalid_argument("no example recipes were found (looked in $EBM_STUDIO_RECIPES, <prefix>/share/ebm-studio/recipes "
                                "and the source tree's assets/recipes); reinstall ebm-studio or set EBM_STUDIO_RECIPES");
  throw std::invalid_argument("there is no example named '" + name + "'; the examples are: " + names);
}

void Studio::save_preset(const std::string& path) {
  ExportRequest req;
  req.kind = ExportRequest::Kind::Recipe;
  req.path = path;
  controller_->export_files(req);
  remember(path);
}

void Studio::export_now() {
  const ExportSettings& e = ui_.exports;
  fs::path dir = e.dir.empty() ? output_dir_ : fs::path(e.dir);
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) {
    log_->error("cannot create the export directory " + dir.string() + ": " + ec.message());
    return;
  }
  ExportRequest req;
  const std::string stem = (dir / (e.name.empty() ? std::string("export") : e.name)).string();
  switch (e.kind) {
    case 1: req.kind = ExportRequest::Kind::Samples; req.path = stem; break;
    case 2: req.kind = ExportRequest::Kind::Sequence; req.path = stem; break;
    default: req.kind = ExportRequest::Kind::Grid; req.path = stem + ".png"; break;
  }
  if (e.labels && req.kind != ExportRequest::Kind::Samples) {
    // Row labels name the first sample id of each row; columns count within the row.
    const auto& s = controller_->snapshot();
    if (s && s->images.defined()) {
      const auto b = static_cast<int>(s->images.size(0));
      const auto layout = GridLayout::make(b, 1, 1);
      for (int r = 0; r < layout.rows; ++r) {
        const int i = r * layout.cols;
        req.grid.row_labels.push_back(std::to_string(i < static_cast<int>(s->sample_ids.size()) ? s->sample_ids[static_cast<size_t>(i)] : i));
      }
      req.grid.columns = layout.cols;
      for (int col = 0; col < layout.cols; ++col) req.grid.column_labels.push_back("+" + std::to_string(col));
    }
  }
  controller_->export_files(req);
}

}  // namespace ebm::studio
