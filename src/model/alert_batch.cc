#include "incidentd/alert_batch.h"

#include <algorithm>
#include <cstring>

namespace incidentd {
namespace {
constexpr size_t kMinBlock = 16 * 1024;

bool ByName(const Label& a, const Label& b) { return a.name < b.name; }
}  // namespace

AlertBatch::AlertBatch(AlertFormat format, size_t arena_hint) : format_(format), format_label_(FormatName(format)) {
  if (arena_hint > 0) {
    // Decoded strings are never longer than the JSON that held them, so one block of the body's size usually suffices.
    blocks_.push_back({std::make_unique<char[]>(arena_hint), arena_hint, 0});
  }
}

std::string_view AlertBatch::Store(std::string_view s) {
  if (s.empty()) return {};
  if (blocks_.empty() || blocks_.back().size - blocks_.back().used < s.size()) {
    size_t size = std::max(kMinBlock, s.size());
    blocks_.push_back({std::make_unique<char[]>(size), size, 0});
  }
  Block& b = blocks_.back();
  char* p = b.data.get() + b.used;
  std::memcpy(p, s.data(), s.size());
  b.used += s.size();
  return {p, s.size()};
}

AlertInput& AlertBatch::Begin() {
  AlertInput& a = alerts_.emplace_back();
  a.labels_begin = static_cast<uint32_t>(labels_.size());
  pending_annotations_.clear();
  fingerprint_set_ = false;
  return a;
}

std::span<const Label> AlertBatch::current_labels() const {
  const AlertInput& a = alerts_.back();
  return {labels_.data() + a.labels_begin, labels_.size() - a.labels_begin};
}

std::string_view AlertBatch::Finish() {
  AlertInput& a = alerts_.back();
  auto first = labels_.begin() + a.labels_begin;
  // Labels arrive in JSON order, usually few and often sorted already.
  if (!std::is_sorted(first, labels_.end(), ByName)) std::sort(first, labels_.end(), ByName);
  a.labels_count = static_cast<uint32_t>(labels_.end() - first);
  std::string_view duplicate;
  for (auto it = first; it + 1 < labels_.end(); ++it) {
    if (it->name == (it + 1)->name) {
      duplicate = it->name;
      break;
    }
  }
  if (!fingerprint_set_) a.fingerprint = Fingerprint::Of(labels(a));
  std::sort(pending_annotations_.begin(), pending_annotations_.end(), ByName);
  a.annotations_begin = static_cast<uint32_t>(labels_.size());
  a.annotations_count = static_cast<uint32_t>(pending_annotations_.size());
  labels_.insert(labels_.end(), pending_annotations_.begin(), pending_annotations_.end());
  pending_annotations_.clear();
  return duplicate;
}

void AlertBatch::DropCurrent() {
  labels_.resize(alerts_.back().labels_begin);
  pending_annotations_.clear();
  alerts_.pop_back();
}

}  // namespace incidentd
