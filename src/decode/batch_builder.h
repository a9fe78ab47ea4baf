// BatchBuilder: the validating front of an AlertBatch, shared by all decoders.
//
// A decoder reads its format and hands labels, annotations and the generator URL to the builder, alert by alert. The
// builder applies the rules every format shares (Alertmanager's): labels with an empty value are dropped, names must be
// ^[a-zA-Z_][a-zA-Z0-9_]*$, label names must be unique, at least one label is required, and the Limits hold. Each
// violation becomes a FieldError naming the alert's index and the field; the alert is still finished so the batch
// stays well formed, but an outcome with errors must not be applied.
//
// In UTF-8 check mode (decoding a copy of a body in which every invalid UTF-8 byte was replaced by kBadByteMark) any
// string holding the mark is reported as "<field>: not valid UTF-8". A real DEL (0x7F) in such a body is reported the
// same way; that only happens on a body simdjson already rejected.
//
// Ownership: the builder borrows the outcome and the limits; it lives for one Decode call. Thread rule: one thread.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "decode/decoder.h"
#include "decode/validate.h"

namespace incidentd::decode {

class BatchBuilder {
 public:
  BatchBuilder(DecodeOutcome& out, const Limits& limits, bool check_utf8)
      : out_(out), batch_(out.batch), limits_(limits), check_utf8_(check_utf8) {}

  const Limits& limits() const { return limits_; }
  bool check_utf8() const { return check_utf8_; }
  AlertBatch& batch() { return batch_; }
  int64_t index() const { return index_; }
  // True once a "not valid UTF-8" error was recorded.
  bool reported_utf8() const { return reported_utf8_; }

  // Starts alert number `index`. The reference is valid until the next Begin.
  AlertInput& Begin(int64_t index) {
    index_ = index;
    labels_seen_ = labels_kept_ = annotations_kept_ = 0;
    in_order_ = true;
    last_name_ = {};
    return batch_.Begin();
  }

  // Drops the current alert (decoders that validate before building use it when validation failed).
  void Drop() { batch_.DropCurrent(); }

  // Adds a label to the current alert. An empty value drops it (no error). `field` names it in errors; empty means
  // "labels.<name>".
  void Label(std::string_view name, std::string_view value, std::string_view field = {}) {
    field_ = field;
    AddLabel(name, value, /*name_checked=*/false);
  }
  // Label for a name the caller already found to match ^[a-zA-Z_][a-zA-Z0-9_]*$ (so free of bad-byte marks).
  void LabelWithValidName(std::string_view name, std::string_view value) {
    field_ = {};
    AddLabel(name, value, /*name_checked=*/true);
  }

  // Counts a label the decoder could not read (a wrong type, reported by the decoder), so that the alert is not also
  // reported as having no labels.
  void CountUnreadableLabel() { ++labels_seen_; }

  // Adds an annotation to the current alert; empty values are kept. `field` as for Label.
  void Annotation(std::string_view name, std::string_view value, std::string_view field = {}) {
    field_ = field;
    AddAnnotation(name, value, /*name_checked=*/false);
  }
  // Annotation for a name the caller already found valid.
  void AnnotationWithValidName(std::string_view name, std::string_view value) {
    field_ = {};
    AddAnnotation(name, value, /*name_checked=*/true);
  }

  // Stores the generator URL of the current alert (bounded like an annotation value).
  void GeneratorUrl(AlertInput& alert, std::string_view url, std::string_view field);

  // Sets the current alert's fingerprint instead of the one of its labels.
  void SetFingerprint(Fingerprint f) { batch_.set_fingerprint(f); }

  // Finishes the current alert: requires a label, rejects duplicate names. The fingerprint of its labels, unless the
  // decoder set one, is computed with the others' by AlertBatch::Seal when the batch is done.
  void Finish();

