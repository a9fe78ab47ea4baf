#include "api/incidents_api.h"

#include <algorithm>
#include <charconv>
#include <vector>

#include "api/render.h"
#include "model/json_writer.h"
#include "model/query_string.h"

namespace incidentd::api {
namespace {

void WriteTimeOrNull(JsonWriter& w, std::string_view key, Time t) {
  w.Key(key);
  if (t == kZeroTime) {
    w.Null();
  } else {
    w.TimeMillis(t);
  }
}

void WriteStringOrNull(JsonWriter& w, std::string_view key, std::string_view s) {
  w.Key(key);
  if (s.empty()) {
    w.Null();
  } else {
    w.String(s);
  }
}

bool Selected(StateFilter f, IncidentState s) {
  switch (f) {
    case StateFilter::kAll:
      return true;
    case StateFilter::kOpen:
      return s == IncidentState::kTriggered || s == IncidentState::kAcknowledged;
    case StateFilter::kTriggered:
      return s == IncidentState::kTriggered;
    case StateFilter::kAcknowledged:
      return s == IncidentState::kAcknowledged;
    case StateFilter::kResolved:
      return s == IncidentState::kResolved;
    case StateFilter::kHeld:
      return s == IncidentState::kHeld;
  }
  return false;
}

// A held incident's progress toward its rule's threshold: the alerts that fired within `window` before the latest
// one (the edge included), or the distinct label values among them.
void WriteHeld(JsonWriter& w, const engine::CorrelationRule& rule, const Incident& inc) {
  const bool distinct = !rule.min_distinct.label.empty();
  const uint64_t counted = inc.held.empty() ? 0 : rule.ThresholdCount(inc.held, inc.held.back().at);
  w.Key("held").BeginObject();
  w.Key("alerts").Uint(counted);
  w.Key("needed").Uint(distinct ? rule.min_distinct.count : rule.min_alerts);
  WriteStringOrNull(w, "label", rule.min_distinct.label);
  w.Field("window", FormatDuration(rule.window));
  w.EndObject();
}

// The timeline kinds about one alert, which name it.
bool NamesAlert(TimelineKind k) {
  switch (k) {
    case TimelineKind::kAlertJoined:
    case TimelineKind::kAlertRefreshed:
    case TimelineKind::kAlertRefired:
    case TimelineKind::kAlertResolved:
    case TimelineKind::kFlapping:
    case TimelineKind::kStable:
      return true;
    default:
      return false;
  }
}

void WriteIncident(JsonWriter& w, const engine::Engine& engine, const Incident& inc, size_t alerts_limit, bool detail) {
  w.BeginObject();
  w.Field("id", inc.id);
  w.Field("rule", inc.rule);
  w.Field("state", IncidentStateName(inc.state));
  w.Field("priority", engine::PriorityName(inc.priority));
  w.Field("title", inc.title);
  w.Key("group_labels").BeginObject();
  for (const auto& [n, v] : inc.group_labels) w.Field(n, v);
  w.EndObject();
  WriteStringOrNull(w, "policy", inc.policy);
  w.Key("created_at").TimeMillis(inc.created_at);
  w.Key("updated_at").TimeMillis(inc.updated_at);
  WriteTimeOrNull(w, "acknowledged_at", inc.acknowledged_at);
  WriteStringOrNull(w, "acknowledged_by", inc.acknowledged_by);
  WriteTimeOrNull(w, "resolved_at", inc.resolved_at);
  WriteStringOrNull(w, "resolved_by", inc.resolved_by);
  w.Key("counts").BeginObject();
  w.Key("alerts").Uint(inc.members.size());
  w.Key("firing").Uint(inc.firing);
  w.Key("notifications").Uint(inc.notifications);
  w.Key("reopened").Uint(inc.reopened);
  w.EndObject();
  w.Key("major").Bool(inc.major);
  w.Key("root").Bool(!inc.symptoms.empty());
  WriteStringOrNull(w, "symptom_of", inc.symptom_of);
  w.Key("symptoms").BeginArray();
  for (const std::string& id : inc.symptoms) w.String(id);
  w.EndArray();
  w.Key("flapping").Bool(inc.flapping > 0);
  WriteStringOrNull(w, "problem", inc.problem);
  if (inc.state == IncidentState::kHeld) {
    const engine::CorrelationRule* rule = engine.rules().FindCorrelation(inc.rule, inc.rule_index);
    if (rule != nullptr && rule->has_threshold()) WriteHeld(w, *rule, inc);
  }

  std::vector<Fingerprint> fps;
  fps.reserve(inc.members.size());
  for (const auto& [fp, m] : inc.members) fps.push_back(fp);
  const size_t shown = std::min(fps.size(), alerts_limit);
  std::partial_sort(fps.begin(), fps.begin() + static_cast<ptrdiff_t>(shown), fps.end());
  w.Key("alerts").BeginArray();
  for (size_t i = 0; i < shown; ++i) {
    const IncidentMember& m = inc.members.find(fps[i])->second;
    const Alert* a = engine.alerts().Find(fps[i]);
    char hex[16];
    fps[i].Format(hex);
    w.BeginObject();
    w.Field("fingerprint", std::string_view(hex, 16));
    w.Key("labels");
    if (a) {
      WriteLabels(w, a->labels);
    } else {
      w.BeginObject().EndObject();  // forgotten by the alert store
    }
    if (detail && a) {
      w.Key("annotations");
      WriteLabels(w, a->annotations);
    }
    w.Field("state", StatusName(m.status));
    w.Field("priority", engine::PriorityName(m.priority));
    if (a) {
      w.Key("starts_at").TimeMillis(a->starts_at);
      WriteTimeOrNull(w, "ends_at",
                      a->ends_kind == EndsAtKind::kNever && a->status == AlertStatus::kFiring ? kZeroTime : a->ends_at);
    }
    w.Key("acknowledged").Bool(m.acknowledged);
    w.Key("flapping").Bool(m.flapping);
    if (detail && a) {
      engine::MuteState mute = engine.MuteStateOf(*a);
      w.Key("silenced_by").BeginArray();
      for (std::string_view id : mute.silenced_by) w.String(id);
      w.EndArray();
      w.Key("inhibited_by");
      if (mute.inhibited_by) {
        char by[16];
        mute.inhibited_by->Format(by);
        w.String(std::string_view(by, 16));
      } else {
        w.Null();
      }
    }
    w.EndObject();
  }
  w.EndArray();
  if (shown < fps.size()) w.Key("alerts_truncated").Uint(fps.size() - shown);

  if (detail) {
    w.Key("timeline").BeginArray();
    for (const TimelineEntry& e : inc.timeline) {
      w.BeginObject();
      w.Key("at").TimeMillis(e.at);
      w.Field("kind", TimelineKindName(e.kind));
      if (NamesAlert(e.kind)) {
        char hex[16];
        e.fingerprint.Format(hex);
        w.Field("fingerprint", std::string_view(hex, 16));
      }
      if (std::string_view d = engine.incidents().Detail(e); !d.empty()) w.Field("detail", d);
      w.EndObject();
    }
    w.EndArray();
    w.Key("timeline_dropped").Uint(inc.timeline_dropped);
  }
  w.EndObject();
}

}  // namespace

Result<IncidentsQuery> ParseIncidentsQuery(std::string_view query) {
  IncidentsQuery q;
  std::string_view state;
  if (QueryParam(query, "state", &state)) {
    if (state == "all") {
      q.state = StateFilter::kAll;
    } else if (state == "open") {
      q.state = StateFilter::kOpen;
    } else if (state == "triggered") {
      q.state = StateFilter::kTriggered;
    } else if (state == "acknowledged") {
      q.state = StateFilter::kAcknowledged;
    } else if (state == "resolved") {
      q.state = StateFilter::kResolved;
    } else if (state == "held") {
      q.state = StateFilter::kHeld;
    } else {
      return Status::Invalid(
          "query parameter state: must be one of triggered, acknowledged, held, resolved, open, all");
    }
  }
  if (Status s = QuerySize(query, "limit", &q.limit); !s.ok()) return s;
  if (Status s = QuerySize(query, "alerts_limit", &q.alerts_limit); !s.ok()) return s;
  return q;
}

std::string RenderIncidents(const engine::Engine& engine, const IncidentsQuery& query) {
  std::vector<const Incident*> list;
  engine.incidents().ForEach([&](const Incident& inc) {
    if (Selected(query.state, inc.state)) list.push_back(&inc);
  });
  auto newest_first = [](const Incident* a, const Incident* b) {
    return a->id_hi != b->id_hi ? a->id_hi > b->id_hi : a->id_lo > b->id_lo;
  };
  const size_t shown = std::min(list.size(), query.limit);
  std::partial_sort(list.begin(), list.begin() + static_cast<ptrdiff_t>(shown), list.end(), newest_first);
  std::string out;
  JsonWriter w(out);
  w.BeginArray();
  for (size_t i = 0; i < shown; ++i) WriteIncident(w, engine, *list[i], query.alerts_limit, false);
  w.EndArray();
  return out;
}

std::string RenderIncident(const engine::Engine& engine, const Incident& incident) {
  std::string out;
  JsonWriter w(out);
  WriteIncident(w, engine, incident, SIZE_MAX, true);
  return out;
}

}  // namespace incidentd::api
