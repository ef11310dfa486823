#include "engine/train/train_options.h"

#include <nlohmann/json.hpp>

#include <stdexcept>

namespace ebm::train {

// One list of fields for both directions of the JSON mapping, so they cannot drift apart.
#define EBM_TRAIN_OPTION_FIELDS(X)                                                                        \
  X(concept_name) X(objective) X(out_dir) X(device) X(seed) X(iters) X(time_limit_min) X(batch) X(log_every) \
  X(sample_every) X(ckpt_every) X(sample_n) X(progress_bar) X(pool) X(num_objects) X(num_filters) X(spec_norm) \
  X(precision) X(bf16) X(channels_last) X(cudnn_benchmark) X(cuda_graph) X(lr) X(langevin_steps) X(step_lr) X(langevin_noise)         \
  X(replay_size) X(keep_ratio) X(replay_quirk) X(l2_coeff) X(ml_coeff) X(sample_steps) X(sigma_min)           \
  X(sigma_max) X(sigma_median) X(sigma_log_std) X(dsm_weighting) X(sigma_features) X(label_dropout) X(ema) X(warmup)           \
  X(grad_clip) X(sample_levels) X(sample_corrector) X(sample_r) X(sample_guidance) X(init_from) X(init_across_concepts) \
  X(data_dir) X(label_columns) X(one_hot) X(label_ranges) X(image_size) X(augment_color) X(augment_translate)     \
  X(augment_rotate) X(augment_scale) X(augment_blur) X(checkpoint_activations)

void to_json(nlohmann::json& j, const TrainOptions& o) {
  j = nlohmann::json::object();
#define EBM_TO(f) j[#f] = o.f;
  EBM_TRAIN_OPTION_FIELDS(EBM_TO)
#undef EBM_TO
}

void from_json(const nlohmann::json& j, TrainOptions& o) {
  if (!j.is_object()) throw std::invalid_argument("train options must be a JSON object");
#define EBM_FROM(f) \
  if (j.contains(#f)) j.at(#f).get_to(o.f);
  EBM_TRAIN_OPTION_FIELDS(EBM_FROM)
#undef EBM_FROM
  // Checkpoints written before `precision` existed stored only the switch: keep what they ran.
  if (!j.contains("precision")) o.precision = o.bf16 ? "bf16" : "fp32";
}

namespace {
bool known_precision(const std::string& p) { return p == "auto" || p == "fp32" || p == "bf16"; }
std::string precision_error(const std::string& p) { return "--precision must be auto, fp32 or bf16 (got '" + p + "')"; }
}  // namespace

std::string TrainOptions::auto_precision(bool on_cuda) const { return on_cuda && objective == "cd" ? "bf16" : "fp32"; }

void TrainOptions::resolve_precision(bool on_cuda, bool fresh_run) {
  if (!known_precision(precision)) throw std::invalid_argument("train options: " + precision_error(precision));
  if (precision == "auto") precision = auto_precision(on_cuda);
  if (precision == "bf16" && !on_cuda && fresh_run)
    throw std::invalid_argument(
        "train options: --precision bf16 is CUDA autocast and this run is on the CPU: drop it (the CPU trains in "
        "fp32) or pass --device cuda");
  bf16 = precision == "bf16";
  if (bf16) channels_last = true;
}

AugmentOptions TrainOptions::augment() const {
  AugmentOptions a;
  a.color_jitter = augment_color;
  a.translate = augment_translate;
  a.rotate_deg = augment_rotate;
  a.scale = augment_scale;
  a.blur = augment_blur;
  return a;
}

namespace {
// "NAME:REST" → (NAME, REST), naming the flag when the colon is missing.
std::pair<std::string, std::string> split_spec(const std::string& spec, const char* flag, const char* form) {
  const auto c = spec.rfind(':');
  if (c == std::string::npos || c == 0 || c + 1 == spec.size())
    throw std::invalid_argument(std::string("train options: ") + flag + " '" + spec + "': write " + form);
  return {spec.substr(0, c), spec.substr(c + 1)};
}
}  // namespace

std::map<std::string, int> TrainOptions::one_hot_columns() const {
  std::map<std::string, int> out;
  for (const auto& spec : one_hot) {
    const auto [col, n] = split_spec(spec, "--one-hot", "COLUMN:N (e.g. hair:3)");
    try {
      size_t used = 0;
      const int v = std::stoi(n, &used);
      if (used != n.size()) throw std::invalid_argument(n);
      out[col] = v;
    } catch (const std::exception&) {
      throw std::invalid_argument("train options: --one-hot '" + spec + "': N must be a whole number");
    }
  }
  return out;
}

std::map<std::string, std::pair<float, float>> TrainOptions::label_range_columns() const {
  std::map<std::string, std::pair<float, float>> out;
  for (const auto& spec : label_ranges) {
    const auto [col, r] = split_spec(spec, "--label-range", "COLUMN:LO,HI (e.g. age:0,100)");
    const auto comma = r.find(',');
    try {
      if (comma == std::string::npos) throw std::invalid_argument(r);
      size_t a = 0, b = 0;
      const float lo = std::stof(r.substr(0, comma), &a), hi = std::stof(r.substr(comma + 1), &b);
      if (a != comma || b != r.size() - comma - 1 || !(lo < hi)) throw std::invalid_argument(r);
      out[col] = {lo, hi};
    } catch (const std::exception&) {
      throw std::invalid_argument("train options: --label-range '" + spec + "': write COLUMN:LO,HI with LO < HI");
    }
  }
  return out;
}

const std::vector<std::string>& TrainOptions::resumable_keys() {
  static const std::vector<std::string> keys{"iters",      "time_limit_min", "log_every",    "sample_every",
                                             "ckpt_every", "progress_bar",   "device",       "lr",
                                             "out_dir",    "sample_steps",   "sample_levels", "sample_corrector",
                                             "sample_r",   "cudnn_benchmark", "sample_guidance", "cuda_graph",
                                             "checkpoint_activations"};
  return keys;
}

void TrainOptions::validate() const {
  auto req = [](bool ok, const std::string& m) {
    if (!ok) throw std::invalid_argument("train options: " + m);
  };
  const bool cubes = concept_name == "position" || concept_name == "size" || concept_name == "shape" ||
                     concept_name == "color" || concept_name == "count";
  if (folder_data()) {
    req(!concept_name.empty() && !cubes,
        "--data: name the concept of your images with --concept NAME (not position, size, shape, color or count, "
        "the cubes concepts)");
    req(!label_columns.empty(), "--data needs --label-columns: the labels.csv columns that make the label");
    (void)one_hot_columns();
    (void)label_range_columns();
  } else {
    req(cubes, "--concept must be position, size, shape, color or count (got '" + concept_name +
                   "'); for a concept of your own images give --data DIR");
    req(label_columns.empty() && one_hot.empty() && label_ranges.empty(),
        "--label-columns, --one-hot and --label-range describe a --data folder");
  }
  req(image_size == 64 || image_size == 128, "--size must be 64 (CubesNet) or 128 (ResNet128)");
  req(folder_data() || image_size == 64, "--size 128 needs --data: the cubes renders are 64×64");
  try {
    augment().validate();
  } catch (const std::invalid_argument& e) {
    req(false, e.what());
  }
  req(!(augment().geometric() && !folder_data() && (concept_name == "position" || concept_name == "size")),
      "--augment-translate/rotate/scale move and resize what is in the image: a " + concept_name +
          " label would no longer be true (colour, blur and the shape/colour concepts are fine)");
  req(objective == "cd" || objective == "dsm", "--objective must be cd or dsm (got '" + objective + "')");
  req(!out_dir.empty(), "--out DIR is required");
  req(iters >= 1 && iters <= 100000000, "--iters must be in [1, 1e8]");
  req(time_limit_min >= 0 && time_limit_min <= 1e6, "--time-limit must be >= 0 minutes (0 = none)");
  req(batch >= 1 && batch <= 4096, "--batch must be in [1, 4096]");
  req(log_every >= 1, "--log-every must be >= 1");
  req(sample_every >= 0, "--sample-every must be >= 0 (0 = only at the end)");
  req(ckpt_every >= 1, "--ckpt-every must be >= 1");
  req(sample_n >= 1 && sample_n <= 1024, "--sample-n must be in [1, 1024]");
  req(pool >= 1 && pool <= 2000000, "--pool must be in [1, 2e6] scenes");
  req(num_objects == 1 || num_objects == 2, "--objects must be 1 or 2");
  req(!init_across_concepts || !init_from.empty(), "--init-across-concepts goes with --init-from FILE");
  req(!(concept_name == "count" && num_objects != 1 && !folder_data()),
      "--objects: the count concept's scenes hold none, one or two objects by design; leave --objects out");
  req(num_filters >= 4 && num_filters <= 512, "--filters must be in [4, 512]");
  req(langevin_steps >= 1 && langevin_steps <= 10000, "--steps must be in [1, 10000]");
  req(step_lr > 0 && langevin_noise >= 0, "--step-lr must be > 0 and --noise >= 0");
  req(replay_size >= 0, "--replay must be >= 0 (0 = off)");
  req(keep_ratio >= 0 && keep_ratio <= 1, "--keep-ratio must be in [0, 1]");
  req(sample_steps >= 1 && sample_steps <= 100000, "--sample-steps must be in [1, 1e5]");
  req(sigma_min > 0 && sigma_max > sigma_min && sigma_max <= 100, "need 0 < --sigma-min < --sigma-max <= 100");
  req(sigma_median > 0 && sigma_log_std > 0, "--sigma-median and --sigma-log-std must be > 0");
  req(dsm_weighting == "eps" || dsm_weighting == "edm",
      "--dsm-weighting must be eps or edm (got '" + dsm_weighting + "')");
  req(sigma_features >= 1 && sigma_features <= 32, "--sigma-features must be in [1, 32]");
  req(label_dropout >= 0 && label_dropout < 1, "--label-dropout must be in [0, 1)");
  req(ema >= 0 && ema < 1, "--ema must be in [0, 1)");
  req(warmup >= 0, "--warmup must be >= 0");
  req(grad_clip > 0, "--grad-clip must be > 0");
  req(sample_levels >= 1 && sample_levels <= 10000 && sample_corrector >= 0 && sample_r > 0,
      "--sample-levels must be >= 1, --sample-corrector >= 0, --sample-r > 0");
  req(sample_guidance >= 0 && sample_guidance <= 100, "--sample-guidance must be in [0, 100] (1 = none)");
  req(lr >= 0 && lr < 1, "--lr must be in [0, 1) (0 = objective default)");
  req(known_precision(precision), precision_error(precision));
}

}  // namespace ebm::train
