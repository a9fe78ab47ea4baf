#include "decode/pagerduty_decoder.h"

#include <optional>
#include <string_view>

#include "decode/batch_builder.h"
#include "decode/ondemand_driver.h"
#include "decode/pagerduty_event.h"
#include "decode/validate.h"
#include "model/rfc3339.h"

namespace incidentd::decode {
namespace {

using simdjson::SUCCESS;

constexpr size_t kMaxDedupKeyChars = 255;
constexpr size_t kMaxSummaryChars = 1024;

enum class Action : uint8_t { kInvalid, kTrigger, kAcknowledge, kResolve };

std::string Quoted(std::string_view field, std::string_view what) {
  std::string s = "'";
  s.append(field).append("' ").append(what);
  return s;
}

// The checks all fields share; errors go to alert 0 (the builder's current alert).
class EventValidator {
 public:
  explicit EventValidator(BatchBuilder& builder) : builder_(builder) {}

  // A string that must be present and not blank.
  bool Required(const PdText& t, std::string_view field) {
    if (t.wrong_type()) return Fail(field, "must be a string");
    if (!t.is_string() || IsBlank(t.text)) return Fail(field, "is missing or blank");
    return builder_.CheckUtf8(t.text, field);
  }
  // A string that may be absent.
  bool Optional(const PdText& t, std::string_view field) {
    if (t.wrong_type()) return Fail(field, "must be a string");
    return !t.is_string() || builder_.CheckUtf8(t.text, field);
  }
  bool Fail(std::string_view field, std::string_view what) {
    builder_.Error(std::string(field), Quoted(field, what));
    return false;
  }

