#include "engine/sampling/sharded_sampler.h"

#include "engine/gpu/device_check.h"

#include <stdexcept>

namespace ebm {

namespace {

// Rows [first, first+count) of every tensor of a whole-batch state, on `dev`.
ChainState rows_of(const ChainState& s, const BatchShare& share, const torch::Device& dev) {
  auto part = [&](const torch::Tensor& t) { return t.narrow(0, share.first, share.count).to(dev); };
  ChainState out;
  out.x = part(s.x);
  out.sample_ids = part(s.sample_ids);
  out.resets = part(s.resets);
  for (const auto& kv : s.attention) out.attention[kv.first] = part(kv.second);
  out.step = s.step;
  return out;
}

// The shards' [count] tensors as one [batch] tensor on `dev`; undefined parts (a statistic a shard
// did not produce) are filled with `fill`, as long as one part is defined.
torch::Tensor gather(const std::vector<torch::Tensor>& parts, const std::vector<std::int64_t>& counts,
                     const torch::Device& dev, double fill) {
  torch::TensorOptions opt;
  bool any = false;
  for (const auto& t : parts)
    if (t.defined()) opt = t.options().device(dev), any = true;
  if (!any) return {};
  std::vector<torch::Tensor> on_dev;
  for (size_t k = 0; k < parts.size(); ++k)
    on_dev.push_back(parts[k].defined() ? parts[k].to(dev) : torch::full({counts[k]}, fill, opt));
  return torch::cat(on_dev, 0);
}

}  // namespace

ShardedSampler::ShardedSampler() {
  shards_.emplace_back();
  shards_.front().sampler = std::make_unique<Sampler>();
}

ShardedSampler::~ShardedSampler() = default;

std::vector<torch::Device> ShardedSampler::devices() const {
  std::vector<torch::Device> out;
  for (const auto& s : shards_) out.push_back(s.sampler->device());
  return out;
}

CheckedSamplerParams ShardedSampler::shard_params(const CheckedSamplerParams& checked, int k, int n) const {
  if (n == 1) return checked;
  const SamplerParams& p = checked.get();
  SamplerParams q = p;
  const BatchShare share = batch_share(p.batch, n, k);
  const auto ids = p.ids();
  q.sample_ids.assign(ids.begin() + share.first, ids.begin() + share.first + share.count);
  q.batch = share.count;
  q.devices = 1;
  q.device = consecutive_devices(parse_device(p.device), n)[static_cast<size_t>(k)].str();
  if (q.micro_batch == 0) q.micro_batch = share_size(p.batch, n);
  return CheckedSamplerParams(std::move(q));
}

SamplerParams ShardedSampler::running_params() const {
  return has_chain() ? params_->with_identity_of(chain_params_) : params_.get();
}

SamplerParams ShardedSampler::chain_params() const {
  SamplerParams p = running_params();
  if (has_chain()) p.micro_batch = primary().params().micro_batch;  // the chunk every shard evaluates in
  return p;
}

void ShardedSampler::update_copies(Shard& s) {
  for (auto it = s.copies.begin(); it != s.copies.end();) {
    auto src = models_.find(it->first);
    if (src == models_.end() || src->second.get() != s.copied_from[it->first]) {
      s.copied_from.erase(it->first);
      it = s.copies.erase(it);
    } else {
      ++it;
    }
  }
  for (const auto& kv : models_) {
    if (s.copies.count(kv.first)) continue;
    auto copy = kv.second->replicate();
    if (!copy)
      throw std::invalid_argument("model '" + kv.first + "' cannot be copied to another device, so a chain split over " +
                                  std::to_string(shards_.size()) + " devices cannot use it; sample it on one device");
    copy->to_device(s.device);
    s.copies[kv.first] = copy;
    s.copied_from[kv.first] = kv.second.get();
  }
}

void ShardedSampler::set_models(ModelSet models) {
  for (const auto& kv : models)
    if (!kv.second) throw std::invalid_argument("model '" + kv.first + "' is empty");
  ModelSet old = std::move(models_);
  models_ = std::move(models);
  try {
    for (size_t k = 1; k < shards_.size(); ++k) update_copies(shards_[k]);
  } catch (...) {
    models_ = std::move(old);
    for (size_t k = 1; k < shards_.size(); ++k) update_copies(shards_[k]);
    throw;
  }
  primary().set_models(models_);
  for (size_t k = 1; k < shards_.size(); ++k) shards_[k].sampler->set_models(shards_[k].copies);
}

void ShardedSampler::set_composition(Node root) {
  primary().set_composition(root);  // validates; throws before any shard changed
  for (size_t k = 1; k < shards_.size(); ++k) shards_[k].sampler->set_composition(root);
  root_ = std::move(root);
}

void ShardedSampler::edit_values(const std::vector<ValueEdit>& edits) {
  primary().edit_values(edits);  // checks; throws before any shard changed
  for (size_t k = 1; k < shards_.size(); ++k) shards_[k].sampler->edit_values(edits);
  root_ = primary().composition();
}

std::int64_t ShardedSampler::compilations() const {
  std::int64_t n = 0;
  for (const auto& s : shards_) n += s.sampler->compilations();
  return n;
}

void ShardedSampler::set_params(SamplerParams p) { set_params(CheckedSamplerParams::check(std::move(p))); }

void ShardedSampler::set_params(CheckedSamplerParams p) {
  params_ = std::move(p);
  forward_params();
}

void ShardedSampler::forward_params() {
  // Identity fields (seed, batch, ids, device…) reach a shard at start(); mid-chain a shard gets the
  // Langevin edits with its running share, so nothing it holds changes meaning. Checked params with
  // the identity of a chain started from checked params are valid: nothing to check again.
  const CheckedSamplerParams checked(running_params());
  const SamplerParams& p = checked.get();
  const int n = shards();
  // Shards left from an earlier split while no chain runs (a start that failed): the next start
  // rebuilds them; until then only the first needs params (edits are checked against it).
  if (p.devices != n) {
    primary().set_params(shard_params(checked, 0, p.devices));
    return;
  }
  if (n > 1) {
    try {
      check_batch_split(p.batch, n, std::to_string(n) + " devices");
    } catch (const std::invalid_argument&) {
      return;  // a batch the running shards cannot take: start() rebuilds them for it
    }
  }
  for (int k = 0; k < n; ++k) shards_[static_cast<size_t>(k)].sampler->set_params(shard_params(checked, k, n));
}

void ShardedSampler::rebuild(const std::vector<torch::Device>& devices) {
  for (auto& s : shards_) s.sampler->stop();
  std::vector<Shard> fresh(devices.size());
  // The first shard keeps its sampler: its compiled composition is what edits are checked against.
  fresh[0].sampler = std::move(shards_[0].sampler);
  fresh[0].device = devices[0];
  shards_ = std::move(fresh);
  for (size_t k = 1; k < shards_.size(); ++k) {
    shards_[k].sampler = std::make_unique<Sampler>();
    shards_[k].device = devices[k];
  }
  try {
    for (size_t k = 1; k < shards_.size(); ++k) {
      update_copies(shards_[k]);
      shards_[k].sampler->set_models(shards_[k].copies);
      if (root_) shards_[k].sampler->set_composition(*root_);
    }
  } catch (...) {
    shards_.resize(1);
    throw;
  }
}

void ShardedSampler::start() {
  const std::vector<torch::Device> devices = consecutive_devices(parse_device(params_->device), params_->devices);
  const int n = static_cast<int>(devices.size());
  if (n > 1) {
    for (int k = 0; k < n; ++k)
      require_available(devices[static_cast<size_t>(k)],
                        "device " + std::to_string(k + 1) + " of the " + std::to_string(n) + " the chains are split over");
    check_batch_split(params_->batch, n, std::to_string(n) + " devices");
  }
  bool same = static_cast<int>(shards_.size()) == n;
  for (int k = 1; same && k < n; ++k) same = shards_[static_cast<size_t>(k)].device == devices[static_cast<size_t>(k)];
  if (!same) rebuild(devices);
  shards_[0].device = devices[0];
  for (int k = 0; k < n; ++k) shards_[static_cast<size_t>(k)].sampler->set_params(shard_params(params_, k, n));
  // Sampler::start leaves a failing shard's old chain in place; shards that did start would then
  // run a chain the others do not: stop them all so nothing half-started remains.
  try {
    for (auto& s : shards_) s.sampler->start();
  } catch (...) {
    for (auto& s : shards_) s.sampler->stop();
    if (n > 1) rebuild(devices);
    gathered_valid_ = false;
    throw;
  }
  chain_params_ = params_.get();
  gathered_valid_ = false;
}

StepStats ShardedSampler::step() {
  if (shards_.size() == 1) return primary().step();
  std::vector<StepStats> parts;
  parts.reserve(shards_.size());
  for (auto& s : shards_) parts.push_back(s.sampler->step());
  gathered_valid_ = false;
  const torch::Device dev = shards_[0].device;
  std::vector<std::int64_t> counts;
  for (const auto& s : shards_) counts.push_back(s.sampler->state().x.size(0));
  auto collect = [&](auto field) {
    std::vector<torch::Tensor> v;
    for (const auto& st : parts) v.push_back(field(st));
    return v;
  };
  StepStats out;
  out.energy = gather(collect([](const StepStats& s) { return s.energy; }), counts, dev, 0.0);
  out.grad_norm = gather(collect([](const StepStats& s) { return s.grad_norm; }), counts, dev, 0.0);
  out.reset = gather(collect([](const StepStats& s) { return s.reset; }), counts, dev, 0.0);
  out.accepted = gather(collect([](const StepStats& s) { return s.accepted; }), counts, dev, 0.0);
  out.denoised = gather(collect([](const StepStats& s) { return s.denoised; }), counts, dev, 0.0);
  for (size_t i = 0; i < parts[0].per_term.size(); ++i)
    out.per_term.push_back(gather(collect([i](const StepStats& s) { return i < s.per_term.size() ? s.per_term[i] : torch::Tensor(); }),
                                  counts, dev, 0.0));
  return out;
}

void ShardedSampler::stop() {
  for (auto& s : shards_) s.sampler->stop();
}

const ChainState& ShardedSampler::state() const {
  if (shards_.size() == 1) return primary().state();
  if (gathered_valid_) return gathered_;
  const torch::Device dev = shards_[0].device;
  ChainState g;
  std::vector<torch::Tensor> x, ids, resets;
  std::map<std::string, std::vector<torch::Tensor>> att;
  for (const auto& s : shards_) {
    const ChainState& c = s.sampler->state();
    x.push_back(c.x.to(dev));
    ids.push_back(c.sample_ids.to(dev));
    resets.push_back(c.resets.to(dev));
    for (const auto& kv : c.attention) att[kv.first].push_back(kv.second.to(dev));
  }
  g.x = torch::cat(x, 0);
  g.sample_ids = torch::cat(ids, 0);
  g.resets = torch::cat(resets, 0);
  for (auto& kv : att)
    if (kv.second.size() == shards_.size()) g.attention[kv.first] = torch::cat(kv.second, 0);
  g.step = primary().state().step;
  gathered_ = std::move(g);
  gathered_valid_ = true;
  return gathered_;
}

void ShardedSampler::restore(const ChainState& s) {
  if (shards_.size() == 1) return primary().restore(s);
  if (!s.x.defined()) throw std::invalid_argument("cannot restore an empty chain state");
  const std::int64_t batch = chain_params_.batch;
  if (!has_chain() || s.x.size(0) != batch)
    throw std::invalid_argument("kept state has another batch than the chain split over " + std::to_string(shards()) +
                                " devices; restart instead");
  const int n = shards();
  std::vector<ChainState> parts;
  for (int k = 0; k < n; ++k)
    parts.push_back(rows_of(s, batch_share(batch, n, k), shards_[static_cast<size_t>(k)].device));
  // The parts have the batches and devices the shards were started with; a state of another image
  // shape fails on the first shard, before any other changed.
  for (int k = 0; k < n; ++k) shards_[static_cast<size_t>(k)].sampler->restore(parts[static_cast<size_t>(k)]);
  gathered_ = s;
  gathered_valid_ = true;
}

}  // namespace ebm
