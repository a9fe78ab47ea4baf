// TokenAuth: bearer tokens for the API's mutating calls, read from `api.tokens_file`.
//
// File format: one token a line, optionally named ("alice 3f9c…": the name goes on the timeline as who acknowledged
// or resolved); blank lines and lines starting with # are skipped. With no file configured every call is allowed.
// Tokens are compared in constant time and never logged or echoed.
//
// Thread rule: immutable after Load; Check is safe from any thread.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "incidentd/status.h"
#include "sources/http/http_types.h"

namespace incidentd::server {

class TokenAuth {
 public:
  TokenAuth() = default;  // no tokens: everything allowed
  // Errors name the file and line, never a token.
  static Result<TokenAuth> Load(const std::string& path);

  bool enabled() const { return !tokens_.empty(); }
  // Who made the request ("api" without auth, or the token's name, or "token"), or an error for a missing or
  // wrong token.
  Result<std::string> Check(const http::Request& req) const;

 private:
  std::vector<std::pair<std::string, std::string>> tokens_;  // name, token
};

// The 401 answer for a failed Check.
http::Response Unauthorized(const Status& s);

}  // namespace incidentd::server
