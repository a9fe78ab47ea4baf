// GenericDecoder specifics beyond the golden cases: mapping validation and the resolve_timeout rules.
#include "decode/generic_decoder.h"

#include <gtest/gtest.h>

#include <chrono>
#include <string>

#include "decode/golden.h"
#include "decode/validate.h"

namespace incidentd::decode::testing {
namespace {

GenericMapping Simple() {
  GenericMapping m;
  m.name = "simple";
  m.labels = {{"alertname", "/name"}};
  m.ends_at = "/ends";
  return m;
}

AlertInput DecodeOne(const GenericMapping& m, const std::string& body) {
  GenericDecoder decoder(m, Limits());
  DecodeOutcome out = DecodeText(decoder, body);
  EXPECT_TRUE(out.ok()) << out.Summary();
  EXPECT_EQ(out.batch.format_label(), "generic:simple");
  return out.batch.empty() ? AlertInput() : out.batch.alerts()[0];
}

TEST(GenericDecoderTest, ResolveTimeoutRules) {
  GenericMapping m = Simple();
  AlertInput a = DecodeOne(m, R"({"name":"A"})");
  EXPECT_EQ(a.ends_kind, EndsAtKind::kTimeout);
  EXPECT_EQ(a.resolve_timeout, Duration::zero());  // the engine's default

  m.resolve_timeout = std::chrono::minutes(10);
  m.resolve_timeout_set = true;
  a = DecodeOne(m, R"({"name":"A"})");
  EXPECT_EQ(a.ends_kind, EndsAtKind::kTimeout);
  EXPECT_EQ(a.resolve_timeout, std::chrono::minutes(10));

  m.resolve_timeout = Duration::zero();
  a = DecodeOne(m, R"({"name":"A"})");
  EXPECT_EQ(a.ends_kind, EndsAtKind::kNever);

  a = DecodeOne(m, R"({"name":"A","ends":1767366245})");
  EXPECT_EQ(a.ends_kind, EndsAtKind::kGiven);
  EXPECT_EQ(a.ends_at, FromUnixNanos(1767366245LL * 1000000000));
}

TEST(GenericDecoderTest, JsonPointers) {
  EXPECT_TRUE(IsValidJsonPointer(""));
  EXPECT_TRUE(IsValidJsonPointer("/a~1b/c~0d"));
  EXPECT_FALSE(IsValidJsonPointer("alerts"));
  EXPECT_FALSE(IsValidJsonPointer("/a~2"));
  EXPECT_FALSE(IsValidJsonPointer("/a~"));
}

TEST(GenericDecoderTest, PointerEscapes) {
  GenericMapping m = Simple();
  m.labels = {{"alertname", "/a~1b/c~0d"}};
  AlertInput a = DecodeOne(m, R"({"a/b":{"c~d":"found"}})");
  EXPECT_EQ(a.labels_count, 1u);
}

}  // namespace
}  // namespace incidentd::decode::testing
