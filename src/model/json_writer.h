// JsonWriter: appends JSON to a string, escaping as RFC 8259 requires.
//
// A thin, allocation-free-per-value writer for the shapes incidentd emits (API answers, errors, payloads). It tracks
// commas itself; the caller keeps objects and arrays balanced. Strings must be valid UTF-8 (incidentd validates
// everything it stores); control characters are escaped.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "incidentd/clock.h"

namespace incidentd {

class JsonWriter {
 public:
  explicit JsonWriter(std::string& out) : out_(out) {}

  JsonWriter& BeginObject();
  JsonWriter& EndObject();
  JsonWriter& BeginArray();
  JsonWriter& EndArray();
  JsonWriter& Key(std::string_view k);
  JsonWriter& String(std::string_view v);
  JsonWriter& Int(int64_t v);
  JsonWriter& Uint(uint64_t v);
  JsonWriter& Double(double v);
  JsonWriter& Bool(bool v);
  JsonWriter& Null();
  JsonWriter& TimeMillis(Time t);          // "2026-01-02T15:04:05.123Z"
  JsonWriter& Raw(std::string_view json);  // an already-encoded JSON value
  // Key then value, for the common case.
  JsonWriter& Field(std::string_view k, std::string_view v) { return Key(k).String(v); }

  static void AppendEscaped(std::string& out, std::string_view s);

 private:
  void Comma();
  std::string& out_;
  bool need_comma_ = false;
};

}  // namespace incidentd
