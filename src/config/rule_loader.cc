#include "config/rule_loader.h"

#include <algorithm>
#include <array>
#include <map>
#include <optional>
#include <set>

#include "config/yaml_reader.h"
#include "decode/validate.h"

namespace incidentd::config {
namespace {

using decode::IsValidName;
using engine::CorrelationRule;
using engine::DistinctCount;
using engine::EscalationStep;
using engine::FlappingRule;
using engine::InhibitRule;
using engine::MajorRule;
using engine::Matcher;
using engine::MatchType;
using engine::Policy;
using engine::Priority;
using engine::PriorityRule;
using engine::ProblemsRule;
using engine::TitleTemplate;
using engine::Topology;

std::string At(const std::string& where, size_t i) { return where + "[" + std::to_string(i) + "]"; }

void SortUnique(std::vector<std::string>& v) {
  std::sort(v.begin(), v.end());
  v.erase(std::unique(v.begin(), v.end()), v.end());
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// Parses "text {{ label }} text": the reason it cannot, or "" on success.
std::string ParseTitle(std::string_view text, TitleTemplate* out) {
  std::string literal;
  size_t pos = 0;
  while (pos < text.size()) {
    size_t open = text.find("{{", pos);
    if (open == std::string_view::npos) {
      literal += text.substr(pos);
      break;
    }
    literal += text.substr(pos, open - pos);
    size_t close = text.find("}}", open + 2);
    if (close == std::string_view::npos) return "unclosed '{{' at character " + std::to_string(open + 1);
    std::string_view name = Trim(text.substr(open + 2, close - open - 2));
    if (!IsValidName(name)) {
      return "invalid label name '" + std::string(name) + "' in '" + std::string(text.substr(open, close + 2 - open)) +
             "'";
    }
    if (!literal.empty()) out->parts.push_back({false, std::move(literal)});
    literal.clear();
    out->parts.push_back({true, std::string(name)});
    pos = close + 2;
  }
  if (!literal.empty()) out->parts.push_back({false, std::move(literal)});
  return "";
}

// The keys each receiver type takes besides name and type, and the keys of which it needs at least one.
struct ReceiverType {
  std::string_view type;
  std::vector<std::string_view> keys;
  std::vector<std::string_view> required;  // one of these
};

const std::array<ReceiverType, 4>& ReceiverTypes() {
  static const std::array<ReceiverType, 4> kTypes{{
      {"pagerduty",
       {"url", "routing_key", "routing_key_file", "source", "component", "rate_limit", "timeout"},
       {"routing_key", "routing_key_file"}},
      {"opsgenie",
       {"url", "api_key", "api_key_file", "source", "entity", "tags", "timeout"},
       {"api_key", "api_key_file"}},
      {"webhook", {"url", "url_file", "hmac_secret", "hmac_secret_file", "timeout"}, {"url", "url_file"}},
      {"slack", {"url", "url_file", "channel", "timeout"}, {"url", "url_file"}},
  }};
  return kTypes;
}

const ReceiverType* FindReceiverType(std::string_view type) {
  for (const ReceiverType& t : ReceiverTypes()) {
    if (t.type == type) return &t;
  }
  return nullptr;
}

std::string Join(const std::vector<std::string_view>& v, std::string_view sep) {
  std::string out;
  for (std::string_view s : v) out += (out.empty() ? "" : std::string(sep)) + std::string(s);
  return out;
}

// A name used by one rule file and defined in any: checked once every file is read.
struct Reference {
  enum Kind { kPolicy, kReceiver, kService } kind;
  std::string file;
  YAML::Mark mark;
  std::string field;  // "correlations[0].policy"
  std::string name;
};

// Where a service's depends_on entries were written, parallel to Topology::services, for errors found once every
// file is read.
struct ServiceSource {
  std::string file;
  std::string field;               // "topology.services[2].depends_on"
  std::vector<std::string> names;  // as written
  std::vector<YAML::Mark> marks;   // of each entry
};

// What the files read so far have added up to.
struct Merged {
  LoadedRules out;
  std::set<std::string> ignore_labels;
  std::map<std::string, std::string, std::less<>> correlation_origins;  // name -> "file:line"
  std::map<std::string, std::string, std::less<>> policy_origins;
  std::map<std::string, std::string, std::less<>> receiver_origins;
  std::map<std::string, std::string, std::less<>> service_origins;
  std::vector<ServiceSource> service_sources;
  // Settings one file may set: "file:line" of the one that did, empty while none has.
  std::string topology_label_origin;
  std::string topology_window_origin;
  std::string topology_release_origin;
  std::string major_origin;
  std::string flapping_origin;
  std::string problems_origin;
  std::vector<Reference> references;
};

// Reads one rule file into a Merged. Every Read* returns false after recording the first error in the reader.
class RuleFileReader {
 public:
  RuleFileReader(YamlReader& r, Merged& m) : r_(r), m_(m) {}

  bool Read(const YAML::Node& root) {
    if (root.IsNull()) return true;
    if (!root.IsMap()) return r_.Fail(root, "a rule file must be a mapping");
    return r_.ForEachKey(
        root, "the rule file",
        {"dedup", "correlations", "inhibit", "policies", "receivers", "topology", "major", "flapping", "problems"},
        [&](const std::string& k, const YAML::Node& v) {
          if (k == "dedup") return ReadDedup(v);
          if (k == "correlations") return ForEachItem(v, k, &RuleFileReader::ReadCorrelation);
          if (k == "inhibit") return ForEachItem(v, k, &RuleFileReader::ReadInhibit);
          if (k == "policies") return ForEachItem(v, k, &RuleFileReader::ReadPolicy);
          if (k == "receivers") return ForEachItem(v, k, &RuleFileReader::ReadReceiver);
          if (k == "topology") return ReadTopology(v);
          if (k == "major") {
            return Claim(v, k, &m_.major_origin) && ReadMajor(v, k, &m_.out.rules.major);
          }
          if (k == "flapping") return ReadFlapping(v);
          return ReadProblems(v);
        });
  }

 private:
  std::string Origin(const YAML::Node& n) const { return r_.file() + ":" + std::to_string(n.Mark().line + 1); }

  bool ForEachItem(const YAML::Node& n, const std::string& key,
                   bool (RuleFileReader::*read)(const YAML::Node&, const std::string&)) {
    if (n.IsNull()) return true;
    if (!n.IsSequence()) return r_.Fail(n, key + ": must be a list");
    for (size_t i = 0; i < n.size(); ++i) {
      if (!(this->*read)(n[i], At(key, i))) return false;
    }
    return true;
  }

  void Refer(Reference::Kind kind, const YAML::Node& at, std::string field, std::string name) {
    m_.references.push_back({kind, r_.file(), at.Mark(), std::move(field), std::move(name)});
  }

  bool ReadNonEmpty(const YAML::Node& n, const std::string& key, std::string* out) {
    if (!r_.ReadString(n, key, out)) return false;
    return !out->empty() || r_.Fail(n, key + ": must not be empty");
  }

  // Reads `key: <name>` of an item and claims the name, unique across files.
  bool ReadName(const YAML::Node& n, const std::string& where, const YAML::Node& item,
                std::map<std::string, std::string, std::less<>>& origins, std::string* out) {
    std::string key = where + ".name";
    if (!ReadNonEmpty(n, key, out)) return false;
    auto [it, inserted] = origins.emplace(*out, Origin(item));
    if (!inserted) return r_.Fail(n, key + ": duplicate name '" + *out + "' (first defined at " + it->second + ")");
    return true;
  }

  // A setting only one file may make: claims it for this file, or fails naming the file that made it.
  bool Claim(const YAML::Node& n, const std::string& key, std::string* origin) {
    if (!origin->empty()) return r_.Fail(n, key + ": already set at " + *origin);
    *origin = Origin(n);
    return true;
  }

  bool ReadCount(const YAML::Node& n, const std::string& key, int64_t min, int64_t max, uint32_t* out) {
    int64_t v;
    if (!r_.ReadInt(n, key, min, max, &v)) return false;
    *out = static_cast<uint32_t>(v);
    return true;
  }

  bool ReadLabelName(const YAML::Node& n, const std::string& key, std::string* out) {
    if (!r_.ReadString(n, key, out)) return false;
    return IsValidName(*out) || r_.Fail(n, key + ": invalid label name '" + *out + "'");
  }

  // {label: <label name>, count: 1..1000000}, both required.
  bool ReadDistinct(const YAML::Node& n, const std::string& key, DistinctCount* out) {
    DistinctCount d;
    bool ok = r_.ForEachKey(n, key, {"label", "count"}, [&](const std::string& k, const YAML::Node& v) {
      if (k == "label") return ReadLabelName(v, key + "." + k, &d.label);
      return ReadCount(v, key + "." + k, 1, 1000000, &d.count);
    });
    if (!ok) return false;
    if (d.label.empty()) return r_.Fail(n, key + ": label is required");
    if (d.count == 0) return r_.Fail(n, key + ": count is required");
    *out = std::move(d);
    return true;
  }

  bool ReadLabelNames(const YAML::Node& n, const std::string& key, std::vector<std::string>* out) {
    if (!r_.ReadStringList(n, key, out)) return false;
    for (size_t i = 0; i < out->size(); ++i) {
      if (!IsValidName((*out)[i])) return r_.Fail(n[i], At(key, i) + ": invalid label name '" + (*out)[i] + "'");
    }
    return true;
  }

  bool ReadDuration(const YAML::Node& n, const std::string& key, bool allow_zero, Duration* out) {
    if (!r_.ReadDuration(n, key, out)) return false;
    return allow_zero || out->count() > 0 || r_.Fail(n, key + ": must be greater than 0s");
  }

  // A list of matcher strings, or one string holding a list (`{a="1", b=~"2"}` or `a="1", b=~"2"`).
  bool ReadMatchers(const YAML::Node& n, const std::string& key, std::vector<Matcher>* out) {
    if (n.IsScalar()) {
      Result<std::vector<Matcher>> list = Matcher::ParseList(n.Scalar());
      if (!list.ok()) return r_.Fail(n, key + ": " + list.status().message());
      out->insert(out->end(), list->begin(), list->end());
      return true;
    }
    if (!n.IsSequence()) return r_.Fail(n, key + ": must be a list of matchers, or one string of them");
    for (size_t i = 0; i < n.size(); ++i) {
      if (!n[i].IsScalar()) return r_.Fail(n[i], At(key, i) + ": must be a string");
      Result<Matcher> m = Matcher::Parse(n[i].Scalar());
      if (!m.ok()) return r_.Fail(n[i], At(key, i) + ": " + m.status().message());
      out->push_back(std::move(*m));
    }
    return true;
  }

  // Alertmanager's older form: a mapping of label name to value (equality) or to regex.
  bool ReadMatchMap(const YAML::Node& n, const std::string& key, MatchType type, std::vector<Matcher>* out) {
    if (!n.IsMap())
      return r_.Fail(n,
                     key + ": must be a mapping of label name to " + (type == MatchType::kEqual ? "value" : "regex"));
    for (auto it = n.begin(); it != n.end(); ++it) {
      if (!it->first.IsScalar()) return r_.Fail(it->first, key + ": keys must be strings");
      std::string field = key + "." + it->first.Scalar();
      if (!IsValidName(it->first.Scalar())) {
        return r_.Fail(it->first, field + ": invalid label name '" + it->first.Scalar() + "'");
      }
      if (!it->second.IsScalar()) return r_.Fail(it->second, field + ": must be a string");
      Result<Matcher> m = Matcher::Make(it->first.Scalar(), type, it->second.Scalar());
      if (!m.ok()) return r_.Fail(it->second, field + ": " + m.status().message());
      out->push_back(std::move(*m));
    }
    return true;
  }

  bool ReadPriorityName(const YAML::Node& n, const std::string& key, Priority* out) {
    std::string s;
    if (!r_.ReadString(n, key, &s)) return false;
    if (s.size() == 2 && s[0] == 'P' && s[1] >= '0' + engine::kHighestPriority &&
        s[1] <= '0' + engine::kLowestPriority) {
      *out = static_cast<Priority>(s[1] - '0');
      return true;
    }
    return r_.Fail(n, key + ": must be P1..P5, got '" + s + "'");
  }

  bool ReadPriority(const YAML::Node& n, const std::string& key, PriorityRule* out) {
    if (!n.IsMap()) return ReadPriorityName(n, key, &out->fixed);
    out->from_label_set = true;
    bool ok = r_.ForEachKey(n, key, {"from_label", "map", "default"}, [&](const std::string& k, const YAML::Node& v) {
      std::string field = key + "." + k;
      if (k == "from_label") return ReadLabelName(v, field, &out->from_label);
      if (k == "default") return ReadPriorityName(v, field, &out->fallback);
      if (!v.IsMap()) return r_.Fail(v, field + ": must be a mapping of label value to P1..P5");
      for (auto it = v.begin(); it != v.end(); ++it) {
        if (!it->first.IsScalar()) return r_.Fail(it->first, field + ": keys must be strings");
        std::string value = it->first.Scalar();
        if (value.empty()) return r_.Fail(it->first, field + ": a label value must not be empty (use default)");
        bool seen = std::any_of(out->map.begin(), out->map.end(), [&](const auto& e) { return e.first == value; });
        if (seen) return r_.Fail(it->first, field + ": duplicate label value '" + value + "'");
        Priority p;
        if (!ReadPriorityName(it->second, field + "." + value, &p)) return false;
        out->map.emplace_back(value, p);
      }
      return true;
    });
    if (!ok) return false;
    return !out->from_label.empty() || r_.Fail(n, key + ": from_label is required");
  }

  bool ReadGroupBy(const YAML::Node& n, const std::string& key, CorrelationRule* c) {
    std::vector<std::string> names;
    if (!r_.ReadStringList(n, key, &names)) return false;
    for (size_t i = 0; i < names.size(); ++i) {
      if (names[i] == "...") {
        if (names.size() > 1) return r_.Fail(n[i], At(key, i) + ": '...' (all labels) must be the only entry");
        c->group_by_all = true;
        return true;
      }
      if (!IsValidName(names[i])) return r_.Fail(n[i], At(key, i) + ": invalid label name '" + names[i] + "'");
    }
    SortUnique(names);
    c->group_by = std::move(names);
    return true;
  }

  bool ReadDedup(const YAML::Node& n) {
    return r_.ForEachKey(n, "dedup", {"ignore_labels"}, [&](const std::string&, const YAML::Node& v) {
      std::vector<std::string> names;
      if (!ReadLabelNames(v, "dedup.ignore_labels", &names)) return false;
      m_.ignore_labels.insert(names.begin(), names.end());
      return true;
    });
  }

  bool ReadCorrelation(const YAML::Node& n, const std::string& where) {
    CorrelationRule c;
    c.origin = Origin(n);
    std::optional<YAML::Mark> window_at;
    bool ok =
        r_.ForEachKey(n, where,
                      {"name", "match", "group_by", "group_wait", "group_interval", "repeat_interval", "reopen_window",
                       "priority", "title", "policy", "continue", "min_alerts", "min_distinct", "window", "major"},
                      [&](const std::string& k, const YAML::Node& v) {
                        std::string key = where + "." + k;
                        if (k == "name") return ReadName(v, where, n, m_.correlation_origins, &c.name);
                        if (k == "match") return ReadMatchers(v, key, &c.match);
                        if (k == "group_by") return ReadGroupBy(v, key, &c);
                        if (k == "group_wait") return ReadDuration(v, key, true, &c.group_wait);
                        if (k == "group_interval") return ReadDuration(v, key, false, &c.group_interval);
                        if (k == "repeat_interval") return ReadDuration(v, key, false, &c.repeat_interval);
                        if (k == "reopen_window") return ReadDuration(v, key, true, &c.reopen_window);
                        if (k == "priority") return ReadPriority(v, key, &c.priority);
                        if (k == "title") {
                          std::string text;
                          if (!r_.ReadString(v, key, &text)) return false;
                          std::string error = ParseTitle(text, &c.title);
                          return error.empty() || r_.Fail(v, key + ": " + error);
                        }
                        if (k == "policy") {
                          if (!ReadNonEmpty(v, key, &c.policy)) return false;
                          Refer(Reference::kPolicy, v, key, c.policy);
                          return true;
                        }
                        if (k == "continue") return r_.ReadBool(v, key, &c.continue_matching);
                        if (k == "min_alerts" || k == "min_distinct") {
                          bool read = k == "min_alerts" ? ReadCount(v, key, 1, 1000000, &c.min_alerts)
                                                        : ReadDistinct(v, key, &c.min_distinct);
                          if (!read) return false;
                          return !(c.min_alerts > 0 && !c.min_distinct.label.empty()) ||
                                 r_.Fail(v, where + ": min_alerts and min_distinct are mutually exclusive");
                        }
                        if (k == "window") {
                          window_at = v.Mark();
                          return ReadDuration(v, key, false, &c.window);
                        }
                        return ReadMajor(v, key, &c.major);  // major
                      });
    if (!ok) return false;
    if (c.name.empty()) return r_.Fail(n, where + ": name is required");
    if (window_at && !c.has_threshold()) {
      return r_.Fail(*window_at, where + ".window: needs min_alerts or min_distinct");
    }
    m_.out.rules.correlations.push_back(std::move(c));
    return true;
  }

  bool ReadInhibit(const YAML::Node& n, const std::string& where) {
    InhibitRule rule;
    rule.origin = Origin(n);
    bool ok = r_.ForEachKey(n, where,
                            {"source_matchers", "target_matchers", "source_match", "target_match", "source_match_re",
                             "target_match_re", "equal"},
                            [&](const std::string& k, const YAML::Node& v) {
                              std::string key = where + "." + k;
                              auto* side = k.starts_with("source") ? &rule.source_matchers : &rule.target_matchers;
                              if (k == "equal") {
                                if (!ReadLabelNames(v, key, &rule.equal)) return false;
                                SortUnique(rule.equal);
                                return true;
                              }
                              if (k.ends_with("_matchers")) return ReadMatchers(v, key, side);
                              if (k.ends_with("_re")) return ReadMatchMap(v, key, MatchType::kRegexp, side);
                              return ReadMatchMap(v, key, MatchType::kEqual, side);
                            });
    if (!ok) return false;
    if (rule.source_matchers.empty()) {
      return r_.Fail(n, where + ": needs source_matchers (or source_match / source_match_re), not empty");
    }
    if (rule.target_matchers.empty()) {
      return r_.Fail(n, where + ": needs target_matchers (or target_match / target_match_re), not empty");
    }
    m_.out.rules.inhibit.push_back(std::move(rule));
    return true;
  }

  // The conditions that declare an incident major, global (`major`) or a rule's own.
  bool ReadMajor(const YAML::Node& n, const std::string& where, MajorRule* out) {
    MajorRule m;
    m.set = true;
    bool ok = r_.ForEachKey(n, where, {"priority", "min_alerts", "min_distinct", "policy", "raise_to"},
                            [&](const std::string& k, const YAML::Node& v) {
                              std::string key = where + "." + k;
                              if (k == "priority") return ReadPriorityName(v, key, &m.priority);
                              if (k == "min_alerts") return ReadCount(v, key, 1, 10000000, &m.min_alerts);
                              if (k == "min_distinct") return ReadDistinct(v, key, &m.min_distinct);
                              if (k == "raise_to") return ReadPriorityName(v, key, &m.raise_to);
                              if (!ReadNonEmpty(v, key, &m.policy)) return false;
                              Refer(Reference::kPolicy, v, key, m.policy);
                              return true;
                            });
    if (!ok) return false;
    if (!m.any()) return r_.Fail(n, where + ": needs at least one of priority, min_alerts, min_distinct");
    *out = std::move(m);
    return true;
  }

  // Services merge over files like correlations; label, window and release_after may each be set by one file.
  bool ReadTopology(const YAML::Node& n) {
    Topology& t = m_.out.rules.topology;
    return r_.ForEachKey(n, "topology", {"label", "window", "release_after", "services"},
                         [&](const std::string& k, const YAML::Node& v) {
                           std::string key = "topology." + k;
                           if (k == "label") {
                             return Claim(v, key, &m_.topology_label_origin) && ReadLabelName(v, key, &t.label);
                           }
                           if (k == "window") {
                             return Claim(v, key, &m_.topology_window_origin) && ReadDuration(v, key, false, &t.window);
                           }
                           if (k == "release_after") {
                             return Claim(v, key, &m_.topology_release_origin) &&
                                    ReadDuration(v, key, true, &t.release_after);
                           }
                           return ForEachItem(v, key, &RuleFileReader::ReadService);
                         });
  }

  // A service's depends_on names are resolved to indexes, and checked for cycles, once every file is read.
  bool ReadService(const YAML::Node& n, const std::string& where) {
    Topology::Service s;
    ServiceSource src{r_.file(), where + ".depends_on", {}, {}};
    bool ok = r_.ForEachKey(n, where, {"name", "depends_on"}, [&](const std::string& k, const YAML::Node& v) {
      if (k == "name") return ReadName(v, where, n, m_.service_origins, &s.name);
      if (!r_.ReadStringList(v, src.field, &src.names)) return false;
      src.marks.clear();
      std::set<std::string_view> seen;
      for (size_t i = 0; i < src.names.size(); ++i) {
        const std::string& name = src.names[i];
        if (!seen.insert(name).second) return r_.Fail(v[i], At(src.field, i) + ": duplicate service '" + name + "'");
        src.marks.push_back(v[i].Mark());
        Refer(Reference::kService, v[i], At(src.field, i), name);
      }
      return true;
    });
    if (!ok) return false;
    if (s.name.empty()) return r_.Fail(n, where + ": name is required");
    m_.out.rules.topology.services.push_back(std::move(s));
    m_.service_sources.push_back(std::move(src));
    return true;
  }

  bool ReadFlapping(const YAML::Node& n) {
    if (!Claim(n, "flapping", &m_.flapping_origin)) return false;
    FlappingRule f;
    bool ok =
        r_.ForEachKey(n, "flapping", {"changes", "window", "quiet"}, [&](const std::string& k, const YAML::Node& v) {
          std::string key = "flapping." + k;
          if (k == "changes") return ReadCount(v, key, 1, 1000, &f.changes);
          return ReadDuration(v, key, false, k == "window" ? &f.window : &f.quiet);
        });
    if (!ok) return false;
    if (f.changes == 0) return r_.Fail(n, "flapping: changes is required");
    m_.out.rules.flapping = f;
    return true;
  }

  bool ReadProblems(const YAML::Node& n) {
    if (!Claim(n, "problems", &m_.problems_origin)) return false;
    ProblemsRule p;
    bool ok = r_.ForEachKey(n, "problems", {"recurrences", "within"}, [&](const std::string& k, const YAML::Node& v) {
      std::string key = "problems." + k;
      if (k == "recurrences") return ReadCount(v, key, 2, 1000, &p.recurrences);
      return ReadDuration(v, key, false, &p.within);
    });
    if (!ok) return false;
    if (p.recurrences == 0) return r_.Fail(n, "problems: recurrences is required");
    m_.out.rules.problems = p;
    return true;
  }

  // A list of receiver names, each checked once every file is read.
  bool ReadReceiverNames(const YAML::Node& n, const std::string& key, std::vector<std::string>* out) {
    if (!r_.ReadStringList(n, key, out)) return false;
    for (size_t i = 0; i < out->size(); ++i) Refer(Reference::kReceiver, n[i], At(key, i), (*out)[i]);
    return true;
  }

  bool ReadStep(const YAML::Node& n, const std::string& where, EscalationStep* step) {
    bool ok = r_.ForEachKey(n, where, {"notify", "ack_timeout"}, [&](const std::string& k, const YAML::Node& v) {
      std::string key = where + "." + k;
      if (k == "ack_timeout") return ReadDuration(v, key, false, &step->ack_timeout);
      if (!ReadReceiverNames(v, key, &step->notify)) return false;
      return !step->notify.empty() || r_.Fail(v, key + ": must not be empty");
    });
    if (!ok) return false;
    return !step->notify.empty() || r_.Fail(n, where + ": notify is required");
  }

  bool ReadPolicy(const YAML::Node& n, const std::string& where) {
    Policy p;
    bool ok =
        r_.ForEachKey(n, where, {"name", "steps", "repeat", "inform"}, [&](const std::string& k, const YAML::Node& v) {
          std::string key = where + "." + k;
          if (k == "name") return ReadName(v, where, n, m_.policy_origins, &p.name);
          if (k == "steps") {
            if (!v.IsSequence()) return r_.Fail(v, key + ": must be a list");
            if (v.size() == 0) return r_.Fail(v, key + ": must not be empty");
            for (size_t i = 0; i < v.size(); ++i) {
              if (!ReadStep(v[i], At(key, i), &p.steps.emplace_back())) return false;
            }
            return true;
          }
          if (k == "repeat") {
            int64_t repeat;
            if (!r_.ReadInt(v, key, 0, 100, &repeat)) return false;
            p.repeat = static_cast<int>(repeat);
            return true;
          }
          return ReadReceiverNames(v, key, &p.inform);
        });
    if (!ok) return false;
    if (p.name.empty()) return r_.Fail(n, where + ": name is required");
    if (p.steps.empty()) return r_.Fail(n, where + ": steps is required");
    m_.out.rules.policies.push_back(std::move(p));
    return true;
  }

  // The keys a receiver takes depend on its type, which may come after them: the type is found first, then every
  // key is checked in file order. Error messages name keys, never values (they may be secrets).
  bool ReadReceiver(const YAML::Node& n, const std::string& where) {
    if (!n.IsMap()) return r_.Fail(n, where + " must be a mapping");
    ReceiverConfig rc;
    rc.origin = Origin(n);
    const ReceiverType* type = nullptr;
    for (auto it = n.begin(); it != n.end(); ++it) {
      if (it->first.IsScalar() && it->first.Scalar() == "type" && it->second.IsScalar()) {
        type = FindReceiverType(it->second.Scalar());
      }
    }
    for (auto it = n.begin(); it != n.end(); ++it) {
      if (!it->first.IsScalar()) return r_.Fail(it->first, where + ": keys must be strings");
      const std::string& k = it->first.Scalar();
      const YAML::Node v = it->second;  // a copy: the iterator's pair is a temporary
      std::string key = where + "." + k;
      if (k == "name") {
        if (!ReadName(v, where, n, m_.receiver_origins, &rc.name)) return false;
        continue;
      }
      if (k == "type") {
        if (!ReadNonEmpty(v, key, &rc.type)) return false;
        if (type == nullptr)
          return r_.Fail(v, key + ": must be one of pagerduty, opsgenie, webhook, slack, got '" + rc.type + "'");
        continue;
      }
      bool known = std::any_of(ReceiverTypes().begin(), ReceiverTypes().end(), [&](const ReceiverType& t) {
        return std::find(t.keys.begin(), t.keys.end(), k) != t.keys.end();
      });
      if (!known) return r_.Fail(it->first, "unknown key '" + k + "' in " + where);
      if (type != nullptr && std::find(type->keys.begin(), type->keys.end(), k) == type->keys.end()) {
        return r_.Fail(it->first, "unknown key '" + k + "' in " + where + " (type " + std::string(type->type) +
                                      " takes " + Join(type->keys, ", ") + ")");
      }
      std::string value;
      if (!ReadNonEmpty(v, key, &value)) return false;
      if (k == "timeout") {
        Duration d;
        if (!ReadDuration(v, key, false, &d)) return false;
      }
      // `x` and `x_file` give the same setting two ways.
      std::string other = k.ends_with("_file") ? k.substr(0, k.size() - 5) : k + "_file";
      bool clash = std::any_of(rc.settings.begin(), rc.settings.end(), [&](const auto& s) { return s.first == other; });
      if (clash) return r_.Fail(it->first, where + ": " + other + " and " + k + " are mutually exclusive");
      bool repeated = std::any_of(rc.settings.begin(), rc.settings.end(), [&](const auto& s) { return s.first == k; });
      if (repeated) return r_.Fail(it->first, where + ": duplicate key '" + k + "'");
      rc.settings.emplace_back(k, std::move(value));
    }
    if (rc.name.empty()) return r_.Fail(n, where + ": name is required");
    if (rc.type.empty()) return r_.Fail(n, where + ": type is required (pagerduty, opsgenie, webhook, slack)");
    bool has_required = std::any_of(rc.settings.begin(), rc.settings.end(), [&](const auto& s) {
      return std::find(type->required.begin(), type->required.end(), s.first) != type->required.end();
    });
    if (!has_required) {
      return r_.Fail(n, where + ": type " + rc.type + " needs " + Join(type->required, " or "));
    }
    m_.out.rules.receivers.push_back({rc.name, rc.type});
    m_.out.receivers.push_back(std::move(rc));
    return true;
  }

  YamlReader& r_;
  Merged& m_;
};

const char* KindName(Reference::Kind kind) {
  switch (kind) {
    case Reference::kPolicy:
      return "policy";
    case Reference::kReceiver:
      return "receiver";
    case Reference::kService:
      return "service";
  }
  return "";
}

// Turns every service's depends_on names (all defined by now) into indexes, then looks for a cycle: a depth-first
// walk from each service in merged order, following depends_on in listed order. The first edge back to a service on
// the walk's path is reported at its depends_on entry, with the cycle's services.
Status ResolveTopology(Merged& m) {
  std::vector<Topology::Service>& services = m.out.rules.topology.services;
  std::map<std::string_view, uint32_t> index;
  for (size_t i = 0; i < services.size(); ++i) index.emplace(services[i].name, static_cast<uint32_t>(i));
  for (size_t i = 0; i < services.size(); ++i) {
    for (const std::string& name : m.service_sources[i].names) services[i].depends_on.push_back(index.at(name));
  }
  enum Color : uint8_t { kWhite, kOnPath, kDone };
  std::vector<Color> color(services.size(), kWhite);
  struct Frame {
    uint32_t service;
    size_t next;  // the depends_on entry to follow next
  };
  std::vector<Frame> path;
  for (uint32_t start = 0; start < services.size(); ++start) {
    if (color[start] != kWhite) continue;
    color[start] = kOnPath;
    path.push_back({start, 0});
    while (!path.empty()) {
      Frame& top = path.back();
      const uint32_t from = top.service;
      if (top.next == services[from].depends_on.size()) {
        color[from] = kDone;
        path.pop_back();
        continue;
      }
      const size_t entry = top.next++;
      const uint32_t to = services[from].depends_on[entry];
      if (color[to] == kWhite) {
        color[to] = kOnPath;
        path.push_back({to, 0});
        continue;
      }
      if (color[to] == kDone) continue;
      std::string cycle;
      auto it = std::find_if(path.begin(), path.end(), [&](const Frame& f) { return f.service == to; });
      for (; it != path.end(); ++it) cycle += services[it->service].name + " -> ";
      cycle += services[to].name;
      const ServiceSource& src = m.service_sources[from];
      YamlReader r(src.file);
      r.Fail(src.marks[entry], At(src.field, entry) + ": dependency cycle " + cycle);
      return r.status();
    }
  }
  return Status();
}

}  // namespace

Result<LoadedRules> LoadRules(const std::vector<std::string>& paths) {
  Merged m;
  for (const std::string& path : paths) {
    YamlReader r(path);
    try {
      YAML::Node root = YAML::LoadFile(path);
      RuleFileReader(r, m).Read(root);
    } catch (const YAML::BadFile&) {
      return Status::Invalid(path + ": cannot read the file");
    } catch (const YAML::Exception& e) {
      r.Fail(e.mark, e.msg);
    }
    if (!r.ok()) return r.status();
  }
  for (const Reference& ref : m.references) {
    const auto& defined = ref.kind == Reference::kPolicy     ? m.policy_origins
                          : ref.kind == Reference::kReceiver ? m.receiver_origins
                                                             : m.service_origins;
    if (defined.find(ref.name) != defined.end()) continue;
    YamlReader r(ref.file);
    r.Fail(ref.mark, ref.field + ": undefined " + KindName(ref.kind) + " '" + ref.name + "'");
    return r.status();
  }
  if (Status s = ResolveTopology(m); !s.ok()) return s;
  m.out.rules.dedup_ignore_labels.assign(m.ignore_labels.begin(), m.ignore_labels.end());
  return std::move(m.out);
}

}  // namespace incidentd::config
