#include "pagers/pager.h"

#include <simdjson.h>

#include <array>
#include <charconv>
#include <chrono>

#include "pagers/render_support.h"

namespace incidentd::pagers {
namespace {

constexpr size_t kMaxErrorDetail = 300;  // bytes of a response body kept in a Judgement's error
constexpr Duration kMaxRetryAfter = std::chrono::hours(24);
constexpr std::string_view kRedacted = "<redacted>";

// Control characters (a body's newlines) become spaces, so the error stays one line in logs and dead letters.
// Control characters become spaces and bytes that are not UTF-8 (a proxy's Latin-1 error page) '?', so the error is
// one line of valid JSON text in the API.
std::string OneLine(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size();) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c < 0x80) {
      out += (c < 0x20 || c == 0x7f) ? ' ' : static_cast<char>(c);
      ++i;
      continue;
    }
    // The length of a well-formed sequence led by c, and the range its second byte must fall in (RFC 3629).
    size_t len = 0;
    unsigned char lo = 0x80, hi = 0xbf;
    if (c >= 0xc2 && c <= 0xdf) {
      len = 2;
    } else if (c >= 0xe0 && c <= 0xef) {
      len = 3;
      if (c == 0xe0) lo = 0xa0;
      if (c == 0xed) hi = 0x9f;
    } else if (c >= 0xf0 && c <= 0xf4) {
      len = 4;
      if (c == 0xf0) lo = 0x90;
      if (c == 0xf4) hi = 0x8f;
    }
    bool ok = len > 0 && i + len <= s.size();
    for (size_t k = 1; ok && k < len; ++k) {
      const auto b = static_cast<unsigned char>(s[i + k]);
      ok = k == 1 ? (b >= lo && b <= hi) : (b >= 0x80 && b <= 0xbf);
    }
    if (ok) {
      out.append(s.substr(i, len));
      i += len;
    } else {
      out += '?';
      ++i;
    }
  }
  return out;
}

// From a JSON error body: "<message>: <errors...>", with errors an array of strings (PagerDuty) or an object of
// strings (Opsgenie's 422). Empty when the body is not such an object.
std::string JsonErrorDetail(std::string_view body) {
  size_t start = body.find_first_not_of(" \t\r\n");
  if (start == std::string_view::npos || body[start] != '{') return "";
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  if (parser.parse(body.data(), body.size()).get(doc) != simdjson::SUCCESS) return "";
  simdjson::dom::object obj;
  if (doc.get_object().get(obj) != simdjson::SUCCESS) return "";
  std::string out;
  std::string_view text;
  if (obj["message"].get_string().get(text) == simdjson::SUCCESS) out = std::string(text);
  std::string errors;
  auto add = [&errors](std::string_view e) { errors += (errors.empty() ? "" : "; ") + std::string(e); };
  simdjson::dom::array arr;
  simdjson::dom::object map;
  if (obj["errors"].get_array().get(arr) == simdjson::SUCCESS) {
    for (simdjson::dom::element e : arr) {
      if (e.get_string().get(text) == simdjson::SUCCESS) add(text);
    }
  } else if (obj["errors"].get_object().get(map) == simdjson::SUCCESS) {
    for (auto [key, value] : map) {
      if (value.get_string().get(text) == simdjson::SUCCESS) add(std::string(key) + ": " + std::string(text));
    }
  }
  if (!errors.empty()) out += (out.empty() ? "" : ": ") + errors;
  return out;
}

// "Nov" -> 1..12, 0 when not a month's abbreviation.
unsigned MonthNumber(std::string_view s) {
  static constexpr std::array<std::string_view, 12> kMonths{"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                                            "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  for (size_t i = 0; i < kMonths.size(); ++i) {
    if (s == kMonths[i]) return static_cast<unsigned>(i + 1);
  }
  return 0;
}

bool ParseNumber(std::string_view s, int* out) {
  if (s.empty() || s.size() > 4) return false;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), *out);
  return ec == std::errc() && end == s.data() + s.size();
}

