// OffsetTracker: the messages of one partition taken for applying, finished in any order (a poison message at once,
// the others when their tick is durable), and the offset that may be committed: one past the last message of the
// unbroken finished run from the first taken.
//
// Thread rule: none of its own; KafkaSource guards each with its lock.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <utility>

namespace incidentd::kafka {

class OffsetTracker {
 public:
  // REQUIRES: offset greater than every offset taken since the last Reset.
  void Take(int64_t offset) { taken_.emplace_back(offset, false); }
  // Marks a taken offset finished; an offset not taken (or forgotten) is ignored. True when commit() moved.
  bool Finish(int64_t offset);
  // Forgets the taken offsets from `offset` on: messages that were never handed on (held back, or revoked).
  void ForgetFrom(int64_t offset);
  // Forgets everything taken; commit() stays until something new is finished.
  void Reset() { taken_.clear(); }
  // The offset to commit (the next message to read); -1 when nothing was finished yet.
  int64_t commit() const { return commit_; }
  // Taken and not finished.
  size_t in_flight() const { return taken_.size(); }

 private:
  std::deque<std::pair<int64_t, bool>> taken_;  // (offset, finished), ascending
  int64_t commit_ = -1;
};

}  // namespace incidentd::kafka
