#include "decode/ondemand_driver.h"

#include "decode/json_support.h"
#include "decode/validate.h"

namespace incidentd::decode {
namespace {

// Offset of the parser's position in the body, or npos when simdjson cannot tell.
size_t Offset(simdjson::ondemand::document& doc, const char* base, size_t size) {
  const char* at = nullptr;
  if (doc.current_location().get(at) != simdjson::SUCCESS || at < base || at > base + size) return std::string::npos;
  return static_cast<size_t>(at - base);
}

// Decodes `body` into `out`; returns the stage-1 error, if any, without reporting it.
simdjson::error_code Run(simdjson::ondemand::parser& parser, simdjson::padded_string_view body, bool check_utf8,
                         const void* decoder, ParseDocumentFn parse, DecodeOutcome& out, BatchBuilder& builder) {
  simdjson::ondemand::document doc;
  if (auto error = parser.iterate(body).get(doc); error != simdjson::SUCCESS) return error;
  simdjson::error_code error = parse(decoder, doc, builder);
  if (error != simdjson::SUCCESS) {
    out.AddError(-1, "body", JsonError(error, body, Offset(doc, body.data(), body.size())));
  } else if (!builder.stopped()) {
    const char* at = nullptr;
    // current_location() is OUT_OF_BOUNDS exactly when every token was consumed.
    if (doc.current_location().get(at) == simdjson::SUCCESS) {
      out.AddError(-1, "body", TrailingContent(static_cast<size_t>(at - body.data())));
    }
  }
  return simdjson::SUCCESS;
}

}  // namespace

DecodeOutcome DecodeOndemand(simdjson::padded_string_view body, AlertFormat format, const Limits& limits,
                             const void* decoder, ParseDocumentFn parse) {
  OndemandParserLease lease(body.size());
  DecodeOutcome out = NewOutcome(format, body.size());
  BatchBuilder builder(out, limits, /*check_utf8=*/false);
  simdjson::error_code error = Run(lease.parser(), body, false, decoder, parse, out, builder);
  if (error == simdjson::SUCCESS) {
    out.batch.Seal();
    return out;
  }
  if (error != simdjson::UTF8_ERROR) {
    out.AddError(-1, "body", MalformedJson(error, std::string::npos));
    return out;
  }

  simdjson::padded_string copy(body.data(), body.size());
  size_t first_bad = ReplaceInvalidUtf8(copy.data(), copy.size());
  DecodeOutcome checked = NewOutcome(format, body.size());
  BatchBuilder checked_builder(checked, limits, /*check_utf8=*/true);
  error = Run(lease.parser(), copy, true, decoder, parse, checked, checked_builder);
  if (error != simdjson::SUCCESS && error != simdjson::UTF8_ERROR) {
    checked.AddError(-1, "body", MalformedJson(error, std::string::npos));
  }
  if (!checked_builder.reported_utf8()) checked.AddError(-1, "body", InvalidUtf8Body(first_bad));
  checked.batch.Seal();
  return checked;
}

}  // namespace incidentd::decode
