// `ebm convert PREFIX --arch A [--label-size N] [model flags] --out model.safetensors`: turns an
// original TensorFlow checkpoint into a self-describing model file (config + label schema in its
// metadata), without TensorFlow. Conv weights go HWIO → OIHW, spectral-norm u vectors are kept, and
// everything the model does not use (Adam slots, beta powers, other scopes, dead variables) is
// listed and left out.
#include "app/cli/cli_errors.h"
#include "app/cli/commands.h"
#include "app/cli/output_check.h"
#include "app/cli/model_flags.h"
#include "models/checkpoint/tf_convert.h"

#include <iostream>
#include <map>
#include <memory>

namespace ebm::cli {

namespace {

struct ConvertArgs {
  std::string checkpoint;
  std::string out;
  std::string scope;
  ModelFlags model;
  bool augment_vis = false;
  bool comb_mask = false;
  int cond_func = 0;
  bool tf_names = false;
  bool verbose = false;
};

ModelConfig config_for(const ConvertArgs& a, const tf::BundleReader& reader, const std::string& scope) {
  if (a.model.arch.empty()) throw UsageError("--arch is required: cubesnet, cubesnetgen, resnet128 or cubespredict");
  std::optional<ModelConfig> c = a.model.resolve(CheckpointInfo{}, a.checkpoint);  // a TF bundle has no ebm config
  ModelConfig cfg = *c;
  if (a.model.label_size == 0 && cfg.arch != Arch::CubesPredict) {
    // Not given: the checkpoint says it (the label-gain variables are [label_size, channels]).
    if (const auto n = tf_label_size(reader, scope)) {
      cfg.label_size = *n;
      std::cout << "label size " << *n << " (read from the checkpoint; --label-size overrides)\n";
    } else if (cfg.cclass) {
      throw UsageError("cannot tell the label size from " + reader.index_path() + "; pass --label-size N");
    }
  }
  if (a.augment_vis) cfg.augment_vis = true;
  if (a.comb_mask) cfg.comb_mask = true;
  if (a.cond_func > 0) cfg.cond_func = a.cond_func;
  try {
    cfg.validate();
  } catch (const std::invalid_argument& e) {
    throw UsageError(e.what());
  }
  return cfg;
}

void run_convert(const ConvertArgs& a) {
  check_output_file(a.out, "--out");
  const tf::BundleReader reader(a.checkpoint);
  const std::string requested = !a.scope.empty() ? a.scope : a.model.tf_scope;
  const std::string scope = choose_tf_scope(reader, requested);
  const ModelConfig cfg = config_for(a, reader, scope);
  SaveModelOptions save;
  if (a.tf_names) {
    save.names = NameStyle::Tf;
    save.tf_scope = scope;
  }
  const TfImportReport rep = convert_tf_checkpoint(reader.prefix(), cfg, a.out, scope, save);

  std::cout << "read " << rep.prefix << " (scope " << rep.scope << "): " << rep.loaded.size()
            << " tensors loaded into a " << to_string(cfg.arch) << " (label size " << cfg.label_size
            << ", num_filters " << cfg.num_filters << ")\n";
  // Group the skipped entries by reason; optimizer state is only counted unless --verbose.
  std::map<std::string, std::vector<std::string>> by_reason;
  for (const auto& [name, why] : rep.skipped) by_reason[why].push_back(name);
  for (const auto& [why, names] : by_reason) {
    std::cout << "skipped " << names.size() << " (" << why << ")";
    const bool optimizer = why.rfind("optimizer state", 0) == 0;
    if (optimizer && !a.verbose) {
      std::cout << "\n";
      continue;
    }
    std::cout << ":\n";
    for (const auto& n : names) std::cout << "  " << n << "\n";
  }
  std::cout << "wrote " << a.out << "\n";
}

void register_convert(CLI::App& app) {
  auto args = std::make_shared<ConvertArgs>();
  auto* sub = app.add_subcommand("convert", "Convert an original TensorFlow checkpoint into a model file (no TensorFlow needed)");
  sub->add_option("checkpoint", args->checkpoint,
                  "Checkpoint prefix (model_30000), its .index file, or the directory with the `checkpoint` file")
      ->required();
  sub->add_option("--out,-o", args->out, "Model file to write (.safetensors); written atomically")->required();
  args->model.add_to(sub);
  sub->add_option("--scope", args->scope, "TF scope of the model's variables (same as --tf-scope; default: detected)");
  sub->add_flag("--augment-vis", args->augment_vis, "CubesNet trained with augment_vis (random pad/jitter/rotate)");
  sub->add_flag("--comb-mask", args->comb_mask, "CubesNet with attention-mask decomposition");
  sub->add_option("--cond-func", args->cond_func, "Number of masks K for --comb-mask")->check(CLI::Range(1, 64));
  sub->add_flag("--tf-names", args->tf_names, "Store TF variable names (HWIO) instead of module names");
  sub->add_flag("--verbose,-v", args->verbose, "List every skipped variable, optimizer slots included");
  sub->callback([args] { run_command("convert", [&] { run_convert(*args); }, ArgumentErrors::Input); });
}

}  // namespace

EBM_CLI_COMMAND(310, register_convert);

}  // namespace ebm::cli
