// Crash recovery of the real binary (build/incidentd as a child process): clients post alerts with unique labels from
// several keep-alive connections while the daemon is killed with SIGKILL at random moments and restarted on the same
// port and data_dir. Afterwards every alert answered 2xx must be there, no group may have two incidents, each incident
// must have decided and delivered its page once, and the webhook must have received each page (by its
// X-Incidentd-Delivery key) exactly once, except a page caught in flight by a kill (see the sink's check below).
//
// Each kill comes once a random number of alerts has been accepted since the start before it, so every kill falls in
// the traffic. Those numbers and the clients' batches come from a seed printed in the output; INCIDENTD_CRASH_SEED=N
// repeats them (which requests are in flight at a kill depends on timing and is not reproducible).
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <random>
#include <regex>
#include <set>
#include <string>
#include <thread>
#include <unordered_set>
#include <vector>

#include "fakes/http_sink.h"
#include "integration/daemon_fixture.h"
#include "integration/process.h"
#include "integration/test_client.h"

namespace incidentd::testing {
namespace {

namespace fs = std::filesystem;
using SteadyClock = std::chrono::steady_clock;
using std::chrono::milliseconds;
using std::chrono::seconds;

constexpr int kClients = 4;
constexpr int kKills = 10;
// Alerts accepted from a start to the kill that ends it.
constexpr size_t kMinAlertsPerLife = 1, kMaxAlertsPerLife = 4000;
constexpr auto kLifeLimit = seconds(3);  // kill anyway if the traffic stalls
// Half the alerts go to one of kSharedGroups groups that every client feeds, so each such incident is joined from
// several connections across many restarts. The other half go to a group of the client's own that changes every
// kRollingEvery of its alerts, so new incidents (and their pages) keep coming while the kills happen: with only fixed
// groups every page would be sent in the first moments, before any kill.
constexpr int kSharedGroups = 50;
constexpr size_t kRollingEvery = 40;
constexpr size_t kMaxAlertsPerClient = 50000;
constexpr auto kTrafficLimit = seconds(40);  // the clients stop by then even if the kills are not done
constexpr auto kReadyWithin = seconds(15);

// A port free a moment ago on 127.0.0.1. The daemon must keep one port across restarts, so port 0 will not do. Linux
// hands out odd ports to bind(0) and even ones to connect(), so a client reconnecting while the daemon is down does not
// connect to itself on this port.
uint16_t FreePort() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = 0;
  socklen_t len = sizeof a;
  uint16_t port = 0;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0 &&
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) == 0) {
    port = ntohs(a.sin_port);
  }
  ::close(fd);
  return port;
}

// True once the daemon has said it listens, within `within`, and /readyz then answers 200.
bool WaitReady(Process& p, uint16_t port, seconds within) {
  if (!p.WaitForStderr("incidentd listening on", within)) return false;
  TestClient c(port);
  return c.Get("/readyz").status == 200;
}

// What the clients and the killer share: the count of accepted alerts, which times the kills, and the count of starts,
// which a client whose connect failed waits on instead of retrying at once.
class Traffic {
 public:
  bool stopped() const { return stop_.load(); }
  size_t accepted() const { return accepted_.load(); }
  void Accepted(size_t n) { accepted_ += n; }
  uint64_t starts() {
    std::lock_guard lock(mu_);
    return starts_;
  }
  // A daemon is ready: wakes the clients waiting for it.
  void Started() {
    {
      std::lock_guard lock(mu_);
      ++starts_;
    }
    started_.notify_all();
  }
  void Stop() {
    {
      std::lock_guard lock(mu_);
      stop_ = true;
    }
    started_.notify_all();
  }
  // Waits until a start after the `seen`th, a stop, or `deadline`.
  void WaitForStartAfter(uint64_t seen, SteadyClock::time_point deadline) {
    std::unique_lock lock(mu_);
    started_.wait_until(lock, deadline, [&] { return starts_ > seen || stop_.load(); });
  }

 private:
  std::atomic<bool> stop_{false};
  std::atomic<size_t> accepted_{0};
  std::mutex mu_;
  std::condition_variable started_;
  uint64_t starts_ = 0;
};

