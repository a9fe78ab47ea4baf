#include "notify/http_client.h"

#include "notify/http_pool.h"

namespace incidentd::notify {

struct HttpClient::Impl final : HttpPool {
  using HttpPool::HttpPool;
};

HttpClient::HttpClient(boost::asio::io_context& io, HttpClientOptions options)
    : impl_(std::make_shared<Impl>(io, std::move(options))) {}

HttpClient::~HttpClient() {
  impl_->Shutdown();
  impl_->WaitForCallbacks();
}

void HttpClient::Send(HttpRequest request, Callback done) { impl_->Send(std::move(request), std::move(done)); }

void HttpClient::Shutdown() { impl_->Shutdown(); }

}  // namespace incidentd::notify
