#include "engine/session.h"
#include "test_energies.h"
#include "wait_for_snapshot.h"

#include <gtest/gtest.h>

#include <atomic>
#include <cmath>
#include <mutex>
#include <random>
#include <string>
#include <thread>
#include <vector>

namespace ebm {
namespace {

using test::wait_for;

bool has_event(const Snapshot& s, Event::Kind kind, const std::string& needle) {
  for (const auto& e : s.events)
    if (e.kind == kind && e.message.find(needle) != std::string::npos) return true;
  return false;
}

void setup(Session& s, std::int64_t steps = 20, std::int64_t batch = 2) {
  s.submit(cmd::AddModel{"q", test::quadratic()});
  s.submit(cmd::AddModel{"net", test::tiny_net()});
  s.submit(cmd::SetComposition{Node::op(NodeKind::And, {Node::term("a", "q", {0.5f, 0.5f, 0.5f}),
                                                        Node::term("b", "net", {0.1f, 0.1f})})});
  SamplerParams p;
  p.steps = steps;
  p.batch = batch;
  p.step_lr = 0.2;
  s.submit(cmd::SetSampler{p});
}

TEST(Session, RunsToTheEndAndPublishesEverything) {
  Session s;
  setup(s, 12, 3);
  s.submit(cmd::Start{});
  auto snap = wait_for(s, [](const Snapshot& x) { return x.status == SessionStatus::Finished; });
  ASSERT_EQ(snap->status, SessionStatus::Finished);
  EXPECT_EQ(snap->step, 12);
  EXPECT_EQ(snap->total_steps, 12);
  EXPECT_EQ(snap->images.sizes(), (std::vector<int64_t>{3, 3, test::kSize, test::kSize}));
  EXPECT_EQ(snap->energy.size(), 3u);
  EXPECT_EQ(snap->grad_norm.size(), 3u);
  ASSERT_EQ(snap->term_names, (std::vector<std::string>{"a", "b"}));
  ASSERT_EQ(snap->term_energy.size(), 2u);
  EXPECT_EQ(snap->term_energy[0].size(), 3u);
  EXPECT_EQ(snap->curves->steps.size(), 12u);
  EXPECT_EQ(snap->curves->terms.size(), 2u);
  EXPECT_EQ(snap->kept_steps.size(), 13u);  // 0..12
  EXPECT_GT(snap->ms_per_step, 0.0);
  EXPECT_GT(snap->memory.history_bytes, 0);
  auto rgba = snap->host_rgba8();
  EXPECT_EQ(rgba.sizes(), (std::vector<int64_t>{3, test::kSize, test::kSize, 4}));
  EXPECT_EQ(rgba.scalar_type(), torch::kUInt8);
}

TEST(Session, EditsApplyFromTheNextStepAndErrorsBecomeEvents) {
  Session s;
  setup(s, 1000000);
  s.submit(cmd::Start{});
  wait_for(s, [](const Snapshot& x) { return x.step > 2; });
  // A label of the wrong length is rejected at compile time: the run stops with an error.
  s.submit(cmd::SetComposition{Node::term("a", "q", {0.5f})});
  auto snap = wait_for(s, [](const Snapshot& x) { return x.status == SessionStatus::Error; });
  EXPECT_EQ(snap->status, SessionStatus::Error);
  EXPECT_TRUE(has_event(*snap, Event::Kind::Error, "label"));
  // Fix it and resume.
  s.submit(cmd::SetComposition{Node::term("a", "q", {0.2f, 0.2f, 0.2f})});
  s.submit(cmd::Resume{});
  const auto at = snap->step;
  snap = wait_for(s, [&](const Snapshot& x) { return x.status == SessionStatus::Running && x.step > at + 2; });
  EXPECT_EQ(snap->term_names, (std::vector<std::string>{"a"}));
  // Structural errors are rejected without touching the run.
  s.submit(cmd::SetComposition{Node::op(NodeKind::Not, {})});
  snap = wait_for(s, [](const Snapshot& x) { return has_event(x, Event::Kind::Error, "composition rejected"); });
  EXPECT_EQ(snap->status, SessionStatus::Running);
  // Rewinding to a step that is not kept explains what is.
  s.submit(cmd::Pause{});
  s.submit(cmd::Rewind{-5});
  snap = wait_for(s, [](const Snapshot& x) { return has_event(x, Event::Kind::Error, "is not kept"); });
  EXPECT_EQ(snap->status, SessionStatus::Paused);
  s.submit(cmd::UnloadModel{"q"});
  s.submit(cmd::Resume{});
  snap = wait_for(s, [](const Snapshot& x) { return has_event(x, Event::Kind::Error, "not loaded"); });
  EXPECT_NE(snap->status, SessionStatus::Running);
}

TEST(Session, InspectedSampleGetsPerTermGradientMapsThatFollowTheChain) {
  Session s;
  setup(s, 1000, 3);
  s.submit(cmd::Step{3});
  auto snap = wait_for(s, [](const Snapshot& x) { return x.status == SessionStatus::Paused && x.step == 3; });
  ASSERT_EQ(snap->step, 3);
  EXPECT_FALSE(snap->gradient_maps);  // nothing inspected yet

  s.submit(cmd::InspectSample{1});
  snap = wait_for(s, [](const Snapshot& x) { return x.gradient_maps && x.gradient_maps->sample == 1; });
  ASSERT_TRUE(snap->gradient_maps);
  const GradientMaps& m = *snap->gradient_maps;
  EXPECT_TRUE(m.error.empty()) << m.error;
  EXPECT_EQ(m.step, 3);
  EXPECT_EQ(m.chain_id, snap->chain_id);
  EXPECT_EQ(m.sample_id, snap->sample_ids.at(1));
  ASSERT_EQ(m.terms.size(), 2u);
  EXPECT_EQ(m.terms[0].name, "a");
  EXPECT_EQ(m.terms[0].model, "q");
  EXPECT_EQ(m.terms[1].model, "net");
  EXPECT_EQ(m.terms[0].magnitude.sizes(), (std::vector<int64_t>{test::kSize, test::kSize}));
  // The quadratic term's map is |x − c| of the published image (k = 1, weight 1).
  auto xs = snap->images[1];
  auto want = (xs - torch::tensor({0.5f, 0.5f, 0.5f}).view({3, 1, 1})).square().sum(0).sqrt();
  EXPECT_TRUE(torch::allclose(m.terms[0].magnitude, want, 1e-5, 1e-6));
  EXPECT_NEAR(m.terms[0].norm, m.terms[0].magnitude.square().sum().sqrt().item<double>(), 1e-4);
  EXPECT_GT(m.total_norm, 0.0);

  // Stepping recomputes them for the new image.
  s.submit(cmd::Step{2});
  snap = wait_for(s, [](const Snapshot& x) { return x.gradient_maps && x.gradient_maps->step == 5; });
  ASSERT_TRUE(snap->gradient_maps);
  EXPECT_EQ(snap->gradient_maps->sample, 1);
  EXPECT_EQ(snap->step, 5);

  // A sample outside the batch is a clear error in the maps, not a failed chain.
  s.submit(cmd::InspectSample{7});
  snap = wait_for(s, [](const Snapshot& x) { return x.gradient_maps && x.gradient_maps->sample == 7; });
  ASSERT_TRUE(snap->gradient_maps);
  EXPECT_NE(snap->gradient_maps->error.find("not in the batch"), std::string::npos) << snap->gradient_maps->error;
  EXPECT_EQ(snap->status, SessionStatus::Paused);

  s.submit(cmd::InspectSample{-1});
  snap = wait_for(s, [](const Snapshot& x) { return !x.gradient_maps; });
  EXPECT_FALSE(snap->gradient_maps);
}

// A denoising term's map is taken at the σ the next step uses (the schedule level of the current step).
TEST(Session, GradientMapsUseTheScheduleSigmaOfTheCurrentStep) {
  // E = σ · Σx: the gradient is σ in every channel, so the map is σ·√3 everywhere.
  struct SigmaEnergy : EnergyModel {
    torch::Tensor energy(const torch::Tensor& x, const torch::Tensor&, const torch::Tensor&, double sigma) override {
      return sigma * x.flatten(1).sum(1);
    }
    ModelInfo info() const override {
      ModelInfo i;
      i.image_size = test::kSize;
      i.denoising = true;
      return i;
    }
  };
  Session s;
  s.submit(cmd::AddModel{"d", std::make_shared<SigmaEnergy>()});
  s.submit(cmd::SetComposition{Node::term("t", "d")});
  SamplerParams p;
  p.batch = 2;
  p.schedule.levels = {{2, 0.5, 0.01, 0.0}, {10, 0.25, 0.01, 0.0}};
  s.submit(cmd::SetSampler{p});
  s.submit(cmd::InspectSample{0});
  s.submit(cmd::Step{1});
  auto snap = wait_for(s, [](const Snapshot& x) { return x.gradient_maps && x.gradient_maps->step == 1 && x.status == SessionStatus::Paused; });
  ASSERT_TRUE(snap->gradient_maps);
  EXPECT_DOUBLE_EQ(snap->gradient_maps->sigma, 0.5);  // step 1 is still on the first level
  ASSERT_EQ(snap->gradient_maps->terms.size(), 1u);
  EXPECT_NEAR(snap->gradient_maps->terms[0].magnitude.mean().item<float>(), 0.5f * std::sqrt(3.f), 1e-5);
  s.submit(cmd::Step{2});
  snap = wait_for(s, [](const Snapshot& x) { return x.gradient_maps && x.gradient_maps->step == 3 && x.status == SessionStatus::Paused; });
  ASSERT_TRUE(snap->gradient_maps);
  EXPECT_DOUBLE_EQ(snap->gradient_maps->sigma, 0.25);
  ASSERT_EQ(snap->gradient_maps->terms.size(), 1u);
  EXPECT_NEAR(snap->gradient_maps->terms[0].magnitude.max().item<float>(), 0.25f * std::sqrt(3.f), 1e-5);
  EXPECT_GE(snap->gradient_maps->ms, 0.0);
}

TEST(Session, NaNChainsAreResetAndReported) {
  // Energy that turns NaN for images whose mean exceeds 0.8, sampled toward bright images.
  ModelInfo info;
  info.image_size = test::kSize;
  auto model = std::make_shared<FunctionModel>(
      [](const torch::Tensor& x, const torch::Tensor&) {
        auto m = x.flatten(1).mean(1);
        auto e = -x.flatten(1).sum(1);
        return torch::where(m > 0.8, torch::full_like(e, std::nan("")), e);
      },
      info);
  Session s;
  s.submit(cmd::AddModel{"bad", model});
  s.submit(cmd::SetComposition{Node::term("t", "bad")});
  SamplerParams p;
  p.batch = 2;
  p.steps = 30;
  p.step_lr = 0.05;
  s.submit(cmd::SetSampler{p});
  s.submit(cmd::Start{});
  auto snap = wait_for(s, [](const Snapshot& x) { return x.status == SessionStatus::Finished; });
  EXPECT_TRUE(has_event(*snap, Event::Kind::NanReset, "re-initialised"));
  EXPECT_GT(snap->resets[0], 0);
  EXPECT_TRUE(torch::isfinite(snap->images).all().item<bool>());
}

TEST(Session, HistoryBudgetBoundsKeptStates) {
  SessionOptions o;
  o.history_bytes = 3 * (2 * 3 * test::kSize * test::kSize * 4 + 2 * 8 * 2);  // three states
  Session s(o);
  setup(s, 10);
  s.submit(cmd::Start{});
  auto snap = wait_for(s, [](const Snapshot& x) { return x.status == SessionStatus::Finished; });
  EXPECT_EQ(snap->kept_steps, (std::vector<std::int64_t>{8, 9, 10}));
  EXPECT_LE(snap->memory.history_bytes, o.history_bytes);
  EXPECT_EQ(snap->curves->steps.size(), 10u);  // curves still cover the whole run
}

TEST(Session, RepeatStartsTheNextSeedAndFinishStops) {
  SessionOptions o;
  o.repeat = true;
  Session s(o);
  setup(s, 3);
  s.submit(cmd::Start{});
  auto snap = wait_for(s, [](const Snapshot& x) { return x.chain_id >= 3; });
  EXPECT_GE(snap->params.seed, 2u);
  s.submit(cmd::Finish{});
  snap = wait_for(s, [](const Snapshot& x) { return x.status == SessionStatus::Finished; });
  EXPECT_EQ(snap->status, SessionStatus::Finished);
}

// What every published snapshot must satisfy, whatever commands raced to produce it. Returns the
// violations (empty: none), so a storm's threads can collect them without gtest calls of their own.
// (A Step command may run a chain past its step count, so only a lower bound holds for `step`.)
std::vector<std::string> snapshot_violations(const Snapshot& x) {
  std::vector<std::string> v;
  auto bad = [&](const std::string& what) { v.push_back("seq " + std::to_string(x.seq) + ": " + what); };
  if (x.step < 0) bad("negative step " + std::to_string(x.step));
  if (x.status == SessionStatus::Finished && x.step < x.total_steps)
    bad("finished at step " + std::to_string(x.step) + " of " + std::to_string(x.total_steps));
  if (x.images.defined()) {
    if (x.images.dim() != 4 || x.images.size(1) != 3 || x.images.size(2) != test::kSize)
      bad("images of shape " + std::to_string(x.images.dim()) + "-d");
    else if (x.images.size(0) != static_cast<std::int64_t>(x.sample_ids.size()) ||
             x.images.size(0) != static_cast<std::int64_t>(x.resets.size()))
      bad("batch " + std::to_string(x.images.size(0)) + " with " + std::to_string(x.sample_ids.size()) + " sample ids");
    else if (!torch::isfinite(x.images).all().item<bool>())
      bad("non-finite images");
  } else if (x.status == SessionStatus::Running) {
    bad("running without a chain");
  }
  for (size_t i = 1; i < x.events.size(); ++i)
    if (x.events[i].seq <= x.events[i - 1].seq) bad("event seqs not increasing");
  for (const auto& e : x.events)
    if (e.message.empty()) bad("an event without a message");
  for (const auto& n : x.term_names)
    if (n != "a" && n != "b") bad("unknown term '" + n + "'");
  if (!x.energy.empty() && x.term_energy.size() != x.term_names.size()) bad("term energies do not match the terms");
  if (x.curves) {
    const auto n = x.curves->steps.size();
    if (x.curves->energy.size() != n || x.curves->grad_norm.size() != n || x.curves->acceptance.size() != n)
      bad("curve columns of unequal length");
    for (const auto& t : x.curves->terms)
      if (t.second.size() != n) bad("term curve '" + t.first + "' of another length");
  }
  return v;
}

// Four threads fire every kind of command at random for 300 ms while reading snapshots (three rounds).
// Checked: every snapshot any thread sees is consistent (above); each reader sees seq, chain id and
// event seq never go backwards; an observer waiting with wait_for_newer sees strictly increasing seqs;
// after the storm the session still runs a chain to the end — and that chain is image for image the
// one a fresh session samples with the same commands (the storm leaves no state behind).
TEST(Session, CommandStormsFromSeveralThreads) {
  constexpr std::int64_t kSteps = 50;
  auto final_commands = [](Session& s) {
    SamplerParams p;
    p.steps = 6;
    p.batch = 2;
    p.step_lr = 0.2;
    s.submit(cmd::SetSampler{p});
    s.submit(cmd::SetComposition{Node::op(NodeKind::And, {Node::term("a", "q", {0.3f, 0.6f, 0.9f}),
                                                          Node::term("b", "net", {0.2f, -0.1f})})});
    s.submit(cmd::Restart{std::uint64_t{7}});
  };
  // Seed 7 is the final commands' alone (the storm restarts with seeds 0..4).
  auto final_chain_done = [](const Snapshot& x) {
    return x.params.seed == 7 && x.status == SessionStatus::Finished && x.step == 6;
  };
  torch::Tensor fresh_images;
  {
    Session fresh;
    setup(fresh, kSteps);
    final_commands(fresh);
    auto snap = wait_for(fresh, final_chain_done);
    ASSERT_EQ(snap->status, SessionStatus::Finished);
    fresh_images = snap->images.clone();
  }

  for (int round = 0; round < 3; ++round) {
    Session s;
    setup(s, kSteps);
    std::atomic<bool> go{true};
    std::mutex mu;
    std::vector<std::string> violations;
    std::atomic<std::int64_t> commands{0}, reads{0};
    auto report = [&](std::vector<std::string> v) {
      if (v.empty()) return;
      std::lock_guard<std::mutex> lock(mu);
      for (auto& x : v) violations.push_back(std::move(x));
    };
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t) {
      threads.emplace_back([&, t] {
        std::mt19937 rng(static_cast<unsigned>(t * 31 + round));
        std::uint64_t last_seq = 0, last_chain = 0, last_event = 0;
        while (go.load()) {
          const unsigned pick = rng() % 10;
          if (pick < 9) ++commands;
          switch (pick) {
            case 0: s.submit(cmd::Start{}); break;
            case 1: s.submit(cmd::Pause{}); break;
            case 2: s.submit(cmd::Resume{}); break;
            case 3: s.submit(cmd::Cancel{}); break;
            case 4: s.submit(cmd::Step{3}); break;
            case 5: s.submit(cmd::Restart{rng() % 5}); break;
            case 6: {
              SamplerParams p;
              p.steps = kSteps;
              p.batch = 1 + static_cast<int>(rng() % 3);
              p.step_lr = 0.1 * (1 + rng() % 3);
              s.submit(cmd::SetSampler{p});
              break;
            }
            case 7:
              s.submit(cmd::SetComposition{Node::term("a", "q", {0.1f * (rng() % 5), 0.5f, 0.5f})});
              break;
            case 8: s.submit(cmd::Rewind{static_cast<std::int64_t>(rng() % 4)}); break;
            default: {
              auto snap = s.latest();  // read while the worker runs
              ++reads;
              std::vector<std::string> v = snapshot_violations(*snap);
              if (snap->seq < last_seq) v.push_back("latest() went back from seq " + std::to_string(last_seq));
              if (snap->chain_id < last_chain) v.push_back("chain id went back from " + std::to_string(last_chain));
              const std::uint64_t ev = snap->events.empty() ? 0 : snap->events.back().seq;
              if (ev < last_event) v.push_back("event seq went back from " + std::to_string(last_event));
              last_seq = snap->seq;
              last_chain = snap->chain_id;
              last_event = ev;
              report(std::move(v));
            }
          }
          std::this_thread::sleep_for(std::chrono::microseconds(200));
        }
      });
    }
    std::int64_t observed = 0;
    std::thread observer([&] {
      auto snap = s.latest();
      while (go.load()) {
        auto next = s.wait_for_newer(snap->seq, 20);
        if (next->seq == snap->seq) continue;
        std::vector<std::string> v = snapshot_violations(*next);
        if (next->seq < snap->seq) v.push_back("wait_for_newer returned an older snapshot");
        report(std::move(v));
        snap = next;
        ++observed;
      }
    });
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    go = false;
    for (auto& t : threads) t.join();
    observer.join();
    for (const auto& v : violations) ADD_FAILURE() << "round " << round << ": " << v;
    EXPECT_GT(commands.load(), 100) << "the storm barely ran";
    EXPECT_GT(reads.load(), 10);
    EXPECT_GT(observed, 0) << "no snapshot was published during the storm";

    // The session still answers, and the storm left nothing behind: the same commands as the fresh
    // session's give its images exactly.
    const auto before = s.latest()->chain_id;
    final_commands(s);
    auto snap = wait_for(s, [&](const Snapshot& x) { return x.chain_id > before && final_chain_done(x); });
    ASSERT_EQ(snap->status, SessionStatus::Finished) << "round " << round;
    ASSERT_GT(snap->chain_id, before);
    EXPECT_TRUE(snapshot_violations(*snap).empty());
    ASSERT_EQ(snap->images.sizes(), fresh_images.sizes());
    EXPECT_TRUE(torch::equal(snap->images, fresh_images)) << "round " << round;
  }
}

TEST(Session, AFailedRestartKeepsTheOldChain) {
  Session s;
  setup(s, 3);
  s.submit(cmd::Start{});
  auto snap = wait_for(s, [](const Snapshot& x) { return x.status == SessionStatus::Finished; });
  const auto images = snap->images;
  const auto chain = snap->chain_id;
  s.submit(cmd::UnloadModel{"net"});
  s.submit(cmd::Restart{});
  snap = wait_for(s, [](const Snapshot& x) { return has_event(x, Event::Kind::Error, "cannot start"); });
  EXPECT_EQ(snap->chain_id, chain);
  EXPECT_TRUE(snap->images.is_same(images));
  s.submit(cmd::Export{{ExportRequest::Kind::Grid, "", {}}});
  snap = wait_for(s, [](const Snapshot& x) { return has_event(x, Event::Kind::Error, "export needs a file path"); });
  EXPECT_TRUE(has_event(*snap, Event::Kind::Error, "export needs a file path"));
}

// A model that runs out of memory above `max_batch` samples, as a CUDA step does when the batch
// does not fit (c10::OutOfMemoryError is what LibTorch's caching allocator throws).
std::shared_ptr<EnergyModel> runs_out_of_memory_above(std::int64_t max_batch) {
  ModelInfo info;
  info.channels = 3;
  info.image_size = test::kSize;
  info.label_size = 3;
  info.schema = LabelSchema::generic(3);
  return std::make_shared<FunctionModel>(
      [max_batch](const torch::Tensor& x, const torch::Tensor& label) {
        TORCH_CHECK_WITH(OutOfMemoryError, x.size(0) <= max_batch,
                         "CUDA out of memory. Tried to allocate 2.00 GiB (test model)");
        auto c = label.view({label.size(0), label.size(1), 1, 1});
        return 0.5 * (x - c).square().flatten(1).sum(1);
      },
      info);
}

// One term of that model, 6 steps at `batch`, started; returns the snapshot once `done` holds.
std::shared_ptr<const Snapshot> run_out_of_memory_session(Session& s, std::int64_t max_batch, std::int64_t batch,
                                                          SessionStatus done) {
  s.submit(cmd::AddModel{"big", runs_out_of_memory_above(max_batch)});
  s.submit(cmd::SetComposition{Node::term("a", "big", {0.5f, 0.5f, 0.5f})});
  SamplerParams p;
  p.steps = 6;
  p.batch = batch;
  p.seed = 3;
  s.submit(cmd::SetSampler{p});
  s.submit(cmd::Start{});
  return wait_for(s, [done](const Snapshot& x) { return x.status == done; });
}

TEST(Session, OutOfMemoryHalvesTheBatchAndTheSessionGoesOn) {
  Session s;
  auto snap = run_out_of_memory_session(s, 4, 16, SessionStatus::Finished);
  ASSERT_EQ(snap->status, SessionStatus::Finished);
  EXPECT_EQ(snap->step, 6);
  EXPECT_EQ(snap->images.size(0), 4) << "16 -> 8 -> 4 fits";
  EXPECT_TRUE(has_event(*snap, Event::Kind::BatchReduced, "out of device memory at batch 16"));
  EXPECT_TRUE(has_event(*snap, Event::Kind::BatchReduced, "halved the batch to 8"));
  EXPECT_TRUE(has_event(*snap, Event::Kind::BatchReduced, "halved the batch to 4"));
  EXPECT_FALSE(has_event(*snap, Event::Kind::Error, ""));

  // The samples kept are the first ones of the seed: the same images a batch of 4 draws at once.
  Session ref;
  auto want = run_out_of_memory_session(ref, 4, 4, SessionStatus::Finished);
  EXPECT_TRUE(torch::equal(snap->images, want->images));
}

TEST(Session, OutOfMemoryAtBatchOneIsAnErrorThatSaysWhatToDo) {
  Session s;
  auto snap = run_out_of_memory_session(s, 0, 2, SessionStatus::Error);
  ASSERT_EQ(snap->status, SessionStatus::Error);
  EXPECT_TRUE(has_event(*snap, Event::Kind::BatchReduced, "halved the batch to 1"));
  EXPECT_TRUE(has_event(*snap, Event::Kind::Error, "out of device memory at batch 1"));
  EXPECT_TRUE(has_event(*snap, Event::Kind::Error, "sample on the CPU"));
}

TEST(Session, DestructorCancelsALongRun) {
  auto t0 = std::chrono::steady_clock::now();
  {
    Session s;
    setup(s, 100000000);
    s.submit(cmd::Start{});
    wait_for(s, [](const Snapshot& x) { return x.step > 0; });
  }
  EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::seconds(10));
}

}  // namespace
}  // namespace ebm

