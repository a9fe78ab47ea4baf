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

const Policy* RuleSet::FindPolicy(std::string_view name) const {
  auto it = std::find_if(policies.begin(), policies.end(), [&](const Policy& p) { return p.name == name; });
  return it == policies.end() ? nullptr : &*it;
}

}  // namespace incidentd::engine
