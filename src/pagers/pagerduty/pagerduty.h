// PagerDutyPager: PagerDuty's Events API v2 (docs/receivers.md, "pagerduty").
//
// Triggered, reopened, escalated, updated and repeated send a "trigger" event whose dedup_key is the incident id, so
// PagerDuty keeps one incident per incidentd incident and later triggers add to it; acknowledged and resolved send
// "acknowledge" and "resolve" for that dedup_key. The body stays within the API's 512000 bytes: alerts are dropped
// from the end of custom_details (the count dropped is recorded there) and, if that is not enough, custom_details
// shrinks to the incident's id.
//
// Requests for one routing key share PagerDuty's limit of 120 events a minute (rate_limit() and rate_key()).
//
// Thread rule: immutable after Make.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "pagers/pager.h"

namespace incidentd::pagers {

class PagerDutyPager final : public Pager {
 public:
  static constexpr std::string_view kDefaultUrl = "https://events.pagerduty.com/v2/enqueue";
  static constexpr size_t kMaxEventBytes = 512000;  // the API's limit on a whole event
  static constexpr size_t kMaxSummaryChars = 1024;
  static constexpr uint32_t kDefaultRateLimit = 120;  // events a minute per routing key
  static constexpr size_t kMaxLinks = 6;              // the incident, and up to 5 alerts' generator URLs

  struct Options {
    std::string url{kDefaultUrl};
    std::string routing_key;                  // REQUIRES: not empty
    std::string source = "incidentd";         // payload.source
    std::string component;                    // payload.component; empty: left out
    uint32_t rate_limit = kDefaultRateLimit;  // events a minute; 0: no limit
    Duration timeout = std::chrono::seconds(10);
    std::string external_url;  // for links; empty: no links to incidentd
  };

  // Reads the settings url, routing_key, source, component, rate_limit and timeout.
  static Result<std::unique_ptr<Pager>> Make(const config::ReceiverConfig& receiver, const PagerContext& context);

  PagerDutyPager(std::string name, Options options);

  std::optional<HttpRequest> Render(const Notification& n) const override;
  RateLimit rate_limit() const override { return {options_.rate_limit, std::chrono::minutes(1)}; }
  // "pagerduty:" and the first 16 hex digits of the routing key's SHA-256.
  std::string rate_key() const override { return rate_key_; }

 private:
  std::string RenderTrigger(const Notification& n, const IncidentSnapshot& s) const;
  // The trigger body showing the first `alerts` of s.alerts; `details` false: custom_details holds the id only.
  std::string TriggerBody(const Notification& n, const IncidentSnapshot& s, size_t alerts, bool details) const;

  Options options_;
  std::string rate_key_;
};

}  // namespace incidentd::pagers
