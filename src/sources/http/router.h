// Router: maps method and path to a handler, and keeps each route's request metrics.
//
// Patterns are paths whose segments are literal or `{name}` (one non-empty segment). When several routes match a
// path, the one with the fewest `{}` segments wins, so /api/v1/webhook/alertmanager beats /api/v1/webhook/{name}.
// A path no route matches gets 404; a path that matches with another method gets 405 with an Allow header.
//
// Thread rule: Add before serving; Route is safe for concurrent use afterwards.
#pragma once

#include <array>
#include <atomic>
#include <memory>
#include <string>
#include <vector>

#include "observability/metrics.h"
#include "sources/http/http_types.h"

namespace incidentd::http {

// One route's request counters by status code and its latency histogram.
class RouteMetrics {
 public:
  RouteMetrics(observability::Registry& registry, const std::string& name);
  void Record(unsigned status, double seconds);

 private:
  observability::Registry& registry_;
  std::string name_;
  std::array<std::atomic<observability::Counter*>, 600> by_status_{};
  observability::Histogram& latency_;
};

class Router {
 public:
  explicit Router(observability::Registry& registry);

  // `name` labels the route's metrics (handler="name").
  void Add(boost::beast::http::verb method, std::string pattern, std::string name, Handler handler);

  struct Match {
    const Handler* handler = nullptr;  // null: `error` is the answer
    RouteMetrics* metrics = nullptr;
    Response error;
  };
  // Fills req.path_params on a match.
  Match Route(Request& req) const;
  // Metrics of requests that reached no route: unknown paths and requests refused before routing (413, 431, 400).
  RouteMetrics* unrouted() const { return unrouted_.get(); }

 private:
  struct Entry {
    boost::beast::http::verb method;
    std::vector<std::string> segments;
    int params = 0;
    Handler handler;
    RouteMetrics* metrics;
  };
  observability::Registry& registry_;
  std::vector<Entry> routes_;
  std::vector<std::unique_ptr<RouteMetrics>> metrics_;
  std::unique_ptr<RouteMetrics> unrouted_;
};

}  // namespace incidentd::http
