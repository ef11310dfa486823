#include "app/cli/model_flags.h"

#include "app/cli/cli_errors.h"

#include <vector>

namespace ebm::cli {

void ModelFlags::add_to(CLI::App* sub) {
  auto* g = sub->add_option_group("model", "Describe a raw checkpoint without ebm metadata (files with metadata need none)");
  arch_ = g->add_option("--arch", arch, "Architecture: cubesnet, cubesnetgen, resnet128 or cubespredict")
              ->check(CLI::IsMember({"cubesnet", "cubesnetgen", "resnet128", "cubespredict"}));
  label_size_ = g->add_option("--label-size", label_size, "Label slots (ResNet128: classes)")->check(CLI::Range(0, 4096));
  num_filters_ = g->add_option("--num-filters", num_filters, "Base filter count (default 64)")->check(CLI::Range(1, 1024));
  image_size_ = g->add_option("--image-size", image_size, "Input size (default 64, ResNet128 128)")->check(CLI::Range(8, 1024));
  no_spec_norm_ = g->add_flag("--no-spec-norm", no_spec_norm, "Trained without spectral normalization");
  no_cclass_ = g->add_flag("--no-cclass", no_cclass, "Trained without label gain/bias injection");
  leaky_ = g->add_flag("--leaky", leaky, "leaky_relu(0.2) activations instead of swish");
  attention_ = g->add_flag("--attention", attention, "ResNet128 with self-attention");
  antialias_ = g->add_flag("--antialias", antialias, "CubesNet with the antialiased downsampling input");
  g->add_option("--tf-scope", tf_scope, "TF scope of a TF-named file (default: detected, e.g. context_0)");
}

bool ModelFlags::any_given() const {
  for (auto* o : {arch_, label_size_, num_filters_, image_size_, no_spec_norm_, no_cclass_, leaky_, attention_, antialias_})
    if (o && o->count() > 0) return true;
  return false;
}

std::optional<ModelConfig> ModelFlags::resolve(const CheckpointInfo& info, const std::string& path) const {
  auto given = [](const CLI::Option* o) { return o && o->count() > 0; };
  if (info.config) {
    // A self-describing file: flags may only repeat what it says.
    const ModelConfig& c = *info.config;
    std::vector<std::string> clash;
    auto check = [&](const CLI::Option* o, bool same, const std::string& flag, const std::string& file_value) {
      if (given(o) && !same) clash.push_back(flag + " (the file says " + file_value + ")");
    };
    check(arch_, arch == to_string(c.arch), "--arch " + arch, to_string(c.arch));
    check(label_size_, label_size == c.label_size, "--label-size " + std::to_string(label_size), std::to_string(c.label_size));
    check(num_filters_, num_filters == c.num_filters, "--num-filters " + std::to_string(num_filters), std::to_string(c.num_filters));
    check(image_size_, image_size == c.image_size, "--image-size " + std::to_string(image_size), std::to_string(c.image_size));
    check(no_spec_norm_, !c.spec_norm, "--no-spec-norm", "spec_norm on");
    check(no_cclass_, !c.cclass, "--no-cclass", "cclass on");
    check(leaky_, !c.swish_act, "--leaky", "swish");
    check(attention_, c.use_attention, "--attention", "no attention");
    check(antialias_, c.antialias, "--antialias", "no antialias");
    if (!clash.empty()) {
      std::string msg = "'" + path + "' carries its own model config; these flags contradict it: ";
      for (std::size_t i = 0; i < clash.size(); ++i) msg += (i ? ", " : "") + clash[i];
      throw UsageError(msg + ". Drop the model flags for files with ebm metadata.");
    }
    return c;
  }
  if (!given(arch_)) {
    if (any_given()) throw UsageError("model flags were given without --arch; add --arch cubesnet|cubesnetgen|resnet128|cubespredict");
    return std::nullopt;
  }
  ModelConfig c = ModelConfig::defaults_for(arch_from_string(arch));
  if (given(label_size_)) c.label_size = label_size;
  if (given(num_filters_)) c.num_filters = num_filters;
  if (given(image_size_)) c.image_size = image_size;
  if (no_spec_norm) c.spec_norm = false;
  if (no_cclass) c.cclass = false;
  if (leaky) c.swish_act = false;
  if (attention) c.use_attention = true;
  if (antialias) c.antialias = true;
  try {
    c.validate();
  } catch (const std::invalid_argument& e) {
    throw UsageError(e.what());
  }
  return c;
}

LoadModelOptions load_options_for(const CheckpointInfo& info, const std::optional<ModelConfig>& config,
                                  const std::string& tf_scope) {
  LoadModelOptions o;
  if (!info.config) o.config = config;  // ebm files: already checked against the flags in resolve()
  o.tf_scope = tf_scope;
  return o;
}

}  // namespace ebm::cli
