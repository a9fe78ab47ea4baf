// Table-driven golden tests: every tests/testdata/decode/<format>/[<mapping>/]NAME.json is decoded and its rendering
// compared with NAME.golden. Cases named limits_* decode with SmallLimits(). See golden.h.
#include <gtest/gtest.h>

#include <cctype>
#include <filesystem>
#include <ostream>
#include <string>
#include <vector>

#include "decode/factory.h"
#include "decode/generic_decoder.h"
#include "decode/golden.h"
#include "decode/test_mappings.h"

namespace incidentd::decode::testing {
namespace {

namespace fs = std::filesystem;

const fs::path kRoot = fs::path(INCIDENTD_TESTDATA) / "decode";

Limits SmallLimits() {
  Limits l;
  l.max_alerts = 3;
  l.max_labels = 4;
  l.max_annotations = 2;
  l.max_name_bytes = 16;
  l.max_label_value_bytes = 32;
  l.max_annotation_value_bytes = 64;
  return l;
}

struct GoldenCase {
  AlertFormat format;
  std::string mapping;  // generic only
  std::string name;

  fs::path dir() const {
    fs::path d = kRoot / std::string(FormatName(format));
    return mapping.empty() ? d : d / mapping;
  }
};

void PrintTo(const GoldenCase& c, std::ostream* os) { *os << (c.dir() / c.name).string(); }

std::vector<GoldenCase> AllCases() {
  std::vector<GoldenCase> cases;
  for (AlertFormat f : {AlertFormat::kPrometheus, AlertFormat::kAlertmanagerWebhook, AlertFormat::kPagerDuty}) {
    for (const std::string& name : CaseNames(kRoot / std::string(FormatName(f)))) cases.push_back({f, "", name});
  }
  for (const auto& entry : fs::directory_iterator(kRoot / "generic")) {
    if (!entry.is_directory()) continue;
    std::string mapping = entry.path().filename().string();
    for (const std::string& name : CaseNames(entry.path())) cases.push_back({AlertFormat::kGeneric, mapping, name});
  }
  return cases;
}

std::string CaseTestName(const ::testing::TestParamInfo<GoldenCase>& info) {
  std::string s(FormatName(info.param.format));
  if (!info.param.mapping.empty()) s += "_" + info.param.mapping;
  s += "_" + info.param.name;
  for (char& c : s) {
    if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
  }
  return s;
}

class GoldenTest : public ::testing::TestWithParam<GoldenCase> {};

TEST_P(GoldenTest, MatchesGolden) {
  const GoldenCase& c = GetParam();
  const Limits limits = c.name.rfind("limits_", 0) == 0 ? SmallLimits() : Limits();
  std::unique_ptr<Decoder> decoder;
  if (c.format == AlertFormat::kGeneric) {
    std::optional<GenericMapping> mapping = TestMapping(c.mapping);
    ASSERT_TRUE(mapping) << "no test mapping named " << c.mapping << " (tests/decode/test_mappings.h)";
    decoder = MakeGenericDecoder(*mapping, limits);
  } else {
    decoder = MakeDecoder(c.format, limits);
  }
  const std::string body = ReadFile(c.dir() / (c.name + ".json"));
  const std::string got = RenderOutcome(DecodeText(*decoder, body));
  // Decoding is deterministic and keeps no state: a second run gives the same.
  EXPECT_EQ(got, RenderOutcome(DecodeText(*decoder, body)));

  const fs::path golden = c.dir() / (c.name + ".golden");
  if (UpdateGolden()) {
    WriteFile(golden, got);
    return;
  }
  ASSERT_TRUE(fs::exists(golden)) << golden << " is missing; run with INCIDENTD_UPDATE_GOLDEN=1 and review it";
  EXPECT_EQ(got, ReadFile(golden)) << "case " << (c.dir() / c.name).string();
}

INSTANTIATE_TEST_SUITE_P(Decode, GoldenTest, ::testing::ValuesIn(AllCases()), CaseTestName);

TEST(GoldenFilesTest, EveryGoldenHasItsInput) {
  for (const auto& entry : fs::recursive_directory_iterator(kRoot)) {
    if (entry.path().extension() != ".golden") continue;
    fs::path input = entry.path();
    input.replace_extension(".json");
    EXPECT_TRUE(fs::exists(input)) << entry.path() << " has no input";
  }
}

}  // namespace
}  // namespace incidentd::decode::testing
