// Studio: reading images into concepts (issue #29) — a dropped picture or a sample of the grid read
// by the composition's models on the reader's task, its labels put into the composition, and the
// chains restarted from the picture (the Read panel, the script's read actions, drag-and-drop).
#include "app/studio/studio.h"

#include "engine/image/image_io.h"
#include "engine/image/png_codec.h"
#include "engine/recipe/recipe.h"
#include "models/checkpoint/atomic_file.h"

#include <filesystem>
#include <set>
#include <sstream>

namespace ebm::studio {

namespace fs = std::filesystem;

namespace {

bool is_image_extension(const std::string& ext) {
  return ext == ".png" || ext == ".jpg" || ext == ".jpeg" || ext == ".PNG" || ext == ".JPG" || ext == ".JPEG";
}

// An exported PNG opens as the recipe it carries; any other picture is an image to read.
bool png_carries_recipe(const std::string& path) {
  try {
    return !png_text_value(png_decode_text(read_file(path)), kRecipePngKey).empty();
  } catch (const std::exception&) {
    return false;  // reading it as an image says what is wrong with it
  }
}

}  // namespace

void Studio::open_dropped_file(const std::string& f) {
  const std::string ext = fs::path(f).extension().string();
  if (ext == ".json" || ((ext == ".png" || ext == ".PNG") && png_carries_recipe(f))) {
    open_preset(f);
  } else if (is_image_extension(ext)) {
    read_image_file(f);
  } else {
    controller_->open_model(f);
    remember(f);
  }
}

void Studio::read_image_file(const std::string& path) {
  torch::Tensor img;
  try {
    img = load_image(path, 3);
  } catch (const std::exception& e) {
    log_->error("cannot read the image " + path + ": " + e.what());
    return;
  }
  reader_.set_image(img, fs::path(path).filename().string());
  ui_.read.show = true;
  try {
    start_read();
  } catch (const std::exception& e) {
    log_->warn(std::string("the image is in the Read panel, not read yet: ") + e.what());
  }
}

void Studio::read_sample(int index) {
  const auto& s = controller_->snapshot();
  if (!s || !s->images.defined() || index < 0 || index >= s->images.size(0))
    throw std::out_of_range("there is no sample " + std::to_string(index) + " in the grid to read");
  const auto id = index < static_cast<int>(s->sample_ids.size()) ? s->sample_ids[static_cast<size_t>(index)] : index;
  // What the grid shows: a ladder's states are clamped for display, and so for reading.
  reader_.set_image(s->images[index].clamp(0, 1), "sample " + std::to_string(id) + " at step " + std::to_string(s->step));
  ui_.read.show = true;
  start_read();
}

void Studio::start_read() {
  Controller& ctl = *controller_;
  // The composition's models, in the order of its terms; with no term, every loaded concept model.
  std::vector<ReadModel> models;
  std::set<std::string> seen;
  auto add = [&](const ModelEntry& m) {
    if (m.state != ModelEntry::State::Ready || m.info.label_size < 1 || !seen.insert(m.name).second) return;
    models.push_back({m.name, m.path, m.schema, m.sha256});
  };
  for (const auto& p : ctl.term_paths())
    if (const ModelEntry* m = ctl.model(ctl.node(p)->model)) add(*m);
  if (models.empty())
    for (const auto& m : ctl.models()) add(m);
  const std::string device = ctl.sampler().device;
  // On a CPU the quick read (seconds per model) unless asked for the thorough one (issue #29 figures).
  const ReadOptions options = device == "cpu" && !ui_.read.thorough ? quick_read_options() : ReadOptions{};
  reader_.start(std::move(models), device, options);
  log_->info("reading " + reader_.source() + " with " + std::to_string(reader_.models_total()) + " model(s) on " + device);
}

void Studio::poll_reader() {
  if (!reader_.poll()) return;
  std::ostringstream os;
  os << "read " << reader_.source() << " in " << static_cast<int>(reader_.seconds() + 0.5) << " s:";
  bool any = false;
  for (const auto& r : reader_.readings()) {
    if (!r.error.empty()) {
      log_->error((r.model.empty() ? std::string("reading failed") : "model " + r.model + " could not read it") + ": " + r.error);
      continue;
    }
    os << " " << r.model << " " << r.text << ";";
    any = true;
  }
  if (any) log_->info(os.str());
}

std::vector<std::string> Studio::use_reading() {
  if (reader_.state() != ConceptReader::State::Done)
    throw std::invalid_argument("there is no finished reading to use yet (drop a picture or read a sample first)");
  std::vector<std::pair<std::string, std::vector<float>>> by_model;
  for (const auto& r : reader_.readings())
    if (r.error.empty()) by_model.emplace_back(r.model, r.reading.label);
  const auto filled = controller_->fill_labels(by_model);
  std::string names;
  for (const auto& n : filled) names += (names.empty() ? "" : ", ") + n;
  log_->info(filled.empty() ? std::string("no term takes the labels read (terms under Not keep theirs)")
                            : "labels read from " + reader_.source() + " set on " + names);
  return filled;
}

void Studio::edit_from_read_image() {
  if (!reader_.image().defined()) throw std::invalid_argument("there is no image to edit from: drop a picture or read a sample first");
  const torch::Tensor& img = reader_.image();  // [1,C,H,W] or [C,H,W]
  const torch::Tensor region =
      ui_.read.use_box ? region_of_box(ui_.read.box, img.size(img.dim() - 2), img.size(img.dim() - 1)) : torch::Tensor();
  controller_->edit_from_image(img, ui_.read.sigma, region);
}

}  // namespace ebm::studio
