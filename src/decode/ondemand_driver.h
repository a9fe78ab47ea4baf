// DecodeOndemand: the frame every on-demand decoder runs in.
//
// It takes the thread's parser, runs simdjson's stage 1 over the body, hands the document to the format's parse
// function, and turns what goes wrong into FieldErrors:
//  - a JSON error the parse function cannot step over (it returns the code) becomes "body" / index -1
//    "malformed JSON at byte N: <simdjson's message>";
//  - content after the top-level value becomes "body" / index -1 "trailing content after the JSON value at byte N";
//  - invalid UTF-8, which simdjson reports for the whole body without a position, is made precise: the body is copied
//    with every invalid byte replaced by kBadByteMark and decoded again in UTF-8 check mode, where each string holding
//    the mark is reported with its field and alert; if none of the decoded fields held one, "body" gets
//    "not valid UTF-8 at byte N".
//
// Thread rule: call on any thread; uses that thread's parser.
#pragma once

#include <simdjson.h>

#include "decode/batch_builder.h"
#include "decode/decoder.h"

namespace incidentd::decode {

// Reads the document into the builder. Returns SUCCESS after reading the whole top-level value (or after
// builder.Stop()), else the simdjson error that ended the reading. Semantic problems go to the builder, not into the
// return value.
using ParseDocumentFn = simdjson::error_code (*)(const void* decoder, simdjson::ondemand::document& doc,
                                                 BatchBuilder& builder);

DecodeOutcome DecodeOndemand(simdjson::padded_string_view body, AlertFormat format, const Limits& limits,
                             const void* decoder, ParseDocumentFn parse);

}  // namespace incidentd::decode
