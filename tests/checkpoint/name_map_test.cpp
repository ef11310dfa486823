// NameMap on hand-written pairs (the per-model tests over real networks are in
// name_map_models_test.cpp).
#include "models/checkpoint/name_map.h"

#include <gtest/gtest.h>

using namespace ebm;

namespace {
NameMap small_map() {
  return NameMap::from_pairs({{"layers.c1_pre.c", "context_0/c1_pre/cweight"},
                              {"layers.c1_pre.u", "context_0/c1_pre/c_u"},
                              {"layers.fc5.w", "context_0/fc5/wweight"},
                              {"layers.fc5.u", "context_0/fc5/w_u"},
                              {"layers.atten.q.c", "context_0/atten/atten_qweight"},
                              {"layers.atten.gamma", "context_0/atten/gamma"}});
}
}  // namespace

TEST(NameMap, LayoutFollowsParameterName) {
  const auto m = small_map();
  ASSERT_EQ(m.entries().size(), 6u);
  EXPECT_EQ(m.entries()[0].layout, TfLayout::ConvHWIO);
  EXPECT_EQ(m.entries()[1].layout, TfLayout::AsIs);
  EXPECT_EQ(m.entries()[2].layout, TfLayout::AsIs);  // FC keeps TF's [in,out]
  EXPECT_EQ(m.entries()[4].layout, TfLayout::ConvHWIO);
  EXPECT_EQ(*m.tf_name("layers.fc5.u"), "context_0/fc5/w_u");
  EXPECT_EQ(*m.module_name("context_0/atten/gamma"), "layers.atten.gamma");
  EXPECT_FALSE(m.tf_name("layers.nope.c").has_value());
}

TEST(NameMap, ConvertsBothWaysWithLayoutChange) {
  torch::manual_seed(1);
  TensorMap module{{"layers.c1_pre.c", torch::randn({8, 3, 3, 3})}, {"layers.c1_pre.u", torch::randn({1, 8})},
                   {"layers.fc5.w", torch::randn({16, 1})},         {"layers.fc5.u", torch::randn({1, 1})},
                   {"layers.atten.q.c", torch::randn({4, 8, 1, 1})}, {"layers.atten.gamma", torch::zeros({1})}};
  const auto m = small_map();
  const auto tf = m.to_tf(module);
  ASSERT_TRUE(tf.complete());
  EXPECT_EQ(tf.tensors.at("context_0/c1_pre/cweight").sizes(), (std::vector<int64_t>{3, 3, 3, 8}));
  // HWIO[h][w][i][o] == OIHW[o][i][h][w]
  EXPECT_EQ(tf.tensors.at("context_0/c1_pre/cweight")[2][1][0][5].item<float>(),
            module.at("layers.c1_pre.c")[5][0][2][1].item<float>());
  EXPECT_EQ(tf.tensors.at("context_0/atten/atten_qweight").sizes(), (std::vector<int64_t>{1, 1, 8, 4}));
  const auto back = m.to_module(tf.tensors);
  ASSERT_TRUE(back.complete());
  for (const auto& [k, v] : module) EXPECT_TRUE(torch::equal(v, back.tensors.at(k))) << k;
}

TEST(NameMap, ReportsMissingAndUnused) {
  const auto m = small_map();
  TensorMap tf{{"context_0/c1_pre/cweight", torch::zeros({3, 3, 3, 8})},
               {"context_0/c1_pre/cweight/Adam", torch::zeros({3, 3, 3, 8})},
               {"beta1_power", torch::zeros({})}};
  const auto r = m.to_module(tf);
  EXPECT_FALSE(r.complete());
  EXPECT_EQ(r.missing.size(), 5u);
  EXPECT_EQ(r.unused, (std::vector<std::string>{"beta1_power", "context_0/c1_pre/cweight/Adam"}));
  EXPECT_EQ(r.tensors.size(), 1u);
}

TEST(NameMap, RejectsDuplicatesAndBadConvRank) {
  EXPECT_THROW(NameMap::from_pairs({{"a.c", "x"}, {"a.c", "y"}}), std::invalid_argument);
  EXPECT_THROW(NameMap::from_pairs({{"a.c", "x"}, {"b.c", "x"}}), std::invalid_argument);
  const auto m = NameMap::from_pairs({{"layers.c1.c", "s/c1/cweight"}});
  EXPECT_THROW(m.to_module({{"s/c1/cweight", torch::zeros({3, 3})}}), std::invalid_argument);
}

TEST(NameMap, DetectsScope) {
  EXPECT_EQ(detect_tf_scope({"context_3/c1/cweight", "context_3/c1/cweight/Adam", "beta1_power"}), "context_3");
  EXPECT_EQ(detect_tf_scope({"beta1_power"}), "");
  EXPECT_THROW(detect_tf_scope({"context_0/c1/cweight", "context_1/c1/cweight"}), std::invalid_argument);
  EXPECT_TRUE(looks_tf_named({"context_0/c1/cweight", "context_0/fc5/b"}));
  EXPECT_FALSE(looks_tf_named({"layers.c1.c", "layers.fc5.b"}));
  EXPECT_FALSE(looks_tf_named({}));
}
