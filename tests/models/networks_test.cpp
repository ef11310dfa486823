// The four networks: full-size parameter counts (spec §3), parameter/TF names (spec §7), registry
// validation and errors, output shapes, and a negative control for the parity suite.
#include "models/cubesnet.h"
#include "models/registry.h"
#include "parity_util.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <set>

namespace ebm {
namespace {

std::shared_ptr<NetworkImpl> full(Arch a, int label_size) {
  ModelConfig c = ModelConfig::defaults_for(a);
  if (a != Arch::CubesPredict) c.label_size = label_size;
  return make_network(c);
}

int64_t buffer_count(const NetworkImpl& n) { return static_cast<int64_t>(n.named_buffers().size()); }

TEST(Networks, FullSizeTrainableParameterCountsMatchTheOriginal) {
  EXPECT_EQ(full(Arch::CubesNet, 2)->num_trainable_parameters(), 2182727);
  EXPECT_EQ(full(Arch::CubesNet, 1)->num_trainable_parameters(), 2179527);
  EXPECT_EQ(full(Arch::CubesNet, 20)->num_trainable_parameters(), 2240327);
  EXPECT_EQ(full(Arch::ResNet128, 2)->num_trainable_parameters(), 15741256);
  EXPECT_EQ(full(Arch::CubesNetGen, 3)->num_trainable_parameters(), 1829702);
  EXPECT_EQ(full(Arch::CubesPredict, 0)->num_trainable_parameters(), 1838409);
}

TEST(Networks, VariableCountsAndUSizesMatchTheTfCheckpoints) {
  // TF variables per model (spec §7): parameters + u buffers.
  auto count = [](const std::shared_ptr<NetworkImpl>& n) { return static_cast<int>(n->tf_names().size()); };
  auto cubes = full(Arch::CubesNet, 2);
  EXPECT_EQ(count(cubes), 83);
  EXPECT_EQ(count(full(Arch::CubesNetGen, 3)), 69);
  auto resnet = full(Arch::ResNet128, 2);
  EXPECT_EQ(count(resnet), 108);
  EXPECT_EQ(count(full(Arch::CubesPredict, 0)), 33);
  int64_t u = 0;
  for (const auto& b : cubes->named_buffers()) u += b.value().numel();
  EXPECT_EQ(u, 1984);
  u = 0;
  for (const auto& b : resnet->named_buffers()) u += b.value().numel();
  EXPECT_EQ(u, 5056);
  EXPECT_EQ(buffer_count(*full(Arch::CubesPredict, 0)), 0) << "cubespredict has no spectral norm";
}

TEST(Networks, ParameterNamesFollowTheReferenceStateDict) {
  auto cubes = full(Arch::CubesNet, 2);
  auto p = cubes->named_parameters();
  for (const char* k : {"layers.c1_pre.c", "layers.c1_pre.b", "layers.res_optim_res_c2.g", "layers.res_1_res_adaptive.c",
                        "layers.res_4_res_c1.gb", "layers.res_4_res_c2.cb", "layers.fc_dense.w", "layers.fc5.b"})
    EXPECT_TRUE(p.contains(k)) << k;
  EXPECT_EQ(p["layers.res_optim_res_c2.g"].sizes(), (std::vector<int64_t>{2, 64}));
  EXPECT_EQ(p["layers.c1_pre.c"].sizes(), (std::vector<int64_t>{64, 3, 3, 3}));
  EXPECT_EQ(p["layers.fc5.w"].sizes(), (std::vector<int64_t>{256, 1}));
  EXPECT_TRUE(cubes->named_buffers().contains("layers.res_2_res_c1.u"));
  EXPECT_FALSE(cubes->named_buffers().contains("layers.fc5.u")) << "fc5 is never spectrally normalized";
  auto resnet = full(Arch::ResNet128, 2);
  for (const char* k : {"layers.atten.q.c", "layers.atten.k.b", "layers.atten.v.c", "layers.atten.gamma"})
    EXPECT_TRUE(resnet->named_parameters().contains(k)) << k;
  EXPECT_TRUE(resnet->named_buffers().contains("layers.atten.v.u"));
  EXPECT_EQ(resnet->named_parameters()["layers.atten.q.c"].sizes(), (std::vector<int64_t>{32, 64, 1, 1}));
}

TEST(Networks, TfNamesMapEveryTensorOneToOne) {
  for (auto n : {full(Arch::CubesNet, 2), full(Arch::CubesNetGen, 3), full(Arch::ResNet128, 2), full(Arch::CubesPredict, 0)}) {
    auto names = n->tf_names("context_3");
    std::map<std::string, std::string> m(names.begin(), names.end());
    EXPECT_EQ(m.size(), names.size());
    std::set<std::string> tf;
    for (const auto& kv : names) {
      EXPECT_EQ(kv.second.rfind("context_3/", 0), 0u) << kv.second;
      tf.insert(kv.second);
    }
    EXPECT_EQ(tf.size(), names.size()) << "two tensors map onto one TF variable";
    EXPECT_EQ(names.size(), n->named_parameters().size() + n->named_buffers().size());
  }
  auto names = full(Arch::ResNet128, 2)->tf_names();
  std::map<std::string, std::string> m(names.begin(), names.end());
  EXPECT_EQ(m["layers.c1_pre.c"], "context_0/c1_pre/cweight");
  EXPECT_EQ(m["layers.c1_pre.u"], "context_0/c1_pre/c_u");
  EXPECT_EQ(m["layers.res_3_res_c2.gb"], "context_0/res_3_res_c2/gb");
  EXPECT_EQ(m["layers.fc5.w"], "context_0/fc5/wweight");
  EXPECT_EQ(m["layers.atten.q.c"], "context_0/atten/atten_qweight");
  EXPECT_EQ(m["layers.atten.k.b"], "context_0/atten/atten_k_b1");
  EXPECT_EQ(m["layers.atten.v.u"], "context_0/atten/atten_v_u");
  EXPECT_EQ(m["layers.atten.gamma"], "context_0/atten/gamma");
  auto gen = full(Arch::CubesNetGen, 3)->tf_names();
  std::map<std::string, std::string> g(gen.begin(), gen.end());
  EXPECT_EQ(g["layers.fc_dense.u"], "context_0/fc_dense/w_u");
}

TEST(Networks, OutputShapesOfEachKind) {
  torch::NoGradGuard ng;
  ModelConfig c = ModelConfig::defaults_for(Arch::CubesNetGen);
  c.num_filters = 8;
  auto gen = make_network(c);
  EXPECT_EQ(gen->generate(torch::rand({2, 16}), torch::rand({2, 3})).sizes(), (std::vector<int64_t>{2, 3, 64, 64}));
  EXPECT_THROW(gen->energy(torch::rand({1, 3, 64, 64}), {}), std::logic_error);
  c = ModelConfig::defaults_for(Arch::CubesPredict);
  c.num_filters = 8;
  auto pred = make_network(c);
  auto [logit, pos] = pred->predict(torch::rand({2, 3, 64, 64}));
  EXPECT_EQ(logit.sizes(), (std::vector<int64_t>{2, 1}));
  EXPECT_EQ(pos.sizes(), (std::vector<int64_t>{2, 2}));
  EXPECT_THROW(pred->predict(torch::rand({2, 3, 32, 32})), std::invalid_argument);
  c = ModelConfig::defaults_for(Arch::ResNet128);
  c.num_filters = 4;
  c.dropout = true;
  auto res = make_network(c);
  auto x = torch::rand({2, 3, 32, 32});
  auto label = torch::tensor({{1.f, 0.f}, {0.f, 1.f}});
  auto e1 = res->energy(x, label), e2 = res->energy(x, label);
  EXPECT_EQ(e1.sizes(), (std::vector<int64_t>{2, 1}));
  EXPECT_FALSE(torch::equal(e1, e2)) << "dropout(0.5) is on in every mode, as the original's train=True";
  EXPECT_THROW(res->generate(torch::rand({1, 8}), {}), std::logic_error);
  EXPECT_THROW(res->predict(x), std::logic_error);
}

TEST(Networks, BadInputsGiveClearErrors) {
  ModelConfig c = ModelConfig::defaults_for(Arch::CubesNet);
  c.num_filters = 4;
  auto net = make_network(c);
  torch::NoGradGuard ng;
  auto x = torch::rand({2, 3, 64, 64});
  EXPECT_THROW(net->energy(x, torch::rand({2, 3})), std::invalid_argument);  // label_size 2
  EXPECT_THROW(net->energy(x, {}), std::invalid_argument);                   // cclass needs a label
  EXPECT_THROW(net->energy(torch::rand({2, 1, 64, 64}), torch::rand({2, 2})), std::invalid_argument);
  c.cclass = false;
  c.comb_mask = true;
  auto masked = make_network(c);
  EXPECT_THROW(masked->energy(x, {}), std::invalid_argument);  // needs a mask
  c.augment_vis = true;
  EXPECT_THROW(make_network(c), std::invalid_argument);
}

TEST(Registry, ValidatesConfigAndSchemaAndPicksDefaults) {
  ModelConfig c = ModelConfig::defaults_for(Arch::CubesNet);
  c.num_filters = 0;
  EXPECT_THROW(make_network(c), std::invalid_argument);
  c = ModelConfig::defaults_for(Arch::CubesNet);
  c.num_filters = 4;
  EXPECT_THROW(make_network(c, LabelSchema::cubes_color()), std::invalid_argument);
  EXPECT_EQ(make_network(c)->schema().concept_name, "position");
  c.label_size = 20;
  EXPECT_EQ(make_network(c)->schema().concept_name, "color");
  ModelConfig r = ModelConfig::defaults_for(Arch::ResNet128);
  r.num_filters = 4;
  EXPECT_TRUE(default_schema(r).one_hot());
  ModelConfig g = ModelConfig::defaults_for(Arch::CubesNetGen);
  EXPECT_EQ(default_schema(g).slots.at(0).name, "size");
  EXPECT_EQ(default_schema(ModelConfig::defaults_for(Arch::CubesPredict)).size(), 0);
}

TEST(Networks, ParityFixtureDetectsAChangedFlag) {
  // Negative control: the parity check is not vacuous — the same weights with leaky_relu instead
  // of swish must miss the swish fixture by far more than the tolerance.
  auto c = test::load_parity_case("cubes_base");
  c.config.swish_act = false;
  auto model = test::build_parity_model(c, torch::kCPU);
  auto got = test::run_parity_case(c, *model, torch::kCPU);
  EXPECT_GT(test::max_rel_error(got.at("energy"), c.tensors.at("energy")), 1e-2);
}

}  // namespace
}  // namespace ebm
