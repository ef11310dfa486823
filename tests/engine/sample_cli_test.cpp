// `ebm sample` and `ebm bench` end to end (the real binary, EBM_BINARY), plus the Session's
// LoadModel on real model files. Small-width CubesNets keep it fast.
#include "engine/image/png_codec.h"
#include "engine/recipe/recipe.h"
#include "models/checkpoint/sha256.h"
#include "engine/session.h"
#include "models/checkpoint/atomic_file.h"
#include "models/checkpoint/model_file.h"
#include "models/registry.h"

#include "tests/support/temp_dir.h"
#include "tests/support/cli_run.h"
#include "tests/support/small_models.h"
#include "wait_for_snapshot.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <cstdio>
#include <filesystem>
#include <unistd.h>

namespace ebm {
namespace {

namespace fs = std::filesystem;

struct Dir : ebm::test::TempDir {
  Dir() : TempDir("ebm_sample_cli") {}
};

using ebm::test::CliRun;

CliRun ebm(const Dir& d, const std::vector<std::string>& args) {
  return ebm::test::run_binary(EBM_BINARY, args, d.f("stderr.txt"));
}

using ebm::test::save_small_cubesnet;

Recipe two_concept_recipe(const Dir& d) {
  save_small_cubesnet(d.f("models/pos.safetensors"), 2, 1);
  save_small_cubesnet(d.f("models/shape.safetensors"), 3, 2);
  Recipe r;
  r.models = {{"pos", "models/pos.safetensors", sha256_file(d.f("models/pos.safetensors"))},
              {"shape", "models/shape.safetensors", sha256_file(d.f("models/shape.safetensors"))}};
  r.composition = Node::op(NodeKind::And, {Node::term("position", "pos", {0.f, -0.8f}),
                                           Node::term("cylinder", "shape", {0.f, 0.f, 1.f})});
  r.sampler.steps = 3;
  r.sampler.batch = 4;
  r.sampler.seed = 11;
  return r;
}

TEST(SampleCli, TwoConceptRecipeWritesAReproducibleGrid) {
  Dir d;
  save_recipe(d.f("r.json"), two_concept_recipe(d));
  CliRun r = ebm(d, {"sample", "--recipe", d.f("r.json"), "--out", d.f("grid.png")});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.out.find("wrote"), std::string::npos);
  EXPECT_NE(r.err.find("step 3/3"), std::string::npos) << r.err;  // plain progress lines off a TTY
  const PngImage grid = png_decode(read_file(d.f("grid.png")));
  EXPECT_EQ(grid.width, 2 + 2 * (64 + 2));
  const Recipe inside = load_recipe(d.f("grid.png"), nullptr);
  EXPECT_EQ(inside.sampler.seed, 11u);
  EXPECT_EQ(inside.models[1].sha256, sha256_file(d.f("models/shape.safetensors")));
  // The grid is a recipe: replaying it (models resolved next to it) gives the same pixels.
  CliRun again = ebm(d, {"sample", "--recipe", d.f("grid.png"), "--out", d.f("again.png"), "--quiet"});
  ASSERT_EQ(again.code, 0) << again.err;
  EXPECT_EQ(png_decode(read_file(d.f("again.png"))).pixels, grid.pixels);
  // Overrides: another seed differs; sample 2 alone (offset 2) is tile 2 of the grid.
  CliRun one = ebm(d, {"sample", "--recipe", d.f("r.json"), "--out", d.f("one.png"), "--batch", "1", "--offset", "2", "--quiet"});
  ASSERT_EQ(one.code, 0) << one.err;
  const PngImage single = png_decode(read_file(d.f("one.png")));
  int differ = 0;
  for (int y = 0; y < 64; ++y)
    for (int x = 0; x < 64 * 3; ++x) {
      const int a = single.pixels[((2 + y) * single.width * 3) + 2 * 3 + x];
      const int b = grid.pixels[((2 + 64 + 2 + y) * grid.width * 3) + 2 * 3 + x];
      differ += std::abs(a - b) > 1;  // float rounding of batched convolutions may flip an 8-bit step
    }
  EXPECT_EQ(differ, 0);
}

TEST(SampleCli, BadInputsGiveClearErrorsAndExitCodes) {
  Dir d;
  Recipe rec = two_concept_recipe(d);
  save_recipe(d.f("r.json"), rec);
  write_file_atomic(d.f("bad.json"), "{\"format\": \"ebm-recipe\", \"version\": 1, \"composition\": {\"op\": \"xor\"}}");
  CliRun bad = ebm(d, {"sample", "--recipe", d.f("bad.json"), "--out", d.f("x.png")});
  EXPECT_EQ(bad.code, 2);
  EXPECT_NE(bad.err.find("unknown composition node 'xor'"), std::string::npos) << bad.err;
  rec.models[0].sha256 = std::string(64, '0');
  save_recipe(d.f("hash.json"), rec);
  CliRun hash = ebm(d, {"sample", "--recipe", d.f("hash.json"), "--out", d.f("x.png")});
  EXPECT_EQ(hash.code, 1);
  EXPECT_NE(hash.err.find("--ignore-hash"), std::string::npos) << hash.err;
  EXPECT_FALSE(fs::exists(d.f("x.png")));
  CliRun forced = ebm(d, {"sample", "--recipe", d.f("hash.json"), "--out", d.f("x.png"), "--ignore-hash", "--quiet"});
  EXPECT_EQ(forced.code, 0) << forced.err;
  rec.models[0].path = "models/missing.safetensors";
  rec.models[0].sha256.clear();
  save_recipe(d.f("missing.json"), rec);
  CliRun missing = ebm(d, {"sample", "--recipe", d.f("missing.json"), "--out", d.f("y.png")});
  EXPECT_EQ(missing.code, 1);
  EXPECT_NE(missing.err.find("missing.safetensors"), std::string::npos) << missing.err;
  // The shared policy: one line naming the command; `ebm --verbose` is accepted before any command.
  EXPECT_NE(missing.err.find("ebm sample: error: "), std::string::npos) << missing.err;
  CliRun verbose = ebm(d, {"--verbose", "sample", "--recipe", d.f("missing.json"), "--out", d.f("y.png")});
  EXPECT_EQ(verbose.code, 1) << verbose.err;
  CliRun dev = ebm(d, {"sample", "--recipe", d.f("r.json"), "--out", d.f("y.png"), "--device", "tpu"});
  EXPECT_EQ(dev.code, 2);
  EXPECT_NE(dev.err.find("unknown device 'tpu'"), std::string::npos) << dev.err;
}

// A GPU that is not here is a usage error in every subcommand that takes --device (exit 2), with the
// device named and the way out (engine/gpu/device_check.h); an index past the last GPU likewise.
TEST(SampleCli, AnAbsentGpuIsAUsageErrorInEverySubcommand) {
  Dir d;
  save_recipe(d.f("r.json"), two_concept_recipe(d));
  const std::string dev = torch::cuda::is_available() ? "cuda:" + std::to_string(torch::cuda::device_count()) : "cuda";
  const std::vector<std::vector<std::string>> runs = {
      {"sample", "--recipe", d.f("r.json"), "--out", d.f("x.png"), "--device", dev},
      {"bench", "--batch", "1", "--terms", "1", "--steps", "1", "--device", dev},
      {"score", "--weights", d.f("models/pos.safetensors"), d.f("img.png"), "--device", dev},
  };
  for (const auto& args : runs) {
    CliRun r = ebm(d, args);
    EXPECT_EQ(r.code, 2) << args[0] << ": " << r.err;
    EXPECT_NE(r.err.find("--device " + dev + ":"), std::string::npos) << args[0] << ": " << r.err;
  }
  EXPECT_FALSE(fs::exists(d.f("x.png")));
  if (!torch::cuda::is_available()) {  // render takes cpu or cuda only
    CliRun r = ebm(d, {"render", "--n", "1", "--out", d.f("y.png"), "--device", "cuda"});
    EXPECT_EQ(r.code, 2) << r.err;
    EXPECT_NE(r.err.find("CUDA is not available here"), std::string::npos) << r.err;
  }
}

TEST(SampleCli, BenchPrintsJson) {
  Dir d;
  CliRun r = ebm(d, {"bench", "--json", "--batch", "1", "--terms", "1,2", "--steps", "1", "--warmup", "0"});
  ASSERT_EQ(r.code, 0) << r.err;
  auto j = nlohmann::json::parse(r.out);
  ASSERT_EQ(j.size(), 2u);
  EXPECT_EQ(j[1]["terms"], 2);
  EXPECT_GT(j[0]["img_steps_per_s"].get<double>(), 0.0);
  CliRun bad = ebm(d, {"bench", "--batch", "x"});
  EXPECT_EQ(bad.code, 2);
}

// The studio's threading without a window: a session samples while this process's reader makes a
// host preview of each new snapshot at 60 Hz (interop rows need CUDA and EGL).
TEST(SampleCli, BenchSessionRowsMeasureTheReaderAndTheWorker) {
  Dir d;
  CliRun r = ebm(d, {"bench", "--json", "--batch", "1", "--terms", "1", "--steps", "1", "--warmup", "0", "--session", "1"});
  ASSERT_EQ(r.code, 0) << r.err;
  auto j = nlohmann::json::parse(r.out);
  ASSERT_EQ(j.size(), 3u) << j.dump(2);  // the eager row, then the session rows without and with previews
  EXPECT_EQ(j[1]["session_preview"], "none");
  EXPECT_EQ(j[1]["previews"], 0);
  const auto& host = j[2];
  EXPECT_EQ(host["session_preview"], "host");
  EXPECT_GT(host["frames"].get<int>(), 5) << host.dump(2);
  EXPECT_GT(host["fps"].get<double>(), 5.0);
  EXPECT_LE(host["fps"].get<double>(), 61.0) << "the reader's frames are capped at 60 Hz";
  EXPECT_GE(host["previews"].get<int>(), 1) << host.dump(2);
  EXPECT_GT(host["worker_img_steps_per_s"].get<double>(), 0.0);
  EXPECT_LE(host["frame_ms_p50"].get<double>(), host["frame_ms_p99"].get<double>());
  EXPECT_EQ(host["step_path"], "eager");
  EXPECT_EQ(ebm(d, {"bench", "--session", "-1"}).code, 2);
}

TEST(SampleCli, SessionLoadsModelFiles) {
  Dir d;
  save_small_cubesnet(d.f("models/pos.safetensors"), 2, 1);
  Session s;
  s.submit(cmd::LoadModel{"pos", d.f("models/pos.safetensors")});
  s.submit(cmd::LoadModel{"nope", d.f("models/none.safetensors")});
  s.submit(cmd::SetComposition{Node::term("p", "pos", {0.5f, 0.5f})});
  SamplerParams p;
  p.batch = 1;
  p.steps = 2;
  s.submit(cmd::SetSampler{p});
  s.submit(cmd::Start{});
  s.submit(cmd::Export{{ExportRequest::Kind::Recipe, d.f("exported.json"), {}}});
  auto snap = test::wait_for(s, [](const Snapshot& x) { return x.status == SessionStatus::Finished; }, 60000);
  ASSERT_EQ(snap->status, SessionStatus::Finished);
  bool loaded = false, failed = false;
  for (const auto& e : snap->events) {
    loaded = loaded || (e.kind == Event::Kind::Info && e.message.find("loaded model 'pos'") != std::string::npos);
    failed = failed || (e.kind == Event::Kind::Error && e.message.find("none.safetensors") != std::string::npos);
  }
  EXPECT_TRUE(loaded);
  EXPECT_TRUE(failed);
  const Recipe r = load_recipe(d.f("exported.json"), nullptr);
  ASSERT_EQ(r.models.size(), 1u);
  EXPECT_EQ(r.models[0].sha256, sha256_file(d.f("models/pos.safetensors")));
}

}  // namespace
}  // namespace ebm
