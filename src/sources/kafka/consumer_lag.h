// ConsumerLag: the per-partition consumer lag out of librdkafka's statistics JSON (statistics.interval.ms), for the
// incidentd_kafka_consumer_lag gauge.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace incidentd::kafka {

struct PartitionLag {
  std::string topic;
  int32_t partition = 0;
  int64_t lag = -1;  // messages between the committed offset and the end of the partition; -1: not known
};

// Every topic's partitions ("topics" → name → "partitions" → id → "consumer_lag"), without librdkafka's internal
// partition -1. A statistics document that cannot be read gives nothing.
std::vector<PartitionLag> ParseConsumerLag(std::string_view json);

}  // namespace incidentd::kafka
