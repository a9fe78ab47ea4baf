#include "decode/pagerduty_event.h"

#include "decode/json_skip.h"

namespace incidentd::decode {
namespace {

using simdjson::SUCCESS;
using simdjson::ondemand::field;
using simdjson::ondemand::json_type;
using simdjson::ondemand::value;

simdjson::error_code ReadText(value v, PdText& out) {
  auto e = v.get_string().get(out.text);
  if (e == SUCCESS) {
    out.state = PdText::State::kString;
    return SUCCESS;
  }
  if (e != simdjson::INCORRECT_TYPE) return e;
  if (IsNull(v)) return SUCCESS;
  out.state = PdText::State::kWrongType;
  return SkipValue(v);  // whether or not the event's action needs it, it must be JSON
}

// Any JSON value as its text in the body; null: empty.
simdjson::error_code ReadRaw(value v, simdjson::ondemand::document& doc, std::string_view& out) {
  if (IsNull(v)) {
    out = {};
    return SUCCESS;
  }
  return SkipValueRaw(v, doc, &out);
}

simdjson::error_code ReadPayload(value v, simdjson::ondemand::document& doc, PagerDutyEvent& out) {
  simdjson::ondemand::object payload;
  if (auto e = v.get_object().get(payload); e != SUCCESS) {
    if (e != simdjson::INCORRECT_TYPE) return e;
    if (IsNull(v)) return SUCCESS;
    out.payload_wrong_type = true;
    return SkipValue(v);
  }
  out.payload_present = true;
  for (auto member : payload) {
    field f;
    if (auto e = std::move(member).get(f); e != SUCCESS) return e;
    simdjson::ondemand::raw_json_string key = f.key();
    simdjson::error_code e = SUCCESS;
    if (key.unsafe_is_equal("summary")) {
      e = ReadText(f.value(), out.summary);
    } else if (key.unsafe_is_equal("source")) {
      e = ReadText(f.value(), out.source);
    } else if (key.unsafe_is_equal("severity")) {
      e = ReadText(f.value(), out.severity);
    } else if (key.unsafe_is_equal("timestamp")) {
      e = ReadText(f.value(), out.timestamp);
    } else if (key.unsafe_is_equal("component")) {
      e = ReadText(f.value(), out.component);
    } else if (key.unsafe_is_equal("group")) {
      e = ReadText(f.value(), out.group);
    } else if (key.unsafe_is_equal("class")) {
      e = ReadText(f.value(), out.class_);
    } else if (key.unsafe_is_equal("custom_details")) {
      e = ReadRaw(f.value(), doc, out.custom_details);
    } else {
      e = SkipValue(f.value());
    }
    if (e != SUCCESS) return e;
  }
  return SUCCESS;
}

}  // namespace

simdjson::error_code ReadPagerDutyEvent(simdjson::ondemand::object& event, simdjson::ondemand::document& doc,
                                        PagerDutyEvent& out) {
  for (auto member : event) {
    field f;
    if (auto e = std::move(member).get(f); e != SUCCESS) return e;
    simdjson::ondemand::raw_json_string key = f.key();
    simdjson::error_code e = SUCCESS;
    if (key.unsafe_is_equal("routing_key")) {
      e = ReadText(f.value(), out.routing_key);
    } else if (key.unsafe_is_equal("event_action")) {
      e = ReadText(f.value(), out.event_action);
    } else if (key.unsafe_is_equal("dedup_key")) {
      e = ReadText(f.value(), out.dedup_key);
    } else if (key.unsafe_is_equal("payload")) {
      e = ReadPayload(f.value(), doc, out);
    } else if (key.unsafe_is_equal("links")) {
      e = ReadRaw(f.value(), doc, out.links);
    } else if (key.unsafe_is_equal("images")) {
      e = ReadRaw(f.value(), doc, out.images);
    } else if (key.unsafe_is_equal("client")) {
      e = ReadText(f.value(), out.client);
    } else if (key.unsafe_is_equal("client_url")) {
      e = ReadText(f.value(), out.client_url);
    } else {
      e = SkipValue(f.value());
    }
    if (e != SUCCESS) return e;
  }
  return SUCCESS;
}

}  // namespace incidentd::decode
