// The sampler split over several devices in one process (the studio's worker on N GPUs), tested
// with CPU shards: the same split, model copies and gathering as on GPUs, taking turns. A split
// chain must draw the one-device chain's images (at micro_batch = one share), rewind, take edits
// on every shard, and refuse what it cannot split with errors that say why.
#include "engine/energy/network_model.h"
#include "engine/session.h"
#include "engine/sampling/sharded_sampler.h"
#include "engine/energy/denoising_model.h"
#include "models/registry.h"
#include "test_energies.h"
#include "wait_for_snapshot.h"

#include <gtest/gtest.h>

namespace ebm {
namespace {

Node two_terms(double w, float label) {
  return Node::op(NodeKind::And, {Node::term("a", "net", {label, 0.f}, w), Node::term("b", "quad", {0.2f, 0.5f, 0.8f})});
}

SamplerParams params(int devices, std::int64_t micro_batch = 0) {
  SamplerParams p;
  p.batch = 5;  // shares of 3 and 2 over two devices
  p.steps = 12;
  p.step_lr = 0.05;
  p.noise_std = 0.01;
  p.seed = 11;
  p.devices = devices;
  p.micro_batch = micro_batch;
  return p;
}

ModelSet test_models() { return {{"net", test::tiny_net()}, {"quad", test::quadratic()}}; }

std::unique_ptr<ShardedSampler> sharded(int devices, ModelSet models = test_models()) {
  auto s = std::make_unique<ShardedSampler>();
  s->set_models(std::move(models));
  s->set_composition(two_terms(1.0, 0.5f));
  s->set_params(params(devices));
  return s;
}

// The one-device reference: chunks of one share (3), as the split chain evaluates.
std::unique_ptr<Sampler> one_device() {
  auto s = std::make_unique<Sampler>();
  s->set_models(test_models());
  s->set_composition(two_terms(1.0, 0.5f));
  s->set_params(params(1, 3));
  return s;
}

TEST(ShardedSampler, TwoShardsDrawTheOneDeviceChainAndGatherItsStatistics) {
  torch::NoGradGuard ng;
  auto split = sharded(2);
  auto one = one_device();
  split->start();
  one->start();
  EXPECT_EQ(split->shards(), 2);
  for (int i = 0; i < 6; ++i) {
    const StepStats a = split->step();
    const StepStats b = one->step();
    ASSERT_EQ(a.energy.sizes(), b.energy.sizes());
    EXPECT_TRUE(torch::equal(a.energy, b.energy)) << "step " << i;
    EXPECT_TRUE(torch::equal(a.grad_norm, b.grad_norm));
    ASSERT_EQ(a.per_term.size(), 2u);
    for (size_t t = 0; t < 2; ++t) EXPECT_TRUE(torch::equal(a.per_term[t], b.per_term[t]));
  }
  EXPECT_TRUE(torch::equal(split->state().x, one->state().x));
  EXPECT_TRUE(torch::equal(split->state().sample_ids, torch::arange(5, torch::kLong)));
  EXPECT_EQ(split->state().step, 6);
  EXPECT_EQ(split->step_count(), 6);
  // The recipe of the split chain names the chunk its images were evaluated in.
  EXPECT_EQ(split->chain_params().micro_batch, 3);
  EXPECT_EQ(split->chain_params().devices, 2);
  EXPECT_EQ(split->chain_params().batch, 5);
}

TEST(ShardedSampler, ExplicitSampleIdsKeepTheirOrderAcrossShards) {
  torch::NoGradGuard ng;
  auto split = sharded(3);
  SamplerParams p = split->params();
  p.batch = 4;
  p.sample_ids = {9, 2, 40, 7};  // shares 2, 2, 0 over three: refused; over two: 2 and 2
  EXPECT_THROW(split->set_params(p), std::invalid_argument);
  p.devices = 2;
  split->set_params(p);
  split->start();
  split->step();
  auto ids = split->state().sample_ids;
  EXPECT_TRUE(torch::equal(ids, torch::tensor(std::vector<int64_t>{9, 2, 40, 7})));
}

TEST(ShardedSampler, RewindAndValueEditsReachEveryShard) {
  torch::NoGradGuard ng;
  auto split = sharded(2);
  auto one = one_device();
  split->start();
  one->start();
  for (int i = 0; i < 3; ++i) split->step(), one->step();
  const ChainState kept = split->state();
  for (int i = 0; i < 4; ++i) split->step();
  split->restore(kept);
  EXPECT_EQ(split->step_count(), 3);
  EXPECT_TRUE(torch::equal(split->state().x, kept.x));
  // A weight, a label and the step size edited mid-chain, on both chains.
  split->set_composition(two_terms(0.3, -0.6f));
  one->set_composition(two_terms(0.3, -0.6f));
  SamplerParams p = split->params();
  p.step_lr = 0.02;
  split->set_params(p);
  SamplerParams q = one->params();
  q.step_lr = 0.02;
  one->set_params(q);
  for (int i = 0; i < 3; ++i) split->step(), one->step();
  EXPECT_TRUE(torch::equal(split->state().x, one->state().x));
  // A state of another batch is refused, and nothing changes.
  ChainState wrong = kept;
  wrong.x = kept.x.narrow(0, 0, 4);
  EXPECT_THROW(split->restore(wrong), std::invalid_argument);
  EXPECT_EQ(split->step_count(), 6);
}

TEST(ShardedSampler, NetworkAndDenoisingModelsAreCopiedWithTheirWeights) {
  torch::NoGradGuard ng;
  ModelConfig cfg = ModelConfig::defaults_for(Arch::CubesNet);
  cfg.num_filters = 4;
  cfg.label_size = 2;
  torch::manual_seed(5);
  auto net = std::make_shared<NetworkModel>(make_network(cfg));
  DenoisingSettings set;
  ModelConfig dcfg = cfg;
  dcfg.label_size = set.network_label_size();
  dcfg.energy_kind = EnergyKind::Denoising;
  auto dsm = std::make_shared<DenoisingModel>(DenoisingEnergy(make_network(dcfg), set, 0.7));
  const auto x = torch::rand({2, 3, 64, 64});
  const auto label = torch::tensor({{0.3f, -0.2f}, {0.1f, 0.5f}});
  // Copying draws nothing from the CPU stream a caller may be using.
  torch::manual_seed(42);
  const auto next = torch::rand({4});
  torch::manual_seed(42);
  auto net_copy = net->replicate();
  auto dsm_copy = dsm->replicate();
  EXPECT_TRUE(torch::equal(torch::rand({4}), next));
  ASSERT_TRUE(net_copy && dsm_copy);
  EXPECT_TRUE(torch::equal(net->energy(x, label, {}, 0.0), net_copy->energy(x, label, {}, 0.0)));
  EXPECT_TRUE(torch::equal(dsm->energy(x, label, {}, 0.3), dsm_copy->energy(x, label, {}, 0.3)));
  EXPECT_EQ(dsm_copy->info().guidance, dsm->info().guidance);
  EXPECT_EQ(dsm_copy->info().data_mean, dsm->info().data_mean);
  // Independent tensors: moving or changing the copy leaves the original alone.
  auto* copy_net = dynamic_cast<NetworkModel*>(net_copy.get());
  ASSERT_NE(copy_net, nullptr);
  for (auto& p : copy_net->network()->parameters()) p.add_(1.0);
  EXPECT_FALSE(torch::equal(net->energy(x, label, {}, 0.0), net_copy->energy(x, label, {}, 0.0)));
}

// A model that cannot be copied (replicate() is nullptr by default).
class Uncopyable : public EnergyModel {
 public:
  torch::Tensor energy(const torch::Tensor& x, const torch::Tensor&, const torch::Tensor&, double) override {
    return x.flatten(1).square().sum(1);
  }
  ModelInfo info() const override {
    ModelInfo i;
    i.image_size = test::kSize;
    return i;
  }
};

TEST(ShardedSampler, WhatCannotBeSplitIsRefusedWithTheReason) {
  torch::NoGradGuard ng;
  // A batch smaller than the devices, or one that leaves a device nothing.
  SamplerParams p = params(2);
  p.batch = 1;
  try {
    p.validate();
    FAIL() << "batch 1 over 2 devices was accepted";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("sampler.devices"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("at least 2"), std::string::npos) << e.what();
  }
  p.batch = 5;
  p.devices = 4;  // shares of 2: 2, 2, 1, 0
  EXPECT_THROW(p.validate(), std::invalid_argument);
  p.devices = 0;
  EXPECT_THROW(p.validate(), std::invalid_argument);

  // A model without a copy: refused when the chain is split, named in the error; one device is fine.
  auto s = std::make_unique<ShardedSampler>();
  s->set_models({{"u", std::make_shared<Uncopyable>()}});
  s->set_composition(Node::term("t", "u", {}));
  s->set_params(params(2));
  try {
    s->start();
    FAIL() << "an uncopyable model was split";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("model 'u' cannot be copied"), std::string::npos) << e.what();
  }
  EXPECT_FALSE(s->has_chain());
  s->set_params(params(1));
  s->start();
  s->step();
  EXPECT_EQ(s->shards(), 1);
  EXPECT_EQ(s->state().x.size(0), 5);
}

// A start that fails after the shards were built (a composition naming a model that is not loaded)
// leaves no chain; params for another split must then be taken, and the next start use them.
TEST(ShardedSampler, AFailedStartLeavesNothingRunningAndTakesAnotherSplitAfter) {
  torch::NoGradGuard ng;
  auto s = sharded(2);
  s->set_composition(Node::term("t", "missing", {}));
  EXPECT_THROW(s->start(), std::exception);
  EXPECT_FALSE(s->has_chain());
  s->set_params(params(1));
  s->set_composition(two_terms(1.0, 0.5f));
  s->start();
  s->step();
  EXPECT_EQ(s->shards(), 1);
  SamplerParams three = params(3);
  s->set_params(three);  // a running one-device chain takes the edit; the split waits for a restart
  s->step();
  EXPECT_EQ(s->shards(), 1);
  s->start();
  s->step();
  EXPECT_EQ(s->shards(), 3);
  EXPECT_EQ(s->state().x.size(0), 5);
}

TEST(ShardedSampler, ASessionSplitOverTwoDevicesPublishesTheGatheredChain) {
  Session session;
  session.submit(cmd::AddModel{"net", test::tiny_net(), ""});
  session.submit(cmd::AddModel{"quad", test::quadratic(), ""});
  session.submit(cmd::SetComposition{two_terms(1.0, 0.5f)});
  SamplerParams p = params(2);
  session.submit(cmd::SetSampler{p});
  session.submit(cmd::Start{});
  // Settled after the run (the first snapshots are of the idle session, before the commands ran).
  auto snap = test::wait_for(session, [](const Snapshot& x) { return x.status == SessionStatus::Finished; }, 60000);
  ASSERT_EQ(snap->status, SessionStatus::Finished);
  EXPECT_EQ(snap->devices, 2);
  EXPECT_EQ(snap->step, 12);
  ASSERT_EQ(snap->sample_ids.size(), 5u);
  EXPECT_EQ(snap->energy.size(), 5u);
  torch::NoGradGuard ng;
  auto one = one_device();
  one->start();
  for (int i = 0; i < 12; ++i) one->step();
  EXPECT_TRUE(torch::equal(snap->images, one->state().x));
  // Curves hold a row per step, and the kept history rewinds the split chain.
  ASSERT_TRUE(snap->curves);
  EXPECT_EQ(snap->curves->steps.size(), 12u);
  session.submit(cmd::Rewind{4});
  snap = test::wait_for(session, [](const Snapshot& x) { return x.step == 4; }, 60000);
  EXPECT_EQ(snap->step, 4);
  EXPECT_EQ(snap->status, SessionStatus::Paused);
}

}  // namespace
}  // namespace ebm

