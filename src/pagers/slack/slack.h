// SlackPager: a message to a Slack incoming webhook (docs/receivers.md, "slack").
//
// Every event is sent: a fallback "text" (what notifications and old clients show) and one attachment, coloured by
// event and priority, whose blocks give the title, priority, state, event, the alerts firing and a link to the
// incident. Text from incidents and alerts has Slack's control characters &, < and > escaped. The webhook's URL is
// itself the secret.
//
// Thread rule: immutable after Make.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "pagers/pager.h"

namespace incidentd::pagers {

class SlackPager final : public Pager {
 public:
  static constexpr size_t kMaxTitleChars = 500;  // escaped, it stays within a section's 3000 characters

  struct Options {
    std::string url;      // REQUIRES: an http(s) URL
    std::string channel;  // empty: the webhook's own channel
    Duration timeout = std::chrono::seconds(10);
    std::string external_url;
  };

  // Reads the settings url, channel and timeout.
  static Result<std::unique_ptr<Pager>> Make(const config::ReceiverConfig& receiver, const PagerContext& context);

  SlackPager(std::string name, Options options);

  std::optional<HttpRequest> Render(const Notification& n) const override;

 private:
  Options options_;
};

// s with &, < and > replaced by &amp;, &lt; and &gt;, as Slack's message text requires.
std::string EscapeSlack(std::string_view s);

}  // namespace incidentd::pagers
