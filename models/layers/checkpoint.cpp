#include "models/layers/checkpoint.h"

#include <ATen/Context.h>
#include <torch/csrc/autograd/custom_function.h>

#include <mutex>

namespace ebm {

namespace {

using torch::autograd::AutogradContext;
using torch::autograd::variable_list;

// What the backward needs besides tensors: the block, and what to replay before running it again.
struct Replay : torch::CustomClassHolder {
  BlockFn fn;
  bool has_label = false;
  size_t n_params = 0;
  std::vector<torch::Tensor> state, state_before;
  c10::optional<at::Device> rng_device;
  torch::Tensor rng_before;
};

at::Generator default_generator(const at::Device& d) { return at::globalContext().defaultGenerator(d); }

torch::Tensor rng_state(const at::Device& d) {
  auto g = default_generator(d);
  std::lock_guard<std::mutex> lock(g.mutex());
  return g.get_state();
}

void set_rng_state(const at::Device& d, const torch::Tensor& s) {
  auto g = default_generator(d);
  std::lock_guard<std::mutex> lock(g.mutex());
  g.set_state(s);
}

struct CheckpointFunction : public torch::autograd::Function<CheckpointFunction> {
  // inputs = {x, label (a placeholder when there is none)}, then the block's parameters.
  // A TensorList, not a std::vector: custom functions count a vector argument as one non-tensor.
  static variable_list forward(AutogradContext* ctx, c10::intrusive_ptr<Replay> replay, at::TensorList inputs) {
    torch::Tensor out;
    {
      torch::NoGradGuard no_grad;  // the whole point: keep no activations
      out = replay->fn(inputs[0], replay->has_label ? inputs[1] : torch::Tensor());
    }
    ctx->save_for_backward(inputs.vec());
    ctx->saved_data["replay"] = c10::IValue::make_capsule(replay);
    return {out};
  }

  static variable_list backward(AutogradContext* ctx, variable_list grad_out) {
    auto replay = c10::static_intrusive_pointer_cast<Replay>(ctx->saved_data["replay"].toCapsule());
    const auto saved = ctx->get_saved_variables();
    const bool higher_order = torch::GradMode::is_enabled();  // the caller asked for create_graph
    // The block's input as a leaf of the recompute unless the caller differentiates further: then the
    // saved tensor itself, so the returned gradients stay connected to what produced it.
    std::vector<torch::Tensor> in(saved.begin(), saved.begin() + 2);
    if (!higher_order)
      for (auto& t : in) t = t.detach().requires_grad_(t.requires_grad());

    // Replay: the state and the random stream as they were before the first run.
    std::vector<torch::Tensor> state_after;
    torch::Tensor rng_after;
    {
      torch::NoGradGuard no_grad;
      for (size_t i = 0; i < replay->state.size(); ++i) {
        state_after.push_back(replay->state[i].clone());
        replay->state[i].copy_(replay->state_before[i]);
      }
    }
    if (replay->rng_device) {
      rng_after = rng_state(*replay->rng_device);
      set_rng_state(*replay->rng_device, replay->rng_before);
    }
    torch::Tensor out;
    {
      torch::AutoGradMode grad(true);
      out = replay->fn(in[0], replay->has_label ? in[1] : torch::Tensor());
    }
    {
      torch::NoGradGuard no_grad;
      for (size_t i = 0; i < replay->state.size(); ++i) replay->state[i].copy_(state_after[i]);
    }
    if (replay->rng_device) set_rng_state(*replay->rng_device, rng_after);

    // Gradients w.r.t. everything that asked for one; the others stay undefined.
    std::vector<torch::Tensor> wrt;
    std::vector<size_t> where;
    for (size_t i = 0; i < saved.size(); ++i) {
      const torch::Tensor& t = i < 2 ? in[i] : saved[i];
      if (t.requires_grad()) wrt.push_back(t), where.push_back(i);
    }
    variable_list grads(1 + saved.size());  // slot 0: the Replay (not a tensor)
    if (!wrt.empty()) {
      const auto g = torch::autograd::grad({out}, wrt, {grad_out[0]}, /*retain_graph=*/higher_order,
                                           /*create_graph=*/higher_order, /*allow_unused=*/true);
      for (size_t k = 0; k < where.size(); ++k) grads[1 + where[k]] = g[k];
    }
    return grads;
  }
};

}  // namespace

torch::Tensor checkpointed(const BlockFn& fn, const torch::Tensor& x, const torch::Tensor& label,
                           const std::vector<torch::Tensor>& params, const std::vector<torch::Tensor>& state) {
  bool any_grad = x.requires_grad() || (label.defined() && label.requires_grad());
  for (const auto& p : params) any_grad = any_grad || p.requires_grad();
  if (!torch::GradMode::is_enabled() || !any_grad) return fn(x, label);

  auto replay = c10::make_intrusive<Replay>();
  replay->fn = fn;
  replay->has_label = label.defined();
  replay->n_params = params.size();
  replay->state = state;
  {
    torch::NoGradGuard no_grad;
    for (const auto& s : state) replay->state_before.push_back(s.clone());
  }
  replay->rng_device = x.device();
  replay->rng_before = rng_state(x.device());
  variable_list inputs{x, label.defined() ? label : torch::zeros({0}, x.options())};
  inputs.insert(inputs.end(), params.begin(), params.end());
  return CheckpointFunction::apply(replay, at::TensorList(inputs))[0];
}

}  // namespace ebm
