#include "decode/decoder.h"

namespace incidentd::decode {

std::string FieldError::ToString() const {
  std::string s;
  if (index >= 0) {
    s.append("alert ").append(std::to_string(index)).append(": ");
  }
  if (!field.empty()) s.append(field).append(": ");
  s.append(reason);
  return s;
}

std::string DecodeOutcome::Summary() const {
  if (errors.empty()) return "ok";
  std::string s = errors.front().ToString();
  size_t rest = errors.size() - 1 + more_errors;
  if (rest > 0) s.append(" (and ").append(std::to_string(rest)).append(rest == 1 ? " more error)" : " more errors)");
  return s;
}

void DecodeOutcome::AddError(int64_t index, std::string field, std::string reason) {
  if (errors.size() >= kMaxErrors) {
    ++more_errors;
    return;
  }
  errors.push_back({index, std::move(field), std::move(reason)});
}

}  // namespace incidentd::decode
