// `ebm score`: the energy E(x | label) of each given image under a model file. One line per image
// (or one JSON document), in argument order. Works on any checkpoint load_model reads; a raw file
// needs the model flags (app/cli/model_flags.h).
#include "app/cli/cli_errors.h"
#include "app/cli/commands.h"
#include "app/cli/model_flags.h"
#include "engine/gpu/device_check.h"
#include "engine/image/image_io.h"
#include "engine/sampling/sampler_params.h"
#include "models/checkpoint/model_file.h"

#include <nlohmann/json.hpp>
#include <torch/torch.h>

#include <cstdio>
#include <iostream>
#include <sstream>

namespace ebm::cli {

namespace {

struct ScoreArgs {
  std::string weights;
  std::string label_text;
  std::vector<std::string> images;
  bool json = false;
  std::string device = "cpu";
  int batch = 32;
  ModelFlags model;
};

std::vector<float> parse_label(const std::string& text) {
  std::vector<float> out;
  std::stringstream ss(text);
  std::string item;
  while (std::getline(ss, item, ',')) {
    try {
      std::size_t used = 0;
      const float v = std::stof(item, &used);
      if (used != item.size() && item.find_first_not_of(" \t", used) != std::string::npos) throw std::invalid_argument(item);
      out.push_back(v);
    } catch (const std::exception&) {
      throw UsageError("--label '" + text + "': '" + item + "' is not a number (expected comma-separated values, e.g. 0.5,-0.25)");
    }
  }
  if (!text.empty() && text.back() == ',') throw UsageError("--label '" + text + "' ends with a comma");
  return out;
}

std::string schema_text(const LabelSchema& s) {
  std::ostringstream os;
  os << s.size() << " slot(s) (" << s.concept_name << ":";
  for (int i = 0; i < s.size(); ++i) {
    const auto& slot = s.slots[i];
    os << (i ? ", " : " ") << slot.name;
    if (slot.kind == SlotKind::Continuous) os << " in [" << slot.min << "," << slot.max << "]";
  }
  os << (s.one_hot() ? "; one-hot" : "") << ")";
  return os.str();
}

// 9 significant digits print every float32 exactly (round-trips through text).
std::string float_text(float v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.9g", static_cast<double>(v));
  return buf;
}

void score(const ScoreArgs& a) {
  torch::Device dev(torch::kCPU);
  try {
    dev = parse_device(a.device);
    require_available(dev, "--device");
  } catch (const std::invalid_argument& e) {
    throw UsageError(e.what());  // a device that is not here is a usage error (exit 2), as in every subcommand
  }
  const CheckpointInfo info = inspect_checkpoint(a.weights);
  const std::optional<ModelConfig> config = a.model.resolve(info, a.weights);
  if (!config)
    throw UsageError("'" + a.weights + "' is a " + to_string(info.kind) +
                     " file without ebm metadata: describe it with --arch cubesnet|resnet128 --label-size N "
                     "(and --num-filters N, --no-spec-norm, --no-cclass, --leaky, --attention as trained)");
  if (!config->is_energy())
    throw UsageError("'" + a.weights + "' holds a " + to_string(config->arch) +
                     ", which has no energy; score needs an energy model (cubesnet or resnet128)");
  if (config->comb_mask)
    throw UsageError("'" + a.weights + "' is a comb_mask model, whose energy needs attention masks; score does not take masks");

  LoadedModel loaded = load_model(a.weights, load_options_for(info, config, a.model.tf_scope));
  auto net = loaded.network;
  const ModelConfig& cfg = net->config();
  if (cfg.augment_vis) std::cerr << "ebm score: note: the model has augment_vis on, so energies are random per evaluation\n";

  // Label: required when the model conditions on it; checked against the model's schema.
  std::vector<float> label;
  if (a.label_text.empty()) {
    if (cfg.cclass) throw UsageError("--label is required: this model takes " + schema_text(net->schema()));
    label = net->schema().default_label();
  } else {
    label = parse_label(a.label_text);
    try {
      net->schema().validate(label);
    } catch (const std::invalid_argument& e) {
      throw UsageError(std::string("--label ") + a.label_text + ": " + e.what() + "; this model takes " + schema_text(net->schema()));
    }
  }

  // Images: all loaded and checked before any compute, so a bad file fails fast.
  std::vector<torch::Tensor> xs;
  for (const auto& path : a.images) {
    torch::Tensor x = load_png(path, cfg.num_channels == 1 ? 1 : 3);
    if (x.size(1) != cfg.num_channels)
      throw std::runtime_error("image '" + path + "' has " + std::to_string(x.size(1)) + " channels, the model takes " + std::to_string(cfg.num_channels));
    if (x.size(2) != cfg.image_size || x.size(3) != cfg.image_size)
      throw std::runtime_error("image '" + path + "' is " + std::to_string(x.size(3)) + "x" + std::to_string(x.size(2)) +
                               " but the model takes " + std::to_string(cfg.image_size) + "x" + std::to_string(cfg.image_size) +
                               " (resize it first)");
    xs.push_back(x);
  }

  net->to(dev);
  net->eval();  // evaluation: spectral norm reads u without advancing it, no dropout
  torch::NoGradGuard no_grad;
  const torch::Tensor lab_row = torch::tensor(label, torch::kFloat32).reshape({1, -1});
  std::vector<float> energies;
  for (std::size_t start = 0; start < xs.size(); start += static_cast<std::size_t>(a.batch)) {
    const std::size_t end = std::min(xs.size(), start + static_cast<std::size_t>(a.batch));
    torch::Tensor x = torch::cat(std::vector<torch::Tensor>(xs.begin() + start, xs.begin() + end), 0).to(dev);
    torch::Tensor lab = lab_row.expand({x.size(0), lab_row.size(1)}).contiguous().to(dev);
    torch::Tensor e = net->energy(x, lab).reshape({-1}).to(torch::kCPU, torch::kFloat32);
    for (int64_t i = 0; i < e.size(0); ++i) energies.push_back(e[i].item<float>());
  }

  if (a.json) {
    nlohmann::json out = {{"weights", a.weights}, {"arch", to_string(cfg.arch)}, {"device", a.device},
                          {"label", label},       {"scores", nlohmann::json::array()}};
    for (std::size_t i = 0; i < energies.size(); ++i) out["scores"].push_back({{"image", a.images[i]}, {"energy", energies[i]}});
    std::cout << out.dump(2) << "\n";
  } else {
    for (std::size_t i = 0; i < energies.size(); ++i) std::cout << float_text(energies[i]) << "\t" << a.images[i] << "\n";
  }
}

void register_score(CLI::App& app) {
  auto args = std::make_shared<ScoreArgs>();
  auto* sub = app.add_subcommand("score", "Print the energy E(image | label) of each image under a model file");
  sub->add_option("--weights,-w", args->weights, "Model file: safetensors (ebm, TF- or module-named) or PyTorch .pt")->required();
  sub->add_option("--label,-l", args->label_text, "Label values, comma separated (see `ebm info` for the slots)");
  sub->add_option("images", args->images, "PNG images of the model's size")->required();
  sub->add_flag("--json", args->json, "Print one JSON document instead of `energy<TAB>image` lines");
  sub->add_option("--device", args->device, "cpu, cuda or cuda:N")->capture_default_str();
  sub->add_option("--batch", args->batch, "Images per forward pass")->check(CLI::Range(1, 4096))->capture_default_str();
  args->model.add_to(sub);
  sub->footer(
      "Examples:\n"
      "  ebm score -w position.safetensors --label 0.2,-0.4 a.png b.png\n"
      "  ebm score -w converted_tf.safetensors --arch cubesnet --label-size 2 --label 0,0 a.png --json\n");
  sub->callback([args] { run_command("score", [&] { score(*args); }, ArgumentErrors::Input); });
}

}  // namespace

EBM_CLI_COMMAND(200, register_score);

}  // namespace ebm::cli
