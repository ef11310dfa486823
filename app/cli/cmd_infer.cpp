// `ebm infer`: reads images into concepts — for each concept model, the label that minimises its
// energy on the image, with the energy margin to the runner-up as a confidence
// (engine/infer/concept_reading.h; docs/engine.md "Reading images into concepts").
#include "app/cli/cli_errors.h"
#include "app/cli/commands.h"
#include "engine/gpu/device_check.h"
#include "engine/energy/model_loader.h"
#include "engine/image/image_io.h"
#include "engine/infer/concept_reading.h"
#include "engine/sampling/sampler_params.h"
#include "models/cubes_classifier.h"
#include "models/checkpoint/model_file.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <iostream>

namespace ebm::cli {

namespace {

namespace fs = std::filesystem;

struct InferArgs {
  std::vector<std::string> models;
  std::vector<std::string> images;
  std::string device = "cpu";
  bool json = false;
  ReadOptions read;
};

struct NamedModel {
  std::string name, path;
  LoadedEnergyModel loaded;
};

bool is_classifier_file(const std::string& path) {
  try {
    return inspect_checkpoint(path).metadata.count(kClassifierConfigKey) > 0;
  } catch (const std::exception&) {
    return false;  // loading it says what is wrong with it
  }
}

// Files given by name must load; a directory contributes its *.safetensors concept models (the
// grading classifier and files without a label are skipped, and said so).
std::vector<NamedModel> load_models(const std::vector<std::string>& specs) {
  std::vector<NamedModel> out;
  auto add = [&](const fs::path& p) {
    NamedModel m{p.stem().string(), p.string(), load_energy_model(p.string())};
    if (m.loaded.model->info().label_size < 1)
      throw UsageError(p.string() + " has no label: there is no concept to read with it");
    out.push_back(std::move(m));
  };
  for (const auto& spec : specs) {
    std::error_code ec;
    if (fs::is_directory(spec, ec)) {
      std::vector<fs::path> files;
      for (const auto& e : fs::directory_iterator(spec, ec))
        if (e.path().extension() == ".safetensors") files.push_back(e.path());
      std::sort(files.begin(), files.end());
      size_t before = out.size();
      for (const auto& f : files) {
        if (is_classifier_file(f.string())) continue;  // the grader of `ebm eval`, not an energy
        add(f);
      }
      if (out.size() == before)
        throw UsageError("no concept models in " + spec + " (expected *.safetensors energy models with a label)");
    } else if (fs::is_regular_file(spec, ec)) {
      if (is_classifier_file(spec))
        throw UsageError(spec + " is the grading classifier of `ebm eval`, not a concept model");
      add(spec);
    } else {
      throw UsageError("--models: " + spec + " is neither a model file nor a directory");
    }
  }
  return out;
}

void run_infer(const InferArgs& a) {
  try {
    a.read.validate();
  } catch (const std::invalid_argument& e) {
    throw UsageError(e.what());
  }
  if (a.images.empty()) throw UsageError("give one or more PNG images to read");
  const auto device = parse_device(a.device);
  require_available(device, "--device");
  // Every image is read before any model is: a typo in the last file fails at once.
  std::vector<torch::Tensor> imgs;
  for (const auto& p : a.images) imgs.push_back(load_png(p, 3));
  auto models = load_models(a.models);

  nlohmann::json j = nlohmann::json::array();
  for (size_t i = 0; i < a.images.size(); ++i) j.push_back({{"image", a.images[i]}, {"readings", nlohmann::json::array()}});
  for (auto& m : models) {
    m.loaded.model->to_device(device);
    const ModelInfo info = m.loaded.model->info();
    std::vector<torch::Tensor> fitted;
    for (size_t i = 0; i < imgs.size(); ++i) {
      try {
        fitted.push_back(fit_images(imgs[i], info));
      } catch (const std::invalid_argument& e) {
        throw UsageError(a.images[i] + ": " + e.what());
      }
    }
    std::vector<ConceptReading> readings;
    try {
      readings = read_concept(*m.loaded.model, torch::cat(fitted).to(device), a.read);
    } catch (const std::invalid_argument& e) {
      throw UsageError(m.path + ": " + e.what());
    }
    for (size_t i = 0; i < readings.size(); ++i) {
      nlohmann::json rj = readings[i];
      rj["model"] = m.name;
      rj["path"] = m.path;
      rj["concept"] = info.schema.concept_name;
      rj["reading"] = readings[i].describe(info.schema);
      j[i]["readings"].push_back(rj);
    }
  }
  if (a.json) {
    std::cout << j.dump(2) << "\n";
    return;
  }
  for (const auto& img : j) {
    std::cout << img["image"].get<std::string>() << "\n";
    for (const auto& r : img["readings"]) {
      std::printf("  %-12s %-10s %-22s margin %.4g\n", r["model"].get<std::string>().c_str(),
                  r["concept"].get<std::string>().c_str(), r["reading"].get<std::string>().c_str(),
                  r["margin"].is_number() ? r["margin"].get<double>() : std::nan(""));
    }
  }
  std::fflush(stdout);
}

void register_infer(CLI::App& app) {
  auto a = std::make_shared<InferArgs>();
  auto* sub = app.add_subcommand("infer", "Read images into concepts: the label each concept model finds most likely");
  sub->add_option("--models", a->models,
                  "concept model files or directories of them, comma-separated or repeated (e.g. assets/models)")
      ->required()
      ->expected(1)
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll)
      ->allow_extra_args(false)  // the images that follow are positional, not more models
      ->delimiter(',');
  sub->add_option("images", a->images, "PNG images (the models' size, or larger: resized with an area filter)")
      ->required();
  sub->add_option("--device", a->device, "cpu, cuda or cuda:N")->capture_default_str();
  sub->add_flag("--json", a->json, "print a JSON array (one entry per image) instead of the table");
  sub->add_option_function<std::string>(
         "--criterion", [a](const std::string& s) { a->read.criterion = read_criterion_from_string(s); },
         "what is minimised: auto (denoise for denoising models, else energy), energy (E(x|label)) or denoise "
         "(the noise-prediction error)")
      ->check(CLI::IsMember({"auto", "energy", "denoise"}));
  sub->add_option_function<std::string>(
      "--sigmas",
      [a](const std::string& s) {
        const auto c = s.find(',');
        if (c == std::string::npos) throw CLI::ValidationError("--sigmas", "write LO,HI (e.g. 0.05,0.5)");
        a->read.sigma_min = std::stod(s.substr(0, c));
        a->read.sigma_max = std::stod(s.substr(c + 1));
      },
      "LO,HI: the noise levels at which denoising models are read (default 0.05,0.5)");
  sub->add_option("--levels", a->read.levels, "noise levels between LO and HI (geometric)")->capture_default_str();
  sub->add_option("--noise-draws", a->read.noise_draws, "noise draws per level")->capture_default_str();
  sub->add_option("--grid", a->read.grid, "continuous labels: grid points per slot (0 = 17 for one slot, 9 for two)")
      ->capture_default_str();
  sub->add_option("--starts", a->read.starts, "continuous labels: best grid points refined by gradient descent")
      ->capture_default_str();
  sub->add_option("--steps", a->read.steps, "continuous labels: descent steps per start")->capture_default_str();
  sub->add_option("--seed", a->read.seed, "seed of the noise draws")->capture_default_str();
  sub->add_option("--chunk", a->read.chunk,
                  "rows (image x candidate label) per forward pass: memory against speed, the readings do not "
                  "depend on it (a GPU reads faster with more)")
      ->check(CLI::Range(int64_t{1}, int64_t{1} << 20))
      ->capture_default_str();
  // std::invalid_argument from reading a model or image is an input the command could not use (exit 1);
  // its own usage problems are UsageErrors (exit 2).
  auto quick = std::make_shared<bool>(false);
  sub->add_flag("--quick", *quick,
                "the studio's CPU read: 2 starts of 15 descent steps and 1 noise draw per level, against 4, 40 and "
                "4 (--starts/--steps/--noise-draws still override)");
  sub->callback([a, quick, sub] {
    if (*quick) {
      const ReadOptions q = quick_read_options();
      if (sub->count("--starts") == 0) a->read.starts = q.starts;
      if (sub->count("--steps") == 0) a->read.steps = q.steps;
      if (sub->count("--noise-draws") == 0) a->read.noise_draws = q.noise_draws;
    }
    run_command("infer", [&] { run_infer(*a); }, ArgumentErrors::Input);
  });
}

}  // namespace

EBM_CLI_COMMAND(430, register_infer);

}  // namespace ebm::cli
