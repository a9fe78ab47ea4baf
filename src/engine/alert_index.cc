// AlertStore's fingerprint index: open addressing over 8-byte cells, each a 32-bit hash of the fingerprint (the
// tag that lets a lookup skip other alerts' entries) and the slot + 1 (0 is an empty cell). Kept apart from the
// merge rules and the timers in alert_store.cc; alert_store.h documents the class.
#include <algorithm>
#include <utility>

#include "engine/alert_store.h"

namespace incidentd::engine {
namespace {

// The index's hash of a fingerprint. FNV-1a's low bits are weak; the multiply spreads every bit into the high ones.
uint32_t Hash32(Fingerprint fp) { return static_cast<uint32_t>((fp.value() * 0x9e3779b97f4a7c15ULL) >> 32); }
// A hash's home cell: the hash scaled to the table, so the capacity need not be a power of 2.
size_t Home(uint32_t h, size_t capacity) { return static_cast<size_t>((static_cast<uint64_t>(h) * capacity) >> 32); }
size_t Next(size_t i, size_t capacity) { return i + 1 == capacity ? 0 : i + 1; }
uint32_t HashOfCell(uint64_t cell) { return static_cast<uint32_t>(cell >> 32); }
uint32_t SlotOfCell(uint64_t cell) { return static_cast<uint32_t>(cell) - 1; }

}  // namespace

uint32_t AlertStore::FindSlot(Fingerprint fp) const {
  const size_t capacity = cells_.size();
  if (capacity == 0) return kNoSlot;
  const uint32_t h = Hash32(fp);
  for (size_t i = Home(h, capacity);; i = Next(i, capacity)) {
    const uint64_t cell = cells_[i];
    if (cell == 0) return kNoSlot;
    if (HashOfCell(cell) == h && At(SlotOfCell(cell)).alert.fingerprint == fp) return SlotOfCell(cell);
  }
}

void AlertStore::Rehash(size_t capacity) {
  std::vector<uint64_t> old = std::exchange(cells_, std::vector<uint64_t>(capacity));
  for (uint64_t cell : old) {
    if (cell == 0) continue;
    size_t i = Home(HashOfCell(cell), capacity);
    while (cells_[i] != 0) i = Next(i, capacity);
    cells_[i] = cell;
  }
}

void AlertStore::IndexInsert(Fingerprint fp, uint32_t slot) {
  // At most 80 % full, growing by half: 8 bytes / 0.53-0.8 per alert, and probes rarely leave a cache line.
  if ((size_ + 1) * 5 > cells_.size() * 4) Rehash(std::max<size_t>(16, cells_.size() * 3 / 2));
  const size_t capacity = cells_.size();
  const uint32_t h = Hash32(fp);
  size_t i = Home(h, capacity);
  while (cells_[i] != 0) i = Next(i, capacity);
  cells_[i] = static_cast<uint64_t>(h) << 32 | (slot + 1);
}

void AlertStore::IndexErase(Fingerprint fp, uint32_t slot) {
  const size_t capacity = cells_.size();
  const uint32_t h = Hash32(fp);
  const uint64_t cell = static_cast<uint64_t>(h) << 32 | (slot + 1);
  size_t hole = Home(h, capacity);
  while (cells_[hole] != cell) hole = Next(hole, capacity);
  // Backward-shift deletion (no tombstones): a later cell of the run moves into the hole unless its home lies
  // cyclically in (hole, j], where moving it would put it before its home.
  for (size_t j = Next(hole, capacity); cells_[j] != 0; j = Next(j, capacity)) {
    const size_t home = Home(HashOfCell(cells_[j]), capacity);
    const bool stays = hole <= j ? (hole < home && home <= j) : (hole < home || home <= j);
    if (!stays) {
      cells_[hole] = cells_[j];
      hole = j;
    }
  }
  cells_[hole] = 0;
}

void AlertStore::Prefetch(const AlertBatch& batch, size_t i) const {
  // How far ahead, in alerts: the index cell first, then (its cell fetched by now) the entry.
  constexpr size_t kCellAhead = 8;
  constexpr size_t kEntryAhead = 4;
  const std::vector<AlertInput>& inputs = batch.alerts();
  const size_t capacity = cells_.size();
  if (capacity == 0) return;
  if (i + kCellAhead < inputs.size()) {
    __builtin_prefetch(&cells_[Home(Hash32(inputs[i + kCellAhead].fingerprint), capacity)]);
  }
  if (i + kEntryAhead >= inputs.size()) return;
  // The first cell with the right hash is the alert's but for a 32-bit collision; reading the entry to make sure
  // would wait for it.
  const uint32_t h = Hash32(inputs[i + kEntryAhead].fingerprint);
  for (size_t c = Home(h, capacity); cells_[c] != 0; c = Next(c, capacity)) {
    if (HashOfCell(cells_[c]) != h) continue;
    const char* e = reinterpret_cast<const char*>(&At(SlotOfCell(cells_[c])));
    // What a refresh touches: `scheduled` and the alert's first 64 bytes.
    __builtin_prefetch(e, 1);
    __builtin_prefetch(e + sizeof(Time) + 63, 1);
    return;
  }
}

}  // namespace incidentd::engine
