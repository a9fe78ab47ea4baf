#include "decode/generic_decoder.h"

#include <vector>

#include "decode/batch_builder.h"
#include "decode/generic_values.h"
#include "decode/json_support.h"
#include "decode/validate.h"

namespace incidentd::decode {
namespace {

using simdjson::dom::element;

// Labels gathered before precedence is applied; values point into the DOM or the batch's arena.
using Pairs = std::vector<Label>;

// Reused by every alert the thread decodes, so gathering allocates nothing in the steady state.
thread_local Pairs tl_pairs;

bool Has(const Pairs& pairs, size_t count, std::string_view name) {
  for (size_t i = 0; i < count; ++i) {
    if (pairs[i].name == name) return true;
  }
  return false;
}

// The text of a scalar, kept in the batch's arena when it was formatted (numbers, booleans).
Found StoredScalar(element e, BatchBuilder& builder, std::string_view& out) {
  ScalarBuffer buf;
  Found found = ScalarText(e, buf, out);
  if (found == Found::kValue && out.data() == buf.data) out = builder.batch().Store(out);
  return found;
}

// The `names -> pointers` map: objects and arrays are errors; nothing, null and empty text leave the name out.
void Mapped(element alert, const std::vector<std::pair<std::string, std::string>>& map, std::string_view kind,
            bool keep_empty, BatchBuilder& builder, Pairs& out) {
  for (const auto& [name, pointer] : map) {
    element e;
    std::string_view text;
    if (At(alert, pointer, e) != Found::kValue) continue;
    Found found = StoredScalar(e, builder, text);
    if (found == Found::kWrongType) {
      builder.Error(FieldPath(kind, name), "must be a string, number or boolean, not an object or array");
      if (kind == "labels") builder.CountUnreadableLabel();
    } else if (found == Found::kValue && (keep_empty || !text.empty())) {
      out.push_back({name, text});
    }
  }
}

// The scalar members of the object at `pointer`, for names the explicit map (out[0, explicit_count)) did not set.
void MembersOf(element alert, const std::string& pointer, std::string_view field, bool keep_empty,
               BatchBuilder& builder, Pairs& out) {
  if (pointer.empty()) return;
  element e;
  if (At(alert, pointer, e) != Found::kValue) return;
  simdjson::dom::object obj;
  if (e.get_object().get(obj) != simdjson::SUCCESS) {
    builder.Error(std::string(field), "must be an object");
    if (field == "labels_from") builder.CountUnreadableLabel();
    return;
  }
  const size_t explicit_count = out.size();
  for (simdjson::dom::key_value_pair member : obj) {
    std::string_view text;
    if (StoredScalar(member.value, builder, text) != Found::kValue) continue;  // nested values are skipped
    if ((keep_empty || !text.empty()) && !Has(out, explicit_count, member.key)) out.push_back({member.key, text});
  }
}

// Reads a time field; reports a wrong one. Returns kZeroTime when absent or wrong.
Time TimeField(element alert, const std::string& pointer, std::string_view field, BatchBuilder& builder) {
  element e;
  Time t = kZeroTime;
  if (pointer.empty() || At(alert, pointer, e) != Found::kValue) return kZeroTime;
  if (e.is_string() && !builder.CheckUtf8(e.get_string().value_unsafe(), field)) return kZeroTime;
  if (TimeValue(e, t) == Found::kWrongType) {
    builder.Error(std::string(field), "not an RFC 3339 time or Unix seconds");
    return kZeroTime;
  }
  return t;
}

}  // namespace

GenericDecoder::GenericDecoder(const GenericMapping& mapping, const Limits& limits)
    : mapping_(mapping), limits_(limits), name_("generic:" + mapping.name) {}

DecodeOutcome GenericDecoder::Decode(simdjson::padded_string_view body) const {
  DomParserLease lease(body.size());
  DecodeOutcome out = NewOutcome(AlertFormat::kGeneric, body.size());
  out.batch.set_format_label(name_);
  element root;
  // The body is padded (Decoder's REQUIRES), so simdjson need not copy it.
  simdjson::error_code error = lease.parser().parse(body.data(), body.size(), false).get(root);
  if (error == simdjson::SUCCESS) {
    BatchBuilder builder(out, limits_, /*check_utf8=*/false);
    DecodeDocument(root, builder);
    out.batch.Seal();
    return out;
  }
  if (error != simdjson::UTF8_ERROR) {
    out.AddError(-1, "body", JsonError(error, std::string_view(body.data(), body.size()), std::string::npos));
    return out;
  }
  // See ondemand_driver.h: decode a copy with the bad bytes marked, to name the fields that hold them.
  simdjson::padded_string copy(body.data(), body.size());
  size_t first_bad = ReplaceInvalidUtf8(copy.data(), copy.size());
  DecodeOutcome checked = NewOutcome(AlertFormat::kGeneric, body.size());
  checked.batch.set_format_label(name_);
  BatchBuilder builder(checked, limits_, /*check_utf8=*/true);
  error = lease.parser().parse(copy.data(), copy.size(), false).get(root);
  if (error == simdjson::SUCCESS) {
    DecodeDocument(root, builder);
  } else if (error != simdjson::UTF8_ERROR) {
    checked.AddError(-1, "body", JsonError(error, std::string_view(copy.data(), copy.size()), std::string::npos));
  }
  if (!builder.reported_utf8()) checked.AddError(-1, "body", InvalidUtf8Body(first_bad));
  checked.batch.Seal();
  return checked;
}

void GenericDecoder::DecodeDocument(element root, BatchBuilder& builder) const {
  element alerts;
  if (At(root, mapping_.alerts, alerts) != Found::kValue) {
    builder.BodyError("alerts", "nothing found at \"" + ForDisplay(mapping_.alerts) + "\"");
    return;
  }
  simdjson::dom::array list;
  if (alerts.get_array().get(list) == simdjson::SUCCESS) {
    if (!builder.CheckAlertCount(list.size(), "alerts")) return;
    int64_t index = 0;
    for (element alert : list) {
      if (alert.is_object()) {
        DecodeAlert(alert, index, builder);
      } else {
        builder.ErrorAt(index, "", "must be a JSON object");
      }
      ++index;
    }
  } else if (alerts.is_object()) {
    DecodeAlert(alerts, 0, builder);
  } else {
    builder.BodyError("alerts", "must be an array or an object");
  }
}

void GenericDecoder::DecodeAlert(element alert, int64_t index, BatchBuilder& builder) const {
  AlertInput& a = builder.Begin(index);
  AddLabels(alert, builder);
  AddAnnotations(alert, builder);

  bool resolved = false;
  element e;
  if (!mapping_.status.empty() && At(alert, mapping_.status, e) == Found::kValue) {
    ScalarBuffer buf;
    std::string_view status;
    if (ScalarText(e, buf, status) == Found::kWrongType) {
      builder.Error("status", "must be a string, number or boolean, not an object or array");
    } else if (builder.CheckUtf8(status, "status")) {
      for (const std::string& v : mapping_.resolved_values) resolved |= status == v;
    }
  }
  const Time starts_at = TimeField(alert, mapping_.starts_at, "starts_at", builder);
  const Time ends_at = TimeField(alert, mapping_.ends_at, "ends_at", builder);
  if (starts_at != kZeroTime && ends_at != kZeroTime && ends_at < starts_at) {
    builder.Error("ends_at", "start time must be before end time");
  }
  if (!mapping_.generator_url.empty() && At(alert, mapping_.generator_url, e) == Found::kValue) {
    ScalarBuffer buf;
    std::string_view url;
    if (ScalarText(e, buf, url) == Found::kWrongType) {
      builder.Error("generator_url", "must be a string, number or boolean, not an object or array");
    } else {
      builder.GeneratorUrl(a, url, "generator_url");
    }
  }

  a.starts_at = starts_at;
  if (resolved) {
    a.action = AlertAction::kResolve;
    a.ends_kind = EndsAtKind::kGiven;
    a.ends_at = ends_at;
  } else if (ends_at != kZeroTime) {
    a.action = AlertAction::kFire;
    a.ends_kind = EndsAtKind::kGiven;
    a.ends_at = ends_at;
  } else if (mapping_.resolve_timeout_set && mapping_.resolve_timeout == Duration::zero()) {
    a.action = AlertAction::kFire;
    a.ends_kind = EndsAtKind::kNever;
  } else {
    a.action = AlertAction::kFire;
    a.ends_kind = EndsAtKind::kTimeout;
    a.resolve_timeout = mapping_.resolve_timeout;
  }
  builder.Finish();
}

void GenericDecoder::AddLabels(element alert, BatchBuilder& builder) const {
  Pairs& labels = tl_pairs;
  labels.clear();
  Mapped(alert, mapping_.labels, "labels", /*keep_empty=*/false, builder, labels);
  MembersOf(alert, mapping_.labels_from, "labels_from", /*keep_empty=*/false, builder, labels);
  const size_t mapped = labels.size();
  for (const auto& [name, value] : mapping_.static_labels) {
    if (!Has(labels, mapped, name)) labels.push_back({name, value});
  }
  for (const Label& l : labels) builder.Label(l.name, l.value);
}

void GenericDecoder::AddAnnotations(element alert, BatchBuilder& builder) const {
  Pairs& annotations = tl_pairs;
  annotations.clear();
  Mapped(alert, mapping_.annotations, "annotations", /*keep_empty=*/true, builder, annotations);
  MembersOf(alert, mapping_.annotations_from, "annotations_from", /*keep_empty=*/true, builder, annotations);
  for (const Label& l : annotations) builder.Annotation(l.name, l.value);
}

}  // namespace incidentd::decode
