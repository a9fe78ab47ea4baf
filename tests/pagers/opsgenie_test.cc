#include "pagers/opsgenie/opsgenie.h"

#include <gtest/gtest.h>

#include "pager_fixture.h"

namespace incidentd::pagers {
namespace {

using namespace fixture;  // NOLINT: the fixture's helpers

const std::string kKey = "eb243592-faa2-4ba2-a551-1afdf565c889";

std::unique_ptr<Pager> Opsgenie(std::vector<std::pair<std::string, std::string>> extra = {}) {
  std::vector<std::pair<std::string, std::string>> settings{{"api_key", kKey}};
  settings.insert(settings.end(), extra.begin(), extra.end());
  return Make(Receiver("og", "opsgenie", settings));
}

void ExpectKeyOnlyInHeader(const HttpRequest& r) {
  EXPECT_EQ(HeaderOf(r, "Authorization"), "GenieKey " + kKey);
  EXPECT_EQ(r.body.find(kKey), std::string::npos);
  EXPECT_EQ(r.url.find(kKey), std::string::npos);
}

TEST(OpsgenieTest, CreateAlert) {
  auto p = Opsgenie();
  std::optional<HttpRequest> r = p->Render(MakeNotification(NotifyEvent::kTriggered));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->method, "POST");
  EXPECT_EQ(r->url, "https://api.opsgenie.com/v2/alerts");
  EXPECT_EQ(HeaderOf(*r, "Content-Type"), "application/json");
  ExpectKeyOnlyInHeader(*r);
  simdjson::dom::parser parser;
  auto doc = Parse(parser, r->body);
  EXPECT_EQ(Str(doc["message"]), "postgres down in eu1");
  EXPECT_EQ(Str(doc["alias"]), std::string(kIncidentId) + "-og");  // one alias per receiver
  EXPECT_EQ(Str(doc["priority"]), "P1");
  EXPECT_EQ(Str(doc["source"]), "incidentd");
  EXPECT_EQ(Str(doc["user"]), "incidentd");
  EXPECT_EQ(Str(doc["entity"]), "{cluster=\"eu1\", service=\"postgres\"}");
  EXPECT_FALSE(Has(doc["note"]));  // the first page needs no note
  std::string description = Str(doc["description"]);
  EXPECT_NE(description.find("2 of 2 alerts firing"), std::string::npos) << description;
  EXPECT_NE(description.find("- [firing] PostgresDown {cluster=\"eu1\", instance=\"db-0\", service=\"postgres\"}: "
                             "Postgres on db-0 is down"),
            std::string::npos)
      << description;
  EXPECT_NE(description.find(std::string(kExternalUrl) + "/api/v1/incidents/"), std::string::npos);
  auto tags = doc["tags"];
  ASSERT_EQ(Size(tags), 3u);
  EXPECT_EQ(Str(tags.at(0)), "database");
  EXPECT_EQ(Str(tags.at(1)), "cluster:eu1");
  EXPECT_EQ(Str(tags.at(2)), "service:postgres");
  auto details = doc["details"];
  EXPECT_EQ(Str(details["incident"]), kIncidentId);
  EXPECT_EQ(Str(details["state"]), "triggered");
  EXPECT_EQ(Str(details["rule"]), "database");
  EXPECT_EQ(Str(details["policy"]), "db-oncall");
  EXPECT_EQ(Str(details["event"]), "triggered");
  EXPECT_EQ(Str(details["alerts_firing"]), "2");
  EXPECT_EQ(Str(details["link"]), std::string(kExternalUrl) + "/api/v1/incidents/" + std::string(kIncidentId));
  simdjson::dom::object map;
  ASSERT_EQ(details.get_object().get(map), simdjson::SUCCESS);
  for (auto [key, value] : map) EXPECT_TRUE(value.is_string()) << key;  // a string map
}

TEST(OpsgenieTest, NotesTellWhyItIsSentAgain) {
  auto p = Opsgenie();
  const std::pair<NotifyEvent, std::string> cases[] = {
      {NotifyEvent::kEscalated, "escalated to step 2: nobody acknowledged in time; 2 of 2 alerts firing"},
      {NotifyEvent::kUpdated, "updated: 2 of 2 alerts firing"},
      {NotifyEvent::kRepeated, "reminder: still unacknowledged; 2 of 2 alerts firing"},
      {NotifyEvent::kReopened, "reopened: it fired again; 2 of 2 alerts firing"},
  };
  for (const auto& [event, note] : cases) {
    std::optional<HttpRequest> r = p->Render(MakeNotification(event));
    ASSERT_TRUE(r);
    EXPECT_EQ(r->url, "https://api.opsgenie.com/v2/alerts");
    simdjson::dom::parser parser;
    auto doc = Parse(parser, r->body);
    EXPECT_EQ(Str(doc["note"]), note);
    EXPECT_EQ(Str(doc["details"]["event"]), NotifyEventName(event));
  }
}

TEST(OpsgenieTest, AcknowledgeAndCloseByEncodedAlias) {
  auto p = Opsgenie({{"url", "https://api.eu.opsgenie.com/"}, {"source", "prod"}});
  auto s = MakeSnapshot();
  s->id = "inc/1 ?&#%";
  s->acknowledged_by = "alice";
  s->resolved_by = "bob";
  std::optional<HttpRequest> ack = p->Render(MakeNotification(NotifyEvent::kAcknowledged, s));
  ASSERT_TRUE(ack);
  EXPECT_EQ(ack->url,
            "https://api.eu.opsgenie.com/v2/alerts/inc%2F1%20%3F%26%23%25-og/acknowledge?identifierType=alias");
  ExpectKeyOnlyInHeader(*ack);
  simdjson::dom::parser parser;
  auto doc = Parse(parser, ack->body);
  EXPECT_EQ(Str(doc["user"]), "incidentd");
  EXPECT_EQ(Str(doc["source"]), "prod");
  EXPECT_EQ(Str(doc["note"]), "acknowledged by alice");

  std::optional<HttpRequest> close = p->Render(MakeNotification(NotifyEvent::kResolved, s));
  ASSERT_TRUE(close);
  EXPECT_EQ(close->url, "https://api.eu.opsgenie.com/v2/alerts/inc%2F1%20%3F%26%23%25-og/close?identifierType=alias");
  ExpectKeyOnlyInHeader(*close);
  simdjson::dom::parser parser2;
  auto closed = Parse(parser2, close->body);
  EXPECT_EQ(Str(closed["note"]), "resolved by bob");
  EXPECT_EQ(Str(closed["user"]), "incidentd");
}

TEST(OpsgenieTest, LimitsOfMessageDescriptionAndTags) {
  auto p = Opsgenie({{"tags", "team-db, prod ,, " + std::string(80, 't')}, {"entity", "db-cluster"}});
  auto s = MakeSnapshot(IncidentSnapshot::kMaxAlerts);
  for (AlertSnapshot& a : s->alerts) a.annotations = {{"summary", std::string(400, 's')}};
  s->alerts_total = 400;
  s->title = std::string(200, 'T');
  for (int i = 0; i < 30; ++i) s->group_labels.emplace_back("l" + std::to_string(10 + i), "v");
  std::optional<HttpRequest> r = p->Render(MakeNotification(NotifyEvent::kTriggered, s));
  simdjson::dom::parser parser;
  auto doc = Parse(parser, r->body);
  std::string message = Str(doc["message"]);
  EXPECT_EQ(Chars(message), 130u);
  EXPECT_TRUE(message.ends_with("\u2026"));
  std::string description = Str(doc["description"]);
  EXPECT_LE(Chars(description), 15000u);
  EXPECT_NE(description.find("more alerts not shown"), std::string::npos);
  auto tags = doc["tags"];
  ASSERT_EQ(Size(tags), 20u);
  EXPECT_EQ(Str(tags.at(0)), "team-db");
  EXPECT_EQ(Str(tags.at(1)), "prod");
  EXPECT_EQ(Str(tags.at(2)), std::string(50, 't'));
  for (size_t i = 0; i < 20; ++i) EXPECT_LE(Chars(Str(tags.at(i))), 50u);
  EXPECT_EQ(Str(doc["entity"]), "db-cluster");
}

TEST(OpsgenieTest, JudgeRedactsTheKey) {
  auto p = Opsgenie();
  HttpResponse r;
  r.status = 401;
  r.body = R"({"message":"Key format is not valid: )" + kKey + R"(","took":0.0,"requestId":"x"})";
  Judgement j = p->Judge(r, Time{});
  EXPECT_EQ(j.verdict, Verdict::kFailed);
  EXPECT_EQ(j.error, "HTTP 401: Key format is not valid: <redacted>");
}

}  // namespace
}  // namespace incidentd::pagers
