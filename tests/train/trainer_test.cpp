// End-to-end tests of `ebm train`'s loop on tiny CPU runs: both objectives lower their loss, a run
// killed after a checkpoint and resumed reproduces the uninterrupted loss sequence exactly, the
// output directory holds a loadable model, and misuse gets clear errors.
#include "models/denoising_energy.h"
#include "engine/energy/denoising_model.h"
#include "engine/train/trainer.h"
#include "models/checkpoint/model_file.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <filesystem>
#include <fstream>
#include <numeric>

namespace ebm::train {
namespace {

namespace fs = std::filesystem;

struct TempDir {
  fs::path path;
  explicit TempDir(const std::string& name) {
    path = fs::temp_directory_path() / ("ebm_trainer_test_" + name + "_" + std::to_string(::getpid()));
    fs::remove_all(path);
  }
  ~TempDir() { fs::remove_all(path); }
  std::string str() const { return path.string(); }
};

TrainOptions tiny(const std::string& objective, const std::string& dir) {
  TrainOptions o;
  o.objective = objective;
  o.concept_name = "position";
  o.out_dir = dir;
  o.device = "cpu";
  o.iters = 6;
  o.batch = 4;
  o.log_every = 1;
  o.sample_every = 0;
  o.ckpt_every = 3;
  o.sample_n = 4;
  o.progress_bar = false;
  o.pool = 24;
  o.num_filters = 4;
  o.langevin_steps = 3;
  o.sample_steps = 2;
  o.replay_size = 8;  // replay starts on the third iteration (size > batch)
  o.sample_levels = 3;
  o.warmup = 2;
  return o;
}

std::vector<double> losses(const TrainResult& r) {
  std::vector<double> l;
  for (const auto& row : r.logged) l.push_back(row.front());
  return l;
}

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

}  // namespace
}  // namespace ebm::train
