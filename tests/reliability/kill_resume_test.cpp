// Fault injection: `kill -9` during training. A real, tiny `ebm train` process is started and
// killed with SIGKILL at random moments, several times, resuming each time with --resume. After
// every kill, every file in the run directory must be whole (each safetensors file loads, each
// JSON parses, each PNG decodes; log.jsonl may end in one cut line, which the next resume drops),
// and the checkpoint's iteration never goes back. Finally the run is resumed to completion and its
// log must be exactly the one an uninterrupted run with the same seed writes: every iteration
// once, the same losses — it continued from the last checkpoint on the same trajectory.
#include "engine/image/image_io.h"
#include "models/checkpoint/safetensors.h"
#include "tests/checkpoint/test_util.h"
#include "tests/reliability/child_process.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <filesystem>
#include <fstream>
#include <random>

namespace fs = std::filesystem;
using namespace ebm;
using ebm::test::ChildProcess;
using ebm::test::TempDir;

namespace {

constexpr int kKills = 6;
constexpr int kCheckpointEvery = 2;  // --ckpt-every of the runs below

std::vector<std::string> fresh_args(const std::string& dir, int iters) {
  return {"train", "--out", dir, "--concept", "position", "--objective", "cd", "--device", "cpu",
          "--iters", std::to_string(iters), "--batch", "4", "--filters", "4", "--pool", "16", "--steps", "2",
          "--replay", "16", "--sample-steps", "2", "--sample-n", "4", "--ckpt-every", std::to_string(kCheckpointEvery), "--log-every", "1",
          "--sample-every", "0", "--seed", "5", "--no-progress"};
}

std::vector<std::string> resume_args(const std::string& dir, int iters) {
  return {"train", "--out", dir, "--resume", "--iters", std::to_string(iters), "--no-progress"};
}

struct DirState {
  std::vector<std::string> problems;  // files that are not whole
  int64_t checkpoint_iteration = -1;  // -1: no checkpoint yet
  int temp_files = 0;                 // AtomicFile temporaries a kill left behind
  int cut_log_lines = 0;
};

// Checks every file of a run directory the way a user (or the next --resume) would read it.
DirState inspect(const fs::path& dir) {
  DirState s;
  // A kill during start-up (loading LibTorch; seconds under ASan) can come before the run directory
  // exists: nothing was written, so nothing can be damaged (the next round starts afresh).
  if (!fs::exists(dir)) return s;
  for (const auto& e : fs::recursive_directory_iterator(dir)) {
    if (!e.is_regular_file()) continue;
    const fs::path p = e.path();
    const std::string name = p.filename().string();
    try {
      if (name[0] == '.' && name.find(".tmp-") != std::string::npos) {
        ++s.temp_files;
      } else if (p.extension() == ".safetensors") {
        SafetensorsFile f = read_safetensors(p.string());
        if (name == "checkpoint.safetensors") s.checkpoint_iteration = std::stoll(f.metadata.at("train.iteration"));
      } else if (p.extension() == ".json") {
        (void)nlohmann::json::parse(ebm::test::file_bytes(p.string()));
      } else if (p.extension() == ".png") {
        (void)load_png(p.string());
      } else if (name == "log.jsonl") {
        const std::string text = ebm::test::file_bytes(p.string());
        std::size_t start = 0;
        for (std::size_t nl; (nl = text.find('\n', start)) != std::string::npos; start = nl + 1)
          (void)nlohmann::json::parse(text.substr(start, nl - start));
        if (start < text.size()) ++s.cut_log_lines;  // a line cut by the kill: dropped by the next --resume
      }
    } catch (const std::exception& ex) {
      s.problems.push_back(p.string() + ": " + ex.what());
    }
  }
  return s;
}

// (iteration, loss) of every log line; timing fields differ between runs and are left out.
std::vector<std::pair<int64_t, double>> losses(const fs::path& dir) {
  std::vector<std::pair<int64_t, double>> out;
  std::ifstream in(dir / "log.jsonl");
  for (std::string line; std::getline(in, line);) {
    const auto j = nlohmann::json::parse(line);
    // The log also holds sample-grade lines ({"iter", "sample_*"}); only training lines carry a loss.
    if (!j.contains("loss")) continue;
    out.emplace_back(j.at("iter").get<int64_t>(), j.at("loss").get<double>());
  }
  return out;
}

// The last complete log line's iteration (0 when none).
int64_t logged_iteration(const fs::path& dir) {
  const std::string text = ebm::test::file_bytes((dir / "log.jsonl").string());
  const std::size_t end = text.rfind('\n');
  if (end == std::string::npos) return 0;
  const std::size_t start = text.rfind('\n', end - 1);
  try {
    return nlohmann::json::parse(text.substr(start == std::string::npos ? 0 : start + 1, end - start - 1)).at("iter").get<int64_t>();
  } catch (const std::exception&) {
    return 0;
  }
}

TEST(FaultKill, SigkillDuringTrainingThenResumeLosesNothing) {
  TempDir dir;
  const std::string log = (dir.path() / "ebm-output.txt").string();
  const fs::path run = dir.path() / "run";
  std::mt19937 rng(20240611);  // fixed: the same kill schedule on every CI run
  std::uniform_int_distribution<int> delay_ms(0, 1500);
  int64_t last_iteration = -1;
  int kills = 0, cut_lines = 0, max_temps = 0;
  for (int round = 0; round < kKills; ++round) {
    const bool resume = fs::exists(run / "checkpoint.safetensors");
    // Killed rounds aim far past the end, so a kill always lands mid-run.
    ChildProcess p(EBM_CLI_PATH, resume ? resume_args(run.string(), 1000000) : fresh_args(run.string(), 1000000), log);
    // Even rounds: a random moment from process start (start-up, first writes, checkpoints).
    // Odd rounds: a random moment after the run has logged the iteration after its next checkpoint
    // (the trainer writes a checkpoint right after that iteration's log line, before the next
    // iteration), so every odd round moves the checkpoint on whatever the machine's speed. Waiting
    // only for one logged iteration past the last checkpoint was not enough: under ASan, beside
    // two-process training tests, all six kills of a run once came before the first checkpoint.
    if (round % 2 == 1) {
      const int64_t next_checkpoint = std::max<int64_t>(last_iteration, 0) + kCheckpointEvery;
      const auto give_up = std::chrono::steady_clock::now() + std::chrono::minutes(5);
      while (logged_iteration(run) <= next_checkpoint && std::chrono::steady_clock::now() < give_up)
        if (p.wait_for(std::chrono::milliseconds(20))) FAIL() << "training ended early:\n" << ebm::test::file_bytes(log);
    }
    const int ms = delay_ms(rng) + (round % 2 == 0 ? 300 : 0);
    if (p.wait_for(std::chrono::milliseconds(ms))) FAIL() << "training ended before the kill:\n" << ebm::test::file_bytes(log);
    p.kill_hard();
    ASSERT_TRUE(p.was_killed());
    ++kills;
    const DirState s = inspect(run);
    EXPECT_TRUE(s.problems.empty()) << "after kill " << kills << ":\n" << ::testing::PrintToString(s.problems);
    EXPECT_GE(s.checkpoint_iteration, last_iteration) << "the checkpoint went back in time";
    last_iteration = s.checkpoint_iteration;
    max_temps = std::max(max_temps, s.temp_files);
    cut_lines += s.cut_log_lines;
    std::cout << "kill " << kills << (round % 2 ? " (after progress)" : " (from start)") << " +" << ms
              << " ms: checkpoint at iteration " << s.checkpoint_iteration << ", " << s.temp_files
              << " temporary file(s), " << s.cut_log_lines << " cut log line(s)\n";
  }
  ASSERT_GT(last_iteration, 0) << "no checkpoint was ever written";
  // Resume to the end, uninterrupted: a few checkpoints past the last one.
  const int final_iters = static_cast<int>(last_iteration) + 6;
  ChildProcess final_run(EBM_CLI_PATH, resume_args(run.string(), final_iters), log);
  ASSERT_TRUE(final_run.wait_for(std::chrono::minutes(10)));
  ASSERT_TRUE(final_run.exited_ok()) << ebm::test::file_bytes(log);
  const DirState end = inspect(run);
  EXPECT_TRUE(end.problems.empty()) << ::testing::PrintToString(end.problems);
  EXPECT_EQ(end.checkpoint_iteration, final_iters);
  EXPECT_EQ(end.cut_log_lines, 0);
  EXPECT_EQ(end.temp_files, 0) << "temporary files of killed writes were left in the run directory";
  // The reference: the same run, never interrupted.
  const fs::path ref = dir.path() / "reference";
  ChildProcess ref_run(EBM_CLI_PATH, fresh_args(ref.string(), final_iters), log);
  ASSERT_TRUE(ref_run.wait_for(std::chrono::minutes(10)));
  ASSERT_TRUE(ref_run.exited_ok()) << ebm::test::file_bytes(log);
  const auto got = losses(run), want = losses(ref);
  ASSERT_EQ(got.size(), static_cast<std::size_t>(final_iters));
  ASSERT_EQ(want.size(), got.size());
  for (std::size_t i = 0; i < got.size(); ++i) {
    EXPECT_EQ(got[i].first, static_cast<int64_t>(i + 1)) << "log line " << i;
    EXPECT_EQ(got[i].second, want[i].second) << "loss of iteration " << i + 1 << " differs from the uninterrupted run";
  }
  std::cout << kills << " kills, resumed to iteration " << final_iters << "; most temporary files seen after a kill: "
            << max_temps << "; cut log lines over all kills: " << cut_lines << "\n";
}

}  // namespace
