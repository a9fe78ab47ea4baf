// Thread-local simdjson parsers and the JSON error texts the decoders share.
//
// Each thread keeps one on-demand parser (Prometheus, Alertmanager webhook, PagerDuty) and one DOM parser (generic
// mappings), so steady-state decoding allocates nothing for parsing. A parser keeps buffers sized for the largest
// document it has seen; after a document larger than kLargeDocument the lease replaces it with a fresh one, so one
// huge request does not pin memory on every I/O thread.
//
// Thread rule: a lease is used on the thread that took it, for one Decode call; do not nest leases of one kind.
#pragma once

#include <simdjson.h>

#include <cstddef>
#include <string>
#include <string_view>

namespace incidentd::decode {

inline constexpr size_t kLargeDocument = 4 << 20;

class OndemandParserLease {
 public:
  explicit OndemandParserLease(size_t document_size);
  ~OndemandParserLease();
  OndemandParserLease(const OndemandParserLease&) = delete;
  OndemandParserLease& operator=(const OndemandParserLease&) = delete;

  simdjson::ondemand::parser& parser() { return parser_; }

 private:
  simdjson::ondemand::parser& parser_;
  size_t document_size_;
};

class DomParserLease {
 public:
  explicit DomParserLease(size_t document_size);
  ~DomParserLease();
  DomParserLease(const DomParserLease&) = delete;
  DomParserLease& operator=(const DomParserLease&) = delete;

  simdjson::dom::parser& parser() { return parser_; }

 private:
  simdjson::dom::parser& parser_;
  size_t document_size_;
};

// "malformed JSON at byte 17: <simdjson's message>"; offset npos leaves the position out.
std::string MalformedJson(simdjson::error_code error, size_t offset);
// The text for a JSON error in `body` at `offset` (npos: unknown). simdjson reports a structure error (TAPE_ERROR,
// INCOMPLETE_ARRAY_OR_OBJECT) both for a body cut short and for content after the top-level value; on that error
// path the body's brackets are matched to tell which: "trailing content after the JSON value at byte N", or
// "malformed JSON: JSON document ended early ...".
std::string JsonError(simdjson::error_code error, std::string_view body, size_t offset);
// "not valid UTF-8 at byte 17" (or without the position), for a body whose bad bytes no decoded field held.
std::string InvalidUtf8Body(size_t offset);
// "trailing content after the JSON value at byte 17".
std::string TrailingContent(size_t offset);

}  // namespace incidentd::decode