struct ClientTally {
  std::vector<std::string> accepted;  // ids of the alerts answered 2xx
  size_t sent = 0;                    // alerts in requests attempted
  size_t requests = 0, refused = 0, errors = 0, connects_failed = 0;
};

// One client: batches of 1..20 new alerts on a keep-alive connection until `stop`, a limit, or the deadline. A
// connection error or a non-2xx answer leaves the batch unaccepted; the next batch has new alerts.
void RunClient(int t, uint64_t seed, uint16_t port, Traffic& traffic, SteadyClock::time_point deadline,
               ClientTally* out) {
  std::mt19937_64 rng(seed * 1000003 + static_cast<uint64_t>(t));
  std::optional<TestClient> conn;
  size_t n = 0;
  while (!traffic.stopped() && n < kMaxAlertsPerClient && SteadyClock::now() < deadline) {
    if (!conn) {
      // Read before the attempt: a start announced after it is one this attempt may have missed.
      const uint64_t starts = traffic.starts();
      try {
        conn.emplace(port);
      } catch (const std::exception&) {
        ++out->connects_failed;
        traffic.WaitForStartAfter(starts, deadline);
        continue;
      }
    }
    const size_t k = 1 + rng() % 20;
    std::vector<std::string> ids;
    std::string body = "[";
    for (size_t i = 0; i < k; ++i, ++n) {
      std::string id = std::to_string(t) + "-" + std::to_string(n);
      std::string group = n % 2 == 0 ? "s" + std::to_string(rng() % kSharedGroups)
                                     : "r" + std::to_string(t) + "-" + std::to_string(n / kRollingEvery);
      if (i > 0) body += ',';
      body += R"({"labels":{"alertname":"CrashTest","group":")" + group + R"(","id":")" + id + R"("}})";
      ids.push_back(std::move(id));
    }
    body += ']';
    out->sent += k;
    ++out->requests;
    HttpResult r;
    try {
      r = conn->Post("/api/v2/alerts", body);
    } catch (const std::exception&) {
      ++out->errors;
      conn.reset();
      continue;
    }
    if (r.status >= 200 && r.status < 300) {
      out->accepted.insert(out->accepted.end(), ids.begin(), ids.end());
      traffic.Accepted(ids.size());
    } else {
      ++out->refused;
    }
    if (!r.keep_alive) conn.reset();
  }
}

class CrashTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("incidentd-crash-" + std::to_string(::getpid()) + "-" +
                                        ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  // Every incident pages the webhook once: group_wait 0s pages at once, and group_interval, repeat_interval and
  // ack_timeout are far beyond the test, so no update, repeat or escalation follows.
  std::string WriteConfig(uint16_t port, const std::string& hook_url) {
    std::ofstream(dir_ / "rules.yaml") << R"(correlations:
  - name: crash
    group_by: [group]
    group_wait: 0s
    group_interval: 1h
    repeat_interval: 24h
    policy: oncall
policies:
  - name: oncall
    steps:
      - notify: [hook]
        ack_timeout: 1h
receivers:
  - name: hook
    type: webhook
    url: )" << hook_url << "\n";
    std::ofstream(dir_ / "c.yaml") << "listen: 127.0.0.1:" << port
                                   << "\ndata_dir: data\nrule_files: [rules.yaml]\nresolve_timeout: 1h\n"
                                      "storage: {sync: true}\n"
                                      "notify: {retry: {initial_backoff: 20ms, max_backoff: 200ms}}\n";
    return (dir_ / "c.yaml").string();
  }

  fs::path dir_;
};

