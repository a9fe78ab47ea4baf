// SHA-256 and HMAC-SHA256 (OpenSSL), as lowercase hex: the webhook's signature, PagerDuty's rate key.
//
// Thread rule: pure functions.
#pragma once

#include <string>
#include <string_view>

namespace incidentd::pagers {

std::string Sha256Hex(std::string_view data);
std::string HmacSha256Hex(std::string_view key, std::string_view data);

}  // namespace incidentd::pagers
