// The count concept's data (engine/train/count_source.h): scenes of none, one or two objects with
// their one-hot count as the label, and a run that warm-starts from another concept's model.
#include "engine/data/cubes_renderer.h"
#include "engine/energy/denoising_model.h"
#include "engine/train/count_source.h"
#include "engine/train/trainer.h"
#include "tests/support/temp_dir.h"
#include "tests/support/tiny_train.h"

#include <ATen/CPUGeneratorImpl.h>
#include <gtest/gtest.h>

namespace ebm::train {
namespace {

// Pixels that differ from the empty floor by more than a rounding step.
int64_t object_pixels(const torch::Tensor& img) {
  const auto floor = data::CubesRenderer().render_floor(1)[0];
  return ((img - floor).abs().amax(0) > 0.02).sum().item<int64_t>();
}

TEST(CountSource, ScenesHoldAsManyObjectsAsTheirCountSays) {
  auto gen = at::detail::createCPUGenerator(3);
  torch::Generator g(gen);
  const auto img = render_counted_scenes(torch::tensor({0, 1, 2, 0, 2}, torch::kLong), g, torch::kCPU);
  ASSERT_EQ(img.sizes(), (std::vector<int64_t>{5, 3, 64, 64}));
  EXPECT_EQ(object_pixels(img[0]), 0);
  EXPECT_EQ(object_pixels(img[3]), 0);
  const int64_t one = object_pixels(img[1]);
  EXPECT_GT(one, 40) << "a one-object scene shows its object";
  EXPECT_GT(object_pixels(img[2]), 40);
  EXPECT_GE(img.min().item<float>(), 0.f);
  EXPECT_LE(img.max().item<float>(), 1.f);

  EXPECT_THROW(render_counted_scenes(torch::tensor({3}, torch::kLong), g, torch::kCPU), std::invalid_argument);
  EXPECT_THROW(render_counted_scenes(torch::tensor({1.f}), g, torch::kCPU), std::invalid_argument);
}

TEST(CountSource, ThePoolMixesTheCountsWithOneHotLabels) {
  test::TempDir d("count_pool");
  auto o = test::tiny_train_options("dsm", d.str());
  o.concept_name = "count";
  o.pool = 60;
  o.validate();
  const auto src = make_training_source(o, torch::kCPU, 5);
  EXPECT_EQ(src->schema().concept_name, "count");
  EXPECT_EQ(src->schema().size(), 3);
  EXPECT_FALSE(src->cubes_concept().has_value()) << "the trainer's quick grades are for one-object concepts";
  auto gen = at::detail::createCPUGenerator(1);
  torch::Generator g(gen);
  const auto b = src->sample(200, g, 0);
  ASSERT_EQ(b.labels.sizes(), (std::vector<int64_t>{200, 3}));
  EXPECT_TRUE(torch::all(b.labels.sum(1) == 1).item<bool>()) << "one-hot labels";
  const auto share = b.labels.mean(0);
  for (int k = 0; k < 3; ++k) EXPECT_GT(share[k].item<float>(), 0.15f) << "count " << k << " is in the pool";
  // An image labelled "no object" is the empty floor, up to the pool's 8-bit storage.
  const auto none = b.labels.select(1, 0).nonzero().reshape({-1});
  ASSERT_GT(none.numel(), 0);
  EXPECT_EQ(object_pixels(b.images[none[0].item<int64_t>()]), 0);
  // The grids show none, one, two objects in turn, each with its rendered counterpart.
  EXPECT_TRUE(torch::equal(src->preview_labels(4, 0).argmax(1), torch::tensor({0, 1, 2, 0}, torch::kLong)));
  EXPECT_EQ(object_pixels(src->reference_images(3, 0)[0]), 0);
  EXPECT_GT(object_pixels(src->reference_images(3, 0)[1]), 40);

  o.num_objects = 2;
  EXPECT_THROW(o.validate(), std::invalid_argument) << "the count pool decides the objects per scene";
}

TEST(CountSource, ARunWarmStartsFromAModelOfAnotherConceptWithAsManyLabelValues) {
  test::TempDir shape("count_from_shape"), count("count_run");
  auto os = test::tiny_train_options("dsm", shape.str());
  os.concept_name = "shape";
  os.iters = 2;
  os.seed = 4;
  Trainer(os, false).run();
  auto oc = test::tiny_train_options("dsm", count.str());
  oc.concept_name = "count";
  oc.iters = 1;
  oc.lr = 1e-12;  // one step of ~no size: the run stays at the shape model's weights
  oc.init_from = (shape.path / "model.safetensors").string();
  oc.init_across_concepts = true;
  Trainer(oc, false).run();
  const auto a = load_denoising_model((shape.path / "model.safetensors").string());
  const auto b = load_denoising_model((count.path / "model.safetensors").string());
  EXPECT_EQ(b->info().schema.concept_name, "count");
  EXPECT_EQ(b->info().schema.slots.at(1).name, "one object");
  const auto x = torch::rand({2, 3, 64, 64});
  const auto lab = torch::tensor({{0.f, 1.f, 0.f}, {1.f, 0.f, 0.f}});
  EXPECT_TRUE(torch::allclose(a->energy(x, lab, {}, 0.3), b->energy(x, lab, {}, 0.3), 1e-5, 1e-6));
}

}  // namespace
}  // namespace ebm::train
