// AllowedSet: the documents of one shard a filter admits, as a bitmap.
//
// One bit per node; reset() sizes it for a shard and fills it empty or full,
// reusing its storage, so evaluating a filter per query allocates nothing in
// the steady state. The set operations are word-wise (a 1M-node shard is
// 16k words). Not thread-safe: one per thread, like a SearchContext.
#pragma once

#include <bit>
#include <cstdint>
#include <vector>

namespace vs {

class AllowedSet {
 public:
  // `count` nodes, none allowed (or all, when `full`).
  void reset(uint32_t count, bool full) {
    count_ = count;
    words_.assign((size_t{count} + 63) / 64, full ? ~uint64_t{0} : 0);
    if (full) clear_tail();
  }
  uint32_t size() const { return count_; }
  void insert(uint32_t node) {
    if (node < count_) words_[node >> 6] |= uint64_t{1} << (node & 63);
  }
  bool contains(uint32_t node) const { return (words_[node >> 6] >> (node & 63)) & 1; }

  void intersect(const AllowedSet& other) {
    for (size_t i = 0; i < words_.size(); ++i) words_[i] &= other.words_[i];
  }
  void unite(const AllowedSet& other) {
    for (size_t i = 0; i < words_.size(); ++i) words_[i] |= other.words_[i];
  }
  void complement() {
    for (uint64_t& word : words_) word = ~word;
    clear_tail();
  }
  uint32_t count() const {
    uint64_t total = 0;
    for (uint64_t word : words_) total += static_cast<uint64_t>(std::popcount(word));
    return static_cast<uint32_t>(total);
  }
  // Calls visit(node) for every allowed node, ascending.
  template <typename Visit>
  void for_each(Visit&& visit) const {
    for (size_t i = 0; i < words_.size(); ++i) {
      for (uint64_t word = words_[i]; word != 0; word &= word - 1) {
        visit(static_cast<uint32_t>(i * 64 + static_cast<size_t>(std::countr_zero(word))));
      }
    }
  }

 private:
  // Bits past `count_` in the last word stay zero so count() and for_each() ignore them.
  void clear_tail() {
    if (count_ % 64 != 0) words_.back() &= (uint64_t{1} << (count_ % 64)) - 1;
  }
  std::vector<uint64_t> words_;
  uint32_t count_ = 0;
};

}  // namespace vs
