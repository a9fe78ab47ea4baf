// ReceiverSettings: one receiver's settings as its pager reads them in MakePager, each checked.
//
// Every error is "receivers <name>: <key>: <reason>" and never shows a value: any setting may be a secret or hold one
// (a Slack URL, a token in a webhook's query string).
//
// Thread rule: a plain view of a ReceiverConfig, which must outlive it.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>

#include "config/rule_loader.h"
#include "incidentd/clock.h"
#include "incidentd/status.h"

namespace incidentd::pagers {

class ReceiverSettings {
 public:
  explicit ReceiverSettings(const config::ReceiverConfig& rc) : rc_(rc) {}

  // "receivers <name>: <key>: <reason>".
  Status Error(std::string_view key, std::string_view reason) const;

  // Fails on a key not in `allowed`, and on a `<key>_file` that config::LoadConfig should have replaced by <key>.
  Status CheckKeys(std::initializer_list<std::string_view> allowed) const;

  // The value of key, or nullopt when it is not set.
  std::optional<std::string_view> Get(std::string_view key) const;

  // A required secret (routing key, API key, HMAC secret): not empty and, unless `any_bytes`, free of spaces and
  // control characters (it goes into a header or a JSON field; a stray newline from a file is a mistake).
  Result<std::string> Secret(std::string_view key, bool any_bytes = false) const;

  // An absolute http:// or https:// URL with a host, no user information and no whitespace; `fallback` when the key
  // is not set (REQUIRES: a valid URL or, for a required key, empty: then the key is required).
  Result<std::string> Url(std::string_view key, std::string_view fallback) const;

  // `timeout`: a duration more than 0s (config/duration.h); `fallback` when not set.
  Result<Duration> Timeout(Duration fallback) const;

  // A whole number 0..max; `fallback` when not set.
  Result<uint32_t> Count(std::string_view key, uint32_t fallback, uint32_t max) const;

  // Free text without control characters; `fallback` when not set.
  Result<std::string> Text(std::string_view key, std::string_view fallback) const;

 private:
  const config::ReceiverConfig& rc_;
};

// Why url is not an absolute http(s) URL with a host, or "" when it is. Never quotes the URL.
std::string CheckHttpUrl(std::string_view url);

}  // namespace incidentd::pagers
