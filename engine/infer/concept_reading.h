// Reading images into concepts (issue #29; Du et al. 2020, "inference"): the label a concept model
// finds most likely for an image.
//
//   one-hot concepts (shape, colour): every class is scored, the best score wins;
//   continuous concepts (position, size): a grid over the schema's range is scored, the best grid
//     points start gradient descent (Adam) on the label, clamped to the range after every step.
//
// What is scored (ReadCriterion):
//   energy   E(x | label), the paper's rule — right for energies trained by contrastive divergence,
//            whose values compare across labels;
//   denoise  for denoising models (the default for them): how well the model, told the label,
//            predicts the noise added to the image, ‖σ·∇ₓE(x + σε | label, σ) − ε‖² averaged over a
//            few noise levels and draws — the quantity their training minimised, a bound on
//            −log p(x | label) up to terms that do not depend on the label (Li et al. 2023, "Your
//            diffusion model is secretly a zero-shot classifier"). A denoising energy's value carries
//            a label-dependent offset (docs/training.md), so its raw energy is not comparable across
//            labels: on the shipped models the energy rule read every shape as a sphere.
// The noise levels are `levels` values spaced geometrically over [sigma_min, sigma_max], each with
// `noise_draws` draws of ε — the same draws for every candidate label, so candidates are compared
// on equal terms (a paired comparison). Models without a noise schedule are read at the image itself.
//
// The confidence is a margin: how much worse the runner-up scores — the second-best class, or for
// continuous labels the best candidate (grid point or refined start) farther than a quarter of the
// range from the winner. A margin near 0 means the model cannot tell.
#pragma once

#include "engine/energy/energy_model.h"

#include <nlohmann/json_fwd.hpp>
#include <torch/torch.h>

#include <atomic>
#include <stdexcept>
#include <string>
#include <vector>

namespace ebm {

enum class ReadCriterion { Auto, Energy, Denoise };  // Auto: Denoise for denoising models, else Energy
ReadCriterion read_criterion_from_string(const std::string& s);  // "auto" | "energy" | "denoise"

struct ReadOptions {
  ReadCriterion criterion = ReadCriterion::Auto;
  double sigma_min = 0.05, sigma_max = 0.5;  // noise levels at which denoising models are read
  int levels = 3;        // of them, geometric over [sigma_min, sigma_max]
  // Draws of ε per level. 4: the position model's quick read of 16 + 12 fresh renders (2-core CPU,
  // 2026-12-06) erred 0.017 / 0.020 with 4 against 0.032 / 0.028 with 1, at 4x the cost — a single
  // draw leaves the score noisy enough to move the minimiser. The quick read keeps 1.
  int noise_draws = 4;
  int grid = 0;          // continuous: points per slot of the starting grid (0: 17 for one slot, 9 for two, 4 above)
  int starts = 4;        // continuous: best grid points refined by gradient descent
  int steps = 40;        // continuous: Adam steps per start
  double lr = 0.02;      // continuous: Adam's rate, in units of the slot's range
  // Images × candidates evaluated per forward pass (`ebm infer --chunk`): the memory of one pass
  // against the number of passes; the readings do not depend on it (each row is scored on its own).
  int64_t chunk = 256;
  uint64_t seed = 0;     // the noise draws
  // Checked between descent steps: when it turns true, read_concept throws ReadCancelled (the
  // studio's reader stops a read nobody waits for any more). Not owned.
  const std::atomic<bool>* cancel = nullptr;
  void validate() const;  // throws std::invalid_argument naming the option
};

class ReadCancelled : public std::runtime_error {
 public:
  ReadCancelled() : std::runtime_error("the read was cancelled") {}
};

// The read the studio makes on a CPU, where the default costs ~65 s for the four shipped models on
// 2 cores: 2 starts of 15 descent steps and one noise draw per level, ~21 s — on two fresh renders
// the same shapes and colours, positions within 0.03 and sizes within 0.02 of the default read's
// (2026-12-05, when the default read took one draw too).
ReadOptions quick_read_options();

struct ConceptReading {
  std::vector<float> label;           // the minimiser, in the schema's range (one-hot for one-hot schemas)
  double score = 0;                   // its score (energy, or denoising error; lower is better)
  double margin = 0;                  // runner-up's score − the winner's (≥ 0; NaN: no runner-up)
  std::vector<double> class_scores;   // one-hot schemas: the score of every class
  // "(0.31, -0.52)", "0.45", "sphere", "red" — the schema's names for one-hot labels.
  std::string describe(const LabelSchema& schema) const;
};
void to_json(nlohmann::json& j, const ConceptReading& r);
// A label as a schema names it: "(0.31, -0.52)", "0.45", or the one-hot class's name ("red").
std::string describe_label(const std::vector<float>& label, const LabelSchema& schema);

// Reads every image of `images` [N,C,H,W] (in [0,1], the model's size and device) with model `m`.
// Throws std::invalid_argument when the model has no label or no schema of its label size, or when
// the images do not fit the model.
std::vector<ConceptReading> read_concept(EnergyModel& m, const torch::Tensor& images, const ReadOptions& opt = {});

// The images as `m` reads them: [N,C,H,W] resized (antialiased area filter) to the model's image size
// when they are larger, refused when smaller or of another channel count.
torch::Tensor fit_images(const torch::Tensor& images, const ModelInfo& info);

}  // namespace ebm
