#include "decode/json_skip.h"

namespace incidentd::decode {
namespace {

using simdjson::SUCCESS;
using simdjson::ondemand::json_type;

// Deeper than simdjson's default document depth: such a body is refused anyway.
constexpr int kMaxDepth = 1024;

simdjson::error_code Skip(simdjson::ondemand::value v, int depth);

simdjson::error_code Skip(simdjson::ondemand::value v, int depth) {
  if (depth > kMaxDepth) return simdjson::DEPTH_ERROR;
  json_type type;
  if (auto e = v.type().get(type); e != SUCCESS) return e;
  switch (type) {
    case json_type::object: {
      simdjson::ondemand::object obj;
      if (auto e = v.get_object().get(obj); e != SUCCESS) return e;
      for (auto member : obj) {
        simdjson::ondemand::field f;
        if (auto e = std::move(member).get(f); e != SUCCESS) return e;
        std::string_view key;  // unescaping checks the key's escapes
        if (auto e = f.unescaped_key().get(key); e != SUCCESS) return e;
        if (auto e = Skip(f.value(), depth + 1); e != SUCCESS) return e;
      }
      return SUCCESS;
    }
    case json_type::array: {
      simdjson::ondemand::array arr;
      if (auto e = v.get_array().get(arr); e != SUCCESS) return e;
      for (auto element : arr) {
        simdjson::ondemand::value item;
        if (auto e = std::move(element).get(item); e != SUCCESS) return e;
        if (auto e = Skip(item, depth + 1); e != SUCCESS) return e;
      }
      return SUCCESS;
    }
    case json_type::string: {
      std::string_view s;
      return v.get_string().get(s);
    }
    case json_type::number: {
      simdjson::ondemand::number n;
      return v.get_number().get(n);
    }
    case json_type::boolean: {
      bool b;
      auto e = v.get_bool().get(b);
      return e == simdjson::INCORRECT_TYPE ? simdjson::T_ATOM_ERROR : e;
    }
    case json_type::null:
      return IsNull(v) ? SUCCESS : simdjson::N_ATOM_ERROR;
  }
  return simdjson::TAPE_ERROR;
}

}  // namespace

simdjson::error_code SkipValue(simdjson::ondemand::value v) { return Skip(v, 0); }

bool IsNull(simdjson::ondemand::value& v) {
  bool is_null = false;
  return v.is_null().get(is_null) == SUCCESS && is_null;
}

simdjson::error_code SkipValueRaw(simdjson::ondemand::value v, simdjson::ondemand::document& doc,
                                  std::string_view* raw) {
  json_type type;
  if (auto e = v.type().get(type); e != SUCCESS) return e;
  std::string_view token = v.raw_json_token();  // a scalar's whole text; a container's up to its first token
  if (auto e = Skip(v, 0); e != SUCCESS) return e;
  const char* end = token.data() + token.size();
  if (type == json_type::object || type == json_type::array) {
    // After the container, the parser stands on the token that follows it (a ',' or a closing bracket). (Not so
    // after a number, which simdjson 3.0 reads without moving on: scalars use their token.)
    if (auto e = doc.current_location().get(end); e != SUCCESS) return e;
  }
  const char* begin = token.data();
  while (end > begin && (end[-1] == ' ' || end[-1] == '\t' || end[-1] == '\n' || end[-1] == '\r')) --end;
  *raw = std::string_view(begin, static_cast<size_t>(end - begin));
  return SUCCESS;
}

}  // namespace incidentd::decode
