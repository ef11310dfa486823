// The trainer on CUDA: renderer parity with the CPU, both objectives with bf16 + channels_last,
// resume on the GPU, and throughput at the original's width (printed, for the model card and the
// comparison with the reference loop: 3.6 it/s for CD at batch 64 on an H100).
#include "engine/data/cubes_renderer.h"
#include "engine/train/trainer.h"
#include "tests/support/temp_dir.h"
#include "tests/support/tiny_train.h"

#include <ATen/CPUGeneratorImpl.h>
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include <filesystem>
#include <fstream>
#include <iostream>
#include <string>

namespace ebm::train {
namespace {

namespace fs = std::filesystem;

#define EBM_REQUIRE_CUDA() \
  if (!torch::cuda::is_available()) GTEST_SKIP() << "no CUDA device"

// This suite's scratch directories: tests/support/temp_dir.h's, named after the test.
struct TempDir : test::TempDir {
  explicit TempDir(const std::string& name) : test::TempDir("ebm_trainer_gpu_" + name) {}
};

// The tiny run at a size where the GPU path (cuDNN, the captured chain) is what runs.
TrainOptions gpu_opts(const std::string& objective, const fs::path& dir) {
  TrainOptions o = test::tiny_train_options(objective, dir.string());
  o.device = "cuda";
  o.batch = 16;
  o.sample_n = 8;
  o.pool = 256;
  o.num_filters = 16;
  o.langevin_steps = 5;
  o.sample_steps = 5;
  o.sample_levels = 5;
  o.replay_size = 64;
  o.warmup = TrainOptions{}.warmup;  // these tests were tuned with the default warm-up
  return o;
}

TEST(TrainerGpu, RendererMatchesTheCpu) {
  EBM_REQUIRE_CUDA();
  auto scenes = data::sample_scenes(16, at::detail::createCPUGenerator(5));
  data::CubesRenderer r;
  auto cpu = r.render(scenes);
  auto gpu = r.render(scenes.to(torch::kCUDA)).cpu();
  EXPECT_LT((cpu - gpu).abs().mean().item<double>(), 1e-3);
}

TEST(TrainerGpu, BothObjectivesRunAndResumeWithBf16AndChannelsLast) {
  EBM_REQUIRE_CUDA();
  for (const std::string obj : {"cd", "dsm"}) {
    TempDir d(obj);
    auto o = gpu_opts(obj, d.path);
    o.bf16 = true;
    o.channels_last = true;
    o.iters = 3;
    auto a = Trainer(o, false).run();
    EXPECT_EQ(a.iterations, 3);
    o.iters = 6;
    auto b = Trainer(o, true).run();
    EXPECT_EQ(b.start_iteration, 3);
    for (const auto& row : b.logged) EXPECT_TRUE(std::isfinite(row.front())) << obj;
    EXPECT_TRUE(fs::exists(d.path / "model.safetensors"));
    // Every log line of a CUDA run carries the interval's peak of memory in use (what
    // checkpoint_memory.sh reads): more than the model's weights, less than the whole card.
    std::ifstream log(d.path / "log.jsonl");
    int lines = 0;
    for (std::string line; std::getline(log, line);) {
      const auto j = nlohmann::json::parse(line);
      if (!j.contains("it_per_s")) continue;  // a sample grid's line
      ASSERT_TRUE(j.contains("gpu_peak_allocated_mib")) << line;
      EXPECT_GT(j["gpu_peak_allocated_mib"].get<double>(), 0.1) << line;
      EXPECT_LT(j["gpu_peak_allocated_mib"].get<double>(), 200e3) << line;
      ++lines;
    }
    EXPECT_GT(lines, 0) << obj;
  }
}

// Iterations per second at the original's width (64 filters), batch 64, after a warm-up.
// `graph`: cd's chain replayed from a CUDA graph (the default) or run eagerly.
double throughput(const std::string& objective, bool fast, bool graph = true) {
  TempDir d("bench_" + objective + (fast ? "_fast" : "") + (graph ? "_graph" : ""));
  auto o = gpu_opts(objective, d.path);
  o.num_filters = 64;
  o.batch = 64;
  o.langevin_steps = 40;
  o.iters = objective == "cd" ? 30 : 100;
  o.log_every = 10;
  o.ckpt_every = 100000;
  o.pool = 2048;
  o.bf16 = fast;
  o.channels_last = fast;
  o.cuda_graph = graph;
  auto r = Trainer(o, false).run();
  return r.it_per_s;
}

TEST(TrainerGpu, ThroughputAtBatch64) {
  EBM_REQUIRE_CUDA();
  // cd: its chain eager (--no-cuda-graph) and replayed from a CUDA graph (the default).
  const double eager = throughput("cd", false, false), graph = throughput("cd", false, true);
  const double eager_fast = throughput("cd", true, false), graph_fast = throughput("cd", true, true);
  std::cout << "[throughput] cd batch 64, 64 filters, 40 Langevin steps: fp32 eager " << eager << " it/s, graph "
            << graph << " it/s (x" << graph / eager << "); bf16+channels_last eager " << eager_fast << " it/s, graph "
            << graph_fast << " it/s (x" << graph_fast / eager_fast << ")\n";
  EXPECT_GT(eager, 0);
  EXPECT_GT(graph, 0);
  const double fp32 = throughput("dsm", false), fast = throughput("dsm", true);
  std::cout << "[throughput] dsm batch 64, 64 filters: fp32 " << fp32 << " it/s, bf16+channels_last " << fast
            << " it/s\n";
  EXPECT_GT(fp32, 0);
}

}  // namespace
}  // namespace ebm::train
