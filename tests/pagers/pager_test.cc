// The pieces every pager shares: Judge, Retry-After, MakePager's checks, text cutting, digests.
#include "pagers/pager.h"

#include <gtest/gtest.h>

#include "pager_fixture.h"
#include "pagers/digest.h"
#include "pagers/receiver_settings.h"
#include "pagers/render_support.h"

namespace incidentd::pagers {
namespace {

using fixture::At;
using fixture::Chars;
using fixture::Context;
using fixture::Make;
using fixture::Receiver;

HttpResponse Answer(int status, std::string body = "", HttpHeaders headers = {}) {
  HttpResponse r;
  r.status = status;
  r.body = std::move(body);
  r.headers = std::move(headers);
  return r;
}

TEST(JudgeTest, VerdictsAndRetryAfter) {
  auto p = Make(Receiver("hook", "webhook", {{"url", "https://hooks.example/in"}}));
  const Time now = At("2026-01-02T15:00:00Z");
  struct Case {
    HttpResponse answer;
    Verdict verdict;
    Duration retry_after;
    std::string error;
  };
  const Case cases[] = {
      {Answer(202, R"({"status":"success"})"), Verdict::kDelivered, Duration(0), ""},
      {Answer(200, "ok"), Verdict::kDelivered, Duration(0), ""},
      {Answer(204), Verdict::kDelivered, Duration(0), ""},
      {Answer(400, "bad\nrequest"), Verdict::kFailed, Duration(0), "HTTP 400: bad request"},
      {Answer(404), Verdict::kFailed, Duration(0), "HTTP 404"},
      {Answer(301, "", {{"Location", "https://elsewhere/"}}), Verdict::kFailed, Duration(0), "HTTP 301"},
      {Answer(429, "slow down", {{"retry-after", "7"}}), Verdict::kRetry, std::chrono::seconds(7),
       "HTTP 429: slow down"},
      {Answer(503, "", {{"Retry-After", "Fri, 02 Jan 2026 15:01:30 GMT"}}), Verdict::kRetry, std::chrono::seconds(90),
       "HTTP 503"},
      {Answer(500), Verdict::kRetry, Duration(0), "HTTP 500"},
      {Answer(502, "<html>gateway</html>"), Verdict::kRetry, Duration(0), "HTTP 502: <html>gateway</html>"},
  };
  for (const Case& c : cases) {
    Judgement j = p->Judge(c.answer, now);
    EXPECT_EQ(j.verdict, c.verdict) << c.answer.status;
    EXPECT_EQ(j.retry_after, c.retry_after) << c.answer.status;
    EXPECT_EQ(j.error, c.error) << c.answer.status;
  }
}

TEST(JudgeTest, JsonErrorsAreSummarisedAndLongBodiesCut) {
  auto p = Make(Receiver("hook", "webhook", {{"url", "https://hooks.example/in"}}));
  Judgement j = p->Judge(Answer(422, R"({"message":"Request body is not processable. Please check the errors.",)"
                                     R"("errors":{"message":"Message can not be empty."},"took":0.001})"),
                         Time{});
  EXPECT_EQ(j.error,
            "HTTP 422: Request body is not processable. Please check the errors.: message: Message can not "
            "be empty.");
  // Cut at 300 bytes without splitting a character.
  j = p->Judge(Answer(400, std::string(299, 'x') + "\xc3\xa9" + std::string(100, 'y')), Time{});
  EXPECT_EQ(j.error, "HTTP 400: " + std::string(299, 'x'));
  // A body that is not UTF-8 (a proxy's Latin-1 page) still gives valid UTF-8, on one line; UTF-8 is kept.
  j = p->Judge(Answer(502,
                      "Gateway \xe9\xe8 error\r\nr\xc3\xa9"
                      "essayez \xed\xa0\x80 \xf0\x9f\x94\xa5"),
               Time{});
  EXPECT_EQ(j.error,
            "HTTP 502: Gateway ?? error  r\xc3\xa9"
            "essayez ??? \xf0\x9f\x94\xa5");
}

TEST(ParseRetryAfterTest, SecondsAndHttpDates) {
  const Time now = At("1994-11-06T08:49:00Z");
  EXPECT_EQ(ParseRetryAfter("120", now), std::chrono::seconds(120));
  EXPECT_EQ(ParseRetryAfter(" 5 ", now), std::chrono::seconds(5));
  EXPECT_EQ(ParseRetryAfter("0", now), Duration(0));
  EXPECT_EQ(ParseRetryAfter("-1", now), Duration(0));
  EXPECT_EQ(ParseRetryAfter("", now), Duration(0));
  EXPECT_EQ(ParseRetryAfter("soon", now), Duration(0));
  EXPECT_EQ(ParseRetryAfter("12s", now), Duration(0));
  EXPECT_EQ(ParseRetryAfter("99999999999999999999999", now), std::chrono::hours(24));
  EXPECT_EQ(ParseRetryAfter("1000000", now), std::chrono::hours(24));
  EXPECT_EQ(ParseRetryAfter("Sun, 06 Nov 1994 08:49:37 GMT", now), std::chrono::seconds(37));
  EXPECT_EQ(ParseRetryAfter("Sunday, 06-Nov-94 08:49:37 GMT", now), std::chrono::seconds(37));
  EXPECT_EQ(ParseRetryAfter("Sun Nov  6 08:49:37 1994", now), std::chrono::seconds(37));
  EXPECT_EQ(ParseRetryAfter("Sun, 06 Nov 1994 08:48:00 GMT", now), Duration(0));  // in the past
  EXPECT_EQ(ParseRetryAfter("Sun, 31 Nov 1994 08:49:37 GMT", now), Duration(0));  // no such day
  EXPECT_EQ(ParseRetryAfter("Sun, 06 Nov 1994 25:49:37 GMT", now), Duration(0));
  EXPECT_EQ(ParseRetryAfter("Sun, 06 Nov 9999 08:49:37 GMT", now), Duration(0));  // beyond 64-bit nanoseconds
}

TEST(MakePagerTest, BuildsEachType) {
  struct Case {
    config::ReceiverConfig rc;
    std::string type;
  };
  const Case cases[] = {
      {Receiver("pd", "pagerduty", {{"routing_key", "0123456789abcdef0123456789abcdef"}}), "pagerduty"},
      {Receiver("og", "opsgenie", {{"api_key", "eb243592-faa2-4ba2-a551q-1afdf565c889"}}), "opsgenie"},
      {Receiver("hook", "webhook", {{"url", "http://127.0.0.1:9/in"}, {"timeout", "5s"}}), "webhook"},
      {Receiver("chat", "slack", {{"url", "https://hooks.slack.com/services/T0/B0/XYZ"}}), "slack"},
  };
  for (const Case& c : cases) {
    auto p = Make(c.rc);
    ASSERT_NE(p, nullptr) << c.type;
    EXPECT_EQ(p->type(), c.type);
    EXPECT_EQ(p->name(), c.rc.name);
  }
}

// Every error names the receiver and the key, never a value.
TEST(MakePagerTest, ErrorsNameTheKeyNeverTheValue) {
  const std::string secret = "s3cr3t";
  struct Case {
    config::ReceiverConfig rc;
    std::string want;
  };
  const Case cases[] = {
      {Receiver("pd", "pagerduty", {}), "receivers pd: routing_key: required"},
      {Receiver("pd", "pagerduty", {{"routing_key", secret + "\n"}}),
       "receivers pd: routing_key: must not contain spaces or control characters"},
      {Receiver("pd", "pagerduty", {{"routing_key_file", "/etc/" + secret}}),
       "receivers pd: routing_key_file: not read (the configuration loader replaces it by its file's content)"},
      {Receiver("pd", "pagerduty", {{"routing_key", secret}, {"url", "ftp://" + secret}}),
       "receivers pd: url: must be an http:// or https:// URL"},
      {Receiver("pd", "pagerduty", {{"routing_key", secret}, {"url", "https:///" + secret}}),
       "receivers pd: url: has no host"},
      {Receiver("pd", "pagerduty", {{"routing_key", secret}, {"url", "https://u:" + secret + "@h/"}}),
       "receivers pd: url: user information (user@host) is not supported"},
      {Receiver("pd", "pagerduty", {{"routing_key", secret}, {"url", "https://h:99999/" + secret}}),
       "receivers pd: url: has an invalid port"},
      {Receiver("pd", "pagerduty", {{"routing_key", secret}, {"url", "https://h/" + secret + " x"}}),
       "receivers pd: url: must not contain spaces or control characters"},
      {Receiver("pd", "pagerduty", {{"routing_key", secret}, {"rate_limit", "fast"}}),
       "receivers pd: rate_limit: must be a whole number from 0 to 100000"},
      {Receiver("pd", "pagerduty", {{"routing_key", secret}, {"timeout", "soon"}}),
       "receivers pd: timeout: not a duration (use forms like 30s, 5m, 1h30m)"},
      {Receiver("pd", "pagerduty", {{"routing_key", secret}, {"timeout", "0s"}}),
       "receivers pd: timeout: must be more than 0s"},
      {Receiver("pd", "pagerduty", {{"routing_key", secret}, {"channel", "#x"}}),
       "receivers pd: channel: unknown key for type pagerduty"},
      {Receiver("og", "opsgenie", {{"api_key", secret}, {"url", "https://api.eu.opsgenie.com/?k=" + secret}}),
       "receivers og: url: must be the API's base URL (like https://api.eu.opsgenie.com), without ? or #"},
      {Receiver("og", "opsgenie", {{"api_key", secret + " x"}}),
       "receivers og: api_key: must not contain spaces or control characters"},
      {Receiver("hook", "webhook", {{"hmac_secret", secret}}), "receivers hook: url: required"},
      {Receiver("hook", "webhook", {{"url", "https://h/?token=" + secret}, {"hmac_secret", ""}}),
       "receivers hook: hmac_secret: is empty"},
      {Receiver("chat", "slack", {{"url", "hooks.slack.com/services/" + secret}}),
       "receivers chat: url: must be an http:// or https:// URL"},
      {Receiver("chat", "slack", {{"url_file", "/etc/" + secret}}),
       "receivers chat: url_file: not read (the configuration loader replaces it by its file's content)"},
      {Receiver("x", secret, {{"url", "https://h/"}}),
       "receivers x: type: must be one of pagerduty, opsgenie, "
       "webhook, slack"},
  };
  for (const Case& c : cases) {
    Result<std::unique_ptr<Pager>> p = MakePager(c.rc, Context());
    ASSERT_FALSE(p.ok()) << c.want;
    EXPECT_EQ(p.status().message(), c.want);
    EXPECT_EQ(p.status().message().find(secret), std::string::npos) << p.status().message();
  }
}

TEST(MakePagerTest, UrlsAccepted) {
  for (const char* url : {"http://127.0.0.1:9/x", "https://HOST.example", "HTTPS://h:443/a?b=c#d", "http://[::1]:8080/",
                          "https://events.eu.pagerduty.com/v2/enqueue"}) {
    EXPECT_EQ(CheckHttpUrl(url), "") << url;
  }
  EXPECT_EQ(CheckHttpUrl("http://[::1/"), "has an unterminated IPv6 address");
  EXPECT_EQ(CheckHttpUrl("http://h:/"), "has an invalid port");
}

TEST(RenderSupportTest, CutCharsKeepsUtf8Whole) {
  EXPECT_EQ(CutChars("short", 10), "short");
  EXPECT_EQ(CutChars("exactly10!", 10), "exactly10!");
  EXPECT_EQ(CutChars("exactly 11!", 10), "exactly 1\u2026");
  std::string accents;
  for (int i = 0; i < 20; ++i) accents += "\xc3\xa9";  // é, 2 bytes
  std::string cut = CutChars(accents, 10);
  EXPECT_EQ(Chars(cut), 10u);
  EXPECT_EQ(cut.substr(0, 18), accents.substr(0, 18));
  EXPECT_EQ(CutChars(accents, 10, ""), accents.substr(0, 20));
  EXPECT_EQ(CutBytes("a\xc3\xa9", 2), "a");
  EXPECT_EQ(CutBytes("a\xc3\xa9", 3), "a\xc3\xa9");
  EXPECT_EQ(CutBytes("\xf0\x9f\x94\xa5x", 3), "");
}

TEST(RenderSupportTest, ActionsLinksAndLabels) {
  EXPECT_EQ(ActionOf(NotifyEvent::kTriggered), Action::kTrigger);
  EXPECT_EQ(ActionOf(NotifyEvent::kReopened), Action::kTrigger);
  EXPECT_EQ(ActionOf(NotifyEvent::kEscalated), Action::kTrigger);
  EXPECT_EQ(ActionOf(NotifyEvent::kUpdated), Action::kTrigger);
  EXPECT_EQ(ActionOf(NotifyEvent::kRepeated), Action::kTrigger);
  EXPECT_EQ(ActionOf(NotifyEvent::kAcknowledged), Action::kAcknowledge);
  EXPECT_EQ(ActionOf(NotifyEvent::kResolved), Action::kResolve);
  EXPECT_EQ(IncidentUrl("https://i.example/", "01AB"), "https://i.example/api/v1/incidents/01AB");
  EXPECT_EQ(IncidentUrl("", "01AB"), "");
  EXPECT_EQ(PercentEncode("a/b c?d%e~f"), "a%2Fb%20c%3Fd%25e~f");
  EXPECT_EQ(FormatLabels({{"alertname", "High\"Lat"}, {"job", "a\\b"}}), "{alertname=\"High\\\"Lat\", job=\"a\\\\b\"}");
  EXPECT_EQ(FormatLabels({}), "{}");
  EXPECT_EQ(PriorityName(1), "P1");
  EXPECT_EQ(PriorityName(9), "P5");
}

// RFC 4231, test case 2.
TEST(DigestTest, KnownAnswers) {
  EXPECT_EQ(HmacSha256Hex("Jefe", "what do ya want for nothing?"),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
  // echo -n '{"a":1}' | openssl dgst -sha256 -hmac 's3cr3t-hmac'
  EXPECT_EQ(HmacSha256Hex("s3cr3t-hmac", R"({"a":1})"),
            "37ce0c7cf1673fa413fbafca6430680ad6248ab9e965e133cc4f1cbd4913f3ed");
  EXPECT_EQ(Sha256Hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

}  // namespace
}  // namespace incidentd::pagers
