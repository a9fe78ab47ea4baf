#include "pagers/render_support.h"

#include <algorithm>

#include "model/label_text.h"
#include "model/rfc3339.h"

namespace incidentd::pagers {

Action ActionOf(NotifyEvent e) {
  switch (e) {
    case NotifyEvent::kAcknowledged:
      return Action::kAcknowledge;
    case NotifyEvent::kResolved:
      return Action::kResolve;
    case NotifyEvent::kTriggered:
    case NotifyEvent::kUpdated:
    case NotifyEvent::kRepeated:
    case NotifyEvent::kReopened:
    case NotifyEvent::kEscalated:
      return Action::kTrigger;
  }
  return Action::kTrigger;
}

std::shared_ptr<const IncidentSnapshot> SnapshotOf(const Notification& n) {
  if (n.incident) return n.incident;
  auto s = std::make_shared<IncidentSnapshot>();
  s->id = n.incident_id;
  s->title = n.title;
  s->state = n.state;
  s->priority = n.priority;
  return s;
}

std::string PriorityName(uint8_t priority) { return "P" + std::to_string(std::clamp<int>(priority, 1, 5)); }

std::string_view TitleOf(const IncidentSnapshot& s) {
  if (!s.title.empty()) return s.title;
  if (!s.rule.empty()) return s.rule;
  return s.id;
}

namespace {

bool IsContinuation(char c) { return (static_cast<unsigned char>(c) & 0xC0) == 0x80; }

// The byte offset after the first n code points of s (s.size() when it has no more).
size_t OffsetOfChars(std::string_view s, size_t n) {
  size_t i = 0;
  for (size_t chars = 0; i < s.size() && chars < n; ++chars) {
    ++i;
    while (i < s.size() && IsContinuation(s[i])) ++i;
  }
  return i;
}

size_t CountChars(std::string_view s) {
  return static_cast<size_t>(std::count_if(s.begin(), s.end(), [](char c) { return !IsContinuation(c); }));
}

}  // namespace

std::string CutChars(std::string_view s, size_t max_chars, std::string_view ellipsis) {
  size_t end = OffsetOfChars(s, max_chars);
  if (end == s.size()) return std::string(s);
  size_t keep = OffsetOfChars(s, max_chars - CountChars(ellipsis));
  return std::string(s.substr(0, keep)) + std::string(ellipsis);
}

std::string_view CutBytes(std::string_view s, size_t max_bytes) {
  if (s.size() <= max_bytes) return s;
  size_t end = max_bytes;
  while (end > 0 && IsContinuation(s[end])) --end;
  return s.substr(0, end);
}

std::string IncidentUrl(std::string_view external_url, std::string_view id) {
  while (!external_url.empty() && external_url.back() == '/') external_url.remove_suffix(1);
  if (external_url.empty()) return "";
  return std::string(external_url) + "/api/v1/incidents/" + PercentEncode(id);
}

std::string PercentEncode(std::string_view s) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(s.size());
  for (char ch : s) {
    auto c = static_cast<unsigned char>(ch);
    bool unreserved = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
                      c == '.' || c == '_' || c == '~';
    if (unreserved) {
      out.push_back(ch);
    } else {
      out.push_back('%');
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 0xF]);
    }
  }
  return out;
}

std::string FormatLabels(const StringPairs& labels) {
  std::string out = "{";
  for (const auto& [name, value] : labels) {
    if (out.size() > 1) out += ", ";
    out += name;
    out.push_back('=');
    AppendQuotedLabelValue(out, value);
  }
  out.push_back('}');
  return out;
}

std::string_view FindLabel(const StringPairs& labels, std::string_view name) {
  for (const auto& [k, v] : labels) {
    if (k == name) return v;
  }
  return {};
}

void WriteStringMap(JsonWriter& w, const StringPairs& pairs) {
  w.BeginObject();
  for (const auto& [k, v] : pairs) w.Field(k, v);
  w.EndObject();
}

void WriteAlertTime(JsonWriter& w, Time t) {
  std::string text;
  AppendRfc3339Nano(text, t);
  w.String(text);
}

}  // namespace incidentd::pagers
