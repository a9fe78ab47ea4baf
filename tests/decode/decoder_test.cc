// The shared parts of the decoders: error texts and limits, the factory, and the thread-local parsers.
#include "decode/decoder.h"

#include <gtest/gtest.h>

#include <string>
#include <thread>
#include <vector>

#include "decode/factory.h"
#include "decode/golden.h"
#include "decode/json_support.h"

namespace incidentd::decode::testing {
namespace {

TEST(FieldErrorTest, ToString) {
  EXPECT_EQ((FieldError{3, "labels.instance", "not valid UTF-8"}).ToString(),
            "alert 3: labels.instance: not valid UTF-8");
  EXPECT_EQ((FieldError{-1, "body", "malformed JSON at byte 17: x"}).ToString(), "body: malformed JSON at byte 17: x");
  EXPECT_EQ((FieldError{-1, "", "body must be a JSON array of alerts"}).ToString(),
            "body must be a JSON array of alerts");
  EXPECT_EQ((FieldError{0, "", "must be a JSON object"}).ToString(), "alert 0: must be a JSON object");
}

TEST(DecodeOutcomeTest, SummaryAndErrorCap) {
  DecodeOutcome out;
  EXPECT_TRUE(out.ok());
  EXPECT_EQ(out.Summary(), "ok");
  out.AddError(0, "labels", "at least one label pair required");
  EXPECT_FALSE(out.ok());
  EXPECT_EQ(out.Summary(), "alert 0: labels: at least one label pair required");
  out.AddError(1, "labels", "x");
  EXPECT_EQ(out.Summary(), "alert 0: labels: at least one label pair required (and 1 more error)");
  for (int i = 0; i < 20; ++i) out.AddError(i, "f", "r");
  EXPECT_EQ(out.errors.size(), kMaxErrors);
  EXPECT_EQ(out.more_errors, 22 - kMaxErrors);
  EXPECT_EQ(out.Summary(), "alert 0: labels: at least one label pair required (and 21 more errors)");
}

TEST(FactoryTest, NamesAndFormats) {
  for (AlertFormat f : {AlertFormat::kPrometheus, AlertFormat::kAlertmanagerWebhook, AlertFormat::kPagerDuty}) {
    auto d = MakeDecoder(f, Limits());
    ASSERT_NE(d, nullptr);
    EXPECT_EQ(d->format(), f);
    EXPECT_EQ(d->name(), FormatName(f));
  }
  EXPECT_EQ(MakeDecoder(AlertFormat::kGeneric, Limits()), nullptr);
  GenericMapping m;
  m.name = "zabbix";
  auto g = MakeGenericDecoder(m, Limits());
  EXPECT_EQ(g->format(), AlertFormat::kGeneric);
  EXPECT_EQ(g->name(), "generic:zabbix");
}

TEST(FactoryTest, NamedDecoders) {
  GenericMapping m;
  m.name = "zabbix";
  for (std::string name : {"prometheus", "alertmanager-webhook", "pagerduty", "generic:zabbix"}) {
    auto d = MakeNamedDecoder(name, Limits(), {m});
    ASSERT_NE(d, nullptr) << name;
    EXPECT_EQ(d->name(), name);
  }
  EXPECT_EQ(MakeNamedDecoder("generic:nagios", Limits(), {m}), nullptr);
  EXPECT_EQ(MakeNamedDecoder("graphite", Limits(), {m}), nullptr);
}

// A Kafka message often holds one alert: the prometheus decoder takes a lone object when asked to, and only then.
TEST(PrometheusDecoderTest, OneAlertAloneOnlyWhenAsked) {
  const std::string one = R"({"labels":{"alertname":"DiskFull","instance":"db1"},"endsAt":"2026-01-01T00:00:00Z"})";
  simdjson::padded_string body(one);
  DecodeOutcome alone = MakeDecoder(AlertFormat::kPrometheus, Limits(), true)->Decode(body);
  ASSERT_TRUE(alone.ok()) << alone.Summary();
  ASSERT_EQ(alone.batch.size(), 1u);
  EXPECT_EQ(alone.batch.alerts()[0].ends_kind, EndsAtKind::kGiven);
  // The same alert in an array decodes the same.
  simdjson::padded_string array("[" + one + "]");
  DecodeOutcome listed = MakeDecoder(AlertFormat::kPrometheus, Limits(), true)->Decode(array);
  ASSERT_TRUE(listed.ok());
  EXPECT_EQ(listed.batch.alerts()[0].fingerprint, alone.batch.alerts()[0].fingerprint);

  DecodeOutcome http = MakeDecoder(AlertFormat::kPrometheus, Limits())->Decode(body);
  ASSERT_FALSE(http.ok());
  EXPECT_EQ(http.errors[0].reason, "body must be a JSON array of alerts");

  // A lone alert is checked like one in an array: the error names alert 0 and the field.
  simdjson::padded_string bad(std::string(R"({"labels":{"alertname":"A","bad name":"x"}})"));
  DecodeOutcome invalid = MakeDecoder(AlertFormat::kPrometheus, Limits(), true)->Decode(bad);
  ASSERT_FALSE(invalid.ok());
  EXPECT_EQ(invalid.errors[0].index, 0);
  simdjson::padded_string scalar(std::string("42"));
  DecodeOutcome number = MakeDecoder(AlertFormat::kPrometheus, Limits(), true)->Decode(scalar);
  ASSERT_FALSE(number.ok());
  EXPECT_EQ(number.errors[0].reason, "body must be an alert object or a JSON array of alerts");
}

std::string AlertsBody(size_t n, size_t value_bytes) {
  std::string body = "[";
  for (size_t i = 0; i < n; ++i) {
    if (i > 0) body.push_back(',');
    body += R"({"labels":{"alertname":"A)" + std::to_string(i) + R"(","job":")" + std::string(value_bytes, 'j') +
            R"("},"annotations":{"summary":")" + std::string(value_bytes, 's') + R"("}})";
  }
  body.push_back(']');
  return body;
}

