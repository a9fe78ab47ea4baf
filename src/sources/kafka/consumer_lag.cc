#include "sources/kafka/consumer_lag.h"

#include <simdjson.h>

#include <charconv>

namespace incidentd::kafka {

std::vector<PartitionLag> ParseConsumerLag(std::string_view json) {
  std::vector<PartitionLag> out;
  simdjson::dom::parser parser;
  simdjson::dom::element root;
  if (parser.parse(json.data(), json.size()).get(root) != simdjson::SUCCESS) return out;
  simdjson::dom::object topics;
  if (root["topics"].get(topics) != simdjson::SUCCESS) return out;
  for (auto [name, topic] : topics) {
    simdjson::dom::object partitions;
    if (topic["partitions"].get(partitions) != simdjson::SUCCESS) continue;
    for (auto [id, p] : partitions) {
      int32_t partition = -1;
      auto [end, ec] = std::from_chars(id.data(), id.data() + id.size(), partition);
      if (ec != std::errc() || end != id.data() + id.size() || partition < 0) continue;
      int64_t lag = -1;
      if (p["consumer_lag"].get(lag) != simdjson::SUCCESS) lag = -1;
      out.push_back({std::string(name), partition, lag});
    }
  }
  return out;
}

}  // namespace incidentd::kafka
