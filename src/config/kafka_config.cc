#include "config/kafka_config.h"

#include <algorithm>
#include <set>

namespace incidentd::config {
namespace {

std::string Origin(const YamlReader& r, const YAML::Node& n) {
  const YAML::Mark m = n.Mark();
  return r.file() + ":" + std::to_string(m.line + 1) + ":" + std::to_string(m.column + 1);
}

bool KnownFormat(const std::string& f) {
  return f == "prometheus" || f == "alertmanager-webhook" || f == "pagerduty" ||
         (f.starts_with("generic:") && f.size() > 8);
}

bool ReadTopics(YamlReader& r, const YAML::Node& n, KafkaConfig* out) {
  if (!n.IsSequence() || n.size() == 0) return r.Fail(n, "kafka.topics: must be a non-empty list");
  std::set<std::string> names;
  for (size_t i = 0; i < n.size(); ++i) {
    const std::string where = "kafka.topics[" + std::to_string(i) + "]";
    KafkaTopicConfig t;
    t.origin = Origin(r, n[i]);
    t.format = "prometheus";
    bool ok = r.ForEachKey(n[i], where, {"name", "format"}, [&](const std::string& k, const YAML::Node& v) {
      if (k == "name") return r.ReadString(v, where + ".name", &t.name);
      if (!r.ReadString(v, where + ".format", &t.format)) return false;
      return KnownFormat(t.format) ||
             r.Fail(v, where + ".format: must be prometheus, alertmanager-webhook, pagerduty or generic:NAME, not '" +
                           t.format + "'");
    });
    if (!ok) return false;
    if (!n[i].IsMap()) return r.Fail(n[i], where + " must be a mapping");
    if (t.name.empty()) return r.Fail(n[i], where + ".name: required");
    if (!names.insert(t.name).second) return r.Fail(n[i]["name"], where + ".name: duplicate '" + t.name + "'");
    out->topics.push_back(std::move(t));
  }
  return true;
}

}  // namespace

bool ReadKafka(YamlReader& r, const YAML::Node& n, KafkaConfig* out) {
  bool ok = r.ForEachKey(
      n, "kafka", {"brokers", "group_id", "topics", "dead_letter_topic", "properties"},
      [&](const std::string& k, const YAML::Node& v) {
        if (k == "brokers") {
          // A list, or librdkafka's comma-separated form.
          std::vector<std::string> list;
          if (v.IsScalar()) {
            std::string s = v.Scalar();
            for (size_t at = 0; at <= s.size();) {
              size_t comma = std::min(s.find(',', at), s.size());
              std::string b = s.substr(at, comma - at);
              b.erase(0, b.find_first_not_of(' '));
              b.erase(b.find_last_not_of(' ') + 1);
              if (!b.empty()) list.push_back(b);
              at = comma + 1;
            }
          } else if (!r.ReadStringList(v, "kafka.brokers", &list)) {
            return false;
          }
          for (const std::string& b : list) {
            if (b.find(':') == std::string::npos) return r.Fail(v, "kafka.brokers: '" + b + "' must be host:port");
          }
          out->brokers = std::move(list);
          return true;
        }
        if (k == "group_id") return r.ReadString(v, "kafka.group_id", &out->group_id);
        if (k == "topics") return ReadTopics(r, v, out);
        if (k == "dead_letter_topic") return r.ReadString(v, "kafka.dead_letter_topic", &out->dead_letter_topic);
        out->properties_origin = Origin(r, v);
        if (!r.ReadStringMap(v, "kafka.properties", &out->properties)) return false;
        for (const auto& [name, value] : out->properties) {
          for (const char* owned : kOwnedKafkaProperties) {
            if (name == owned) {
              return r.Fail(v[name], "kafka.properties: " + name +
                                         " is set by incidentd (use kafka.brokers and kafka.group_id; offsets are "
                                         "committed once applied)");
            }
          }
        }
        return true;
      });
  if (!ok) return false;
  if (n.IsMap() && !out->topics.empty()) {
    if (out->brokers.empty()) return r.Fail(n, "kafka.brokers: required when kafka.topics is set");
    if (out->group_id.empty()) return r.Fail(n, "kafka.group_id: must not be empty");
    for (const KafkaTopicConfig& t : out->topics) {
      if (t.name == out->dead_letter_topic) {
        return r.Fail(n["dead_letter_topic"], "kafka.dead_letter_topic: '" + t.name + "' is also consumed");
      }
    }
  }
  return true;
}

}  // namespace incidentd::config
