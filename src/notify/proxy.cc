#include "notify/proxy.h"

#include <openssl/evp.h>

#include <cstdlib>

#include "notify/http_url.h"

namespace incidentd::notify {

namespace {

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Decodes %XX escapes; false on a broken escape.
bool PercentDecode(std::string_view in, std::string& out) {
  out.clear();
  for (size_t i = 0; i < in.size(); ++i) {
    if (in[i] != '%') {
      out.push_back(in[i]);
      continue;
    }
    if (i + 2 >= in.size()) return false;
    int hi = HexValue(in[i + 1]);
    int lo = HexValue(in[i + 2]);
    if (hi < 0 || lo < 0) return false;
    out.push_back(static_cast<char>(hi * 16 + lo));
    i += 2;
  }
  return true;
}

std::string Base64(std::string_view in) {
  std::string out(4 * ((in.size() + 2) / 3), '\0');
  int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                          reinterpret_cast<const unsigned char*>(in.data()), static_cast<int>(in.size()));
  out.resize(static_cast<size_t>(n));
  return out;
}

// The first of the variables that is set and not empty.
std::string_view Getenv(const char* lower, const char* upper) {
  for (const char* name : {lower, upper}) {
    const char* v = std::getenv(name);
    if (v != nullptr && *v != '\0') return v;
  }
  return {};
}

}  // namespace

std::string Proxy::HostPort() const { return JoinHostPort(host, port); }

ProxySettings::Entry ProxySettings::ParseProxy(std::string_view variable, std::string_view value) {
  Entry entry;
  value = Trim(value);
  if (value.empty()) return entry;
  auto bad = [&](std::string_view problem) {
    entry.error = Status::Invalid(std::string(variable) + " " + std::string(problem) +
                                  " (want http://[user:password@]host[:port])");
    return entry;
  };
  size_t sep = value.find("://");
  if (sep != std::string_view::npos) {
    if (Lower(value.substr(0, sep)) != "http") return bad("names a proxy scheme other than http://");
    value.remove_prefix(sep + 3);
  }
  value = value.substr(0, value.find('/'));
  Proxy proxy;
  size_t at = value.rfind('@');
  if (at != std::string_view::npos) {
    std::string_view userinfo = value.substr(0, at);
    size_t colon = userinfo.find(':');
    std::string user, password;
    if (!PercentDecode(userinfo.substr(0, colon), user) ||
        (colon != std::string_view::npos && !PercentDecode(userinfo.substr(colon + 1), password))) {
      return bad("has a broken %-escape in its credentials");
    }
    proxy.authorization = "Basic " + Base64(user + ":" + password);
    value.remove_prefix(at + 1);
  }
  std::string_view problem = ParseHostPort(value, proxy.host, proxy.port);
  if (!problem.empty()) return bad(problem);
  if (proxy.port.empty()) proxy.port = "1080";
  entry.proxy = std::move(proxy);
  return entry;
}

ProxySettings ProxySettings::Parse(std::string_view http_proxy, std::string_view https_proxy,
                                   std::string_view no_proxy) {
  ProxySettings s;
  s.http_ = ParseProxy("http_proxy", http_proxy);
  s.https_ = ParseProxy("https_proxy", https_proxy);
  while (!no_proxy.empty()) {
    size_t comma = no_proxy.find(',');
    std::string entry = Lower(Trim(no_proxy.substr(0, comma)));
    no_proxy.remove_prefix(comma == std::string_view::npos ? no_proxy.size() : comma + 1);
    if (entry == "*") {
      s.bypass_all_ = true;
      continue;
    }
    if (entry.starts_with('[')) {
      entry = entry.substr(1, entry.find(']') - 1);  // [v6] or [v6]:port
    } else if (entry.find(':') == entry.rfind(':') && entry.find(':') != std::string::npos) {
      entry.resize(entry.find(':'));  // host:port; a bare IPv6 address has several colons and stays
    }
    if (entry.starts_with("*.")) entry.erase(0, 2);
    if (entry.starts_with('.')) entry.erase(0, 1);
    if (!entry.empty()) s.bypass_.push_back(std::move(entry));
  }
  return s;
}

ProxySettings ProxySettings::FromEnvironment() {
  return Parse(Getenv("http_proxy", "HTTP_PROXY"), Getenv("https_proxy", "HTTPS_PROXY"),
               Getenv("no_proxy", "NO_PROXY"));
}

bool ProxySettings::Bypass(std::string_view host) const {
  if (bypass_all_) return true;
  for (const std::string& domain : bypass_) {
    if (host == domain) return true;
    if (host.size() > domain.size() && host.ends_with(domain) && host[host.size() - domain.size() - 1] == '.') {
      return true;
    }
  }
  return false;
}

Result<const Proxy*> ProxySettings::For(std::string_view scheme, std::string_view host) const {
  const Entry& entry = scheme == "https" ? https_ : http_;
  if (!entry.proxy && entry.error.ok()) return static_cast<const Proxy*>(nullptr);
  if (Bypass(host)) return static_cast<const Proxy*>(nullptr);
  if (!entry.error.ok()) return entry.error;
  return &*entry.proxy;
}

}  // namespace incidentd::notify
