// WebhookPager: POSTs Alertmanager's webhook payload (version 4), so existing Alertmanager webhook consumers work
// unchanged, plus incidentd's own fields: the event, whether it informs or pages, the escalation step and the
// incident. docs/receivers.md ("webhook") shows a body.
//
// Every event is sent. Headers: X-Incidentd-Event (the event's name), X-Incidentd-Delivery (Notification::Key(), the
// same for every retry of one notification: receivers de-duplicate on it) and, with an HMAC secret,
// X-Incidentd-Signature: sha256=<lowercase hex HMAC-SHA256 of the exact body>.
//
// Thread rule: immutable after Make.
#pragma once

#include <memory>
#include <string>

#include "pagers/pager.h"

namespace incidentd::pagers {

class WebhookPager final : public Pager {
 public:
  struct Options {
    std::string url;          // REQUIRES: an http(s) URL
    std::string hmac_secret;  // empty: requests are not signed
    Duration timeout = std::chrono::seconds(10);
    std::string external_url;
  };

  // Reads the settings url, hmac_secret and timeout.
  static Result<std::unique_ptr<Pager>> Make(const config::ReceiverConfig& receiver, const PagerContext& context);

  WebhookPager(std::string name, Options options);

  std::optional<HttpRequest> Render(const Notification& n) const override;

  // The body Render sends for n.
  std::string Body(const Notification& n) const;

 private:
  Options options_;
};

}  // namespace incidentd::pagers
