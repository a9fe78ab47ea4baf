// IntakeHandler: the HTTP route of one wire format. Checks the content type, decodes on the calling I/O thread,
// answers decode errors at once (400, nothing applied), and otherwise hands the batch to the AlertSink and answers
// when the engine has applied it — or 503 with Retry-After when the engine's queue is full.
//
// Answers follow the format's origin: /api/v2/alerts answers 200 with an empty body like Alertmanager; /v2/enqueue
// answers 202 {"status":"success","message":"Event processed","dedup_key":…} or 400 {"status":"invalid event",…}
// like PagerDuty; the webhook routes answer 200 {"status":"success","alerts":N}. Every other error is
// {"error": summary, "errors": [{"index", "field", "reason"}…]}.
//
// Thread rule: immutable after construction; called concurrently from the I/O threads.
#pragma once

#include <map>
#include <memory>
#include <string>

#include "decode/decoder.h"
#include "incidentd/alert_sink.h"
#include "observability/metrics.h"
#include "sources/http/http_types.h"

namespace incidentd::http {

class IntakeHandler {
 public:
  IntakeHandler(std::unique_ptr<decode::Decoder> decoder, AlertSink& sink, observability::Registry& metrics);
  void operator()(const Request& req, Responder respond) const;

 private:
  Response DecodeErrors(const decode::DecodeOutcome& outcome) const;

  std::unique_ptr<decode::Decoder> decoder_;
  AlertSink& sink_;
  observability::Counter& received_;
  observability::Counter& accepted_;
  observability::Counter& rejected_invalid_;
  observability::Counter& rejected_busy_;
};

// `POST /api/v1/webhook/{name}`: the generic webhooks, one IntakeHandler per configured mapping.
class GenericIntake {
 public:
  void Add(const std::string& name, std::unique_ptr<IntakeHandler> handler) { handlers_[name] = std::move(handler); }
  void operator()(const Request& req, Responder respond) const;

 private:
  std::map<std::string, std::unique_ptr<IntakeHandler>, std::less<>> handlers_;
};

// True for application/json and application/*+json, with or without parameters.
bool IsJsonContentType(std::string_view content_type);

}  // namespace incidentd::http
