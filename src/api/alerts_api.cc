#include "api/alerts_api.h"

#include <algorithm>
#include <vector>

#include "api/render.h"
#include "model/json_writer.h"
#include "model/query_string.h"

namespace incidentd::api {

Result<AlertsQuery> ParseAlertsQuery(std::string_view query) {
  AlertsQuery q;
  struct Flag {
    const char* name;
    bool* value;
  };
  for (Flag f : {Flag{"active", &q.active}, Flag{"silenced", &q.silenced}, Flag{"inhibited", &q.inhibited},
                 Flag{"unprocessed", &q.unprocessed}}) {
    std::string_view v;
    if (!QueryParam(query, f.name, &v)) continue;
    if (v == "true") {
      *f.value = true;
    } else if (v == "false") {
      *f.value = false;
    } else {
      return Status::Invalid(std::string("query parameter ") + f.name + ": must be true or false");
    }
  }
  for (std::string_view raw : QueryParams(query, "filter")) {
    std::string text;
    if (!PercentDecode(raw, &text)) return Status::Invalid("query parameter filter: malformed percent-encoding");
    Result<std::vector<engine::Matcher>> m = engine::Matcher::ParseList(text);
    if (!m.ok()) return Status::Invalid("query parameter filter: " + m.status().message());
    for (auto& one : *m) q.filter.push_back(std::move(one));
  }
  return q;
}

std::string RenderAlerts(const engine::Engine& engine, const AlertsQuery& query) {
  struct Row {
    const Alert* alert;
    engine::MuteState mute;
  };
  std::vector<Row> rows;
  rows.reserve(engine.alerts().firing());
  engine.alerts().ForEach([&](const Alert& a) {
    if (a.status != AlertStatus::kFiring || !engine::MatchesAll(query.filter, a.labels)) return;
    engine::MuteState mute = engine.MuteStateOf(a);
    // Alertmanager's filter: each flag hides the alerts in that state.
    if (!query.active && !mute.muted()) return;
    if (!query.silenced && !mute.silenced_by.empty()) return;
    if (!query.inhibited && mute.inhibited_by) return;
    rows.push_back({&a, std::move(mute)});
  });
  std::sort(rows.begin(), rows.end(),
            [](const Row& a, const Row& b) { return a.alert->fingerprint < b.alert->fingerprint; });
  std::string out;
  out.reserve(rows.size() * 600 + 2);
  JsonWriter w(out);
  w.BeginArray();
  for (const Row& row : rows) {
    const Alert* a = row.alert;
    char fp[16];
    a->fingerprint.Format(fp);
    w.BeginObject();
    w.Key("annotations");
    WriteLabels(w, a->annotations);
    w.Key("endsAt").TimeMillis(a->ends_kind == EndsAtKind::kNever ? kZeroTime : a->ends_at);
    w.Field("fingerprint", std::string_view(fp, 16));
    // The receivers its incident pages first, as Alertmanager lists the receivers of an alert's route.
    w.Key("receivers").BeginArray();
    if (const Incident* inc = engine.incidents().AtSlot(a->incident)) {
      if (const engine::Policy* p = engine.rules().FindPolicy(inc->policy); p && !p->steps.empty()) {
        for (const std::string& r : p->steps.front().notify) w.BeginObject().Field("name", r).EndObject();
      }
    }
    w.EndArray();
    w.Key("startsAt").TimeMillis(a->starts_at);
    w.Key("status").BeginObject();
    w.Key("inhibitedBy").BeginArray();
    if (row.mute.inhibited_by) {
      char by[16];
      row.mute.inhibited_by->Format(by);
      w.String(std::string_view(by, 16));
    }
    w.EndArray();
    w.Key("silencedBy").BeginArray();
    for (std::string_view id : row.mute.silenced_by) w.String(id);
    w.EndArray();
    w.Field("state", row.mute.muted() ? "suppressed" : "active").EndObject();
    w.Key("updatedAt").TimeMillis(a->updated_at);
    if (!a->generator_url.view().empty()) w.Field("generatorURL", a->generator_url.view());
    w.Key("labels");
    WriteLabels(w, a->labels);
    w.EndObject();
  }
  w.EndArray();
  return out;
}

}  // namespace incidentd::api
