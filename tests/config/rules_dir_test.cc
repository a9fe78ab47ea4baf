// Every rule file shipped in rules/ loads, together, as `make run` loads them.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>

#include "config/config.h"
#include "config/rule_loader.h"

namespace incidentd::config {
namespace {

namespace fs = std::filesystem;

TEST(RulesDirTest, EveryShippedRuleFileLoads) {
  std::vector<std::string> paths;
  for (const fs::directory_entry& e : fs::directory_iterator(INCIDENTD_SOURCE_DIR "/rules")) {
    if (e.is_regular_file() && e.path().extension() == ".yaml") paths.push_back(e.path().string());
  }
  std::sort(paths.begin(), paths.end());  // the order rule_files globs give
  ASSERT_FALSE(paths.empty());
  Result<LoadedRules> r = LoadRules(paths);
  ASSERT_TRUE(r.ok()) << r.status().message();
  ASSERT_FALSE(r->rules.correlations.empty());
  // rules/99-default.yaml's catch-all is the first-match fallback: it must be the last rule.
  EXPECT_EQ(r->rules.correlations.back().name, "by-alertname");
  EXPECT_TRUE(r->rules.correlations.back().match.empty());
  // `make run` loads these rules: no receiver may need a file that is not there.
  for (const ReceiverConfig& rc : r->receivers) {
    for (const auto& [key, value] : rc.settings) {
      EXPECT_FALSE(key.ends_with("_file")) << rc.origin << ": " << rc.name << "." << key;
    }
  }
}

TEST(RulesDirTest, ExampleConfigLoads) {
  Result<Config> c = LoadConfig(INCIDENTD_SOURCE_DIR "/config/incidentd.yaml");
  ASSERT_TRUE(c.ok()) << c.status().message();
  EXPECT_FALSE(c->rules.correlations.empty());
  EXPECT_EQ(c->rules.correlations.back().name, "by-alertname");
}

}  // namespace
}  // namespace incidentd::config
