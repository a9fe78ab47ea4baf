#include "incidentd/label.h"

#include "incidentd/alert.h"
#include "incidentd/alert_batch.h"

namespace incidentd {

Fingerprint Fingerprint::Of(std::span<const Label> labels) {
  FingerprintBuilder b;
  for (const Label& l : labels) b.Add(l.name, l.value);
  return b.Finish();
}

std::optional<Fingerprint> Fingerprint::Parse(std::string_view hex) {
  if (hex.size() != 16) return std::nullopt;
  uint64_t v = 0;
  for (char c : hex) {
    int d;
    if (c >= '0' && c <= '9') {
      d = c - '0';
    } else if (c >= 'a' && c <= 'f') {
      d = c - 'a' + 10;
    } else if (c >= 'A' && c <= 'F') {
      d = c - 'A' + 10;
    } else {
      return std::nullopt;
    }
    v = (v << 4) | static_cast<uint64_t>(d);
  }
  return Fingerprint(v);
}

void Fingerprint::Format(char* out) const {
  static constexpr char kHex[] = "0123456789abcdef";
  for (int i = 15; i >= 0; --i) out[15 - i] = kHex[(value_ >> (i * 4)) & 0xf];
}

std::string Fingerprint::ToString() const {
  std::string s(16, '0');
  Format(s.data());
  return s;
}

std::string_view FormatName(AlertFormat f) {
  switch (f) {
    case AlertFormat::kPrometheus:
      return "prometheus";
    case AlertFormat::kAlertmanagerWebhook:
      return "alertmanager-webhook";
    case AlertFormat::kPagerDuty:
      return "pagerduty";
    case AlertFormat::kGeneric:
      return "generic";
  }
  return "unknown";
}

std::string_view StatusName(AlertStatus s) { return s == AlertStatus::kFiring ? "firing" : "resolved"; }

}  // namespace incidentd
