// The real binary as an operator runs it: command line, check-config, start, serve, SIGTERM.
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <optional>
#include <regex>
#include <thread>

#include "integration/process.h"
#include "integration/test_client.h"

extern char** environ;

namespace incidentd::testing {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

class ProcessTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("incidentd-proc-" + std::to_string(::getpid()) + "-" +
                                        ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_ / "rules");
    std::ofstream(dir_ / "rules/r.yaml") << "correlations:\n  - name: all\n    group_by: [alertname]\n";
  }
  void TearDown() override { fs::remove_all(dir_); }
  std::string Config(const std::string& extra = "", const std::string& listen = "127.0.0.1:0") {
    std::ofstream(dir_ / "c.yaml") << "listen: " << listen << "\ndata_dir: data\nrule_files: [rules/*.yaml]\n" << extra;
    return (dir_ / "c.yaml").string();
  }
  fs::path dir_;
};

TEST_F(ProcessTest, VersionAndHelp) {
  Process v({"--version"});
  EXPECT_EQ(v.Wait(), 0);
  EXPECT_TRUE(v.out().starts_with("incidentd ")) << v.out();
  Process h({"--help"});
  EXPECT_EQ(h.Wait(), 0);
  for (const char* want : {"check-config", "--config FILE", "--log-level", "--version", "SIGTERM"}) {
    EXPECT_NE(h.out().find(want), std::string::npos) << want;
  }
  Process bad({"--frobnicate"});
  EXPECT_EQ(bad.Wait(), 2);
  EXPECT_NE(bad.err().find("unknown argument '--frobnicate'"), std::string::npos);
}

TEST_F(ProcessTest, CheckConfig) {
  std::string good = Config();
  Process ok({"check-config", "--config", good});
  EXPECT_EQ(ok.Wait(), 0) << ok.err();
  EXPECT_NE(ok.out().find("ok (1 rule files, 0 receivers)"), std::string::npos) << ok.out();

  std::string bad = Config("http:\n  io_threads: lots\n");
  Process p({"check-config", "--config", bad});
  EXPECT_EQ(p.Wait(), 1);
  EXPECT_EQ(p.err(), bad + ":5:15: http.io_threads: must be an integer\n");

  // A receiver's settings are checked as the daemon checks them at start: here a URL that is not http(s).
  std::ofstream(dir_ / "rules/z.yaml")
      << "receivers:\n  - name: hook\n    type: webhook\n    url: ftp://example.com/x\n";
  Process receiver({"check-config", "--config", Config()});
  EXPECT_EQ(receiver.Wait(), 1);
  EXPECT_NE(receiver.err().find("z.yaml:2"), std::string::npos) << receiver.err();
  EXPECT_NE(receiver.err().find("url"), std::string::npos) << receiver.err();
  EXPECT_EQ(receiver.err().find("example.com"), std::string::npos) << receiver.err();  // never the value
}

// A bad rule is named by its file, line and column, whether checked or at start; the daemon does not start.
TEST_F(ProcessTest, CheckConfigAndStartNameTheLineOfABadRule) {
  std::ofstream(dir_ / "rules/r.yaml") << "correlations:\n  - name: all\n    group_by: [alertname]\n"
                                       << "    match: ['job~x']\n";
  const std::string want = (dir_ / "rules/r.yaml").string() +
                           ":4:13: correlations[0].match[0]: matcher 'job~x': expected one of =, !=, =~, !~ after the "
                           "label name\n";
  Process check({"check-config", "--config", Config()});
  EXPECT_EQ(check.Wait(), 1);
  EXPECT_EQ(check.err(), want);
  Process run({"--config", Config()});
  EXPECT_EQ(run.Wait(), 1);
  EXPECT_EQ(run.err(), want);
}

