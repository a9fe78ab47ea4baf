#include "server/daemon.h"

#include <spdlog/spdlog.h>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/signal_set.hpp>

#include <filesystem>
#include <functional>
#include <thread>
#include <vector>

#include "decode/factory.h"
#include "engine/engine.h"
#include "notify/http_client.h"
#include "notify/outbox.h"
#include "observability/metrics.h"
#include "pagers/pager.h"
#include "server/api_routes.h"
#include "server/engine_loop.h"
#include "server/kafka_setup.h"
#include "server/routes.h"
#include "server/systemd_notify.h"
#include "server/token_auth.h"
#include "sources/http/http_server.h"
#include "sources/http/router.h"
#include "store/state_store.h"

namespace incidentd::server {

namespace net = boost::asio;

struct Daemon::Parts {
  SystemClock system_clock;
  const Clock* clock = nullptr;
  std::string external_url;
  observability::Gauge* reload_ok = nullptr;
  observability::Gauge* reload_time = nullptr;
  observability::Registry metrics;
  store::WrapWrites wrap_store;
  // Before the engine, loop and outbox, so it outlives them: the loop commits to it and the outbox journals to it.
  std::unique_ptr<store::StateStore> store;
  // Before the loop, so it outlives it: the loop's last answers reach the source (which ignores them once stopped).
  std::unique_ptr<kafka::KafkaSource> kafka;
  std::unique_ptr<engine::Engine> engine;
  std::unique_ptr<EngineLoop> loop;
  std::unique_ptr<http::Router> router;
  std::unique_ptr<Routes> routes;  // the handlers the router points at
  std::shared_ptr<TokenAuth> auth;
  net::io_context ioc;
  // After the io_context, so they go before it; the outbox before the client it sends with.
  std::unique_ptr<notify::HttpClient> http_client;
  std::unique_ptr<notify::Outbox> outbox;
  std::unique_ptr<http::HttpServer> server;
  std::optional<net::executor_work_guard<net::io_context::executor_type>> work;
  std::vector<std::thread> threads;
  std::atomic<bool> ready{false};
  bool stopped = false;
  std::mutex stop_mu;

