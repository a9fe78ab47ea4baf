#include "config/yaml_reader.h"

#include <algorithm>

#include "config/duration.h"

namespace incidentd::config {

bool YamlReader::Fail(const YAML::Mark& at, const std::string& message) {
  if (status_.ok()) {
    std::string where = file_;
    if (!at.is_null()) where += ":" + std::to_string(at.line + 1) + ":" + std::to_string(at.column + 1);
    status_ = Status::Invalid(where + ": " + message);
  }
  return false;
}

bool YamlReader::Fail(const YAML::Node& at, const std::string& message) { return Fail(at.Mark(), message); }

bool YamlReader::ForEachKey(const YAML::Node& map, std::string_view what, std::initializer_list<std::string_view> known,
                            const std::function<bool(const std::string&, const YAML::Node&)>& fn) {
  if (map.IsNull()) return true;
  if (!map.IsMap()) return Fail(map, std::string(what) + " must be a mapping");
  for (auto it = map.begin(); it != map.end(); ++it) {
    if (!it->first.IsScalar()) return Fail(it->first, std::string(what) + ": keys must be strings");
    std::string key = it->first.Scalar();
    if (std::find(known.begin(), known.end(), key) == known.end()) {
      return Fail(it->first, "unknown key '" + key + "' in " + std::string(what));
    }
    if (!fn(key, it->second)) return false;
  }
  return true;
}

bool YamlReader::ReadString(const YAML::Node& n, std::string_view key, std::string* out) {
  if (!n.IsScalar()) return Fail(n, std::string(key) + ": must be a string");
  *out = n.Scalar();
  return true;
}

bool YamlReader::ReadBool(const YAML::Node& n, std::string_view key, bool* out) {
  if (n.IsScalar()) {
    const std::string& s = n.Scalar();
    if (s == "true") return *out = true, true;
    if (s == "false") return *out = false, true;
  }
  return Fail(n, std::string(key) + ": must be true or false");
}

bool YamlReader::ReadInt(const YAML::Node& n, std::string_view key, int64_t min, int64_t max, int64_t* out) {
  if (n.IsScalar()) {
    const std::string& s = n.Scalar();
    size_t i = (!s.empty() && s[0] == '-') ? 1 : 0;
    bool digits = i < s.size() && s.size() - i <= 18 &&
                  std::all_of(s.begin() + static_cast<long>(i), s.end(), [](char c) { return c >= '0' && c <= '9'; });
    if (digits) {
      int64_t v = std::stoll(s);
      if (v >= min && v <= max) return *out = v, true;
      return Fail(n, std::string(key) + ": must be between " + std::to_string(min) + " and " + std::to_string(max));
    }
  }
  return Fail(n, std::string(key) + ": must be an integer");
}

bool YamlReader::ReadDuration(const YAML::Node& n, std::string_view key, Duration* out) {
  if (n.IsScalar()) {
    if (auto d = ParseDuration(n.Scalar())) return *out = *d, true;
  }
  return Fail(n, std::string(key) + ": not a duration (use forms like 30s, 5m, 1h30m)");
}

bool YamlReader::ReadBytes(const YAML::Node& n, std::string_view key, uint64_t* out) {
  if (n.IsScalar()) {
    if (auto b = ParseBytes(n.Scalar())) return *out = *b, true;
  }
  return Fail(n, std::string(key) + ": not a byte size (use forms like 65536, 64KiB, 16MiB)");
}

bool YamlReader::ReadStringList(const YAML::Node& n, std::string_view key, std::vector<std::string>* out) {
  if (!n.IsSequence()) return Fail(n, std::string(key) + ": must be a list of strings");
  out->clear();
  for (size_t i = 0; i < n.size(); ++i) {
    if (!n[i].IsScalar()) return Fail(n[i], std::string(key) + "[" + std::to_string(i) + "]: must be a string");
    out->push_back(n[i].Scalar());
  }
  return true;
}

bool YamlReader::ReadStringMap(const YAML::Node& n, std::string_view key,
                               std::vector<std::pair<std::string, std::string>>* out) {
  if (!n.IsMap()) return Fail(n, std::string(key) + ": must be a mapping of strings");
  out->clear();
  for (auto it = n.begin(); it != n.end(); ++it) {
    if (!it->first.IsScalar() || !it->second.IsScalar()) {
      return Fail(it->second,
                  std::string(key) + "." + (it->first.IsScalar() ? it->first.Scalar() : "?") + ": must be a string");
    }
    out->emplace_back(it->first.Scalar(), it->second.Scalar());
  }
  return true;
}

}  // namespace incidentd::config
