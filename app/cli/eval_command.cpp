#include "app/cli/eval_command.h"

#include "engine/eval/eval_suite.h"
#include "engine/gpu/precision_scope.h"
#include "engine/sampling/sampler_params.h"
#include "models/checkpoint/atomic_file.h"

#include <iostream>
#include <stdexcept>

#ifndef EBM_ASSETS_DIR
#define EBM_ASSETS_DIR ""
#endif

namespace ebm::cli {

namespace fs = std::filesystem;

fs::path models_dir(const EvalArgs& a) {
  if (!a.models_dir.empty()) return a.models_dir;
  return eval::find_models_dir("/proc/self/exe", EBM_ASSETS_DIR);
}

Precision checked_precision(const std::string& precision, const std::string& device) {
  const Precision p = precision_from_string(precision);
  gpu::check_precision(p, parse_device(device));
  return p;
}

CubesClassifier load_grader(const EvalArgs& a, nlohmann::json* heldout) {
  std::string path = a.classifier;
  if (path.empty()) {
    const auto dir = models_dir(a);
    if (dir.empty())
      throw std::runtime_error("no grading classifier: no models directory found (assets/models, $EBM_STUDIO_MODELS); "
                               "train one with `ebm train-classifier --out classifier.safetensors` and pass "
                               "--classifier classifier.safetensors");
    path = (dir / "classifier.safetensors").string();
  }
  std::error_code ec;
  if (!fs::is_regular_file(path, ec))
    throw std::runtime_error("no grading classifier at " + path + "; train one with `ebm train-classifier --out " +
                             path + "` (docs/training.md) or pass --classifier FILE");
  return load_classifier(path, heldout);
}

std::string describe_grader(const nlohmann::json& h) {
  if (!h.is_object() || !h.contains("position_error")) return "grader: no held-out figures in its file\n";
  char buf[512];
  std::snprintf(buf, sizeof buf,
                "grader (%lld held-out renders): position error %.3f, size error %.4f, shape %.1f %%, colour %.1f %%",
                static_cast<long long>(h.value("n", int64_t{0})), h.value("position_error", -1.0),
                h.value("size_error", -1.0), 100 * h.value("shape_accuracy", -1.0), 100 * h.value("color_accuracy", -1.0));
  std::string s = buf;
  if (h.contains("count_accuracy_empty")) {
    // Files before n_count was recorded held a quarter of n of each count.
    const auto n_count = h.value("n_count", h.value("n", int64_t{0}) / 4);
    std::snprintf(buf, sizeof buf, "; counts read right (%lld renders of each): empty %.1f %%, one %.1f %%, two %.1f %%",
                  static_cast<long long>(n_count), 100 * h.value("count_accuracy_empty", -1.0),
                  100 * h.value("count_accuracy_one", -1.0), 100 * h.value("count_accuracy_two", -1.0));
    s += buf;
    if (h.contains("count_accuracy_two_visible")) {
      std::snprintf(buf, sizeof buf, " (%.1f %% of the %lld with both objects at least half visible)",
                    100 * h.value("count_accuracy_two_visible", -1.0),
                    static_cast<long long>(h.value("n_two_visible", int64_t{0})));
      s += buf;
    }
  } else {
    s += "; it does not count objects (objects found by an image reading)";
  }
  return s + "\n";
}

void print_results(const EvalArgs& a, const std::vector<eval::GradeTable>& tables, nlohmann::json j) {
  j["tables"] = tables;
  if (!a.json_out.empty()) write_file_atomic(a.json_out, j.dump(2) + "\n");
  if (a.json)
    std::cout << j.dump(2) << "\n";
  else
    std::cout << describe_grader(j.value("classifier_heldout", nlohmann::json())) << eval::format_tables(tables);
}

}  // namespace ebm::cli
