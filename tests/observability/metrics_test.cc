#include "observability/metrics.h"

#include <gtest/gtest.h>

#include <atomic>
#include <string>
#include <thread>

namespace incidentd::observability {
namespace {

TEST(MetricsTest, RendersPrometheusText) {
  Registry r;
  r.GetCounter("incidentd_x_total", "Xs.", {{"format", "prometheus"}}).Inc(3);
  r.GetCounter("incidentd_x_total", "Xs.", {{"format", "generic:\"q\""}}).Inc();
  r.GetGauge("incidentd_g", "A gauge.").Set(2.5);
  r.AddGaugeFunction("incidentd_f", "A function.", {}, [] { return 7.0; });
  Histogram& h = r.GetHistogram("incidentd_h_seconds", "A histogram.", {{"handler", "a"}}, {0.1, 1});
  h.Observe(0.05);
  h.Observe(0.5);
  h.Observe(5);
  std::string text = r.Render();
  EXPECT_NE(text.find("# HELP incidentd_x_total Xs.\n# TYPE incidentd_x_total counter\n"), std::string::npos);
  EXPECT_NE(text.find("incidentd_x_total{format=\"prometheus\"} 3\n"), std::string::npos);
  EXPECT_NE(text.find("incidentd_x_total{format=\"generic:\\\"q\\\"\"} 1\n"), std::string::npos);
  EXPECT_NE(text.find("incidentd_g 2.5\n"), std::string::npos);
  EXPECT_NE(text.find("incidentd_f 7\n"), std::string::npos);
  EXPECT_NE(text.find("incidentd_h_seconds_bucket{handler=\"a\",le=\"0.10000000000000001\"} 1\n"), std::string::npos)
      << text;
  EXPECT_NE(text.find("incidentd_h_seconds_bucket{handler=\"a\",le=\"1\"} 2\n"), std::string::npos);
  EXPECT_NE(text.find("incidentd_h_seconds_bucket{handler=\"a\",le=\"+Inf\"} 3\n"), std::string::npos);
  EXPECT_NE(text.find("incidentd_h_seconds_count{handler=\"a\"} 3\n"), std::string::npos);
}

TEST(MetricsTest, SameSeriesForSameLabels) {
  Registry r;
  Counter& a = r.GetCounter("c", "h", {{"k", "v"}});
  Counter& b = r.GetCounter("c", "h", {{"k", "v"}});
  EXPECT_EQ(&a, &b);
}

// Series made while the registry renders (the Kafka lag gauges appear per partition at any time): a render never
// meets a series before its value exists.
TEST(MetricsTest, RenderWhileSeriesAreMade) {
  Registry r;
  r.GetCounter("first", "there from the start").Inc();
  std::atomic<bool> done{false};
  std::thread maker([&] {
    for (int i = 0; i < 3000; ++i) {
      const std::string n = std::to_string(i);
      r.GetGauge("made_gauge", "g", {{"i", n}}).Set(i);
      r.GetCounter("made_counter", "c", {{"i", n}}).Inc();
      r.GetHistogram("made_histogram", "h", {{"i", n}}, {1.0}).Observe(0.5);
      r.AddGaugeFunction("made_function", "f", {{"i", n}}, [] { return 1.0; });
    }
    done = true;
  });
  size_t renders = 0;
  while (!done.load()) {
    EXPECT_FALSE(r.Render().empty());
    ++renders;
  }
  maker.join();
  EXPECT_GT(renders, 0u);
  EXPECT_NE(r.Render().find("made_gauge{i=\"2999\"} 2999"), std::string::npos);
}

TEST(MetricsTest, ConcurrentIncrementsAreNotLost) {
  Registry r;
  Counter& c = r.GetCounter("c", "h");
  Histogram& h = r.GetHistogram("h", "h", {}, LatencyBuckets());
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 100000; ++i) {
        c.Inc();
        h.Observe(0.001);
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(c.value(), 400000u);
  EXPECT_EQ(h.count(), 400000u);
  EXPECT_NEAR(h.sum(), 400.0, 1e-6);
}

}  // namespace
}  // namespace incidentd::observability