TEST_F(CrashTest, EveryAcceptedAlertSurvivesSigkillAndEachPageIsSentOnce) {
  uint64_t seed = std::random_device{}();
  if (const char* s = std::getenv("INCIDENTD_CRASH_SEED")) seed = std::strtoull(s, nullptr, 10);
  std::cout << "[ crash    ] seed " << seed << " (INCIDENTD_CRASH_SEED=" << seed << " repeats it)" << std::endl;
  std::mt19937_64 rng(seed);

  HttpSink hook;
  const uint16_t port = FreePort();
  ASSERT_NE(port, 0);
  const std::string config = WriteConfig(port, hook.url() + "/hook");
  const std::vector<std::string> args{"--config", config, "--log-level", "info"};

  const auto t0 = SteadyClock::now();
  auto ms_since_start = [&](SteadyClock::time_point t) {
    return std::chrono::duration_cast<milliseconds>(t - t0).count();
  };
  // Instance i runs from spawns[i]; kills[i] is when it was sent SIGKILL.
  std::vector<SteadyClock::time_point> spawns, kills;
  std::vector<std::unique_ptr<Process>> instances;
  std::vector<std::string> recovered;     // each start's recovery line
  std::vector<size_t> recovered_pending;  // each start's notifications recovered to send
  Traffic traffic;
  auto spawn = [&]() -> bool {
    spawns.push_back(SteadyClock::now());
    instances.push_back(std::make_unique<Process>(args));
    Process& p = *instances.back();
    if (!WaitReady(p, port, kReadyWithin)) return false;
    // Logged before the daemon is ready.
    recovered.push_back(p.WaitForStderr(R"(state recovered from \S+ (in [^\n]*))", seconds(5)).value_or("?"));
    std::smatch m;
    const bool found = std::regex_search(recovered.back(), m, std::regex(R"((\d+) notifications to send)"));
    recovered_pending.push_back(found ? std::stoul(m[1].str()) : 0);
    traffic.Started();
    return true;
  };
  ASSERT_TRUE(spawn()) << instances.back()->err();

  std::vector<ClientTally> tallies(kClients);
  std::vector<std::thread> clients;
  for (int t = 0; t < kClients; ++t) {
    clients.emplace_back(RunClient, t, seed, port, std::ref(traffic), t0 + kTrafficLimit, &tallies[t]);
  }
  auto stop_clients = [&] {
    traffic.Stop();
    for (std::thread& c : clients) c.join();
    clients.clear();
  };

  std::uniform_int_distribution<size_t> life(kMinAlertsPerLife, kMaxAlertsPerLife);
  for (int k = 0; k < kKills; ++k) {
    Process& p = *instances.back();
    const size_t kill_at = traffic.accepted() + life(rng);
    p.PumpUntil([&] { return traffic.accepted() >= kill_at; }, kLifeLimit);
    kills.push_back(SteadyClock::now());
    p.Signal(SIGKILL);
    std::optional<int> code = p.Wait(seconds(10));
    if (code != 128 + SIGKILL) {
      stop_clients();
      FAIL() << "kill " << k << ": exit " << (code ? std::to_string(*code) : "none") << "\n" << p.err();
    }
    // The last kill falls in the traffic too; the clients stop before the restart, so every accepted alert is
    // checked after a recovery.
    if (k == kKills - 1) stop_clients();
    if (!spawn()) {
      stop_clients();
      FAIL() << "restart " << k + 1 << " not ready within " << kReadyWithin.count() << " s\n"
             << instances.back()->err();
    }
  }
  Process& last = *instances.back();

  size_t sent = 0, requests = 0, refused = 0, errors = 0, connects_failed = 0;
  std::vector<std::string> accepted;
  for (const ClientTally& t : tallies) {
    sent += t.sent;
    requests += t.requests;
    refused += t.refused;
    errors += t.errors;
    connects_failed += t.connects_failed;
    accepted.insert(accepted.end(), t.accepted.begin(), t.accepted.end());
  }
  std::cout << "[ crash    ] " << kKills << " kills at ms";
  for (auto k : kills) std::cout << ' ' << ms_since_start(k);
  std::cout << "\n[ crash    ] " << accepted.size() << " alerts accepted of " << sent << " sent in " << requests
            << " requests (" << refused << " non-2xx, " << errors << " connection errors, " << connects_failed
            << " refused connects)" << std::endl;
  for (const std::string& r : recovered) std::cout << "[ crash    ]   recovered " << r << '\n';
  EXPECT_GE(accepted.size(), 1000u) << "too little traffic to mean much";

  TestClient c(port);

  // Every alert answered 2xx is there.
  HttpResult listed = c.Get("/api/v2/alerts");
  ASSERT_EQ(listed.status, 200u);
  JsonDoc alerts(listed.body);
  ASSERT_TRUE(alerts.ok());
  std::unordered_set<std::string> present;
  std::set<std::string> alert_groups;
  for (simdjson::dom::element a : alerts.root().get_array()) {
    present.insert(JsonStr(a["labels"]["id"]));
    alert_groups.insert(JsonStr(a["labels"]["group"]));
  }
  std::vector<std::string> missing;
  for (const std::string& id : accepted) {
    if (!present.contains(id)) missing.push_back(id);
  }
  EXPECT_TRUE(missing.empty()) << missing.size() << " accepted alerts lost, the first: " << missing.front();
  // The rest were applied but their answer was lost to a kill.
  std::cout << "[ crash    ] " << present.size() << " alerts present ("
            << static_cast<int64_t>(present.size()) - static_cast<int64_t>(accepted.size()) << " more than accepted)"
            << std::endl;

  // The outbox drains.
  const bool drained = last.PumpUntil(
      [&] {
        JsonDoc pending(c.Get("/api/v1/notifications?state=pending&limit=1").body);
        return pending.ok() && uint64_t(pending.root()["depth"]) == 0;
      },
      seconds(15));
  ASSERT_TRUE(drained) << c.Get("/api/v1/notifications?limit=20").body;

  // One incident per group, holding every alert of the group.
  HttpResult incidents_listed = c.Get("/api/v1/incidents?limit=1000000&alerts_limit=1");
  ASSERT_EQ(incidents_listed.status, 200u) << incidents_listed.body;
  JsonDoc incidents(incidents_listed.body);
  ASSERT_TRUE(incidents.ok());
  std::map<std::string, std::vector<std::string>> incidents_by_group;
  std::set<std::string> incident_ids;
  uint64_t members = 0;
  for (simdjson::dom::element inc : incidents.root().get_array()) {
    const std::string id = JsonStr(inc["id"]);
    incidents_by_group[JsonStr(inc["group_labels"]["group"])].push_back(id);
    incident_ids.insert(id);
    members += uint64_t(inc["counts"]["alerts"]);
    EXPECT_EQ(JsonStr(inc["state"]), "triggered") << id;
    // Decided once, across the restarts (a duplicate at the sink is a second send, not a second decision).
    EXPECT_EQ(uint64_t(inc["counts"]["notifications"]), 1u) << id;
  }
  for (const auto& [group, ids] : incidents_by_group) {
    EXPECT_EQ(ids.size(), 1u) << "group " << group << " has " << ids.size() << " incidents";
  }
  std::set<std::string> incident_groups;
  for (const auto& [group, ids] : incidents_by_group) incident_groups.insert(group);
  EXPECT_EQ(incident_groups, alert_groups);
  EXPECT_EQ(members, present.size());

  // The outbox's log: one delivered trigger per incident, across the restarts.
  HttpResult log_listed = c.Get("/api/v1/notifications?limit=1000000");
  ASSERT_EQ(log_listed.status, 200u) << log_listed.body;
  JsonDoc log(log_listed.body);
  ASSERT_TRUE(log.ok());
  std::map<std::string, int> logged;  // incident -> delivered triggers
  for (simdjson::dom::element n : log.root()["notifications"].get_array()) {
    EXPECT_EQ(JsonStr(n["state"]), "delivered") << simdjson::minify(n);
    EXPECT_EQ(JsonStr(n["event"]), "triggered") << simdjson::minify(n);
    // The sink always answers 200, so the instance that delivered a page sent it once: a second copy at the sink can
    // only come from an earlier instance (attempts are not kept across a restart).
    EXPECT_EQ(uint64_t(n["attempts"]), 1u) << simdjson::minify(n);
    ++logged[JsonStr(n["incident"])];
  }
  for (const std::string& id : incident_ids) EXPECT_EQ(logged[id], 1) << "incident " << id << " in the outbox's log";
  EXPECT_EQ(logged.size(), incident_ids.size());

  // The sink: each incident's trigger page, under one delivery key.
  //
  // The outbox sends a page, then records it finished. A kill between the receiver's 2xx and that record leaves it
  // pending in the store, and the next instance sends it again under the same key; that is why receivers are told to
  // de-duplicate on X-Incidentd-Delivery (docs/receivers.md). No design that records after sending avoids it, and one
  // kill can catch several lanes in flight at once (13 pages in one kill have been seen), so "exactly once" is
  // asserted for every page but those, and a duplicate passes only in this shape: two copies; the first received
  // within kInFlightWindow of the last kill before the second (after it too: the sink may read a request the dead
  // instance had written only later); the second sent by the instance started after that kill, which delivered it in
  // one attempt (checked with the log above); and no more duplicates for a kill than that instance recovered as
  // pending. A third copy, a page sent twice by one instance, or one sent again long after it was delivered, fails.
  constexpr auto kInFlightWindow = milliseconds(250);
  std::map<std::string, std::vector<SinkRequest>> by_key;
  for (SinkRequest& r : hook.requests()) {
    EXPECT_EQ(r.Header("X-Incidentd-Event"), "triggered") << r.Header("X-Incidentd-Delivery");
    by_key[std::string(r.Header("X-Incidentd-Delivery"))].push_back(std::move(r));
  }
  std::map<std::string, int> paged;  // incident -> distinct keys
  std::vector<size_t> duplicates_at_kill(kills.size());
  size_t duplicated = 0;
  // When the first copy of a duplicate arrived, from its kill: negative before it.
  auto lowest = std::chrono::microseconds::max(), highest = std::chrono::microseconds::min();
  for (const auto& [key, copies] : by_key) {
    const std::string incident = key.substr(0, key.find('/'));
    ++paged[incident];
    EXPECT_TRUE(incident_ids.contains(incident)) << "paged for an unknown incident: " << key;
    if (copies.size() == 1) continue;
    ++duplicated;
    const auto kill = std::upper_bound(kills.begin(), kills.end(), copies[1].arrived);
    if (copies.size() == 2 && kill != kills.begin()) {
      const size_t k = static_cast<size_t>(kill - kills.begin()) - 1;
      const auto offset = std::chrono::duration_cast<std::chrono::microseconds>(copies[0].arrived - kills[k]);
      if (offset >= -kInFlightWindow && offset <= kInFlightWindow && copies[1].arrived >= spawns[k + 1]) {
        ++duplicates_at_kill[k];
        lowest = std::min(lowest, offset);
        highest = std::max(highest, offset);
        continue;
      }
    }
    std::string where;
    for (const SinkRequest& r : copies) {
      where += " [at " + std::to_string(ms_since_start(r.arrived)) + " ms on connection " +
               std::to_string(r.connection) + "]";
    }
    ADD_FAILURE() << "page " << key << " received " << copies.size()
                  << " times, not as one in flight at a kill:" << where;
  }
  for (const std::string& id : incident_ids) EXPECT_EQ(paged[id], 1) << "incident " << id << " paged";
  std::string per_kill;
  for (size_t k = 0; k < kills.size(); ++k) {
    per_kill += ' ' + std::to_string(duplicates_at_kill[k]);
    EXPECT_LE(duplicates_at_kill[k], recovered_pending[k + 1])
        << "kill " << k << ": more pages sent twice than the next start found pending";
  }
  std::cout << "[ crash    ] " << incident_ids.size() << " incidents, " << hook.count() << " pages received, "
            << by_key.size() << " distinct keys, " << duplicated
            << " sent twice (in flight at a kill; per kill:" << per_kill << ")";
  if (duplicated > 0) {
    std::cout << "; their first copies arrived " << lowest.count() << ".." << highest.count() << " us from the kill";
  }
  std::cout << std::endl;

  // The last instance still stops cleanly.
  last.Signal(SIGTERM);
  EXPECT_EQ(last.Wait(seconds(20)), 0) << last.err();
}

}  // namespace
}  // namespace incidentd::testing
