#include "pagers/pagerduty/pagerduty.h"

#include <algorithm>
#include <vector>

#include "model/json_writer.h"
#include "pagers/digest.h"
#include "pagers/receiver_settings.h"
#include "pagers/render_support.h"

namespace incidentd::pagers {
namespace {

constexpr size_t kMaxFieldChars = 1024;  // group, class, component, source: kept as short as the summary

std::string_view Severity(uint8_t priority) {
  switch (priority) {
    case 0:
    case 1:
      return "critical";
    case 2:
      return "error";
    case 3:
      return "warning";
    default:
      return "info";
  }
}

std::string_view ActionName(Action a) {
  switch (a) {
    case Action::kTrigger:
      return "trigger";
    case Action::kAcknowledge:
      return "acknowledge";
    case Action::kResolve:
      return "resolve";
  }
  return "trigger";
}

void WriteAlert(JsonWriter& w, const AlertSnapshot& a) {
  w.BeginObject();
  w.Key("labels");
  WriteStringMap(w, a.labels);
  w.Key("annotations");
  WriteStringMap(w, a.annotations);
  w.Field("status", StatusName(a.status));
  w.Key("startsAt");
  WriteAlertTime(w, a.starts_at);
  w.Key("endsAt");
  WriteAlertTime(w, a.ends_at);
  w.Field("fingerprint", a.fingerprint.ToString());
  w.EndObject();
}

}  // namespace

Result<std::unique_ptr<Pager>> PagerDutyPager::Make(const config::ReceiverConfig& receiver,
                                                    const PagerContext& context) {
  ReceiverSettings s(receiver);
  Status keys = s.CheckKeys({"url", "routing_key", "source", "component", "rate_limit", "timeout"});
  if (!keys.ok()) return keys;
  Options o;
  o.external_url = context.external_url;
  Result<std::string> url = s.Url("url", kDefaultUrl);
  if (!url.ok()) return url.status();
  o.url = std::move(*url);
  Result<std::string> key = s.Secret("routing_key");
  if (!key.ok()) return key.status();
  o.routing_key = std::move(*key);
  Result<std::string> source = s.Text("source", "incidentd");
  if (!source.ok()) return source.status();
  if (source->empty()) return s.Error("source", "is empty");
  o.source = CutChars(*source, kMaxFieldChars);
  Result<std::string> component = s.Text("component", "");
  if (!component.ok()) return component.status();
  o.component = CutChars(*component, kMaxFieldChars);
  Result<uint32_t> rate = s.Count("rate_limit", kDefaultRateLimit, 100000);
  if (!rate.ok()) return rate.status();
  o.rate_limit = *rate;
  Result<Duration> timeout = s.Timeout(context.default_timeout);
  if (!timeout.ok()) return timeout.status();
  o.timeout = *timeout;
  return std::unique_ptr<Pager>(new PagerDutyPager(receiver.name, std::move(o)));
}

PagerDutyPager::PagerDutyPager(std::string name, Options options)
    : Pager(std::move(name), "pagerduty"),
      options_(std::move(options)),
      rate_key_("pagerduty:" + Sha256Hex(options_.routing_key).substr(0, 16)) {
  AddSecret(options_.routing_key);
}

std::optional<HttpRequest> PagerDutyPager::Render(const Notification& n) const {
  std::shared_ptr<const IncidentSnapshot> s = SnapshotOf(n);
  HttpRequest r;
  r.method = "POST";
  r.url = options_.url;
  r.headers = {{"Content-Type", "application/json"}};
  r.timeout = options_.timeout;
  Action action = ActionOf(n.event);
  if (action == Action::kTrigger) {
    r.body = RenderTrigger(n, *s);
  } else {
    JsonWriter w(r.body);
    w.BeginObject();
    w.Field("routing_key", options_.routing_key);
    w.Field("dedup_key", s->id);
    w.Field("event_action", ActionName(action));
    w.EndObject();
  }
  return r;
}

std::string PagerDutyPager::RenderTrigger(const Notification& n, const IncidentSnapshot& s) const {
  size_t shown = s.alerts.size();
  std::string body = TriggerBody(n, s, shown, true);
  if (body.size() <= kMaxEventBytes) return body;
  // Estimate how many alerts must go from each one's size, then confirm (the dropped count's digits vary).
  size_t excess = body.size() - kMaxEventBytes;
  while (shown > 0 && excess > 0) {
    --shown;
    std::string one;
    JsonWriter w(one);
    WriteAlert(w, s.alerts[shown]);
    excess = excess > one.size() + 1 ? excess - one.size() - 1 : 0;
  }
  for (;;) {
    body = TriggerBody(n, s, shown, true);
    if (body.size() <= kMaxEventBytes) return body;
    if (shown == 0) break;
    --shown;
  }
  // Even without alerts the details are too large (huge group labels): keep the event, drop the details.
  return TriggerBody(n, s, 0, false);
}

std::string PagerDutyPager::TriggerBody(const Notification& n, const IncidentSnapshot& s, size_t alerts,
                                        bool details) const {
  std::string body;
  JsonWriter w(body);
  const std::string priority = PriorityName(s.priority);
  const std::string url = IncidentUrl(options_.external_url, s.id);
  w.BeginObject();
  w.Field("routing_key", options_.routing_key);
  w.Field("event_action", "trigger");
  w.Field("dedup_key", s.id);
  w.Key("payload").BeginObject();
  w.Field("summary", CutChars("[" + priority + "] " + std::string(TitleOf(s)), kMaxSummaryChars));
  w.Field("source", options_.source);
  w.Field("severity", Severity(s.priority));
  if (s.created_at != kZeroTime) w.Key("timestamp").TimeMillis(s.created_at);
  if (!options_.component.empty()) w.Field("component", options_.component);
  if (!s.rule.empty()) w.Field("group", CutChars(s.rule, kMaxFieldChars));
  if (!s.alerts.empty()) {
    std::string_view alertname = FindLabel(s.alerts.front().labels, "alertname");
    if (!alertname.empty()) w.Field("class", CutChars(alertname, kMaxFieldChars));
  }
  w.Key("custom_details").BeginObject();
  w.Key("incident").BeginObject();
  w.Field("id", s.id);
  if (details) {
    w.Field("state", IncidentStateName(s.state));
    w.Field("priority", priority);
    w.Field("rule", s.rule);
    w.Field("policy", s.policy);
    w.Key("step").Uint(n.step);
    w.Key("alerts_firing").Uint(s.alerts_firing);
    w.Key("alerts_total").Uint(s.alerts_total);
    w.Key("group_labels");
    WriteStringMap(w, s.group_labels);
    if (!url.empty()) w.Field("url", url);
  }
  w.EndObject();
  w.Field("event", NotifyEventName(n.event));
  if (details) {
    w.Key("alerts").BeginArray();
    for (size_t i = 0; i < alerts && i < s.alerts.size(); ++i) WriteAlert(w, s.alerts[i]);
    w.EndArray();
    if (alerts < s.alerts.size()) w.Key("alerts_dropped").Uint(s.alerts.size() - alerts);
  } else {
    w.Field("truncated", "the details were removed to keep the event under 512000 bytes");
  }
  w.EndObject();  // custom_details
  w.EndObject();  // payload
  w.Key("links").BeginArray();
  if (!url.empty()) w.BeginObject().Field("href", url).Field("text", "incidentd incident").EndObject();
  if (details) {
    std::vector<std::string_view> seen;
    for (const AlertSnapshot& a : s.alerts) {
      if (seen.size() == kMaxLinks - 1) break;
      if (a.generator_url.empty() || std::find(seen.begin(), seen.end(), a.generator_url) != seen.end()) continue;
      seen.push_back(a.generator_url);
      std::string_view alertname = FindLabel(a.labels, "alertname");
      w.BeginObject().Field("href", a.generator_url);
      w.Field("text", alertname.empty() ? "alert source" : CutChars(alertname, 256));
      w.EndObject();
    }
  }
  w.EndArray();
  w.Field("client", "incidentd");
  if (!options_.external_url.empty()) w.Field("client_url", options_.external_url);
  w.EndObject();
  return body;
}

}  // namespace incidentd::pagers
