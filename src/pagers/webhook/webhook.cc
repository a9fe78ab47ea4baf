#include "pagers/webhook/webhook.h"

#include <algorithm>

#include "model/json_writer.h"
#include "pagers/digest.h"
#include "pagers/receiver_settings.h"
#include "pagers/render_support.h"

namespace incidentd::pagers {
namespace {

// The (name, value) pairs every list in `lists` has; each list sorted by name.
StringPairs Common(const std::vector<const StringPairs*>& lists) {
  if (lists.empty()) return {};
  StringPairs common = *lists.front();
  for (size_t i = 1; i < lists.size() && !common.empty(); ++i) {
    const StringPairs& other = *lists[i];
    std::erase_if(common, [&other](const auto& pair) {
      auto it = std::lower_bound(other.begin(), other.end(), pair.first,
                                 [](const auto& p, const std::string& name) { return p.first < name; });
      return it == other.end() || it->first != pair.first || it->second != pair.second;
    });
  }
  return common;
}

void WriteAlert(JsonWriter& w, const AlertSnapshot& a) {
  w.BeginObject();
  w.Field("status", StatusName(a.status));
  w.Key("labels");
  WriteStringMap(w, a.labels);
  w.Key("annotations");
  WriteStringMap(w, a.annotations);
  w.Key("startsAt");
  WriteAlertTime(w, a.starts_at);
  w.Key("endsAt");
  WriteAlertTime(w, a.ends_at);
  w.Field("generatorURL", a.generator_url);
  w.Field("fingerprint", a.fingerprint.ToString());
  w.EndObject();
}

}  // namespace

Result<std::unique_ptr<Pager>> WebhookPager::Make(const config::ReceiverConfig& receiver, const PagerContext& context) {
  ReceiverSettings s(receiver);
  Status keys = s.CheckKeys({"url", "hmac_secret", "timeout"});
  if (!keys.ok()) return keys;
  Options o;
  o.external_url = context.external_url;
  Result<std::string> url = s.Url("url", "");
  if (!url.ok()) return url.status();
  o.url = std::move(*url);
  if (s.Get("hmac_secret")) {
    Result<std::string> secret = s.Secret("hmac_secret", true);
    if (!secret.ok()) return secret.status();
    o.hmac_secret = std::move(*secret);
  }
  Result<Duration> timeout = s.Timeout(context.default_timeout);
  if (!timeout.ok()) return timeout.status();
  o.timeout = *timeout;
  return std::unique_ptr<Pager>(new WebhookPager(receiver.name, std::move(o)));
}

WebhookPager::WebhookPager(std::string name, Options options)
    : Pager(std::move(name), "webhook"), options_(std::move(options)) {
  AddSecret(options_.hmac_secret);
  // A token may ride in the query string.
  if (size_t q = options_.url.find('?'); q != std::string::npos) AddSecret(options_.url.substr(q + 1));
}

std::optional<HttpRequest> WebhookPager::Render(const Notification& n) const {
  HttpRequest r;
  r.method = "POST";
  r.url = options_.url;
  r.timeout = options_.timeout;
  r.body = Body(n);
  r.headers = {{"Content-Type", "application/json"},
               {"X-Incidentd-Event", std::string(NotifyEventName(n.event))},
               {"X-Incidentd-Delivery", n.Key()}};
  if (!options_.hmac_secret.empty()) {
    r.headers.emplace_back("X-Incidentd-Signature", "sha256=" + HmacSha256Hex(options_.hmac_secret, r.body));
  }
  return r;
}

std::string WebhookPager::Body(const Notification& n) const {
  std::shared_ptr<const IncidentSnapshot> snapshot = SnapshotOf(n);
  const IncidentSnapshot& s = *snapshot;
  std::vector<const StringPairs*> labels, annotations;
  for (const AlertSnapshot& a : s.alerts) {
    labels.push_back(&a.labels);
    annotations.push_back(&a.annotations);
  }
  // Alertmanager's rule: the group fires while any of its alerts fires (an incident resolved by hand may still have
  // firing alerts; the incident's own state is in "incident").
  const bool firing = s.alerts_firing > 0;
  const std::string url = IncidentUrl(options_.external_url, s.id);

  std::string body;
  JsonWriter w(body);
  w.BeginObject();
  w.Field("version", "4");
  w.Field("groupKey", s.rule + ":" + FormatLabels(s.group_labels));
  w.Key("truncatedAlerts").Uint(s.alerts_total > s.alerts.size() ? s.alerts_total - s.alerts.size() : 0);
  w.Field("status", firing ? "firing" : "resolved");
  w.Field("receiver", name());
  w.Field("notification_reason", NotifyEventName(n.event));
  w.Key("groupLabels");
  WriteStringMap(w, s.group_labels);
  // The group labels are common to every alert of the group, so they stand in when no alert is shown.
  w.Key("commonLabels");
  WriteStringMap(w, labels.empty() ? s.group_labels : Common(labels));
  w.Key("commonAnnotations");
  WriteStringMap(w, Common(annotations));
  w.Field("externalURL", options_.external_url);
  w.Key("alerts").BeginArray();
  for (const AlertSnapshot& a : s.alerts) WriteAlert(w, a);
  w.EndArray();

  w.Field("event", NotifyEventName(n.event));
  w.Key("inform").Bool(n.inform);
  w.Key("step").Uint(n.step);
  w.Key("incident").BeginObject();
  w.Field("id", s.id);
  w.Field("state", IncidentStateName(s.state));
  w.Field("priority", PriorityName(s.priority));
  w.Field("title", s.title);
  w.Field("rule", s.rule);
  w.Field("policy", s.policy);
  if (!url.empty()) w.Field("url", url);
  w.Key("createdAt").TimeMillis(s.created_at);
  if (s.acknowledged_at != kZeroTime) {
    w.Key("acknowledgedAt").TimeMillis(s.acknowledged_at);
    w.Field("acknowledgedBy", s.acknowledged_by);
  }
  if (s.resolved_at != kZeroTime) {
    w.Key("resolvedAt").TimeMillis(s.resolved_at);
    w.Field("resolvedBy", s.resolved_by);
  }
  w.Key("alertsFiring").Uint(s.alerts_firing);
  w.Key("alertsTotal").Uint(s.alerts_total);
  w.EndObject();
  w.EndObject();
  return body;
}

}  // namespace incidentd::pagers
