// The problems' JSON. The engine fills its Problems as incidents recur; here, an engine without problems lists none,
// and one problem renders with every field.
#include "api/problems_api.h"

#include <gtest/gtest.h>

#include <simdjson.h>

#include <string>

namespace incidentd::api {
namespace {

const Time kT0 = FromUnixNanos(1'780'000'000'000'000'000LL);  // 2026-05-28T20:26:40Z

TEST(ProblemsRenderTest, NoProblemsIsAnEmptyList) {
  engine::Engine without_rule({}, {});
  EXPECT_EQ(RenderProblems(without_rule), "[]");

  engine::RuleSet rules;
  rules.problems.recurrences = 3;
  engine::Engine with_rule({}, rules);
  EXPECT_EQ(RenderProblems(with_rule), "[]");
  EXPECT_EQ(with_rule.problems().Find("01KNOSUCHPROBLEM0000000000"), nullptr);
}

TEST(ProblemsRenderTest, AProblemShowsItsKeyTimesAndIncidentsOldestFirst) {
  engine::Engine e({}, {});
  engine::Problem p;
  p.id = "01KPROBLEM0000000000000000";
  p.group_key = 42;
  p.rule = "database";
  p.group_labels = {{"cluster", "eu1"}, {"service", "postgres"}};
  p.first_seen = kT0;
  p.last_seen = kT0 + std::chrono::hours(30) + std::chrono::milliseconds(250);
  p.incidents = {"01KINCIDENT000000000000001", "01KINCIDENT000000000000002", "01KINCIDENT000000000000003"};

  const std::string json = RenderProblem(e, p);
  EXPECT_EQ(json,
            R"({"id":"01KPROBLEM0000000000000000","rule":"database",)"
            R"("group_labels":{"cluster":"eu1","service":"postgres"},"count":3,)"
            R"("first_seen":"2026-05-28T20:26:40.000Z","last_seen":"2026-05-30T02:26:40.250Z",)"
            R"("incidents":["01KINCIDENT000000000000001","01KINCIDENT000000000000002","01KINCIDENT000000000000003"]})");
  simdjson::dom::parser parser;
  simdjson::dom::element doc = parser.parse(json);  // valid JSON
  EXPECT_EQ(uint64_t(doc["count"]), 3u);
}

TEST(ProblemsRenderTest, AProblemWithoutGroupLabelsHasAnEmptyObject) {
  engine::Engine e({}, {});
  engine::Problem p;
  p.id = "01KPROBLEM0000000000000001";
  p.rule = "everything";
  p.first_seen = kT0;
  p.last_seen = kT0;
  p.incidents = {"01KINCIDENT000000000000001"};
  simdjson::dom::parser parser;
  simdjson::dom::element doc = parser.parse(RenderProblem(e, p));
  EXPECT_EQ(doc["group_labels"].get_object().size(), 0u);
  EXPECT_EQ(uint64_t(doc["count"]), 1u);
}

}  // namespace
}  // namespace incidentd::api
