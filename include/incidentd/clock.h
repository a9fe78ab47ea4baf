// Time: the one route to the wall clock.
//
// incidentd's times are UTC points with nanosecond resolution. Nothing outside server/ and the system clock reads the
// wall clock: the engine takes `now` as a parameter, the engine loop asks a Clock, and tests hand in a FakeClock
// (tests/fakes/fake_clock.h) so that timers are driven, never waited for.
//
// Thread rule: a Clock is safe for concurrent use.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

namespace incidentd {

using Duration = std::chrono::nanoseconds;
using Time = std::chrono::time_point<std::chrono::system_clock, Duration>;

// "Not set". It stands for the zero of Go's time.Time, 0001-01-01T00:00:00Z, which Alertmanager prints for "not set"
// and which nanoseconds in 64 bits cannot hold (they span the years 1678 to 2262): RFC 3339 parsing returns kZeroTime
// for exactly that text and formatting prints that text for kZeroTime.
inline constexpr Time kZeroTime = Time::min();

inline constexpr int64_t ToUnixNanos(Time t) { return t.time_since_epoch().count(); }
inline constexpr Time FromUnixNanos(int64_t ns) { return Time(Duration(ns)); }

// The shortest Prometheus-style form of a duration: "5m", "1h30m", "7d", "250ms", "0s".
std::string FormatDuration(Duration d);

class Clock {
 public:
  virtual ~Clock() = default;
  virtual Time Now() const = 0;
};

// The real wall clock.
class SystemClock final : public Clock {
 public:
  Time Now() const override { return std::chrono::time_point_cast<Duration>(std::chrono::system_clock::now()); }
};

}  // namespace incidentd
