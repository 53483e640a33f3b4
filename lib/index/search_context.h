// SearchContext: the per-thread scratch space of a search, reused across queries.
//
// Holds an epoch-stamped visited set (clearing is O(1): bump the epoch) and the
// candidate/result heaps, so a search allocates nothing once the context has
// grown to the largest graph it has seen. Not thread-safe: one per thread
// (e.g. in a tbb::enumerable_thread_specific).
#pragma once

#include <algorithm>
#include <cstdint>
#include <limits>
#include <vector>

namespace vs {

struct Neighbor {
  float distance;
  uint32_t node;
  bool operator<(const Neighbor& other) const {
    return distance < other.distance || (distance == other.distance && node < other.node);
  }
};

// Heap orders: results keep the farthest on top (to evict), candidates the closest (to expand).
struct FartherFirst {
  bool operator()(const Neighbor& a, const Neighbor& b) const { return a.distance < b.distance; }
};
struct CloserFirst {
  bool operator()(const Neighbor& a, const Neighbor& b) const { return a.distance > b.distance; }
};

class VisitedSet {
 public:
  // Prepares for a new search over `count` nodes: O(1) except on growth or epoch wrap.
  void reset(uint32_t count);
  bool test_and_set(uint32_t node) {
    if (stamps_[node] == epoch_) return true;
    stamps_[node] = epoch_;
    return false;
  }
  bool test(uint32_t node) const { return stamps_[node] == epoch_; }

 private:
  std::vector<uint16_t> stamps_;
  uint16_t epoch_ = 0;
};

struct SearchContext {
  VisitedSet visited;
  std::vector<Neighbor> candidates;  // min-heap by distance
  std::vector<Neighbor> results;     // max-heap by distance, size ≤ ef

  // The best-first search of one graph level, shared by queries and the
  // builder: begin() seeds both heaps, next_candidate() pops the closest
  // unexpanded node while it can still improve the results, offer() keeps a
  // newly seen node if it is among the ef closest so far. A filtered search
  // passes admitted = false for nodes the filter rejects: they are still
  // expanded (the walk goes through them) but never enter the results.
  void begin(Neighbor entry, bool admitted = true) {
    candidates.assign(1, entry);
    results.clear();
    if (admitted) results.push_back(entry);
  }
  bool next_candidate(size_t ef, Neighbor& out) {
    if (candidates.empty()) return false;
    out = candidates.front();
    if (results.size() >= ef && out.distance > results.front().distance) return false;
    std::pop_heap(candidates.begin(), candidates.end(), CloserFirst{});
    candidates.pop_back();
    return true;
  }
  // offer() turns away any distance at or beyond this: the farthest result
  // once there are ef of them, else infinity. A bounded distance
  // (DistanceFn::within) may stop summing there.
  float bound(size_t ef) const {
    return results.size() >= ef ? results.front().distance : std::numeric_limits<float>::infinity();
  }
  void offer(Neighbor seen, size_t ef, bool admitted = true) {
    if (results.size() >= ef && seen.distance >= results.front().distance) return;
    candidates.push_back(seen);
    std::push_heap(candidates.begin(), candidates.end(), CloserFirst{});
    if (!admitted) return;
    results.push_back(seen);
    std::push_heap(results.begin(), results.end(), FartherFirst{});
    if (results.size() > ef) {
      std::pop_heap(results.begin(), results.end(), FartherFirst{});
      results.pop_back();
    }
  }

  std::vector<float> query;          // the query padded to dim_padded
  std::vector<float> prepared_query; // sq8 graphs: the query prepared for code distances
  std::vector<uint32_t> fresh;       // a node's not yet visited neighbours
};

}  // namespace vs
