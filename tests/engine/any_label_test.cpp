// Terms with any label (Node::any_label, recipe "label": "any"): each sample of a chain gets a label
// of its own, drawn from the model's schema as a pure function of the seed, the sample's id and the
// term's name — the placement of an object by a position term (MODEL_CARD.md 2026-12-05).
#include "engine/energy/composition.h"
#include "engine/recipe/recipe.h"
#include "engine/sampling/gradient_maps.h"
#include "engine/sampling/sampler.h"
#include "test_energies.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

namespace ebm {
namespace {

using test::kSize;

// E(x | c) = ½‖x − c‖² over the first len(c) channels' means: a label of any length and schema.
std::shared_ptr<EnergyModel> labelled(LabelSchema schema) {
  ModelInfo info;
  info.image_size = kSize;
  info.label_size = schema.size();
  info.schema = std::move(schema);
  return std::make_shared<FunctionModel>(
      [](const torch::Tensor& x, const torch::Tensor& label) {
        auto m = x.mean({1, 2, 3}).unsqueeze(1);
        return 0.5 * (m - label).square().sum(1);
      },
      info);
}

Node any_term(const std::string& name, const std::string& model) {
  Node t = Node::term(name, model);
  t.any_label = true;
  return t;
}

SamplerParams params(int64_t batch, int64_t offset, uint64_t seed) {
  SamplerParams p;
  p.batch = batch;
  p.sample_offset = offset;
  p.seed = seed;
  p.steps = 2;
  return p;
}

torch::Tensor drawn(Sampler& s, int term = 0) { return s.compiled().terms().at(static_cast<size_t>(term)).label.cpu(); }
torch::Tensor drawn(const std::unique_ptr<Sampler>& s, int term = 0) { return drawn(*s, term); }

struct AnyLabel : ::testing::Test {
  ModelSet models{{"pos", labelled(LabelSchema::cubes_position())},
                  {"col", labelled(LabelSchema::cubes_color())},
                  {"plain", test::linear(torch::ones({3, kSize, kSize}))}};
  std::unique_ptr<Sampler> start(const Node& root, int64_t batch, int64_t offset, uint64_t seed) {
    auto s = std::make_unique<Sampler>();
    s->set_models(models);
    s->set_composition(root);
    s->set_params(params(batch, offset, seed));
    s->start();
    return s;
  }
};

TEST_F(AnyLabel, EachSampleDrawsAPositionInTheSchemasRangeThatDependsOnlyOnItsIdAndTheSeed) {
  auto a = start(any_term("place", "pos"), 8, 0, 3);
  const auto la = drawn(a);
  ASSERT_EQ(la.sizes(), (std::vector<int64_t>{8, 2}));
  EXPECT_GE(la.min().item<float>(), -1.f);
  EXPECT_LE(la.max().item<float>(), 1.f);
  // Eight different positions, spread over the square (not all near one corner).
  EXPECT_GT(la.std(0).min().item<float>(), 0.2f);
  for (int i = 1; i < 8; ++i) EXPECT_FALSE(torch::equal(la[i], la[0])) << i;
  // Samples 4…7 of the same seed in a batch of their own draw the same labels.
  auto b = start(any_term("place", "pos"), 4, 4, 3);
  EXPECT_TRUE(torch::equal(drawn(b), la.slice(0, 4, 8)));
  // Another seed draws others.
  auto c = start(any_term("place", "pos"), 8, 0, 4);
  EXPECT_FALSE(torch::equal(drawn(c), la));
  // Another term name is another stream.
  auto d = start(any_term("where", "pos"), 8, 0, 3);
  EXPECT_FALSE(torch::equal(drawn(d), la));
}

TEST_F(AnyLabel, AOneHotConceptDrawsAClassPerSample) {
  auto s = start(any_term("colour", "col"), 64, 0, 1);
  const auto l = drawn(s);
  ASSERT_EQ(l.sizes(), (std::vector<int64_t>{64, 20}));
  EXPECT_TRUE(torch::equal(l.sum(1), torch::ones({64})));
  EXPECT_TRUE(((l == 0) | (l == 1)).all().item<bool>());
  // 64 draws over 20 classes use many of them.
  EXPECT_GE((l.sum(0) > 0).sum().item<int64_t>(), 12);
}

TEST_F(AnyLabel, TheDrawnLabelsSurviveValueEditsAndTheChainsStepsUseThem) {
  Node root = Node::op(NodeKind::And, {Node::term("plain", "plain"), any_term("place", "pos")});
  auto sp = start(root, 4, 0, 9);
  Sampler& s = *sp;
  const auto before = drawn(s, 1);
  // A label typed onto the term, a weight edit, and a tree of the same structure keep the draws.
  s.edit_values({ValueEdit::term_label({1}, {0.5f, 0.5f}), ValueEdit::weight({1}, 2.0)});
  s.step();
  EXPECT_TRUE(torch::equal(drawn(s, 1), before));
  root.children[1].weight = 3.0;
  s.set_composition(root);
  s.step();
  EXPECT_TRUE(torch::equal(drawn(s, 1), before));
  // The energy each sample feels is its own label's: sample 2's term energy, alone, is row 2's.
  const auto& comp = s.compiled();
  const auto x = s.state().x;
  const auto all = comp.term_energy(1, x, {}, 0.0);
  const auto one = comp.term_energy(1, x.narrow(0, 2, 1), {}, 0.0, 2);
  EXPECT_NEAR(one.item<double>(), all[2].item<double>(), 1e-6);
  EXPECT_THROW(comp.term_energy(1, x.narrow(0, 2, 1), {}, 0.0, 4), std::invalid_argument);
  const auto maps = term_gradients(comp, x.narrow(0, 2, 1), {}, 0.0, 2);
  ASSERT_EQ(maps.size(), 2u);
  EXPECT_NEAR(maps[1].energy, all[2].item<double>(), 1e-6);
}

TEST_F(AnyLabel, AModelWithoutALabelIsRefusedAndTheRecipeSaysAny) {
  Sampler s;
  s.set_models(models);
  s.set_composition(any_term("plain", "plain"));
  s.set_params(params(2, 0, 1));
  try {
    s.start();
    FAIL() << "an any-label term on a model without labels must be refused";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("takes no label"), std::string::npos) << e.what();
  }
  Recipe r;
  r.models = {{"pos", "pos.safetensors", ""}};
  r.composition = any_term("place", "pos");
  const auto j = recipe_to_json(r);
  EXPECT_EQ(j["composition"]["label"], "any");
  const Recipe back = recipe_from_json(j, nullptr);
  EXPECT_TRUE(back.composition.any_label);
  EXPECT_TRUE(back.composition.label.empty());
  auto bad = j;
  bad["composition"]["label"] = "anything";
  try {
    recipe_from_json(bad, nullptr);
    FAIL() << "a label string other than \"any\" must be refused";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("\"any\""), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace ebm
