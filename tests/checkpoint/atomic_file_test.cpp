#include "models/checkpoint/atomic_file.h"
#include "tests/checkpoint/test_util.h"

#include <sys/resource.h>
#include <sys/stat.h>

#include <csignal>
#include <unistd.h>

using ebm::AtomicFile;
using ebm::FileError;
using ebm::write_file_atomic;
using ebm::test::TempDir;

namespace {
bool running_as_root() { return ::geteuid() == 0; }
}  // namespace

TEST(AtomicFile, WritesNewFileAndLeavesNoTemp) {
  TempDir d;
  write_file_atomic(d.file("a.bin"), std::string("hello"));
  EXPECT_EQ(ebm::test::read_raw(d.file("a.bin")), "hello");
  EXPECT_EQ(ebm::test::count_entries(d.path()), 1);
}

TEST(AtomicFile, ReplacesExistingFileKeepingItsMode) {
  TempDir d;
  const auto p = d.file("a.bin");
  write_file_atomic(p, std::string("old"));
  ::chmod(p.c_str(), 0640);
  write_file_atomic(p, std::string("new content"));
  EXPECT_EQ(ebm::test::read_raw(p), "new content");
  struct stat st{};
  ASSERT_EQ(::stat(p.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0640u);
}

TEST(AtomicFile, UncommittedWriteKeepsOldFile) {
  TempDir d;
  const auto p = d.file("a.bin");
  write_file_atomic(p, std::string("old"));
  {
    AtomicFile f(p);
    f.write(std::string("partial"));
    // destroyed without commit(): as if an exception unwound mid-save
  }
  EXPECT_EQ(ebm::test::read_raw(p), "old");
  EXPECT_EQ(ebm::test::count_entries(d.path()), 1);
}

TEST(AtomicFile, ExceptionDuringWriteKeepsOldFile) {
  TempDir d;
  const auto p = d.file("a.bin");
  write_file_atomic(p, std::string("old"));
  try {
    AtomicFile f(p);
    f.write(std::string("half"));
    throw std::runtime_error("simulated failure while serializing");
  } catch (const std::runtime_error&) {
  }
  EXPECT_EQ(ebm::test::read_raw(p), "old");
  EXPECT_EQ(ebm::test::count_entries(d.path()), 1);
}

TEST(AtomicFile, ReadOnlyDirectoryGivesClearErrorAndKeepsOldFile) {
  if (running_as_root()) GTEST_SKIP() << "root ignores directory permissions";
  TempDir d;
  const auto p = d.file("a.bin");
  write_file_atomic(p, std::string("old"));
  ::chmod(d.path().c_str(), 0555);
  try {
    write_file_atomic(p, std::string("new"));
    FAIL() << "expected FileError";
  } catch (const FileError& e) {
    const std::string msg = e.what();
    EXPECT_NE(msg.find(p), std::string::npos) << msg;
    EXPECT_NE(msg.find("Permission denied"), std::string::npos) << msg;
  }
  ::chmod(d.path().c_str(), 0755);
  EXPECT_EQ(ebm::test::read_raw(p), "old");
  EXPECT_EQ(ebm::test::count_entries(d.path()), 1);
}

TEST(AtomicFile, RenameFailureRemovesTempAndKeepsTarget) {
  // The target is a non-empty directory: creating and writing the temp works, the rename fails.
  // This exercises the late failure path without needing root or a full disk.
  TempDir d;
  const auto p = d.file("target");
  std::filesystem::create_directory(p);
  ebm::test::write_raw(p + "/keep", "x");
  try {
    write_file_atomic(p, std::string("data"));
    FAIL() << "expected FileError";
  } catch (const FileError& e) {
    EXPECT_NE(std::string(e.what()).find(p), std::string::npos) << e.what();
  }
  EXPECT_TRUE(std::filesystem::is_directory(p));
  EXPECT_EQ(ebm::test::read_raw(p + "/keep"), "x");
  EXPECT_EQ(ebm::test::count_entries(d.path()), 1);
}

TEST(AtomicFile, MissingDirectoryGivesClearError) {
  try {
    write_file_atomic("/nonexistent-dir-ebm/x.bin", std::string("data"));
    FAIL() << "expected FileError";
  } catch (const FileError& e) {
    const std::string msg = e.what();
    EXPECT_NE(msg.find("/nonexistent-dir-ebm/x.bin"), std::string::npos) << msg;
    EXPECT_NE(msg.find("No such file or directory"), std::string::npos) << msg;
  }
}

TEST(AtomicFile, WriteFailureMidFileKeepsOldFile) {
  // A file-size limit makes write(2) fail with EFBIG part-way, like a full disk would with ENOSPC.
  TempDir d;
  const auto p = d.file("a.bin");
  write_file_atomic(p, std::string("old"));
  struct rlimit old_limit{};
  ASSERT_EQ(::getrlimit(RLIMIT_FSIZE, &old_limit), 0);
  auto old_handler = ::signal(SIGXFSZ, SIG_IGN);
  struct rlimit small = old_limit;
  small.rlim_cur = 16;
  ASSERT_EQ(::setrlimit(RLIMIT_FSIZE, &small), 0);
  std::string error;
  try {
    write_file_atomic(p, std::string(4096, 'x'));
  } catch (const FileError& e) {
    error = e.what();
  }
  ::setrlimit(RLIMIT_FSIZE, &old_limit);
  ::signal(SIGXFSZ, old_handler);
  EXPECT_NE(error.find(p), std::string::npos) << error;
  EXPECT_NE(error.find("write failed"), std::string::npos) << error;
  EXPECT_EQ(ebm::test::read_raw(p), "old");
  EXPECT_EQ(ebm::test::count_entries(d.path()), 1);
}

TEST(AtomicFile, ReadFileErrorsNamePath) {
  EXPECT_THROW(ebm::read_file("/nonexistent-ebm/file"), FileError);
  TempDir d;
  EXPECT_THROW(ebm::read_file(d.path().string()), FileError);
}
