// Atomic file writes: every file this project writes (checkpoints, optimizer state, images, presets)
// goes through here, so a crash, a full disk or a kill mid-write never leaves a half-written file in
// place of a good one. The data goes to a temporary file in the target's directory (same filesystem,
// so the final rename is atomic), is fsync'ed, then renamed over the target; on any failure the
// temporary file is removed and the old target is untouched.
#pragma once

#include <cstddef>
#include <stdexcept>
#include <string>
#include <string_view>

namespace ebm {

// Thrown for every I/O failure of this module; the message names the path and the OS error text.
class FileError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// A file being written atomically. Write with write(), then commit(); destroying it without commit()
// (an exception unwinding, an early return) discards everything written and keeps the old file.
// Move-only: two owners of one temporary file would race on its removal.
class AtomicFile {
 public:
  explicit AtomicFile(std::string path);  // creates the temporary file; throws FileError
  ~AtomicFile();
  AtomicFile(AtomicFile&& other) noexcept;
  AtomicFile& operator=(AtomicFile&&) = delete;
  AtomicFile(const AtomicFile&) = delete;
  AtomicFile& operator=(const AtomicFile&) = delete;

  void write(const void* data, std::size_t size);  // throws FileError (e.g. ENOSPC)
  void write(std::string_view data) { write(data.data(), data.size()); }
  std::size_t bytes_written() const { return written_; }

  // Flushes to disk and renames over the target. After it returns, the new content is in place.
  void commit();
  // Removes the temporary file now (idempotent). Called by the destructor when not committed.
  void discard() noexcept;

  const std::string& path() const { return path_; }
  const std::string& temp_path() const { return temp_; }

 private:
  [[noreturn]] void fail(const std::string& what, int err);

  std::string path_;
  std::string temp_;
  int fd_ = -1;
  std::size_t written_ = 0;
  bool done_ = false;
};

// One-shot helpers.
void write_file_atomic(const std::string& path, const void* data, std::size_t size);
inline void write_file_atomic(const std::string& path, std::string_view data) {
  write_file_atomic(path, data.data(), data.size());
}

// Removes the hidden temporaries (".NAME.tmp-XXXXXX") that writes killed with SIGKILL or a power cut
// left in `dir` (nothing can clean up after kill -9). Call it only where no other process is writing
// into `dir`, e.g. when a training run (re)starts. Returns how many were removed.
int remove_stale_temporaries(const std::string& dir);

// Reads a whole file; throws FileError naming the path when it cannot be opened or read.
std::string read_file(const std::string& path);

}  // namespace ebm
