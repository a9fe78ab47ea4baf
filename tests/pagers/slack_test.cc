#include "pagers/slack/slack.h"

#include <gtest/gtest.h>

#include "pager_fixture.h"

namespace incidentd::pagers {
namespace {

using namespace fixture;  // NOLINT: the fixture's helpers

const std::string kUrl = "https://hooks.slack.com/services/T000/B000/XXXXXXXXXXXXXXXX";

std::string ContextText(simdjson::dom::element doc) {
  return Str(doc["attachments"].at(0)["blocks"].at(2)["elements"].at(0)["text"]);
}

TEST(SlackTest, Message) {
  auto p = Make(Receiver("chat", "slack", {{"url", kUrl}, {"channel", "#database"}}));
  std::optional<HttpRequest> r = p->Render(MakeNotification(NotifyEvent::kTriggered));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->method, "POST");
  EXPECT_EQ(r->url, kUrl);
  EXPECT_EQ(HeaderOf(*r, "Content-Type"), "application/json");
  EXPECT_EQ(r->body.find("XXXXXXXXXXXXXXXX"), std::string::npos);  // the URL is the secret

  simdjson::dom::parser parser;
  auto doc = Parse(parser, r->body);
  EXPECT_EQ(Str(doc["channel"]), "#database");
  EXPECT_EQ(Str(doc["text"]), "[P1] postgres down in eu1 — triggered (2 of 2 alerts firing)");
  auto attachment = doc["attachments"].at(0);
  EXPECT_EQ(Str(attachment["color"]), "#a30200");
  EXPECT_EQ(Str(attachment["fallback"]), Str(doc["text"]));
  auto blocks = attachment["blocks"];
  ASSERT_EQ(Size(blocks), 3u);
  EXPECT_EQ(Str(blocks.at(0)["type"]), "section");
  EXPECT_EQ(Str(blocks.at(0)["text"]["type"]), "mrkdwn");
  EXPECT_EQ(Str(blocks.at(0)["text"]["text"]), "*[P1] postgres down in eu1*\ntriggered");
  auto fields = blocks.at(1)["fields"];
  ASSERT_EQ(Size(fields), 4u);
  EXPECT_EQ(Str(fields.at(0)["text"]), "*Priority*\nP1");
  EXPECT_EQ(Str(fields.at(1)["text"]), "*State*\ntriggered");
  EXPECT_EQ(Str(fields.at(2)["text"]), "*Event*\ntriggered");
  EXPECT_EQ(Str(fields.at(3)["text"]), "*Alerts*\n2 of 2 alerts firing");
  EXPECT_EQ(Str(blocks.at(2)["type"]), "context");
  EXPECT_EQ(ContextText(doc), "Incident <" + std::string(kExternalUrl) + "/api/v1/incidents/" +
                                  std::string(kIncidentId) + "|" + std::string(kIncidentId) +
                                  "> · rule database · policy db-oncall");
}

TEST(SlackTest, EveryEventIsSent) {
  auto p = Make(Receiver("chat", "slack", {{"url", kUrl}}));
  for (NotifyEvent e : AllEvents()) {
    auto s = MakeSnapshot();
    s->acknowledged_by = "alice";
    std::optional<HttpRequest> r = p->Render(MakeNotification(e, s));
    ASSERT_TRUE(r) << NotifyEventName(e);
    simdjson::dom::parser parser;
    auto doc = Parse(parser, r->body);
    EXPECT_FALSE(Has(doc["channel"]));
    EXPECT_EQ(Str(doc["attachments"].at(0)["blocks"].at(1)["fields"].at(2)["text"]),
              "*Event*\n" + std::string(NotifyEventName(e)));
  }
  simdjson::dom::parser parser;
  std::string body = p->Render(MakeNotification(NotifyEvent::kAcknowledged))->body;
  auto ack = Parse(parser, body);
  EXPECT_EQ(Str(ack["attachments"].at(0)["color"]), "#9e9e9e");
  simdjson::dom::parser parser2;
  auto s = MakeSnapshot();
  std::string escalated = p->Render(MakeNotification(NotifyEvent::kEscalated, s))->body;
  auto esc = Parse(parser2, escalated);
  EXPECT_EQ(Str(esc["text"]),
            "[P1] postgres down in eu1 — escalated to step 2: nobody acknowledged in time (2 of 2 alerts firing)");
}

TEST(SlackTest, EscapesControlCharacters) {
  EXPECT_EQ(EscapeSlack("a < b & c > d"), "a &lt; b &amp; c &gt; d");
  EXPECT_EQ(EscapeSlack("&amp;"), "&amp;amp;");
  auto p = Make(Receiver("chat", "slack", {{"url", kUrl}}));
  auto s = MakeSnapshot();
  s->title = "<!channel> latency > 5s & <http://evil|click>";
  s->rule = "a<b";
  std::optional<HttpRequest> r = p->Render(MakeNotification(NotifyEvent::kTriggered, s));
  simdjson::dom::parser parser;
  auto doc = Parse(parser, r->body);
  const std::string escaped = "&lt;!channel&gt; latency &gt; 5s &amp; &lt;http://evil|click&gt;";
  EXPECT_EQ(Str(doc["text"]), "[P1] " + escaped + " — triggered (2 of 2 alerts firing)");
  EXPECT_EQ(Str(doc["attachments"].at(0)["blocks"].at(0)["text"]["text"]), "*[P1] " + escaped + "*\ntriggered");
  EXPECT_NE(ContextText(doc).find("rule a&lt;b"), std::string::npos);
  EXPECT_EQ(r->body.find("<!channel>"), std::string::npos);
}

TEST(SlackTest, WithoutExternalUrlTheIdIsPlain) {
  auto p = Make(Receiver("chat", "slack", {{"url", kUrl}}), PagerContext{});
  simdjson::dom::parser parser;
  std::string body = p->Render(MakeNotification(NotifyEvent::kResolved))->body;
  auto doc = Parse(parser, body);
  EXPECT_EQ(ContextText(doc), "Incident " + std::string(kIncidentId) + " · rule database · policy db-oncall");
  EXPECT_EQ(Str(doc["attachments"].at(0)["color"]), "#2eb886");
}

TEST(SlackTest, JudgeNeverShowsTheUrl) {
  auto p = Make(Receiver("chat", "slack", {{"url", kUrl}}));
  HttpResponse r;
  r.status = 404;
  r.body = "no_service for " + kUrl + " (services/T000/B000/XXXXXXXXXXXXXXXX)";
  Judgement j = p->Judge(r, Time{});
  EXPECT_EQ(j.verdict, Verdict::kFailed);
  EXPECT_EQ(j.error.find("XXXXXXXXXXXXXXXX"), std::string::npos) << j.error;
  EXPECT_EQ(j.error, "HTTP 404: no_service for <redacted> (<redacted>)");
}

}  // namespace
}  // namespace incidentd::pagers
