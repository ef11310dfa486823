#include "models/checkpoint/atomic_file.h"
#include "tests/checkpoint/test_util.h"

#include <sys/fsuid.h>
#include <sys/resource.h>
#include <sys/stat.h>

#include <csignal>
#include <unistd.h>

using ebm::AtomicFile;
using ebm::FileError;
using ebm::write_file_atomic;
using ebm::test::TempDir;

namespace {

// Root's file accesses ignore permission bits (CAP_DAC_OVERRIDE), and CI runs as root. For the length
// of a scope this thread checks file permissions as an unprivileged user instead: Linux's filesystem
// uid is per thread, and a non-zero one drops the thread's file capabilities (setfsuid(2)). Nothing
// changes for a non-root process (its fsuid is its own uid already).
class AsUnprivilegedUser {
 public:
  static constexpr uid_t kNobody = 65534;
  AsUnprivilegedUser() : root_(::geteuid() == 0) {
    if (!root_) return;
    old_ = static_cast<uid_t>(::setfsuid(kNobody));
    // setfsuid reports nothing; an invalid id returns the current one, which says whether it took.
    active_ = static_cast<uid_t>(::setfsuid(static_cast<uid_t>(-1))) == kNobody;
  }
  ~AsUnprivilegedUser() {
    if (root_) ::setfsuid(old_);
  }
  AsUnprivilegedUser(const AsUnprivilegedUser&) = delete;  // restores this thread's fsuid once
  AsUnprivilegedUser& operator=(const AsUnprivilegedUser&) = delete;
  // False only for root without CAP_SETUID (the fsuid could not change).
  bool permissions_apply() const { return !root_ || active_; }

 private:
  bool root_;
  bool active_ = false;
  uid_t old_ = 0;
};

}  // namespace

TEST(AtomicFile, WritesNewFileAndLeavesNoTemp) {
  TempDir d;
  write_file_atomic(d.file("a.bin"), std::string("hello"));
  EXPECT_EQ(ebm::test::file_bytes(d.file("a.bin")), "hello");
  EXPECT_EQ(ebm::test::count_entries(d.path()), 1);
}

TEST(AtomicFile, ReplacesExistingFileKeepingItsMode) {
  TempDir d;
  const auto p = d.file("a.bin");
  write_file_atomic(p, std::string("old"));
  ::chmod(p.c_str(), 0640);
  write_file_atomic(p, std::string("new content"));
  EXPECT_EQ(ebm::test::file_bytes(p), "new content");
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
  EXPECT_EQ(ebm::test::file_bytes(p), "old");
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
  EXPECT_EQ(ebm::test::file_bytes(p), "old");
  EXPECT_EQ(ebm::test::count_entries(d.path()), 1);
}

TEST(AtomicFile, ReadOnlyDirectoryGivesClearErrorAndKeepsOldFile) {
  TempDir d;
  const auto p = d.file("a.bin");
  write_file_atomic(p, std::string("old"));
  ::chmod(d.path().c_str(), 0555);
  std::string error;
  {
    AsUnprivilegedUser user;  // as root: permissions count for this thread too
    if (!user.permissions_apply()) GTEST_SKIP() << "root without CAP_SETUID cannot drop its permission override";
    try {
      write_file_atomic(p, std::string("new"));
    } catch (const FileError& e) {
      error = e.what();
    }
  }
  ::chmod(d.path().c_str(), 0755);
  ASSERT_FALSE(error.empty()) << "writing into a read-only directory did not fail";
  EXPECT_NE(error.find(p), std::string::npos) << error;
  EXPECT_NE(error.find("Permission denied"), std::string::npos) << error;
  EXPECT_EQ(ebm::test::file_bytes(p), "old");
  EXPECT_EQ(ebm::test::count_entries(d.path()), 1);
}

// A failure that permissions do not decide (so it happens for root too): the run's directory was
// moved away and a regular file took its name, so the target's parent is not a directory.
TEST(AtomicFile, DirectoryReplacedByAFileGivesClearErrorAndTouchesNothing) {
  TempDir d;
  std::filesystem::create_directory(d.file("run"));
  write_file_atomic(d.file("run/a.bin"), std::string("old"));
  std::filesystem::rename(d.file("run"), d.file("moved"));
  ebm::test::write_raw(d.file("run"), "a file now");
  const auto p = d.file("run/a.bin");
  try {
    write_file_atomic(p, std::string("new"));
    FAIL() << "expected FileError";
  } catch (const FileError& e) {
    const std::string msg = e.what();
    EXPECT_NE(msg.find(p), std::string::npos) << msg;
    EXPECT_NE(msg.find("Not a directory"), std::string::npos) << msg;
    EXPECT_NE(msg.find("is the directory there and writable?"), std::string::npos) << msg;
  }
  EXPECT_EQ(ebm::test::file_bytes(d.file("run")), "a file now");
  EXPECT_EQ(ebm::test::file_bytes(d.file("moved/a.bin")), "old");
  EXPECT_EQ(ebm::test::count_entries(d.path()), 2);  // "run" and "moved": no temporary anywhere
  EXPECT_EQ(ebm::test::count_entries(d.file("moved")), 1);
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
  EXPECT_EQ(ebm::test::file_bytes(p + "/keep"), "x");
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
  EXPECT_EQ(ebm::test::file_bytes(p), "old");
  EXPECT_EQ(ebm::test::count_entries(d.path()), 1);
}

TEST(AtomicFile, ReadFileErrorsNamePath) {
  EXPECT_THROW(ebm::read_file("/nonexistent-ebm/file"), FileError);
  TempDir d;
  EXPECT_THROW(ebm::read_file(d.path().string()), FileError);
}
