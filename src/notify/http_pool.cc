#include "notify/http_pool.h"

#include <openssl/err.h>
#include <spdlog/spdlog.h>
#include <boost/asio/post.hpp>
#include <boost/asio/strand.hpp>

#include <algorithm>
#include <exception>

#include "notify/http_connection.h"
#include "notify/http_url.h"

namespace incidentd::notify {

namespace net = boost::asio;
namespace ssl = boost::asio::ssl;

namespace {

Status ShutDownError() { return Status(StatusCode::kFailedPrecondition, "HTTP client shut down"); }

// Which pool's callbacks this thread is inside, and how deeply, so that waiting for callbacks skips its own.
thread_local const HttpPool* t_callback_pool = nullptr;
thread_local int t_callback_depth = 0;

void Erase(std::vector<std::shared_ptr<HttpConnection>>& v, const HttpConnection* c) {
  auto it = std::find_if(v.begin(), v.end(), [c](const auto& p) { return p.get() == c; });
  if (it != v.end()) v.erase(it);
}

std::string FormatDuration(Duration d) {
  using std::chrono::duration_cast;
  auto ms = duration_cast<std::chrono::milliseconds>(d).count();
  if (ms % 1000 == 0) return std::to_string(ms / 1000) + "s";
  return std::to_string(ms) + "ms";
}

}  // namespace

Status TimeoutError(Duration timeout, const std::string& where) {
  return Status::Unavailable("timeout after " + FormatDuration(timeout) + " (" + where + ")");
}

HttpCall::~HttpCall() {
  if (linked.load(std::memory_order_acquire)) owner->Unlink(*this);
}

OriginPool::OriginPool(net::io_context& io, Origin o) : origin(std::move(o)), queue_timer(net::make_strand(io)) {}

HttpPool::HttpPool(net::io_context& io, HttpClientOptions options)
    : io_(io),
      options_(std::move(options)),
      proxies_(options_.proxy_from_environment ? ProxySettings::FromEnvironment() : ProxySettings()),
      tls_(ssl::context::tls_client) {
  boost::system::error_code ec;
  tls_.set_options(ssl::context::default_workarounds | ssl::context::no_compression, ec);
  tls_.set_verify_mode(ssl::verify_peer, ec);
  tls_.set_default_verify_paths(ec);  // a host without a system store still trusts ca_file
  if (!options_.ca_file.empty()) {
    ec.clear();
    tls_.load_verify_file(options_.ca_file, ec);
    if (ec) {
      const char* reason = ERR_reason_error_string(static_cast<unsigned long>(ec.value()));
      tls_error_ = Status::Invalid("cannot load ca_file " + options_.ca_file + ": " +
                                   (reason != nullptr ? reason : ec.message()));
    }
  }
}

HttpPool::~HttpPool() = default;

OriginPool& HttpPool::PoolFor(const Url& url, const Proxy* proxy) {
  thread_local std::string key;
  key.clear();
  key.append(url.scheme).append("://").append(url.host).append("|").append(url.port);
  if (proxy != nullptr) key.append("|proxy");
  auto it = pools_.find(key);
  if (it != pools_.end()) return *it->second;
  Origin o;
  o.tls = url.scheme == "https";
  o.host = url.host;
  o.port = url.port;
  o.ip_literal = IsIpLiteral(url.host);
  o.host_port = JoinHostPort(url.host, url.port);
  bool default_port = url.port == (o.tls ? "443" : "80");
  o.host_header = default_port ? (o.host_port.substr(0, o.host_port.size() - url.port.size() - 1)) : o.host_port;
  o.where = o.host_port;
  if (proxy != nullptr) o.where += " through proxy " + proxy->HostPort();
  o.proxy = proxy;
  auto pool = std::make_unique<OriginPool>(io_, std::move(o));
  return *pools_.emplace(key, std::move(pool)).first->second;
}

void HttpPool::Send(HttpRequest request, HttpClient::Callback done) {
  auto call = std::make_unique<HttpCall>();
  call->deadline = std::chrono::steady_clock::now() +
                   std::chrono::duration_cast<std::chrono::steady_clock::duration>(request.timeout);
  call->done = std::move(done);
  call->owner = this;
  Result<Url> url = ParseUrl(request.url);
  Status problem = url.ok() ? ValidateRequest(request) : url.status();
  const Proxy* proxy = nullptr;
  if (problem.ok()) {
    Result<const Proxy*> p = proxies_.For(url->scheme, url->host);
    if (p.ok())
      proxy = *p;
    else
      problem = p.status();
  }
  if (problem.ok() && url->scheme == "https" && !tls_error_.ok()) problem = tls_error_;
  if (problem.ok()) call->target = std::move(url->target);
  call->request = std::move(request);

  std::shared_ptr<HttpConnection> connection;
  {
    std::lock_guard lock(mu_);
    Link(*call);
    if (shut_down_.load(std::memory_order_relaxed)) problem = ShutDownError();
    if (problem.ok()) {
      OriginPool& pool = PoolFor(*url, proxy);
      if (!pool.idle.empty()) {
        connection = pool.idle.back()->shared_from_this();
        pool.idle.pop_back();
      } else if (pool.connections.size() < std::max<size_t>(options_.max_connections_per_origin, 1)) {
        connection = std::make_shared<HttpConnection>(shared_from_this(), pool);
        pool.connections.push_back(connection);
      } else {
        bool arm = call->deadline < pool.queue_timer_at;
        if (arm) pool.queue_timer_at = call->deadline;
        pool.queue.push_back(std::move(call));
        if (arm) ArmQueueTimer(pool);
        return;
      }
    }
  }
  if (!problem.ok()) return Fail(std::move(call), std::move(problem));
  connection->Start(std::move(call));
}

void HttpPool::Fail(std::unique_ptr<HttpCall> call, Status status) {
  net::post(io_, [self = shared_from_this(), call = std::move(call), status = std::move(status)]() mutable {
    self->Complete(*call, std::move(status));
  });
}

void HttpPool::ArmQueueTimer(OriginPool& pool) {
  // On the timer's strand: fail the queued calls past their deadline, then wait for the next deadline.
  net::post(pool.queue_timer.get_executor(), [self = shared_from_this(), &pool] {
    std::vector<std::unique_ptr<HttpCall>> expired;
    SteadyTime next = SteadyTime::max();
    {
      std::lock_guard lock(self->mu_);
      if (self->shut_down()) return;
      SteadyTime now = std::chrono::steady_clock::now();
      for (auto it = pool.queue.begin(); it != pool.queue.end();) {
        if ((*it)->deadline <= now) {
          expired.push_back(std::move(*it));
          it = pool.queue.erase(it);
        } else {
          next = std::min(next, (*it)->deadline);
          ++it;
        }
      }
      pool.queue_timer_at = next;
    }
    for (auto& call : expired) self->Complete(*call, TimeoutError(call->request.timeout, pool.origin.where));
    if (next == SteadyTime::max()) return;
    pool.queue_timer.expires_at(next);
    pool.queue_timer.async_wait([self, &pool](boost::system::error_code ec) {
      if (!ec) self->ArmQueueTimer(pool);
    });
  });
}

HttpPool::Next HttpPool::Finished(HttpConnection& connection, OriginPool& pool, bool reusable) {
  Next next;
  std::vector<std::unique_ptr<HttpCall>> expired;
  {
    std::lock_guard lock(mu_);
    bool down = shut_down_.load(std::memory_order_relaxed);
    if (!down && !pool.queue.empty()) {
      SteadyTime now = std::chrono::steady_clock::now();
      while (!pool.queue.empty() && !next.call) {
        std::unique_ptr<HttpCall> call = std::move(pool.queue.front());
        pool.queue.pop_front();
        if (call->deadline <= now) {
          expired.push_back(std::move(call));
        } else {
          next.call = std::move(call);
        }
      }
    }
    if (!next.call) {
      if (reusable && !down) {
        pool.idle.push_back(&connection);
        next.keep = true;
      } else {
        Erase(pool.connections, &connection);
      }
    }
  }
  for (auto& call : expired) Complete(*call, TimeoutError(call->request.timeout, pool.origin.where));
  return next;
}

bool HttpPool::RemoveIdle(HttpConnection& connection, OriginPool& pool) {
  std::lock_guard lock(mu_);
  auto it = std::find(pool.idle.begin(), pool.idle.end(), &connection);
  if (it == pool.idle.end()) return false;
  pool.idle.erase(it);
  Erase(pool.connections, &connection);
  return true;
}

void HttpPool::Complete(HttpCall& call, Result<HttpResponse> result) {
  HttpClient::Callback done;
  {
    std::lock_guard lock(mu_);
    UnlinkLocked(call);
    done.swap(call.done);
    if (!done) return;  // Shutdown answered it
    ++running_;
  }
  Run(done, std::move(result));
  {
    std::lock_guard lock(mu_);
    --running_;
  }
  cv_.notify_all();
}

void HttpPool::Run(HttpClient::Callback& done, Result<HttpResponse> result) {
  const HttpPool* saved_pool = t_callback_pool;
  int saved_depth = t_callback_depth;
  if (t_callback_pool != this) t_callback_depth = 0;
  t_callback_pool = this;
  ++t_callback_depth;
  try {
    done(std::move(result));
  } catch (const std::exception& e) {
    spdlog::error("HTTP client: a response callback threw: {}", e.what());
  } catch (...) {
    spdlog::error("HTTP client: a response callback threw");
  }
  t_callback_pool = saved_pool;
  t_callback_depth = saved_depth;
}

void HttpPool::Shutdown() {
  std::vector<HttpClient::Callback> callbacks;
  std::vector<std::shared_ptr<HttpConnection>> connections;
  std::vector<std::unique_ptr<HttpCall>> queued;
  std::vector<OriginPool*> pools;
  {
    std::lock_guard lock(mu_);
    bool first = !shut_down_.exchange(true);
    while (calls_ != nullptr) {
      HttpCall& call = *calls_;
      UnlinkLocked(call);
      callbacks.emplace_back().swap(call.done);
    }
    if (first) {
      for (auto& [key, pool] : pools_) {
        for (auto& c : pool->connections) connections.push_back(std::move(c));
        for (auto& call : pool->queue) queued.push_back(std::move(call));
        pool->connections.clear();
        pool->idle.clear();
        pool->queue.clear();
        pools.push_back(pool.get());
      }
    }
    running_ += static_cast<int>(callbacks.size());
  }
  queued.clear();
  for (auto& done : callbacks) {
    if (done) Run(done, ShutDownError());
  }
  {
    std::lock_guard lock(mu_);
    running_ -= static_cast<int>(callbacks.size());
  }
  cv_.notify_all();
  for (auto& c : connections) c->Abort();
  for (OriginPool* pool : pools) {
    net::post(pool->queue_timer.get_executor(), [self = shared_from_this(), pool] { pool->queue_timer.cancel(); });
  }
}

void HttpPool::WaitForCallbacks() {
  int own = t_callback_pool == this ? t_callback_depth : 0;
  std::unique_lock lock(mu_);
  cv_.wait(lock, [&] { return running_ <= own; });
}

void HttpPool::Link(HttpCall& call) {
  call.prev = nullptr;
  call.next = calls_;
  if (calls_ != nullptr) calls_->prev = &call;
  calls_ = &call;
  call.linked.store(true, std::memory_order_relaxed);
}

void HttpPool::UnlinkLocked(HttpCall& call) {
  if (!call.linked.load(std::memory_order_relaxed)) return;
  if (call.prev != nullptr) call.prev->next = call.next;
  if (call.next != nullptr) call.next->prev = call.prev;
  if (calls_ == &call) calls_ = call.next;
  call.prev = call.next = nullptr;
  call.linked.store(false, std::memory_order_release);
}

void HttpPool::Unlink(HttpCall& call) {
  std::lock_guard lock(mu_);
  UnlinkLocked(call);
}

}  // namespace incidentd::notify
