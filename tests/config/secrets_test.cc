#include "config/secrets.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "config/config.h"

namespace incidentd::config {
namespace {

namespace fs = std::filesystem;
using Settings = std::vector<std::pair<std::string, std::string>>;

class SecretsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("incidentd-secrets-" + std::to_string(::getpid()) + "-" +
                                        ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_ / "rules");
    fs::create_directories(dir_ / "secrets");
    ::setenv("INCIDENTD_TEST_PD_KEY", "pd-from-env", 1);
    ::setenv("INCIDENTD_TEST_HOST", "hooks.example", 1);
    ::unsetenv("INCIDENTD_TEST_UNSET");
  }
  void TearDown() override {
    fs::remove_all(dir_);
    ::unsetenv("INCIDENTD_TEST_PD_KEY");
    ::unsetenv("INCIDENTD_TEST_HOST");
  }
  std::string Write(const std::string& name, const std::string& text) {
    std::ofstream(dir_ / name) << text;
    return (dir_ / name).string();
  }
  ReceiverConfig Receiver(std::string type, Settings settings) {
    return ReceiverConfig{"r", std::move(type), std::move(settings), (dir_ / "rules/a.yaml").string() + ":12"};
  }
  std::string Origin() const { return (dir_ / "rules/a.yaml").string() + ":12"; }
  fs::path dir_;
};

TEST_F(SecretsTest, FilesAreReadRelativeToTheRuleFile) {
  Write("rules/pd.key", "0123456789abcdef\n");
  Write("secrets/hmac", "  with inner space \r\n\n");
  ReceiverConfig rc = Receiver("pagerduty", {{"url", "https://events.example/v2"},
                                             {"routing_key_file", "pd.key"},
                                             {"hmac_secret_file", (dir_ / "secrets/hmac").string()},
                                             {"source", "eu"}});
  Status s = ResolveReceiverSecrets(rc, "");
  ASSERT_TRUE(s.ok()) << s.message();
  EXPECT_EQ(rc.settings, (Settings{{"url", "https://events.example/v2"},
                                   {"routing_key", "0123456789abcdef"},
                                   {"hmac_secret", "with inner space"},
                                   {"source", "eu"}}));
}

TEST_F(SecretsTest, BaseDirParameterWins) {
  Write("secrets/slack", "https://hooks.slack.com/services/T/B/X\n");
  ReceiverConfig rc = Receiver("slack", {{"url_file", "slack"}, {"channel", "#db"}});
  Status s = ResolveReceiverSecrets(rc, (dir_ / "secrets").string());
  ASSERT_TRUE(s.ok()) << s.message();
  EXPECT_EQ(rc.settings, (Settings{{"url", "https://hooks.slack.com/services/T/B/X"}, {"channel", "#db"}}));
}

TEST_F(SecretsTest, EnvironmentExpansion) {
  ReceiverConfig rc = Receiver("webhook", {{"url", "https://${INCIDENTD_TEST_HOST}/in?a=1&cost=$$5&x=$y"},
                                           {"hmac_secret", "${INCIDENTD_TEST_PD_KEY}${INCIDENTD_TEST_PD_KEY}"}});
  Status s = ResolveReceiverSecrets(rc, "");
  ASSERT_TRUE(s.ok()) << s.message();
  EXPECT_EQ(rc.settings, (Settings{{"url", "https://hooks.example/in?a=1&cost=$5&x=$y"},
                                   {"hmac_secret", "pd-from-envpd-from-env"}}));
}

// A file path may use the environment; a file's content is taken literally.
TEST_F(SecretsTest, FilePathsExpandContentsDoNot) {
  ::setenv("INCIDENTD_TEST_DIR", (dir_ / "secrets").c_str(), 1);
  Write("secrets/key", "k$${NOT_EXPANDED}\n");
  ReceiverConfig rc = Receiver("opsgenie", {{"api_key_file", "${INCIDENTD_TEST_DIR}/key"}});
  Status s = ResolveReceiverSecrets(rc, "");
  ::unsetenv("INCIDENTD_TEST_DIR");
  ASSERT_TRUE(s.ok()) << s.message();
  EXPECT_EQ(rc.settings, (Settings{{"api_key", "k$${NOT_EXPANDED}"}}));
}

