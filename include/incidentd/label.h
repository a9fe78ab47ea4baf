// Label: a name/value pair, and Fingerprint: the identity of a label set.
//
// The fingerprint is Alertmanager's own, so ids match an Alertmanager's for the same labels: 64-bit FNV-1a over the
// label names in byte order, each name followed by byte 0xff, then its value followed by byte 0xff; printed as 16
// lowercase hex digits. {alertname="Watchdog"} gives 003b0a0f7d3fa569.
//
// Thread rule: plain values.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace incidentd {

// Views into storage owned by someone else (an AlertBatch's arena, a SymbolTable).
struct Label {
  std::string_view name;
  std::string_view value;
};

class Fingerprint {
 public:
  static constexpr uint64_t kOffset = 0xcbf29ce484222325ULL;
  static constexpr uint64_t kPrime = 0x100000001b3ULL;

  constexpr Fingerprint() = default;
  constexpr explicit Fingerprint(uint64_t value) : value_(value) {}

  // REQUIRES: labels sorted by name, names unique.
  static Fingerprint Of(std::span<const Label> labels);
  // Parses 16 hex digits; nullopt on anything else.
  static std::optional<Fingerprint> Parse(std::string_view hex);

  constexpr uint64_t value() const { return value_; }
  std::string ToString() const;  // 16 lowercase hex digits
  // Writes the 16 hex digits to out[0..15].
  void Format(char* out) const;

  friend constexpr bool operator==(Fingerprint a, Fingerprint b) { return a.value_ == b.value_; }
  friend constexpr auto operator<=>(Fingerprint a, Fingerprint b) { return a.value_ <=> b.value_; }

 private:
  uint64_t value_ = kOffset;  // the fingerprint of the empty set
};

// Incremental FNV-1a, for fingerprints of label subsets built on the fly.
class FingerprintBuilder {
 public:
  void Add(std::string_view name, std::string_view value) {
    Bytes(name);
    Byte(0xff);
    Bytes(value);
    Byte(0xff);
  }
  Fingerprint Finish() const { return Fingerprint(h_); }

 private:
  void Byte(unsigned char b) { h_ = (h_ ^ b) * Fingerprint::kPrime; }
  void Bytes(std::string_view s) {
    for (unsigned char c : s) Byte(c);
  }
  uint64_t h_ = Fingerprint::kOffset;
};

struct FingerprintHash {
  size_t operator()(Fingerprint f) const { return static_cast<size_t>(f.value()); }
};

}  // namespace incidentd
