#include "api/notifications_api.h"

#include "model/json_writer.h"
#include "model/query_string.h"

namespace incidentd::api {
namespace {

void WriteTime(JsonWriter& w, std::string_view key, Time t) {
  w.Key(key);
  if (t == kZeroTime) {
    w.Null();
  } else {
    w.TimeMillis(t);
  }
}

}  // namespace

Result<NotificationsQuery> ParseNotificationsQuery(std::string_view query) {
  NotificationsQuery q;
  std::string_view raw;
  if (QueryParam(query, "state", &raw)) {
    q.state = notify::ParseDeliveryState(raw);
    if (!q.state) {
      return Status::Invalid("query parameter state: must be one of pending, sending, delivered, failed, skipped");
    }
  }
  if (QueryParam(query, "receiver", &raw) && !PercentDecode(raw, &q.receiver)) {
    return Status::Invalid("query parameter receiver: malformed percent-encoding");
  }
  if (QueryParam(query, "incident", &raw) && !PercentDecode(raw, &q.incident)) {
    return Status::Invalid("query parameter incident: malformed percent-encoding");
  }
  if (Status s = QuerySize(query, "limit", &q.limit); !s.ok()) return s;
  return q;
}

bool Selected(const NotificationsQuery& query, const notify::DeliveryRecord& r) {
  if (query.state && r.state != *query.state) return false;
  if (!query.receiver.empty() && r.receiver != query.receiver) return false;
  return query.incident.empty() || r.incident_id == query.incident;
}

std::string RenderNotifications(const std::vector<notify::DeliveryRecord>& records, size_t depth, size_t dead_letters) {
  std::string out;
  JsonWriter w(out);
  w.BeginObject();
  w.Key("depth").Uint(depth);
  w.Key("dead_letters").Uint(dead_letters);
  w.Key("notifications").BeginArray();
  for (const notify::DeliveryRecord& r : records) {
    w.BeginObject();
    w.Field("key", r.key).Field("incident", r.incident_id).Field("receiver", r.receiver);
    w.Field("event", NotifyEventName(r.event));
    w.Key("inform").Bool(r.inform);
    w.Key("seq").Uint(r.seq);
    w.Key("step").Uint(r.step);
    w.Field("state", notify::DeliveryStateName(r.state));
    w.Key("attempts").Uint(r.attempts);
    WriteTime(w, "decided_at", r.decided_at);
    WriteTime(w, "last_attempt_at", r.last_attempt_at);
    WriteTime(w, "next_attempt_at", r.next_attempt_at);
    WriteTime(w, "finished_at", r.finished_at);
    w.Key("last_status");
    if (r.last_status == 0) {
      w.Null();
    } else {
      w.Int(r.last_status);
    }
    w.Key("last_error");
    if (r.last_error.empty()) {
      w.Null();
    } else {
      w.String(r.last_error);
    }
    w.EndObject();
  }
  w.EndArray();
  w.EndObject();
  return out;
}

}  // namespace incidentd::api
