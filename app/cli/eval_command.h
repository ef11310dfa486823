// What `ebm eval`'s two modes share (app/cli/cmd_eval.cpp: the command and --recipe;
// app/cli/cmd_eval_suite.cpp: --suite): its flags, progress line, grader loading and output.
#pragma once

#include "app/cli/ladder_flags.h"
#include "app/cli/step_rule_flags.h"
#include "engine/eval/eval_sampling.h"
#include "engine/eval/grade_table.h"
#include "engine/gpu/precision.h"
#include "models/cubes_classifier.h"

#include <nlohmann/json.hpp>

#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>
#include <unistd.h>

namespace ebm::cli {

struct EvalArgs {
  std::string recipe;
  bool suite = false;
  std::string models_dir;
  std::string classifier;
  int64_t n = 256;
  int64_t batch = 64;
  std::optional<uint64_t> seed;
  std::optional<std::string> device;
  std::optional<std::string> precision;  // the sampling's arithmetic (SamplerParams::precision)
  bool json = false;
  std::string json_out;
  bool ignore_hash = false;
  bool quiet = false;
  // suite
  int labels = 16;
  std::optional<uint64_t> label_seed;
  std::string split = "tune";      // suite: tune | heldout | both (SuiteSplit)
  std::string prior = "auto";      // suite: auto (one_prior_by_rule) | each | shared (composition.h)
  bool one_object = false;         // suite: AND count.safetensors' "one object" into every case
  bool place = false;              // suite: a placement term in the cases without position
  std::optional<double> count_guidance;
  std::optional<int64_t> steps;  // --steps (ladder_flags.h: apply_step_count, ladder_in_steps)
  WalkFlags walk;  // how denoising models' noise ladder is walked (unnamed: each composition's default walk)
  std::vector<std::string> cases;  // suite: only these cases (empty: all)
  bool per_label = false;          // suite: a text line per target label too
  double not_coefficient = 0.001;
  std::optional<double> guidance;
  std::string guidance_interval;  // suite: "LO,HI" (empty: each model's own)
  std::vector<std::string> concept_weight, concept_guidance;  // suite: "size=1.5", … (parse_concept_values)
  StepRuleFlags step_rule;  // recipe: overrides the recipe's; suite: langevin unless given
};

// Progress on stderr: a redrawn line on a terminal, one line per finished chunk otherwise.
class EvalProgress {
 public:
  explicit EvalProgress(bool quiet) : quiet_(quiet), tty_(isatty(STDERR_FILENO) == 1) {}
  void set_run(std::string run) { run_ = std::move(run); }
  void operator()(const eval::SamplingProgress& p) {
    if (quiet_) return;
    if (tty_) {
      std::fprintf(stderr, "\r%s  chunk %lld/%lld  step %lld/%lld  %.1f ms/step  E=%.4g   ", run_.c_str(),
                   static_cast<long long>(p.chunk), static_cast<long long>(p.chunks), static_cast<long long>(p.step),
                   static_cast<long long>(p.steps), p.ms_per_step, p.energy);
      if (p.step == p.steps && p.chunk == p.chunks) std::fprintf(stderr, "\n");
    } else if (p.step == p.steps) {
      std::fprintf(stderr, "%s  chunk %lld/%lld done  %lld steps  %.1f ms/step  mean energy %.6g\n", run_.c_str(),
                   static_cast<long long>(p.chunk), static_cast<long long>(p.chunks), static_cast<long long>(p.steps),
                   p.ms_per_step, p.energy);
    }
    std::fflush(stderr);
  }

 private:
  bool quiet_, tty_;
  std::string run_;
};

// The models directory: --models, else the shipped one (eval::find_models_dir).
std::filesystem::path models_dir(const EvalArgs& a);
// The grading classifier (--classifier, else the models directory's) and its held-out figures.
CubesClassifier load_grader(const EvalArgs& a, nlohmann::json* heldout);
// The grader's own held-out figures (its file's metadata), so a reader sees how fine the ruler is.
std::string describe_grader(const nlohmann::json& h);
// --precision for sampling on `device` (cpu, cuda, cuda:N): checked before any model loads, so bf16
// on a CPU without bf16 instructions is refused at once, naming them (gpu::check_precision).
Precision checked_precision(const std::string& precision, const std::string& device);
// The tables on stdout (text, or JSON with --json), and the JSON to --json-out.
void print_results(const EvalArgs& a, const std::vector<eval::GradeTable>& tables, nlohmann::json j);

// `ebm eval --suite` (cmd_eval_suite.cpp).
void run_suite(const EvalArgs& a);

}  // namespace ebm::cli
