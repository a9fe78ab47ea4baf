// Per-thread counters and a log-bucketed latency histogram (HDR-like, ~0.8% relative precision).
#pragma once

#include <algorithm>
#include <array>
#include <bit>
#include <chrono>
#include <cstdint>
#include <vector>

namespace incidentd::bench {

using Clock = std::chrono::steady_clock;

// Values (nanoseconds) below 2^(kSubBits+1) get exact buckets; above, each power of two is split into 2^kSubBits
// linear sub-buckets, so a bucket's width is at most 1/128 of its value. Fixed size, no allocation while recording.
class LatencyHistogram {
 public:
  static constexpr int kSubBits = 7;
  static constexpr uint64_t kSubCount = uint64_t{1} << kSubBits;
  static constexpr size_t kBuckets = (65 - kSubBits) * kSubCount;  // covers shift up to 63 - kSubBits

  LatencyHistogram() : counts_(kBuckets, 0) {}

  void Record(uint64_t ns) {
    ++counts_[Index(ns)];
    ++total_;
    sum_ += ns;
    max_ = std::max(max_, ns);
    min_ = std::min(min_, ns);
  }

  void Merge(const LatencyHistogram& other) {
    for (size_t i = 0; i < kBuckets; ++i) counts_[i] += other.counts_[i];
    total_ += other.total_;
    sum_ += other.sum_;
    max_ = std::max(max_, other.max_);
    min_ = std::min(min_, other.min_);
  }

  // Value at quantile q in [0, 1]: midpoint of the bucket holding the ceil(q * total)-th sample, clamped to the
  // recorded min/max; the top rank returns the exact max.
  uint64_t Quantile(double q) const {
    if (total_ == 0) return 0;
    uint64_t rank = static_cast<uint64_t>(q * static_cast<double>(total_) + 0.999999);
    rank = std::clamp<uint64_t>(rank, 1, total_);
    if (rank == total_) return max_;
    uint64_t seen = 0;
    for (size_t i = 0; i < kBuckets; ++i) {
      seen += counts_[i];
      if (seen >= rank) return std::clamp(Midpoint(i), min_, max_);
    }
    return max_;
  }

  uint64_t Count() const { return total_; }
  uint64_t Max() const { return total_ ? max_ : 0; }
  double Mean() const { return total_ ? static_cast<double>(sum_) / static_cast<double>(total_) : 0.0; }

  static size_t Index(uint64_t v) {
    if (v < 2 * kSubCount) return static_cast<size_t>(v);
    const int shift = std::bit_width(v) - 1 - kSubBits;  // >= 1 here
    return static_cast<size_t>((static_cast<uint64_t>(shift) + 1) * kSubCount + ((v >> shift) - kSubCount));
  }
  static uint64_t Midpoint(size_t index) {
    if (index < 2 * kSubCount) return index;
    const int shift = static_cast<int>(index / kSubCount) - 1;
    const uint64_t low = (kSubCount + index % kSubCount) << shift;
    return low + ((uint64_t{1} << shift) >> 1);
  }

 private:
  std::vector<uint64_t> counts_;
  uint64_t total_ = 0;
  uint64_t sum_ = 0;
  uint64_t max_ = 0;
  uint64_t min_ = UINT64_MAX;
};

// Everything a connection records. One instance per io thread, merged after the threads have joined.
// Fields without "total_" only count requests that completed (or failed) inside the measured window, i.e. after
// warmup. connect_errors, reconnects and missed_requests cover the whole run.
struct Stats {
  uint64_t requests = 0;         // requests that got an HTTP response (any status)
  uint64_t alerts = 0;           // alerts in those requests
  uint64_t accepted_alerts = 0;  // alerts in 2xx responses
  uint64_t errors = 0;           // socket / protocol errors on a request (no response)
  uint64_t connect_errors = 0;   // failed connection attempts (all, including warmup)
  uint64_t reconnects = 0;       // connections re-established after an error or "Connection: close"
  uint64_t missed_requests = 0;  // open loop: scheduled sends never made because the schedule fell behind
  uint64_t total_requests = 0;   // responses, including warmup
  uint64_t total_alerts = 0;
  std::array<uint64_t, 600> status{};  // by HTTP status code
  Clock::time_point last_completion{};
  LatencyHistogram latency;

  void Merge(const Stats& o) {
    requests += o.requests;
    alerts += o.alerts;
    accepted_alerts += o.accepted_alerts;
    errors += o.errors;
    connect_errors += o.connect_errors;
    reconnects += o.reconnects;
    missed_requests += o.missed_requests;
    total_requests += o.total_requests;
    total_alerts += o.total_alerts;
    for (size_t i = 0; i < status.size(); ++i) status[i] += o.status[i];
    last_completion = std::max(last_completion, o.last_completion);
    latency.Merge(o.latency);
  }
};

}  // namespace incidentd::bench
