#include "decode/json_support.h"

#include <cstdint>

namespace incidentd::decode {
namespace {

thread_local simdjson::ondemand::parser tl_ondemand_parser;
thread_local simdjson::dom::parser tl_dom_parser;

std::string AtByte(std::string text, size_t offset) {
  if (offset != std::string::npos) text.append(" at byte ").append(std::to_string(offset));
  return text;
}

bool IsSpace(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

enum class Shape : uint8_t { kComplete, kTrailing, kUnclosed };

// Matches brackets (outside strings) to find where the first top-level array or object ends; *trailing is the offset
// of the first non-space byte after it.
Shape ShapeOf(std::string_view body, size_t* trailing) {
  int depth = 0;
  bool in_string = false;
  size_t i = 0;
  for (; i < body.size(); ++i) {
    char c = body[i];
    if (in_string) {
      if (c == '\\') {
        ++i;
      } else if (c == '"') {
        in_string = false;
      }
    } else if (c == '"') {
      in_string = true;
    } else if (c == '[' || c == '{') {
      ++depth;
    } else if ((c == ']' || c == '}') && --depth <= 0) {
      break;
    }
  }
  if (i >= body.size()) return depth > 0 ? Shape::kUnclosed : Shape::kComplete;
  for (++i; i < body.size(); ++i) {
    if (!IsSpace(body[i])) {
      *trailing = i;
      return Shape::kTrailing;
    }
  }
  return Shape::kComplete;
}

}  // namespace

OndemandParserLease::OndemandParserLease(size_t document_size)
    : parser_(tl_ondemand_parser), document_size_(document_size) {}

OndemandParserLease::~OndemandParserLease() {
  if (document_size_ > kLargeDocument) parser_ = simdjson::ondemand::parser();
}

DomParserLease::DomParserLease(size_t document_size) : parser_(tl_dom_parser), document_size_(document_size) {}

DomParserLease::~DomParserLease() {
  if (document_size_ > kLargeDocument) parser_ = simdjson::dom::parser();
}

std::string MalformedJson(simdjson::error_code error, size_t offset) {
  std::string s = AtByte("malformed JSON", offset);
  s.append(": ").append(simdjson::error_message(error));
  return s;
}

std::string JsonError(simdjson::error_code error, std::string_view body, size_t offset) {
  if (error == simdjson::TAPE_ERROR || error == simdjson::INCOMPLETE_ARRAY_OR_OBJECT) {
    size_t trailing = std::string::npos;
    switch (ShapeOf(body, &trailing)) {
      case Shape::kTrailing:
        return TrailingContent(trailing);
      case Shape::kUnclosed:
        return MalformedJson(simdjson::INCOMPLETE_ARRAY_OR_OBJECT, std::string::npos);
      case Shape::kComplete:
        break;
    }
  }
  return MalformedJson(error, offset);
}

std::string InvalidUtf8Body(size_t offset) { return AtByte("not valid UTF-8", offset); }

std::string TrailingContent(size_t offset) { return AtByte("trailing content after the JSON value", offset); }

}  // namespace incidentd::decode
