#include "pagers/slack/slack.h"

#include "model/json_writer.h"
#include "pagers/receiver_settings.h"
#include "pagers/render_support.h"

namespace incidentd::pagers {
namespace {

std::string_view Color(const Notification& n, const IncidentSnapshot& s) {
  if (n.event == NotifyEvent::kResolved) return "#2eb886";      // green
  if (n.event == NotifyEvent::kAcknowledged) return "#9e9e9e";  // grey
  switch (s.priority) {
    case 0:
    case 1:
      return "#a30200";  // red
    case 2:
      return "#e8590c";  // orange
    case 3:
      return "#daa038";  // amber
    default:
      return "#439fe0";  // blue
  }
}

// What happened, in a few words (unescaped).
std::string EventText(const Notification& n, const IncidentSnapshot& s) {
  switch (n.event) {
    case NotifyEvent::kTriggered:
      return "triggered";
    case NotifyEvent::kReopened:
      return "reopened: it fired again";
    case NotifyEvent::kEscalated:
      return "escalated to step " + std::to_string(n.step + 1) + ": nobody acknowledged in time";
    case NotifyEvent::kUpdated:
      return "updated: alerts joined or left";
    case NotifyEvent::kRepeated:
      return "reminder: still unacknowledged";
    case NotifyEvent::kAcknowledged:
      return s.acknowledged_by.empty() ? "acknowledged" : "acknowledged by " + s.acknowledged_by;
    case NotifyEvent::kResolved:
      return s.resolved_by.empty() ? "resolved" : "resolved by " + s.resolved_by;
  }
  return std::string(NotifyEventName(n.event));
}

void MrkdwnField(JsonWriter& w, std::string_view name, std::string_view value) {
  w.BeginObject().Field("type", "mrkdwn").Field("text", "*" + std::string(name) + "*\n" + EscapeSlack(value));
  w.EndObject();
}

}  // namespace

std::string EscapeSlack(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (char c : s) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      default:
        out.push_back(c);
    }
  }
  return out;
}

Result<std::unique_ptr<Pager>> SlackPager::Make(const config::ReceiverConfig& receiver, const PagerContext& context) {
  ReceiverSettings s(receiver);
  Status keys = s.CheckKeys({"url", "channel", "timeout"});
  if (!keys.ok()) return keys;
  Options o;
  o.external_url = context.external_url;
  Result<std::string> url = s.Url("url", "");
  if (!url.ok()) return url.status();
  o.url = std::move(*url);
  Result<std::string> channel = s.Text("channel", "");
  if (!channel.ok()) return channel.status();
  if (s.Get("channel") && channel->empty()) return s.Error("channel", "is empty");
  o.channel = std::move(*channel);
  Result<Duration> timeout = s.Timeout(context.default_timeout);
  if (!timeout.ok()) return timeout.status();
  o.timeout = *timeout;
  return std::unique_ptr<Pager>(new SlackPager(receiver.name, std::move(o)));
}

SlackPager::SlackPager(std::string name, Options options)
    : Pager(std::move(name), "slack"), options_(std::move(options)) {
  // The secret part of an incoming webhook's URL is its path (https://hooks.slack.com/services/T…/B…/…).
  AddSecret(options_.url);
  size_t host = options_.url.find("://");
  size_t path = host == std::string::npos ? std::string::npos : options_.url.find('/', host + 3);
  if (path != std::string::npos && options_.url.size() - path > 1) AddSecret(options_.url.substr(path + 1));
}

std::optional<HttpRequest> SlackPager::Render(const Notification& n) const {
  std::shared_ptr<const IncidentSnapshot> snapshot = SnapshotOf(n);
  const IncidentSnapshot& s = *snapshot;
  const std::string priority = PriorityName(s.priority);
  const std::string title = EscapeSlack(CutChars(TitleOf(s), kMaxTitleChars));
  const std::string event = CutChars(EventText(n, s), 500);
  const std::string alerts =
      std::to_string(s.alerts_firing) + " of " + std::to_string(s.alerts_total) + " alerts firing";
  const std::string url = IncidentUrl(options_.external_url, s.id);
  const std::string fallback = "[" + priority + "] " + title + " — " + EscapeSlack(event) + " (" + alerts + ")";

  std::string context = "Incident " + (url.empty() ? EscapeSlack(s.id) : "<" + EscapeSlack(url) + "|" + s.id + ">");
  if (!s.rule.empty()) context += " · rule " + EscapeSlack(CutChars(s.rule, 200));
  if (!s.policy.empty()) context += " · policy " + EscapeSlack(CutChars(s.policy, 200));
  if (n.inform) context += " · for your information";

  HttpRequest r;
  r.method = "POST";
  r.url = options_.url;
  r.headers = {{"Content-Type", "application/json"}};
  r.timeout = options_.timeout;
  JsonWriter w(r.body);
  w.BeginObject();
  if (!options_.channel.empty()) w.Field("channel", options_.channel);
  w.Field("text", fallback);
  w.Key("attachments").BeginArray().BeginObject();
  w.Field("color", Color(n, s));
  w.Field("fallback", fallback);
  w.Key("blocks").BeginArray();
  w.BeginObject().Field("type", "section").Key("text").BeginObject();
  w.Field("type", "mrkdwn").Field("text", "*[" + priority + "] " + title + "*\n" + EscapeSlack(event));
  w.EndObject().EndObject();
  w.BeginObject().Field("type", "section").Key("fields").BeginArray();
  MrkdwnField(w, "Priority", priority);
  MrkdwnField(w, "State", IncidentStateName(s.state));
  MrkdwnField(w, "Event", NotifyEventName(n.event));
  MrkdwnField(w, "Alerts", alerts);
  w.EndArray().EndObject();
  w.BeginObject().Field("type", "context").Key("elements").BeginArray();
  w.BeginObject().Field("type", "mrkdwn").Field("text", context).EndObject();
  w.EndArray().EndObject();
  w.EndArray();  // blocks
  w.EndObject().EndArray();
  w.EndObject();
  return r;
}

}  // namespace incidentd::pagers
