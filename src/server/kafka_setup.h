// The Kafka source as the config describes it (src/sources/kafka): one decoder per topic, and the positions the state
// store holds, so messages applied before a restart are not applied again.
#pragma once

#include <functional>
#include <memory>

#include "config/config.h"
#include "incidentd/alert_sink.h"
#include "observability/metrics.h"
#include "sources/kafka/kafka_source.h"
#include "store/state_store.h"

namespace incidentd::server {

// decode_executor: where half of a large round of messages is decoded (the I/O threads); may be empty.
// REQUIRES: config.kafka.enabled().
Result<std::unique_ptr<kafka::KafkaSource>> MakeKafkaSource(
    const config::Config& config, const store::Positions& positions, AlertSink& sink, observability::Registry& metrics,
    std::function<void(std::function<void()>)> decode_executor = {});

// What MakeKafkaSource would refuse (a property librdkafka does not take), without connecting: check-config.
Status CheckKafka(const config::Config& config);

}  // namespace incidentd::server
