#include "engine/recipe/recipe.h"

#include "engine/image/image_io.h"
#include "engine/image/png_codec.h"
#include "engine/recipe/base64.h"
#include "engine/recipe/version.h"
#include "models/checkpoint/atomic_file.h"

#include <nlohmann/json.hpp>

#include <filesystem>
#include <fstream>
#include <limits>

namespace ebm {

using nlohmann::json;

namespace {

constexpr double kBig = 1e30;  // numbers beyond this are surely typos

std::string encode_mask(const torch::Tensor& mask) {
  return png_data_uri(png_encode(png_from_tensor(mask.unsqueeze(0))));
}

torch::Tensor decode_png_field(JsonObject& o, const std::string& key, int max_side) {
  const std::string uri = o.str(key, "", true, kMaxEmbeddedPngBytes * 4 / 3 + 64);
  try {
    return tensor_from_png(png_decode(png_from_data_uri(uri), max_side));
  } catch (const std::exception& e) {
    o.fail(key, e.what());
  }
}

json schedule_to_json(const Schedule& s) {
  json a = json::array();
  for (const auto& l : s.levels) {
    json j = {{"steps", l.steps}, {"sigma", l.sigma}, {"step_lr", l.step_lr}, {"noise_std", l.noise_std}};
    if (l.heun_sigma > 0) j["heun_sigma"] = l.heun_sigma;  // only Heun levels carry it
    a.push_back(std::move(j));
  }
  return a;
}

json sampler_to_json(const SamplerParams& p) {
  json j = {{"steps", p.steps},
            {"step_lr", p.step_lr},
            {"noise_std", p.noise_std},
            {"clamp", p.clamp},
            {"clamp_range", {p.clamp_lo, p.clamp_hi}},
            {"proj", to_string(p.proj)},
            {"proj_norm", p.proj_norm},
            {"mode", to_string(p.mode)},
            {"step_rule", to_string(p.step_rule)},
            {"leapfrog_steps", p.leapfrog_steps},
            {"trailing_noise", p.trailing_noise},
            {"attention_lr", p.attention_lr},
            {"mask_noise", p.mask_noise},
            {"schedule", schedule_to_json(p.schedule)},
            {"init", to_string(p.init)},
            {"micro_batch", p.micro_batch},
            {"precision", to_string(p.precision)},
            {"cuda_graph", p.cuda_graph}};
  // An image start is one object, the image embedded: the recipe (and the PNG carrying it) stands alone.
  if (p.init == InitMode::Image && p.init_image.defined()) {
    j["init"] = {{"image", png_data_uri(png_encode(png_from_tensor(p.init_image)))}, {"sigma", p.init_sigma}};
    if (p.init_region.defined()) j["init"]["region"] = encode_mask(p.init_region[0]);
  }
  return j;
}

// An image field of the init object: a PNG data URI, or (in a recipe read from a file) a PNG/JPEG path
// relative to the recipe, decoded with `channels` channels (1: luminance) and at most kMaxMaskSide a side.
torch::Tensor init_png_or_file(JsonObject& io, const std::string& key, int channels, const RecipeFiles* files) {
  const std::string given_text = io.str(key, "", true, kMaxEmbeddedPngBytes * 4 / 3 + 64);
  if (given_text.rfind("data:", 0) == 0) {
    torch::Tensor t = decode_png_field(io, key, kMaxMaskSide);
    if (channels == 1 && t.size(0) != 1) t = t.slice(0, 0, 3).mean(0, /*keepdim=*/true);  // a colour region counts by luminance
    return t;
  }
  if (files == nullptr)
    io.fail(key, "'" + given_text + "' is a file path, but this recipe was not read from a file; embed the image as a PNG data URI");
  const std::filesystem::path given(given_text);
  const std::filesystem::path path = given.is_absolute() || files->dir.empty() ? given : std::filesystem::path(files->dir) / given;
  try {
    torch::Tensor img = load_image(path.string(), channels);
    if (img.size(2) > kMaxMaskSide || img.size(3) > kMaxMaskSide)
      io.fail(key, path.string() + " is " + std::to_string(img.size(3)) + "x" + std::to_string(img.size(2)) + "; an init " +
                       key + " may be at most " + std::to_string(kMaxMaskSide) + " pixels a side");
    return img.squeeze(0);
  } catch (const RecipeError&) {
    throw;
  } catch (const std::exception& e) {
    io.fail(key, e.what());
  }
}

// "init": a mode name, or {"image": PNG data URI or file path, "sigma": S, "region": mask} for an image start.
void init_from_json(JsonObject& o, SamplerParams* p, std::vector<std::string>* warnings, const RecipeFiles* files) {
  if (!o.has("init")) return;
  const json& v = o.raw("init");
  if (v.is_string()) {
    try {
      p->init = init_mode_from_string(v.get<std::string>());
    } catch (const std::invalid_argument& e) {
      o.fail("init", e.what());
    }
    return;
  }
  if (!v.is_object())
    o.fail("init", "expected a mode name (uniform, gaussian, grey_colour, noise) or {\"image\": ..., \"sigma\": ...}, got " +
                       json_type_name(v));
  JsonObject io(v, o.path("init"), warnings);
  p->init = InitMode::Image;
  p->init_sigma = io.num("sigma", 0.0, 0.0, kMaxInitSigma);
  p->init_image = init_png_or_file(io, "image", 3, files);
  // The edit's region (SamplerParams::init_region): white is redrawn, black held to the image.
  if (io.has("region")) p->init_region = init_png_or_file(io, "region", 1, files);
  io.finish();
}

void sampler_from_json(JsonObject& o, SamplerParams* p, std::vector<std::string>* warnings, const RecipeFiles* files) {
  p->steps = o.integer("steps", p->steps, 0, kMaxSteps);
  p->step_lr = o.num("step_lr", p->step_lr, -kBig, kBig);
  p->noise_std = o.num("noise_std", p->noise_std, 0, kBig);
  p->clamp = o.boolean("clamp", p->clamp);
  if (o.has("clamp_range")) {
    auto r = o.floats("clamp_range", 2, -kBig, kBig);
    if (r.size() != 2 || !(r[0] < r[1])) o.fail("clamp_range", "expected [lo, hi] with lo < hi");
    p->clamp_lo = r[0];
    p->clamp_hi = r[1];
  }
  try {
    p->proj = proj_norm_from_string(o.str("proj", to_string(p->proj)));
    p->mode = sample_mode_from_string(o.str("mode", to_string(p->mode)));
    p->step_rule = step_rule_from_string(o.str("step_rule", to_string(p->step_rule)));
    p->precision = precision_from_string(o.str("precision", to_string(p->precision)));
  } catch (const std::invalid_argument& e) {
    throw RecipeError(o.path("") + " " + e.what());
  }
  p->proj_norm = o.num("proj_norm", p->proj_norm, 0, kBig);
  p->trailing_noise = o.boolean("trailing_noise", p->trailing_noise);
  p->leapfrog_steps = static_cast<int>(o.integer("leapfrog_steps", p->leapfrog_steps, 1, 100));
  p->attention_lr = o.num("attention_lr", p->attention_lr, -kBig, kBig);
  p->mask_noise = o.num("mask_noise", p->mask_noise, 0, kBig);
  p->micro_batch = o.integer("micro_batch", p->micro_batch, 0, kMaxBatch);
  p->cuda_graph = o.boolean("cuda_graph", p->cuda_graph);
  const auto& levels = o.array("schedule", kMaxScheduleLevels);
  p->schedule.levels.clear();
  for (std::size_t i = 0; i < levels.size(); ++i) {
    JsonObject l(levels[i], o.path("schedule") + "[" + std::to_string(i) + "]", warnings);
    ScheduleLevel sl;
    sl.steps = l.integer("steps", 0, 1, kMaxSteps, true);
    sl.sigma = l.num("sigma", 0, 0, kBig, true);
    sl.step_lr = l.num("step_lr", 0, -kBig, kBig, true);
    sl.noise_std = l.num("noise_std", 0, 0, kBig, true);
    sl.heun_sigma = l.num("heun_sigma", 0, 0, kBig);
    l.finish();
    p->schedule.levels.push_back(sl);
  }
  init_from_json(o, p, warnings, files);
  // The form before the init object: "init": "image" with the image in "init_image".
  if (o.has("init_image")) {
    if (p->init_image.defined()) o.fail("init_image", "the image is given twice (in init.image and here); keep init.image");
    p->init_image = decode_png_field(o, "init_image", kMaxMaskSide);
  }
  if (p->init == InitMode::Image && !p->init_image.defined())
    o.fail("init", "init 'image' needs its image: {\"image\": PNG data URI or file, \"sigma\": S}");
  o.finish();
}

}  // namespace

json node_to_json(const Node& n) {
  json j = {{"op", to_string(n.kind)}};
  if (n.weight != 1.0) j["weight"] = n.weight;
  if (!n.enabled) j["enabled"] = false;
  switch (n.kind) {
    case NodeKind::Term:
      j["name"] = n.name;
      j["model"] = n.model;
      if (n.any_label) j["label"] = "any";
      else j["label"] = n.label;
      if (n.solo) j["solo"] = true;
      if (n.guidance) j["guidance"] = *n.guidance;
      if (n.guidance_interval) j["guidance_interval"] = guidance_interval_to_json(*n.guidance_interval);
      if (n.mask.defined()) j["mask"] = encode_mask(n.mask);
      return j;
    case NodeKind::Or: j["temperature"] = n.temperature; break;
    case NodeKind::Not: j["coefficient"] = n.coefficient; break;
    case NodeKind::And: break;
  }
  if (n.shared_prior) j["prior"] = "shared";
  j["children"] = json::array();
  for (const auto& c : n.children) j["children"].push_back(node_to_json(c));
  return j;
}

namespace {
Node node_from_json_rec(const json& j, const std::string& path, std::vector<std::string>* warnings, int depth,
                        int* count) {
  if (depth > kMaxCompositionDepth) throw RecipeError(path + ": composition nested deeper than " + std::to_string(kMaxCompositionDepth));
  if (++*count > kMaxCompositionNodes) throw RecipeError(path + ": more than " + std::to_string(kMaxCompositionNodes) + " nodes");
  JsonObject o(j, path, warnings);
  Node n;
  try {
    n.kind = node_kind_from_string(o.str("op", "", true, 16));
  } catch (const RecipeError&) {
    throw;
  } catch (const std::invalid_argument& e) {
    o.fail("op", e.what());
  }
  n.weight = o.num("weight", 1.0, -kBig, kBig);
  n.enabled = o.boolean("enabled", true);
  if (n.kind == NodeKind::Term) {
    n.name = o.str("name", "", true, 256);
    n.model = o.str("model", "", true, 256);
    if (o.has("label") && o.raw("label").is_string()) {
      const std::string any = o.str("label", "", true, 16);
      if (any != "any") o.fail("label", "must be a list of numbers or \"any\" (a label per sample), got \"" + any + "\"");
      n.any_label = true;
    } else {
      n.label = o.floats("label", kMaxLabelSize, -kBig, kBig);
    }
    n.solo = o.boolean("solo", false);
    if (o.has("guidance")) n.guidance = o.num("guidance", 1.0, 0.0, kMaxGuidance);
    if (o.has("guidance_interval")) {
      try {
        n.guidance_interval = guidance_interval_from_json(o.raw("guidance_interval"));
      } catch (const std::invalid_argument& e) {
        o.fail("guidance_interval", e.what());
      }
    }
    if (o.has("mask")) {
      auto m = decode_png_field(o, "mask", kMaxMaskSide);
      n.mask = m.size(0) == 1 ? m[0] : m.slice(0, 0, 3).mean(0);  // a colour mask counts by luminance
    }
  } else {
    if (n.kind == NodeKind::Or) n.temperature = o.num("temperature", 100.0, 1e-12, kBig);
    if (n.kind == NodeKind::Not) n.coefficient = o.num("coefficient", 0.001, -kBig, kBig);
    if (n.kind == NodeKind::And || n.kind == NodeKind::Not) {
      // "each" (every term's full energy, the original's sum; the default) or "shared" (one prior:
      // composition.h).
      const std::string prior = o.str("prior", "each", false, 16);
      if (prior != "each" && prior != "shared") o.fail("prior", "must be \"each\" or \"shared\", got \"" + prior + "\"");
      n.shared_prior = prior == "shared";
    }
    const auto& children = o.array("children", kMaxCompositionNodes);
    for (std::size_t i = 0; i < children.size(); ++i)
      n.children.push_back(
          node_from_json_rec(children[i], path + ".children[" + std::to_string(i) + "]", warnings, depth + 1, count));
  }
  o.finish();
  return n;
}
}  // namespace

Node node_from_json(const json& j, const std::string& path, std::vector<std::string>* warnings) {
  int count = 0;
  Node n = node_from_json_rec(j, path, warnings, 0, &count);
  try {
    validate_structure(n);
  } catch (const std::invalid_argument& e) {
    throw RecipeError(std::string("recipe.") + e.what());
  }
  return n;
}

json recipe_to_json(const Recipe& r) {
  json models = json::array();
  for (const auto& m : r.models) models.push_back({{"name", m.name}, {"path", m.path}, {"sha256", m.sha256}});
  const auto& p = r.sampler;
  json j = {{"format", kRecipeFormat},
            {"version", r.version},
            {"app_version", r.app_version.empty() ? std::string(version()) : r.app_version},
            {"models", models},
            {"composition", node_to_json(r.composition)},
            {"sampler", sampler_to_json(p)},
            {"seed", p.seed},
            {"batch", p.batch},
            {"sample_offset", p.sample_offset},
            {"device", p.device}};
  if (!p.sample_ids.empty()) j["sample_ids"] = p.sample_ids;
  return j;
}

std::string recipe_to_string(const Recipe& r) { return recipe_to_json(r).dump(2) + "\n"; }

Recipe recipe_from_json(const json& j, std::vector<std::string>* warnings, const RecipeFiles* files) {
  JsonObject o(j, "recipe", warnings);
  const std::string format = o.str("format", "", true, 64);
  if (format != kRecipeFormat) o.fail("format", "expected \"" + std::string(kRecipeFormat) + "\", got \"" + format + "\"");
  Recipe r;
  r.version = static_cast<int>(o.integer("version", 0, 1, 1000000, true));
  if (r.version > kRecipeVersion)
    o.fail("version", "recipe version " + std::to_string(r.version) + " is newer than this ebm understands (" +
                          std::to_string(kRecipeVersion) + "); update ebm");
  r.app_version = o.str("app_version", "", false, 64);
  const auto& models = o.array("models", kMaxRecipeModels);
  for (std::size_t i = 0; i < models.size(); ++i) {
    JsonObject m(models[i], "recipe.models[" + std::to_string(i) + "]", warnings);
    ModelRef ref;
    ref.name = m.str("name", "", true, 256);
    ref.path = m.str("path", "", true, 4096);
    ref.sha256 = m.str("sha256", "", false, 64);
    if (ref.name.empty()) m.fail("name", "must not be empty");
    if (ref.path.empty()) m.fail("path", "must not be empty");
    if (!ref.sha256.empty() && (ref.sha256.size() != 64 || ref.sha256.find_first_not_of("0123456789abcdef") != std::string::npos))
      m.fail("sha256", "expected 64 lowercase hex digits");
    if (ref.sha256.empty() && warnings)
      warnings->push_back("recipe.models[" + std::to_string(i) + "].sha256: missing; the model file will not be checked");
    for (const auto& other : r.models)
      if (other.name == ref.name) m.fail("name", "model name '" + ref.name + "' is used twice");
    m.finish();
    r.models.push_back(std::move(ref));
  }
  r.composition = node_from_json(o.raw("composition"), "recipe.composition", warnings);
  for (const std::string& name : referenced_models(r.composition)) {
    bool found = false;
    for (const auto& m : r.models) found = found || m.name == name;
    if (!found) throw RecipeError("recipe.composition: uses model '" + name + "', which recipe.models does not list");
  }
  if (o.has("sampler")) {
    JsonObject s(o.raw("sampler"), "recipe.sampler", warnings);
    sampler_from_json(s, &r.sampler, warnings, files);
  }
  r.sampler.seed = o.uinteger("seed", 0);
  r.sampler.batch = o.integer("batch", r.sampler.batch, 1, kMaxBatch);
  r.sampler.sample_offset = o.integer("sample_offset", 0, 0, std::int64_t{1} << 40);
  r.sampler.sample_ids = o.ints("sample_ids", static_cast<std::size_t>(kMaxBatch), 0, std::int64_t{1} << 40);
  r.sampler.device = o.str("device", "cpu", false, 32);
  o.finish();
  try {
    r.sampler.validate();
  } catch (const std::invalid_argument& e) {
    throw RecipeError(std::string("recipe.") + e.what());
  }
  return r;
}

Recipe recipe_from_string(std::string_view text, std::vector<std::string>* warnings, const RecipeFiles* files) {
  if (text.size() > kMaxRecipeBytes)
    throw RecipeError("recipe is larger than " + std::to_string(kMaxRecipeBytes >> 20) + " MiB");
  json j;
  try {
    j = json::parse(text.begin(), text.end());
  } catch (const json::exception& e) {
    // parse_error for bad syntax, and out_of_range (406) for a number beyond a double's range such
    // as 1E400: both are the file's fault (found by fuzz/harness_recipe_json: the second escaped).
    throw RecipeError(std::string("recipe is not valid JSON: ") + e.what());
  }
  return recipe_from_json(j, warnings, files);
}

Recipe load_recipe(const std::string& path, std::vector<std::string>* warnings) {
  std::error_code ec;
  const auto size = std::filesystem::file_size(path, ec);
  if (ec) throw RecipeError("cannot read recipe '" + path + "': " + ec.message());
  if (size > kMaxRecipeBytes)
    throw RecipeError("recipe '" + path + "' is larger than " + std::to_string(kMaxRecipeBytes >> 20) + " MiB");
  const std::string bytes = read_file(path);
  const RecipeFiles files{std::filesystem::path(path).parent_path().string()};
  try {
    if (bytes.size() >= 8 && bytes.compare(0, 8, "\x89PNG\r\n\x1a\n") == 0) {
      const std::string text = png_text_value(png_decode_text(bytes), kRecipePngKey);
      if (text.empty()) throw RecipeError("PNG has no ebm-recipe chunk (it was not exported by ebm, or was re-saved)");
      return recipe_from_string(text, warnings, &files);
    }
    return recipe_from_string(bytes, warnings, &files);
  } catch (const RecipeError& e) {
    throw RecipeError(path + ": " + e.what());
  } catch (const PngError& e) {
    throw RecipeError(path + ": " + e.what());
  }
}

void save_recipe(const std::string& path, const Recipe& r) { write_file_atomic(path, recipe_to_string(r)); }

}  // namespace ebm
