#include "pagers/opsgenie/opsgenie.h"

#include <algorithm>

#include "model/json_writer.h"
#include "pagers/receiver_settings.h"
#include "pagers/render_support.h"

namespace incidentd::pagers {
namespace {

constexpr size_t kMaxAlertLineChars = 1000;

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// The note a create request adds to the alert: why it is sent again. Empty for the first page.
std::string Note(const Notification& n, const IncidentSnapshot& s) {
  std::string firing = std::to_string(s.alerts_firing) + " of " + std::to_string(s.alerts_total) + " alerts firing";
  switch (n.event) {
    case NotifyEvent::kTriggered:
      return "";
    case NotifyEvent::kReopened:
      return "reopened: it fired again; " + firing;
    case NotifyEvent::kEscalated:
      return "escalated to step " + std::to_string(n.step + 1) + ": nobody acknowledged in time; " + firing;
    case NotifyEvent::kUpdated:
      return "updated: " + firing;
    case NotifyEvent::kRepeated:
      return "reminder: still unacknowledged; " + firing;
    case NotifyEvent::kAcknowledged:
      return "acknowledged by " + (s.acknowledged_by.empty() ? std::string("incidentd") : s.acknowledged_by);
    case NotifyEvent::kResolved:
      return s.resolved_by.empty() ? "resolved in incidentd" : "resolved by " + s.resolved_by;
  }
  return "";
}

// "- [firing] HighLatency {instance="a"}: <summary>".
std::string AlertLine(const AlertSnapshot& a) {
  std::string_view alertname = FindLabel(a.labels, "alertname");
  StringPairs others;
  for (const auto& label : a.labels) {
    if (label.first != "alertname") others.push_back(label);
  }
  std::string line = "- [" + std::string(StatusName(a.status)) + "] ";
  if (!alertname.empty()) line += std::string(alertname) + " ";
  line += FormatLabels(others);
  std::string_view text = FindLabel(a.annotations, "summary");
  if (text.empty()) text = FindLabel(a.annotations, "description");
  if (!text.empty()) line += ": " + std::string(text);
  std::replace(line.begin(), line.end(), '\n', ' ');
  return CutChars(line, kMaxAlertLineChars);
}

}  // namespace

Result<std::unique_ptr<Pager>> OpsgeniePager::Make(const config::ReceiverConfig& receiver,
                                                   const PagerContext& context) {
  ReceiverSettings s(receiver);
  Status keys = s.CheckKeys({"url", "api_key", "source", "entity", "tags", "timeout"});
  if (!keys.ok()) return keys;
  Options o;
  o.external_url = context.external_url;
  Result<std::string> url = s.Url("url", kDefaultUrl);
  if (!url.ok()) return url.status();
  if (url->find_first_of("?#") != std::string::npos) {
    return s.Error("url", "must be the API's base URL (like https://api.eu.opsgenie.com), without ? or #");
  }
  while (url->ends_with('/')) url->pop_back();
  o.url = std::move(*url);
  Result<std::string> key = s.Secret("api_key");
  if (!key.ok()) return key.status();
  o.api_key = std::move(*key);
  Result<std::string> source = s.Text("source", "incidentd");
  if (!source.ok()) return source.status();
  if (source->empty()) return s.Error("source", "is empty");
  o.source = CutChars(*source, kMaxSourceChars);
  Result<std::string> entity = s.Text("entity", "");
  if (!entity.ok()) return entity.status();
  o.entity = CutChars(*entity, kMaxEntityChars);
  Result<std::string> tags = s.Text("tags", "");
  if (!tags.ok()) return tags.status();
  std::string_view rest = *tags;
  while (!rest.empty()) {
    size_t comma = rest.find(',');
    std::string_view tag = Trim(rest.substr(0, comma));
    rest = comma == std::string_view::npos ? std::string_view() : rest.substr(comma + 1);
    if (tag.empty()) continue;
    if (o.tags.size() == kMaxTags) return s.Error("tags", "at most 20 tags");
    o.tags.push_back(CutChars(tag, kMaxTagChars, ""));
  }
  Result<Duration> timeout = s.Timeout(context.default_timeout);
  if (!timeout.ok()) return timeout.status();
  o.timeout = *timeout;
  return std::unique_ptr<Pager>(new OpsgeniePager(receiver.name, std::move(o)));
}

OpsgeniePager::OpsgeniePager(std::string name, Options options)
    : Pager(std::move(name), "opsgenie"), options_(std::move(options)) {
  AddSecret(options_.api_key);
}

// Opsgenie deduplicates open alerts by alias across the account: the receiver's name in it makes each receiver of an
// escalation open its own alert (a later step pages its team) and lets one receiver's ack or close leave the others'.
std::string OpsgeniePager::AliasOf(const IncidentSnapshot& s) const { return s.id + "-" + name(); }

std::optional<HttpRequest> OpsgeniePager::Render(const Notification& n) const {
  std::shared_ptr<const IncidentSnapshot> s = SnapshotOf(n);
  HttpRequest r;
  r.method = "POST";
  r.headers = {{"Content-Type", "application/json"}, {"Authorization", "GenieKey " + options_.api_key}};
  r.timeout = options_.timeout;
  Action action = ActionOf(n.event);
  if (action == Action::kTrigger) {
    r.url = options_.url + "/v2/alerts";
    r.body = CreateBody(n, *s);
    return r;
  }
  r.url = options_.url + "/v2/alerts/" + PercentEncode(AliasOf(*s)) +
          (action == Action::kAcknowledge ? "/acknowledge" : "/close") + "?identifierType=alias";
  JsonWriter w(r.body);
  w.BeginObject();
  w.Field("user", "incidentd");
  w.Field("source", options_.source);
  w.Field("note", Note(n, *s));
  w.EndObject();
  return r;
}

std::string OpsgeniePager::CreateBody(const Notification& n, const IncidentSnapshot& s) const {
  const std::string url = IncidentUrl(options_.external_url, s.id);
  const std::string priority = PriorityName(s.priority);
  std::string body;
  JsonWriter w(body);
  w.BeginObject();
  w.Field("message", CutChars(TitleOf(s), kMaxMessageChars));
  w.Field("alias", AliasOf(s));
  w.Field("description", Description(s, url));
  w.Field("priority", priority);
  w.Key("tags").BeginArray();
  for (const std::string& tag : Tags(s)) w.String(tag);
  w.EndArray();
  w.Key("details").BeginObject();
  w.Field("incident", s.id);
  w.Field("state", IncidentStateName(s.state));
  w.Field("priority", priority);
  w.Field("event", NotifyEventName(n.event));
  if (n.inform) w.Field("inform", "true");
  if (!s.rule.empty()) w.Field("rule", CutChars(s.rule, 500));
  if (!s.policy.empty()) w.Field("policy", CutChars(s.policy, 500));
  w.Field("step", std::to_string(n.step));
  w.Field("alerts_firing", std::to_string(s.alerts_firing));
  w.Field("alerts_total", std::to_string(s.alerts_total));
  if (!url.empty()) w.Field("link", url);
  w.EndObject();
  std::string entity = options_.entity;
  if (entity.empty()) entity = s.group_labels.empty() ? s.rule : FormatLabels(s.group_labels);
  if (!entity.empty()) w.Field("entity", CutChars(entity, kMaxEntityChars));
  w.Field("source", options_.source);
  w.Field("user", "incidentd");
  std::string note = Note(n, s);
  if (!note.empty()) w.Field("note", note);
  w.EndObject();
  return body;
}

std::string OpsgeniePager::Description(const IncidentSnapshot& s, const std::string& url) const {
  std::string d = CutChars(TitleOf(s), 1000) + "\n\nIncident " + s.id + ": " + std::string(IncidentStateName(s.state)) +
                  ", " + PriorityName(s.priority) + ", " + std::to_string(s.alerts_firing) + " of " +
                  std::to_string(s.alerts_total) + " alerts firing.\n";
  if (!s.rule.empty()) d += "Rule: " + CutChars(s.rule, 500) + "\n";
  if (!s.policy.empty()) d += "Policy: " + CutChars(s.policy, 500) + "\n";
  if (!url.empty()) d += url + "\n";
  if (s.alerts.empty()) return d;
  d += "\nAlerts:\n";
  // Lines are counted in bytes, which are never fewer than characters: the description stays within its limit.
  constexpr size_t kReserve = 64;  // for the "… more" line
  size_t shown = 0;
  for (const AlertSnapshot& a : s.alerts) {
    std::string line = AlertLine(a) + "\n";
    if (d.size() + line.size() + kReserve > kMaxDescriptionChars) break;
    d += line;
    ++shown;
  }
  size_t more = std::max<size_t>(s.alerts_total, s.alerts.size()) - shown;
  if (more > 0) d += "(" + std::to_string(more) + " more alerts not shown)\n";
  return d;
}

std::vector<std::string> OpsgeniePager::Tags(const IncidentSnapshot& s) const {
  std::vector<std::string> tags = options_.tags;
  auto add = [&tags](std::string tag) {
    if (tags.size() < kMaxTags && !tag.empty() && std::find(tags.begin(), tags.end(), tag) == tags.end()) {
      tags.push_back(std::move(tag));
    }
  };
  add(CutChars(s.rule, kMaxTagChars, ""));
  for (const auto& [name, value] : s.group_labels) add(CutChars(name + ":" + value, kMaxTagChars, ""));
  return tags;
}

}  // namespace incidentd::pagers
