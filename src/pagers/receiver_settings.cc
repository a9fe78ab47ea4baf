#include "pagers/receiver_settings.h"

#include <algorithm>
#include <charconv>

#include "config/duration.h"

namespace incidentd::pagers {
namespace {

bool IsControl(char c) { return static_cast<unsigned char>(c) < 0x20 || c == 0x7f; }

bool HasControl(std::string_view s) { return std::any_of(s.begin(), s.end(), IsControl); }

bool StartsWithNoCase(std::string_view s, std::string_view prefix) {
  if (s.size() < prefix.size()) return false;
  for (size_t i = 0; i < prefix.size(); ++i) {
    char c = s[i];
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    if (c != prefix[i]) return false;
  }
  return true;
}

}  // namespace

std::string CheckHttpUrl(std::string_view url) {
  if (std::any_of(url.begin(), url.end(), [](char c) { return c == ' ' || IsControl(c); })) {
    return "must not contain spaces or control characters";
  }
  size_t scheme_end;
  if (StartsWithNoCase(url, "https://")) {
    scheme_end = 8;
  } else if (StartsWithNoCase(url, "http://")) {
    scheme_end = 7;
  } else {
    return "must be an http:// or https:// URL";
  }
  std::string_view authority = url.substr(scheme_end);
  authority = authority.substr(0, authority.find_first_of("/?#"));
  if (authority.find('@') != std::string_view::npos) return "user information (user@host) is not supported";
  std::string_view host = authority;
  std::string_view port;
  if (!host.empty() && host.front() == '[') {
    size_t close = host.find(']');
    if (close == std::string_view::npos) return "has an unterminated IPv6 address";
    port = host.substr(close + 1);
    host = host.substr(1, close - 1);
    if (!port.empty() && port.front() != ':') return "has characters after the IPv6 address";
  } else if (size_t colon = host.find(':'); colon != std::string_view::npos) {
    port = host.substr(colon);
    host = host.substr(0, colon);
  }
  if (host.empty()) return "has no host";
  if (!port.empty()) {
    port.remove_prefix(1);
    unsigned value = 0;
    auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), value);
    if (port.empty() || ec != std::errc() || end != port.data() + port.size() || value == 0 || value > 65535) {
      return "has an invalid port";
    }
  }
  return "";
}

Status ReceiverSettings::Error(std::string_view key, std::string_view reason) const {
  return Status::Invalid("receivers " + rc_.name + ": " + std::string(key) + ": " + std::string(reason));
}

Status ReceiverSettings::CheckKeys(std::initializer_list<std::string_view> allowed) const {
  for (const auto& [key, value] : rc_.settings) {
    if (std::find(allowed.begin(), allowed.end(), key) != allowed.end()) continue;
    if (key.ends_with("_file"))
      return Error(key, "not read (the configuration loader replaces it by its file's content)");
    return Error(key, "unknown key for type " + rc_.type);
  }
  return Status::Ok();
}

std::optional<std::string_view> ReceiverSettings::Get(std::string_view key) const {
  for (const auto& [k, v] : rc_.settings) {
    if (k == key) return std::string_view(v);
  }
  return std::nullopt;
}

Result<std::string> ReceiverSettings::Secret(std::string_view key, bool any_bytes) const {
  std::optional<std::string_view> v = Get(key);
  if (!v) return Error(key, "required");
  if (v->empty()) return Error(key, "is empty");
  if (!any_bytes && std::any_of(v->begin(), v->end(), [](char c) { return c == ' ' || IsControl(c); })) {
    return Error(key, "must not contain spaces or control characters");
  }
  return std::string(*v);
}

Result<std::string> ReceiverSettings::Url(std::string_view key, std::string_view fallback) const {
  std::optional<std::string_view> v = Get(key);
  if (!v) {
    if (fallback.empty()) return Error(key, "required");
    return std::string(fallback);
  }
  if (std::string reason = CheckHttpUrl(*v); !reason.empty()) return Error(key, reason);
  return std::string(*v);
}

Result<Duration> ReceiverSettings::Timeout(Duration fallback) const {
  std::optional<std::string_view> v = Get("timeout");
  if (!v) return fallback;
  std::optional<Duration> d = config::ParseDuration(*v);
  if (!d) return Error("timeout", "not a duration (use forms like 30s, 5m, 1h30m)");
  if (d->count() <= 0) return Error("timeout", "must be more than 0s");
  return *d;
}

Result<uint32_t> ReceiverSettings::Count(std::string_view key, uint32_t fallback, uint32_t max) const {
  std::optional<std::string_view> v = Get(key);
  if (!v) return fallback;
  uint64_t value = 0;
  auto [end, ec] = std::from_chars(v->data(), v->data() + v->size(), value);
  if (v->empty() || ec != std::errc() || end != v->data() + v->size() || value > max) {
    return Error(key, "must be a whole number from 0 to " + std::to_string(max));
  }
  return static_cast<uint32_t>(value);
}

Result<std::string> ReceiverSettings::Text(std::string_view key, std::string_view fallback) const {
  std::optional<std::string_view> v = Get(key);
  if (!v) return std::string(fallback);
  if (HasControl(*v)) return Error(key, "must not contain control characters");
  return std::string(*v);
}

}  // namespace incidentd::pagers
