// OpsgeniePager: Opsgenie's Alert API v2 (docs/receivers.md, "opsgenie").
//
// The incident id is the alert's alias. Triggered, reopened, escalated, updated and repeated create the alert
// (POST <url>/v2/alerts; while an alert with the same alias is open, Opsgenie counts the request on it instead);
// acknowledged and resolved acknowledge and close it by alias. Every request carries "Authorization: GenieKey <key>".
// Fields are cut to the API's limits: message 130 characters, description 15000, tags 20 of 50 characters each.
//
// Thread rule: immutable after Make.
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "pagers/pager.h"

namespace incidentd::pagers {

class OpsgeniePager final : public Pager {
 public:
  static constexpr std::string_view kDefaultUrl = "https://api.opsgenie.com";  // EU: https://api.eu.opsgenie.com
  static constexpr size_t kMaxMessageChars = 130;
  static constexpr size_t kMaxDescriptionChars = 15000;
  static constexpr size_t kMaxTags = 20;
  static constexpr size_t kMaxTagChars = 50;
  static constexpr size_t kMaxSourceChars = 100;
  static constexpr size_t kMaxEntityChars = 512;

  struct Options {
    std::string url{kDefaultUrl};  // the API's base, without a trailing '/'
    std::string api_key;           // REQUIRES: not empty
    std::string source = "incidentd";
    std::string entity;             // empty: the incident's group labels, or its rule
    std::vector<std::string> tags;  // added before the incident's own
    Duration timeout = std::chrono::seconds(10);
    std::string external_url;
  };

  // Reads the settings url, api_key, source, entity, tags (comma-separated) and timeout.
  static Result<std::unique_ptr<Pager>> Make(const config::ReceiverConfig& receiver, const PagerContext& context);

  OpsgeniePager(std::string name, Options options);

  std::optional<HttpRequest> Render(const Notification& n) const override;

 private:
  std::string AliasOf(const IncidentSnapshot& s) const;
  std::string CreateBody(const Notification& n, const IncidentSnapshot& s) const;
  std::string Description(const IncidentSnapshot& s, const std::string& url) const;
  std::vector<std::string> Tags(const IncidentSnapshot& s) const;

  Options options_;
};

}  // namespace incidentd::pagers
