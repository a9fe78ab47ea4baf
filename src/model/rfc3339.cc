#include "model/rfc3339.h"

#include <cstdint>

namespace incidentd {
namespace {

// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's days_from_civil).
constexpr int64_t DaysFromCivil(int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<int64_t>(doe) - 719468;
}

struct Civil {
  int64_t y;
  unsigned m, d;
};
constexpr Civil CivilFromDays(int64_t z) {
  z += 719468;
  const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const unsigned doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const int64_t y = static_cast<int64_t>(yoe) + era * 400;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  const unsigned d = doy - (153 * mp + 2) / 5 + 1;
  const unsigned m = mp < 10 ? mp + 3 : mp - 9;
  return {y + (m <= 2), m, d};
}

bool Digits(std::string_view s, size_t pos, size_t n, unsigned& out) {
  if (pos + n > s.size()) return false;
  unsigned v = 0;
  for (size_t i = pos; i < pos + n; ++i) {
    unsigned c = static_cast<unsigned char>(s[i]) - '0';
    if (c > 9) return false;
    v = v * 10 + c;
  }
  out = v;
  return true;
}

unsigned DaysInMonth(unsigned y, unsigned m) {
  static constexpr unsigned kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0)) return 29;
  return kDays[m - 1];
}

void Append2(std::string& out, unsigned v) {
  out.push_back(static_cast<char>('0' + v / 10));
  out.push_back(static_cast<char>('0' + v % 10));
}

// Writes the date and time up to the seconds; returns the nanoseconds within the second.
int64_t AppendDateTime(std::string& out, Time t) {
  if (t == kZeroTime) {
    out.append("0001-01-01T00:00:00");
    return 0;
  }
  int64_t ns = ToUnixNanos(t);
  int64_t secs = ns >= 0 ? ns / 1000000000 : -((-ns + 999999999) / 1000000000);
  int64_t frac = ns - secs * 1000000000;
  int64_t days = secs >= 0 ? secs / 86400 : -((-secs + 86399) / 86400);
  int64_t sod = secs - days * 86400;
  Civil c = CivilFromDays(days);
  unsigned y = static_cast<unsigned>(c.y < 0 ? 0 : (c.y > 9999 ? 9999 : c.y));
  out.push_back(static_cast<char>('0' + y / 1000));
  out.push_back(static_cast<char>('0' + y / 100 % 10));
  Append2(out, y % 100);
  out.push_back('-');
  Append2(out, c.m);
  out.push_back('-');
  Append2(out, c.d);
  out.push_back('T');
  Append2(out, static_cast<unsigned>(sod / 3600));
  out.push_back(':');
  Append2(out, static_cast<unsigned>(sod / 60 % 60));
  out.push_back(':');
  Append2(out, static_cast<unsigned>(sod % 60));
  return frac;
}

}  // namespace

std::optional<Time> ParseRfc3339(std::string_view s) {
  unsigned y, mo, d, h, mi, sec;
  if (s.size() < 20 || !Digits(s, 0, 4, y) || s[4] != '-' || !Digits(s, 5, 2, mo) || s[7] != '-' ||
      !Digits(s, 8, 2, d) || (s[10] != 'T' && s[10] != 't') || !Digits(s, 11, 2, h) || s[13] != ':' ||
      !Digits(s, 14, 2, mi) || s[16] != ':' || !Digits(s, 17, 2, sec)) {
    return std::nullopt;
  }
  if (mo < 1 || mo > 12 || d < 1 || d > DaysInMonth(y, mo) || h > 23 || mi > 59 || sec > 59) return std::nullopt;
  size_t pos = 19;
  int64_t frac_ns = 0;
  if (s[pos] == '.') {
    ++pos;
    size_t start = pos;
    int64_t scale = 100000000;
    while (pos < s.size() && s[pos] >= '0' && s[pos] <= '9') {
      if (pos - start >= 9) return std::nullopt;
      frac_ns += (s[pos] - '0') * scale;
      scale /= 10;
      ++pos;
    }
    if (pos == start) return std::nullopt;
  }
  if (pos >= s.size()) return std::nullopt;
  int64_t offset_s = 0;
  if (s[pos] == 'Z' || s[pos] == 'z') {
    ++pos;
  } else if (s[pos] == '+' || s[pos] == '-') {
    unsigned oh, om;
    if (!Digits(s, pos + 1, 2, oh) || pos + 3 >= s.size() || s[pos + 3] != ':' || !Digits(s, pos + 4, 2, om) ||
        oh > 23 || om > 59) {
      return std::nullopt;
    }
    offset_s = (static_cast<int64_t>(oh) * 3600 + om * 60) * (s[pos] == '-' ? -1 : 1);
    pos += 6;
  } else {
    return std::nullopt;
  }
  if (pos != s.size()) return std::nullopt;
  if (y == 1 && mo == 1 && d == 1 && h == 0 && mi == 0 && sec == 0 && frac_ns == 0 && offset_s == 0) return kZeroTime;
  int64_t secs = DaysFromCivil(y, mo, d) * 86400 + h * 3600 + mi * 60 + sec - offset_s;
  constexpr int64_t kMaxSecs = INT64_MAX / 1000000000 - 1;
  if (secs < -kMaxSecs || secs > kMaxSecs) return std::nullopt;
  return FromUnixNanos(secs * 1000000000 + frac_ns);
}

void AppendRfc3339Millis(std::string& out, Time t) {
  int64_t frac = AppendDateTime(out, t);
  unsigned ms = static_cast<unsigned>(frac / 1000000);
  out.push_back('.');
  out.push_back(static_cast<char>('0' + ms / 100));
  Append2(out, ms % 100);
  out.push_back('Z');
}

void AppendRfc3339Nano(std::string& out, Time t) {
  int64_t frac = AppendDateTime(out, t);
  if (frac != 0) {
    char digits[9];
    for (int i = 8; i >= 0; --i, frac /= 10) digits[i] = static_cast<char>('0' + frac % 10);
    int n = 9;
    while (n > 0 && digits[n - 1] == '0') --n;
    out.push_back('.');
    out.append(digits, n);
  }
  out.push_back('Z');
}

std::string FormatRfc3339Millis(Time t) {
  std::string s;
  AppendRfc3339Millis(s, t);
  return s;
}

}  // namespace incidentd
