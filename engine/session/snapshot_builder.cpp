#include "engine/session/snapshot_builder.h"

#include "engine/gpu/device_memory.h"

#include <limits>

namespace ebm {

namespace {

constexpr float kNaN = std::numeric_limits<float>::quiet_NaN();

std::vector<float> to_floats(const torch::Tensor& t) {
  if (!t.defined()) return {};
  auto c = t.detach().to(torch::kCPU, torch::kFloat).contiguous();
  return {c.data_ptr<float>(), c.data_ptr<float>() + c.numel()};
}

std::vector<std::int64_t> to_ints(const torch::Tensor& t) {
  if (!t.defined()) return {};
  auto c = t.detach().to(torch::kCPU, torch::kLong).contiguous();
  return {c.data_ptr<std::int64_t>(), c.data_ptr<std::int64_t>() + c.numel()};
}

std::int64_t device_bytes(const torch::Tensor& x) {
  return x.defined() && x.is_cuda() ? gpu::allocated_device_bytes(x.device().index()) : -1;
}

}  // namespace

std::shared_ptr<Snapshot> build_snapshot(ShardedSampler& sampler, const SnapshotInputs& in) {
  auto s = std::make_shared<Snapshot>();
  s->seq = in.seq;
  s->status = in.status;
  s->chain_id = in.chain_id;
  s->params = sampler.params();
  s->total_steps = s->params.total_steps();
  s->composition = sampler.composition();
  s->models = in.models;
  if (sampler.has_chain()) {
    const ChainState& cs = sampler.state();
    s->step = cs.step;
    s->images = cs.x;
    // The preview of a denoising ladder: the step's estimate of the clean image, when it made one and
    // the chain has not moved since (a rewind or restart shows the chain itself).
    if (in.preview_denoised && in.last_stats && in.last_stats->denoised.defined() &&
        in.last_stats->denoised.sizes() == cs.x.sizes() && in.stats_step == cs.step) {
      s->images = in.last_stats->denoised.clamp(0.0, 1.0);
      s->images_denoised = true;
    }
    s->sample_ids = to_ints(cs.sample_ids);
    s->resets = to_ints(cs.resets);
    for (const auto& kv : cs.attention) s->masks.emplace_back(kv.first, torch::softmax(kv.second, 1));
    s->memory.chain_bytes = cs.bytes();
    s->memory.device_bytes = device_bytes(cs.x);
  }
  s->has_composition = sampler.has_composition();
  try {
    if (s->has_composition) s->term_names = sampler.term_names();
  } catch (const std::exception&) {
    // Reported as an event when the edit was applied; the snapshot just carries no names.
  }
  if (in.last_stats && in.last_stats->energy.defined()) {
    const StepStats& st = *in.last_stats;
    s->energy = to_floats(st.energy);
    s->grad_norm = to_floats(st.grad_norm);
    const size_t b = s->energy.size();
    for (size_t i = 0; i < s->term_names.size(); ++i) {
      if (i < st.per_term.size() && st.per_term[i].defined())
        s->term_energy.push_back(to_floats(st.per_term[i]));
      else
        s->term_energy.emplace_back(b, kNaN);
    }
  }
  s->step_path = sampler.last_step_path();
  s->compilations = sampler.compilations();
  s->devices = sampler.has_chain() ? sampler.shards() : 1;
  if (in.history) {
    s->memory.history_bytes = in.history->bytes();
    s->kept_steps = in.history->steps();
  }
  s->curves = in.curves;
  s->gradient_maps = in.gradient_maps;
  return s;
}

}  // namespace ebm
