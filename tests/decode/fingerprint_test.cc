// Fingerprint vectors: Alertmanager's FNV-1a over sorted labels, whether the decoder hashes labels as they come
// (sorted input) or AlertBatch hashes them after sorting (any other order).
#include <gtest/gtest.h>

#include <string>

#include "decode/factory.h"
#include "decode/golden.h"
#include "incidentd/label.h"

namespace incidentd::decode::testing {
namespace {

std::string FingerprintOf(const std::string& labels_json) {
  auto decoder = MakeDecoder(AlertFormat::kPrometheus, Limits());
  DecodeOutcome out = DecodeText(*decoder, "[{\"labels\":" + labels_json + "}]");
  EXPECT_TRUE(out.ok()) << out.Summary();
  if (!out.ok() || out.batch.size() != 1) return "";
  return out.batch.alerts()[0].fingerprint.ToString();
}

TEST(FingerprintTest, EmptySet) {
  EXPECT_EQ(Fingerprint().ToString(), "cbf29ce484222325");
  EXPECT_EQ(Fingerprint::Of({}).ToString(), "cbf29ce484222325");
}

TEST(FingerprintTest, AlertmanagerVectors) {
  EXPECT_EQ(FingerprintOf(R"({"alertname":"Watchdog"})"), "003b0a0f7d3fa569");
  EXPECT_EQ(FingerprintOf(R"({"fear":"love is not enough","name":"garland, briggs"})"), "507a62d79ee76c9a");
}

TEST(FingerprintTest, LabelOrderInJsonDoesNotMatter) {
  EXPECT_EQ(FingerprintOf(R"({"name":"garland, briggs","fear":"love is not enough"})"), "507a62d79ee76c9a");
  const std::string sorted = FingerprintOf(R"({"a":"1","b":"2","c":"3","d":"4"})");
  EXPECT_EQ(FingerprintOf(R"({"d":"4","c":"3","b":"2","a":"1"})"), sorted);
  EXPECT_EQ(FingerprintOf(R"({"b":"2","a":"1","d":"4","c":"3"})"), sorted);
  EXPECT_EQ(FingerprintOf(R"({"a":"1","b":"2","d":"4","c":"3"})"), sorted);
}

TEST(FingerprintTest, DroppedEmptyLabelsDoNotCount) {
  EXPECT_EQ(FingerprintOf(R"({"alertname":"Watchdog","empty":""})"), "003b0a0f7d3fa569");
  EXPECT_EQ(FingerprintOf(R"({"a":"","alertname":"Watchdog"})"), "003b0a0f7d3fa569");
}

TEST(FingerprintTest, PrefixNamesSortBeforeLongerOnes) {
  // "a" < "a_b" < "ab": byte order, as Go sorts strings.
  Label labels[] = {{"a", "1"}, {"a_b", "2"}, {"ab", "3"}};
  const std::string want = Fingerprint::Of(labels).ToString();
  EXPECT_EQ(FingerprintOf(R"({"a":"1","a_b":"2","ab":"3"})"), want);
  EXPECT_EQ(FingerprintOf(R"({"ab":"3","a":"1","a_b":"2"})"), want);
}

}  // namespace
}  // namespace incidentd::decode::testing
