#include "decode/generic_values.h"

#include <charconv>
#include <cmath>
#include <cstdint>
#include <optional>

#include "model/rfc3339.h"

namespace incidentd::decode {
namespace {

using simdjson::dom::element_type;

// What 64-bit nanoseconds hold: the years 1678 to 2262 (as ParseRfc3339).
constexpr int64_t kMaxSeconds = INT64_MAX / 1000000000 - 1;
constexpr int64_t kMinSeconds = -kMaxSeconds;

std::optional<Time> FromSeconds(double s) {
  if (!std::isfinite(s) || s < static_cast<double>(kMinSeconds) || s > static_cast<double>(kMaxSeconds)) {
    return std::nullopt;
  }
  // Whole seconds and the fraction apart: a double's nanoseconds since 1970 would lose the last digits.
  double whole = std::floor(s);
  auto nanos = static_cast<int64_t>(std::llround((s - whole) * 1e9));
  return FromUnixNanos(static_cast<int64_t>(whole) * 1000000000 + nanos);
}

}  // namespace

Found At(simdjson::dom::element base, const std::string& pointer, simdjson::dom::element& out) {
  if (pointer.empty()) {
    out = base;
  } else if (base.at_pointer(pointer).get(out) != simdjson::SUCCESS) {
    return Found::kAbsent;
  }
  return out.is_null() ? Found::kAbsent : Found::kValue;
}

Found ScalarText(simdjson::dom::element e, ScalarBuffer& buf, std::string_view& out) {
  char* begin = buf.data;
  char* end = buf.data + sizeof buf.data;
  std::to_chars_result r{begin, std::errc()};
  switch (e.type()) {
    case element_type::STRING:
      out = e.get_string().value_unsafe();
      return Found::kValue;
    case element_type::INT64:
      r = std::to_chars(begin, end, e.get_int64().value_unsafe());
      break;
    case element_type::UINT64:
      r = std::to_chars(begin, end, e.get_uint64().value_unsafe());
      break;
    case element_type::DOUBLE:
      r = std::to_chars(begin, end, e.get_double().value_unsafe());  // shortest round-trip form
      break;
    case element_type::BOOL:
      out = e.get_bool().value_unsafe() ? "true" : "false";
      return Found::kValue;
    case element_type::NULL_VALUE:
      return Found::kAbsent;
    case element_type::ARRAY:
    case element_type::OBJECT:
      return Found::kWrongType;
  }
  out = std::string_view(begin, static_cast<size_t>(r.ptr - begin));
  return Found::kValue;
}

Found TimeValue(simdjson::dom::element e, Time& out) {
  std::optional<Time> t;
  switch (e.type()) {
    case element_type::STRING:
      t = ParseRfc3339(e.get_string().value_unsafe());
      if (t && *t == kZeroTime) return Found::kAbsent;
      break;
    case element_type::INT64: {
      int64_t s = e.get_int64().value_unsafe();
      if (s >= kMinSeconds && s <= kMaxSeconds) t = FromUnixNanos(s * 1000000000);
      break;
    }
    case element_type::UINT64:
      break;  // beyond 2262
    case element_type::DOUBLE:
      t = FromSeconds(e.get_double().value_unsafe());
      break;
    case element_type::NULL_VALUE:
      return Found::kAbsent;
    default:
      break;
  }
  if (!t) return Found::kWrongType;
  out = *t;
  return Found::kValue;
}

}  // namespace incidentd::decode
