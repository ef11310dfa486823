// End-to-end tests of `ebm train`'s loop on tiny CPU runs: both objectives lower their loss, a run
// killed after a checkpoint and resumed reproduces the uninterrupted loss sequence exactly, the
// output directory holds a loadable model, and misuse gets clear errors.
#include "models/denoising_energy.h"
#include "engine/energy/denoising_model.h"
#include "engine/train/trainer.h"
#include "models/checkpoint/model_file.h"
#include "tests/support/temp_dir.h"
#include "tests/support/tiny_train.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <memory>
#include <numeric>
#include <set>

namespace ebm::train {
namespace {

namespace fs = std::filesystem;

// This suite's scratch directories: tests/support/temp_dir.h's, named after the test.
struct TempDir : test::TempDir {
  explicit TempDir(const std::string& name) : test::TempDir("ebm_trainer_test_" + name) {}
};

TrainOptions tiny(const std::string& objective, const std::string& dir) {
  return test::tiny_train_options(objective, dir);
}

std::vector<double> losses(const TrainResult& r) { return test::logged_losses(r); }

// Training-statistics lines of a log (sample-grade lines carry no "loss").
int count_lines(const fs::path& p) {
  std::ifstream in(p);
  std::string s;
  int n = 0;
  while (std::getline(in, s))
    if (s.find("\"loss\"") != std::string::npos) ++n;
  return n;
}

void kill_and_resume_reproduces(const std::string& objective) {
  TempDir a("a_" + objective), b("b_" + objective);
  auto full = Trainer(tiny(objective, a.str()), false).run();
  ASSERT_EQ(full.iterations, 6);
  const auto want = losses(full);
  ASSERT_EQ(want.size(), 6u);

  // Run to the checkpoint at 3, keep it, run on to 5, then put the iteration-3 checkpoint back:
  // exactly what a kill at iteration 5 leaves (log lines past the checkpoint, checkpoint at 3).
  auto o = tiny(objective, b.str());
  o.iters = 3;
  auto first = Trainer(o, false).run();
  ASSERT_EQ(first.iterations, 3);
  fs::copy_file(b.path / "checkpoint.safetensors", b.path / "ckpt3");
  o.iters = 5;
  Trainer(o, true).run();
  EXPECT_EQ(count_lines(b.path / "log.jsonl"), 5);
  fs::copy_file(b.path / "ckpt3", b.path / "checkpoint.safetensors", fs::copy_options::overwrite_existing);

  o.iters = 6;
  auto resumed = Trainer(o, true).run();
  EXPECT_EQ(resumed.start_iteration, 3);
  EXPECT_EQ(resumed.iterations, 6);
  auto got = losses(first);
  const auto rest = losses(resumed);
  got.insert(got.end(), rest.begin(), rest.end());
  ASSERT_EQ(got.size(), want.size());
  for (size_t i = 0; i < want.size(); ++i) EXPECT_EQ(got[i], want[i]) << objective << " iteration " << i + 1;
  EXPECT_EQ(count_lines(b.path / "log.jsonl"), 6) << "lines written after the checkpoint must be replaced";
}

TEST(Trainer, CdKillAndResumeReproducesTheLossSequence) { kill_and_resume_reproduces("cd"); }
TEST(Trainer, DsmKillAndResumeReproducesTheLossSequence) { kill_and_resume_reproduces("dsm"); }

double mean_of(const std::vector<double>& v, size_t from, size_t n) {
  return std::accumulate(v.begin() + from, v.begin() + from + n, 0.0) / n;
}

TEST(Trainer, TinyCdRunLowersTheLoss) {
  TempDir d("cd_learn");
  auto o = tiny("cd", d.str());
  o.iters = 30;
  o.batch = 8;
  o.num_filters = 8;
  o.langevin_steps = 5;
  o.lr = 1e-3;
  o.replay_size = 64;
  o.ckpt_every = 100;
  auto r = Trainer(o, false).run();
  auto l = losses(r);
  ASSERT_EQ(l.size(), 30u);
  // CD's loss starts at ~0 (tiny energies) and turns negative as data energies fall below sample
  // energies; it is noisy, so compare the first iterations with a long later window.
  EXPECT_LT(mean_of(l, 10, 20), mean_of(l, 0, 5) - 3e-3) << "CD loss did not fall";
  // The run leaves a loadable contrastive model behind.
  auto m = load_model((d.path / "model.safetensors").string());
  EXPECT_EQ(m.network->config().energy_kind, EnergyKind::Contrastive);
  EXPECT_EQ(m.network->config().label_size, 2);
  EXPECT_TRUE(fs::exists(d.path / "samples" / "reference.png"));
  EXPECT_TRUE(fs::exists(d.path / "samples" / "iter_00000030.png"));
}

TEST(Trainer, TinyDsmRunLowersTheLossAndSavesALoadableEnergy) {
  TempDir d("dsm_learn");
  auto o = tiny("dsm", d.str());
  o.iters = 40;
  o.batch = 8;
  o.num_filters = 8;
  o.lr = 2e-3;
  o.ema = 0.5;
  o.ckpt_every = 100;
  o.sample_guidance = 3.5;  // grids sampled with guidance; saved as the model's recommended value
  auto r = Trainer(o, false).run();
  auto l = losses(r);
  ASSERT_EQ(l.size(), 40u);
  EXPECT_LT(mean_of(l, 30, 10), 0.9 * mean_of(l, 0, 10)) << "DSM loss did not fall";
  auto e = load_denoising_energy((d.path / "model.safetensors").string());
  EXPECT_EQ(e->network().config().energy_kind, EnergyKind::Denoising);
  EXPECT_EQ(e->settings().concept_size, 2);
  auto x = torch::rand({2, 3, 64, 64});
  auto en = e->energy(x, torch::zeros({2, 2}), 0.3);
  EXPECT_EQ(en.sizes(), (std::vector<int64_t>{2, 1}));
  EXPECT_TRUE(torch::isfinite(en).all().item<bool>());
  // As the sampler's EnergyModel: concept-sized label, denoising, σ required.
  auto m = load_denoising_model((d.path / "model.safetensors").string());
  EXPECT_TRUE(m->info().denoising);
  EXPECT_EQ(m->info().guidance, 3.5);
  EXPECT_EQ(m->info().label_size, 2);
  EXPECT_EQ(m->info().schema.size(), 2);
  auto em = m->energy(x, torch::zeros({2, 2}), {}, 0.3);
  EXPECT_TRUE(torch::allclose(em.reshape({-1}), en.reshape({-1})));
  EXPECT_EQ(m->energy(x, {}, {}, 0.3).sizes(), (std::vector<int64_t>{2, 1}));  // unconditional
  EXPECT_THROW(m->energy(x, torch::zeros({2, 2}), {}, 0.0), std::invalid_argument);
}

// A later sitting can continue from the model file alone (what fits through a device transfer):
// the new run starts exactly at those weights, and a file of another concept, objective or
// width is refused with the difference named.
TEST(Trainer, InitFromStartsAtTheModelFilesWeightsAndRefusesMisfits) {
  TempDir a("init_a"), b("init_b"), c("init_c"), bad("init_bad");
  auto oa = tiny("dsm", a.str());
  oa.seed = 2;  // another init than the runs below (seed 1), so "starts at A's weights" is visible
  Trainer(oa, false).run();
  const std::string model_a = (a.path / "model.safetensors").string();

  // lr ~0: one iteration leaves the weights where they started.
  auto ob = tiny("dsm", b.str());
  ob.iters = 1;
  ob.lr = 1e-12;
  ob.init_from = model_a;
  Trainer(ob, false).run();
  auto oc = ob;
  oc.out_dir = c.str();
  oc.init_from.clear();
  Trainer(oc, false).run();

  auto x = torch::rand({3, 3, 64, 64});
  auto label = torch::rand({3, 2}) * 2 - 1;
  auto energy_of = [&](const fs::path& dir) {
    return load_denoising_energy((dir / "model.safetensors").string())->energy(x, label, 0.3).detach();
  };
  const auto ea = energy_of(a.path), eb = energy_of(b.path), ec = energy_of(c.path);
  EXPECT_TRUE(torch::allclose(eb, ea, 1e-5, 1e-6)) << eb << " vs " << ea;
  EXPECT_FALSE(torch::allclose(ec, ea, 1e-3, 1e-4)) << "a fresh init (another seed) should differ from the model";
  EXPECT_EQ(read_checkpoint_options(b.str()).at("init_from"), model_a);

  auto expect_refused = [&](TrainOptions o, const std::string& what) {
    fs::remove_all(bad.path);
    try {
      Trainer t(o, false);
      ADD_FAILURE() << "accepted: " << what;
    } catch (const std::invalid_argument& e) {
      EXPECT_NE(std::string(e.what()).find(what), std::string::npos) << e.what();
    }
  };
  auto other_concept = tiny("dsm", bad.str());
  other_concept.concept_name = "color";
  other_concept.init_from = model_a;
  expect_refused(other_concept, "its concept is position but this run trains color");
  // Across concepts only with --init-across-concepts, and only where the label has as many values.
  auto count = tiny("dsm", bad.str());
  count.concept_name = "count";
  count.init_from = model_a;
  expect_refused(count, "add --init-across-concepts");
  count.init_across_concepts = true;
  expect_refused(count, "its label is 2 values but this run trains 3 values");
  auto other_width = tiny("dsm", bad.str());
  other_width.num_filters = 8;
  other_width.init_from = model_a;
  expect_refused(other_width, "its width is 4 filters");
  auto other_objective = tiny("cd", bad.str());
  other_objective.init_from = model_a;
  expect_refused(other_objective, "--init-from " + model_a);
  auto missing = tiny("dsm", bad.str());
  missing.init_from = (a.path / "nope.safetensors").string();
  expect_refused(missing, "nope.safetensors");
}

TEST(Trainer, MisuseGetsClearErrors) {
  TempDir d("misuse");
  auto o = tiny("cd", d.str());
  EXPECT_THROW(Trainer(o, true), std::invalid_argument);  // nothing to resume
  o.iters = 1;
  Trainer(o, false).run();
  EXPECT_THROW(Trainer(o, false), std::invalid_argument);  // would overwrite a run
  auto saved = read_checkpoint_options(d.str());
  EXPECT_THROW(merge_resume_options(saved, {{"batch", 128}}), std::invalid_argument);
  EXPECT_EQ(merge_resume_options(saved, {{"iters", 99}}).iters, 99);
  auto bad = tiny("gan", d.str());
  EXPECT_THROW(bad.validate(), std::invalid_argument);
}

// ---- the collapse guard as the loop uses it, and --time-limit ----

// The iteration of the checkpoint on disk (-1: none yet).
int64_t checkpoint_iteration(const fs::path& dir) {
  const auto path = dir / "checkpoint.safetensors";
  if (!fs::exists(path)) return -1;
  return std::stoll(read_safetensors_header(path.string()).metadata.at("train.iteration"));
}

// A real objective whose reported loss is multiplied by 1000 at the chosen (0-based) iterations: the
// loop sees the jump of a collapse while the model trains on unchanged. At the start of every step it
// notes which checkpoint is on disk, so a test sees when the loop wrote one and when it held back.
class JumpingLoss : public Objective {
 public:
  JumpingLoss(std::unique_ptr<Objective> inner, std::set<int64_t> jumps, fs::path dir, std::vector<int64_t>* on_disk)
      : inner_(std::move(inner)), jumps_(std::move(jumps)), dir_(std::move(dir)), on_disk_(on_disk) {}
  std::vector<std::string> stat_names() const override { return inner_->stat_names(); }
  torch::Tensor step(const torch::Tensor& images, const torch::Tensor& labels, int64_t iteration) override {
    on_disk_->push_back(checkpoint_iteration(dir_));
    torch::Tensor st = inner_->step(images, labels, iteration);
    if (!jumps_.count(iteration)) return st;
    st = st.detach().clone();
    st[0].mul_(1000.0);
    return st;
  }
  torch::Tensor sample(const torch::Tensor& labels, torch::Generator& gen) override { return inner_->sample(labels, gen); }
  void save_state(TensorMap& out, const std::string& prefix) const override { inner_->save_state(out, prefix); }
  void load_state(const TensorMap& in, const std::string& prefix) override { inner_->load_state(in, prefix); }
  void init_from_model(const std::string& path, bool across) override { inner_->init_from_model(path, across); }
  void save_model(const std::string& path, const nlohmann::json& info) const override { inner_->save_model(path, info); }

