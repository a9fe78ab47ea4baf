// PagerDuty specifics beyond the golden cases: the routing key stays secret, dedup keys are stable, and
// acknowledge/resolve events hit the alert their trigger created.
#include "decode/pagerduty_decoder.h"

#include <gtest/gtest.h>

#include <string>

#include "decode/golden.h"
#include "incidentd/label.h"

namespace incidentd::decode::testing {
namespace {

constexpr char kKey[] = "SECRETkey0123456789abcdefSECRET0";

std::string Event(const std::string& fields) {
  return std::string("{\"routing_key\":\"") + kKey + "\"," + fields + "}";
}

const char kTrigger[] =
    R"("event_action":"trigger","payload":{"summary":"CPU high","source":"web-1","severity":"warning","class":"cpu"})";

TEST(PagerDutyDecoderTest, RoutingKeyNeverLeaks) {
  PagerDutyDecoder decoder{Limits()};
  const std::string bodies[] = {
      Event(kTrigger),
      Event(R"("event_action":"trigger","dedup_key":"k","client":"c","client_url":"u","payload":{"summary":"s",)"
            R"("source":"h","severity":"info","custom_details":{"k":"v"}}})"),
      Event(R"("event_action":"resolve","dedup_key":"k")"),
      Event(R"("event_action":"bogus")"),
      Event(R"("event_action":"trigger","payload":{"severity":"x"}})"),
      Event(R"("event_action":"resolve","dedup_key":"k","x":")" + std::string("\xff") + "\""),
      std::string("{\"routing_key\":\"") + kKey + "\xff\",\"event_action\":\"resolve\",\"dedup_key\":\"k\"}",
      std::string("{\"routing_key\":\"") + kKey + "\",\"event_action\":\"resolve\",\"dedup_key\":\"k\"} trailing",
      std::string("[{\"routing_key\":\"") + kKey + "\"}]",
  };
  for (const std::string& body : bodies) {
    DecodeOutcome out = DecodeText(decoder, body);
    const std::string text = RenderOutcome(out) + out.Summary();
    EXPECT_EQ(text.find("SECRET"), std::string::npos) << text;
  }
}

TEST(PagerDutyDecoderTest, IntegrationIsFnvOfTheRoutingKey) {
  uint64_t h = Fingerprint::kOffset;
  for (unsigned char c : std::string(kKey)) h = (h ^ c) * Fingerprint::kPrime;
  PagerDutyDecoder decoder{Limits()};
  DecodeOutcome out = DecodeText(decoder, Event(R"("event_action":"resolve","dedup_key":"k")"));
  ASSERT_TRUE(out.ok()) << out.Summary();
  const AlertInput& a = out.batch.alerts()[0];
  std::string integration;
  for (const Label& l : out.batch.labels(a)) {
    if (l.name == "integration") integration = l.value;
  }
  EXPECT_EQ(integration, Fingerprint(h).ToString());
  FingerprintBuilder want;
  want.Add("", "pagerduty");  // the PagerDuty namespace: no label set has an empty name
  want.Add("dedup_key", "k");
  want.Add("integration", integration);
  EXPECT_EQ(a.fingerprint, want.Finish());
  EXPECT_FALSE(a.fingerprint_of_labels);
}

TEST(PagerDutyDecoderTest, GeneratedDedupKeyIsStableAndResolvesTheTrigger) {
  PagerDutyDecoder decoder{Limits()};
  DecodeOutcome first = DecodeText(decoder, Event(kTrigger));
  DecodeOutcome again = DecodeText(decoder, Event(kTrigger));
  ASSERT_TRUE(first.ok()) << first.Summary();
  EXPECT_EQ(first.dedup_key.size(), 16u);
  EXPECT_EQ(first.dedup_key, again.dedup_key);
  EXPECT_EQ(first.batch.alerts()[0].fingerprint, again.batch.alerts()[0].fingerprint);

  DecodeOutcome resolve =
      DecodeText(decoder, Event(R"("event_action":"resolve","dedup_key":")" + first.dedup_key + "\""));
  ASSERT_TRUE(resolve.ok()) << resolve.Summary();
  EXPECT_EQ(resolve.batch.alerts()[0].fingerprint, first.batch.alerts()[0].fingerprint);
  EXPECT_EQ(resolve.batch.alerts()[0].action, AlertAction::kResolve);

  DecodeOutcome other_source = DecodeText(
      decoder,
      Event(
          R"("event_action":"trigger","payload":{"summary":"CPU high","source":"web-2","severity":"warning","class":"cpu"})"));
  EXPECT_NE(other_source.dedup_key, first.dedup_key);
}

TEST(PagerDutyDecoderTest, SameDedupKeyOnTwoIntegrationsIsTwoAlerts) {
  PagerDutyDecoder decoder{Limits()};
  DecodeOutcome a = DecodeText(decoder, R"({"routing_key":"key-one","event_action":"resolve","dedup_key":"k"})");
  DecodeOutcome b = DecodeText(decoder, R"({"routing_key":"key-two","event_action":"resolve","dedup_key":"k"})");
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_NE(a.batch.alerts()[0].fingerprint, b.batch.alerts()[0].fingerprint);
}

}  // namespace
}  // namespace incidentd::decode::testing
