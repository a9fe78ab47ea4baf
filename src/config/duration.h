// Durations and byte sizes as operators write them in YAML.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "incidentd/clock.h"

namespace incidentd::config {

// Prometheus-style durations: one or more of <n>d, <n>h, <n>m, <n>s, <n>ms in that order ("30s", "5m", "1h30m",
// "0s"). nullopt on anything else (no unit, negative, unknown unit, wrong order).
std::optional<Duration> ParseDuration(std::string_view s);
using incidentd::FormatDuration;  // the shortest such form (incidentd/clock.h)

// A byte count: a plain integer or one with a unit B, KiB, MiB, GiB, KB, MB, GB ("16MiB"). nullopt otherwise.
std::optional<uint64_t> ParseBytes(std::string_view s);

}  // namespace incidentd::config
