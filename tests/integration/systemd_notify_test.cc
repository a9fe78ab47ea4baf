// The daemon speaks systemd's notify protocol: started with NOTIFY_SOCKET (as systemd starts a Type=notify service),
// it sends READY=1 once it serves, WATCHDOG=1 from the engine loop while WATCHDOG_USEC asks for it, RELOADING=1 then
// READY=1 around a SIGHUP reload, and STOPPING=1 on SIGTERM, in that order. The test's own datagram socket on a
// temporary path stands in for systemd. A reload with valid rules applies them; one with invalid rules keeps the
// running ones and says where the error is.
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <chrono>
#include <csignal>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "integration/process.h"
#include "integration/test_client.h"

namespace incidentd::testing {
namespace {

namespace fs = std::filesystem;

// A bound AF_UNIX datagram socket; Receive waits up to a deadline for the next message.
class NotifySocket {
 public:
  explicit NotifySocket(const fs::path& path) : path_(path) {
    fd_ = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::snprintf(addr.sun_path, sizeof addr.sun_path, "%s", path.c_str());
    EXPECT_EQ(::bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0) << path;
  }
  ~NotifySocket() {
    ::close(fd_);
    fs::remove(path_);
  }
  // The next message, or "" when none came within `within`.
  std::string Receive(std::chrono::milliseconds within) {
    timeval tv{static_cast<time_t>(within.count() / 1000), static_cast<suseconds_t>(within.count() % 1000 * 1000)};
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    char buf[4096];
    ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
    return n > 0 ? std::string(buf, static_cast<size_t>(n)) : std::string();
  }
  // Messages until one contains `needle` (returned) or `within` passes ("").
  std::string ReceiveUntil(const std::string& needle, std::chrono::seconds within, std::vector<std::string>* seen) {
    const auto deadline = std::chrono::steady_clock::now() + within;
    while (std::chrono::steady_clock::now() < deadline) {
      std::string m = Receive(std::chrono::milliseconds(200));
      if (m.empty()) continue;
      seen->push_back(m);
      if (m.find(needle) != std::string::npos) return m;
    }
    return "";
  }

 private:
  fs::path path_;
  int fd_ = -1;
};

TEST(SystemdNotifyTest, ReadyWatchdogReloadStoppingInOrder) {
  fs::path dir = fs::temp_directory_path() / ("incidentd-sdn-" + std::to_string(::getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir / "rules");
  std::ofstream(dir / "rules/r.yaml") << "correlations:\n  - name: all\n    group_by: [alertname]\n";
  std::ofstream(dir / "c.yaml") << "listen: 127.0.0.1:0\ndata_dir: data\nrule_files: [rules/*.yaml]\n";
  NotifySocket sock(dir / "notify.sock");

  // WatchdogSec=2s: pings are due every 0.5 s at most.
  Process d({"--config", (dir / "c.yaml").string()},
            {"/usr/bin/env", "NOTIFY_SOCKET=" + (dir / "notify.sock").string(), "WATCHDOG_USEC=2000000"});
  std::vector<std::string> seen;
  std::string ready = sock.ReceiveUntil("READY=1", std::chrono::seconds(20), &seen);
  ASSERT_NE(ready, "") << d.err();
  EXPECT_NE(ready.find("STATUS=listening on 127.0.0.1:"), std::string::npos) << ready;
  // Two pings after READY, from the engine loop (which ticks at least once a second even when idle).
  ASSERT_NE(sock.ReceiveUntil("WATCHDOG=1", std::chrono::seconds(5), &seen), "");
  ASSERT_NE(sock.ReceiveUntil("WATCHDOG=1", std::chrono::seconds(5), &seen), "");
  const size_t at = ready.find("127.0.0.1:") + 10;
  const uint16_t port = static_cast<uint16_t>(std::stoi(ready.substr(at)));
  TestClient c(port);
  auto rule_of = [&](const std::string& name) {
    EXPECT_EQ(c.Post("/api/v2/alerts", R"([{"labels":{"alertname":")" + name + R"(","cluster":"eu1"}}])").status, 200u);
    std::string incidents = c.Get("/api/v1/incidents").body;
    size_t i = incidents.find(R"("rule":")");
    return i == std::string::npos ? std::string("?") : incidents.substr(i + 8, incidents.find('"', i + 8) - i - 8);
  };
  EXPECT_EQ(rule_of("First"), "all");

  // A valid reload: a new first rule applies to new alerts.
  std::ofstream(dir / "rules/r.yaml") << "correlations:\n  - name: by-cluster\n    group_by: [cluster]\n"
                                         "  - name: all\n    group_by: [alertname]\n";
  d.Signal(SIGHUP);
  ASSERT_NE(sock.ReceiveUntil("RELOADING=1", std::chrono::seconds(10), &seen), "");
  ASSERT_NE(sock.ReceiveUntil("READY=1", std::chrono::seconds(10), &seen), "");
  ASSERT_TRUE(d.WaitForStderr("reloaded").has_value()) << d.err();
  EXPECT_NE(c.Get("/metrics").body.find("incidentd_config_last_reload_successful 1\n"), std::string::npos);
  EXPECT_EQ(rule_of("Second"), "by-cluster");  // newest incident first

  // An invalid reload changes nothing and names the place of the error.
  std::ofstream(dir / "rules/r.yaml") << "correlations:\n  - name: broken\n    group_by: cluster\n";
  d.Signal(SIGHUP);
  ASSERT_NE(sock.ReceiveUntil("RELOADING=1", std::chrono::seconds(10), &seen), "");
  ASSERT_NE(sock.ReceiveUntil("READY=1", std::chrono::seconds(10), &seen), "");
  std::optional<std::string> error = d.WaitForStderr(R"(reload failed.*(r\.yaml:\d+:\d+))");
  ASSERT_TRUE(error.has_value()) << d.err();
  EXPECT_NE(c.Get("/metrics").body.find("incidentd_config_last_reload_successful 0\n"), std::string::npos);
  EXPECT_EQ(rule_of("Third"), "by-cluster");  // still the rules of the last good load
  ASSERT_NE(sock.ReceiveUntil("WATCHDOG=1", std::chrono::seconds(5), &seen), "");  // and it keeps running
  d.Signal(SIGTERM);
  ASSERT_NE(sock.ReceiveUntil("STOPPING=1", std::chrono::seconds(10), &seen), "") << d.err();
  EXPECT_EQ(d.Wait(), 0);
  // In order: nothing before READY=1.
  EXPECT_NE(seen.front().find("READY=1"), std::string::npos) << seen.front();
  fs::remove_all(dir);
}

}  // namespace
}  // namespace incidentd::testing
