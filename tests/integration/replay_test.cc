// `incidentd replay` as an operator runs it (the real binary), and the property it exists for: on the same input it
// ends where a daemon fed the same requests at the same times ends, incident for incident, timeline for timeline.
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "integration/daemon_fixture.h"
#include "integration/process.h"
#include "model/rfc3339.h"

extern char** environ;

namespace incidentd::testing {
namespace {

namespace fs = std::filesystem;
using simdjson::dom::element;

const std::string kTestdata = INCIDENTD_TESTDATA;
// Both the replay and the daemon run on this (after the fixture's listen and data_dir). No alert times out.
const std::string kConfig = "rule_files: [" + kTestdata + "/replay/rules.yaml]\nresolve_timeout: 1h\n";

struct RunResult {
  std::optional<int> exit_code;  // nullopt: killed after the deadline
  std::string out, err;
};

// Runs the incidentd binary with `args` to completion, at most `within`, capturing stdout and stderr.
RunResult RunIncidentd(std::vector<std::string> args, std::chrono::seconds within = std::chrono::seconds(30)) {
  Process p(std::move(args));
  std::optional<int> code = p.Wait(within);
  return RunResult{code, p.out(), p.err()};
}

std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) out.push_back(line);
  return out;
}

// Replay's output, split: notification lines, then incidents by id with "type" taken out (the API's shape).
struct ReplayOutput {
  std::vector<std::string> notifications;
  std::vector<std::string> incident_ids;  // in print order
  std::map<std::string, std::string> incidents;
};

ReplayOutput Split(const std::string& out) {
  ReplayOutput r;
  const std::string kIncident = R"({"type":"incident",)";
  for (const std::string& line : Lines(out)) {
    if (line.starts_with(R"({"type":"notification",)")) {
      EXPECT_TRUE(r.incidents.empty()) << "a notification after the incidents: " << line;
      r.notifications.push_back(line);
    } else if (line.starts_with(kIncident)) {
      JsonDoc d(line);
      EXPECT_TRUE(d.ok()) << line;
      if (!d.ok()) continue;
      const std::string id = JsonStr(d.root()["id"]);
      r.incident_ids.push_back(id);
      r.incidents[id] = "{" + line.substr(kIncident.size());
    } else {
      ADD_FAILURE() << "unexpected output line: " << line;
    }
  }
  return r;
}

// True when `err` has a line that names line `n` of the input and says it was skipped.
bool ReportsSkipped(const std::string& err, int n) {
  const std::string num = std::to_string(n);
  return std::regex_search(err, std::regex("(^|\n)[^\n]*(:" + num + ":|line " + num + ":)[^\n]*\\(skipped\\)"));
}

class ReplayTest : public DaemonTest {
 protected:
  void SetUp() override {
    scratch_ = fs::temp_directory_path() / ("incidentd-replay-" + std::to_string(::getpid()) + "-" +
                                            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(scratch_);
    fs::create_directories(scratch_);
    std::ofstream(scratch_ / "c.yaml") << "listen: 127.0.0.1:0\ndata_dir: data\n" << kConfig;
  }
  void TearDown() override {
    DaemonTest::TearDown();
    fs::remove_all(scratch_);
  }
  // Writes `lines` as an input file; its path.
  std::string Input(const std::vector<std::string>& lines) {
    std::ofstream f(scratch_ / "input.jsonl");
    for (const std::string& l : lines) f << l << "\n";
    return (scratch_ / "input.jsonl").string();
  }
  RunResult Replay(const std::string& input) {
    return RunIncidentd({"replay", "--config", (scratch_ / "c.yaml").string(), "--input", input});
  }

  fs::path scratch_;
};

// An alert fires at 20:00:00, another joins, both resolve at 20:01:00.
const std::vector<std::string> kShortStory = {
    R"({"at":"2026-05-28T20:00:00Z","format":"prometheus","body":[{"labels":{"alertname":"Down","service":"api","severity":"critical"}}]})",
    R"({"at":"2026-05-28T20:00:10Z","format":"prometheus","body":[{"labels":{"alertname":"Slow","service":"api","severity":"warning"}}]})",
    R"({"at":"2026-05-28T20:01:00Z","format":"prometheus","body":[{"labels":{"alertname":"Down","service":"api","severity":"critical"},"startsAt":"2026-05-28T20:00:00Z","endsAt":"2026-05-28T20:00:59Z"},{"labels":{"alertname":"Slow","service":"api","severity":"warning"},"startsAt":"2026-05-28T20:00:10Z","endsAt":"2026-05-28T20:00:59Z"}]})",
};

TEST_F(ReplayTest, PrintsTheNotificationsThenTheIncidents) {
  RunResult r = Replay(Input(kShortStory));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.err, "");
  ReplayOutput out = Split(r.out);
  ASSERT_EQ(out.incident_ids.size(), 1u) << r.out;
  const std::string id = out.incident_ids[0];
  auto line = [&](const char* at, const char* receiver, const char* event, bool inform, int seq) {
    return std::string(R"({"type":"notification","at":")") + at + R"(","receiver":")" + receiver + R"(","incident":")" +
           id + R"(","event":")" + event + R"(","inform":)" + (inform ? "true" : "false") + R"(,"seq":)" +
           std::to_string(seq) + R"(,"step":0,"priority":"P1","title":"api: Down"})";
  };
  EXPECT_EQ(out.notifications, (std::vector<std::string>{
                                   line("2026-05-28T20:00:30.000Z", "hook", "triggered", false, 1),
                                   line("2026-05-28T20:00:30.000Z", "audit", "triggered", true, 1),
                                   line("2026-05-28T20:01:00.000Z", "hook", "resolved", false, 2),
                                   line("2026-05-28T20:01:00.000Z", "audit", "resolved", true, 2),
                               }));
  JsonDoc inc(out.incidents[id]);
  ASSERT_TRUE(inc.ok());
  EXPECT_EQ(JsonStr(inc.root()["state"]), "resolved");
  EXPECT_EQ(JsonStr(inc.root()["resolved_at"]), "2026-05-28T20:01:00.000Z");
  EXPECT_EQ(JsonStr(inc.root()["title"]), "api: Down");
  EXPECT_EQ(inc.root()["alerts"].get_array().size(), 2u);
  EXPECT_EQ(TimelineKinds(inc.root()),
            (std::vector<std::string>{"opened", "alert_joined", "alert_joined", "notified", "notified",
                                      "alert_resolved", "alert_resolved", "resolved", "notified", "notified"}));
}

