#include "model/json_writer.h"

#include <gtest/gtest.h>

#include "incidentd/label_set.h"
#include "model/query_string.h"

namespace incidentd {
namespace {

TEST(JsonWriterTest, WritesNestedValuesWithCommas) {
  std::string out;
  JsonWriter w(out);
  w.BeginObject().Field("a", "x").Key("b").BeginArray().Int(-1).Uint(2).Bool(true).Null().EndArray();
  w.Key("c").BeginObject().EndObject().EndObject();
  EXPECT_EQ(out, R"({"a":"x","b":[-1,2,true,null],"c":{}})");
}

TEST(JsonWriterTest, Escapes) {
  std::string out;
  JsonWriter::AppendEscaped(out, "q\"b\\n\nt\t\x01\x1f é");
  EXPECT_EQ(out, "\"q\\\"b\\\\n\\nt\\t\\u0001\\u001f é\"");
}

TEST(SymbolTableTest, InternsAndReleases) {
  SymbolTable t;
  std::vector<Label> a = {{"alertname", "Up"}, {"job", "node"}};
  std::vector<Label> b = {{"alertname", "Up"}, {"job", "api"}};
  LabelSet sa = t.Build(a);
  LabelSet sb = t.Build(b);
  EXPECT_EQ(t.size(), 5u);                              // alertname, Up, job, node, api
  EXPECT_EQ(sa.labels()[0].name, sb.labels()[0].name);  // same symbol
  EXPECT_TRUE(sa.Equals(a));
  EXPECT_FALSE(sa.Equals(b));
  EXPECT_EQ(sb.Get("job"), "api");
  t.Release(sa);
  EXPECT_EQ(t.size(), 4u);  // "node" gone, the rest still used by sb
  t.Release(sb);
  EXPECT_EQ(t.size(), 0u);
  EXPECT_EQ(t.bytes(), 0u);
}

TEST(QueryStringTest, FindsAndDecodes) {
  std::string_view v;
  EXPECT_TRUE(QueryParam("a=1&active=false&b", "active", &v));
  EXPECT_EQ(v, "false");
  EXPECT_TRUE(QueryParam("a=1&b", "b", &v));
  EXPECT_EQ(v, "");
  EXPECT_FALSE(QueryParam("a=1", "active", &v));
  std::string d;
  EXPECT_TRUE(PercentDecode("alertname%3D%22x%22+y", &d));
  EXPECT_EQ(d, "alertname=\"x\" y");
  EXPECT_FALSE(PercentDecode("%4", &d));
  EXPECT_FALSE(PercentDecode("%zz", &d));
}

}  // namespace
}  // namespace incidentd
