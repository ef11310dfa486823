// The engine on the real networks (models/): small-width CubesNets so the suite stays fast on CPU.
#include "engine/energy/network_model.h"
#include "engine/sampling/sampler.h"
#include "engine/session.h"
#include "models/registry.h"
#include "wait_for_snapshot.h"

#include <gtest/gtest.h>

namespace ebm {
namespace {

std::shared_ptr<NetworkImpl> small_cubesnet(int label_size, bool comb_mask = false, uint64_t seed = 1) {
  torch::manual_seed(seed);
  ModelConfig c = ModelConfig::defaults_for(Arch::CubesNet);
  c.num_filters = 4;
  c.label_size = label_size;
  c.comb_mask = comb_mask;
  c.cclass = !comb_mask;  // comb_mask effectively requires cclass off (spec §3.1.1)
  return make_network(c);
}

TEST(NetworkModel, InfoAndSpectralCachePerChain) {
  auto net = small_cubesnet(2);
  NetworkModel m(net);
  EXPECT_EQ(m.info().image_size, 64);
  EXPECT_EQ(m.info().label_size, 2);
  EXPECT_EQ(m.info().attention_masks, 0);
  Sampler s;
  s.set_models({{"pos", std::make_shared<NetworkModel>(net)}});
  s.set_composition(Node::term("p", "pos", {0.2f, -0.4f}));
  SamplerParams p;
  p.batch = 2;
  p.steps = 2;
  s.set_params(p);
  s.start();
  EXPECT_TRUE(net->spectral_cache_active());
  auto st = s.step();
  EXPECT_EQ(st.energy.sizes(), (std::vector<int64_t>{2}));
  EXPECT_TRUE(torch::isfinite(s.state().x).all().item<bool>());
  s.stop();
  EXPECT_FALSE(net->spectral_cache_active());
  EXPECT_THROW(NetworkModel(make_network(ModelConfig::defaults_for(Arch::CubesPredict))), std::invalid_argument);
}

TEST(NetworkModel, TwoConceptsAreDeterministicPerSample) {
  ModelSet models{{"pos", std::make_shared<NetworkModel>(small_cubesnet(2, false, 1))},
                  {"shape", std::make_shared<NetworkModel>(small_cubesnet(3, false, 2))}};
  Node root = Node::op(NodeKind::And, {Node::term("pos", "pos", {0.f, -0.8f}), Node::term("cyl", "shape", {0.f, 0.f, 1.f})});
  auto run = [&](int64_t batch, int64_t offset) {
    Sampler s;
    s.set_models(models);
    s.set_composition(root);
    SamplerParams p;
    p.batch = batch;
    p.sample_offset = offset;
    p.seed = 5;
    s.set_params(p);
    s.start();
    for (int i = 0; i < 2; ++i) s.step();
    return s.state().x;
  };
  auto b3 = run(3, 0);
  auto b1 = run(1, 2);
  EXPECT_TRUE(torch::allclose(b3[2], b1[0], 1e-4, 1e-5));
}

TEST(NetworkModel, CombMaskChainRunsAndIsPublished) {
  auto net = small_cubesnet(2, /*comb_mask=*/true);
  ASSERT_EQ(NetworkModel(net).info().attention_masks, 3);
  Session s;
  s.submit(cmd::AddModel{"cm", std::make_shared<NetworkModel>(net)});
  s.submit(cmd::SetComposition{Node::term("parts", "cm")});
  SamplerParams p;
  p.batch = 1;
  p.steps = 2;
  s.submit(cmd::SetSampler{p});
  s.submit(cmd::Start{});
  auto snap = test::wait_for(
      s, [](const Snapshot& x) { return x.status == SessionStatus::Finished || x.status == SessionStatus::Error; }, 60000);
  ASSERT_EQ(snap->status, SessionStatus::Finished) << (snap->events.empty() ? "" : snap->events.back().message);
  ASSERT_EQ(snap->masks.size(), 1u);
  EXPECT_EQ(snap->masks[0].first, "parts");
  EXPECT_EQ(snap->masks[0].second.sizes(), (std::vector<int64_t>{1, 3, 64, 64}));
  // softmax over K: the masks sum to one per pixel.
  EXPECT_TRUE(torch::allclose(snap->masks[0].second.sum(1), torch::ones({1, 64, 64}), 1e-5, 1e-5));
}

}  // namespace
}  // namespace ebm
