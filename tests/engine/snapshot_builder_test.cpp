// A snapshot built without a session's thread (engine/session/snapshot_builder.h): the picture of a
// sampler and what the worker keeps beside it, read straight from a sampler of the test's own.
#include "engine/sampling/sharded_sampler.h"
#include "engine/session/snapshot_builder.h"
#include "test_energies.h"

#include <gtest/gtest.h>

namespace ebm {
namespace {

TEST(SnapshotBuilder, PicturesTheSamplerAndTheWorkersState) {
  torch::NoGradGuard ng;
  ShardedSampler s;
  s.set_models({{"net", test::tiny_net()}, {"quad", test::quadratic()}});
  s.set_composition(Node::op(NodeKind::And, {Node::term("a", "net", {0.5f, 0.f}), Node::term("b", "quad", {0.2f, 0.5f, 0.8f})}));
  SamplerParams p;
  p.batch = 3;
  p.steps = 10;
  p.devices = 2;
  s.set_params(p);

  SnapshotInputs in;
  in.seq = 7;
  in.status = SessionStatus::Idle;
  auto before = build_snapshot(s, in);  // no chain yet
  EXPECT_EQ(before->seq, 7u);
  EXPECT_FALSE(before->images.defined());
  EXPECT_EQ(before->term_names, (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(before->devices, 1);

  s.start();
  History history;
  history.offer(s.state());
  StepStats st = s.step();
  history.offer(s.state());
  auto curves = std::make_shared<const Curves>();
  in.seq = 8;
  in.status = SessionStatus::Running;
  in.chain_id = 2;
  in.models = {"net", "quad"};
  in.last_stats = &st;
  in.history = &history;
  in.curves = curves;
  auto snap = build_snapshot(s, in);
  EXPECT_EQ(snap->status, SessionStatus::Running);
  EXPECT_EQ(snap->chain_id, 2u);
  EXPECT_EQ(snap->step, 1);
  EXPECT_EQ(snap->total_steps, 10);
  EXPECT_EQ(snap->images.sizes(), (c10::IntArrayRef{3, 3, test::kSize, test::kSize}));
  EXPECT_EQ(snap->sample_ids, (std::vector<std::int64_t>{0, 1, 2}));
  EXPECT_EQ(snap->energy.size(), 3u);
  ASSERT_EQ(snap->term_energy.size(), 2u);
  EXPECT_EQ(snap->term_energy[1].size(), 3u);
  EXPECT_EQ(snap->devices, 2);
  EXPECT_EQ(snap->compilations, s.compilations());
  EXPECT_EQ(snap->kept_steps, (std::vector<std::int64_t>{0, 1}));
  EXPECT_EQ(snap->curves, curves);
  EXPECT_GT(snap->memory.chain_bytes, 0);
  EXPECT_EQ(snap->models, in.models);
}

}  // namespace
}  // namespace ebm
