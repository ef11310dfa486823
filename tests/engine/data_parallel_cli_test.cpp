// `--gpus N` end to end on the CPU: the real `ebm` binary starts N worker processes that meet in a
// c10d Gloo group on this host (the same code path as N GPUs with NCCL, minus the device).
// - training: 2 processes of batch 2 follow exactly the loss curve of 1 process of batch 4 (the
//   group's batch is drawn alike on every rank and split; gradients are averaged every step), and
//   the checkpoint resumes with another process count;
// - sampling: the grid of 2 processes is the grid of one, image for image (per-sample seeds);
// - a worker that fails stops the others, and the launcher says which failed.
#include "engine/dist/launcher.h"
#include "engine/image/png_codec.h"
#include "engine/recipe/recipe.h"
#include "models/checkpoint/sha256.h"
#include "models/checkpoint/atomic_file.h"
#include "models/checkpoint/model_file.h"
#include "models/registry.h"

#include "tests/support/temp_dir.h"
#include "tests/support/cli_run.h"
#include "tests/support/small_models.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <unistd.h>

namespace ebm {
namespace {

namespace fs = std::filesystem;
using ebm::test::CliRun;

struct Dir : ebm::test::TempDir {
  Dir() : TempDir("ebm_dp_cli") {}
};

CliRun ebm(const Dir& d, const std::vector<std::string>& args) {
  return ebm::test::run_binary(EBM_BINARY, args, d.f("stderr.txt"));
}

std::vector<std::string> tiny_dsm(const std::string& out, int batch, int iters) {
  return {"train", "--objective", "dsm", "--concept", "position", "--device", "cpu", "--out", out,
          "--iters", std::to_string(iters), "--batch", std::to_string(batch), "--log-every", "1",
          "--sample-every", "0", "--ckpt-every", "2", "--sample-n", "4", "--pool", "24", "--filters", "4",
          "--sample-levels", "3", "--warmup", "2", "--no-progress"};
}

std::vector<double> logged_losses(const std::string& log) {
  std::vector<double> out;
  std::ifstream in(log);
  std::string line;
  while (std::getline(in, line)) {
    auto j = nlohmann::json::parse(line);
    if (j.contains("loss")) out.push_back(j["loss"].get<double>());
  }
  return out;
}

// Joining a group (or not) comes before the trainer; it must take the trainer's device rule: the
// default "auto" once reached torch::Device and failed with a C++ stack trace.
TEST(DataParallel, OutsideAGroupTheDefaultDeviceAndBadNamesGetTheTrainersRule) {
  Dir d;
  auto args = tiny_dsm(d.f("auto"), 2, 2);
  args.erase(args.begin() + 5, args.begin() + 7);  // "--device", "cpu"
  ASSERT_EQ(std::count(args.begin(), args.end(), "--device"), 0);
  CliRun fine = ebm(d, args);
  EXPECT_EQ(fine.code, 0) << fine.err;
  EXPECT_TRUE(fs::exists(fs::path(d.f("auto")) / "model.safetensors")) << fine.err;
  auto bad = tiny_dsm(d.f("bad"), 2, 2);
  bad[6] = "gpu";
  CliRun refused = ebm(d, bad);
  EXPECT_NE(refused.code, 0);
  EXPECT_NE(refused.err.find("--device must be auto, cpu, cuda or cuda:N (got 'gpu')"), std::string::npos)
      << refused.err;
  EXPECT_EQ(refused.err.find("Exception raised from"), std::string::npos) << refused.err;
}

// One rule for `ebm train` and `ebm sample`: inside a group a name without an index means this
// worker's GPU; explicit names and everything outside a group stay as given.
TEST(DataParallel, AWorkerTakesTheGpuOfItsLocalRankForANameWithoutIndex) {
  const char* old = std::getenv("EBM_DIST_LOCAL_RANK");
  const std::string saved = old ? old : "";
  ::setenv("EBM_DIST_LOCAL_RANK", "3", 1);
  EXPECT_EQ(dist::rank_device_name("cuda", true), "cuda:3");
  EXPECT_EQ(dist::rank_device_name("cuda:1", true), "cuda:1");
  EXPECT_EQ(dist::rank_device_name("cpu", true), "cpu");
  EXPECT_EQ(dist::rank_device_name("auto", true), torch::cuda::is_available() ? "cuda:3" : "auto");
  EXPECT_EQ(dist::rank_device_name("cuda", false), "cuda");
  EXPECT_EQ(dist::rank_device_name("auto", false), "auto");
  if (old) ::setenv("EBM_DIST_LOCAL_RANK", saved.c_str(), 1);
  else ::unsetenv("EBM_DIST_LOCAL_RANK");
}

// Groups of CPU processes need the Gloo backend (Debian libgloo-dev, scripts/install-deps.sh).
#ifdef EBM_TEST_HAVE_GLOO
#define REQUIRE_GLOO() (void)0
#else
#define REQUIRE_GLOO() GTEST_SKIP() << "built without the gloo headers (libgloo-dev): no CPU process groups"
#endif

std::vector<std::string> with(std::vector<std::string> a, const std::vector<std::string>& more) {
  a.insert(a.end(), more.begin(), more.end());
  return a;
}

TEST(DataParallel, TwoProcessesTrainAsOneProcessOfTheCombinedBatch) {
  REQUIRE_GLOO();
  Dir d;
  CliRun one = ebm(d, tiny_dsm(d.f("one"), 4, 4));
  ASSERT_EQ(one.code, 0) << one.err;
  CliRun two = ebm(d, with(tiny_dsm(d.f("two"), 2, 4), {"--gpus", "2"}));
  ASSERT_EQ(two.code, 0) << two.err;
  EXPECT_NE(two.err.find("2 data-parallel processes (gloo), batch 2 each, 4 in all"), std::string::npos) << two.err;
  const auto a = logged_losses(d.f("one/log.jsonl")), b = logged_losses(d.f("two/log.jsonl"));
  ASSERT_EQ(a.size(), 4u);
  ASSERT_EQ(b.size(), 4u);  // rank 0 alone writes the log
  for (size_t i = 0; i < a.size(); ++i) EXPECT_NEAR(b[i], a[i], 1e-4 * std::abs(a[i]) + 1e-7) << "iteration " << i + 1;
  EXPECT_TRUE(fs::exists(d.f("two/model.safetensors")));
  // The checkpoint does not depend on the process count: resume it alone, then with two again.
  CliRun alone = ebm(d, {"train", "--out", d.f("two"), "--resume", "--iters", "6", "--no-progress"});
  ASSERT_EQ(alone.code, 0) << alone.err;
  CliRun again = ebm(d, {"train", "--out", d.f("two"), "--resume", "--iters", "8", "--no-progress", "--gpus", "2"});
  ASSERT_EQ(again.code, 0) << again.err;
  const auto c = logged_losses(d.f("two/log.jsonl"));
  ASSERT_EQ(c.size(), 8u);
  for (double l : c) EXPECT_TRUE(std::isfinite(l));
}

TEST(DataParallel, ContrastiveDivergenceRunsInAGroup) {
  REQUIRE_GLOO();
  Dir d;
  CliRun r = ebm(d, {"train", "--objective", "cd", "--concept", "position", "--device", "cpu", "--out", d.f("cd"),
                     "--iters", "3", "--batch", "2", "--log-every", "1", "--sample-every", "0", "--sample-n", "4",
                     "--pool", "24", "--filters", "4", "--steps", "2", "--sample-steps", "2", "--replay", "8",
                     "--no-progress", "--gpus", "2"});
  ASSERT_EQ(r.code, 0) << r.err;
  const auto l = logged_losses(d.f("cd/log.jsonl"));
  ASSERT_EQ(l.size(), 3u);
  for (double v : l) EXPECT_TRUE(std::isfinite(v));
}

using ebm::test::save_small_cubesnet;

// One position term of a tiny CubesNet saved in d/models.
Recipe one_term_recipe(const Dir& d, int64_t steps) {
  save_small_cubesnet(d.f("models/pos.safetensors"), 2, 1);
  Recipe r;
  r.models = {{"pos", "models/pos.safetensors", sha256_file(d.f("models/pos.safetensors"))}};
  r.composition = Node::term("position", "pos", {0.3f, -0.4f});
  r.sampler.steps = steps;
  return r;
}

TEST(DataParallel, TheGridOfTwoProcessesIsTheGridOfOne) {
  REQUIRE_GLOO();
  Dir d;
  Recipe r = one_term_recipe(d, 3);
  r.sampler.seed = 5;
  for (int batch : {4, 3}) {  // 3: shares of 2 and 1
    r.sampler.batch = batch;
    save_recipe(d.f("r.json"), r);
    CliRun one = ebm(d, {"sample", "--recipe", d.f("r.json"), "--out", d.f("one.png"), "--quiet"});
    ASSERT_EQ(one.code, 0) << one.err;
    CliRun two = ebm(d, {"sample", "--recipe", d.f("r.json"), "--out", d.f("two.png"), "--quiet", "--gpus", "2"});
    ASSERT_EQ(two.code, 0) << two.err;
    EXPECT_NE(two.out.find(std::to_string(batch) + " samples"), std::string::npos) << two.out;
    const PngImage a = png_decode(read_file(d.f("one.png"))), b = png_decode(read_file(d.f("two.png")));
    ASSERT_EQ(a.width, b.width);
    ASSERT_EQ(a.pixels.size(), b.pixels.size());
    int differ = 0;
    for (size_t i = 0; i < a.pixels.size(); ++i) differ += std::abs(int(a.pixels[i]) - int(b.pixels[i])) > 1;
    EXPECT_EQ(differ, 0) << "batch " << batch;
    // The PNG carries the whole batch's recipe, not a worker's share.
    EXPECT_EQ(load_recipe(d.f("two.png"), nullptr).sampler.batch, batch);
  }
}

TEST(DataParallel, BadGroupsGiveClearErrors) {
  REQUIRE_GLOO();
  Dir d;
  Recipe r = one_term_recipe(d, 1);
  r.sampler.batch = 2;
  save_recipe(d.f("r.json"), r);
  CliRun zero = ebm(d, {"sample", "--recipe", d.f("r.json"), "--out", d.f("x.png"), "--gpus", "0"});
  EXPECT_EQ(zero.code, 2);
  EXPECT_NE(zero.err.find("--gpus must be in [1, 64]"), std::string::npos) << zero.err;
  CliRun hosts = ebm(d, {"sample", "--recipe", d.f("r.json"), "--out", d.f("x.png"), "--nnodes", "2"});
  EXPECT_EQ(hosts.code, 2);
  EXPECT_NE(hosts.err.find("--master-port"), std::string::npos) << hosts.err;
  // Every worker refuses a batch smaller than the group; the launcher names the failure.
  CliRun small = ebm(d, {"sample", "--recipe", d.f("r.json"), "--out", d.f("x.png"), "--gpus", "3"});
  EXPECT_EQ(small.code, 2);
  EXPECT_NE(small.err.find("needs a batch of at least 3"), std::string::npos) << small.err;
  EXPECT_NE(small.err.find("worker rank"), std::string::npos) << small.err;
  EXPECT_FALSE(fs::exists(d.f("x.png")));
}

}  // namespace
}  // namespace ebm
