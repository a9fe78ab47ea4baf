#include "incidentd/label_set.h"

#include <cassert>
#include <cstdlib>

namespace incidentd {

std::string_view LabelSet::Get(std::string_view name) const {
  for (const InternedLabel& l : labels()) {
    if (l.name.view() == name) return l.value.view();
  }
  return {};
}

bool LabelSet::Equals(std::span<const Label> other) const {
  if (other.size() != size_) return false;
  for (uint32_t i = 0; i < size_; ++i) {
    if (data_[i].name.view() != other[i].name || data_[i].value.view() != other[i].value) return false;
  }
  return true;
}

SymbolTable::~SymbolTable() {
  for (Symbol::Entry* e : set_) std::free(e);
}

Symbol SymbolTable::Intern(std::string_view s) {
  auto it = set_.find(s);
  if (it != set_.end()) {
    ++(*it)->refs;
    return Symbol(*it);
  }
  auto* e = static_cast<Symbol::Entry*>(std::malloc(sizeof(Symbol::Entry) + s.size()));
  if (e == nullptr) std::abort();
  e->refs = 1;
  e->size = static_cast<uint32_t>(s.size());
  std::memcpy(e->data, s.data(), s.size());
  set_.insert(e);
  bytes_ += s.size();
  return Symbol(e);
}

void SymbolTable::Release(Symbol s) {
  auto* e = const_cast<Symbol::Entry*>(s.entry());
  if (e == nullptr) return;
  assert(e->refs > 0);
  if (--e->refs > 0) return;
  set_.erase(e);
  bytes_ -= e->size;
  std::free(e);
}

LabelSet SymbolTable::Build(std::span<const Label> labels) {
  LabelSet set;
  if (labels.empty()) return set;
  set.data_ = std::make_unique<InternedLabel[]>(labels.size());
  set.size_ = static_cast<uint32_t>(labels.size());
  for (size_t i = 0; i < labels.size(); ++i) set.data_[i] = {Intern(labels[i].name), Intern(labels[i].value)};
  return set;
}

void SymbolTable::Release(LabelSet& set) {
  for (const InternedLabel& l : set.labels()) {
    Release(l.name);
    Release(l.value);
  }
  set.data_.reset();
  set.size_ = 0;
}

}  // namespace incidentd