namespace ebm {
namespace {

// A denoising model (what the shipped concept files are) in a session split over two CPU shares,
// on its annealed ladder: the chain has the requested batch and split, and no error is reported.
TEST(ShardedSampler, ADenoisingModelSplitInASessionKeepsItsBatch) {
  ModelConfig cfg = ModelConfig::defaults_for(Arch::CubesNet);
  cfg.num_filters = 4;
  DenoisingSettings set;
  cfg.label_size = set.network_label_size();
  cfg.energy_kind = EnergyKind::Denoising;
  torch::manual_seed(4);
  auto dsm = std::make_shared<DenoisingModel>(DenoisingEnergy(make_network(cfg), set, 0.7));
  Session session;
  session.submit(cmd::AddModel{"d", dsm, ""});
  session.submit(cmd::SetComposition{Node::term("p", "d", {0.4f, -0.3f})});
  SamplerParams p;
  p.batch = 4;
  p.devices = 2;
  p.schedule = geometric_schedule(1.0, 0.05, 3, 1, 1e-3);
  p.clamp = false;
  p.init = InitMode::Noise;
  session.submit(cmd::SetSampler{p});
  session.submit(cmd::Step{2});
  auto snap = test::wait_for(
      session, [](const Snapshot& x) { return x.step == 2 && x.status == SessionStatus::Paused; }, 60000);
  for (const auto& e : snap->events) EXPECT_NE(e.kind, Event::Kind::Error) << e.message;
  ASSERT_TRUE(snap->images.defined());
  EXPECT_EQ(snap->images.size(0), 4);
  EXPECT_EQ(snap->devices, 2);
}

}  // namespace
}  // namespace ebm
