#include "config/config.h"

#include <glob.h>

#include <algorithm>
#include <filesystem>
#include <set>

#include "config/secrets.h"
#include "config/yaml_reader.h"
#include "decode/validate.h"

namespace incidentd::config {
namespace {

namespace fs = std::filesystem;

using decode::IsValidJsonPointer;
using decode::IsValidName;

std::string Resolve(const fs::path& base, const std::string& p) {
  if (p.empty() || fs::path(p).is_absolute()) return p;
  return (base / p).lexically_normal().string();
}

bool ReadHttp(YamlReader& r, const YAML::Node& n, HttpOptions* h) {
  return r.ForEachKey(n, "http",
                      {"io_threads", "max_body_bytes", "max_header_bytes", "header_timeout", "body_timeout",
                       "idle_timeout", "shutdown_timeout"},
                      [&](const std::string& k, const YAML::Node& v) {
                        if (k == "io_threads") {
                          int64_t t;
                          if (!r.ReadInt(v, "http.io_threads", 1, 64, &t)) return false;
                          h->io_threads = static_cast<int>(t);
                          return true;
                        }
                        if (k == "max_body_bytes") return r.ReadBytes(v, "http.max_body_bytes", &h->max_body_bytes);
                        if (k == "max_header_bytes") {
                          return r.ReadBytes(v, "http.max_header_bytes", &h->max_header_bytes);
                        }
                        if (k == "header_timeout") return r.ReadDuration(v, "http.header_timeout", &h->header_timeout);
                        if (k == "body_timeout") return r.ReadDuration(v, "http.body_timeout", &h->body_timeout);
                        if (k == "idle_timeout") return r.ReadDuration(v, "http.idle_timeout", &h->idle_timeout);
                        return r.ReadDuration(v, "http.shutdown_timeout", &h->shutdown_timeout);
                      });
}

bool ReadEngine(YamlReader& r, const YAML::Node& n, EngineOptions* e) {
  return r.ForEachKey(n, "engine", {"queue_capacity", "resolved_retention"},
                      [&](const std::string& k, const YAML::Node& v) {
                        if (k == "queue_capacity") {
                          int64_t c;
                          if (!r.ReadInt(v, "engine.queue_capacity", 1, 100'000'000, &c)) return false;
                          e->queue_capacity = static_cast<uint64_t>(c);
                          return true;
                        }
                        return r.ReadDuration(v, "engine.resolved_retention", &e->resolved_retention);
                      });
}

bool ReadNotify(YamlReader& r, const YAML::Node& n, NotifyOptions* o) {
  auto read_count = [&](const YAML::Node& v, const char* key, int64_t max, uint64_t* out) {
    int64_t x;
    if (!r.ReadInt(v, key, 1, max, &x)) return false;
    *out = static_cast<uint64_t>(x);
    return true;
  };
  auto read_positive = [&](const YAML::Node& v, const std::string& key, Duration* out) {
    if (!r.ReadDuration(v, key, out)) return false;
    return out->count() > 0 || r.Fail(v, key + ": must be greater than 0s");
  };
  bool ok = r.ForEachKey(
      n, "notify", {"max_in_flight", "retry", "log_retention", "max_connections_per_host", "tls_ca_file"},
      [&](const std::string& k, const YAML::Node& v) {
        if (k == "max_in_flight") return read_count(v, "notify.max_in_flight", 100000, &o->max_in_flight);
        if (k == "max_connections_per_host") {
          return read_count(v, "notify.max_connections_per_host", 1024, &o->max_connections_per_host);
        }
        if (k == "log_retention") return read_positive(v, "notify.log_retention", &o->log_retention);
        if (k == "tls_ca_file") return r.ReadString(v, "notify.tls_ca_file", &o->tls_ca_file);
        return r.ForEachKey(v, "notify.retry", {"initial_backoff", "max_backoff", "max_attempts", "max_age"},
                            [&](const std::string& rk, const YAML::Node& rv) {
                              const std::string key = "notify.retry." + rk;
                              if (rk == "initial_backoff") return read_positive(rv, key, &o->initial_backoff);
                              if (rk == "max_backoff") return read_positive(rv, key, &o->max_backoff);
                              if (rk == "max_age") return read_positive(rv, key, &o->max_age);
                              return read_count(rv, "notify.retry.max_attempts", 1000000, &o->max_attempts);
                            });
      });
  if (ok && o->max_backoff < o->initial_backoff) {
    return r.Fail(n, "notify.retry.max_backoff: must not be less than notify.retry.initial_backoff");
  }
  return ok;
}

bool ReadStorage(YamlReader& r, const YAML::Node& n, StorageOptions* o) {
  return r.ForEachKey(n, "storage", {"sync", "retention"}, [&](const std::string& k, const YAML::Node& v) {
    if (k == "sync") return r.ReadBool(v, "storage.sync", &o->sync);
    if (!r.ReadDuration(v, "storage.retention", &o->retention)) return false;
    return o->retention.count() > 0 || r.Fail(v, "storage.retention: must be greater than 0s");
  });
}

bool ReadLimits(YamlReader& r, const YAML::Node& n, decode::Limits* l) {
  return r.ForEachKey(n, "limits",
                      {"max_alerts_per_request", "max_labels", "max_annotations", "max_name_bytes",
                       "max_label_value_bytes", "max_annotation_value_bytes"},
                      [&](const std::string& k, const YAML::Node& v) {
                        int64_t x;
                        if (!r.ReadInt(v, "limits." + k, 1, 1'000'000'000, &x)) return false;
                        size_t val = static_cast<size_t>(x);
                        if (k == "max_alerts_per_request") l->max_alerts = val;
                        if (k == "max_labels") l->max_labels = val;
                        if (k == "max_annotations") l->max_annotations = val;
                        if (k == "max_name_bytes") l->max_name_bytes = val;
                        if (k == "max_label_value_bytes") l->max_label_value_bytes = val;
                        if (k == "max_annotation_value_bytes") l->max_annotation_value_bytes = val;
                        return true;
                      });
}

bool ReadPointer(YamlReader& r, const YAML::Node& v, const std::string& key, std::string* out) {
  if (!r.ReadString(v, key, out)) return false;
  if (!IsValidJsonPointer(*out))
    return r.Fail(v, key + ": not a JSON pointer (RFC 6901: empty, or /a/b with ~0 and ~1 escapes)");
  return true;
}

bool ReadPointerMap(YamlReader& r, const YAML::Node& v, const std::string& key, bool label_names,
                    std::vector<std::pair<std::string, std::string>>* out) {
  if (!r.ReadStringMap(v, key, out)) return false;
  size_t i = 0;
  for (auto it = v.begin(); it != v.end(); ++it, ++i) {
    const auto& [name, pointer] = (*out)[i];
    if (label_names && !IsValidName(name)) return r.Fail(it->first, key + ": invalid label name '" + name + "'");
    if (!IsValidJsonPointer(pointer))
      return r.Fail(it->second, key + "." + name + ": not a JSON pointer (RFC 6901: /a/b with ~0 and ~1 escapes)");
  }
  return true;
}

bool ReadMapping(YamlReader& r, const YAML::Node& n, const std::string& where, decode::GenericMapping* m) {
  bool ok = r.ForEachKey(n, where,
                         {"name", "alerts", "labels", "labels_from", "annotations", "annotations_from", "static_labels",
                          "status", "resolved_values", "starts_at", "ends_at", "generator_url", "resolve_timeout"},
                         [&](const std::string& k, const YAML::Node& v) {
                           std::string key = where + "." + k;
                           if (k == "name") return r.ReadString(v, key, &m->name);
                           if (k == "alerts") return ReadPointer(r, v, key, &m->alerts);
                           if (k == "labels") return ReadPointerMap(r, v, key, true, &m->labels);
                           if (k == "labels_from") return ReadPointer(r, v, key, &m->labels_from);
                           if (k == "annotations") return ReadPointerMap(r, v, key, true, &m->annotations);
                           if (k == "annotations_from") return ReadPointer(r, v, key, &m->annotations_from);
                           if (k == "static_labels") {
                             if (!r.ReadStringMap(v, key, &m->static_labels)) return false;
                             for (const auto& [name, value] : m->static_labels) {
                               if (!IsValidName(name)) return r.Fail(v, key + ": invalid label name '" + name + "'");
                             }
                             return true;
                           }
                           if (k == "status") return ReadPointer(r, v, key, &m->status);
                           if (k == "resolved_values") return r.ReadStringList(v, key, &m->resolved_values);
                           if (k == "starts_at") return ReadPointer(r, v, key, &m->starts_at);
                           if (k == "ends_at") return ReadPointer(r, v, key, &m->ends_at);
                           if (k == "generator_url") return ReadPointer(r, v, key, &m->generator_url);
                           m->resolve_timeout_set = true;
                           return r.ReadDuration(v, key, &m->resolve_timeout);
                         });
  if (!ok) return false;
  if (m->name.empty()) return r.Fail(n, where + ": name is required");
  bool name_ok = std::all_of(m->name.begin(), m->name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
  });
  if (!name_ok) return r.Fail(n["name"], where + ".name: use only a-z, 0-9, '_' and '-'");
  if (m->labels.empty() && m->labels_from.empty()) {
    return r.Fail(n, where + ": needs labels or labels_from (an alert is identified by its labels)");
  }
  return true;
}

Status LoadRuleFiles(Config& c, const fs::path& base) {
  std::set<std::string> paths;
  for (const std::string& pattern : c.rule_files) {
    std::string full = Resolve(base, pattern);
    glob_t g{};
    int rc = ::glob(full.c_str(), 0, nullptr, &g);
    if (rc == 0) {
      for (size_t i = 0; i < g.gl_pathc; ++i) paths.insert(g.gl_pathv[i]);
    } else if (rc != GLOB_NOMATCH) {
      ::globfree(&g);
      return Status::Invalid(c.path + ": rule_files: cannot expand '" + pattern + "'");
    }
    ::globfree(&g);
  }
  c.rule_paths.assign(paths.begin(), paths.end());
  Result<LoadedRules> loaded = LoadRules(c.rule_paths);
  if (!loaded.ok()) return loaded.status();
  c.rules = std::move(loaded->rules);
  c.receivers = std::move(loaded->receivers);
  return Status::Ok();
}

}  // namespace

bool ValidLogLevel(const std::string& level) {
  static const std::set<std::string> kLevels{"trace", "debug", "info", "warn", "error", "critical", "off"};
  return kLevels.count(level) > 0;
}

Status ParseListen(const std::string& listen, std::string* host, uint16_t* port) {
  size_t colon = listen.rfind(':');
  if (colon == std::string::npos || colon + 1 >= listen.size()) {
    return Status::Invalid("listen: '" + listen + "' is not host:port");
  }
  std::string h = listen.substr(0, colon);
  if (h.size() >= 2 && h.front() == '[' && h.back() == ']') h = h.substr(1, h.size() - 2);
  std::string p = listen.substr(colon + 1);
  if (h.empty() || p.size() > 5 || !std::all_of(p.begin(), p.end(), [](char ch) { return ch >= '0' && ch <= '9'; }) ||
      std::stoul(p) > 65535) {
    return Status::Invalid("listen: '" + listen + "' is not host:port");
  }
  *host = h;
  *port = static_cast<uint16_t>(std::stoul(p));
  return Status::Ok();
}

Result<Config> LoadConfig(const std::string& path) {
  Config c;
  c.path = path;
  YamlReader r(path);
  YAML::Node root;
  try {
    root = YAML::LoadFile(path);
  } catch (const YAML::BadFile&) {
    return Status::Invalid(path + ": cannot read the file");
  } catch (const YAML::ParserException& e) {
    r.Fail(e.mark, e.msg);
    return r.status();
  }
  fs::path base = fs::path(path).parent_path();
  bool ok = true;
  try {
    ok = r.ForEachKey(root, "the config",
                      {"listen", "data_dir", "rule_files", "log_level", "resolve_timeout", "http", "engine", "limits",
                       "generic_webhooks", "api", "external_url", "notify", "storage", "kafka"},
                      [&](const std::string& k, const YAML::Node& v) {
                        if (k == "listen") {
                          if (!r.ReadString(v, k, &c.listen)) return false;
                          std::string host;
                          uint16_t port;
                          Status s = ParseListen(c.listen, &host, &port);
                          return s.ok() || r.Fail(v, s.message());
                        }
                        if (k == "data_dir") return r.ReadString(v, k, &c.data_dir);
                        if (k == "rule_files") return r.ReadStringList(v, k, &c.rule_files);
                        if (k == "log_level") {
                          if (!r.ReadString(v, k, &c.log_level)) return false;
                          return ValidLogLevel(c.log_level) ||
                                 r.Fail(v, "log_level: must be one of trace, debug, info, warn, error, critical, off");
                        }
                        if (k == "resolve_timeout") {
                          if (!r.ReadDuration(v, k, &c.resolve_timeout)) return false;
                          return c.resolve_timeout.count() > 0 || r.Fail(v, "resolve_timeout: must be greater than 0s");
                        }
                        if (k == "http") return ReadHttp(r, v, &c.http);
                        if (k == "engine") return ReadEngine(r, v, &c.engine);
                        if (k == "limits") return ReadLimits(r, v, &c.limits);
                        if (k == "notify") return ReadNotify(r, v, &c.notify);
                        if (k == "storage") return ReadStorage(r, v, &c.storage);
                        if (k == "kafka") return ReadKafka(r, v, &c.kafka);
                        if (k == "external_url") {
                          if (!r.ReadString(v, k, &c.external_url)) return false;
                          bool http = c.external_url.starts_with("http://") || c.external_url.starts_with("https://");
                          if (!http) return r.Fail(v, "external_url: must start with http:// or https://");
                          while (c.external_url.ends_with("/")) c.external_url.pop_back();
                          return true;
                        }
                        if (k == "api") {
                          return r.ForEachKey(v, "api", {"tokens_file"}, [&](const std::string&, const YAML::Node& t) {
                            return r.ReadString(t, "api.tokens_file", &c.api_tokens_file);
                          });
                        }
                        if (!v.IsSequence()) return r.Fail(v, "generic_webhooks: must be a list");
                        std::set<std::string> names;
                        for (size_t i = 0; i < v.size(); ++i) {
                          decode::GenericMapping m;
                          std::string where = "generic_webhooks[" + std::to_string(i) + "]";
                          if (!ReadMapping(r, v[i], where, &m)) return false;
                          if (!names.insert(m.name).second)
                            return r.Fail(v[i]["name"], where + ".name: duplicate '" + m.name + "'");
                          c.generic_webhooks.push_back(std::move(m));
                        }
                        return true;
                      });
  } catch (const YAML::Exception& e) {
    r.Fail(e.mark, e.msg);
    ok = false;
  }
  if (!ok) return r.status();
  if (c.http.max_body_bytes < 1024) return Status::Invalid(path + ": http.max_body_bytes: must be at least 1KiB");
  c.data_dir = Resolve(base, c.data_dir);
  c.api_tokens_file = Resolve(base, c.api_tokens_file);
  c.notify.tls_ca_file = Resolve(base, c.notify.tls_ca_file);
  for (const KafkaTopicConfig& t : c.kafka.topics) {
    if (!t.format.starts_with("generic:")) continue;
    const std::string name = t.format.substr(8);
    if (std::none_of(c.generic_webhooks.begin(), c.generic_webhooks.end(),
                     [&](const decode::GenericMapping& m) { return m.name == name; })) {
      return Status::Invalid(t.origin + ": kafka.topics: format " + t.format + ": no generic_webhooks entry named '" +
                             name + "'");
    }
  }
  Status s = ResolveSecrets(c.kafka.properties, base.string(), c.kafka.properties_origin + ": kafka.properties");
  if (!s.ok()) return s;
  s = LoadRuleFiles(c, base);
  if (!s.ok()) return s;
  for (ReceiverConfig& rc : c.receivers) {
    s = ResolveReceiverSecrets(rc, "");
    if (!s.ok()) return s;
  }
  return c;
}

}  // namespace incidentd::config
