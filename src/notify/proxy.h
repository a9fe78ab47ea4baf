// ProxySettings: which HTTP proxy, if any, a request goes through, read from the environment the way curl reads it.
//
// - `https_proxy` (else `HTTPS_PROXY`) for https:// targets: the client opens a CONNECT tunnel and runs TLS inside.
// - `http_proxy` (else `HTTP_PROXY`) for http:// targets: the client sends absolute-form requests to the proxy.
// - `no_proxy` (else `NO_PROXY`): comma-separated entries; `*` bypasses the proxy for every host; any other entry
//   matches that host and its subdomains, with or without a leading dot (`example.com` and `.example.com` both match
//   example.com and api.example.com). A `:port` on an entry is ignored; CIDR ranges are not understood.
// A proxy URL is [http://][user:password@]host[:port] (port 1080 when absent, as in curl); user and password may be
// percent-encoded and are sent as `Proxy-Authorization: Basic`. A malformed value is reported when a request would
// use it, with a message that names the variable but never repeats its value (it may hold a password).
//
// Thread rule: immutable once built; safe from any thread.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "incidentd/status.h"

namespace incidentd::notify {

struct Proxy {
  std::string host;           // without brackets for IPv6
  std::string port;           // never empty
  std::string authorization;  // "Basic …" for Proxy-Authorization, empty without credentials

  std::string HostPort() const;  // "host:port", IPv6 in brackets
};

class ProxySettings {
 public:
  ProxySettings() = default;  // no proxy at all

  // Reads the variables above once.
  static ProxySettings FromEnvironment();
  // The same from explicit values; an empty value means "not set".
  static ProxySettings Parse(std::string_view http_proxy, std::string_view https_proxy, std::string_view no_proxy);

  // The proxy for a request to `scheme`://`host` ("http" or "https"; host lower-case, IPv6 without brackets):
  // null for a direct connection, kInvalidArgument when the variable that applies is malformed.
  Result<const Proxy*> For(std::string_view scheme, std::string_view host) const;

  // True when `host` matches a no_proxy entry.
  bool Bypass(std::string_view host) const;

 private:
  struct Entry {
    std::optional<Proxy> proxy;
    Status error;  // set when the variable was present but malformed
  };
  static Entry ParseProxy(std::string_view variable, std::string_view value);

  Entry http_;
  Entry https_;
  bool bypass_all_ = false;
  std::vector<std::string> bypass_;  // lower-case domains, no leading dot
};

}  // namespace incidentd::notify
