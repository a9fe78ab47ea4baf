#include "server/api_routes.h"

#include <string>

#include "api/incidents_api.h"
#include "api/notifications_api.h"
#include "api/problems_api.h"
#include "api/silences_api.h"
#include "model/json_writer.h"
#include "model/query_string.h"

namespace incidentd::server {
namespace {

namespace bhttp = boost::beast::http;

// A command's answer waits for its tick's write; 503 when the store failed, so a client never hears of a state a
// crash would undo. That holds for refusals too: "already acknowledged" may describe an acknowledgement that is not
// written yet.
EngineLoop::Reply WhenWritten(const http::Responder& respond, http::Response r) {
  return [respond, r = std::move(r)](const Status& durable) mutable {
    if (durable.ok()) return respond(std::move(r));
    http::Response e = http::ErrorResponse(503, durable.message());
    e.headers.emplace_back("Retry-After", "1");
    respond(std::move(e));
  };
}

unsigned HttpStatusOf(const Status& s) {
  switch (s.code()) {
    case StatusCode::kNotFound:
      return 404;
    case StatusCode::kFailedPrecondition:
      return 409;
    case StatusCode::kInvalidArgument:
      return 400;
    default:
      return 500;
  }
}

void ShuttingDown(const http::Responder& respond) { respond(http::ErrorResponse(503, "shutting down")); }

http::Response Json(std::string body) {
  http::Response r;
  r.body = std::move(body);
  return r;
}

// Who to put on the timeline: with tokens, the token's name (a token holder cannot write another name); without,
// ?by= when given, else "api".
std::string Actor(const http::Request& req, const TokenAuth& auth, const std::string& who) {
  if (auth.enabled()) return who;
  std::string_view raw;
  std::string by;
  if (QueryParam(req.query, "by", &raw) && PercentDecode(raw, &by) && !by.empty() && by.size() <= 256) return by;
  return who;
}

}  // namespace

void AddIncidentRoutes(http::Router& router, EngineLoop& loop, std::shared_ptr<const TokenAuth> auth) {
  router.Add(
      bhttp::verb::get, "/api/v1/incidents", "incidents_get",
      [&loop](const http::Request& req, http::Responder respond) {
        Result<api::IncidentsQuery> q = api::ParseIncidentsQuery(req.query);
        if (!q.ok()) return respond(http::ErrorResponse(400, q.status().message()));
        if (!loop.Read([q = *q, respond](const engine::Engine& e) { respond(Json(api::RenderIncidents(e, q))); })) {
          ShuttingDown(respond);
        }
      });
  router.Add(bhttp::verb::get, "/api/v1/incidents/{id}", "incident_get",
             [&loop](const http::Request& req, http::Responder respond) {
               if (!loop.Read([id = std::string(req.path_params[0]), respond](const engine::Engine& e) {
                     const Incident* inc = e.incidents().Find(id);
                     if (inc == nullptr) return respond(http::ErrorResponse(404, "incident " + id + " not found"));
                     respond(Json(api::RenderIncident(e, *inc)));
                   })) {
                 ShuttingDown(respond);
               }
             });
  auto command = [&loop, auth](bool ack) {
    return [&loop, auth, ack](const http::Request& req, http::Responder respond) {
      Result<std::string> who = auth->Check(req);
      if (!who.ok()) return respond(Unauthorized(who.status()));
      std::string by = Actor(req, *auth, *who);
      if (!loop.Execute([id = std::string(req.path_params[0]), by, ack, respond](engine::Engine& e, Time now) {
            Status s = ack ? e.Acknowledge(id, by, now) : e.Resolve(id, by, now);
            if (!s.ok()) return WhenWritten(respond, http::ErrorResponse(HttpStatusOf(s), s.message()));
            return WhenWritten(respond, Json(api::RenderIncident(e, *e.incidents().Find(id))));
          })) {
        ShuttingDown(respond);
      }
    };
  };
  router.Add(bhttp::verb::post, "/api/v1/incidents/{id}/ack", "incident_ack", command(true));
  router.Add(bhttp::verb::post, "/api/v1/incidents/{id}/resolve", "incident_resolve", command(false));

  // Problems: recurring incidents, read-only. Added with the incidents, which they list.
  router.Add(bhttp::verb::get, "/api/v1/problems", "problems_get",
             [&loop](const http::Request&, http::Responder respond) {
               if (!loop.Read([respond](const engine::Engine& e) { respond(Json(api::RenderProblems(e))); })) {
                 ShuttingDown(respond);
               }
             });
  router.Add(bhttp::verb::get, "/api/v1/problems/{id}", "problem_get",
             [&loop](const http::Request& req, http::Responder respond) {
               if (!loop.Read([id = std::string(req.path_params[0]), respond](const engine::Engine& e) {
                     const engine::Problem* p = e.problems().Find(id);
                     if (p == nullptr) return respond(http::ErrorResponse(404, "problem " + id + " not found"));
                     respond(Json(api::RenderProblem(e, *p)));
                   })) {
                 ShuttingDown(respond);
               }
             });
}

void AddSilenceRoutes(http::Router& router, EngineLoop& loop, std::shared_ptr<const TokenAuth> auth) {
  router.Add(bhttp::verb::get, "/api/v2/silences", "silences_get",
             [&loop](const http::Request& req, http::Responder respond) {
               Result<std::vector<engine::Matcher>> filter = api::ParseSilencesQuery(req.query);
               if (!filter.ok()) return respond(http::ErrorResponse(400, filter.status().message()));
               if (!loop.Read([filter = std::move(*filter), respond](const engine::Engine& e) {
                     respond(Json(api::RenderSilences(e.silences(), filter, e.now())));
                   })) {
                 ShuttingDown(respond);
               }
             });
  router.Add(
      bhttp::verb::post, "/api/v2/silences", "silences_post",
      [&loop, auth](const http::Request& req, http::Responder respond) {
        Result<std::string> who = auth->Check(req);
        if (!who.ok()) return respond(Unauthorized(who.status()));
        Result<engine::Silence> s = api::ParsePostableSilence(req.body);
        if (!s.ok()) return respond(http::ErrorResponse(400, s.status().message()));
        if (!loop.Execute([s = std::move(*s), id = api::NewSilenceId(), respond](engine::Engine& e, Time now) mutable {
              Result<std::string> r = e.UpsertSilence(std::move(s), id, now);
              if (!r.ok())
                return WhenWritten(respond, http::ErrorResponse(HttpStatusOf(r.status()), r.status().message()));
              std::string body;
              JsonWriter w(body);
              w.BeginObject().Field("silenceID", *r).EndObject();
              return WhenWritten(respond, Json(std::move(body)));
            })) {
          ShuttingDown(respond);
        }
      });
  router.Add(bhttp::verb::get, "/api/v2/silence/{id}", "silence_get",
             [&loop](const http::Request& req, http::Responder respond) {
               if (!loop.Read([id = std::string(req.path_params[0]), respond](const engine::Engine& e) {
                     const engine::Silence* s = e.silences().Find(id);
                     if (s == nullptr) return respond(http::ErrorResponse(404, "silence " + id + " not found"));
                     respond(Json(api::RenderSilence(*s, e.now())));
                   })) {
                 ShuttingDown(respond);
               }
             });
  router.Add(bhttp::verb::delete_, "/api/v2/silence/{id}", "silence_delete",
             [&loop, auth](const http::Request& req, http::Responder respond) {
               Result<std::string> who = auth->Check(req);
               if (!who.ok()) return respond(Unauthorized(who.status()));
               if (!loop.Execute([id = std::string(req.path_params[0]), respond](engine::Engine& e, Time now) {
                     Status s = e.ExpireSilence(id, now);
                     if (!s.ok()) return WhenWritten(respond, http::ErrorResponse(HttpStatusOf(s), s.message()));
                     http::Response r;
                     r.body.clear();
                     return WhenWritten(respond, std::move(r));
                   })) {
                 ShuttingDown(respond);
               }
             });
}

void AddNotificationRoutes(http::Router& router, const std::unique_ptr<notify::Outbox>& outbox) {
  router.Add(bhttp::verb::get, "/api/v1/notifications", "notifications_get",
             [&outbox](const http::Request& req, http::Responder respond) {
               Result<api::NotificationsQuery> q = api::ParseNotificationsQuery(req.query);
               if (!q.ok()) return respond(http::ErrorResponse(400, q.status().message()));
               if (!outbox) return respond(http::ErrorResponse(503, "not started"));
               std::vector<notify::DeliveryRecord> list =
                   outbox->List([&](const notify::DeliveryRecord& r) { return api::Selected(*q, r); }, q->limit);
               respond(Json(api::RenderNotifications(list, outbox->depth(), outbox->dead_letters())));
             });
}

}  // namespace incidentd::server
