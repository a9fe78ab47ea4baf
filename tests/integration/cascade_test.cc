// Correlation beyond the group, as an operator sees it with the real binary: a recorded database outage that cascades
// to twenty services replays into one major incident with the database as its root (tests/testdata/cascade), and
// check-config refuses a topology whose dependencies form a cycle.
#include <unistd.h>

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "integration/daemon_fixture.h"
#include "integration/process.h"

namespace incidentd::testing {
namespace {

namespace fs = std::filesystem;

const std::string kCascade = std::string(INCIDENTD_TESTDATA) + "/cascade";

class CascadeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("incidentd-cascade-" + std::to_string(::getpid()) + "-" +
                                        ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_ / "rules");
  }
  void TearDown() override { fs::remove_all(dir_); }
  std::string Config(const std::string& rule_files) {
    std::ofstream(dir_ / "c.yaml") << "listen: 127.0.0.1:0\ndata_dir: " << (dir_ / "data").string() << "\nrule_files: ["
                                   << rule_files << "]\n";
    return (dir_ / "c.yaml").string();
  }
  fs::path dir_;
};

TEST_F(CascadeTest, TheStormReplaysIntoOneMajorIncidentWithTheDatabaseAsRoot) {
  Process replay({"replay", "--config", Config(kCascade + "/rules.yaml"), "--input", kCascade + "/storm.jsonl"});
  ASSERT_EQ(replay.Wait(std::chrono::seconds(60)), 0) << replay.err();
  EXPECT_EQ(replay.err(), "");

  std::vector<std::string> notifications;  // "receiver event" of each, in order
  std::set<std::string> notified_incidents;
  std::map<std::string, std::string> service_of;  // incident id -> service
  std::string root_id;
  std::vector<std::string> majors, symptom_ids;
  std::istringstream lines(replay.out());
  for (std::string line; std::getline(lines, line);) {
    JsonDoc d(line);
    ASSERT_TRUE(d.ok()) << line;
    const simdjson::dom::element e = d.root();
    if (JsonStr(e["type"]) == "notification") {
      notifications.push_back(JsonStr(e["receiver"]) + " " + JsonStr(e["event"]));
      notified_incidents.insert(JsonStr(e["incident"]));
      continue;
    }
    ASSERT_EQ(JsonStr(e["type"]), "incident") << line;
    const std::string id = JsonStr(e["id"]);
    service_of[id] = JsonStr(e["group_labels"]["service"]);
    EXPECT_EQ(JsonStr(e["state"]), "resolved") << line;
    bool major = false, root = false;
    ASSERT_EQ(e["major"].get(major), simdjson::SUCCESS) << line;
    ASSERT_EQ(e["root"].get(root), simdjson::SUCCESS) << line;
    if (major) majors.push_back(id);
    if (root) {
      EXPECT_TRUE(root_id.empty()) << "a second root: " << line;
      root_id = id;
      for (simdjson::dom::element s : e["symptoms"].get_array()) symptom_ids.emplace_back(s.get_string().value());
      EXPECT_EQ(JsonStr(e["priority"]), "P1") << line;
      EXPECT_EQ(JsonStr(e["policy"]), "incident-commander") << line;
    } else {
      EXPECT_FALSE(e["symptom_of"].is_null()) << line;
    }
  }
  ASSERT_EQ(service_of.size(), 21u) << replay.out();
  EXPECT_EQ(majors, std::vector<std::string>{root_id});
  EXPECT_EQ(service_of[root_id], "postgres");
  EXPECT_EQ(symptom_ids.size(), 20u);
  std::set<std::string> symptom_services;
  for (const std::string& s : symptom_ids) symptom_services.insert(service_of[s]);
  EXPECT_EQ(symptom_services.size(), 20u);
  EXPECT_EQ(symptom_services.count("postgres"), 0u);

  // Everyone hears of the root alone: the on-call's page, the commander's once it is major, the resolution.
  EXPECT_EQ(notified_incidents, std::set<std::string>{root_id});
  EXPECT_EQ(notifications,
            (std::vector<std::string>{"oncall-hook triggered", "commander-hook triggered", "stakeholders triggered",
                                      "oncall-hook resolved", "commander-hook resolved", "stakeholders resolved"}));

  // The detail of one symptom and of the root, from their printed incidents.
  std::istringstream again(replay.out());
  for (std::string line; std::getline(again, line);) {
    JsonDoc d(line);
    if (JsonStr(d.root()["type"]) != "incident") continue;
    const std::string id = JsonStr(d.root()["id"]);
    const std::vector<std::string> kinds = TimelineKinds(d.root());
    if (id == root_id) {
      EXPECT_EQ(std::count(kinds.begin(), kinds.end(), "symptom_added"), 20) << line;
      EXPECT_EQ(std::count(kinds.begin(), kinds.end(), "major"), 1) << line;
    } else {
      EXPECT_EQ(JsonStr(d.root()["symptom_of"]), root_id) << line;
      EXPECT_EQ(JsonStr(d.root()["resolved_by"]), "with root " + root_id) << line;
      EXPECT_EQ(std::count(kinds.begin(), kinds.end(), "notified"), 0) << line;
    }
  }
}

TEST_F(CascadeTest, CheckConfigRefusesADependencyCycle) {
  const fs::path rules = dir_ / "rules" / "topology.yaml";
  std::ofstream(rules) << "topology:\n  services:\n    - {name: checkout, depends_on: [payments]}\n"
                       << "    - {name: payments, depends_on: [ledger]}\n"
                       << "    - {name: ledger, depends_on: [checkout]}\n";
  Process check({"check-config", "--config", Config(rules.string())});
  EXPECT_EQ(check.Wait(), 1);
  EXPECT_EQ(check.err(), rules.string() +
                             ":5:35: topology.services[2].depends_on[0]: dependency cycle checkout -> payments -> "
                             "ledger -> checkout\n");
  // The daemon refuses it the same way and does not start.
  Process run({"--config", Config(rules.string())});
  EXPECT_EQ(run.Wait(), 1);
  EXPECT_EQ(run.err(), check.err());
}

}  // namespace
}  // namespace incidentd::testing
