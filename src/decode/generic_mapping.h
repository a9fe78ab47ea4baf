// GenericMapping: how the generic webhook format (`POST /api/v1/webhook/{name}`) turns any JSON into alerts.
//
// Every location is an RFC 6901 JSON pointer. `alerts` points at the array of alerts in the body (or at a single
// alert object); empty means the body itself is the alert (or an array of alerts). All other pointers are relative
// to each alert. A pointer that finds nothing leaves its label or field out; scalars (strings, numbers, booleans) are
// taken as their text; objects and arrays are an error. Configured under `generic_webhooks:` (docs/configuration.md).
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "incidentd/clock.h"

namespace incidentd::decode {

struct GenericMapping {
  std::string name;                                                // REQUIRES: [a-z0-9_-]+, unique
  std::string alerts;                                              // Default: "" (the body)
  std::vector<std::pair<std::string, std::string>> labels;         // label name -> pointer
  std::string labels_from;                                         // an object whose scalar members become labels
  std::vector<std::pair<std::string, std::string>> annotations;    // annotation name -> pointer
  std::string annotations_from;                                    // an object whose scalar members become annotations
  std::vector<std::pair<std::string, std::string>> static_labels;  // added to every alert (mapped labels win)
  std::string status;                                              // pointer; Default: "" (always firing)
  std::vector<std::string> resolved_values{"resolved"};            // status values that mean resolved
  std::string starts_at;                                           // RFC 3339 string or Unix seconds (number)
  std::string ends_at;                                             // likewise
  std::string generator_url;
  // Firing alerts with no ends_at resolve after this long without a refresh; zero: only an explicit resolve ends
  // them. Default: the global resolve_timeout (set by config loading).
  Duration resolve_timeout{0};
  bool resolve_timeout_set = false;
};

}  // namespace incidentd::decode
