// Process: the real incidentd binary as a child, its stdout and stderr captured, for the tests that run it as an
// operator does. Killed by its PID if the test ends first; nothing else is ever signalled.
#pragma once

#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <functional>
#include <optional>
#include <regex>
#include <string>
#include <vector>

extern char** environ;

namespace incidentd::testing {

// A child process with its stdout and stderr captured; killed by PID if the test ends first.
class Process {
 public:
  // Runs build/incidentd with args, under `wrapper` (e.g. prlimit) when given.
  explicit Process(std::vector<std::string> args, std::vector<std::string> wrapper = {}) {
    int out[2], err[2];
    EXPECT_EQ(::pipe(out), 0);
    EXPECT_EQ(::pipe(err), 0);
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, out[1], 1);
    posix_spawn_file_actions_adddup2(&fa, err[1], 2);
    posix_spawn_file_actions_addclose(&fa, out[0]);
    posix_spawn_file_actions_addclose(&fa, err[0]);
    args.insert(args.begin(), INCIDENTD_BINARY);
    args.insert(args.begin(), wrapper.begin(), wrapper.end());
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    EXPECT_EQ(posix_spawn(&pid_, argv[0], &fa, nullptr, argv.data(), environ), 0);
    posix_spawn_file_actions_destroy(&fa);
    ::close(out[1]);
    ::close(err[1]);
    out_ = out[0];
    err_ = err[0];
  }
  ~Process() {
    if (pid_ > 0 && !exit_code_) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, nullptr, 0);
    }
    ::close(out_);
    ::close(err_);
  }
  // Waits for exit, at most `within`; nullopt on timeout.
  std::optional<int> Wait(std::chrono::seconds within = std::chrono::seconds(20)) {
    auto deadline = std::chrono::steady_clock::now() + within;
    while (std::chrono::steady_clock::now() < deadline) {
      Drain(std::chrono::milliseconds(20));
      int status;
      if (::waitpid(pid_, &status, WNOHANG) == pid_) {
        while (Drain(std::chrono::milliseconds(0))) {
        }
        exit_code_ = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
        return exit_code_;
      }
    }
    return std::nullopt;
  }
  // Reads stderr until it matches `re` or the deadline passes; returns the first capture group.
  std::optional<std::string> WaitForStderr(const std::string& re,
                                           std::chrono::seconds within = std::chrono::seconds(20)) {
    std::regex r(re);
    auto deadline = std::chrono::steady_clock::now() + within;
    while (std::chrono::steady_clock::now() < deadline) {
      std::smatch m;
      if (std::regex_search(stderr_, m, r)) return m.size() > 1 ? m[1].str() : m[0].str();
      Drain(std::chrono::milliseconds(50));
    }
    return std::nullopt;
  }
  // Reads the child's output until `done()` holds, asking it again whenever output arrives and at least every 5 ms, or
  // until `within` passes; returns whether it held. The pipes stay drained meanwhile, so a chatty child never blocks.
  bool PumpUntil(const std::function<bool()>& done, std::chrono::milliseconds within) {
    const auto deadline = std::chrono::steady_clock::now() + within;
    while (!done()) {
      const auto left = deadline - std::chrono::steady_clock::now();
      if (left <= std::chrono::steady_clock::duration::zero()) return false;
      Drain(std::min(std::chrono::milliseconds(5), std::chrono::ceil<std::chrono::milliseconds>(left)));
    }
    return true;
  }
  void Signal(int sig) { ::kill(pid_, sig); }
  // How many times `needle` occurs in stderr so far.
  size_t CountInStderr(const std::string& needle) {
    Drain(std::chrono::milliseconds(0));
    size_t n = 0;
    for (size_t at = stderr_.find(needle); at != std::string::npos; at = stderr_.find(needle, at + 1)) ++n;
    return n;
  }
  const std::string& out() const { return stdout_; }
  const std::string& err() const { return stderr_; }

 private:
  // Reads what is available within `wait`; true when it read something.
  bool Drain(std::chrono::milliseconds wait) {
    pollfd fds[2] = {{out_, POLLIN, 0}, {err_, POLLIN, 0}};
    if (::poll(fds, 2, static_cast<int>(wait.count())) <= 0) return false;
    char buf[65536];
    bool read = false;
    if (fds[0].revents & POLLIN) {
      ssize_t n = ::read(out_, buf, sizeof buf);
      if (n > 0) stdout_.append(buf, static_cast<size_t>(n));
      read |= n > 0;
    }
    if (fds[1].revents & POLLIN) {
      ssize_t n = ::read(err_, buf, sizeof buf);
      if (n > 0) stderr_.append(buf, static_cast<size_t>(n));
      read |= n > 0;
    }
    return read;
  }
  pid_t pid_ = -1;
  int out_ = -1, err_ = -1;
  std::optional<int> exit_code_;
  std::string stdout_, stderr_;
};

}  // namespace incidentd::testing
