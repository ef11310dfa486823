// `ebm inspect` and `ebm convert` as a user runs them: the real binary on a checkpoint written in
// the original's layout, checking exit codes, output and the converted file.
#include "models/checkpoint/model_file.h"
#include "tests/tf/tf_model_util.h"
#include "tests/tf/tf_test_util.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <sys/wait.h>

namespace ebm::tftest {

namespace {

struct RunResult {
  int code = -1;
  std::string output;  // stdout + stderr
};

RunResult run_ebm(const std::string& args) {
  RunResult r;
  const std::string cmd = std::string(EBM_CLI_PATH) + " " + args + " 2>&1";
  FILE* p = popen(cmd.c_str(), "r");
  if (!p) return r;
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, p)) > 0) r.output.append(buf, n);
  const int status = pclose(p);
  r.code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;  // -1: killed by a signal (a crash)
  return r;
}

}  // namespace

TEST(TfCli, ConvertsAnOriginalCheckpointIntoAModelFile) {
  Built b = build_case("cubes_base");
  TempDir dir;
  fs::create_directories(dir / "913_cube_general_pos");
  write_tf_checkpoint(dir / "913_cube_general_pos/model_30000", *b.by_module, b.weights, "context_0");
  spit(dir / "913_cube_general_pos/checkpoint", "model_checkpoint_path: \"model_30000\"\n");
  const std::string ckpt = dir / "913_cube_general_pos";
  const std::string out = dir / "pos.safetensors";

  RunResult ls = run_ebm("inspect " + ckpt);
  EXPECT_EQ(ls.code, 0) << ls.output;
  EXPECT_NE(ls.output.find("context_0/c1_pre/cweight"), std::string::npos) << ls.output;
  EXPECT_NE(ls.output.find("float32   [3,3,3," + std::to_string(b.pc.config.num_filters) + "]"), std::string::npos)
      << ls.output;

  // No --label-size: read from the checkpoint.
  RunResult cv = run_ebm("convert " + ckpt + " --arch cubesnet --num-filters " +
                         std::to_string(b.pc.config.num_filters) + " --out " + out);
  ASSERT_EQ(cv.code, 0) << cv.output;
  EXPECT_NE(cv.output.find("label size " + std::to_string(b.pc.config.label_size) + " (read from the checkpoint"),
            std::string::npos) << cv.output;
  EXPECT_NE(cv.output.find("optimizer state (Adam slot)"), std::string::npos) << cv.output;
  EXPECT_NE(cv.output.find("wrote " + out), std::string::npos) << cv.output;
  LoadedModel lm = load_model(out);
  expect_same_outputs(b.pc, *lm.network, *b.by_module);
}

TEST(TfCli, MisfitsAndBadInputsGiveClearErrorsAndExitCodes) {
  Built b = build_case("cubes_base");
  TempDir dir;
  write_tf_checkpoint(dir / "model_30000", *b.by_module, b.weights, "context_0");
  const std::string ckpt = dir / "model_30000";
  const std::string nf = " --num-filters " + std::to_string(b.pc.config.num_filters);

  RunResult wrong = run_ebm("convert " + ckpt + " --arch cubesnet --label-size 7" + nf + " --out " + (dir / "x.safetensors"));
  EXPECT_EQ(wrong.code, 1) << wrong.output;

  EXPECT_NE(wrong.output.find("--label-size " + std::to_string(b.pc.config.label_size)), std::string::npos) << wrong.output;
  EXPECT_FALSE(fs::exists(dir / "x.safetensors"));

  RunResult no_arch = run_ebm("convert " + ckpt + " --out " + (dir / "x.safetensors"));
  EXPECT_EQ(no_arch.code, 2) << no_arch.output;
  EXPECT_NE(no_arch.output.find("--arch"), std::string::npos) << no_arch.output;

  RunResult missing = run_ebm("convert " + (dir / "model_1") + " --arch cubesnet --out " + (dir / "x.safetensors"));
  EXPECT_EQ(missing.code, 1) << missing.output;
  EXPECT_NE(missing.output.find("model_1.index: does not exist"), std::string::npos) << missing.output;

  spit(ckpt + ".index", ebm::test::file_bytes(ckpt + ".index").substr(0, 100));
  RunResult cut = run_ebm("inspect " + ckpt);
  EXPECT_EQ(cut.code, 1) << cut.output;
  EXPECT_NE(cut.output.find(ckpt + ".index: is not a readable TensorFlow checkpoint index"), std::string::npos)
      << cut.output;
}

}  // namespace ebm::tftest
