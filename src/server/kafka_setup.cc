#include "server/kafka_setup.h"

#include "decode/factory.h"

namespace incidentd::server {
namespace {

kafka::KafkaSourceOptions Options(const config::Config& config) {
  kafka::KafkaSourceOptions o;
  o.brokers = config.kafka.brokers;
  o.group_id = config.kafka.group_id;
  o.dead_letter_topic = config.kafka.dead_letter_topic;
  o.properties = config.kafka.properties;
  return o;
}

}  // namespace

Result<std::unique_ptr<kafka::KafkaSource>> MakeKafkaSource(
    const config::Config& config, const store::Positions& positions, AlertSink& sink, observability::Registry& metrics,
    std::function<void(std::function<void()>)> decode_executor) {
  kafka::KafkaSourceOptions o = Options(config);
  o.decode_executor = std::move(decode_executor);
  constexpr std::string_view kPrefix = "kafka/";
  for (auto it = positions.lower_bound(kPrefix); it != positions.end() && it->first.starts_with(kPrefix); ++it) {
    o.applied.emplace(it->first, it->second);
  }
  std::vector<kafka::KafkaTopic> topics;
  for (const config::KafkaTopicConfig& t : config.kafka.topics) {
    // A Kafka message is often one alert: the prometheus format takes a lone object too.
    std::unique_ptr<decode::Decoder> d =
        decode::MakeNamedDecoder(t.format, config.limits, config.generic_webhooks, /*one_alert_alone=*/true);
    if (d == nullptr) return Status::Invalid(t.origin + ": kafka.topics: unknown format " + t.format);
    topics.push_back({t.name, std::move(d)});
  }
  return kafka::KafkaSource::Create(std::move(o), std::move(topics), sink, metrics);
}

Status CheckKafka(const config::Config& config) {
  if (!config.kafka.enabled()) return Status::Ok();
  Status s = kafka::KafkaSource::Check(Options(config));
  if (!s.ok()) return Status::Invalid(config.path + ": " + s.message());
  return s;
}

}  // namespace incidentd::server