 private:
  std::unique_ptr<Objective> inner_;
  std::set<int64_t> jumps_;
  fs::path dir_;
  std::vector<int64_t>* on_disk_;
};

std::set<int64_t> range(int64_t from, int64_t to) {
  std::set<int64_t> s;
  for (int64_t i = from; i < to; ++i) s.insert(i);
  return s;
}

// A DSM run whose loss jumps 1000x at its 7th iteration and stays up (a checkpoint every iteration,
// a log line every iteration; the guard judges from the 6th interval and confirms after 3 above):
// iterations 7 and 8 are suspect and write no checkpoint, iteration 9 stops the run with an error that
// names the checkpoint of iteration 6 — which is on disk, intact, and resumes.
TEST(Trainer, ACollapsedDsmRunWritesNoCheckpointWhileSuspectThenStopsKeepingTheLastGoodOne) {
  TempDir d("collapse");
  auto o = tiny("dsm", d.str());
  o.iters = 20;
  o.ckpt_every = 1;
  std::vector<int64_t> on_disk;
  Trainer t(o, false);
  t.wrap_objective([&](std::unique_ptr<Objective> inner) {
    return std::make_unique<JumpingLoss>(std::move(inner), range(6, 20), d.path, &on_disk);
  });
  std::string error;
  try {
    t.run();
  } catch (const std::runtime_error& e) {
    error = e.what();
  }
  EXPECT_NE(error.find("training collapsed at iteration 9"), std::string::npos) << error;
  EXPECT_NE(error.find("The checkpoint of iteration 6 is from before the jump"), std::string::npos) << error;
  EXPECT_EQ(on_disk, (std::vector<int64_t>{-1, 1, 2, 3, 4, 5, 6, 6, 6}));  // at the start of iterations 1..9
  EXPECT_EQ(checkpoint_iteration(d.path), 6);
  EXPECT_EQ(count_lines(d.path / "log.jsonl"), 9);  // the suspect intervals are logged
  const auto model_meta = read_safetensors_header((d.path / "model.safetensors").string()).metadata;
  EXPECT_EQ(nlohmann::json::parse(model_meta.at(kMetaTraining))["iterations"], 6) << "the model file is the checkpoint's";

  // The checkpoint left behind continues the run (the loss no longer jumps).
  o.iters = 8;
  const auto resumed = Trainer(o, true).run();
  EXPECT_EQ(resumed.start_iteration, 6);
  EXPECT_EQ(resumed.iterations, 8);
  EXPECT_TRUE(resumed.completed);
  EXPECT_EQ(count_lines(d.path / "log.jsonl"), 8);
}

// One interval's spike is noise: no checkpoint while it is suspect, checkpoints again from the next
// one, and the run completes. A jump in the very last interval leaves the checkpoint before it.
TEST(Trainer, ASpikeOnlyPausesCheckpointsAndASuspectEndKeepsThePreviousCheckpoint) {
  TempDir d("spike"), e("suspect_end");
  auto o = tiny("dsm", d.str());
  o.iters = 10;
  o.ckpt_every = 1;
  std::vector<int64_t> on_disk;
  Trainer t(o, false);
  t.wrap_objective([&](std::unique_ptr<Objective> inner) {
    return std::make_unique<JumpingLoss>(std::move(inner), std::set<int64_t>{6}, d.path, &on_disk);
  });
  const auto r = t.run();
  EXPECT_TRUE(r.completed);
  EXPECT_EQ(r.iterations, 10);
  EXPECT_EQ(on_disk, (std::vector<int64_t>{-1, 1, 2, 3, 4, 5, 6, 6, 8, 9}));  // none at iteration 7
  EXPECT_EQ(checkpoint_iteration(d.path), 10);

  auto oe = tiny("dsm", e.str());
  oe.iters = 8;
  oe.ckpt_every = 1;
  std::vector<int64_t> unused;
  Trainer te(oe, false);
  te.wrap_objective([&](std::unique_ptr<Objective> inner) {
    return std::make_unique<JumpingLoss>(std::move(inner), std::set<int64_t>{7}, e.path, &unused);
  });
  const auto re = te.run();
  EXPECT_EQ(re.iterations, 8);
  EXPECT_EQ(checkpoint_iteration(e.path), 7) << "the suspect last iteration must not replace the checkpoint";
}

// --time-limit: the limit counts from `started` (process start), and the loop stops while what is left
// covers its estimate of the last writes (checkpoint, samples: 5 s each until measured) and a 5 s
// safety margin. Starting the clock 42 s in the past with a 1-minute limit leaves ~3 s of training:
// the run stops by itself, ends before the limit with a checkpoint of where it stopped, the model
// file and a sample grid, and --resume continues from there.
TEST(Trainer, TheTimeLimitStopsTheRunCleanlyBeforeItWithACheckpointThatResumes) {
  TempDir d("time_limit");
  auto o = tiny("dsm", d.str());
  o.iters = 1000000;
  o.ckpt_every = 100000;
  o.log_every = 5;
  o.time_limit_min = 1.0;
  const auto started = std::chrono::steady_clock::now() - std::chrono::seconds(42);
  const auto r = Trainer(o, false, started).run();
  const double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  EXPECT_EQ(r.stop_reason, StopReason::TimeLimit);
  EXPECT_FALSE(r.completed);
  EXPECT_GT(r.iterations, 0) << "the run had seconds to spare and trained not at all";
  EXPECT_LT(elapsed, 60.0) << "the run ended after its time limit";
  EXPECT_EQ(checkpoint_iteration(d.path), r.iterations);
  EXPECT_TRUE(fs::exists(d.path / "model.safetensors"));
  EXPECT_TRUE(fs::exists(d.path / "samples" / ("iter_" + std::string(8 - std::to_string(r.iterations).size(), '0') +
                                                std::to_string(r.iterations) + ".png")));

  auto more = merge_resume_options(read_checkpoint_options(d.str()), {{"time_limit_min", 0}, {"iters", r.iterations + 2}});
  more.out_dir = d.str();
  const auto resumed = Trainer(more, true).run();
  EXPECT_EQ(resumed.start_iteration, r.iterations);
  EXPECT_EQ(resumed.iterations, r.iterations + 2);
  EXPECT_EQ(resumed.stop_reason, StopReason::Iterations);
}

}  // namespace
}  // namespace ebm::train
