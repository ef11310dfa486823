// Runs a piece of code in a child process whose address space is capped a little above what the
// process already uses, so a test can prove that an absurd input is refused *before* anything big
// is allocated: had the code tried to allocate what the input claims, the allocation would fail
// (std::bad_alloc or a c10 out-of-memory error) instead of the parser's own clear error.
// Under AddressSanitizer (which reserves terabytes of shadow memory) the cap cannot be applied;
// the code then runs uncapped and only the error itself is checked.
#pragma once

#include <gtest/gtest.h>

#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <functional>
#include <string>

#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define EBM_TEST_CAN_CAP_MEMORY 0
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
#define EBM_TEST_CAN_CAP_MEMORY 0
#endif
#endif
#ifndef EBM_TEST_CAN_CAP_MEMORY
#define EBM_TEST_CAN_CAP_MEMORY 1
#endif

namespace ebm::test {

// Headroom above the current address-space size the child may use (parsing small files needs a
// few MiB; every refused claim in the tests is >= 1 GiB).
constexpr long kMemoryHeadroomBytes = 256L << 20;

inline long current_vm_bytes() {
  std::ifstream in("/proc/self/statm");
  long pages = 0;
  in >> pages;
  return pages * sysconf(_SC_PAGESIZE);
}

// Runs `fn` in a forked child under the cap; returns the message of the exception it threw
// ("<no exception>" when it returned, "<died>" when the child died). `fn` must not need other
// threads (fork keeps only the calling one): the parsers under test are single-threaded.
inline std::string error_under_memory_cap(const std::function<void()>& fn) {
  int fds[2];
  if (pipe(fds) != 0) return "<pipe failed>";
  const pid_t pid = fork();
  if (pid == 0) {
    close(fds[0]);
    if (EBM_TEST_CAN_CAP_MEMORY) {
      const rlimit cap{static_cast<rlim_t>(current_vm_bytes() + kMemoryHeadroomBytes),
                       static_cast<rlim_t>(current_vm_bytes() + kMemoryHeadroomBytes)};
      setrlimit(RLIMIT_AS, &cap);
    }
    std::string msg = "<no exception>";
    try {
      fn();
    } catch (const std::exception& e) {
      msg = e.what();
    }
    const ssize_t n = write(fds[1], msg.data(), msg.size());
    (void)n;
    _exit(0);
  }
  close(fds[1]);
  std::string out;
  char buf[4096];
  for (ssize_t n; (n = read(fds[0], buf, sizeof buf)) > 0;) out.append(buf, static_cast<std::size_t>(n));
  close(fds[0]);
  int status = 0;
  waitpid(pid, &status, 0);
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) return "<died>";
  return out;
}

}  // namespace ebm::test
