// Controller: the studio's actions against a real engine Session with closed-form energies (no
// window needed). Checks that edits reach the engine, bad input is reported, masks travel with the
// composition, model loading failures are shown, and the start-up default composition samples.
#include "app/studio/controller.h"
#include "tests/studio/controller_fixtures.h"

#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <thread>
#include <unistd.h>

using namespace ebm;
using namespace ebm::studio;

using namespace ebm::studio::test;

TEST(Controller, TermsLabelsAndWeightsReachTheEngine) {
  UiLog log;
  Controller c(log, fast_options());
  c.add_model("pos", quadratic(LabelSchema::cubes_position()), ModelConfig{});
  const std::string t = c.add_term({}, "pos", std::vector<float>{0.5f, -0.5f}, 2.0);
  EXPECT_EQ(t, "pos");
  EXPECT_TRUE(c.composition_error().empty()) << c.composition_error();
  c.set_weight(c.term_path(0), 3.0);
  c.set_label_slot(c.term_path("pos"), 0, 0.25f);
  c.start();
  ASSERT_TRUE(poll_until(c, [&] {
    const auto& s = c.snapshot();
    return s && s->status == SessionStatus::Running && s->step >= 2 && s->has_composition &&
           !s->composition.children.empty() && s->composition.children[0].weight == 3.0;
  }));
  EXPECT_FLOAT_EQ(c.snapshot()->composition.children[0].label[0], 0.25f);
  EXPECT_FALSE(c.history().rows().empty());
  // A label that does not fit the schema is refused with the schema's reason and changes nothing.
  EXPECT_THROW(c.set_label(c.term_path(0), {1.f}), std::invalid_argument);
  EXPECT_FLOAT_EQ(c.node(c.term_path(0))->label[0], 0.25f);
  // A guidance interval is kept on the term; a backwards one is refused and changes nothing.
  c.set_guidance_interval(c.term_path(0), GuidanceInterval{0.3, std::numeric_limits<double>::infinity()});
  ASSERT_TRUE(c.node(c.term_path(0))->guidance_interval.has_value());
  EXPECT_EQ(c.node(c.term_path(0))->guidance_interval->lo, 0.3);
  EXPECT_THROW(c.set_guidance_interval(c.term_path(0), GuidanceInterval{0.5, 0.1}), std::invalid_argument);
  EXPECT_EQ(c.node(c.term_path(0))->guidance_interval->lo, 0.3);
  EXPECT_THROW(c.term_path(5), std::out_of_range);
  EXPECT_THROW(c.add_term({}, "no-such-model"), std::invalid_argument);
}

// Selecting a sample asks the engine for its per-term gradient maps; switching them off or
// clearing the selection stops them.
TEST(Controller, SelectionDrivesTheGradientMaps) {
  UiLog log;
  Controller c(log, fast_options());
  c.add_model("pos", quadratic(LabelSchema::cubes_position()), ModelConfig{});
  c.add_term({}, "pos", std::vector<float>{0.5f, -0.5f});
  c.add_term({}, "pos", std::vector<float>{-0.5f, 0.5f}, 0.5);
  c.step(3);
  ASSERT_TRUE(poll_until(c, [&] { return c.snapshot()->step == 3 && c.snapshot()->status == SessionStatus::Paused; }));
  EXPECT_TRUE(c.gradient_maps_on());
  c.select(1);
  ASSERT_TRUE(poll_until(c, [&] { const auto& g = c.snapshot()->gradient_maps; return g && g->sample == 1 && g->step == 3; }));
  const auto& g = *c.snapshot()->gradient_maps;
  ASSERT_EQ(g.terms.size(), 2u);
  EXPECT_NEAR(g.terms[1].coefficient, 0.5, 1e-6);
  c.set_gradient_maps(false);
  ASSERT_TRUE(poll_until(c, [&] { return !c.snapshot()->gradient_maps; }));
  c.set_gradient_maps(true);
  ASSERT_TRUE(poll_until(c, [&] { return c.snapshot()->gradient_maps != nullptr; }));
  c.select(-1);
  ASSERT_TRUE(poll_until(c, [&] { return !c.snapshot()->gradient_maps; }));
}