// An HTTP-date in any of its three forms:
//   IMF-fixdate  "Sun, 06 Nov 1994 08:49:37 GMT"
//   RFC 850      "Sunday, 06-Nov-94 08:49:37 GMT"
//   asctime      "Sun Nov  6 08:49:37 1994"
// The weekday is ignored. The first number is the day, the second the year, in every form.
std::optional<Time> ParseHttpDate(std::string_view s) {
  std::vector<std::string_view> tokens;
  size_t i = 0;
  while (i < s.size()) {
    while (i < s.size() && (s[i] == ' ' || s[i] == ',' || s[i] == '-')) ++i;
    size_t j = i;
    while (j < s.size() && s[j] != ' ' && s[j] != ',' && s[j] != '-') ++j;
    if (j > i) tokens.push_back(s.substr(i, j - i));
    i = j;
  }
  if (tokens.size() < 5) return std::nullopt;
  int numbers[2] = {-1, -1};
  size_t numbers_seen = 0;
  unsigned month = 0;
  int hour = -1, minute = -1, second = -1;
  bool year_digits_two = false;
  for (size_t t = 1; t < tokens.size(); ++t) {  // tokens[0] is the weekday
    std::string_view tok = tokens[t];
    if (tok == "GMT") continue;
    if (tok.size() == 8 && tok[2] == ':' && tok[5] == ':') {
      if (!ParseNumber(tok.substr(0, 2), &hour) || !ParseNumber(tok.substr(3, 2), &minute) ||
          !ParseNumber(tok.substr(6, 2), &second)) {
        return std::nullopt;
      }
      continue;
    }
    if (unsigned m = MonthNumber(tok); m != 0) {
      month = m;
      continue;
    }
    int n;
    if (!ParseNumber(tok, &n) || numbers_seen == 2) return std::nullopt;
    if (numbers_seen == 1) year_digits_two = tok.size() == 2;
    numbers[numbers_seen++] = n;
  }
  if (numbers_seen != 2 || month == 0 || hour < 0 || hour > 23 || minute > 59 || second > 60) return std::nullopt;
  int year = numbers[1];
  if (year_digits_two) year += year < 70 ? 2000 : 1900;
  if (year < 1970 || year > 2200) return std::nullopt;  // 64-bit nanoseconds end in 2262
  std::chrono::year_month_day ymd{std::chrono::year(year), std::chrono::month(month),
                                  std::chrono::day(static_cast<unsigned>(numbers[0]))};
  if (!ymd.ok()) return std::nullopt;
  auto at = std::chrono::sys_days(ymd) + std::chrono::hours(hour) + std::chrono::minutes(minute) +
            std::chrono::seconds(second);
  return std::chrono::time_point_cast<Duration>(at);
}

}  // namespace

Judgement Pager::Judge(const HttpResponse& r, Time now) const {
  Judgement j;
  if (r.status >= 200 && r.status < 300) return j;
  j.verdict = (r.status == 429 || r.status >= 500) ? Verdict::kRetry : Verdict::kFailed;
  j.retry_after = ParseRetryAfter(r.Header("Retry-After"), now);
  std::string detail = JsonErrorDetail(r.body);
  if (detail.empty()) detail = r.body;
  // Redact before cutting, so that no prefix of a secret survives at the cut.
  detail = OneLine(CutBytes(Redact(std::move(detail)), kMaxErrorDetail));
  while (!detail.empty() && detail.back() == ' ') detail.pop_back();
  j.error = "HTTP " + std::to_string(r.status) + (detail.empty() ? "" : ": " + detail);
  return j;
}

void Pager::AddSecret(std::string_view secret) {
  if (secret.size() >= 4) secrets_.emplace_back(secret);
}

std::string Pager::Redact(std::string text) const {
  for (const std::string& secret : secrets_) {
    for (size_t pos = text.find(secret); pos != std::string::npos; pos = text.find(secret, pos)) {
      text.replace(pos, secret.size(), kRedacted);
      pos += kRedacted.size();
    }
  }
  return text;
}

Duration ParseRetryAfter(std::string_view value, Time now) {
  while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) value.remove_prefix(1);
  while (!value.empty() && (value.back() == ' ' || value.back() == '\t')) value.remove_suffix(1);
  if (value.empty()) return Duration(0);
  Duration wait{0};
  if (value.front() >= '0' && value.front() <= '9') {
    int64_t seconds = 0;
    auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), seconds);
    if (end != value.data() + value.size()) return Duration(0);
    // A number too large for int64 is out of range: that is a long wait, capped below.
    if (ec == std::errc::result_out_of_range) return kMaxRetryAfter;
    if (ec != std::errc()) return Duration(0);
    if (seconds > std::chrono::duration_cast<std::chrono::seconds>(kMaxRetryAfter).count()) return kMaxRetryAfter;
    wait = std::chrono::seconds(seconds);
  } else {
    std::optional<Time> at = ParseHttpDate(value);
    if (!at || *at <= now) return Duration(0);
    wait = *at - now;
  }
  return std::min(wait, kMaxRetryAfter);
}

}  // namespace incidentd::pagers
