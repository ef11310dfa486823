// Values travel as values: a slider tick (a weight, a label, a guidance, a temperature, a mask stroke)
// reaches the sampler as one ValueEdit, is written into the compiled composition in place on every
// shard, and compiles nothing — while the chain steps exactly as one compiled afresh with the new
// values. An edit the compiled tree cannot take in place recompiles, as the whole tree would.
#include "engine/energy/composition.h"
#include "engine/energy/value_edit.h"
#include "engine/sampling/sharded_sampler.h"
#include "engine/session.h"
#include "test_energies.h"
#include "wait_for_snapshot.h"

#include <gtest/gtest.h>

namespace ebm {
namespace {

Node tree(double w, float label, double temperature = 100.0) {
  Node orr = Node::op(NodeKind::Or, {Node::term("b", "quad", {0.2f, 0.5f, 0.8f}), Node::term("c", "quad", {0.6f, 0.1f, 0.3f})});
  orr.temperature = temperature;
  return Node::op(NodeKind::And, {Node::term("a", "net", {label, 0.f}, w), orr});
}

ModelSet test_models() { return {{"net", test::tiny_net()}, {"quad", test::quadratic()}}; }

SamplerParams params(int devices) {
  SamplerParams p;
  p.batch = 5;
  p.steps = 20;
  p.step_lr = 0.05;
  p.noise_std = 0.01;
  p.seed = 3;
  p.devices = devices;
  p.micro_batch = 3;  // what a split over two devices evaluates in: the chains stay comparable
  return p;
}

std::unique_ptr<ShardedSampler> sampler(int devices, const Node& root) {
  auto s = std::make_unique<ShardedSampler>();
  s->set_models(test_models());
  s->set_composition(root);
  s->set_params(params(devices));
  return s;
}

TEST(ValueEdit, WritesTheNodeAndChecksTheValue) {
  Node root = tree(1.0, 0.5f);
  apply_value_edit(root, ValueEdit::weight({0}, 2.5));
  EXPECT_DOUBLE_EQ(root.children[0].weight, 2.5);
  apply_value_edit(root, ValueEdit::temperature({1}, 7.0));
  EXPECT_DOUBLE_EQ(root.children[1].temperature, 7.0);
  apply_value_edit(root, ValueEdit::term_label({1, 0}, {0.1f, 0.1f, 0.1f}));
  EXPECT_FLOAT_EQ(root.children[1].children[0].label[0], 0.1f);
  // Each refusal names the node and what is wrong, and leaves the tree as it was.
  const Node before = root;
  auto refused = [&](const ValueEdit& e, const std::string& needle) {
    try {
      apply_value_edit(root, e);
      ADD_FAILURE() << "accepted: " << needle;
    } catch (const std::invalid_argument& ex) {
      EXPECT_NE(std::string(ex.what()).find(needle), std::string::npos) << ex.what();
    }
    EXPECT_DOUBLE_EQ(root.children[0].weight, before.children[0].weight);
  };
  refused(ValueEdit::weight({0}, std::nan("")), "composition.children[0].weight");
  refused(ValueEdit::temperature({1}, 0.0), "must be a finite number > 0");
  refused(ValueEdit::temperature({0}, 5.0), "a term node has no temperature");
  refused(ValueEdit::coefficient({1}, 0.5), "belongs to a not node");
  refused(ValueEdit::guidance({0}, 500.0), "guidance");
  refused(ValueEdit::weight({4}, 1.0), "composition.children[4]: no such node");
  refused(ValueEdit::term_mask({0}, torch::full({4, 4}, 2.0)), "values must lie in [0, 1]");
}

// The edit of a chain split over two devices compiles nothing on either shard, and both chains then
// step as the one compiled from scratch with the edited tree.
TEST(ValueEdit, AWeightLabelAndTemperatureTickCompilesNothingOnAnyShard) {
  torch::NoGradGuard ng;
  auto split = sampler(2, tree(1.0, 0.5f));
  split->start();
  for (int i = 0; i < 3; ++i) split->step();
  const std::int64_t compiled = split->compilations();
  const void* values = split->compiled().values().data_ptr();
  split->edit_values({ValueEdit::weight({0}, 0.4), ValueEdit::term_label({0}, {-0.6f, 0.f}),
                      ValueEdit::temperature({1}, 7.0)});
  split->step();
  EXPECT_EQ(split->compilations(), compiled) << "a value edit must not compile the composition on any shard";
  EXPECT_EQ(split->compiled().values().data_ptr(), values);
  EXPECT_DOUBLE_EQ(split->composition().children[0].weight, 0.4);

  auto fresh = sampler(1, tree(0.4, -0.6f, 7.0));
  fresh->start();
  ChainState at = split->state();
  at.step -= 1;  // the step the split chain took after the edit, from where it was before it
  split->restore(at);
  fresh->restore(at);
  split->step();
  fresh->step();
  EXPECT_TRUE(torch::allclose(split->state().x, fresh->state().x, 1e-6, 1e-6));
}

TEST(ValueEdit, WhatCannotBeWrittenInPlaceRecompilesAsATreeWould) {
  torch::NoGradGuard ng;
  auto s = sampler(1, tree(1.0, 0.5f));
  s->start();
  s->step();
  std::int64_t compiled = s->compilations();
  // A first mask changes the structure (a term with a mask evaluates another graph).
  s->edit_values({ValueEdit::term_mask({0}, torch::full({8, 8}, 0.5))});
  s->step();
  EXPECT_EQ(s->compilations(), compiled + 1);
  EXPECT_TRUE(s->compiled().terms()[0].mask.defined());
  // Its next stroke is a value: written where the first one was.
  compiled = s->compilations();
  const void* mask = s->compiled().terms()[0].mask.data_ptr();
  s->edit_values({ValueEdit::term_mask({0}, torch::zeros({8, 8}))});
  s->step();
  EXPECT_EQ(s->compilations(), compiled);
  EXPECT_EQ(s->compiled().terms()[0].mask.data_ptr(), mask);
  EXPECT_EQ(s->compiled().terms()[0].mask.sum().item<float>(), 0.f);
  // A label the model does not take is the compile's to report, as for a whole tree.
  s->edit_values({ValueEdit::term_label({0}, {0.1f, 0.2f, 0.3f})});
  EXPECT_THROW(s->compiled(), std::invalid_argument);
}

// Through the session: a stream of slider ticks (cmd::EditValues) compiles nothing, and the
// published tree carries the last value.
TEST(ValueEdit, SliderTicksThroughTheSessionCompileNothing) {
  Session s;
  s.submit(cmd::AddModel{"net", test::tiny_net()});
  s.submit(cmd::AddModel{"quad", test::quadratic()});
  s.submit(cmd::SetComposition{tree(1.0, 0.5f)});
  SamplerParams p = params(2);
  p.steps = 100000;
  s.submit(cmd::SetSampler{p});
  s.submit(cmd::Start{});
  auto snap = test::wait_for(s, [](const Snapshot& x) { return x.step >= 2; });
  const std::int64_t compiled = snap->compilations;
  for (int i = 1; i <= 20; ++i) s.submit(cmd::EditValues{{ValueEdit::weight({0}, 1.0 + 0.05 * i)}});
  snap = test::wait_for(s, [](const Snapshot& x) { return x.composition.children.size() == 2 &&
                                                         x.composition.children[0].weight == 2.0 && x.step > 4; });
  EXPECT_EQ(snap->compilations, compiled);
  EXPECT_EQ(snap->status, SessionStatus::Running);
  // A bad edit is an event; the tree and the run stay.
  s.submit(cmd::EditValues{{ValueEdit::weight({7}, 1.0)}});
  snap = test::wait_for(s, [](const Snapshot& x) {
    for (const auto& e : x.events)
      if (e.kind == Event::Kind::Error && e.message.find("edit rejected") != std::string::npos) return true;
    return false;
  });
  EXPECT_EQ(snap->status, SessionStatus::Running);
  EXPECT_DOUBLE_EQ(snap->composition.children[0].weight, 2.0);
}

}  // namespace
}  // namespace ebm
