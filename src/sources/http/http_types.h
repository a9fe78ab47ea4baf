// The HTTP server's view of a request and an answer, kept free of sockets so handlers are plain functions that tests
// call directly.
#pragma once

#include <boost/beast/http/fields.hpp>
#include <boost/beast/http/verb.hpp>

#include <functional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace incidentd::http {

struct Request {
  boost::beast::http::verb method = boost::beast::http::verb::get;
  std::string_view path;   // decoded of nothing: as sent, without the query
  std::string_view query;  // after '?', raw
  std::string_view content_type;
  std::string_view body;
  // Bytes readable from body.data(), at least body.size() + 64 (simdjson's padding) for bodies the server read.
  size_t body_capacity = 0;
  std::vector<std::string_view> path_params;  // the {name} segments of the matched route, in order
  const boost::beast::http::fields* headers = nullptr;
};

struct Response {
  unsigned status = 200;
  std::string content_type = "application/json";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;  // e.g. Retry-After, Allow
};

// Sends the answer to a request. Call it exactly once, from any thread.
using Responder = std::function<void(Response)>;
using Handler = std::function<void(const Request&, Responder)>;

// A JSON error answer: {"error": message}.
Response ErrorResponse(unsigned status, std::string_view message);

}  // namespace incidentd::http