TEST(Controller, IncompleteDraftIsExplainedNotSent) {
  UiLog log;
  Controller c(log, fast_options());
  c.add_model("a", quadratic(LabelSchema::generic(2)), ModelConfig{});
  c.add_operator({}, NodeKind::Not);
  c.add_term({0}, "a");
  EXPECT_NE(c.composition_error().find("two children"), std::string::npos) << c.composition_error();
  c.add_term({0}, "a");
  EXPECT_TRUE(c.composition_error().empty()) << c.composition_error();
  EXPECT_EQ(c.term_paths().size(), 2u);
  EXPECT_NE(c.node(c.term_path(0))->name, c.node(c.term_path(1))->name);  // unique names
  c.set_coefficient({0}, 0.5);
  EXPECT_DOUBLE_EQ(c.node({0})->coefficient, 0.5);
}

TEST(Controller, MasksTravelWithTheComposition) {
  UiLog log;
  Controller c(log, fast_options());
  c.add_model("a", quadratic(LabelSchema::generic(2)), ModelConfig{});
  c.add_term({}, "a");
  Brush b;
  b.radius = 2;
  b.hardness = 1;
  c.paint_mask("a", {1, 1, 6, 1}, b);
  const MaskImage* m = c.mask("a");
  ASSERT_NE(m, nullptr);
  EXPECT_EQ(m->width, kSide);  // sized like the model's images
  EXPECT_GT(m->coverage(), 0.f);
  EXPECT_LT(m->coverage(), 1.f);
  c.start();
  ASSERT_TRUE(poll_until(c, [&] {
    const auto& s = c.snapshot();
    return s && s->has_composition && !s->composition.children.empty() && s->composition.children[0].mask.defined();
  }));
  auto sent = c.snapshot()->composition.children[0].mask;
  EXPECT_EQ(sent.size(0), kSide);
  EXPECT_FLOAT_EQ(sent[1][3].item<float>(), m->at(3, 1));
  c.mask_op("a", MaskOp::Invert);
  EXPECT_FLOAT_EQ(c.mask("a")->at(3, 1), 1.f - sent[1][3].item<float>());
  c.remove_node(c.term_path(0));
  EXPECT_EQ(c.mask("a"), nullptr);
  EXPECT_THROW(c.paint_mask("a", {1, 1}, b), std::out_of_range);
}

