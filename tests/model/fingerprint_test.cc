#include <gtest/gtest.h>

#include <vector>

#include "incidentd/alert_batch.h"
#include "incidentd/label.h"

namespace incidentd {
namespace {

struct Vector {
  std::vector<Label> labels;  // sorted by name
  const char* want;
};

// Vectors from Prometheus' model (LabelsToSignature) and Alertmanager (the Watchdog alert).
TEST(FingerprintTest, MatchesAlertmanager) {
  const std::vector<Vector> vectors = {
      {{}, "cbf29ce484222325"},
      {{{"fear", "love is not enough"}, {"name", "garland, briggs"}}, "507a62d79ee76c9a"},
      {{{"alertname", "Watchdog"}}, "003b0a0f7d3fa569"},
  };
  for (const Vector& v : vectors) EXPECT_EQ(Fingerprint::Of(v.labels).ToString(), v.want);
}

TEST(FingerprintTest, SeparatorSeparates) {
  std::vector<Label> a = {{"a", "b"}, {"c", "d"}};
  std::vector<Label> b = {{"a", "bc"}, {"d", ""}};
  EXPECT_NE(Fingerprint::Of(a), Fingerprint::Of(b));
}

TEST(FingerprintTest, ParseRoundTrip) {
  auto f = Fingerprint::Parse("003b0a0f7d3fa569");
  ASSERT_TRUE(f.has_value());
  EXPECT_EQ(f->ToString(), "003b0a0f7d3fa569");
  EXPECT_FALSE(Fingerprint::Parse("003b0a0f7d3fa56").has_value());
  EXPECT_FALSE(Fingerprint::Parse("003b0a0f7d3fa56g").has_value());
}

TEST(AlertBatchTest, SortsLabelsAndFingerprintsInAnyOrder) {
  AlertBatch batch(AlertFormat::kPrometheus, 64);
  batch.Begin();
  batch.AddLabel("severity", "page");
  batch.AddLabel("alertname", "Watchdog");
  batch.AddAnnotation("summary", "s");
  EXPECT_TRUE(batch.Finish().empty());
  batch.Begin();
  batch.AddLabel("alertname", "Watchdog");
  batch.AddLabel("severity", "page");
  EXPECT_TRUE(batch.Finish().empty());
  batch.Seal();
  ASSERT_EQ(batch.size(), 2u);
  EXPECT_EQ(batch.alerts()[0].fingerprint, batch.alerts()[1].fingerprint);
  EXPECT_EQ(batch.labels(batch.alerts()[0])[0].name, "alertname");
  EXPECT_EQ(batch.annotations(batch.alerts()[0]).size(), 1u);
  EXPECT_EQ(batch.annotations(batch.alerts()[1]).size(), 0u);
}

// Seal hashes four alerts at a time; each result must equal the one-at-a-time hash, whatever the
// lengths and however many alerts are left over.
TEST(AlertBatchTest, BatchedFingerprintsMatchSingleOnes) {
  for (int n : {1, 3, 4, 5, 9, 64}) {
    AlertBatch batch;
    std::vector<std::vector<std::string>> values;
    for (int i = 0; i < n; ++i) {
      batch.Begin();
      batch.AddLabel("alertname", std::string(i * 7 % 23, 'a' + i % 26));
      batch.AddLabel("instance", "host-" + std::to_string(i * 7919));
      batch.Finish(/*labels_sorted=*/true);
    }
    EXPECT_FALSE(batch.sealed());
    batch.Seal();
    EXPECT_TRUE(batch.sealed());
    for (const AlertInput& a : batch.alerts()) {
      EXPECT_EQ(a.fingerprint, Fingerprint::Of(batch.labels(a))) << n;
      EXPECT_TRUE(a.fingerprint_of_labels);
    }
  }
}

TEST(AlertBatchTest, ReportsDuplicateNames) {
  AlertBatch batch;
  batch.Begin();
  batch.AddLabel("a", "1");
  batch.AddLabel("a", "2");
  EXPECT_EQ(batch.Finish(), "a");
}

TEST(AlertBatchTest, ViewsSurviveGrowthAndMoves) {
  AlertBatch batch(AlertFormat::kPrometheus, 16);
  std::string big(40000, 'x');
  for (int i = 0; i < 100; ++i) {
    batch.Begin();
    batch.AddLabel("alertname", i % 2 ? big : "short" + std::to_string(i));
    batch.Finish();
  }
  batch.Seal();
  AlertBatch moved = std::move(batch);
  EXPECT_EQ(moved.labels(moved.alerts()[0])[0].value, "short0");
  EXPECT_EQ(moved.labels(moved.alerts()[99])[0].value, big);
}

}  // namespace
}  // namespace incidentd
