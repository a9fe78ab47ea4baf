// Synthetic alert payloads for incidentd-loadgen.
//
// Alerts are rendered once at start-up. A request body then costs almost nothing to produce: "known" mode sends
// slices of one contiguous pre-rendered pool (zero copy), "new" mode re-patches the fixed-width unique keys inside a
// per-connection body in place and only occasionally re-copies templates into it for content variety.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace incidentd::bench {

enum class Format { kPrometheus, kPagerDuty };
enum class Mode { kNew, kKnown };

// Width of the pod-name suffix that carries the unique key ("7d9f8b6c5x-b2k9q": 10 chars, dash, 5 chars).
inline constexpr size_t kKeyWidth = 16;

// Writes `key` as a Kubernetes-style pod suffix of exactly kKeyWidth chars.
void EncodeKey(uint64_t key, char* out);

// One pre-rendered alert (or PagerDuty event). `key_offsets` point at kKeyWidth-char slots to patch in "new" mode.
struct AlertTemplate {
  std::string text;
  uint32_t key_offsets[2] = {0, 0};
  uint32_t num_key_offsets = 0;
};

struct GeneratorConfig {
  Format format = Format::kPrometheus;
  Mode mode = Mode::kNew;
  size_t pool = 10000;  // distinct alerts in "known" mode
  uint64_t seed = 1;
  uint64_t run_nonce = 0;  // makes "new" keys unique across runs; 0 = pick from std::random_device
};

// A request body as up to four pieces to send back to back (gather write); unused pieces are empty.
struct BodyParts {
  std::string_view parts[4];
  size_t size = 0;
};

class BodyGenerator {
 public:
  // Per-connection state; the returned BodyParts may point into it, so one request at a time per Scratch.
  struct Scratch {
    std::string text;
    std::vector<uint32_t> key_offsets;  // absolute offsets of the keys in `text`
    size_t count = 0;
    uint64_t uses = 0;
  };

  explicit BodyGenerator(const GeneratorConfig& config);

  // The body for alerts [seq, seq + count) of this run; valid until the next Build with the same scratch.
  // Thread-safe across scratches. seq is the run-wide alert sequence number: in "new" mode it makes every key
  // unique, in "known" mode it selects pool entries round-robin so the whole pool is re-sent evenly.
  BodyParts Build(uint64_t seq, size_t count, Scratch* scratch) const;

  double AverageAlertBytes() const;
  size_t MinAlertBytes() const { return min_bytes_; }
  size_t MaxAlertBytes() const { return max_bytes_; }
  size_t NumTemplates() const { return num_templates_; }

 private:
  void CopyAlerts(uint64_t seq, size_t count, Scratch* scratch) const;

  GeneratorConfig config_;
  std::vector<AlertTemplate> templates_;  // "new" mode
  std::string pool_text_;                 // "known" mode: "a0,a1,...,aP-1," (each alert followed by a comma)
  std::vector<size_t> pool_start_;        // offset of alert i in pool_text_, plus the total size at [P]
  size_t num_templates_ = 0;
  uint64_t key_base_ = 0;  // nonce << 40; the low 40 bits carry the sequence number or the pool index
  size_t total_bytes_ = 0;
  size_t min_bytes_ = 0;
  size_t max_bytes_ = 0;
};

}  // namespace incidentd::bench
