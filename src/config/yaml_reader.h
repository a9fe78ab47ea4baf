// YamlReader: typed, checked reads of yaml-cpp nodes that turn every problem into "file:line:col: message".
//
// yaml-cpp reports errors with exceptions; they stop at this file and config.cc. Every Read* returns false and sets
// the reader's first error when the node is missing the right type or form; later errors are ignored, so the
// operator sees the first problem in file order.
#pragma once

#include <yaml-cpp/yaml.h>

#include <functional>
#include <initializer_list>
#include <string>
#include <string_view>
#include <vector>

#include "incidentd/clock.h"
#include "incidentd/status.h"

namespace incidentd::config {

class YamlReader {
 public:
  explicit YamlReader(std::string file) : file_(std::move(file)) {}

  const Status& status() const { return status_; }
  bool ok() const { return status_.ok(); }
  const std::string& file() const { return file_; }

  // Records "file:line:col: message" at the node's position (first error wins). Always returns false.
  bool Fail(const YAML::Node& at, const std::string& message);
  bool Fail(const YAML::Mark& at, const std::string& message);

  // Calls fn(key, value) for each entry of a mapping; unknown keys (not in `known`) are errors.
  bool ForEachKey(const YAML::Node& map, std::string_view what, std::initializer_list<std::string_view> known,
                  const std::function<bool(const std::string&, const YAML::Node&)>& fn);

  bool ReadString(const YAML::Node& n, std::string_view key, std::string* out);
  bool ReadBool(const YAML::Node& n, std::string_view key, bool* out);
  bool ReadInt(const YAML::Node& n, std::string_view key, int64_t min, int64_t max, int64_t* out);
  bool ReadDuration(const YAML::Node& n, std::string_view key, Duration* out);
  bool ReadBytes(const YAML::Node& n, std::string_view key, uint64_t* out);
  bool ReadStringList(const YAML::Node& n, std::string_view key, std::vector<std::string>* out);
  // A mapping of string to string, in file order.
  bool ReadStringMap(const YAML::Node& n, std::string_view key, std::vector<std::pair<std::string, std::string>>* out);

 private:
  std::string file_;
  Status status_;
};

}  // namespace incidentd::config