TEST(Controller, MissingAndCorruptModelFilesAreShownNotFatal) {
  UiLog log;
  Controller c(log, fast_options(true));
  const auto dir = std::filesystem::temp_directory_path() / ("ebm_ctl_" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  std::ofstream(dir / "garbage.safetensors") << "this is not a safetensors file";
  c.open_startup_models({(dir / "missing.safetensors").string(), (dir / "garbage.safetensors").string()});
  ASSERT_TRUE(poll_until(c, [&] { return !c.loading(); }));
  ASSERT_EQ(c.models().size(), 2u);
  for (const auto& m : c.models()) {
    EXPECT_EQ(m.state, ModelEntry::State::Failed);
    EXPECT_FALSE(m.error.empty());
  }
  EXPECT_NE(c.models()[0].error.find("no such file"), std::string::npos) << c.models()[0].error;
  EXPECT_GE(log.error_count(), 2u);
  EXPECT_TRUE(c.term_paths().empty());  // nothing to sample, nothing started
  std::filesystem::remove_all(dir);
}

TEST(Controller, StartupBuildsADefaultCompositionAndSamples) {
  UiLog log;
  Controller c(log, fast_options(true));
  c.add_model("pos", quadratic(LabelSchema::cubes_position()), ModelConfig{});
  c.add_model("shape", quadratic(LabelSchema::cubes_shape()), ModelConfig{});
  ASSERT_TRUE(poll_until(c, [&] { return c.snapshot() && c.snapshot()->status == SessionStatus::Running && c.snapshot()->step > 0; }));
  EXPECT_EQ(c.term_paths().size(), 2u);
  c.pause();
  ASSERT_TRUE(poll_until(c, [&] { return c.snapshot()->status == SessionStatus::Paused; }));
  const auto paused_at = c.snapshot()->step;
  c.step(3);
  ASSERT_TRUE(poll_until(c, [&] { return c.snapshot()->status == SessionStatus::Paused && c.snapshot()->step == paused_at + 3; }));
  c.rewind(1);
  ASSERT_TRUE(poll_until(c, [&] { return c.snapshot()->step == 1 && c.snapshot()->status == SessionStatus::Paused; }));
  // Per-sample history follows the rewind.
  EXPECT_TRUE(c.history().rows().empty() || c.history().rows().back().step <= 1);
}

// Stand-ins for the shipped concept files, added in the order given: a quadratic energy per concept
// with that concept's label schema, named after it.
void add_concept_models(Controller& c, const std::vector<std::string>& concepts) {
  const std::map<std::string, LabelSchema> schemas = {
      {"count", LabelSchema::cubes_count()},     {"size", LabelSchema::cubes_size()},
      {"color", LabelSchema::cubes_color()},     {"position", LabelSchema::cubes_position()},
      {"shape", LabelSchema::cubes_shape()}};
  for (const auto& name : concepts) c.add_model(name, quadratic(schemas.at(name)), ModelConfig{});
}

// With the shipped set (a count model among the concepts, loaded in whatever order) the opening
// composition is shape ∧ position with the energies summed; the count model is never one of the two
// terms. Without a shape model it is position ∧ colour, around one prior (colour composes better so).
TEST(Controller, TheDefaultCompositionIsShapeAndPositionAndNeverTheCount) {
  UiLog log;
  Controller c(log, fast_options(true));
  add_concept_models(c, {"count", "size", "color", "position", "shape"});
  ASSERT_TRUE(poll_until(c, [&] { return c.snapshot() && c.snapshot()->status == SessionStatus::Running; }));
  ASSERT_EQ(c.term_paths().size(), 2u);
  EXPECT_EQ(c.node(c.term_path(0))->model, "shape");
  EXPECT_EQ(c.node(c.term_path(0))->label, (std::vector<float>{1.f, 0.f, 0.f}));  // a box
  EXPECT_EQ(c.node(c.term_path(1))->model, "position");
  EXPECT_FALSE(c.composition().shared_prior);
  // Added by hand, a count term starts on "one object" (the schema's default slot).
  c.add_term({}, "count", std::nullopt, 1.0);
  EXPECT_EQ(c.node(c.term_path(2))->label, (std::vector<float>{0.f, 1.f, 0.f}));

  Controller without_shape(log, fast_options(true));
  add_concept_models(without_shape, {"count", "color", "size", "position"});
  ASSERT_TRUE(poll_until(without_shape, [&] {
    return without_shape.snapshot() && without_shape.snapshot()->status == SessionStatus::Running;
  }));
  ASSERT_EQ(without_shape.term_paths().size(), 2u);
  EXPECT_EQ(without_shape.node(without_shape.term_path(0))->model, "position");
  EXPECT_EQ(without_shape.node(without_shape.term_path(1))->model, "color");
  EXPECT_TRUE(without_shape.composition().shared_prior);
}

// A denoising model samples only on a noise schedule: adding its term gives the sampler the
// model's annealed ladder, removing the last such term takes it away; a user's own schedule stays.
TEST(Controller, DenoisingTermsBringTheirAnnealedScheduleAndTakeItAway) {
  const ModelInfo info = denoising_info();
  auto noisy = denoising_model();
  UiLog log;
  Controller c(log, fast_options());
  c.add_model("noisy", noisy, ModelConfig{});
  c.add_model("plain", quadratic(LabelSchema::cubes_position()), ModelConfig{});
  c.add_term({}, "plain", std::vector<float>{0.f, 0.f}, 1.0);
  EXPECT_FALSE(c.sampler().schedule.annealed());
  c.add_term({}, "noisy", std::vector<float>{0.f, 0.f}, 1.0);
  ASSERT_TRUE(c.sampler().schedule.annealed());
  EXPECT_EQ(c.sampler().schedule.levels.size(), 41u);  // top steps + 40 levels
  EXPECT_DOUBLE_EQ(c.sampler().schedule.levels.front().sigma, 0.8);
  EXPECT_NEAR(c.sampler().schedule.levels.back().sigma, 0.02, 1e-12);
  EXPECT_FALSE(c.sampler().clamp);
  EXPECT_EQ(c.sampler().init, InitMode::Noise);
  c.start();
  ASSERT_TRUE(poll_until(c, [&] { return c.snapshot() && c.snapshot()->step >= 3; }));
  c.remove_node(c.term_path(1));
  EXPECT_FALSE(c.sampler().schedule.annealed());
  EXPECT_TRUE(c.sampler().clamp);
  EXPECT_EQ(c.sampler().init, InitMode::Gaussian);
  // A schedule the user set is kept whatever the terms are.
  auto p = c.sampler();
  p.schedule = geometric_schedule(0.5, 0.05, 3, 2, 0.01);
  c.set_sampler(p);
  c.add_term({}, "noisy", std::vector<float>{0.f, 0.f}, 1.0);
  EXPECT_EQ(c.sampler().schedule.levels.size(), 3u);
  // The Models panel's line names the label a term gives (2 slots), not the network's input.
  ModelConfig net;
  net.label_size = 6;
  EXPECT_EQ(describe(net, info).find("label 6"), std::string::npos);
  EXPECT_NE(describe(net, info).find("label 2"), std::string::npos) << describe(net, info);
  EXPECT_NE(describe(net, info).find("denoising (sigma 0.02-0.8)"), std::string::npos) << describe(net, info);
}

// The Sampler panel's walk (set_ladder): draft, quick and final, and a Heun walk whose levels carry the σ
// each step goes to — what the panel's cost line counts twice — and which the engine then samples.
TEST(Controller, TheWalkOfTheLadderReachesTheSchedule) {
  UiLog log;
  Controller c(log, fast_options());
  c.add_model("noisy", denoising_model(), ModelConfig{});
  c.add_term({}, "noisy", std::vector<float>{0.f, 0.f}, 1.0);
  c.set_ladder(draft_ladder());
  EXPECT_EQ(c.sampler().total_steps(), 16 + 10 + 1);
  EXPECT_EQ(schedule_evaluations(c.sampler().schedule, c.sampler().total_steps()), 27);
  // The draft's top steps are corrector steps of 0.5·σ², σ the top of the models' range.
  const ScheduleLevel& top = c.sampler().schedule.levels.front();
  EXPECT_EQ(top.steps, 16);
  EXPECT_NEAR(top.step_lr, 0.5 * top.sigma * top.sigma, 1e-12);
  LadderOptions heun = draft_ladder();
  heun.euler_steps = 6;
  heun.heun = true;
  c.set_ladder(heun);
  const Schedule& s = c.sampler().schedule;
  ASSERT_EQ(s.levels.size(), 1u + 6u + 1u);
  for (size_t k = 1; k <= 5; ++k) EXPECT_GT(s.levels[k].heun_sigma, 0.0) << "level " << k;
  EXPECT_EQ(s.levels[6].heun_sigma, 0.0);
  EXPECT_EQ(schedule_evaluations(s, c.sampler().total_steps()), 16 + 11 + 1);
  c.start();
  ASSERT_TRUE(poll_until(c, [&] { return c.snapshot() && c.snapshot()->step >= 20; }));  // past the first Heun steps
  EXPECT_EQ(log.error_count(), 0u);
  EXPECT_NE(c.snapshot()->status, SessionStatus::Error);
  c.set_ladder(quick_ladder());
  EXPECT_EQ(c.sampler().total_steps(), 24 + 14 + 1);
  EXPECT_NEAR(c.sampler().schedule.levels.front().step_lr, 0.6 * 0.8 * 0.8, 1e-12);  // r·σ_max², σ_max 0.8
  c.set_ladder(final_ladder());
  EXPECT_EQ(c.sampler().total_steps(), 400);
}

// Out of device memory at the panel's batch: the engine halves it and restarts; the controller
// adopts the smaller batch (so the next sampler edit does not ask for the old one) and warns.
TEST(Controller, AdoptsTheBatchTheEngineReducedAfterOutOfMemory) {
  ModelInfo info;
  info.channels = 3;
  info.image_size = kSide;
  info.label_size = 2;
  info.schema = LabelSchema::cubes_position();
  auto hungry = std::make_shared<FunctionModel>(
      [](const torch::Tensor& x, const torch::Tensor&) {
        TORCH_CHECK_WITH(OutOfMemoryError, x.size(0) <= 2, "CUDA out of memory (test model)");
        return 0.5 * (x - 0.5).square().flatten(1).sum(1);
      },
      info);
  UiLog log;
  auto o = fast_options();
  o.sampler.batch = 8;
  Controller c(log, o);
  c.add_model("pos", hungry, ModelConfig{});
  c.add_term({}, "pos", std::vector<float>{0.f, 0.f}, 1.0);
  c.start();
  ASSERT_TRUE(poll_until(c, [&] {
    const auto& s = c.snapshot();
    return s && s->status == SessionStatus::Running && s->step >= 2 && s->images.size(0) == 2;
  }));
  EXPECT_EQ(c.sampler().batch, 2);
  bool warned = false;
  for (const auto& e : log.snapshot())
    warned |= e.level == LogLevel::Warning && e.text.find("halved the batch to 2") != std::string::npos;
  EXPECT_TRUE(warned);
  // A later edit keeps the reduced batch.
  auto p = c.sampler();
  p.step_lr = 0.05;
  c.set_sampler(p);
  EXPECT_EQ(c.sampler().batch, 2);
}

// A slider tick travels as a value (cmd::EditValues): weight, label and guidance-interval drags and
// a second brush stroke on a running chain compile nothing in the engine (a term's first mask does:
// it changes what the term evaluates).
TEST(Controller, SliderTicksAndStrokesCompileNothing) {
  UiLog log;
  Controller c(log, fast_options());
  c.add_model("pos", quadratic(LabelSchema::cubes_position()), ModelConfig{});
  c.add_term({}, "pos", std::vector<float>{0.5f, -0.5f});
  c.add_term({}, "pos", std::vector<float>{-0.5f, 0.5f});
  Brush b;
  b.radius = 2.f;
  c.paint_mask("pos", {2.f, 2.f}, b);
  c.start();
  ASSERT_TRUE(poll_until(c, [&] { return c.snapshot()->status == SessionStatus::Running && c.snapshot()->step >= 2; }));
  const std::int64_t compiled = c.snapshot()->compilations;
  for (int i = 1; i <= 10; ++i) c.set_weight(c.term_path(1), 1.0 + 0.1 * i);
  c.set_label_slot(c.term_path(0), 1, 0.25f);
  c.paint_mask("pos", {5.f, 5.f}, b);
  ASSERT_TRUE(poll_until(c, [&] {
    const auto& s = c.snapshot();
    return s->composition.children.size() == 2 && s->composition.children[1].weight == 2.0 &&
           s->composition.children[0].label[1] == 0.25f && s->composition.children[0].mask.defined() &&
           s->composition.children[0].mask[5][5].item<float>() > 0.f;
  }));
  EXPECT_EQ(c.snapshot()->compilations, compiled) << "slider ticks and strokes must not recompile the composition";
  EXPECT_EQ(c.snapshot()->status, SessionStatus::Running);
  // The maps arrive with their maxima computed by the engine (a panel does no tensor work).
  c.select(0);
  ASSERT_TRUE(poll_until(c, [&] { const auto& g = c.snapshot()->gradient_maps; return g && !g->terms.empty(); }));
  for (const auto& t : c.snapshot()->gradient_maps->terms)
    EXPECT_FLOAT_EQ(static_cast<float>(t.max), t.magnitude.max().item<float>());
}

// Issue #29: the labels an image was read as go to the composition's terms (not those under a Not),
// or make one when there is none; an edit restarts the chains from the image on the cut ladder, and
// "back to noise" restores the whole ladder and its start.
TEST(Controller, ReadingsFillTheCompositionAndAnEditStartsFromTheImage) {
  auto noisy = denoising_model();
  UiLog log;
  Controller c(log, fast_options());
  c.add_model("pos", noisy, ModelConfig{});
  c.add_model("other", quadratic(LabelSchema::cubes_position()), ModelConfig{});

  // An empty composition: one term per model read, And-ed.
  auto filled = c.fill_labels({{"pos", {0.25f, -0.5f}}, {"other", {0.1f, 0.2f}}});
  ASSERT_EQ(filled.size(), 2u);
  ASSERT_EQ(c.term_paths().size(), 2u);
  EXPECT_EQ(c.composition().kind, NodeKind::And);
  EXPECT_FLOAT_EQ(c.node(c.term_path(0))->label[1], -0.5f);

  // Terms under a Not keep their labels; a model nobody reads is left alone.
  c.clear_composition();
  c.add_term({}, "pos", std::vector<float>{0.f, 0.f}, 1.0);
  c.add_operator({}, NodeKind::Not);
  c.add_term({1}, "pos", std::vector<float>{0.9f, 0.9f}, 1.0);
  filled = c.fill_labels({{"pos", {0.3f, 0.4f}}});
  ASSERT_EQ(filled.size(), 1u);
  EXPECT_FLOAT_EQ(c.node({0})->label[0], 0.3f);
  EXPECT_FLOAT_EQ(c.node({1, 0})->label[0], 0.9f);
  // A label that does not fit the model's schema is refused.
  EXPECT_THROW(c.fill_labels({{"pos", {0.3f}}}), std::invalid_argument);

  ASSERT_TRUE(c.sampler().schedule.annealed());
  const auto full_steps = c.sampler().total_steps();
  c.start();
  ASSERT_TRUE(poll_until(c, [&] { return c.snapshot() && c.snapshot()->step >= 2; }));
  const auto image = torch::full({3, 16, 16}, 0.25f);
  // Labels as read: the edit pull raises nothing.
  EXPECT_TRUE(c.edit_from_image(image, 0.3).empty());
  EXPECT_FALSE(c.node({0})->guidance.has_value());
  // A label changed after the reading: the term is raised to the edit's guidance (its model's own is
  // 1 here), the Not's term (not filled) is not; with the pull off, nothing is raised.
  c.set_label({0}, {0.6f, 0.4f});
  c.set_edit_pull(false);
  EXPECT_TRUE(c.edit_from_image(image, 0.3).empty());
  c.set_edit_pull(true);
  // An edit in a box takes no pull: its region is redrawn from noise at the file's own guidance.
  EXPECT_TRUE(c.edit_from_image(image, 0.3, torch::ones({1, 16, 16})).empty());
  EXPECT_FALSE(c.node({0})->guidance.has_value());
  const auto raised = c.edit_from_image(image, 0.3);
  ASSERT_EQ(raised.size(), 1u);
  EXPECT_EQ(raised[0], c.node({0})->name);
  EXPECT_DOUBLE_EQ(c.node({0})->guidance.value_or(0), Controller::kEditGuidance);
  EXPECT_FALSE(c.node({1, 0})->guidance.has_value());
  EXPECT_TRUE(c.edit_from_image(image, 0.3).empty());  // already at 6: raised once
  EXPECT_TRUE(c.editing_image());
  EXPECT_EQ(c.sampler().init, InitMode::Image);
  EXPECT_DOUBLE_EQ(c.sampler().init_sigma, 0.3);
  EXPECT_LT(c.sampler().total_steps(), full_steps);
  EXPECT_LE(c.sampler().schedule.levels.front().sigma, 0.3);
  // The engine restarts on it: its chain's params carry the image start.
  ASSERT_TRUE(poll_until(c, [&] {
    const auto& s = c.snapshot();
    return s && s->params.init == InitMode::Image && s->total_steps == c.sampler().total_steps() && s->step >= 1;
  }));
  // A σ out of range changes nothing.
  EXPECT_THROW(c.edit_from_image(image, -1.0), std::invalid_argument);
  EXPECT_DOUBLE_EQ(c.sampler().init_sigma, 0.3);
  // The ladder stays the models' own: a new term still re-derives it, cut at σ.
  c.add_term({}, "other", std::vector<float>{0.f, 0.f}, 1.0);
  EXPECT_LE(c.sampler().schedule.levels.front().sigma, 0.3);
  // An edit box: the chain's params carry the region (the rest held to the image), and the engine's
  // running chain is restarted on it; a new edit without one redraws the whole image again.
  auto region = torch::zeros({1, 16, 16});
  region.slice(1, 4, 12).slice(2, 4, 12).fill_(1.f);
  c.edit_from_image(image, 0.3, region);
  ASSERT_TRUE(c.sampler().init_region.defined());
  EXPECT_TRUE(torch::equal(c.sampler().init_region, region));
  ASSERT_TRUE(poll_until(c, [&] {
    const auto& s = c.snapshot();
    return s && s->params.init_region.defined() && s->step >= 1;
  }));
  // A region that does not fit (three channels) changes nothing.
  EXPECT_THROW(c.edit_from_image(image, 0.3, torch::ones({3, 16, 16})), std::invalid_argument);
  EXPECT_TRUE(torch::equal(c.sampler().init_region, region));
  c.stop_image_edit();
  EXPECT_FALSE(c.editing_image());
  EXPECT_EQ(c.sampler().init, InitMode::Noise);
  EXPECT_EQ(c.sampler().total_steps(), full_steps);
  EXPECT_FALSE(c.sampler().init_image.defined());
  EXPECT_FALSE(c.sampler().init_region.defined());
}

// "any value, per sample" on a term: the engine runs it with a label drawn per sample (the snapshot's
// composition says so), a model without labels refuses it, and unticking brings the typed label back.
TEST(Controller, AnyLabelOnATermReachesTheEngineAndIsRefusedWithoutLabels) {
  UiLog log;
  Controller c(log, fast_options());
  c.add_model("pos", quadratic(LabelSchema::cubes_position()), ModelConfig{});
  ModelInfo plain;
  plain.channels = 3;
  plain.image_size = kSide;
  c.add_model("plain", std::make_shared<FunctionModel>(
                           [](const torch::Tensor& x, const torch::Tensor&) { return x.flatten(1).sum(1); }, plain),
              ModelConfig{});
  c.add_term({}, "pos", std::vector<float>{0.5f, -0.5f});
  c.add_term({}, "plain");
  c.set_any_label(c.term_path("pos"), true);
  EXPECT_TRUE(c.node(c.term_path("pos"))->any_label);
  c.start();
  ASSERT_TRUE(poll_until(c, [&] {
    const auto& s = c.snapshot();
    return s && s->status == SessionStatus::Running && s->step >= 2 && s->has_composition &&
           s->composition.children.size() == 2 && s->composition.children[0].any_label;
  }));
  EXPECT_THROW(c.set_any_label(c.term_path("plain"), true), std::invalid_argument);
  EXPECT_FALSE(c.node(c.term_path("plain"))->any_label);
  EXPECT_THROW(c.set_any_label({}, true), std::invalid_argument);  // the root is an AND
  c.set_any_label(c.term_path("pos"), false);
  EXPECT_FLOAT_EQ(c.node(c.term_path("pos"))->label[0], 0.5f);
  ASSERT_TRUE(poll_until(c, [&] {
    const auto& s = c.snapshot();
    return s && s->has_composition && s->composition.children.size() == 2 && !s->composition.children[0].any_label;
  }));
}
