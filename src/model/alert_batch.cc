#include "incidentd/alert_batch.h"

#include <algorithm>
#include <cstring>
#include <string>

namespace incidentd {
namespace {
constexpr size_t kMinBlock = 16 * 1024;

bool ByName(const Label& a, const Label& b) { return a.name < b.name; }
}  // namespace

AlertBatch::AlertBatch(AlertFormat format, size_t arena_hint) : format_(format), format_label_(FormatName(format)) {
  if (arena_hint > 0) {
    // Decoded strings are never longer than the JSON that held them, so one block of the body's size usually suffices.
    blocks_.push_back({std::make_unique_for_overwrite<char[]>(arena_hint), arena_hint, 0});
    // A realistic alert is 300-600 bytes of JSON with about 12 labels and annotations: reserve so that building a
    // batch does not re-grow its vectors.
    alerts_.reserve(arena_hint / 256 + 1);
    labels_.reserve(arena_hint / 24 + 4);
  }
}

std::string_view AlertBatch::StoreInNewBlock(std::string_view s) {
  if (s.empty()) return {};
  size_t size = std::max(kMinBlock, s.size());
  blocks_.push_back({std::make_unique_for_overwrite<char[]>(size), size, 0});
  Block& b = blocks_.back();
  std::memcpy(b.data.get(), s.data(), s.size());
  b.used = s.size();
  return {b.data.get(), s.size()};
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

std::string_view AlertBatch::Finish(bool labels_sorted) {
  AlertInput& a = alerts_.back();
  auto first = labels_.begin() + a.labels_begin;
  if (!labels_sorted && !std::is_sorted(first, labels_.end(), ByName)) std::sort(first, labels_.end(), ByName);
  a.labels_count = static_cast<uint32_t>(labels_.end() - first);
  std::string_view duplicate;
  // Labels the decoder saw arrive in strictly increasing order hold no duplicates.
  for (auto it = first; !labels_sorted && it + 1 < labels_.end(); ++it) {
    if (it->name == (it + 1)->name) {
      duplicate = it->name;
      break;
    }
  }
  sealed_ = false;
  if (!fingerprint_set_) {
    a.fingerprint_of_labels = true;
    pending_fingerprints_.push_back(static_cast<uint32_t>(alerts_.size() - 1));
  }
  if (!std::is_sorted(pending_annotations_.begin(), pending_annotations_.end(), ByName)) {
    std::sort(pending_annotations_.begin(), pending_annotations_.end(), ByName);
  }
  a.annotations_begin = static_cast<uint32_t>(labels_.size());
  a.annotations_count = static_cast<uint32_t>(pending_annotations_.size());
  labels_.insert(labels_.end(), pending_annotations_.begin(), pending_annotations_.end());
  pending_annotations_.clear();
  return duplicate;
}

namespace {

// Writes the bytes FNV-1a hashes for a label set (each name, 0xff, its value, 0xff) to the front of out, growing it
// as needed; returns their count.
size_t Serialize(std::span<const Label> labels, std::string& out) {
  size_t n = 0;
  for (const Label& l : labels) n += l.name.size() + l.value.size() + 2;
  if (out.size() < n) out.resize(std::max(n, 2 * out.size()));
  char* p = out.data();
  for (const Label& l : labels) {
    std::memcpy(p, l.name.data(), l.name.size());
    p += l.name.size();
    *p++ = '\xff';
    std::memcpy(p, l.value.data(), l.value.size());
    p += l.value.size();
    *p++ = '\xff';
  }
  return n;
}

uint64_t Mix(uint64_t h, std::string_view s) {
  h ^= std::hash<std::string_view>()(s) + 0x9e3779b97f4a7c15ULL + (h << 6) + (h >> 2);
  return h;
}

uint64_t Fnv(uint64_t h, const unsigned char* p, size_t n) {
  for (size_t i = 0; i < n; ++i) h = (h ^ p[i]) * Fingerprint::kPrime;
  return h;
}

}  // namespace

void AlertBatch::Seal() {
  thread_local std::string bytes[4];
  size_t i = 0;
  for (; i + 4 <= pending_fingerprints_.size(); i += 4) {
    const unsigned char* p[4];
    size_t n[4];
    for (int k = 0; k < 4; ++k) {
      n[k] = Serialize(labels(alerts_[pending_fingerprints_[i + k]]), bytes[k]);
      p[k] = reinterpret_cast<const unsigned char*>(bytes[k].data());
    }
    const size_t common = std::min({n[0], n[1], n[2], n[3]});
    uint64_t h0 = Fingerprint::kOffset, h1 = h0, h2 = h0, h3 = h0;
    for (size_t j = 0; j < common; ++j) {
      h0 = (h0 ^ p[0][j]) * Fingerprint::kPrime;
      h1 = (h1 ^ p[1][j]) * Fingerprint::kPrime;
      h2 = (h2 ^ p[2][j]) * Fingerprint::kPrime;
      h3 = (h3 ^ p[3][j]) * Fingerprint::kPrime;
    }
    const uint64_t h[4] = {h0, h1, h2, h3};
    for (int k = 0; k < 4; ++k) {
      alerts_[pending_fingerprints_[i + k]].fingerprint = Fingerprint(Fnv(h[k], p[k] + common, n[k] - common));
    }
  }
  for (; i < pending_fingerprints_.size(); ++i) {
    AlertInput& a = alerts_[pending_fingerprints_[i]];
    a.fingerprint = Fingerprint::Of(labels(a));
  }
  pending_fingerprints_.clear();
  for (AlertInput& a : alerts_) {
    uint64_t d = annotations(a).size();
    for (const Label& l : annotations(a)) d = Mix(Mix(d, l.name), l.value);
    a.content_digest = Mix(d, a.generator_url);
  }
  sealed_ = true;
}

void AlertBatch::DropCurrent() {
  if (!pending_fingerprints_.empty() && pending_fingerprints_.back() == alerts_.size() - 1) {
    pending_fingerprints_.pop_back();
  }
  labels_.resize(alerts_.back().labels_begin);
  pending_annotations_.clear();
  alerts_.pop_back();
}

}  // namespace incidentd
