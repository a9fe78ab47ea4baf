// LabelSet: a compact, immutable label set whose strings are interned in a SymbolTable.
//
// Millions of active alerts share a few thousand distinct label names and values (alertname, job, severity, cluster),
// so each string is stored once, with a reference count, and a label costs two pointers. A LabelSet is one heap
// block: its size, then its labels sorted by name.
//
// Ownership: a LabelSet holds references into the SymbolTable that built it and gives them back only through
// SymbolTable::Release; the owner (the engine's alert store) must release before dropping a set. A SymbolTable must
// outlive every set built from it.
//
// Thread rule: a SymbolTable and its sets belong to one thread (the engine's).
#pragma once

#include <cstdint>
#include <cstring>
#include <memory>
#include <span>
#include <string_view>

#include <boost/unordered/unordered_flat_set.hpp>

#include "incidentd/label.h"

namespace incidentd {

// An interned string. Compare by pointer: equal strings from one table are the same Symbol.
class Symbol {
 public:
  struct Entry {
    uint32_t refs;
    uint32_t size;
    char data[];  // NOLINT: flexible array member (GNU extension), one allocation per distinct string
  };
  Symbol() = default;
  explicit Symbol(const Entry* e) : e_(e) {}
  std::string_view view() const { return e_ ? std::string_view(e_->data, e_->size) : std::string_view(); }
  friend bool operator==(Symbol a, Symbol b) { return a.e_ == b.e_; }
  const Entry* entry() const { return e_; }

 private:
  const Entry* e_ = nullptr;
};

struct InternedLabel {
  Symbol name;
  Symbol value;
};

class LabelSet {
 public:
  LabelSet() = default;
  LabelSet(LabelSet&&) noexcept = default;
  LabelSet& operator=(LabelSet&&) noexcept = default;

  std::span<const InternedLabel> labels() const { return {data_.get(), size_}; }
  size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }
  // The value of the named label, or an empty view.
  std::string_view Get(std::string_view name) const;
  // True when this set holds exactly these labels (sorted by name).
  bool Equals(std::span<const Label> labels) const;

 private:
  friend class SymbolTable;
  std::unique_ptr<InternedLabel[]> data_;
  uint32_t size_ = 0;
};

class SymbolTable {
 public:
  SymbolTable() = default;
  SymbolTable(const SymbolTable&) = delete;
  SymbolTable& operator=(const SymbolTable&) = delete;
  ~SymbolTable();

  // Returns the symbol for s, adding a reference.
  Symbol Intern(std::string_view s);
  // Drops one reference; the string is freed with its last reference.
  void Release(Symbol s);

  // REQUIRES: labels sorted by name.
  LabelSet Build(std::span<const Label> labels);
  void Release(LabelSet& set);

  size_t size() const { return set_.size(); }  // distinct strings held
  size_t bytes() const { return bytes_; }      // their payload bytes

 private:
  struct Hash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const { return std::hash<std::string_view>()(s); }
    size_t operator()(const Symbol::Entry* e) const { return (*this)(std::string_view(e->data, e->size)); }
  };
  struct Eq {
    using is_transparent = void;
    static std::string_view V(std::string_view s) { return s; }
    static std::string_view V(const Symbol::Entry* e) { return {e->data, e->size}; }
    template <typename A, typename B>
    bool operator()(const A& a, const B& b) const {
      return V(a) == V(b);
    }
  };
  // Open addressing over entry pointers; lookups by string_view without building a string.
  boost::unordered_flat_set<Symbol::Entry*, Hash, Eq> set_;
  size_t bytes_ = 0;
};

}  // namespace incidentd