 private:
  BatchBuilder& builder_;
};

Action ParseAction(std::string_view s) {
  if (s == "trigger") return Action::kTrigger;
  if (s == "acknowledge") return Action::kAcknowledge;
  if (s == "resolve") return Action::kResolve;
  return Action::kInvalid;
}

// ISO 8601 as PagerDuty takes it: RFC 3339, or with a "+0000" offset (no colon) as in PagerDuty's own examples.
std::optional<Time> ParseTimestamp(std::string_view s) {
  if (std::optional<Time> t = ParseRfc3339(s)) return t;
  constexpr size_t kMaxTimestamp = 64;
  if (s.size() < 5 || s.size() > kMaxTimestamp) return std::nullopt;
  std::string_view offset = s.substr(s.size() - 5);
  if (offset[0] != '+' && offset[0] != '-') return std::nullopt;
  std::string fixed(s.substr(0, s.size() - 2));
  fixed.push_back(':');
  fixed.append(s.substr(s.size() - 2));
  return ParseRfc3339(fixed);
}

// FNV-1a-64 over the routing key's bytes, as 16 hex digits: names the integration without revealing the key.
void IntegrationId(std::string_view routing_key, char (&hex)[16]) {
  uint64_t h = Fingerprint::kOffset;
  for (unsigned char c : routing_key) h = (h ^ c) * Fingerprint::kPrime;
  Fingerprint(h).Format(hex);
}

// Validates the fields of a trigger's payload; true when all are usable.
bool ValidatePayload(const PagerDutyEvent& ev, EventValidator& v, std::optional<Time>& timestamp) {
  if (ev.payload_wrong_type) return v.Fail("payload", "must be an object");
  if (!ev.payload_present) return v.Fail("payload", "is missing or blank");
  bool ok = v.Required(ev.summary, "payload.summary");
  ok &= v.Required(ev.source, "payload.source");
  if (ev.severity.wrong_type()) {
    ok = v.Fail("payload.severity", "is invalid");
  } else if (v.Required(ev.severity, "payload.severity")) {
    std::string_view s = ev.severity.text;
    if (s != "critical" && s != "error" && s != "warning" && s != "info") ok = v.Fail("payload.severity", "is invalid");
  } else {
    ok = false;
  }
  if (ev.timestamp.wrong_type()) {
    ok = v.Fail("payload.timestamp", "is invalid");
  } else if (ev.timestamp.is_string()) {
    timestamp = ParseTimestamp(ev.timestamp.text);
    if (!timestamp) ok = v.Fail("payload.timestamp", "is invalid");
  }
  ok &= v.Optional(ev.component, "payload.component");
  ok &= v.Optional(ev.group, "payload.group");
  ok &= v.Optional(ev.class_, "payload.class");
  return ok;
}

// The dedup key of a trigger that brought none: the same trigger sent again gets the same key.
std::string GeneratedDedupKey(const PagerDutyEvent& ev, std::string_view summary, std::string_view integration) {
  FingerprintBuilder b;  // names in byte order, as for a label set
  if (ev.class_.is_string() && !ev.class_.text.empty()) b.Add("class", ev.class_.text);
  if (ev.component.is_string() && !ev.component.text.empty()) b.Add("component", ev.component.text);
  if (ev.group.is_string() && !ev.group.text.empty()) b.Add("group", ev.group.text);
  b.Add("integration", integration);
  b.Add("source", ev.source.text);
  b.Add("summary", summary);
  return b.Finish().ToString();
}

void AddTriggerFields(const PagerDutyEvent& ev, std::string_view summary, BatchBuilder& builder, AlertInput& alert) {
  builder.Label("alertname", TruncateUtf8Bytes(summary, builder.limits().max_label_value_bytes), "payload.summary");
  builder.Annotation("summary", summary, "payload.summary");
  builder.Label("severity", ev.severity.text, "payload.severity");
  builder.Label("source", ev.source.text, "payload.source");
  if (ev.component.is_string()) builder.Label("component", ev.component.text, "payload.component");
  if (ev.group.is_string()) builder.Label("group", ev.group.text, "payload.group");
  if (ev.class_.is_string()) builder.Label("class", ev.class_.text, "payload.class");
  if (!ev.custom_details.empty()) builder.Annotation("custom_details", ev.custom_details, "payload.custom_details");
  if (!ev.links.empty()) builder.Annotation("links", ev.links, "links");
  if (!ev.images.empty()) builder.Annotation("images", ev.images, "images");
  if (ev.client.is_string()) builder.Annotation("client", ev.client.text, "client");
  if (ev.client_url.is_string() && !ev.client_url.text.empty()) {
    builder.Annotation("client_url", ev.client_url.text, "client_url");
    builder.GeneratorUrl(alert, ev.client_url.text, "client_url");
  }
}

simdjson::error_code ParseEvent(const void*, simdjson::ondemand::document& doc, BatchBuilder& builder) {
  simdjson::ondemand::object obj;
  if (auto e = doc.get_object().get(obj); e != SUCCESS) {
    if (e != simdjson::INCORRECT_TYPE) return e;
    builder.BodyError("", "body must be a JSON object (one PagerDuty event)");
    builder.Stop();
    return SUCCESS;
  }
  PagerDutyEvent ev;
  if (auto e = ReadPagerDutyEvent(obj, doc, ev); e != SUCCESS) return e;

  AlertInput& alert = builder.Begin(0);
  EventValidator v(builder);
  // The routing key's text is never quoted: it is a secret.
  bool ok = true;
  if (!ev.routing_key.is_string() || IsBlank(ev.routing_key.text)) {
    ok = v.Fail("routing_key", "is missing or blank");
  } else {
    ok = builder.CheckUtf8(ev.routing_key.text, "routing_key");
  }
  Action action = Action::kInvalid;
  if (ev.event_action.wrong_type()) {
    ok = v.Fail("event_action", "is invalid");
  } else if (!ev.event_action.is_string() || IsBlank(ev.event_action.text)) {
    ok = v.Fail("event_action", "is missing or blank");
  } else if ((action = ParseAction(ev.event_action.text)) == Action::kInvalid) {
    ok = v.Fail("event_action", "is invalid");
  }
  bool has_dedup_key = ev.dedup_key.is_string() && !IsBlank(ev.dedup_key.text);
  if (!v.Optional(ev.dedup_key, "dedup_key")) {
    ok = false;
  } else if (has_dedup_key && Utf8Length(ev.dedup_key.text) > kMaxDedupKeyChars) {
    ok = v.Fail("dedup_key", "is too long (max 255 characters)");
  } else if (!has_dedup_key && (action == Action::kAcknowledge || action == Action::kResolve)) {
    ok = v.Fail("dedup_key", "is missing or blank");
  }
  std::optional<Time> timestamp;
  if (action == Action::kTrigger) {
    ok &= ValidatePayload(ev, v, timestamp);
    ok &= v.Optional(ev.client, "client");
    ok &= v.Optional(ev.client_url, "client_url");
  }
  if (!ok) {
    builder.Drop();
    return SUCCESS;
  }

  char integration[16];
  IntegrationId(ev.routing_key.text, integration);
  const std::string_view integration_id(integration, sizeof integration);
  const std::string_view summary = TruncateUtf8Chars(ev.summary.text, kMaxSummaryChars);
  std::string& dedup_key = builder.outcome().dedup_key;
  if (has_dedup_key) {
    dedup_key.assign(ev.dedup_key.text);
  } else {
    dedup_key = GeneratedDedupKey(ev, summary, integration_id);
  }

  if (action == Action::kTrigger) {
    AddTriggerFields(ev, summary, builder, alert);
    alert.action = AlertAction::kFire;
    alert.ends_kind = EndsAtKind::kNever;
    alert.starts_at = timestamp.value_or(kZeroTime);
  } else {
    alert.action = action == Action::kAcknowledge ? AlertAction::kAcknowledge : AlertAction::kResolve;
    alert.ends_kind = EndsAtKind::kGiven;
    alert.ends_at = kZeroTime;
  }
  builder.Label("dedup_key", dedup_key, "dedup_key");
  builder.Label("integration", integration_id, "integration");
  // The identity starts with a pair no label set can hold (an empty name), so no alert of another format, whatever
  // its labels, shares a PagerDuty alert's fingerprint.
  FingerprintBuilder identity;
  identity.Add("", "pagerduty");
  identity.Add("dedup_key", dedup_key);
  identity.Add("integration", integration_id);
  builder.SetFingerprint(identity.Finish());
  builder.Finish();
  return SUCCESS;
}

}  // namespace

DecodeOutcome PagerDutyDecoder::Decode(simdjson::padded_string_view body) const {
  return DecodeOndemand(body, AlertFormat::kPagerDuty, limits_, this, ParseEvent);
}

}  // namespace incidentd::decode
