#include "model/json_writer.h"

#include <cstdio>

#include "model/rfc3339.h"

namespace incidentd {

void JsonWriter::Comma() {
  if (need_comma_) out_.push_back(',');
}

JsonWriter& JsonWriter::BeginObject() {
  Comma();
  out_.push_back('{');
  need_comma_ = false;
  return *this;
}
JsonWriter& JsonWriter::EndObject() {
  out_.push_back('}');
  need_comma_ = true;
  return *this;
}
JsonWriter& JsonWriter::BeginArray() {
  Comma();
  out_.push_back('[');
  need_comma_ = false;
  return *this;
}
JsonWriter& JsonWriter::EndArray() {
  out_.push_back(']');
  need_comma_ = true;
  return *this;
}
JsonWriter& JsonWriter::Key(std::string_view k) {
  Comma();
  AppendEscaped(out_, k);
  out_.push_back(':');
  need_comma_ = false;
  return *this;
}
JsonWriter& JsonWriter::String(std::string_view v) {
  Comma();
  AppendEscaped(out_, v);
  need_comma_ = true;
  return *this;
}
JsonWriter& JsonWriter::Int(int64_t v) {
  Comma();
  out_.append(std::to_string(v));
  need_comma_ = true;
  return *this;
}
JsonWriter& JsonWriter::Uint(uint64_t v) {
  Comma();
  out_.append(std::to_string(v));
  need_comma_ = true;
  return *this;
}
JsonWriter& JsonWriter::Double(double v) {
  Comma();
  char buf[32];
  int n = std::snprintf(buf, sizeof buf, "%.17g", v);
  out_.append(buf, n);
  need_comma_ = true;
  return *this;
}
JsonWriter& JsonWriter::Bool(bool v) {
  Comma();
  out_.append(v ? "true" : "false");
  need_comma_ = true;
  return *this;
}
JsonWriter& JsonWriter::Null() {
  Comma();
  out_.append("null");
  need_comma_ = true;
  return *this;
}
JsonWriter& JsonWriter::TimeMillis(Time t) {
  Comma();
  out_.push_back('"');
  AppendRfc3339Millis(out_, t);
  out_.push_back('"');
  need_comma_ = true;
  return *this;
}
JsonWriter& JsonWriter::Raw(std::string_view json) {
  Comma();
  out_.append(json);
  need_comma_ = true;
  return *this;
}

void JsonWriter::AppendEscaped(std::string& out, std::string_view s) {
  static constexpr char kHex[] = "0123456789abcdef";
  out.push_back('"');
  size_t run = 0;  // start of the pending run of bytes that need no escape
  for (size_t i = 0; i < s.size(); ++i) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    if (c >= 0x20 && c != '"' && c != '\\') continue;
    out.append(s.data() + run, i - run);
    run = i + 1;
    switch (c) {
      case '"':
        out.append("\\\"");
        break;
      case '\\':
        out.append("\\\\");
        break;
      case '\n':
        out.append("\\n");
        break;
      case '\r':
        out.append("\\r");
        break;
      case '\t':
        out.append("\\t");
        break;
      default:
        out.append("\\u00");
        out.push_back(kHex[c >> 4]);
        out.push_back(kHex[c & 0xf]);
    }
  }
  out.append(s.data() + run, s.size() - run);
  out.push_back('"');
}

}  // namespace incidentd