TEST_F(SecretsTest, ErrorsNameOriginReceiverKeyAndPathNeverAValue) {
  Write("secrets/empty", " \n");
  struct Case {
    Settings settings;
    std::string want;  // after "<origin>: receivers r: "
  };
  const Case cases[] = {
      {{{"routing_key_file", "missing.key"}},
       "routing_key_file: cannot read " + (dir_ / "rules/missing.key").string() + ": No such file or directory"},
      {{{"routing_key_file", (dir_ / "secrets").string()}},
       "routing_key_file: cannot read " + (dir_ / "secrets").string() + ": Is a directory"},
      {{{"routing_key_file", (dir_ / "secrets/empty").string()}},
       "routing_key_file: " + (dir_ / "secrets/empty").string() + " is empty"},
      {{{"routing_key", "s3cr3t-${INCIDENTD_TEST_UNSET}"}},
       "routing_key: environment variable INCIDENTD_TEST_UNSET is not set"},
      {{{"url", "https://h/s3cr3t"}, {"routing_key", "s3cr3t${"}},
       "routing_key: unterminated ${ (write $$ for a literal $)"},
      {{{"routing_key", "s3cr3t${9x}"}}, "routing_key: ${...} must name an environment variable (write $$ for $)"},
      {{{"routing_key", "s3cr3t${s3cr3t-x}"}},
       "routing_key: ${...} must name an environment variable (write $$ for $)"},
      {{{"routing_key_file", "${INCIDENTD_TEST_UNSET}/k"}},
       "routing_key_file: environment variable INCIDENTD_TEST_UNSET is not set"},
  };
  for (const Case& c : cases) {
    ReceiverConfig rc = Receiver("pagerduty", c.settings);
    Status s = ResolveReceiverSecrets(rc, "");
    ASSERT_FALSE(s.ok()) << c.want;
    EXPECT_EQ(s.message(), Origin() + ": receivers r: " + c.want);
    EXPECT_EQ(s.message().find("s3cr3t"), std::string::npos) << s.message();
  }
}

// A directory cannot be read as a file, whoever runs the test (root reads any file, whatever its mode).
TEST_F(SecretsTest, UnreadableFile) {
  std::string path = Write("secrets/placeholder", "");
  path = path.substr(0, path.rfind('/')) + "/dir";
  std::filesystem::create_directories(path);
  ReceiverConfig rc = Receiver("pagerduty", {{"routing_key_file", path}});
  Status s = ResolveReceiverSecrets(rc, "");
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.message(), Origin() + ": receivers r: routing_key_file: cannot read " + path + ": Is a directory");
}

TEST_F(SecretsTest, LargeFilesAreNotSecrets) {
  std::string path = Write("secrets/big", std::string(100000, 'k'));
  ReceiverConfig rc = Receiver("pagerduty", {{"routing_key_file", path}});
  Status s = ResolveReceiverSecrets(rc, "");
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.message(), Origin() + ": receivers r: routing_key_file: " + path + " is larger than 64KiB: not a secret");
}

// LoadConfig resolves every receiver's secrets, so check-config reports a missing one.
TEST_F(SecretsTest, LoadConfigResolvesSecrets) {
  Write("rules/a.yaml",
        "policies:\n  - {name: p, steps: [{notify: [pd]}]}\n"
        "receivers:\n"
        "  - name: pd\n"
        "    type: pagerduty\n"
        "    routing_key_file: ../secrets/pd\n"
        "  - name: hook\n"
        "    type: webhook\n"
        "    url: 'https://${INCIDENTD_TEST_HOST}/in'\n");
  Write("secrets/pd", "0123456789abcdef0123456789abcdef\n");
  std::string path = Write("c.yaml", "rule_files: [rules/*.yaml]\n");
  Result<Config> c = LoadConfig(path);
  ASSERT_TRUE(c.ok()) << c.status().message();
  ASSERT_EQ(c->receivers.size(), 2u);
  EXPECT_EQ(c->receivers[0].settings, (Settings{{"routing_key", "0123456789abcdef0123456789abcdef"}}));
  EXPECT_EQ(c->receivers[1].settings, (Settings{{"url", "https://hooks.example/in"}}));

  fs::remove(dir_ / "secrets/pd");
  c = LoadConfig(path);
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.status().message(), (dir_ / "rules/a.yaml").string() +
                                      ":4: receivers pd: routing_key_file: cannot read " +
                                      (dir_ / "secrets/pd").string() + ": No such file or directory");
}

}  // namespace
}  // namespace incidentd::config
