#include <array>
#include <string>
#include <utility>

#include "incidentd/clock.h"

namespace incidentd {

std::string FormatDuration(Duration d) {
  int64_t ns = d.count();
  if (ns == 0) return "0s";
  std::string out;
  if (ns < 0) {
    out = "-";
    ns = -ns;
  }
  static constexpr std::array<std::pair<const char*, int64_t>, 5> kUnits{{
      {"d", 86400'000'000'000LL},
      {"h", 3600'000'000'000LL},
      {"m", 60'000'000'000LL},
      {"s", 1'000'000'000LL},
      {"ms", 1'000'000LL},
  }};
  for (const auto& [unit, size] : kUnits) {
    if (ns >= size) {
      out += std::to_string(ns / size) + unit;
      ns %= size;
    }
  }
  if (ns > 0) out += std::to_string(ns) + "ns";
  return out;
}

}  // namespace incidentd
