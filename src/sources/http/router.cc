#include "sources/http/router.h"

#include <boost/beast/http/verb.hpp>

namespace incidentd::http {
namespace {

std::vector<std::string_view> Split(std::string_view path) {
  std::vector<std::string_view> out;
  size_t i = 0;
  if (!path.empty() && path[0] == '/') i = 1;
  while (i <= path.size()) {
    size_t j = path.find('/', i);
    if (j == std::string_view::npos) j = path.size();
    out.push_back(path.substr(i, j - i));
    i = j + 1;
  }
  return out;
}

}  // namespace

RouteMetrics::RouteMetrics(observability::Registry& registry, const std::string& name)
    : registry_(registry),
      name_(name),
      latency_(registry.GetHistogram("incidentd_http_request_duration_seconds",
                                     "Time from a request's header to its answer being written, by route.",
                                     {{"handler", name}}, observability::LatencyBuckets())) {}

void RouteMetrics::Record(unsigned status, double seconds) {
  latency_.Observe(seconds);
  if (status >= by_status_.size()) status = 599;
  observability::Counter* c = by_status_[status].load(std::memory_order_acquire);
  if (c == nullptr) {
    // First answer with this code on this route: the registry hands every caller the same series.
    c = &registry_.GetCounter("incidentd_http_requests_total", "HTTP requests answered, by route and status code.",
                              {{"handler", name_}, {"code", std::to_string(status)}});
    by_status_[status].store(c, std::memory_order_release);
  }
  c->Inc();
}

Router::Router(observability::Registry& registry)
    : registry_(registry), unrouted_(std::make_unique<RouteMetrics>(registry, "none")) {}

void Router::Add(boost::beast::http::verb method, std::string pattern, std::string name, Handler handler) {
  Entry e{method, {}, 0, std::move(handler), nullptr};
  for (std::string_view s : Split(pattern)) {
    e.segments.emplace_back(s);
    if (s.size() >= 2 && s.front() == '{' && s.back() == '}') ++e.params;
  }
  metrics_.push_back(std::make_unique<RouteMetrics>(registry_, name));
  e.metrics = metrics_.back().get();
  routes_.push_back(std::move(e));
}

Router::Match Router::Route(Request& req) const {
  std::vector<std::string_view> parts = Split(req.path);
  const Entry* best = nullptr;
  std::string allow;
  for (const Entry& e : routes_) {
    if (e.segments.size() != parts.size()) continue;
    bool match = true;
    for (size_t i = 0; i < parts.size() && match; ++i) {
      const std::string& s = e.segments[i];
      bool param = s.size() >= 2 && s.front() == '{' && s.back() == '}';
      match = param ? !parts[i].empty() : s == parts[i];
    }
    if (!match) continue;
    if (e.method != req.method) {
      std::string m(boost::beast::http::to_string(e.method));
      if (allow.find(m) == std::string::npos) allow += (allow.empty() ? "" : ", ") + m;
      continue;
    }
    if (best == nullptr || e.params < best->params) best = &e;
  }
  Match out;
  if (best != nullptr) {
    req.path_params.clear();
    for (size_t i = 0; i < parts.size(); ++i) {
      const std::string& s = best->segments[i];
      if (s.size() >= 2 && s.front() == '{') req.path_params.push_back(parts[i]);
    }
    out.handler = &best->handler;
    out.metrics = best->metrics;
    return out;
  }
  out.metrics = unrouted_.get();
  if (!allow.empty()) {
    out.error = ErrorResponse(405, "method " + std::string(boost::beast::http::to_string(req.method)) +
                                       " not allowed on " + std::string(req.path) + "; allowed: " + allow);
    out.error.headers.emplace_back("Allow", allow);
  } else {
    out.error = ErrorResponse(404, "no such path: " + std::string(req.path));
  }
  return out;
}

}  // namespace incidentd::http