TEST(DecoderTest, LargeDocumentThenSmallOne) {
  // Past kLargeDocument the thread's parser is replaced afterwards; decoding must go on as before.
  Limits limits;
  limits.max_alerts = 100000;
  auto decoder = MakeDecoder(AlertFormat::kPrometheus, limits);
  const std::string big = AlertsBody(3000, 1000);
  ASSERT_GT(big.size(), kLargeDocument);
  DecodeOutcome out = DecodeText(*decoder, big);
  ASSERT_TRUE(out.ok()) << out.Summary();
  EXPECT_EQ(out.batch.size(), 3000u);
  DecodeOutcome small = DecodeText(*decoder, AlertsBody(2, 3));
  ASSERT_TRUE(small.ok()) << small.Summary();
  EXPECT_EQ(small.batch.size(), 2u);
  // The views of the first outcome live in its own batch, not in the parser.
  EXPECT_EQ(out.batch.labels(out.batch.alerts()[2999])[0].value, "A2999");
}

TEST(DecoderTest, ConcurrentDecodingGivesTheSameResults) {
  auto decoder = MakeDecoder(AlertFormat::kPrometheus, Limits());
  const std::string body = AlertsBody(50, 20);
  const std::string bad = "[{\"labels\":{\"alertname\":\"A\",\"x\":\"\xff\"}}]";
  const std::string want = RenderOutcome(DecodeText(*decoder, body));
  const std::string want_bad = RenderOutcome(DecodeText(*decoder, bad));
  std::vector<std::thread> threads;
  std::vector<int> mismatches(4, 0);
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 200; ++i) {
        if (RenderOutcome(DecodeText(*decoder, i % 3 == 0 ? bad : body)) != (i % 3 == 0 ? want_bad : want)) {
          ++mismatches[t];
        }
      }
    });
  }
  for (auto& th : threads) th.join();
  for (int m : mismatches) EXPECT_EQ(m, 0);
}

TEST(DecoderTest, InsufficientPaddingIsAnErrorNotACrash) {
  auto decoder = MakeDecoder(AlertFormat::kPrometheus, Limits());
  const std::string body = R"([{"labels":{"alertname":"A"}}])";
  DecodeOutcome out = decoder->Decode(simdjson::padded_string_view(body.data(), body.size(), body.size()));
  EXPECT_FALSE(out.ok());
}

TEST(DecoderTest, AllDecodersRejectGarbageWithoutCrashing) {
  GenericMapping m;
  m.name = "any";
  m.labels_from = "/labels";
  std::vector<std::unique_ptr<Decoder>> decoders;
  decoders.push_back(MakeDecoder(AlertFormat::kPrometheus, Limits()));
  decoders.push_back(MakeDecoder(AlertFormat::kAlertmanagerWebhook, Limits()));
  decoders.push_back(MakeDecoder(AlertFormat::kPagerDuty, Limits()));
  decoders.push_back(MakeGenericDecoder(m, Limits()));
  const std::string inputs[] = {"",
                                "[",
                                "]",
                                "{",
                                "}",
                                "[[[[",
                                "{\"a\":",
                                "nul",
                                "\"\\",
                                "[1,]",
                                "{\"labels\":{}}}",
                                "\xff",
                                "[\"\xc3\"]",
                                std::string(1, '\0'),
                                "[{\"labels\":{\"a\":\"b\"}}] [1"};
  for (const auto& d : decoders) {
    for (const std::string& in : inputs) {
      DecodeOutcome out = DecodeText(*d, in);
      EXPECT_FALSE(out.ok()) << d->name() << " accepted " << in;
    }
  }
}

}  // namespace
}  // namespace incidentd::decode::testing
