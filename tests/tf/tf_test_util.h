// Small helpers shared by the TF checkpoint tests: a scratch directory per test, whole-file
// read/write, and an assertion that a call fails with a message naming the file and the problem.
#pragma once

#include "models/checkpoint/tf_bundle.h"
#include "tests/support/file_bytes.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <functional>
#include <random>
#include <string>

namespace ebm::tftest {

namespace fs = std::filesystem;

// A fresh directory under the system temp dir, removed with everything in it at scope exit.
class TempDir {
 public:
  TempDir() {
    std::random_device rd;
    path_ = fs::temp_directory_path() / ("ebm_tf_test_" + std::to_string(rd()) + std::to_string(rd()));
    fs::create_directories(path_);
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;  // two owners would remove the directory twice
  TempDir& operator=(const TempDir&) = delete;
  std::string operator/(const std::string& name) const { return (path_ / name).string(); }
  const fs::path& path() const { return path_; }

 private:
  fs::path path_;
};

inline void spit(const std::string& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

// EBM_SOURCE_DIR, not EBM_TEST_DATA_DIR: the latter is relative to the calling test directory.
inline std::string fixture_dir() {
  return std::string(EBM_SOURCE_DIR) + "/tests/fixtures/tf/saved_model_half_plus_two_cpu";
}

// Runs fn, expects a TfBundleError whose message contains every needle; returns the message.
inline std::string expect_bundle_error(const std::function<void()>& fn, const std::vector<std::string>& needles) {
  try {
    fn();
  } catch (const tf::TfBundleError& e) {
    const std::string msg = e.what();
    for (const auto& n : needles) EXPECT_NE(msg.find(n), std::string::npos) << "missing '" << n << "' in: " << msg;
    return msg;
  } catch (const std::exception& e) {
    ADD_FAILURE() << "expected TfBundleError, got another exception: " << e.what();
    return {};
  }
  ADD_FAILURE() << "expected TfBundleError, but the call succeeded";
  return {};
}

}  // namespace ebm::tftest
