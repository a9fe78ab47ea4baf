#include "sources/kafka/offset_tracker.h"

#include <algorithm>

namespace incidentd::kafka {

bool OffsetTracker::Finish(int64_t offset) {
  // Nearly always the first one: a partition's batches are applied in order.
  auto it = !taken_.empty() && taken_.front().first == offset
                ? taken_.begin()
                : std::lower_bound(taken_.begin(), taken_.end(), std::make_pair(offset, false));
  if (it == taken_.end() || it->first != offset) return false;
  it->second = true;
  bool moved = false;
  while (!taken_.empty() && taken_.front().second) {
    commit_ = taken_.front().first + 1;
    taken_.pop_front();
    moved = true;
  }
  return moved;
}

void OffsetTracker::ForgetFrom(int64_t offset) {
  while (!taken_.empty() && taken_.back().first >= offset) taken_.pop_back();
}

}  // namespace incidentd::kafka
