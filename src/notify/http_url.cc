#include "notify/http_url.h"

#include <boost/asio/ip/address.hpp>

#include "notify/http_client.h"

namespace incidentd::notify {

namespace {

char Lower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }

bool HostChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_';
}

// "" when `text` is a port number 1..65535, which is then written to `port` without leading zeros.
std::string_view ParsePort(std::string_view text, std::string& port) {
  if (text.empty() || text.size() > 5) return "has a bad port";
  unsigned value = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return "has a bad port";
    value = value * 10 + static_cast<unsigned>(c - '0');
  }
  if (value == 0 || value > 65535) return "has a bad port";
  port = std::to_string(value);
  return "";
}

}  // namespace

std::string_view ParseHostPort(std::string_view authority, std::string& host, std::string& port) {
  host.clear();
  port.clear();
  if (authority.empty()) return "has no host";
  std::string_view port_text;
  bool has_port = false;
  if (authority.front() == '[') {
    size_t close = authority.find(']');
    if (close == std::string_view::npos) return "has an unclosed '['";
    host = authority.substr(1, close - 1);
    boost::system::error_code ec;
    boost::asio::ip::make_address_v6(host, ec);
    if (ec) return "has a bad IPv6 address";
    std::string_view after = authority.substr(close + 1);
    if (!after.empty()) {
      if (after.front() != ':') return "has something after the IPv6 address";
      has_port = true;
      port_text = after.substr(1);
    }
  } else {
    size_t colon = authority.find(':');
    if (colon != std::string_view::npos && authority.find(':', colon + 1) != std::string_view::npos) {
      return "has an IPv6 address without brackets";
    }
    std::string_view name = authority.substr(0, colon);
    if (name.empty()) return "has no host";
    for (char c : name) {
      if (!HostChar(c)) return "has a bad character in the host";
    }
    host.reserve(name.size());
    for (char c : name) host.push_back(Lower(c));
    if (colon != std::string_view::npos) {
      has_port = true;
      port_text = authority.substr(colon + 1);
    }
  }
  if (has_port) return ParsePort(port_text, port);
  return "";
}

std::string JoinHostPort(std::string_view host, std::string_view port) {
  std::string out;
  bool v6 = host.find(':') != std::string_view::npos;
  out.reserve(host.size() + port.size() + 3);
  if (v6) out += '[';
  out += host;
  if (v6) out += ']';
  out += ':';
  out += port;
  return out;
}

bool IsIpLiteral(std::string_view host) {
  boost::system::error_code ec;
  boost::asio::ip::make_address(std::string(host), ec);
  return !ec;
}

Result<Url> ParseUrl(std::string_view text) {
  size_t sep = text.find("://");
  if (sep == std::string_view::npos) return Status::Invalid("URL has no scheme (want http:// or https://)");
  Url url;
  for (char c : text.substr(0, sep)) url.scheme.push_back(Lower(c));
  if (url.scheme != "http" && url.scheme != "https") return Status::Invalid("URL scheme must be http or https");
  std::string_view rest = text.substr(sep + 3);
  size_t end = rest.find_first_of("/?#");
  std::string_view authority = rest.substr(0, end);
  std::string_view tail = end == std::string_view::npos ? std::string_view() : rest.substr(end);
  if (authority.find('@') != std::string_view::npos) {
    return Status::Invalid("URL must not hold user:password (send credentials in a header)");
  }
  std::string_view problem = ParseHostPort(authority, url.host, url.port);
  if (!problem.empty()) return Status::Invalid("URL " + std::string(problem));
  if (url.port.empty()) url.port = url.scheme == "https" ? "443" : "80";
  tail = tail.substr(0, tail.find('#'));
  for (char c : tail) {
    if (static_cast<unsigned char>(c) <= 0x20 || c == 0x7f) {
      return Status::Invalid("URL holds a space or control character");
    }
  }
  if (tail.empty() || tail.front() == '?') url.target = "/";
  url.target += tail;
  return url;
}

}  // namespace incidentd::notify
