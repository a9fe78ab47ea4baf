#include "model/rfc3339.h"

#include <gtest/gtest.h>

namespace incidentd {
namespace {

TEST(Rfc3339Test, ParsesAndFormats) {
  struct Case {
    const char* in;
    const char* millis;  // nullptr: must not parse
  };
  const Case cases[] = {
      {"2026-01-02T15:04:05Z", "2026-01-02T15:04:05.000Z"},
      {"2026-01-02T15:04:05.123Z", "2026-01-02T15:04:05.123Z"},
      {"2026-01-02T15:04:05.123456789Z", "2026-01-02T15:04:05.123Z"},
      {"2026-01-02t15:04:05z", "2026-01-02T15:04:05.000Z"},
      {"2026-01-02T17:04:05+02:00", "2026-01-02T15:04:05.000Z"},
      {"2026-01-02T13:04:05.5-02:00", "2026-01-02T15:04:05.500Z"},
      {"2024-02-29T00:00:00Z", "2024-02-29T00:00:00.000Z"},
      {"1970-01-01T00:00:00Z", "1970-01-01T00:00:00.000Z"},
      {"0001-01-01T00:00:00Z", "0001-01-01T00:00:00.000Z"},  // Go's zero time: "not set"
      {"2025-02-29T00:00:00Z", nullptr},
      {"2026-13-01T00:00:00Z", nullptr},
      {"2026-01-02 15:04:05Z", nullptr},
      {"2026-01-02T15:04:05", nullptr},
      {"2026-01-02T15:04:05.Z", nullptr},
      {"2026-01-02T15:04:05.1234567891Z", nullptr},
      {"2026-01-02T24:00:00Z", nullptr},
      {"2026-01-02T15:04:05Zjunk", nullptr},
      {"1500-01-01T00:00:00Z", nullptr},
      {"", nullptr},
  };
  for (const Case& c : cases) {
    auto t = ParseRfc3339(c.in);
    if (c.millis == nullptr) {
      EXPECT_FALSE(t.has_value()) << c.in;
      continue;
    }
    ASSERT_TRUE(t.has_value()) << c.in;
    EXPECT_EQ(FormatRfc3339Millis(*t), c.millis) << c.in;
  }
  EXPECT_EQ(*ParseRfc3339("0001-01-01T00:00:00Z"), kZeroTime);
}

TEST(Rfc3339Test, NanoFormatTrimsZeros) {
  std::string s;
  AppendRfc3339Nano(s, *ParseRfc3339("2026-01-02T15:04:05.120Z"));
  EXPECT_EQ(s, "2026-01-02T15:04:05.12Z");
  s.clear();
  AppendRfc3339Nano(s, *ParseRfc3339("2026-01-02T15:04:05Z"));
  EXPECT_EQ(s, "2026-01-02T15:04:05Z");
}

TEST(Rfc3339Test, BeforeEpoch) {
  auto t = ParseRfc3339("1969-12-31T23:59:59.250Z");
  ASSERT_TRUE(t.has_value());
  EXPECT_EQ(ToUnixNanos(*t), -750'000'000);
  EXPECT_EQ(FormatRfc3339Millis(*t), "1969-12-31T23:59:59.250Z");
}

}  // namespace
}  // namespace incidentd
