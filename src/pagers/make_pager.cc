// MakePager: the one place that knows every pager kind; a new kind adds its folder and a line here.
#include "pagers/opsgenie/opsgenie.h"
#include "pagers/pager.h"
#include "pagers/pagerduty/pagerduty.h"
#include "pagers/slack/slack.h"
#include "pagers/webhook/webhook.h"

namespace incidentd::pagers {

Result<std::unique_ptr<Pager>> MakePager(const config::ReceiverConfig& receiver, const PagerContext& context) {
  if (receiver.type == "pagerduty") return PagerDutyPager::Make(receiver, context);
  if (receiver.type == "opsgenie") return OpsgeniePager::Make(receiver, context);
  if (receiver.type == "webhook") return WebhookPager::Make(receiver, context);
  if (receiver.type == "slack") return SlackPager::Make(receiver, context);
  return Status::Invalid("receivers " + receiver.name + ": type: must be one of pagerduty, opsgenie, webhook, slack");
}

}  // namespace incidentd::pagers
