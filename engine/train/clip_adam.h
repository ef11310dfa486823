// ClipAdam: the optimizer of the original trainer (spec §4.1, custom_adam.py of the original
// lineage), plus the global-norm clip the denoising objective uses.
//
// Per step t (1-based), with the moments m, v of the previous step:
//   kPerElementStd (the original):  g ← clip(g, ±(3·sqrt(v / (1 − β2^t)) + 0.1))
//       — note v is the *previous* second moment and β2^t the *current* power, exactly as TF
//         evaluates `beta2_power` before `_finish` advances it; at t = 1, v = 0 so |g| ≤ 0.1;
//   kGlobalNorm:  g ← g · min(1, max_norm / ‖g‖₂) over all parameters together;
//   then TF's Adam (the formulation before Kingma & Ba §2.1, ε outside the bias correction):
//       m ← β1·m + (1 − β1)·g,  v ← β2·v + (1 − β2)·g²,
//       p ← p − lr·sqrt(1 − β2^t)/(1 − β1^t) · m / (sqrt(v) + ε).
// Parameters without a gradient are treated as zero-gradient (their update is then exactly 0,
// as TF skipping them). The moments live in two flat tensors on the parameters' device, so a step
// is a dozen whole-model kernels rather than a dozen per parameter, and there is no host sync.
#pragma once

#include <torch/torch.h>

#include <map>
#include <string>
#include <vector>

namespace ebm::train {

enum class GradClip { None, PerElementStd, GlobalNorm };

struct ClipAdamOptions {
  double lr = 3e-4;
  double beta1 = 0.0;    // the original: no momentum
  double beta2 = 0.99;
  double eps = 1e-8;
  GradClip clip = GradClip::PerElementStd;
  double max_norm = 1.0;  // kGlobalNorm only
};

class ClipAdam {
 public:
  // All parameters must share one device and dtype float32.
  ClipAdam(std::vector<torch::Tensor> params, ClipAdamOptions opt);

  // One update from the parameters' current .grad(); lr_scale multiplies lr (warm-up schedules).
  void step(double lr_scale = 1.0);
  void zero_grad();

  int64_t steps() const { return t_; }
  const ClipAdamOptions& options() const { return opt_; }
  void set_lr(double lr) { opt_.lr = lr; }
  // The flat moments (tests; checkpoints use state()).
  const torch::Tensor& m() const { return m_; }
  const torch::Tensor& v() const { return v_; }

  // {"m", "v" flat float32, "t" int64 [1]} — CPU copies for a checkpoint.
  std::map<std::string, torch::Tensor> state() const;
  // Restores state(); throws std::invalid_argument when sizes do not match these parameters.
  void load_state(const std::map<std::string, torch::Tensor>& s);

 private:
  torch::Tensor flat_grad() const;

  std::vector<torch::Tensor> params_;
  ClipAdamOptions opt_;
  int64_t numel_ = 0;
  int64_t t_ = 0;
  torch::Tensor m_, v_;
};

}  // namespace ebm::train
