#include "decode/batch_builder.h"

namespace incidentd::decode {
namespace {

std::string Longer(std::string_view what, size_t limit, std::string_view limit_name) {
  std::string s(what);
  s.append(" longer than ").append(std::to_string(limit)).append(" bytes (").append(limit_name).append(")");
  return s;
}

}  // namespace

std::string FieldPath(std::string_view prefix, std::string_view name) {
  std::string s(prefix);
  s.push_back('.');
  s.append(ForDisplay(name));
  return s;
}

bool BatchBuilder::CheckedText(std::string_view name, std::string_view value, std::string_view kind,
                               std::string_view field) {
  if (!ContainsBadByteMark(name) && !ContainsBadByteMark(value)) return true;
  reported_utf8_ = true;
  std::string path = field.empty() ? FieldPath(kind, name) : std::string(field);
  Error(std::move(path), ContainsBadByteMark(name) ? "name is not valid UTF-8" : "not valid UTF-8");
  return false;
}

void BatchBuilder::LabelError(std::string_view name, std::string_view value, std::string_view field) {
  std::string path = field.empty() ? FieldPath("labels", name) : std::string(field);
  if (name.size() > limits_.max_name_bytes) {
    Error(path, Longer("name", limits_.max_name_bytes, "max_name_bytes"));
  } else if (!IsValidName(name)) {
    Error(path, "invalid label name");
  }
  if (value.size() > limits_.max_label_value_bytes) {
    Error(std::move(path), Longer("value", limits_.max_label_value_bytes, "max_label_value_bytes"));
  }
}

void BatchBuilder::AnnotationError(std::string_view name, std::string_view value, std::string_view field) {
  std::string path = field.empty() ? FieldPath("annotations", name) : std::string(field);
  if (name.size() > limits_.max_name_bytes) {
    Error(path, Longer("name", limits_.max_name_bytes, "max_name_bytes"));
  } else if (!IsValidName(name)) {
    Error(path, "invalid annotation name");
  }
  if (value.size() > limits_.max_annotation_value_bytes) {
    Error(std::move(path), Longer("value", limits_.max_annotation_value_bytes, "max_annotation_value_bytes"));
  }
}

void BatchBuilder::TooMany(std::string_view field, size_t limit, std::string_view limit_name) {
  std::string reason = "more than ";
  reason.append(std::to_string(limit)).append(" ").append(field).append(" (").append(limit_name).append(")");
  Error(std::string(field), std::move(reason));
}

void BatchBuilder::GeneratorUrl(AlertInput& alert, std::string_view url, std::string_view field) {
  if (!CheckUtf8(url, field)) return;
  if (url.size() > limits_.max_annotation_value_bytes) [[unlikely]] {
    Error(std::string(field), Longer("value", limits_.max_annotation_value_bytes, "max_annotation_value_bytes"));
    return;
  }
  alert.generator_url = batch_.Store(url);
}

void BatchBuilder::Finish() {
  if (labels_seen_ == 0) Error("labels", "at least one label pair required");
  std::string_view duplicate = batch_.Finish(in_order_);
  if (!duplicate.empty()) [[unlikely]] {
    Error(FieldPath("labels", duplicate), "duplicate label name");
  }
  const AlertInput& a = batch_.alerts().back();
  auto annotations = batch_.annotations(a);
  for (size_t i = 1; i < annotations.size(); ++i) {
    if (annotations[i].name == annotations[i - 1].name) [[unlikely]] {
      Error(FieldPath("annotations", annotations[i].name), "duplicate annotation name");
      break;
    }
  }
}

bool BatchBuilder::CheckUtf8(std::string_view s, std::string_view field) {
  if (!check_utf8_ || !ContainsBadByteMark(s)) return true;
  reported_utf8_ = true;
  Error(std::string(field), "not valid UTF-8");
  return false;
}

bool BatchBuilder::CheckAlertCount(size_t count, std::string_view field) {
  if (count <= limits_.max_alerts) return true;
  std::string reason = "more than ";
  reason.append(std::to_string(limits_.max_alerts)).append(" alerts (max_alerts_per_request)");
  BodyError(std::string(field), std::move(reason));
  stopped_ = true;
  return false;
}

}  // namespace incidentd::decode
