#include "api/problems_api.h"

#include <algorithm>
#include <vector>

#include "model/json_writer.h"

namespace incidentd::api {
namespace {

void WriteProblem(JsonWriter& w, const engine::Problem& p) {
  w.BeginObject();
  w.Field("id", p.id);
  w.Field("rule", p.rule);
  w.Key("group_labels").BeginObject();
  for (const auto& [n, v] : p.group_labels) w.Field(n, v);
  w.EndObject();
  w.Key("count").Uint(p.incidents.size());
  w.Key("first_seen").TimeMillis(p.first_seen);
  w.Key("last_seen").TimeMillis(p.last_seen);
  w.Key("incidents").BeginArray();
  for (const std::string& id : p.incidents) w.String(id);
  w.EndArray();
  w.EndObject();
}

}  // namespace

std::string RenderProblems(const engine::Engine& engine) {
  std::vector<const engine::Problem*> list;
  list.reserve(engine.problems().size());
  engine.problems().ForEach([&](const engine::Problem& p) { list.push_back(&p); });
  std::sort(list.begin(), list.end(), [](const engine::Problem* a, const engine::Problem* b) {
    return a->last_seen != b->last_seen ? a->last_seen > b->last_seen : a->id > b->id;
  });
  std::string out;
  JsonWriter w(out);
  w.BeginArray();
  for (const engine::Problem* p : list) WriteProblem(w, *p);
  w.EndArray();
  return out;
}

std::string RenderProblem(const engine::Engine& /*engine*/, const engine::Problem& problem) {
  std::string out;
  JsonWriter w(out);
  WriteProblem(w, problem);
  return out;
}

}  // namespace incidentd::api
