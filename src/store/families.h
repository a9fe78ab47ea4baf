// The state store's column families and helpers shared by its writing (state_store.cc) and recovery
// (recovery.cc). Internal to src/store.
#pragma once

#include <chrono>
#include <cstddef>
#include <string>
#include <string_view>

#include <memory>
#include <vector>

#include <rocksdb/db.h>

#include "incidentd/clock.h"
#include "store/state_store.h"

namespace incidentd::store {

enum Family : size_t { kMeta, kAlerts, kIncidents, kMembers, kTimeline, kSilences, kOutbox, kLog, kFamilies };
inline constexpr const char* kFamilyNames[kFamilies] = {"default",  "alerts",   "incidents", "members",
                                                        "timeline", "silences", "outbox",    "notification_log"};
inline constexpr char kFormatKey[] = "format";
inline constexpr Duration kLogTrimEvery = std::chrono::minutes(1);

inline std::string Hex(std::string_view bytes) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  for (unsigned char c : bytes) {
    out.push_back(kDigits[c >> 4]);
    out.push_back(kDigits[c & 15]);
  }
  return out;
}

// The open database and its column families, in Family order.
struct StateStore::Handles {
  std::unique_ptr<rocksdb::DB> db;
  std::vector<rocksdb::ColumnFamilyHandle*> cf;
  ~Handles() {
    for (rocksdb::ColumnFamilyHandle* c : cf) {
      if (c != nullptr) db->DestroyColumnFamilyHandle(c);
    }
    cf.clear();
    if (db) db->Close();
  }
};

}  // namespace incidentd::store
