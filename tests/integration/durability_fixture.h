// DurabilityTest: a real daemon on a real RocksDB store under the test's data_dir, stopped and started again on the
// same data_dir and the same FakeClock, with webhook receivers on loopback sinks and a store wrapper that can fail
// writes. Used by durability_test.cc and store_errors_test.cc.
#pragma once

#include <gtest/gtest.h>
#include <rocksdb/db.h>
#include <rocksdb/options.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "fakes/failing_store.h"
#include "fakes/http_sink.h"
#include "integration/daemon_fixture.h"

namespace incidentd::testing {

// One rule: a db incident per cluster, paged at once. Two webhook receivers, so tests can tell the steps apart.
inline std::string Rules(const std::string& steps, const std::string& url_a, const std::string& url_b) {
  return R"(correlations:
  - name: db
    match: ['service="db"']
    group_by: [cluster]
    group_wait: 0s
    priority: P1
    title: "{{ alertname }} in {{ cluster }}"
    policy: oncall
policies:
  - name: oncall
    steps:
)" + steps +
         R"(receivers:
  - name: hook-a
    type: webhook
    url: )" +
         url_a +
         R"(/a
  - name: hook-b
    type: webhook
    url: )" +
         url_b +
         R"(/b
)";
}

inline constexpr char kOneStep[] = R"(      - notify: [hook-a]
        ack_timeout: 5m
)";
inline constexpr char kTwoSteps[] = R"(      - notify: [hook-a]
        ack_timeout: 5m
      - notify: [hook-b]
        ack_timeout: 5m
)";

inline std::string Alert(const std::string& alertname, const std::string& cluster) {
  return R"({"labels":{"alertname":")" + alertname + R"(","service":"db","cluster":")" + cluster + R"("}})";
}

// Silences cluster="us1" for two hours from the fake clock's start (2026-05-28T20:26:40Z).
inline constexpr char kUs1Silence[] = R"({"matchers":[{"name":"cluster","value":"us1","isRegex":false,"isEqual":true}],
  "startsAt":"2026-05-28T20:26:40Z","endsAt":"2026-05-28T22:26:40Z","createdBy":"alice","comment":"maintenance"})";

// The value of an unlabelled metric in a /metrics text, or -1 when it is not there.
inline double MetricValue(const std::string& text, const std::string& name) {
  const std::string prefix = "\n" + name + " ";
  size_t at = text.find(prefix);
  if (at == std::string::npos) return -1;
  return std::strtod(text.c_str() + at + prefix.size(), nullptr);
}

class DurabilityTest : public DaemonTest {
 protected:
  // Writes the test's directory: rules.yaml and the config naming it (data_dir: data). Alerts never time out here;
  // external_url is fixed, so a page rendered after a restart (on a new port) is the same as before it.
  void Prepare(const std::string& rules, const std::string& extra_yaml = "") {
    dir_ = std::filesystem::temp_directory_path() / ("incidentd-it-" + std::to_string(::getpid()) + "-" +
                                                     ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
    std::ofstream(dir_ / "rules.yaml") << rules;
    std::ofstream(dir_ / "c.yaml") << "listen: 127.0.0.1:0\ndata_dir: data\nrule_files: [rules.yaml]\n"
                                      "resolve_timeout: 1h\nexternal_url: https://incidentd.example.com\n"
                                   << extra_yaml;
  }

  // A new daemon from the test's config, on the test's clock; its Start's status.
  Status TryBoot(store::WrapWrites wrap = {}) {
    Result<config::Config> c = config::LoadConfig((dir_ / "c.yaml").string());
    if (!c.ok()) return c.status();
    store_dir_ = (std::filesystem::path(c->data_dir) / "state").string();
    daemon_ = std::make_unique<server::Daemon>(std::move(*c), &clock_, std::move(wrap));
    return daemon_->Start();
  }
  void Boot(store::WrapWrites wrap = {}) {
    Status s = TryBoot(std::move(wrap));
    ASSERT_TRUE(s.ok()) << s.message();
  }
  // Stops the daemon, destroys it (closing the store), and starts a new one on the same data_dir and clock.
  void Restart(store::WrapWrites wrap = {}) {
    StopDaemon();
    Boot(std::move(wrap));
  }
  void StopDaemon() {
    daemon_->Stop();
    daemon_.reset();
  }

  static bool Arrived(HttpSink& sink, size_t n) {
    return sink.WaitForRequests(n, std::chrono::steady_clock::now() + std::chrono::seconds(5));
  }

  // The incident ids by their cluster.
  static std::map<std::string, std::string> IncidentsByCluster(TestClient& c) {
    std::map<std::string, std::string> out;
    HttpResult r = c.Get("/api/v1/incidents");
    EXPECT_EQ(r.status, 200u) << r.body;
    JsonDoc d(r.body);
    if (!d.ok()) return out;
    for (simdjson::dom::element inc : d.root().get_array())
      out[JsonStr(inc["group_labels"]["cluster"])] = JsonStr(inc["id"]);
    return out;
  }

  // GET /api/v1/notifications<query>, parsed.
  static std::unique_ptr<JsonDoc> Notifications(TestClient& c, const std::string& query = "") {
    HttpResult r = c.Get("/api/v1/notifications" + query);
    EXPECT_EQ(r.status, 200u) << r.body;
    return std::make_unique<JsonDoc>(r.body);
  }
  // The outbox's depth (queued or sending), or -1 when the answer cannot be read.
  static int64_t Depth(TestClient& c) {
    std::unique_ptr<JsonDoc> d = Notifications(c);
    uint64_t depth;
    if (!d->ok() || d->root()["depth"].get(depth) != simdjson::SUCCESS) return -1;
    return static_cast<int64_t>(depth);
  }
  // The listed notifications, as "key event state".
  static std::vector<std::string> Listed(TestClient& c, const std::string& query = "") {
    std::vector<std::string> out;
    std::unique_ptr<JsonDoc> d = Notifications(c, query);
    if (!d->ok()) return out;
    for (simdjson::dom::element n : d->root()["notifications"].get_array()) {
      out.push_back(JsonStr(n["key"]) + " " + JsonStr(n["event"]) + " " + JsonStr(n["state"]));
    }
    return out;
  }
  // Waits (running engine ticks) until nothing is queued or sending: every decided notification has finished.
  bool WaitForEmptyOutbox(TestClient& c) {
    return WaitFor([&] { return Depth(c) == 0; }, std::chrono::seconds(5));
  }

  // The sink's requests as "X-Incidentd-Delivery X-Incidentd-Event", in arrival order.
  static std::vector<std::string> Deliveries(const HttpSink& sink) {
    std::vector<std::string> out;
    for (const SinkRequest& r : sink.requests()) {
      out.push_back(std::string(r.Header("X-Incidentd-Delivery")) + " " + std::string(r.Header("X-Incidentd-Event")));
    }
    return out;
  }

  std::string store_dir_;  // data_dir/state of the last TryBoot
  HttpSink sink_a_, sink_b_;
};

}  // namespace incidentd::testing
