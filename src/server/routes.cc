#include "server/routes.h"

#include <spdlog/spdlog.h>

#include <array>
#include <memory>
#include <utility>

#include "api/alerts_api.h"
#include "decode/factory.h"
#include "server/api_routes.h"

namespace incidentd::server {

namespace bhttp = boost::beast::http;

Routes::Routes(const config::Config& config, http::Router& router, EngineLoop& loop, observability::Registry& metrics,
               const std::atomic<bool>& ready, std::shared_ptr<const TokenAuth> auth) {
  auto intake = [&](AlertFormat format) {
    auto h = std::make_shared<http::IntakeHandler>(decode::MakeDecoder(format, config.limits), loop, metrics);
    intake_.push_back(h);
    return [h](const http::Request& req, http::Responder respond) { (*h)(req, std::move(respond)); };
  };
  router.Add(bhttp::verb::post, "/api/v2/alerts", "alerts_post", intake(AlertFormat::kPrometheus));
  router.Add(bhttp::verb::post, "/api/v1/webhook/alertmanager", "webhook_alertmanager",
             intake(AlertFormat::kAlertmanagerWebhook));
  router.Add(bhttp::verb::post, "/v2/enqueue", "pagerduty_enqueue", intake(AlertFormat::kPagerDuty));

  generic_ = std::make_shared<http::GenericIntake>();
  for (const decode::GenericMapping& m : config.generic_webhooks) {
    generic_->Add(m.name,
                  std::make_unique<http::IntakeHandler>(decode::MakeGenericDecoder(m, config.limits), loop, metrics));
  }
  router.Add(bhttp::verb::post, "/api/v1/webhook/{name}", "webhook_generic",
             [g = generic_](const http::Request& req, http::Responder respond) { (*g)(req, std::move(respond)); });

  router.Add(bhttp::verb::get, "/api/v2/alerts", "alerts_get",
             [&loop](const http::Request& req, http::Responder respond) {
               Result<api::AlertsQuery> q = api::ParseAlertsQuery(req.query);
               if (!q.ok()) return respond(http::ErrorResponse(400, q.status().message()));
               bool queued = loop.Read([q = *q, respond](const engine::Engine& e) {
                 http::Response r;
                 r.body = api::RenderAlerts(e, q);
                 respond(std::move(r));
               });
               if (!queued) respond(http::ErrorResponse(503, "shutting down"));
             });

  AddIncidentRoutes(router, loop, auth);
  AddSilenceRoutes(router, loop, auth);

  router.Add(bhttp::verb::get, "/healthz", "healthz", [](const http::Request&, http::Responder respond) {
    http::Response r;
    r.content_type = "text/plain; charset=utf-8";
    r.body = "ok\n";
    respond(std::move(r));
  });
  router.Add(bhttp::verb::get, "/readyz", "readyz", [&ready](const http::Request&, http::Responder respond) {
    http::Response r;
    r.content_type = "text/plain; charset=utf-8";
    r.status = ready.load() ? 200 : 503;
    r.body = ready.load() ? "ready\n" : "not ready\n";
    respond(std::move(r));
  });
  router.Add(bhttp::verb::get, "/metrics", "metrics", [&metrics](const http::Request&, http::Responder respond) {
    http::Response r;
    r.content_type = "text/plain; version=0.0.4; charset=utf-8";
    r.body = metrics.Render();
    respond(std::move(r));
  });
  metrics.AddGaugeFunction("incidentd_engine_queue_alerts", "Alerts waiting in the engine queue.", {},
                           [&loop] { return static_cast<double>(loop.queued_alerts()); });
  metrics.GetGauge("incidentd_build_info", "Build information.", {{"version", INCIDENTD_VERSION}}).Set(1);
}

EngineLoop::TickHook MakeTickHook(observability::Registry& metrics) {
  auto& active = metrics.GetGauge("incidentd_alerts_active", "Firing alerts.");
  auto& tracked = metrics.GetGauge("incidentd_alerts_tracked", "Alerts held, firing or recently resolved.");
  auto& ticks = metrics.GetCounter("incidentd_engine_ticks_total", "Engine ticks that applied work.");
  const char* help = "Alert state changes made by the engine, by kind.";
  auto& added = metrics.GetCounter("incidentd_engine_alerts_total", help, {{"change", "new"}});
  auto& refreshed = metrics.GetCounter("incidentd_engine_alerts_total", help, {{"change", "refreshed"}});
  auto& resolved = metrics.GetCounter("incidentd_engine_alerts_total", help, {{"change", "resolved"}});
  auto& refired = metrics.GetCounter("incidentd_engine_alerts_total", help, {{"change", "refired"}});
  auto& ignored = metrics.GetCounter("incidentd_engine_alerts_total", help, {{"change", "ignored"}});
  auto& incidents = metrics.GetGauge("incidentd_incidents", "Incidents held, open or resolved within the retention.");
  auto& open = metrics.GetGauge("incidentd_incidents_open", "Incidents triggered or acknowledged.");
  auto& silences = metrics.GetGauge("incidentd_silences_active", "Silences in effect.");
  auto& held = metrics.GetGauge("incidentd_incidents_held", "Incidents held below their rule's threshold.");
  auto& majors = metrics.GetCounter("incidentd_incidents_major_total", "Incidents declared major.");
  auto& problems = metrics.GetGauge("incidentd_problems", "Correlation keys whose incidents recur (problems).");
  auto& flapping = metrics.GetGauge("incidentd_alerts_flapping", "Alerts flapping now.");
  auto last = std::make_shared<engine::EngineCounters>();
  auto last_majors = std::make_shared<uint64_t>(0);
  return [&, last, last_majors](const engine::Engine& e, size_t batches, size_t) {
    const engine::EngineCounters& c = e.counters();
    active.Set(static_cast<double>(e.alerts().firing()));
    tracked.Set(static_cast<double>(e.alerts().size()));
    incidents.Set(static_cast<double>(e.incidents().size()));
    open.Set(static_cast<double>(e.incidents().open()));
    silences.Set(static_cast<double>(e.silences().active(e.now())));
    held.Set(static_cast<double>(e.incidents().held()));
    problems.Set(static_cast<double>(e.problems().size()));
    flapping.Set(static_cast<double>(e.flapping_alerts()));
    majors.Inc(e.incidents().majors_declared() - std::exchange(*last_majors, e.incidents().majors_declared()));
    if (batches > 0) ticks.Inc();
    added.Inc(c.alerts_new - last->alerts_new);
    refreshed.Inc(c.alerts_refreshed - last->alerts_refreshed);
    resolved.Inc(c.alerts_resolved - last->alerts_resolved);
    refired.Inc(c.alerts_refired - last->alerts_refired);
    ignored.Inc(c.alerts_ignored - last->alerts_ignored);
    *last = c;
  };
}

}  // namespace incidentd::server

namespace incidentd::server {

EngineLoop::NotifyFn MakeNotifyHook(observability::Registry& metrics, const std::unique_ptr<notify::Outbox>& outbox) {
  const char* help = "Notifications the engine decided, by event (the outbox delivers them).";
  std::array<observability::Counter*, kNotifyEvents> by_event{};
  for (int i = 0; i < kNotifyEvents; ++i) {
    auto e = static_cast<NotifyEvent>(i);
    by_event[i] =
        &metrics.GetCounter("incidentd_notifications_total", help, {{"event", std::string(NotifyEventName(e))}});
  }
  return [by_event, &outbox](std::vector<Notification>&& list) {
    for (const Notification& n : list) {
      by_event[static_cast<int>(n.event)]->Inc();
      SPDLOG_DEBUG("notify {} {} -> {}{} (P{}, {})", n.Key(), NotifyEventName(n.event), n.receiver,
                   n.inform ? " (inform)" : "", n.priority, IncidentStateName(n.state));
    }
    if (outbox) outbox->Enqueue(std::move(list));
  };
}

}  // namespace incidentd::server
