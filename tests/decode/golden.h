// Golden-file helpers for the decoder tests.
//
// A case is tests/testdata/decode/<format>/[<mapping>/]NAME.json (the request body) and NAME.golden (the expected
// outcome, rendered by RenderOutcome). Adding a case is adding the two files; running the tests with
// INCIDENTD_UPDATE_GOLDEN=1 (re)writes the .golden files, which must then be reviewed.
//
// Rendering, one JSON object per line:
//  ok:     {"ok":true,"format":...,"alerts":N[,"dedup_key":...]}, then one line per alert with its fingerprint,
//          action, ends_kind, starts_at, ends_at (kGiven only), resolve_timeout (kTimeout only), labels,
//          annotations and generator_url (times RFC 3339 with nanoseconds; Go's zero time for "not sent").
//  errors: {"ok":false,"errors":N,"more_errors":M,"summary":...}, then one line per FieldError.
#pragma once

#include <simdjson.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "decode/decoder.h"
#include "model/json_writer.h"
#include "model/rfc3339.h"

namespace incidentd::decode::testing {

inline std::string ReadFile(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

inline void WriteFile(const std::filesystem::path& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
}

inline bool UpdateGolden() {
  const char* v = std::getenv("INCIDENTD_UPDATE_GOLDEN");
  return v != nullptr && std::string(v) == "1";
}

inline std::string_view ActionName(AlertAction a) {
  switch (a) {
    case AlertAction::kFire:
      return "fire";
    case AlertAction::kResolve:
      return "resolve";
    case AlertAction::kAcknowledge:
      return "acknowledge";
  }
  return "?";
}

inline std::string_view EndsKindName(EndsAtKind k) {
  switch (k) {
    case EndsAtKind::kGiven:
      return "given";
    case EndsAtKind::kTimeout:
      return "timeout";
    case EndsAtKind::kNever:
      return "never";
  }
  return "?";
}

inline std::string TimeText(Time t) {
  std::string s;
  AppendRfc3339Nano(s, t);
  return s;
}

inline std::string RenderOutcome(const DecodeOutcome& out) {
  std::string text;
  if (!out.ok()) {
    JsonWriter(text)
        .BeginObject()
        .Key("ok")
        .Bool(false)
        .Key("errors")
        .Uint(out.errors.size())
        .Key("more_errors")
        .Uint(out.more_errors)
        .Field("summary", out.Summary())
        .EndObject();
    text.push_back('\n');
    for (const FieldError& e : out.errors) {
      JsonWriter(text)
          .BeginObject()
          .Key("index")
          .Int(e.index)
          .Field("field", e.field)
          .Field("reason", e.reason)
          .EndObject();
      text.push_back('\n');
    }
    return text;
  }
  const AlertBatch& b = out.batch;
  {
    JsonWriter w(text);
    w.BeginObject().Key("ok").Bool(true).Field("format", b.format_label()).Key("alerts").Uint(b.size());
    if (!out.dedup_key.empty()) w.Field("dedup_key", out.dedup_key);
    w.EndObject();
    text.push_back('\n');
  }
  for (const AlertInput& a : b.alerts()) {
    JsonWriter w(text);
    w.BeginObject()
        .Field("fingerprint", a.fingerprint.ToString())
        .Field("action", ActionName(a.action))
        .Field("ends_kind", EndsKindName(a.ends_kind))
        .Field("starts_at", TimeText(a.starts_at));
    if (a.ends_kind == EndsAtKind::kGiven) w.Field("ends_at", TimeText(a.ends_at));
    if (a.ends_kind == EndsAtKind::kTimeout) w.Key("resolve_timeout_ns").Int(a.resolve_timeout.count());
    w.Key("labels").BeginObject();
    for (const Label& l : b.labels(a)) w.Field(l.name, l.value);
    w.EndObject().Key("annotations").BeginObject();
    for (const Label& l : b.annotations(a)) w.Field(l.name, l.value);
    w.EndObject();
    if (!a.generator_url.empty()) w.Field("generator_url", a.generator_url);
    w.EndObject();
    text.push_back('\n');
  }
  return text;
}

// The NAME of every NAME.json in dir, sorted.
inline std::vector<std::string> CaseNames(const std::filesystem::path& dir) {
  std::vector<std::string> names;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    if (entry.is_regular_file() && entry.path().extension() == ".json") names.push_back(entry.path().stem().string());
  }
  std::sort(names.begin(), names.end());
  return names;
}

inline DecodeOutcome DecodeText(const Decoder& decoder, const std::string& body) {
  simdjson::padded_string padded(body);
  return decoder.Decode(padded);
}

}  // namespace incidentd::decode::testing
