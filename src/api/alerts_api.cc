#include "api/alerts_api.h"

#include <algorithm>
#include <vector>

#include "model/json_writer.h"
#include "model/query_string.h"

namespace incidentd::api {
namespace {

void WriteLabels(JsonWriter& w, const LabelSet& set) {
  w.BeginObject();
  for (const InternedLabel& l : set.labels()) w.Field(l.name.view(), l.value.view());
  w.EndObject();
}

}  // namespace

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
  std::vector<const Alert*> alerts;
  if (query.active) {
    // Silences and inhibition come with the engine's rules; until then every firing alert is active.
    alerts.reserve(engine.alerts().firing());
    engine.alerts().ForEach([&](const Alert& a) {
      if (a.status == AlertStatus::kFiring && engine::MatchesAll(query.filter, a.labels)) alerts.push_back(&a);
    });
  }
  std::sort(alerts.begin(), alerts.end(),
            [](const Alert* a, const Alert* b) { return a->fingerprint < b->fingerprint; });
  std::string out;
  out.reserve(alerts.size() * 600 + 2);
  JsonWriter w(out);
  w.BeginArray();
  for (const Alert* a : alerts) {
    char fp[16];
    a->fingerprint.Format(fp);
    w.BeginObject();
    w.Key("annotations");
    WriteLabels(w, a->annotations);
    w.Key("endsAt").TimeMillis(a->ends_kind == EndsAtKind::kNever ? kZeroTime : a->ends_at);
    w.Field("fingerprint", std::string_view(fp, 16));
    w.Key("receivers").BeginArray().EndArray();
    w.Key("startsAt").TimeMillis(a->starts_at);
    w.Key("status").BeginObject();
    w.Key("inhibitedBy").BeginArray().EndArray();
    w.Key("silencedBy").BeginArray().EndArray();
    w.Field("state", "active").EndObject();
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
