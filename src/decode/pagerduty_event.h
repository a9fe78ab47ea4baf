// PagerDutyEvent: the fields of one PagerDuty Events API v2 event as read from JSON, before validation.
//
// Reading and validating are separate because the rules depend on event_action, which may come after the payload.
// Views point into the simdjson parser's buffers or the body: valid until the parser's next document.
//
// Thread rule: plain values; ReadPagerDutyEvent is a pure function of its arguments.
#pragma once

#include <simdjson.h>

#include <cstdint>
#include <string_view>

namespace incidentd::decode {

// A JSON member that should hold a string.
struct PdText {
  enum class State : uint8_t { kAbsent, kString, kWrongType };  // null counts as absent
  State state = State::kAbsent;
  std::string_view text;

  bool is_string() const { return state == State::kString; }
  bool wrong_type() const { return state == State::kWrongType; }
};

struct PagerDutyEvent {
  PdText routing_key, event_action, dedup_key, client, client_url;
  std::string_view links, images;  // raw JSON text; empty when absent or null
  bool payload_present = false;
  bool payload_wrong_type = false;
  PdText summary, source, severity, timestamp, component, group, class_;
  std::string_view custom_details;  // raw JSON text; empty when absent or null
};

// Reads the members of `event` (of document `doc`) into *out; unknown members are read only to be validated.
// Returns a simdjson error only when the JSON cannot be read on (or is not JSON).
simdjson::error_code ReadPagerDutyEvent(simdjson::ondemand::object& event, simdjson::ondemand::document& doc,
                                        PagerDutyEvent& out);

}  // namespace incidentd::decode