  // Records an error on the current alert.
  void Error(std::string field, std::string reason) { out_.AddError(index_, std::move(field), std::move(reason)); }
  // Records an error on alert `index`, which need not have been begun (an element that is not an alert).
  void ErrorAt(int64_t index, std::string field, std::string reason) {
    out_.AddError(index, std::move(field), std::move(reason));
  }
  // Records an error on the request as a whole (index -1).
  void BodyError(std::string field, std::string reason) { out_.AddError(-1, std::move(field), std::move(reason)); }
  // In check mode, records "<field>: not valid UTF-8" if s holds a mark; returns false then.
  bool CheckUtf8(std::string_view s, std::string_view field);
  // Records "<field>: more than N alerts (max_alerts_per_request)" on the request when `count` exceeds the limit, and
  // stops the decoding (stopped()); returns false then.
  bool CheckAlertCount(size_t count, std::string_view field);
  // Marks the decoding as ended before the end of the body (so no check for trailing content follows).
  void Stop() { stopped_ = true; }
  bool stopped() const { return stopped_; }
  DecodeOutcome& outcome() { return out_; }

 private:
  // The field to name in errors is in field_: passing it as a fifth view would spill it to the stack.
  void AddLabel(std::string_view name, std::string_view value, bool name_checked) {
    if (value.empty()) return;
    ++labels_seen_;
    if (check_utf8_ && !CheckedText(name, value, "labels", field_)) return;
    if (name.size() > limits_.max_name_bytes || value.size() > limits_.max_label_value_bytes ||
        (!name_checked && !IsValidName(name))) [[unlikely]] {
      LabelError(name, value, field_);
      return;
    }
    if (++labels_kept_ > limits_.max_labels) [[unlikely]] {
      if (labels_kept_ == limits_.max_labels + 1) TooMany("labels", limits_.max_labels, "max_labels");
      return;
    }
    // Senders mostly list labels sorted (Go's JSON encoder sorts map keys); noticing it here spares the batch a sort
    // check.
    if (in_order_) {
      if (NameBefore(last_name_, name)) {
        last_name_ = name;
      } else {
        in_order_ = false;
      }
    }
    batch_.AddLabel(name, value);
  }

  void AddAnnotation(std::string_view name, std::string_view value, bool name_checked) {
    if (check_utf8_ && !CheckedText(name, value, "annotations", field_)) return;
    if (name.size() > limits_.max_name_bytes || value.size() > limits_.max_annotation_value_bytes ||
        (!name_checked && !IsValidName(name))) [[unlikely]] {
      AnnotationError(name, value, field_);
      return;
    }
    if (++annotations_kept_ > limits_.max_annotations) [[unlikely]] {
      if (annotations_kept_ == limits_.max_annotations + 1) {
        TooMany("annotations", limits_.max_annotations, "max_annotations");
      }
      return;
    }
    batch_.AddAnnotation(name, value);
  }

  bool CheckedText(std::string_view name, std::string_view value, std::string_view kind, std::string_view field);
  void LabelError(std::string_view name, std::string_view value, std::string_view field);
  void AnnotationError(std::string_view name, std::string_view value, std::string_view field);
  void TooMany(std::string_view field, size_t limit, std::string_view limit_name);
  // a < b in byte order; inline because names mostly differ in their first byte.
  static bool NameBefore(std::string_view a, std::string_view b) {
    const size_t n = a.size() < b.size() ? a.size() : b.size();
    for (size_t i = 0; i < n; ++i) {
      if (a[i] != b[i]) return static_cast<unsigned char>(a[i]) < static_cast<unsigned char>(b[i]);
    }
    return a.size() < b.size();
  }

  DecodeOutcome& out_;
  AlertBatch& batch_;
  const Limits& limits_;
  const bool check_utf8_;
  bool reported_utf8_ = false;
  bool stopped_ = false;
  int64_t index_ = -1;
  size_t labels_seen_ = 0;  // non-empty labels sent, valid or not
  size_t labels_kept_ = 0;
  size_t annotations_kept_ = 0;
  bool in_order_ = true;  // labels so far came sorted and unique
  std::string_view last_name_;
  std::string_view field_;  // how the label or annotation being added is named in errors; empty: by its name
};

// An empty outcome whose batch's arena is sized for a body of arena_hint bytes.
inline DecodeOutcome NewOutcome(AlertFormat format, size_t arena_hint) {
  return DecodeOutcome{AlertBatch(format, arena_hint), {}, 0, {}};
}

// "labels.<name>" for an error message (name shortened and made printable).
std::string FieldPath(std::string_view prefix, std::string_view name);

}  // namespace incidentd::decode
