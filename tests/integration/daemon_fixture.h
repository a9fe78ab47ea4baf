// A real daemon in the test process: real sockets on 127.0.0.1 (port 0), the engine on a FakeClock.
#pragma once

#include <gtest/gtest.h>
#include <simdjson.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "config/config.h"
#include "fakes/fake_clock.h"
#include "integration/test_client.h"
#include "server/daemon.h"

namespace incidentd::testing {

// A parsed JSON text that owns its text and parser, so several can be alive at once (DaemonTest::Alerts reuses one
// parser). Converting an element to the wrong type throws simdjson_error, which fails the test.
class JsonDoc {
 public:
  explicit JsonDoc(std::string_view text) : text_(text) { error_ = parser_.parse(text_).get(root_); }
  JsonDoc(const JsonDoc&) = delete;
  JsonDoc& operator=(const JsonDoc&) = delete;
  bool ok() const { return error_ == simdjson::SUCCESS; }
  simdjson::dom::element root() const { return root_; }

 private:
  simdjson::padded_string text_;
  simdjson::dom::parser parser_;
  simdjson::dom::element root_;
  simdjson::error_code error_;
};

// A string member as a std::string; throws simdjson_error (failing the test) when it is missing or not a string.
inline std::string JsonStr(simdjson::simdjson_result<simdjson::dom::element> e) {
  return std::string(std::string_view(e));
}

// An incident's (GET /api/v1/incidents/{id}) timeline entries of `kind`, as "at" or "at detail".
inline std::vector<std::string> TimelineEntries(simdjson::dom::element incident, std::string_view kind) {
  std::vector<std::string> out;
  for (simdjson::dom::element e : incident["timeline"].get_array()) {
    if (std::string_view(e["kind"]) != kind) continue;
    std::string_view detail;
    out.push_back(JsonStr(e["at"]) + (e["detail"].get(detail) == simdjson::SUCCESS ? " " + std::string(detail) : ""));
  }
  return out;
}

// Whether incident `id`'s timeline has a notification whose detail ends with `detail` ("triggered -> hook").
inline bool Notified(TestClient& c, const std::string& id, const std::string& detail) {
  JsonDoc d(c.Get("/api/v1/incidents/" + id).body);
  if (!d.ok()) return false;
  for (const std::string& e : TimelineEntries(d.root(), "notified")) {
    if (e.ends_with(" " + detail)) return true;
  }
  return false;
}

// An incident's timeline kinds, oldest first.
inline std::vector<std::string> TimelineKinds(simdjson::dom::element incident) {
  std::vector<std::string> out;
  for (simdjson::dom::element e : incident["timeline"].get_array()) out.push_back(JsonStr(e["kind"]));
  return out;
}

class DaemonTest : public ::testing::Test {
 protected:
  // Extra YAML appended to a minimal config; call before Start.
  void StartWith(const std::string& extra_yaml = "") { StartWithFiles({}, extra_yaml); }
  // StartWith, after writing `files` (name -> content) into the test's directory, where the config names them
  // relative to itself (rule_files: [rules.yaml], api: {tokens_file: tokens}).
  void StartWithFiles(const std::map<std::string, std::string>& files, const std::string& extra_yaml = "") {
    dir_ = std::filesystem::temp_directory_path() / ("incidentd-it-" + std::to_string(::getpid()) + "-" +
                                                     ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
    for (const auto& [name, content] : files) std::ofstream(dir_ / name) << content;
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

  // Checks `done`, running engine ticks between checks until it holds or `within` passes; returns its last answer.
  // A tick is waited for, not slept for: PokeEngine returns once the engine has run its timers.
  bool WaitFor(const std::function<bool()>& done, std::chrono::milliseconds within = std::chrono::seconds(10)) {
    const auto deadline = std::chrono::steady_clock::now() + within;
    for (;;) {
      if (done()) return true;
      if (std::chrono::steady_clock::now() >= deadline || !daemon_->PokeEngine()) return false;
    }
  }

  FakeClock clock_;
  std::filesystem::path dir_;
  std::unique_ptr<server::Daemon> daemon_;
  simdjson::dom::parser parser_;
  simdjson::padded_string last_body_;
};

}  // namespace incidentd::testing
