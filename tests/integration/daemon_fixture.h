// A real daemon in the test process: real sockets on 127.0.0.1 (port 0), the engine on a FakeClock.
#pragma once

#include <gtest/gtest.h>
#include <simdjson.h>

#include <filesystem>
#include <fstream>
#include <memory>

#include "config/config.h"
#include "fakes/fake_clock.h"
#include "integration/test_client.h"
#include "server/daemon.h"

namespace incidentd::testing {

class DaemonTest : public ::testing::Test {
 protected:
  // Extra YAML appended to a minimal config; call before Start.
  void StartWith(const std::string& extra_yaml = "") {
    dir_ = std::filesystem::temp_directory_path() / ("incidentd-it-" + std::to_string(::getpid()) + "-" +
                                                     ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
    std::ofstream(dir_ / "c.yaml") << "listen: 127.0.0.1:0\ndata_dir: data\n" << extra_yaml;
    Result<config::Config> c = config::LoadConfig((dir_ / "c.yaml").string());
    ASSERT_TRUE(c.ok()) << c.status().message();
    daemon_ = std::make_unique<server::Daemon>(std::move(*c), &clock_);
    Status s = daemon_->Start();
    ASSERT_TRUE(s.ok()) << s.message();
  }
  void TearDown() override {
    daemon_.reset();
    std::filesystem::remove_all(dir_);
  }
  uint16_t port() const { return daemon_->port(); }
  TestClient Client() { return TestClient(port()); }

  // The listed alerts, parsed.
  simdjson::dom::element Alerts(TestClient& c, const std::string& query = "") {
    HttpResult r = c.Get("/api/v2/alerts" + query);
    EXPECT_EQ(r.status, 200u) << r.body;
    last_body_ = simdjson::padded_string(r.body);
    simdjson::dom::element e;
    EXPECT_EQ(parser_.parse(last_body_).get(e), simdjson::SUCCESS) << r.body;
    return e;
  }

  FakeClock clock_;
  std::filesystem::path dir_;
  std::unique_ptr<server::Daemon> daemon_;
  simdjson::dom::parser parser_;
  simdjson::padded_string last_body_;
};

}  // namespace incidentd::testing
