// Pager: one receiver kind's wire format (src/pagers/<kind>/). It renders a notification into the HTTP request its
// service expects and judges the answer; sending, retrying and ordering are the outbox's (src/notify).
//
// Kinds: pagerduty (Events API v2), opsgenie (Alert API v2), webhook (Alertmanager's webhook payload v4 plus the
// incident and the event, optionally HMAC-signed), slack (incoming webhook). ../../docs/receivers.md documents each
// body.
//
// Secrets (routing keys, API keys, HMAC secrets, Slack webhook URLs) live only inside the pager and the requests it
// renders; no error, log line or API answer shows them.
//
// Thread rule: a Pager is immutable after MakePager; Render and Judge are const and safe from any thread.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "config/rule_loader.h"
#include "incidentd/clock.h"
#include "incidentd/http_message.h"
#include "incidentd/notification.h"
#include "incidentd/status.h"

namespace incidentd::pagers {

// What an answer means for the notification.
enum class Verdict : uint8_t {
  kDelivered,  // 2xx
  kRetry,      // 429, 5xx (and network errors, which the outbox judges itself)
  kFailed,     // any other answer: retrying the same request would fail again
};

struct Judgement {
  Verdict verdict = Verdict::kDelivered;
  Duration retry_after{0};  // from Retry-After (seconds or an HTTP date), 0 when absent
  std::string error;        // for the dead letter: "HTTP 400: <start of the body>", never a secret
};

// At most `events` requests per `per` for one rate key (PagerDuty: per routing key); events == 0: no limit.
struct RateLimit {
  uint32_t events = 0;
  Duration per = std::chrono::minutes(1);
};

// Settings the daemon gives every pager.
struct PagerContext {
  std::string external_url;  // where incidentd is reached, for links: "<external_url>/api/v1/incidents/<id>"
  Duration default_timeout = std::chrono::seconds(10);
};

class Pager {
 public:
  virtual ~Pager() = default;

  const std::string& name() const { return name_; }
  const std::string& type() const { return type_; }

  // The request telling this receiver about n, or nullopt when the receiver kind has nothing to send for n.event.
  virtual std::optional<HttpRequest> Render(const Notification& n) const = 0;
  // Default: 2xx delivered; 429 and 5xx retry, honouring Retry-After; others failed. The error is "HTTP <status>"
  // and, from a JSON body, its "message" and "errors" (PagerDuty's and Opsgenie's shape), else the start of the body;
  // the pager's secrets are replaced by "<redacted>" in it.
  virtual Judgement Judge(const HttpResponse& r, Time now) const;
  // Requests for one rate key share this limit (see rate_key).
  virtual RateLimit rate_limit() const { return {}; }
  // Receivers with the same key share a rate limit (PagerDuty: a digest of the routing key, never the key itself).
  virtual std::string rate_key() const { return name_; }

 protected:
  Pager(std::string name, std::string type) : name_(std::move(name)), type_(std::move(type)) {}

  // Registers a value that no Judgement error may show (a key, a URL's secret path). Values shorter than 4 bytes are
  // ignored: replacing them would mangle ordinary words.
  void AddSecret(std::string_view secret);
  // text with every registered secret replaced by "<redacted>".
  std::string Redact(std::string text) const;

 private:
  std::string name_;
  std::string type_;
  std::vector<std::string> secrets_;
};

// Builds the pager for a receiver whose settings config::LoadConfig has resolved (secrets read from their files and
// ${ENV} expanded). Errors name the receiver and the key, never a value.
Result<std::unique_ptr<Pager>> MakePager(const config::ReceiverConfig& receiver, const PagerContext& context);

// Retry-After: delay-seconds or an HTTP-date (IMF-fixdate, or the obsolete RFC 850 and asctime forms RFC 9110 still
// makes recipients accept) relative to `now`; 0 when absent, unparsable or in the past. At most one day.
Duration ParseRetryAfter(std::string_view value, Time now);

}  // namespace incidentd::pagers
