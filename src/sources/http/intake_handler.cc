#include "sources/http/intake_handler.h"

#include <spdlog/spdlog.h>
#include <boost/beast/core/string.hpp>

#include "model/json_writer.h"

namespace incidentd::http {
namespace {

observability::Counter& AlertCounter(observability::Registry& m, const char* name, const char* help,
                                     const std::string& format, const char* reason = nullptr) {
  observability::MetricLabels labels{{"source", "http"}, {"format", format}};
  if (reason != nullptr) labels.emplace_back("reason", reason);
  return m.GetCounter(name, help, labels);
}

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

}  // namespace

bool IsJsonContentType(std::string_view content_type) {
  std::string ct = Lower(content_type.substr(0, content_type.find(';')));
  while (!ct.empty() && ct.back() == ' ') ct.pop_back();
  if (ct == "application/json") return true;
  return ct.starts_with("application/") && ct.ends_with("+json");
}

IntakeHandler::IntakeHandler(std::unique_ptr<decode::Decoder> decoder, AlertSink& sink,
                             observability::Registry& metrics)
    : decoder_(std::move(decoder)),
      sink_(sink),
      received_(AlertCounter(metrics, "incidentd_alerts_received_total",
                             "Alerts received in requests and messages, valid or not.", decoder_->name())),
      accepted_(
          AlertCounter(metrics, "incidentd_alerts_accepted_total", "Alerts applied by the engine.", decoder_->name())),
      rejected_invalid_(AlertCounter(metrics, "incidentd_alerts_rejected_total",
                                     "Alerts refused, with the reason: invalid (the whole request was refused for "
                                     "bad input) or backpressure (the engine queue was full).",
                                     decoder_->name(), "invalid")),
      rejected_busy_(AlertCounter(metrics, "incidentd_alerts_rejected_total", "", decoder_->name(), "backpressure")) {}

Response IntakeHandler::DecodeErrors(const decode::DecodeOutcome& outcome) const {
  Response r;
  r.status = 400;
  JsonWriter w(r.body);
  if (decoder_->format() == AlertFormat::kPagerDuty) {
    w.BeginObject().Field("status", "invalid event").Field("message", "Event object is invalid");
    w.Key("errors").BeginArray();
    // PagerDuty's own messages quote the field; the shared ones ("not valid UTF-8", limits) are given it here.
    for (const auto& e : outcome.errors) {
      w.String(e.reason.starts_with("'") || e.field.empty() ? e.reason : "'" + e.field + "' " + e.reason);
    }
    w.EndArray().EndObject();
    return r;
  }
  w.BeginObject().Field("error", outcome.Summary());
  w.Key("errors").BeginArray();
  for (const auto& e : outcome.errors) {
    w.BeginObject().Key("index").Int(e.index).Field("field", e.field).Field("reason", e.reason).EndObject();
  }
  w.EndArray();
  if (outcome.more_errors > 0) w.Key("more_errors").Uint(outcome.more_errors);
  w.EndObject();
  return r;
}

void IntakeHandler::operator()(const Request& req, Responder respond) const {
  if (!IsJsonContentType(req.content_type)) {
    Response r =
        ErrorResponse(415, "Content-Type must be application/json, got '" + std::string(req.content_type) + "'");
    return respond(std::move(r));
  }
  decode::DecodeOutcome outcome =
      decoder_->Decode(simdjson::padded_string_view(req.body.data(), req.body.size(), req.body_capacity));
  size_t n = outcome.batch.size();
  received_.Inc(n);
  if (!outcome.ok()) {
    // A body that is not even JSON counts as one refused alert, so refusals always show in the metrics.
    rejected_invalid_.Inc(n > 0 ? n : 1);
    spdlog::debug("{} {}: refused: {}", decoder_->name(), req.path, outcome.Summary());
    return respond(DecodeErrors(outcome));
  }
  const bool pagerduty = decoder_->format() == AlertFormat::kPagerDuty;
  auto success = [pagerduty, n, key = std::move(outcome.dedup_key)](const BatchReceipt&) {
    Response r;
    JsonWriter w(r.body);
    if (pagerduty) {
      r.status = 202;
      w.BeginObject().Field("status", "success").Field("message", "Event processed").Field("dedup_key", key);
      w.EndObject();
    } else {
      w.BeginObject().Field("status", "success").Key("alerts").Uint(n).EndObject();
    }
    return r;
  };
  const bool prometheus = decoder_->format() == AlertFormat::kPrometheus;
  if (n == 0) {
    Response r = success(BatchReceipt{});
    if (prometheus) r.body.clear();  // Alertmanager answers 200 with no body
    return respond(std::move(r));
  }
  bool queued = sink_.Submit(std::move(outcome.batch), [this, n, prometheus, respond, success](const BatchReceipt& rc) {
    if (!rc.status.ok()) {
      Response r = ErrorResponse(rc.status.retryable() ? 503 : 500, rc.status.message());
      if (rc.status.retryable()) r.headers.emplace_back("Retry-After", "1");
      return respond(std::move(r));
    }
    accepted_.Inc(n);
    Response r = success(rc);
    if (prometheus) r.body.clear();  // Alertmanager answers 200 with no body
    respond(std::move(r));
  });
  if (!queued) {
    rejected_busy_.Inc(n);
    Response r = ErrorResponse(503,
                               "not accepting alerts now (the engine queue is full, or the daemon is stopping); "
                               "retry later");
    r.headers.emplace_back("Retry-After", "1");
    respond(std::move(r));
  }
}

void GenericIntake::operator()(const Request& req, Responder respond) const {
  std::string_view name = req.path_params.empty() ? std::string_view() : req.path_params[0];
  auto it = handlers_.find(name);
  if (it == handlers_.end()) {
    return respond(ErrorResponse(
        404, "no generic webhook named '" + std::string(name) + "' (configure it under generic_webhooks)"));
  }
  (*it->second)(req, std::move(respond));
}

}  // namespace incidentd::http
