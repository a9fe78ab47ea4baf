#include "server/token_auth.h"

#include <fstream>

namespace incidentd::server {
namespace {

bool ConstantTimeEqual(std::string_view a, std::string_view b) {
  unsigned char diff = a.size() == b.size() ? 0 : 1;
  for (size_t i = 0; i < b.size(); ++i) diff |= static_cast<unsigned char>(a[i % (a.empty() ? 1 : a.size())] ^ b[i]);
  return diff == 0 && !a.empty();
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t' || s.front() == '\r')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.remove_suffix(1);
  return s;
}

}  // namespace

Result<TokenAuth> TokenAuth::Load(const std::string& path) {
  std::ifstream in(path);
  if (!in) return Status::Unavailable("api.tokens_file: cannot read '" + path + "'");
  TokenAuth auth;
  std::string line;
  int n = 0;
  while (std::getline(in, line)) {
    ++n;
    std::string_view l = Trim(line);
    if (l.empty() || l.front() == '#') continue;
    size_t sp = l.find_first_of(" \t");
    if (sp == std::string_view::npos) {
      auth.tokens_.emplace_back("token", std::string(l));
      continue;
    }
    std::string_view token = Trim(l.substr(sp));
    if (token.find_first_of(" \t") != std::string_view::npos) {
      return Status::Invalid(path + ":" + std::to_string(n) + ": expected 'TOKEN' or 'NAME TOKEN'");
    }
    auth.tokens_.emplace_back(std::string(l.substr(0, sp)), std::string(token));
  }
  if (auth.tokens_.empty()) return Status::Invalid("api.tokens_file: '" + path + "' holds no token");
  return auth;
}

Result<std::string> TokenAuth::Check(const http::Request& req) const {
  if (tokens_.empty()) return std::string("api");
  std::string_view header;
  if (req.headers) {
    auto it = req.headers->find(boost::beast::http::field::authorization);
    if (it != req.headers->end()) header = std::string_view(it->value().data(), it->value().size());
  }
  if (header.empty()) return Status::Invalid("missing Authorization: Bearer token");
  constexpr std::string_view kBearer = "Bearer ";
  if (header.size() <= kBearer.size() ||
      !std::equal(kBearer.begin(), kBearer.end(), header.begin(), [](char a, char b) {
        return std::tolower(static_cast<unsigned char>(a)) == std::tolower(static_cast<unsigned char>(b));
      })) {
    return Status::Invalid("Authorization: expected a Bearer token");
  }
  std::string_view given = Trim(header.substr(kBearer.size()));
  const std::string* match = nullptr;
  for (const auto& [name, token] : tokens_) {
    if (ConstantTimeEqual(token, given) && match == nullptr) match = &name;
  }
  if (match == nullptr) return Status::Invalid("invalid token");
  return *match;
}

http::Response Unauthorized(const Status& s) {
  http::Response r = http::ErrorResponse(401, s.message());
  r.headers.emplace_back("WWW-Authenticate", "Bearer");
  return r;
}

}  // namespace incidentd::server
