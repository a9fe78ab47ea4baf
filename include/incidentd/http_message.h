// HttpRequest / HttpResponse: an outgoing HTTP exchange as plain values. The pagers render requests
// (src/pagers), the HTTP client sends them (src/notify/http_client.h).
#pragma once

#include <chrono>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "incidentd/clock.h"

namespace incidentd {

using HttpHeaders = std::vector<std::pair<std::string, std::string>>;

struct HttpRequest {
  std::string method = "POST";
  std::string url;      // absolute: http://host[:port]/path?query or https://…
  HttpHeaders headers;  // besides Host, Content-Length, User-Agent and Connection, which the client sets
  std::string body;
  Duration timeout = std::chrono::seconds(10);  // the whole exchange: connect, TLS, write, read
};

struct HttpResponse {
  int status = 0;
  HttpHeaders headers;  // names as received
  std::string body;     // at most the client's response limit; longer bodies are cut

  // The first header named `name` (case-insensitive); empty when absent.
  std::string_view Header(std::string_view name) const;
};

}  // namespace incidentd
