// AlertBatch: the alerts of one request (or one Kafka message), decoded and validated, on their way to the engine.
//
// A decoder fills a batch; after that it is immutable and moves, whole, through the engine queue. Every string in it
// lives in the batch's own arena, so a batch costs a handful of allocations however many alerts it holds, and its
// views stay valid as long as the batch lives (moving the batch keeps them valid).
//
// Thread rule: built on one thread, then handed over; never shared for writing.
#pragma once

#include <cstdint>
#include <cstring>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "incidentd/clock.h"
#include "incidentd/label.h"

namespace incidentd {

// What the sender asks for.
enum class AlertAction : uint8_t {
  kFire,         // firing (or refreshed)
  kResolve,      // resolved now or at ends_at
  kAcknowledge,  // PagerDuty acknowledge: someone is on it
};

// How the alert's end is known.
enum class EndsAtKind : uint8_t {
  kGiven,    // ends_at was sent: resolved once it is in the past
  kTimeout,  // not sent: firing until resolve_timeout passes without a refresh (Alertmanager's rule)
  kNever,    // firing until an explicit resolve (PagerDuty events, forwarded Alertmanager notifications)
};

// Where a batch came from; a label of the ingestion metrics.
enum class AlertFormat : uint8_t { kPrometheus, kAlertmanagerWebhook, kPagerDuty, kGeneric };
std::string_view FormatName(AlertFormat f);  // "prometheus", "alertmanager-webhook", "pagerduty", "generic"

struct AlertInput {
  Fingerprint fingerprint;
  // True when the fingerprint is the hash of exactly these labels (every format but PagerDuty's): then an alert with
  // the same fingerprint has the same labels, and the engine need not compare them.
  bool fingerprint_of_labels = true;
  AlertAction action = AlertAction::kFire;
  EndsAtKind ends_kind = EndsAtKind::kTimeout;
  Time starts_at = kZeroTime;   // kZeroTime: not sent, means "when received"
  Time ends_at = kZeroTime;     // meaningful for kGiven only
  Duration resolve_timeout{0};  // for kTimeout; zero means the engine's default
  std::string_view generator_url;
  // A hash of the annotations and generator URL (set by Seal), so the engine tells a changed description from a plain
  // re-send with one comparison instead of reading every stored string.
  uint64_t content_digest = 0;
  uint32_t labels_begin = 0, labels_count = 0;            // into AlertBatch::labels_, sorted by name
  uint32_t annotations_begin = 0, annotations_count = 0;  // likewise
};

class AlertBatch {
 public:
  explicit AlertBatch(AlertFormat format = AlertFormat::kPrometheus, size_t arena_hint = 0);
  AlertBatch(AlertBatch&&) noexcept = default;
  AlertBatch& operator=(AlertBatch&&) noexcept = default;

  AlertFormat format() const { return format_; }
  // "prometheus", … or "generic:NAME".
  const std::string& format_label() const { return format_label_; }
  void set_format_label(std::string label) { format_label_ = std::move(label); }

  // Where the batch was read from, for a source that resumes from a position (a Kafka partition): the tick that
  // applies the batch writes (stream, offset) to the state store, so a restart knows what it applied. An empty stream:
  // no position.
  void set_position(std::string_view stream, int64_t offset) {
    position_stream_ = Store(stream);
    position_offset_ = offset;
  }
  std::string_view position_stream() const { return position_stream_; }
  int64_t position_offset() const { return position_offset_; }

  const std::vector<AlertInput>& alerts() const { return alerts_; }
  size_t size() const { return alerts_.size(); }
  bool empty() const { return alerts_.empty(); }

  std::span<const Label> labels(const AlertInput& a) const { return {labels_.data() + a.labels_begin, a.labels_count}; }
  std::span<const Label> annotations(const AlertInput& a) const {
    return {labels_.data() + a.annotations_begin, a.annotations_count};
  }

  // --- building (decoders only) ---
  // Copies s into the arena; the view stays valid for the batch's life.
  std::string_view Store(std::string_view s) {
    if (!blocks_.empty() && blocks_.back().size - blocks_.back().used >= s.size()) [[likely]] {
      Block& b = blocks_.back();
      char* p = b.data.get() + b.used;
      std::memcpy(p, s.data(), s.size());
      b.used += s.size();
      return {p, s.size()};
    }
    return StoreInNewBlock(s);
  }
  // Starts a new alert; the Add calls that follow belong to it until Finish.
  AlertInput& Begin();
  void AddLabel(std::string_view name, std::string_view value) { labels_.push_back({Store(name), Store(value)}); }
  void AddAnnotation(std::string_view name, std::string_view value) {
    pending_annotations_.push_back({Store(name), Store(value)});
  }
  // Sorts the alert's labels (unless the decoder saw them arrive in strictly increasing order: labels_sorted) and
  // annotations. Returns the
  // first duplicated label name, or an empty view. Unless the decoder set a fingerprint (set_fingerprint), the
  // fingerprint of the labels is left for Seal.
  std::string_view Finish(bool labels_sorted = false);
  // Completes the batch once the last alert is finished: computes the pending fingerprints, four alerts at a time
  // (FNV-1a is one chain of dependent multiplies per alert, and four independent chains keep the multiplier busy),
  // and every alert's content digest. REQUIRES: called before the batch is used.
  void Seal();
  // True when Seal has run since the last Finish: the batch may be applied.
  bool sealed() const { return sealed_ || alerts_.empty(); }
  // of_labels: f is the fingerprint of exactly the alert's labels (computed on the fly by the decoder), not an
  // identity of another kind (PagerDuty's dedup key).
  void set_fingerprint(Fingerprint f, bool of_labels = false) {
    fingerprint_set_ = true;
    alerts_.back().fingerprint = f;
    alerts_.back().fingerprint_of_labels = of_labels;
  }
  // The labels added since Begin, before Finish (for validation in decoders).
  std::span<const Label> current_labels() const;
  // Drops the alert under construction (an empty/invalid one).
  void DropCurrent();

 private:
  struct Block {
    std::unique_ptr<char[]> data;
    size_t size = 0, used = 0;
  };
  std::string_view StoreInNewBlock(std::string_view s);
  AlertFormat format_;
  std::string format_label_;
  std::vector<AlertInput> alerts_;
  std::vector<Label> labels_;  // labels and annotations of all alerts, alert by alert
  std::vector<Label> pending_annotations_;
  std::vector<Block> blocks_;
  bool fingerprint_set_ = false;
  std::vector<uint32_t> pending_fingerprints_;  // alerts whose fingerprint Seal still owes
  bool sealed_ = false;
  std::string_view position_stream_;
  int64_t position_offset_ = -1;
};

}  // namespace incidentd
