// Child: a process a benchmark starts (the daemon, perf), its stdout and stderr to a log file, stopped by its PID when
// the Child goes, and killed with the benchmark if that dies first (PR_SET_PDEATHSIG).
#pragma once

#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

namespace incidentd::bench {

// A child process (stdout and stderr to `log`), stopped by its PID when this goes.
class Child {
 public:
  Child(std::vector<std::string> args, const std::string& log) {
    // Everything the child needs is prepared before fork: after it, only async-signal-safe calls.
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    const pid_t parent = getpid();
    pid_ = fork();
    if (pid_ == 0) {
      prctl(PR_SET_PDEATHSIG, SIGKILL);  // never outlive the benchmark
      if (getppid() != parent) _exit(127);
      int fd = open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
      if (fd >= 0) {
        dup2(fd, 1);
        dup2(fd, 2);
      }
      execvp(argv[0], argv.data());
      _exit(127);
    }
  }
  ~Child() { Stop(SIGTERM); }
  Child(const Child&) = delete;
  Child& operator=(const Child&) = delete;

  pid_t pid() const { return pid_; }
  bool Running() {
    if (pid_ <= 0) return false;
    int status = 0;
    if (waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      exit_ = WIFEXITED(status) ? "exit status " + std::to_string(WEXITSTATUS(status))
                                : std::string("signal ") + strsignal(WTERMSIG(status));
      return false;
    }
    return true;
  }
  // How it ended, once Running() said it did.
  const std::string& exit() const { return exit_; }
  // Sends `signal`, waits up to 30 s, then SIGKILL. The seconds the exit took.
  double Stop(int signal) {
    if (pid_ <= 0) return 0;
    const auto t0 = std::chrono::steady_clock::now();
    kill(pid_, signal);
    int status = 0;
    while (waitpid(pid_, &status, WNOHANG) == 0) {
      if (std::chrono::steady_clock::now() - t0 > std::chrono::seconds(30)) {
        kill(pid_, SIGKILL);
        waitpid(pid_, &status, 0);
        break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    pid_ = -1;
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  }

 private:
  pid_t pid_ = -1;
  std::string exit_;
};

}  // namespace incidentd::bench