  ~Parts() {
    // The server goes first, then the io_context with any connection still queued in it; the router they point
    // at is declared before both and outlives them.
    server.reset();
  }
};

namespace {

// The engine loop's tick hook: the metrics, then systemd's watchdog ping and a STATUS line. It runs on the engine's
// thread at least once a second, so a stuck engine stops the pings and systemd restarts the service.
EngineLoop::TickHook MakeHeartbeat(observability::Registry& registry, const std::unique_ptr<notify::Outbox>& outbox) {
  using Steady = std::chrono::steady_clock;
  const Duration watchdog = WatchdogInterval();
  return [&outbox, metrics = MakeTickHook(registry), watchdog, pinged = Steady::time_point{},
          told = Steady::time_point{}](const engine::Engine& e, size_t batches, size_t alerts) mutable {
    metrics(e, batches, alerts);
    const Steady::time_point now = Steady::now();
    if (watchdog.count() > 0 && now - pinged >= watchdog / 4) {
      NotifyWatchdog();
      pinged = now;
    }
    if (now - told >= std::chrono::seconds(10)) {
      NotifyStatus(std::to_string(e.alerts().firing()) + " alerts firing, " + std::to_string(e.incidents().open()) +
                   " incidents open, " + std::to_string(outbox ? outbox->depth() : 0) + " notifications queued");
      told = now;
    }
  };
}

}  // namespace

Daemon::Daemon(config::Config config, const Clock* clock, store::WrapWrites wrap_store)
    : config_(std::move(config)), parts_(std::make_unique<Parts>()) {
  Parts& p = *parts_;
  p.wrap_store = std::move(wrap_store);
  const Clock& c = clock ? *clock : p.system_clock;
  engine::EngineOptions eo;
  eo.alerts.resolve_timeout = config_.resolve_timeout;
  eo.alerts.resolved_retention = config_.engine.resolved_retention;
  eo.incidents.retention = config_.storage.retention;
  p.engine = std::make_unique<engine::Engine>(eo, config_.rules);
  p.clock = &c;
  p.loop = std::make_unique<EngineLoop>(*p.engine, c, config_.engine.queue_capacity, MakeHeartbeat(p.metrics, p.outbox),
                                        MakeNotifyHook(p.metrics, p.outbox));
  p.auth = std::make_shared<TokenAuth>();
  p.router = std::make_unique<http::Router>(p.metrics);
  p.routes = std::make_unique<Routes>(config_, *p.router, *p.loop, p.metrics, p.ready, p.auth);
  AddNotificationRoutes(*p.router, p.outbox);
  p.reload_ok = &p.metrics.GetGauge("incidentd_config_last_reload_successful",
                                    "1 when the last configuration reload (SIGHUP) succeeded, else 0.");
  p.reload_time = &p.metrics.GetGauge("incidentd_config_last_reload_success_timestamp_seconds",
                                      "When the configuration was last loaded successfully (start or reload).");
  p.reload_ok->Set(1);
  p.reload_time->Set(std::chrono::duration<double>(c.Now().time_since_epoch()).count());
}

Result<std::vector<std::unique_ptr<pagers::Pager>>> MakePagers(const config::Config& config,
                                                               const std::string& external_url) {
  pagers::PagerContext context;
  context.external_url = external_url;
  std::vector<std::unique_ptr<pagers::Pager>> out;
  for (const config::ReceiverConfig& rc : config.receivers) {
    Result<std::unique_ptr<pagers::Pager>> p = pagers::MakePager(rc, context);
    if (!p.ok()) return Status::Invalid(rc.origin + ": " + p.status().message());
    out.push_back(std::move(*p));
  }
  return out;
}

Daemon::~Daemon() { Stop(); }

Status Daemon::Start() {
  Parts& p = *parts_;
  std::error_code ec;
  std::filesystem::create_directories(config_.data_dir, ec);
  if (ec) return Status::Unavailable("data_dir: cannot create '" + config_.data_dir + "': " + ec.message());

  if (!config_.api_tokens_file.empty()) {
    Result<TokenAuth> auth = TokenAuth::Load(config_.api_tokens_file);
    if (!auth.ok()) return auth.status();
    *p.auth = std::move(*auth);
  }

  std::string host;
  uint16_t port;
  Status s = config::ParseListen(config_.listen, &host, &port);
  if (!s.ok()) return s;
  http::ServerOptions so;
  so.max_body_bytes = config_.http.max_body_bytes;
  so.max_header_bytes = config_.http.max_header_bytes;
  so.header_timeout = config_.http.header_timeout;
  so.body_timeout = config_.http.body_timeout;
  so.idle_timeout = config_.http.idle_timeout;
  p.server = std::make_unique<http::HttpServer>(p.ioc, *p.router, so);
  s = p.server->Start(host, port);
  if (!s.ok()) return s;

  std::string external_url = config_.external_url;
  if (external_url.empty()) {
    external_url = "http://" + (host.find(':') != std::string::npos ? "[" + host + "]" : host) + ":" +
                   std::to_string(p.server->port());
  }
  p.external_url = external_url;
  Result<std::vector<std::unique_ptr<pagers::Pager>>> pagers = MakePagers(config_, external_url);
  if (!pagers.ok()) return pagers.status();
  notify::HttpClientOptions ho;
  ho.ca_file = config_.notify.tls_ca_file;
  ho.max_connections_per_origin = config_.notify.max_connections_per_host;
  ho.user_agent = "incidentd/" INCIDENTD_VERSION;
  p.http_client = std::make_unique<notify::HttpClient>(p.ioc, ho);
  notify::OutboxOptions oo;
  oo.retry.initial_backoff = config_.notify.initial_backoff;
  oo.retry.max_backoff = config_.notify.max_backoff;
  oo.retry.max_attempts = static_cast<uint32_t>(config_.notify.max_attempts);
  oo.retry.max_age = config_.notify.max_age;
  oo.max_in_flight = config_.notify.max_in_flight;
  oo.log_retention = config_.notify.log_retention;
  p.outbox = std::make_unique<notify::Outbox>(p.ioc, *p.clock, *p.http_client, std::move(*pagers), oo, &p.metrics);

  s = Recover();
  if (!s.ok()) return s;

  p.loop->Start();
  if (config_.kafka.enabled()) {
    Result<store::Positions> positions = p.store->ReadPositions();
    if (!positions.ok()) return positions.status();
    // Half of a large round of messages is decoded on the I/O threads, which are otherwise idle under Kafka load.
    Result<std::unique_ptr<kafka::KafkaSource>> k =
        MakeKafkaSource(config_, *positions, *p.loop, p.metrics,
                        [&ioc = p.ioc](std::function<void()> task) { net::post(ioc, std::move(task)); });
    if (!k.ok()) return k.status();
    p.kafka = std::move(*k);
    s = p.kafka->Start();
    if (!s.ok()) return s;
    std::string topics;
    for (const config::KafkaTopicConfig& t : config_.kafka.topics) {
      topics += (topics.empty() ? "" : ", ") + t.name + " (" + t.format + ")";
    }
    spdlog::info("kafka: consuming {} as group {}", topics, config_.kafka.group_id);
  }
  p.work.emplace(p.ioc.get_executor());
  for (int i = 0; i < config_.http.io_threads; ++i) p.threads.emplace_back([&p] { p.ioc.run(); });
  p.ready = true;
  NotifyReady("listening on " + host + ":" + std::to_string(p.server->port()));
  spdlog::info(
      "incidentd listening on {}:{} ({} I/O threads, data_dir {}, {} rule files: {} correlations, {} inhibit "
      "rules, {} policies)",
      host, p.server->port(), config_.http.io_threads, config_.data_dir, config_.rule_paths.size(),
      config_.rules.correlations.size(), config_.rules.inhibit.size(), config_.rules.policies.size());
  return Status::Ok();
}

// Opens the state store, loads it into the engine and the outbox, and makes the engine loop write each tick to it.
// The I/O threads are not running yet: requests wait until the state is back, and /readyz answers only then.
Status Daemon::Recover() {
  Parts& p = *parts_;
  store::StoreOptions so;
  so.dir = (std::filesystem::path(config_.data_dir) / "state").string();
  so.sync = config_.storage.sync;
  so.log_retention = config_.notify.log_retention;
  so.wrap = p.wrap_store;
  Result<std::unique_ptr<store::StateStore>> opened = store::StateStore::Open(so, &p.metrics);
  if (!opened.ok()) return opened.status();
  p.store = std::move(*opened);
  store::RecoveredOutbox outbox;
  store::RecoveryStats stats;
  Status s = p.store->Recover(*p.engine, p.clock->Now(), &outbox, &stats);
  if (!s.ok()) return s;
  p.outbox->SetJournal(p.store.get());
  p.outbox->Restore(std::move(outbox.pending), std::move(outbox.finished));
  store::StateStore* st = p.store.get();
  p.loop->SetStore(st);
  p.metrics.AddGaugeFunction("incidentd_store_disk_bytes", "Bytes of the state store's files on disk.", {},
                             [st] { return static_cast<double>(st->DiskBytes()); });
  p.metrics.GetGauge("incidentd_store_recovery_seconds", "How long the last start took to load the state store.")
      .Set(stats.seconds);
  spdlog::info(
      "state recovered from {} in {:.2f} s: {} alerts, {} incidents ({} members, {} timeline entries), {} silences, "
      "{} notifications to send, {} in the log (sync {})",
      so.dir, stats.seconds, stats.alerts, stats.incidents, stats.members, stats.timeline, stats.silences,
      stats.pending, stats.finished, so.sync ? "on" : "off");
  return Status::Ok();
}

uint16_t Daemon::port() const { return parts_->server ? parts_->server->port() : 0; }

bool Daemon::PokeEngine() { return parts_->loop->Sync(std::chrono::seconds(10)); }

Status Daemon::Reload() {
  Parts& p = *parts_;
  auto fail = [&](const Status& s) {
    p.reload_ok->Set(0);
    spdlog::error("reload failed, the running configuration stays: {}", s.message());
    return s;
  };
  if (!p.outbox) return fail(Status::Unavailable("not started"));
  Result<config::Config> next = config::LoadConfig(config_.path);
  if (!next.ok()) return fail(next.status());
  Result<std::vector<std::unique_ptr<pagers::Pager>>> pagers = MakePagers(*next, p.external_url);
  if (!pagers.ok()) return fail(pagers.status());
  // Receivers first, so the new rules never name a receiver the outbox does not know yet.
  p.outbox->SetPagers(std::move(*pagers));
  std::shared_ptr<engine::RuleSet> rules = std::make_shared<engine::RuleSet>(next->rules);
  if (!p.loop->Execute([rules](engine::Engine& e, Time) {
        e.SetRules(std::move(*rules));
        return EngineLoop::Reply();
      }) ||
      !p.loop->Sync(std::chrono::seconds(10))) {
    return fail(Status::Unavailable("the engine did not take the new rules (stopping?)"));
  }
  std::vector<std::string> restart;
  if (next->listen != config_.listen) restart.push_back("listen");
  if (next->data_dir != config_.data_dir) restart.push_back("data_dir");
  if (next->api_tokens_file != config_.api_tokens_file) restart.push_back("api.tokens_file");
  if (next->external_url != config_.external_url) restart.push_back("external_url");
  if (next->generic_webhooks.size() != config_.generic_webhooks.size()) restart.push_back("generic_webhooks");
  auto kafka_topics = [](const config::KafkaConfig& k) {
    std::vector<std::pair<std::string, std::string>> out;
    for (const config::KafkaTopicConfig& t : k.topics) out.emplace_back(t.name, t.format);
    return out;
  };
  if (next->kafka.brokers != config_.kafka.brokers || next->kafka.group_id != config_.kafka.group_id ||
      kafka_topics(next->kafka) != kafka_topics(config_.kafka) ||
      next->kafka.dead_letter_topic != config_.kafka.dead_letter_topic ||
      next->kafka.properties != config_.kafka.properties) {
    restart.push_back("kafka");
  }
  for (const std::string& key : restart) spdlog::warn("reload: a changed {} takes effect at the next restart", key);
  config_.rules = next->rules;
  config_.receivers = next->receivers;
  config_.rule_paths = next->rule_paths;
  p.reload_ok->Set(1);
  p.reload_time->Set(std::chrono::duration<double>(p.clock->Now().time_since_epoch()).count());
  spdlog::info("reloaded {}: {} rule files, {} correlations, {} inhibit rules, {} policies, {} receivers", config_.path,
               config_.rule_paths.size(), config_.rules.correlations.size(), config_.rules.inhibit.size(),
               config_.rules.policies.size(), config_.receivers.size());
  return Status::Ok();
}

void Daemon::Stop() {
  Parts& p = *parts_;
  std::lock_guard lock(p.stop_mu);
  if (p.stopped) return;
  p.stopped = true;
  p.ready = false;
  if (p.kafka) {
    // First, while the engine loop runs: what was read is applied and committed, then the group is left.
    p.kafka->Stop();
    spdlog::info("kafka: left the group");
  }
  if (p.server) {
    p.server->Stop();
    spdlog::info("stopping: no new connections; requests in flight get up to {} s",
                 std::chrono::duration_cast<std::chrono::seconds>(config_.http.shutdown_timeout).count());
    auto deadline = std::chrono::steady_clock::now() +
                    std::chrono::duration_cast<std::chrono::steady_clock::duration>(config_.http.shutdown_timeout);
    if (!p.server->WaitForConnections(deadline)) spdlog::warn("shutdown: connections still open after the timeout");
  }
  p.loop->Stop();  // applies what is queued
  if (p.outbox) {
    // Requests in flight get a moment to finish; what waits for a retry stays in the store for the next start.
    auto deadline = std::chrono::steady_clock::now() + std::min<std::chrono::steady_clock::duration>(
                                                           config_.http.shutdown_timeout, std::chrono::seconds(5));
    p.outbox->WaitUntilIdle(deadline);
    if (p.outbox->depth() > 0) spdlog::warn("stopping with {} notifications undelivered", p.outbox->depth());
    p.outbox->Stop();
    p.http_client->Shutdown();
  }
  p.work.reset();
  p.ioc.stop();
  for (auto& t : p.threads) t.join();
  p.threads.clear();
  spdlog::info("incidentd stopped");
}

int RunUntilSignal(config::Config config) {
  // Signals first, so a SIGTERM during start-up is a graceful stop too. Their own io_context keeps the stop off the
  // daemon's threads, which the stop joins.
  net::io_context signals_ioc;
  net::signal_set signals(signals_ioc, SIGINT, SIGTERM, SIGHUP);
  std::unique_ptr<Daemon> daemon;
  // SIGHUP (systemctl reload) reloads the rules and receivers; it never ends the daemon (its default action).
  std::function<void(const boost::system::error_code&, int)> on_signal = [&](const boost::system::error_code& ec,
                                                                             int sig) {
    if (ec) return;
    if (sig == SIGHUP) {
      spdlog::info("SIGHUP: reloading the configuration");
      NotifyReloading();
      Status r = daemon->Reload();
      NotifyReady(r.ok() ? "reloaded" : "reload failed, running the previous configuration");
      signals.async_wait(on_signal);
      return;
    }
    spdlog::info("signal {}: stopping", sig);
  };
  signals.async_wait(on_signal);
  daemon = std::make_unique<Daemon>(std::move(config));
  Status s = daemon->Start();
  if (!s.ok()) {
    spdlog::critical("cannot start: {}", s.message());
    return 1;
  }
  signals_ioc.run();  // the handlers run here, after Start
  NotifyStopping();
  daemon->Stop();
  return 0;
}

}  // namespace incidentd::server
