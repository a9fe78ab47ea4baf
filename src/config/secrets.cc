#include "config/secrets.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <optional>

namespace incidentd::config {
namespace {

namespace fs = std::filesystem;

constexpr size_t kMaxSecretFileBytes = 64 << 10;  // a secret, not a data file: anything larger is a mistake

bool IsNameStart(char c) { return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_'; }
bool IsNameChar(char c) { return IsNameStart(c) || (c >= '0' && c <= '9'); }

// Expands ${NAME} and $$ in value; the reason it cannot (never quoting the value), or nullopt.
std::optional<std::string> Expand(const std::string& value, std::string* out) {
  out->clear();
  for (size_t i = 0; i < value.size(); ++i) {
    char c = value[i];
    if (c != '$' || i + 1 == value.size()) {
      out->push_back(c);
      continue;
    }
    if (value[i + 1] == '$') {
      out->push_back('$');
      ++i;
      continue;
    }
    if (value[i + 1] != '{') {
      out->push_back(c);
      continue;
    }
    size_t close = value.find('}', i + 2);
    if (close == std::string::npos) return "unterminated ${ (write $$ for a literal $)";
    std::string name = value.substr(i + 2, close - i - 2);
    if (name.empty() || !IsNameStart(name[0])) return "${...} must name an environment variable (write $$ for $)";
    for (char n : name) {
      if (!IsNameChar(n)) return "${...} must name an environment variable (write $$ for $)";
    }
    const char* env = std::getenv(name.c_str());
    if (env == nullptr) return "environment variable " + name + " is not set";
    out->append(env);
    i = close;
  }
  return std::nullopt;
}

std::string_view TrimSpace(std::string_view s) {
  auto space = [](char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\v' || c == '\f'; };
  while (!s.empty() && space(s.front())) s.remove_prefix(1);
  while (!s.empty() && space(s.back())) s.remove_suffix(1);
  return s;
}

// The directory of the file in origin "file:line".
fs::path OriginDir(const std::string& origin) {
  size_t colon = origin.rfind(':');
  std::string file = colon == std::string::npos ? origin : origin.substr(0, colon);
  return fs::path(file).parent_path();
}

// Reads path into *content; the reason it cannot, or nullopt.
std::optional<std::string> ReadSecretFile(const std::string& path, std::string* content) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return "cannot read " + path + ": " + std::strerror(errno);
  std::string data;
  char buf[4096];
  for (;;) {
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      int err = errno;
      ::close(fd);
      return "cannot read " + path + ": " + std::strerror(err);
    }
    if (n == 0) break;
    data.append(buf, static_cast<size_t>(n));
    if (data.size() > kMaxSecretFileBytes) {
      ::close(fd);
      return path + " is larger than 64KiB: not a secret";
    }
  }
  ::close(fd);
  std::string_view trimmed = TrimSpace(data);
  if (trimmed.empty()) return path + " is empty";
  *content = std::string(trimmed);
  return std::nullopt;
}

}  // namespace

Status ResolveReceiverSecrets(ReceiverConfig& rc, const std::string& base_dir) {
  const fs::path base = base_dir.empty() ? OriginDir(rc.origin) : fs::path(base_dir);
  return ResolveSecrets(rc.settings, base.string(), rc.origin + ": receivers " + rc.name);
}

Status ResolveSecrets(std::vector<std::pair<std::string, std::string>>& settings, const std::string& base_dir,
                      const std::string& where) {
  auto error = [&where](const std::string& key, const std::string& reason) {
    return Status::Invalid(where + ": " + key + ": " + reason);
  };
  const fs::path base(base_dir);
  for (auto& [key, value] : settings) {
    std::string expanded;
    if (std::optional<std::string> reason = Expand(value, &expanded)) return error(key, *reason);
    if (!key.ends_with("_file")) {
      value = std::move(expanded);
      continue;
    }
    if (expanded.empty()) return error(key, "the file name is empty");
    fs::path path(expanded);
    if (path.is_relative()) path = (base / path).lexically_normal();
    std::string content;
    if (std::optional<std::string> reason = ReadSecretFile(path.string(), &content)) return error(key, *reason);
    key.resize(key.size() - 5);
    value = std::move(content);
  }
  return Status::Ok();
}

}  // namespace incidentd::config