TEST_F(ProcessTest, ServesAndStopsGracefullyOnSigterm) {
  Process d({"--config", Config(), "--log-level", "info"});
  std::optional<std::string> port = d.WaitForStderr(R"(listening on 127\.0\.0\.1:(\d+))");
  ASSERT_TRUE(port.has_value()) << d.err();
  uint16_t p = static_cast<uint16_t>(std::stoi(*port));
  {
    TestClient c(p);
    EXPECT_EQ(c.Get("/readyz").status, 200u);
    EXPECT_EQ(c.Post("/api/v2/alerts", R"([{"labels":{"alertname":"Watchdog"}}])").status, 200u);
    EXPECT_NE(c.Get("/api/v2/alerts").body.find("003b0a0f7d3fa569"), std::string::npos);
  }
  // A request in flight when SIGTERM arrives is finished; then the process exits 0. The 100 Continue proves the
  // server is inside the request before the signal is sent.
  TestClient inflight(p);
  std::string body = R"([{"labels":{"alertname":"Late"}}])";
  inflight.WriteRaw(TestClient::PostHeader(body.size(), "Expect: 100-continue\r\n"));
  ASSERT_EQ(inflight.Read().status, 100u);
  d.Signal(SIGTERM);
  // Once this is logged, the server is stopping: what it answers from now on closes the connection.
  ASSERT_TRUE(d.WaitForStderr("stopping: no new connections").has_value()) << d.err();
  inflight.WriteRaw(body);
  HttpResult r = inflight.Read();
  EXPECT_EQ(r.status, 200u);
  EXPECT_FALSE(r.keep_alive);
  EXPECT_EQ(d.Wait(), 0) << d.err();
  EXPECT_NE(d.err().find("incidentd stopped"), std::string::npos);
}

// Out of file descriptors, accept fails with the connection still queued: the server must back off, not spin, and
// serve again once descriptors are free.
TEST_F(ProcessTest, RunningOutOfFileDescriptorsBacksOffAndRecovers) {
  Process d({"--config", Config()}, {"/usr/bin/prlimit", "--nofile=40"});
  std::optional<std::string> port = d.WaitForStderr(R"(listening on 127\.0\.0\.1:(\d+))");
  ASSERT_TRUE(port.has_value()) << d.err();
  uint16_t p = static_cast<uint16_t>(std::stoi(*port));
  std::vector<std::unique_ptr<TestClient>> held;
  for (int i = 0; i < 60; ++i) held.push_back(std::make_unique<TestClient>(p));  // the kernel queues what is not taken
  // The backoff doubles from 50 ms: by the 800 ms wait about 1.5 s have passed with a handful of attempts, where a
  // spinning accept loop would have logged thousands.
  ASSERT_TRUE(d.WaitForStderr("retrying in 800 ms").has_value()) << d.err().substr(0, 2000);
  EXPECT_LE(d.CountInStderr("accept: "), 8u);
  held.clear();
  TestClient c(p);
  EXPECT_EQ(c.Get("/healthz").status, 200u);
  d.Signal(SIGTERM);
  EXPECT_EQ(d.Wait(), 0);
}

TEST_F(ProcessTest, RefusesToStartOnABadConfigOrAPortInUse) {
  Process bad({"--config", Config("", "nowhere")});
  EXPECT_EQ(bad.Wait(), 1);
  EXPECT_NE(bad.err().find("listen: 'nowhere' is not host:port"), std::string::npos) << bad.err();

  Process first({"--config", Config()});
  std::optional<std::string> port = first.WaitForStderr(R"(listening on 127\.0\.0\.1:(\d+))");
  ASSERT_TRUE(port.has_value());
  Process second({"--config", Config("", "127.0.0.1:" + *port)});
  EXPECT_EQ(second.Wait(), 1);
  EXPECT_NE(second.err().find("cannot start"), std::string::npos) << second.err();
  first.Signal(SIGINT);
  EXPECT_EQ(first.Wait(), 0);
}

}  // namespace
}  // namespace incidentd::testing
