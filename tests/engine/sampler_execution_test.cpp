// How the sampler executes a step, on the CPU: value edits written into the compiled composition in
// place (what lets a captured CUDA graph keep running), micro-batched evaluation, the precision
// option's device check, key tensors of the counter noise, and the recipe fields of all three.
#include "engine/recipe/recipe.h"
#include "engine/gpu/precision.h"
#include "engine/rng/counter_rng.h"
#include "engine/sampling/sampler.h"
#include "test_energies.h"

#include <gtest/gtest.h>

namespace ebm {
namespace {

Node two_terms(double w, float label) {
  return Node::op(NodeKind::And, {Node::term("a", "net", {label, 0.f}, w), Node::term("b", "quad", {0.2f, 0.5f, 0.8f})});
}

// Sampler owns a chain's caches and is neither copied nor moved.
std::unique_ptr<Sampler> make(int64_t micro_batch = 0) {
  auto sp = std::make_unique<Sampler>();
  Sampler& s = *sp;
  s.set_models({{"net", test::tiny_net()}, {"quad", test::quadratic()}});
  s.set_composition(two_terms(1.0, 0.5f));
  SamplerParams p;
  p.batch = 6;
  p.steps = 10;
  p.step_lr = 0.05;
  p.noise_std = 0.01;
  p.micro_batch = micro_batch;
  s.set_params(p);
  return sp;
}

TEST(SamplerExecution, AValueEditIsWrittenInPlaceAndAStructuralEditRecompiles) {
  auto sp = make();
  Sampler& s = *sp;
  s.start();
  s.step();
  const void* values = s.compiled().values().data_ptr();
  const void* label = s.compiled().terms()[0].label.data_ptr();
  s.set_composition(two_terms(2.5, -0.3f));  // weight and label only
  EXPECT_EQ(s.compiled().values().data_ptr(), values);
  EXPECT_EQ(s.compiled().terms()[0].label.data_ptr(), label);
  EXPECT_FLOAT_EQ(s.compiled().terms()[0].label[0][0].item<float>(), -0.3f);

  // The edited chain steps exactly like a chain compiled from scratch with the new values.
  auto freshp = make();
  Sampler& fresh = *freshp;
  fresh.set_composition(two_terms(2.5, -0.3f));
  fresh.start();
  fresh.restore(s.state());
  auto a = s.step();
  auto b = fresh.step();
  EXPECT_TRUE(torch::equal(s.state().x, fresh.state().x));
  EXPECT_TRUE(torch::equal(a.energy, b.energy));

  // A third term changes the structure: a new compile (new tensors).
  Node three = two_terms(2.5, -0.3f);
  three.children.push_back(Node::term("c", "quad", {0.5f, 0.5f, 0.5f}));
  s.set_composition(three);
  EXPECT_NE(s.compiled().values().data_ptr(), values);
  EXPECT_EQ(s.term_names().size(), 3u);
}

TEST(SamplerExecution, MicroBatchesGiveTheWholeBatchsStep) {
  auto wp = make(0), cp = make(4);  // chunks of 4 and 2
  Sampler &whole = *wp, &chunked = *cp;
  whole.start();
  chunked.start();
  for (int i = 0; i < 5; ++i) {
    auto a = whole.step();
    auto b = chunked.step();
    EXPECT_TRUE(torch::allclose(a.energy, b.energy, 1e-5, 1e-6));
    ASSERT_EQ(a.per_term.size(), b.per_term.size());
    for (size_t t = 0; t < a.per_term.size(); ++t) EXPECT_TRUE(torch::allclose(a.per_term[t], b.per_term[t], 1e-5, 1e-6));
  }
  EXPECT_LT((whole.state().x - chunked.state().x).abs().max().item<double>(), 1e-5);
  EXPECT_EQ(whole.last_step_path(), "eager");
}

TEST(SamplerExecution, Bf16OnTheCpuNeedsItsInstructionsAndTf32IsFp32There) {
  {
    auto a = make(), b = make();
    SamplerParams sp = b->params();
    sp.precision = Precision::Fp32;
    b->set_params(sp);
    a->start();
    b->start();
    a->step();
    b->step();
    EXPECT_TRUE(torch::equal(a->state().x, b->state().x));
  }
  {
    // bf16 on the CPU: where the CPU computes bf16 natively it samples (close to fp32); elsewhere the
    // start refuses it, naming the missing instructions.
    auto sampler = make(), ref = make();
    Sampler& s = *sampler;
    SamplerParams sp = s.params();
    sp.precision = Precision::Bf16;
    s.set_params(sp);
    if (cpu_has_native_bf16()) {
      s.start();
      ref->start();
      s.step();
      ref->step();
      EXPECT_LT((s.state().x - ref->state().x).abs().max().item<double>(), 0.05);
      EXPECT_FALSE(torch::equal(s.state().x, ref->state().x));  // bf16 arithmetic really ran
    } else {
      try {
        s.start();
        FAIL() << "expected an error for precision bf16 on a CPU without bf16 instructions";
      } catch (const std::invalid_argument& e) {
        EXPECT_NE(std::string(e.what()).find("bf16 instructions"), std::string::npos) << e.what();
      }
    }
  }
  EXPECT_THROW(precision_from_string("fp16"), std::invalid_argument);
}

TEST(SamplerExecution, KeyTensorsDrawTheSameNumbersAsHostKeys) {
  const auto ids = torch::tensor(std::vector<int64_t>{0, 5, int64_t{1} << 33}, torch::kLong);
  const std::uint32_t key = noise_key(42, NoiseStream::Langevin, 0, 17);
  const auto kt = key_tensor(key, torch::kCPU);
  EXPECT_TRUE(torch::equal(counter_normal(key, ids, {3, 4}), counter_normal(kt, ids, {3, 4})));
  EXPECT_TRUE(torch::equal(counter_uniform(key, ids, {2}), counter_uniform(kt, ids, {2})));
  EXPECT_THROW(counter_normal(torch::zeros({2}, torch::kLong), ids, {1}), c10::Error);
}

TEST(SamplerExecution, TheRecipeCarriesMicroBatchPrecisionAndGraphChoice) {
  Recipe r;
  r.models.push_back({"net", "net.safetensors", ""});
  r.composition = Node::term("a", "net", {0.5f, 0.f});
  r.sampler.micro_batch = 64;
  r.sampler.precision = Precision::Bf16;
  r.sampler.cuda_graph = false;
  std::vector<std::string> warnings;
  Recipe back = recipe_from_json(recipe_to_json(r), &warnings);
  EXPECT_EQ(back.sampler.micro_batch, 64);
  EXPECT_EQ(back.sampler.precision, Precision::Bf16);
  EXPECT_FALSE(back.sampler.cuda_graph);
  auto j = recipe_to_json(r);
  j["sampler"]["precision"] = "fp8";
  EXPECT_THROW(recipe_from_json(j, &warnings), RecipeError);
  j["sampler"]["precision"] = "fp32";
  j["sampler"]["micro_batch"] = -1;
  EXPECT_THROW(recipe_from_json(j, &warnings), RecipeError);
}

}  // namespace
}  // namespace ebm
