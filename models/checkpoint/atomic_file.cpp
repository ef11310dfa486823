#include "models/checkpoint/atomic_file.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <vector>

namespace ebm {

namespace {

std::string errno_text(int err) { return std::strerror(err); }

std::string dir_of(const std::string& path) {
  auto slash = path.find_last_of('/');
  if (slash == std::string::npos) return ".";
  if (slash == 0) return "/";
  return path.substr(0, slash);
}

std::string base_of(const std::string& path) {
  auto slash = path.find_last_of('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

// The process umask, read without changing it (umask(2) can only read by writing, which races with
// other threads creating files). Linux exposes it in /proc; elsewhere assume the common 022.
mode_t current_umask() {
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("Umask:", 0) == 0) return static_cast<mode_t>(std::strtoul(line.c_str() + 6, nullptr, 8));
  }
  return 022;
}

}  // namespace

AtomicFile::AtomicFile(std::string path) : path_(std::move(path)) {
  if (path_.empty()) throw FileError("cannot write a file with an empty path");
  const std::string base = base_of(path_);
  if (base.empty() || base == "." || base == "..")
    throw FileError("cannot write '" + path_ + "': the path names a directory, not a file");
  // A hidden name beside the target: same filesystem (rename stays atomic), never mistaken for it.
  std::string tmpl = dir_of(path_) + "/." + base + ".tmp-XXXXXX";
  std::vector<char> buf(tmpl.begin(), tmpl.end());
  buf.push_back('\0');
  fd_ = ::mkstemp(buf.data());
  if (fd_ < 0) {
    const int err = errno;
    throw FileError("cannot write '" + path_ + "': creating a temporary file in '" + dir_of(path_) +
                    "' failed: " + errno_text(err) + " (is the directory there and writable?)");
  }
  temp_.assign(buf.data());
  // mkstemp makes the file 0600; give it the mode an ordinary create would (or the old file's).
  struct stat st{};
  const mode_t mode = ::stat(path_.c_str(), &st) == 0 ? (st.st_mode & 07777) : (0666 & ~current_umask());
  ::fchmod(fd_, mode);
}

AtomicFile::AtomicFile(AtomicFile&& other) noexcept
    : path_(std::move(other.path_)), temp_(std::move(other.temp_)), fd_(other.fd_),
      written_(other.written_), done_(other.done_) {
  other.fd_ = -1;
  other.done_ = true;
}

AtomicFile::~AtomicFile() { discard(); }

void AtomicFile::fail(const std::string& what, int err) {
  discard();
  throw FileError("cannot write '" + path_ + "': " + what + ": " + errno_text(err) +
                  " (the previous file, if any, is unchanged)");
}

void AtomicFile::write(const void* data, std::size_t size) {
  if (done_) throw FileError("cannot write '" + path_ + "': the file was already committed or discarded");
  const char* p = static_cast<const char*>(data);
  while (size > 0) {
    const ssize_t n = ::write(fd_, p, size);
    if (n < 0) {
      if (errno == EINTR) continue;
      fail("write failed after " + std::to_string(written_) + " bytes", errno);
    }
    p += n;
    size -= static_cast<std::size_t>(n);
    written_ += static_cast<std::size_t>(n);
  }
}

void AtomicFile::commit() {
  if (done_) throw FileError("cannot write '" + path_ + "': the file was already committed or discarded");
  // fsync before rename: otherwise a crash can leave the new name pointing at empty data.
  if (::fsync(fd_) != 0) fail("fsync failed", errno);
  const int fd = fd_;
  fd_ = -1;
  if (::close(fd) != 0) fail("close failed", errno);
  if (::rename(temp_.c_str(), path_.c_str()) != 0) fail("renaming the temporary file over it failed", errno);
  done_ = true;
  // Make the rename itself durable. Best effort: some filesystems refuse fsync on directories.
  const int dfd = ::open(dir_of(path_).c_str(), O_RDONLY | O_DIRECTORY);
  if (dfd >= 0) {
    ::fsync(dfd);
    ::close(dfd);
  }
}

void AtomicFile::discard() noexcept {
  if (fd_ >= 0) {
    ::close(fd_);
    fd_ = -1;
  }
  if (!done_ && !temp_.empty()) ::unlink(temp_.c_str());
  done_ = true;
}

void write_file_atomic(const std::string& path, const void* data, std::size_t size) {
  AtomicFile f(path);
  f.write(data, size);
  f.commit();
}

std::string read_file(const std::string& path) {
  struct stat st{};
  if (::stat(path.c_str(), &st) != 0) throw FileError("cannot read '" + path + "': " + errno_text(errno));
  if (S_ISDIR(st.st_mode)) throw FileError("cannot read '" + path + "': it is a directory, not a file");
  std::ifstream in(path, std::ios::binary);
  if (!in) throw FileError("cannot read '" + path + "': " + errno_text(errno));
  std::ostringstream ss;
  ss << in.rdbuf();
  if (in.bad()) throw FileError("cannot read '" + path + "': read error: " + errno_text(errno));
  return ss.str();
}

int remove_stale_temporaries(const std::string& dir) {
  DIR* d = ::opendir(dir.c_str());
  if (!d) return 0;
  int removed = 0;
  while (const dirent* e = ::readdir(d)) {
    const std::string name = e->d_name;
    // Our temporaries: a leading dot, ".tmp-" and the six characters mkstemp filled in.
    const auto pos = name.rfind(".tmp-");
    if (name.size() < 2 || name[0] != '.' || pos == std::string::npos || pos == 0 || name.size() != pos + 11) continue;
    if (::unlink((dir + "/" + name).c_str()) == 0) ++removed;
  }
  ::closedir(d);
  return removed;
}

}  // namespace ebm
