#include "observability/metrics.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>

#include "model/label_text.h"

namespace incidentd::observability {
namespace {

void AtomicAdd(std::atomic<double>& a, double d) {
  double cur = a.load(std::memory_order_relaxed);
  while (!a.compare_exchange_weak(cur, cur + d, std::memory_order_relaxed)) {
  }
}

void AppendValue(std::string& out, double v) {
  if (std::isinf(v)) {
    out += v > 0 ? "+Inf" : "-Inf";
    return;
  }
  char buf[32];
  int n = std::snprintf(buf, sizeof buf, "%.17g", v);
  out.append(buf, n);
}

void AppendLabels(std::string& out, const MetricLabels& labels, const char* extra_name = nullptr,
                  const std::string& extra_value = {}) {
  if (labels.empty() && extra_name == nullptr) return;
  out.push_back('{');
  bool first = true;
  auto one = [&](const std::string& k, const std::string& v) {
    if (!first) out.push_back(',');
    first = false;
    out += k;
    out.push_back('=');
    AppendQuotedLabelValue(out, v);
  };
  for (const auto& [k, v] : labels) one(k, v);
  if (extra_name != nullptr) one(extra_name, extra_value);
  out.push_back('}');
}

}  // namespace

void Gauge::Add(double d) { AtomicAdd(v_, d); }

Histogram::Histogram(std::vector<double> bounds)
    : bounds_(std::move(bounds)), counts_(std::make_unique<std::atomic<uint64_t>[]>(bounds_.size() + 1)) {
  for (size_t i = 0; i <= bounds_.size(); ++i) counts_[i].store(0, std::memory_order_relaxed);
}

void Histogram::Observe(double v) {
  size_t i = static_cast<size_t>(std::lower_bound(bounds_.begin(), bounds_.end(), v) - bounds_.begin());
  counts_[i].fetch_add(1, std::memory_order_relaxed);
  count_.fetch_add(1, std::memory_order_relaxed);
  AtomicAdd(sum_, v);
}

std::vector<double> LatencyBuckets() {
  return {0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10};
}

Registry::Series& Registry::Get(std::string_view name, std::string_view help, Type type, const MetricLabels& labels) {
  auto it = families_.find(name);
  if (it == families_.end()) it = families_.emplace(std::string(name), Family{std::string(help), type, {}}).first;
  Family& f = it->second;
  if (f.type != type) std::abort();  // one name, one type: a programming error
  for (auto& s : f.series) {
    if (s->labels == labels) return *s;
  }
  auto s = std::make_unique<Series>();
  s->labels = labels;
  f.series.push_back(std::move(s));
  return *f.series.back();
}

// Each Get* finds or makes the series and its value under one hold of the lock, so Render never meets a series
// without its value.
Counter& Registry::GetCounter(std::string_view name, std::string_view help, const MetricLabels& labels) {
  std::lock_guard lock(mu_);
  Series& s = Get(name, help, Type::kCounter, labels);
  if (!s.counter) s.counter = std::make_unique<Counter>();
  return *s.counter;
}

Gauge& Registry::GetGauge(std::string_view name, std::string_view help, const MetricLabels& labels) {
  std::lock_guard lock(mu_);
  Series& s = Get(name, help, Type::kGauge, labels);
  if (!s.gauge) s.gauge = std::make_unique<Gauge>();
  return *s.gauge;
}

Histogram& Registry::GetHistogram(std::string_view name, std::string_view help, const MetricLabels& labels,
                                  const std::vector<double>& bounds) {
  std::lock_guard lock(mu_);
  Series& s = Get(name, help, Type::kHistogram, labels);
  if (!s.histogram) s.histogram = std::make_unique<Histogram>(bounds);
  return *s.histogram;
}

void Registry::AddGaugeFunction(std::string_view name, std::string_view help, const MetricLabels& labels,
                                std::function<double()> fn) {
  std::lock_guard lock(mu_);
  Series& s = Get(name, help, Type::kGauge, labels);
  s.fn = std::move(fn);
}

std::string Registry::Render() const {
  std::lock_guard lock(mu_);
  std::string out;
  out.reserve(8192);
  for (const auto& [name, f] : families_) {
    static constexpr const char* kTypes[] = {"counter", "gauge", "histogram"};
    out += "# HELP " + name + " " + f.help + "\n# TYPE " + name + " " + kTypes[static_cast<int>(f.type)] + "\n";
    for (const auto& s : f.series) {
      if (f.type == Type::kHistogram) {
        const Histogram& h = *s->histogram;
        uint64_t cumulative = 0;
        for (size_t i = 0; i <= h.bounds().size(); ++i) {
          cumulative += h.bucket(i);
          std::string le;
          if (i < h.bounds().size()) {
            AppendValue(le, h.bounds()[i]);
          } else {
            le = "+Inf";
          }
          out += name + "_bucket";
          AppendLabels(out, s->labels, "le", le);
          out += " " + std::to_string(cumulative) + "\n";
        }
        out += name + "_sum";
        AppendLabels(out, s->labels);
        out.push_back(' ');
        AppendValue(out, h.sum());
        out += "\n" + name + "_count";
        AppendLabels(out, s->labels);
        out += " " + std::to_string(h.count()) + "\n";
        continue;
      }
      out += name;
      AppendLabels(out, s->labels);
      out.push_back(' ');
      if (s->counter) {
        out += std::to_string(s->counter->value());
      } else {
        AppendValue(out, s->fn ? s->fn() : s->gauge->value());
      }
      out.push_back('\n');
    }
  }
  return out;
}

}  // namespace incidentd::observability
