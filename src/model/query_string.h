// Reading URL query strings ("active=false&filter=...").
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "incidentd/status.h"

namespace incidentd {

// Finds the first `name=value` pair; value is raw (not percent-decoded), empty for a bare `name`. False if absent.
bool QueryParam(std::string_view query, std::string_view name, std::string_view* value);
// Every value of a repeated parameter (`filter=a&filter=b`), raw, in order.
std::vector<std::string_view> QueryParams(std::string_view query, std::string_view name);
// Percent-decodes a query value ('+' is a space). False when an escape is malformed.
bool PercentDecode(std::string_view in, std::string* out);
// A positive integer parameter: *out unchanged when absent; Invalid naming the parameter when not a positive integer.
Status QuerySize(std::string_view query, const char* name, size_t* out);

}  // namespace incidentd