TEST_F(ReplayTest, ReportsABadLineWithItsNumberAndSkipsIt) {
  const std::string input = Input({
      R"({"at":"2026-05-28T20:00:00Z","format":"prometheus","body":[{"labels":{"alertname":"Down","service":"api"}}]})",
      R"({"at":"2026-05-28T20:00:01Z","format":"prometheus","body":)",
      R"({"at":"2026-05-28T20:00:02Z","format":"carrier-pigeon","body":{}})",
      R"({"at":"2026-05-28T20:00:03Z","format":"prometheus","body":[{"annotations":{"summary":"no labels"}}]})",
      "",
      R"({"at":"yesterday","format":"prometheus","body":[{"labels":{"alertname":"Down","service":"db"}}]})",
      R"({"at":"2026-05-28T20:00:04Z","format":"prometheus","body":[{"labels":{"alertname":"Down","service":"web"}}]})",
  });
  RunResult r = Replay(input);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  for (int bad : {2, 3, 4, 6}) EXPECT_TRUE(ReportsSkipped(r.err, bad)) << "line " << bad << " in:\n" << r.err;
  for (int good : {1, 5, 7}) EXPECT_FALSE(ReportsSkipped(r.err, good)) << "line " << good << " in:\n" << r.err;
  EXPECT_NE(r.err.find(input + ":2: malformed JSON"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find(input + ":3: format: 'carrier-pigeon'"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find(input + ":6: at: not an RFC 3339 time"), std::string::npos) << r.err;
  // The good records still make their incidents.
  ReplayOutput out = Split(r.out);
  ASSERT_EQ(out.incident_ids.size(), 2u) << r.out;
  std::set<std::string> services;
  for (const auto& [id, body] : out.incidents) {
    JsonDoc d(body);
    ASSERT_TRUE(d.ok());
    services.insert(JsonStr(d.root()["group_labels"]["service"]));
  }
  EXPECT_EQ(services, (std::set<std::string>{"api", "web"}));
}

TEST_F(ReplayTest, RecordsGoingBackInTimeExit1) {
  const std::string input = Input({
      R"({"at":"2026-05-28T20:00:10Z","format":"prometheus","body":[{"labels":{"alertname":"A","service":"api"}}]})",
      R"({"at":"2026-05-28T20:00:20Z","format":"prometheus","body":[{"labels":{"alertname":"B","service":"api"}}]})",
      R"({"at":"2026-05-28T20:00:05Z","format":"prometheus","body":[{"labels":{"alertname":"C","service":"api"}}]})",
  });
  RunResult r = Replay(input);
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_NE(r.err.find(input + ":3: at: goes back in time"), std::string::npos) << r.err;
}

// The key property. The daemon runs on a FakeClock: before each record the clock goes to just before the record's
// time, so the group flushes due in between run at their own times before the record arrives (as the real daemon's
// timers would fire), then to the record's time for its request. storm.jsonl has no flush due at the very time of a
// record (testdata/replay/README.md), which would race the request.
TEST_F(ReplayTest, ReproducesWhatTheDaemonDidOnTheSameInput) {
  const std::string input = kTestdata + "/replay/storm.jsonl";
  RunResult r = Replay(input);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.err, "");
  ReplayOutput replay = Split(r.out);

  StartWith(kConfig);
  TestClient c = Client();
  std::ifstream in(input);
  ASSERT_TRUE(in) << input;
  std::optional<Time> last;
  std::set<std::string> record_times;
  int n = 0;
  for (std::string line; std::getline(in, line);) {
    ++n;
    JsonDoc record(line);
    ASSERT_TRUE(record.ok()) << input << ":" << n;
    const std::string at_text = JsonStr(record.root()["at"]);
    std::optional<Time> at = ParseRfc3339(at_text);
    ASSERT_TRUE(at.has_value()) << at_text;
    record_times.insert(at_text.substr(0, 19));
    if (!last || *at > *last) {
      clock_.Set(*at - std::chrono::nanoseconds(1));
      daemon_->PokeEngine();
      // A read is answered after a tick at the clock's time: once it is, the flushes before `at` have run.
      ASSERT_EQ(c.Get("/api/v1/incidents?limit=1").status, 200u);
    }
    clock_.Set(*at);
    last = at;
    const std::string format = JsonStr(record.root()["format"]);
    const std::string body = simdjson::minify(record.root()["body"]);
    const std::string target = format == "prometheus"             ? "/api/v2/alerts"
                               : format == "alertmanager-webhook" ? "/api/v1/webhook/alertmanager"
                               : format == "pagerduty"            ? "/v2/enqueue"
                                                                  : "";
    ASSERT_FALSE(target.empty()) << input << ":" << n << ": format " << format;
    HttpResult posted = c.Post(target, body);
    ASSERT_TRUE(posted.status == 200 || posted.status == 202) << input << ":" << n << ": " << posted.body;
  }
  ASSERT_TRUE(last.has_value());
  // Replay's default end: the last record plus the longest group_wait (30s in rules.yaml).
  clock_.Set(*last + std::chrono::seconds(30));
  daemon_->PokeEngine();

  // What the input should make, so that an empty or trivial outcome cannot pass.
  ASSERT_EQ(replay.incident_ids.size(), 3u) << r.out;
  std::map<std::string, std::string> state_by_title;
  for (const auto& [id, body] : replay.incidents) {
    JsonDoc d(body);
    ASSERT_TRUE(d.ok());
    state_by_title[JsonStr(d.root()["title"]).substr(0, JsonStr(d.root()["title"]).find(':'))] =
        JsonStr(d.root()["state"]) + " " + JsonStr(d.root()["priority"]) + " " +
        std::to_string(uint64_t(d.root()["counts"]["alerts"]));
  }
  EXPECT_EQ(state_by_title,
            (std::map<std::string, std::string>{
                {"checkout", "resolved P3 16"}, {"payments", "triggered P1 14"}, {"search", "triggered P2 18"}}));
  std::map<std::string, int> events;
  for (const std::string& line : replay.notifications) {
    JsonDoc d(line);
    ASSERT_TRUE(d.ok()) << line;
    const std::string event = JsonStr(d.root()["event"]);
    ++events[event];
    // Resolutions come from records; the other events from group flushes, which must not fall on a record's time.
    if (event != "resolved") {
      EXPECT_FALSE(record_times.contains(JsonStr(d.root()["at"]).substr(0, 19)))
          << "a flush at the time of a record: the daemon's timer would race the request (see the README): " << line;
    }
  }
  EXPECT_EQ(events["triggered"], 6) << r.out;  // hook and audit for each incident
  EXPECT_EQ(events["resolved"], 2) << r.out;   // checkout
  EXPECT_GE(events["updated"], 3) << r.out;    // the incidents grew after their first page

  // The daemon has the same incidents, byte for byte, timelines included.
  HttpResult list = c.Get("/api/v1/incidents");
  ASSERT_EQ(list.status, 200u);
  JsonDoc listed(list.body);
  ASSERT_TRUE(listed.ok());
  std::vector<std::string> daemon_ids;
  for (element i : listed.root().get_array()) daemon_ids.push_back(JsonStr(i["id"]));
  std::reverse(daemon_ids.begin(), daemon_ids.end());  // the API lists newest first, replay oldest first
  EXPECT_EQ(daemon_ids, replay.incident_ids);
  std::vector<std::string> daemon_notified, replay_notified;  // "incident at event -> receiver"
  for (const std::string& id : replay.incident_ids) {
    HttpResult d = c.Get("/api/v1/incidents/" + id);
    ASSERT_EQ(d.status, 200u) << id;
    EXPECT_EQ(d.body, replay.incidents[id]) << "incident " << id << " differs between the daemon and replay";
    JsonDoc doc(d.body);
    ASSERT_TRUE(doc.ok());
    for (const std::string& e : TimelineEntries(doc.root(), "notified")) daemon_notified.push_back(id + " " + e);
  }
  // Each notification replay printed is one the daemon's timelines record.
  for (const std::string& line : replay.notifications) {
    JsonDoc d(line);
    ASSERT_TRUE(d.ok());
    replay_notified.push_back(JsonStr(d.root()["incident"]) + " " + JsonStr(d.root()["at"]) + " " +
                              JsonStr(d.root()["event"]) + (bool(d.root()["inform"]) ? " (inform)" : "") + " -> " +
                              JsonStr(d.root()["receiver"]));
  }
  std::sort(daemon_notified.begin(), daemon_notified.end());
  std::sort(replay_notified.begin(), replay_notified.end());
  EXPECT_EQ(daemon_notified, replay_notified);
}

}  // namespace
}  // namespace incidentd::testing
