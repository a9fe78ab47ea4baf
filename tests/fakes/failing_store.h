// FailingStore: a store::WriteTarget wrapper for tests that fails the state store's writes while told to, as a full
// or broken disk would.
//
// Wrap() gives the Daemon's (or StoreOptions') wrap_store: every target it wraps passes writes through to RocksDB
// while failing() is false, and answers Unavailable without writing anything while it is true. A failed write
// leaves the batch unwritten and the store unchanged, as RocksDB does when its write fails.
//
// Thread rule: every method is safe from any thread (the engine's thread commits ticks, the outbox's threads record
// finished notifications). The wrapped targets share their state with this object, so either may outlive the other.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <utility>

#include "incidentd/status.h"
#include "store/state_store.h"

namespace incidentd::testing {

class FailingStore {
 public:
  FailingStore() : state_(std::make_shared<State>()) {}

  // From now on, writes fail (true) or go through (false).
  void SetFailing(bool failing) { state_->failing.store(failing); }
  bool failing() const { return state_->failing.load(); }
  // Writes that went through to RocksDB (whatever RocksDB answered), and writes refused while failing.
  uint64_t passed() const { return state_->passed.load(); }
  uint64_t failed() const { return state_->failed.load(); }

  // The wrapper to hand to the Daemon as wrap_store.
  store::WrapWrites Wrap() const {
    return [state = state_](std::unique_ptr<store::WriteTarget> inner) -> std::unique_ptr<store::WriteTarget> {
      return std::make_unique<Target>(state, std::move(inner));
    };
  }

 private:
  struct State {
    std::atomic<bool> failing{false};
    std::atomic<uint64_t> passed{0};
    std::atomic<uint64_t> failed{0};
  };

  class Target final : public store::WriteTarget {
   public:
    Target(std::shared_ptr<State> state, std::unique_ptr<store::WriteTarget> inner)
        : state_(std::move(state)), inner_(std::move(inner)) {}
    Status Write(rocksdb::WriteBatch* batch, bool sync) override {
      if (state_->failing.load()) {
        state_->failed.fetch_add(1);
        return Status::Unavailable("store: write failed: IO error: injected by FailingStore");
      }
      state_->passed.fetch_add(1);
      return inner_->Write(batch, sync);
    }

   private:
    std::shared_ptr<State> state_;
    std::unique_ptr<store::WriteTarget> inner_;
  };

  std::shared_ptr<State> state_;
};

}  // namespace incidentd::testing