namespace ebm {
namespace {

// Latest-wins edits never move behind a control command: a SetSampler queued before a Start applies
// to that Start even when a newer SetSampler arrives while both wait (the newer one applies after
// it). Found in the studio: a panel edit re-queued the script's batch behind its Step.
TEST(Session, AQueuedEditAppliesBeforeTheStartQueuedAfterIt) {
  ModelInfo info;
  info.image_size = test::kSize;
  // Slow steps keep the worker busy while the commands below queue up together.
  auto slow = std::make_shared<FunctionModel>(
      [](const torch::Tensor& x, const torch::Tensor&) {
        std::this_thread::sleep_for(std::chrono::milliseconds(150));
        return x.flatten(1).square().sum(1);
      },
      info);
  Session s;
  s.submit(cmd::AddModel{"slow", slow});
  s.submit(cmd::SetComposition{Node::term("t", "slow", {})});
  SamplerParams p;
  p.batch = 2;
  p.steps = 1000;
  s.submit(cmd::SetSampler{p});
  s.submit(cmd::Start{});
  auto snap = wait_for(s, [](const Snapshot& x) { return x.status == SessionStatus::Running && x.step >= 1; }, 30000);
  ASSERT_EQ(snap->status, SessionStatus::Running);
  // All three land while a step sleeps.
  p.batch = 3;
  s.submit(cmd::SetSampler{p});
  s.submit(cmd::Start{});
  p.batch = 5;
  s.submit(cmd::SetSampler{p});
  const std::uint64_t chain = snap->chain_id;
  snap = wait_for(s, [&](const Snapshot& x) { return x.chain_id > chain && x.images.defined(); }, 30000);
  ASSERT_GT(snap->chain_id, chain);
  EXPECT_EQ(snap->images.size(0), 3);  // the edit queued before the Start
  EXPECT_EQ(snap->params.batch, 5);    // the newer one, for the next restart
}

}  // namespace
}  // namespace ebm
