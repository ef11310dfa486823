// Runs one of the project's binaries as a user would from a shell: arguments single-quoted, stdout
// captured, stderr sent to a file and read back, the exit status decoded. Shared by the suites that
// test the `ebm` command line (checkpoint, engine, eval), so each asserts on the same CliRun.
#pragma once

#include "tests/support/file_bytes.h"

#include <sys/wait.h>

#include <array>
#include <cstdio>
#include <string>
#include <vector>

namespace ebm::test {

struct CliRun {
  int code = -1;  // the exit status; -1 when the process could not start or did not exit normally
  std::string out, err;
};

// POSIX shell single quotes; an embedded ' becomes '\''.
inline std::string shell_quote(const std::string& s) {
  std::string q = "'";
  for (char c : s) q += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return q + "'";
}

// `binary args…` with stderr written to `stderr_path` (overwritten) and returned in CliRun::err.
inline CliRun run_binary(const std::string& binary, const std::vector<std::string>& args, const std::string& stderr_path) {
  std::string cmd = shell_quote(binary);
  for (const auto& a : args) cmd += " " + shell_quote(a);
  cmd += " 2>" + shell_quote(stderr_path);
  CliRun r;
  FILE* p = ::popen(cmd.c_str(), "r");
  if (!p) return r;
  std::array<char, 4096> buf;
  std::size_t n;
  while ((n = std::fread(buf.data(), 1, buf.size(), p)) > 0) r.out.append(buf.data(), n);
  const int status = ::pclose(p);
  r.code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  r.err = file_bytes(stderr_path);
  return r;
}

// An argument list with more appended (a base command line and its variations).
inline std::vector<std::string> concat(std::vector<std::string> a, const std::vector<std::string>& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

}  // namespace ebm::test
