#include "config/duration.h"

#include <array>
#include <utility>

namespace incidentd::config {
namespace {

bool ParseNumber(std::string_view s, size_t& pos, uint64_t& out) {
  size_t start = pos;
  uint64_t v = 0;
  while (pos < s.size() && s[pos] >= '0' && s[pos] <= '9') {
    if (v > (UINT64_MAX - 9) / 10) return false;
    v = v * 10 + static_cast<uint64_t>(s[pos] - '0');
    ++pos;
  }
  out = v;
  return pos > start;
}

}  // namespace

std::optional<Duration> ParseDuration(std::string_view s) {
  static constexpr std::array<std::pair<std::string_view, int64_t>, 5> kUnits{{
      {"d", 86400'000'000'000LL},
      {"h", 3600'000'000'000LL},
      {"ms", 1'000'000LL},  // before "m" so "ms" is not read as minutes
      {"m", 60'000'000'000LL},
      {"s", 1'000'000'000LL},
  }};
  // Units must come in decreasing size; "ms" ranks after "s".
  static constexpr std::array<int, 5> kRank{0, 1, 4, 2, 3};
  if (s.empty()) return std::nullopt;
  size_t pos = 0;
  int last_rank = -1;
  int64_t total = 0;
  while (pos < s.size()) {
    uint64_t n;
    if (!ParseNumber(s, pos, n)) return std::nullopt;
    bool matched = false;
    for (size_t u = 0; u < kUnits.size(); ++u) {
      if (s.substr(pos, kUnits[u].first.size()) != kUnits[u].first) continue;
      if (kUnits[u].first == "m" && s.substr(pos, 2) == "ms") continue;
      if (kRank[u] <= last_rank) return std::nullopt;
      if (n > static_cast<uint64_t>(INT64_MAX / kUnits[u].second)) return std::nullopt;
      total += static_cast<int64_t>(n) * kUnits[u].second;
      last_rank = kRank[u];
      pos += kUnits[u].first.size();
      matched = true;
      break;
    }
    if (!matched) return std::nullopt;
  }
  return Duration(total);
}

std::optional<uint64_t> ParseBytes(std::string_view s) {
  size_t pos = 0;
  uint64_t n;
  if (!ParseNumber(s, pos, n)) return std::nullopt;
  std::string_view unit = s.substr(pos);
  static constexpr std::array<std::pair<std::string_view, uint64_t>, 8> kUnits{{
      {"", 1},
      {"B", 1},
      {"KiB", 1ULL << 10},
      {"MiB", 1ULL << 20},
      {"GiB", 1ULL << 30},
      {"KB", 1000},
      {"MB", 1000'000},
      {"GB", 1000'000'000},
  }};
  for (const auto& [name, mult] : kUnits) {
    if (unit == name) {
      if (n > UINT64_MAX / mult) return std::nullopt;
      return n * mult;
    }
  }
  return std::nullopt;
}

}  // namespace incidentd::config
