#include "engine/rules.h"

#include <algorithm>

namespace incidentd::engine {

std::string PriorityName(Priority p) { return "P" + std::to_string(p); }

Priority PriorityRule::For(const LabelSet& labels) const {
  if (!from_label_set) return fixed;
  // A LabelSet holds no empty values, so an empty view means the label is missing: that takes the fallback.
  std::string_view value = labels.Get(from_label);
  if (value.empty()) return fallback;
  for (const auto& [v, p] : map) {
    if (v == value) return p;
  }
  return fallback;
}

uint32_t CorrelationRule::ThresholdCount(const std::vector<HeldAlert>& held, Time newest) const {
  std::vector<uint64_t> values;
  uint32_t count = 0;
  for (auto it = held.rbegin(); it != held.rend() && newest - it->at <= window; ++it) {
    if (min_distinct.label.empty()) {
      ++count;
    } else if (it->value != 0) {
      values.push_back(it->value);
    }
  }
  if (min_distinct.label.empty()) return count;
  std::sort(values.begin(), values.end());
  return static_cast<uint32_t>(std::unique(values.begin(), values.end()) - values.begin());
}

const CorrelationRule* RuleSet::FindCorrelation(std::string_view name, uint32_t hint) const {
  if (hint < correlations.size() && correlations[hint].name == name) return &correlations[hint];
  auto it =
      std::find_if(correlations.begin(), correlations.end(), [&](const CorrelationRule& r) { return r.name == name; });
  return it == correlations.end() ? nullptr : &*it;
}

const Policy* RuleSet::FindPolicy(std::string_view name) const {
  auto it = std::find_if(policies.begin(), policies.end(), [&](const Policy& p) { return p.name == name; });
  return it == policies.end() ? nullptr : &*it;
}

}  // namespace incidentd::engine
