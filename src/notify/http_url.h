// URL pieces shared by ParseUrl (http_client.h) and the proxy settings (proxy.h).
#pragma once

#include <string>
#include <string_view>

namespace incidentd::notify {

// Splits `authority` ("host", "host:port", "[v6]:port") into a lower-case host (IPv6 without brackets) and a port;
// `port` is left empty when absent. Returns the problem ("" when fine); it never quotes the input.
std::string_view ParseHostPort(std::string_view authority, std::string& host, std::string& port);

// "host:port", with IPv6 literals in brackets.
std::string JoinHostPort(std::string_view host, std::string_view port);

// True for an IPv4 or IPv6 literal (no brackets), which needs no resolving and gets no SNI.
bool IsIpLiteral(std::string_view host);

}  // namespace incidentd::notify
