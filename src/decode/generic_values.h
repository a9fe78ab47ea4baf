// Reading values the generic mapping points at, from a simdjson DOM.
//
// Thread rule: pure functions.
#pragma once

#include <simdjson.h>

#include <cstdint>
#include <string>
#include <string_view>

#include "incidentd/clock.h"

namespace incidentd::decode {

enum class Found : uint8_t {
  kAbsent,     // nothing there, or null
  kValue,      // a usable value
  kWrongType,  // an object or array where a scalar belongs, or a scalar of the wrong kind
};

// Buffer for the text of a number or boolean.
struct ScalarBuffer {
  char data[40];
};

// What `pointer` finds under `base`. An empty pointer is base itself. Anything that is not found, including a
// pointer stepping into a scalar, is absent.
Found At(simdjson::dom::element base, const std::string& pointer, simdjson::dom::element& out);

// The text of a scalar: strings as they are, numbers and booleans as JSON text (written into buf).
Found ScalarText(simdjson::dom::element e, ScalarBuffer& buf, std::string_view& out);

// A time: an RFC 3339 string (Go's zero time counts as absent) or Unix seconds, integer or fractional.
// kWrongType also covers unparsable strings and out-of-range numbers.
Found TimeValue(simdjson::dom::element e, Time& out);

}  // namespace incidentd::decode
