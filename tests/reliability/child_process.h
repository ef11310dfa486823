// Starting and killing real `ebm` processes for the fault-injection tests: fork + exec of the
// built CLI with its output in a file, SIGKILL at a chosen moment, exit status back.
#pragma once

#include <signal.h>
#include <sys/wait.h>
#include <fcntl.h>
#include <unistd.h>

#include <chrono>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace ebm::test {

class ChildProcess {
 public:
  // Starts `exe args...` with stdout and stderr appended to `log_path`.
  ChildProcess(const std::string& exe, const std::vector<std::string>& args, const std::string& log_path) {
    std::vector<std::string> all{exe};
    all.insert(all.end(), args.begin(), args.end());
    pid_ = fork();
    if (pid_ < 0) throw std::runtime_error("fork failed");
    if (pid_ == 0) {
      const int fd = open(log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
      if (fd >= 0) {
        dup2(fd, 1);
        dup2(fd, 2);
        close(fd);
      }
      std::vector<char*> argv;
      for (auto& a : all) argv.push_back(a.data());
      argv.push_back(nullptr);
      execv(exe.c_str(), argv.data());
      _exit(127);
    }
  }
  ~ChildProcess() {
    if (pid_ > 0 && !reaped_) {
      kill(pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
    }
  }
  ChildProcess(const ChildProcess&) = delete;  // one owner reaps the process
  ChildProcess& operator=(const ChildProcess&) = delete;

  // True when the process ended within `timeout`; then status() is valid.
  bool wait_for(std::chrono::milliseconds timeout) {
    const auto end = std::chrono::steady_clock::now() + timeout;
    while (!reaped_) {
      const pid_t r = waitpid(pid_, &status_, WNOHANG);
      if (r == pid_) reaped_ = true;
      else if (std::chrono::steady_clock::now() >= end) return false;
      else std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    return true;
  }
  // SIGKILL now (no cleanup runs in the child: what a power cut or the OOM killer does).
  void kill_hard() {
    if (!reaped_) {
      kill(pid_, SIGKILL);
      waitpid(pid_, &status_, 0);
      reaped_ = true;
    }
  }
  bool exited_ok() const { return reaped_ && WIFEXITED(status_) && WEXITSTATUS(status_) == 0; }
  bool was_killed() const { return reaped_ && WIFSIGNALED(status_) && WTERMSIG(status_) == SIGKILL; }

 private:
  pid_t pid_ = -1;
  int status_ = 0;
  bool reaped_ = false;
};

}  // namespace ebm::test
