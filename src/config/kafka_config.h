// KafkaConfig: the `kafka:` section, the topics incidentd consumes as one consumer group (src/sources/kafka).
//
// ReadKafka checks the section's shape; LoadConfig then checks what needs the whole file (a `generic:NAME` format
// must name a generic_webhooks mapping) and resolves the properties' secrets (`*_file`, `${ENV}`, config/secrets.h).
// librdkafka itself checks the property names and values when the consumer is built, which `check-config` does too.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "config/yaml_reader.h"

namespace incidentd::config {

struct KafkaTopicConfig {
  std::string name;
  std::string format;  // prometheus | alertmanager-webhook | pagerduty | generic:NAME
  std::string origin;  // "file:line:col" of the entry, for errors found later
};

struct KafkaConfig {
  std::vector<std::string> brokers;  // host:port each; REQUIRES: not empty when topics are
  std::string group_id = "incidentd";
  std::vector<KafkaTopicConfig> topics;  // empty: no Kafka consumer
  std::string dead_letter_topic;         // empty: a message that does not decode is counted and logged only
  // librdkafka settings passed through (security.protocol, sasl.*, ssl.*, session.timeout.ms, …), secrets resolved.
  // Those incidentd owns are refused: kOwnedKafkaProperties.
  std::vector<std::pair<std::string, std::string>> properties;
  std::string properties_origin;  // "file:line:col" of the mapping, for errors found later

  bool enabled() const { return !topics.empty(); }
};

// Properties incidentd sets itself: the brokers and group have keys of their own, and the offsets are stored only
// once the state store holds what they applied.
inline constexpr const char* kOwnedKafkaProperties[] = {"bootstrap.servers", "metadata.broker.list", "group.id",
                                                        "enable.auto.offset.store", "enable.auto.commit"};

bool ReadKafka(YamlReader& r, const YAML::Node& n, KafkaConfig* out);

}  // namespace incidentd::config
