#include "decode/prom_alert_reader.h"

#include <string_view>

#include "decode/json_skip.h"
#include "decode/validate.h"
#include "model/rfc3339.h"

namespace incidentd::decode {
namespace {

using simdjson::SUCCESS;
using simdjson::ondemand::field;
using simdjson::ondemand::object;
using simdjson::ondemand::value;

enum class MapKind : uint8_t { kLabels, kAnnotations };

// The name of a label or annotation key. Plain names (the usual case) are taken from the raw JSON without a copy,
// and *valid is set when the scan proved the name valid; anything else is unescaped and left to the builder.
simdjson::error_code KeyName(field& f, std::string_view& name, bool* valid) {
  const char* raw = f.key().raw();
  size_t n = 0;
  while (kNameChar[static_cast<unsigned char>(raw[n])]) ++n;
  if (raw[n] == '"') {
    name = std::string_view(raw, n);
    *valid = n > 0 && !(raw[0] >= '0' && raw[0] <= '9');
    return SUCCESS;
  }
  *valid = false;
  return f.unescaped_key().get(name);
}

simdjson::error_code ReadMap(value v, MapKind kind, BatchBuilder& builder) {
  const std::string_view kind_name = kind == MapKind::kLabels ? "labels" : "annotations";
  object obj;
  if (auto e = v.get_object().get(obj); e != SUCCESS) {
    if (e != simdjson::INCORRECT_TYPE) return e;
    builder.Error(std::string(kind_name), "must be an object");
    if (kind == MapKind::kLabels) builder.CountUnreadableLabel();
    return SkipValue(v);
  }
  for (auto member : obj) {
    field f;
    if (auto e = std::move(member).get(f); e != SUCCESS) return e;
    std::string_view name;
    bool valid_name;
    if (auto e = KeyName(f, name, &valid_name); e != SUCCESS) return e;
    std::string_view text;
    if (auto e = f.value().get_string().get(text); e != SUCCESS) [[unlikely]] {
      if (e != simdjson::INCORRECT_TYPE) return e;
      builder.Error(FieldPath(kind_name, name), "must be a string");
      if (kind == MapKind::kLabels) builder.CountUnreadableLabel();
      if (auto skipped = SkipValue(f.value()); skipped != SUCCESS) return skipped;
      continue;
    }
    if (kind == MapKind::kLabels) {
      if (valid_name) {
        builder.LabelWithValidName(name, text);
      } else {
        builder.Label(name, text);
      }
    } else if (valid_name) {
      builder.AnnotationWithValidName(name, text);
    } else {
      builder.Annotation(name, text);
    }
  }
  return SUCCESS;
}

// A string field that may be null. Sets *present; a wrong type is reported and leaves *present false.
simdjson::error_code ReadString(value& v, std::string_view field_name, BatchBuilder& builder, std::string_view& text,
                                bool& present) {
  present = false;
  auto e = v.get_string().get(text);
  if (e == SUCCESS) {
    present = builder.CheckUtf8(text, field_name);
    return SUCCESS;
  }
  if (e != simdjson::INCORRECT_TYPE) return e;
  if (IsNull(v)) return SUCCESS;
  builder.Error(std::string(field_name), "must be a string");
  return SkipValue(v);
}

simdjson::error_code ReadTime(value v, std::string_view field_name, BatchBuilder& builder, Time& out) {
  std::string_view text;
  bool present;
  if (auto e = ReadString(v, field_name, builder, text, present); e != SUCCESS || !present) return e;
  std::optional<Time> t = ParseRfc3339(text);
  if (!t) {
    builder.Error(std::string(field_name), "not an RFC 3339 time");
    return SUCCESS;
  }
  out = *t;  // Go's zero time stays kZeroTime: absent
  return SUCCESS;
}

simdjson::error_code ReadStatus(value v, BatchBuilder& builder, PromStatus& out) {
  std::string_view text;
  bool present;
  if (auto e = ReadString(v, "status", builder, text, present); e != SUCCESS || !present) return e;
  if (text == "firing") {
    out = PromStatus::kFiring;
  } else if (text == "resolved") {
    out = PromStatus::kResolved;
  } else {
    builder.Error("status", "must be \"firing\" or \"resolved\", not \"" + ForDisplay(text) + "\"");
  }
  return SUCCESS;
}

// True the first time; a repeated field is reported and skipped (JSON allows it, but which one wins is unclear).
bool FirstTime(bool& seen, std::string_view field_name, BatchBuilder& builder) {
  if (seen) {
    builder.Error(std::string(field_name), "duplicate field");
    return false;
  }
  seen = true;
  return true;
}

enum class Member : uint8_t { kOther, kLabels, kAnnotations, kStartsAt, kEndsAt, kGeneratorUrl, kStatus };

// The member a key names: dispatch on the first byte, then compare the raw key (no unescaping, no copy).
Member Classify(simdjson::ondemand::raw_json_string key, PromDialect dialect) {
  switch (key.raw()[0]) {
    case 'l':
      return key.unsafe_is_equal("labels") ? Member::kLabels : Member::kOther;
    case 'a':
      return key.unsafe_is_equal("annotations") ? Member::kAnnotations : Member::kOther;
    case 's':
      if (key.unsafe_is_equal("startsAt")) return Member::kStartsAt;
      if (dialect == PromDialect::kAlertmanagerWebhook && key.unsafe_is_equal("status")) return Member::kStatus;
      return Member::kOther;
    case 'e':
      return key.unsafe_is_equal("endsAt") ? Member::kEndsAt : Member::kOther;
    case 'g':
      return key.unsafe_is_equal("generatorURL") ? Member::kGeneratorUrl : Member::kOther;
    default:
      return Member::kOther;
  }
}

}  // namespace

simdjson::error_code ReadPromAlert(object& obj, PromDialect dialect, BatchBuilder& builder, AlertInput& alert,
                                   PromAlert& out) {
  bool seen_labels = false, seen_annotations = false;
  for (auto member : obj) {
    field f;
    if (auto e = std::move(member).get(f); e != SUCCESS) return e;
    simdjson::error_code e = SUCCESS;
    switch (Classify(f.key(), dialect)) {
      case Member::kLabels:
        e = FirstTime(seen_labels, "labels", builder) ? ReadMap(f.value(), MapKind::kLabels, builder)
                                                      : SkipValue(f.value());
        break;
      case Member::kAnnotations:
        e = FirstTime(seen_annotations, "annotations", builder) ? ReadMap(f.value(), MapKind::kAnnotations, builder)
                                                                : SkipValue(f.value());
        break;
      case Member::kStartsAt:
        e = ReadTime(f.value(), "startsAt", builder, out.starts_at);
        break;
      case Member::kEndsAt:
        e = ReadTime(f.value(), "endsAt", builder, out.ends_at);
        break;
      case Member::kStatus:
        e = ReadStatus(f.value(), builder, out.status);
        break;
      case Member::kGeneratorUrl: {
        std::string_view url;
        bool present;
        e = ReadString(f.value(), "generatorURL", builder, url, present);
        if (e == SUCCESS && present) builder.GeneratorUrl(alert, url, "generatorURL");
        break;
      }
      case Member::kOther:
        e = SkipValue(f.value());  // read, so that it is validated
        break;
    }
    if (e != SUCCESS) return e;
  }
  return SUCCESS;
}

}  // namespace incidentd::decode
