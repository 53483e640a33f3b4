#include "index/hnsw_search.h"

#include <algorithm>
#include <cstring>

#include "index/distance_fn.h"

namespace vs {
namespace {

struct FartherFirst {
  bool operator()(const Neighbor& a, const Neighbor& b) const { return a.distance < b.distance; }
};
struct CloserFirst {
  bool operator()(const Neighbor& a, const Neighbor& b) const { return a.distance > b.distance; }
};

// Neighbour ids and degrees come from a mapped file that open() checked only
// in O(1); clamping here keeps a corrupt section from reading out of bounds
// (vs-query --verify finds such corruption by checksum).
inline uint32_t clamped_degree(uint32_t degree, uint32_t max_degree) { return std::min(degree, max_degree); }

inline void prefetch_vector(const GraphView& graph, uint32_t node) {
  const char* p = reinterpret_cast<const char*>(graph.vector(node));
  __builtin_prefetch(p);
  __builtin_prefetch(p + 64);
}

uint32_t descend_upper_levels(const GraphView& graph, const float* query, const DistanceFn& distance) {
  uint32_t current = graph.entry_point;
  float current_distance = distance(query, graph.vector(current), graph.dim_padded);
  for (int level = graph.max_level; level > 0; --level) {
    bool improved = true;
    while (improved) {
      improved = false;
      if (graph.levels[current] < level) break;
      size_t block = size_t{graph.upper_offsets[current]} + size_t(level - 1) * (graph.m + 1);
      if (block + graph.m + 1 > graph.upper_words) break;
      const uint32_t* links = graph.upper_links + block;
      uint32_t degree = clamped_degree(links[0], graph.m);
      for (uint32_t i = 0; i < degree; ++i) {
        uint32_t candidate = links[1 + i];
        if (candidate >= graph.count) continue;
        float d = distance(query, graph.vector(candidate), graph.dim_padded);
        if (d < current_distance) {
          current_distance = d;
          current = candidate;
          improved = true;
        }
      }
    }
  }
  return current;
}

void search_base_level(const GraphView& graph, const float* query, uint32_t entry, size_t ef,
                       const DistanceFn& distance, SearchContext& context) {
  auto& candidates = context.candidates;
  auto& results = context.results;
  candidates.clear();
  results.clear();
  context.visited.reset(graph.count);

  float entry_distance = distance(query, graph.vector(entry), graph.dim_padded);
  context.visited.test_and_set(entry);
  candidates.push_back({entry_distance, entry});
  results.push_back({entry_distance, entry});

  while (!candidates.empty()) {
    Neighbor closest = candidates.front();
    if (closest.distance > results.front().distance && results.size() >= ef) break;
    std::pop_heap(candidates.begin(), candidates.end(), CloserFirst{});
    candidates.pop_back();

    const uint32_t* links = graph.links0(closest.node);
    uint32_t degree = clamped_degree(links[0], graph.m0);
    for (uint32_t i = 0; i < degree; ++i) {
      if (i + 1 < degree && links[2 + i] < graph.count) prefetch_vector(graph, links[2 + i]);
      uint32_t neighbour = links[1 + i];
      if (neighbour >= graph.count || context.visited.test_and_set(neighbour)) continue;
      float d = distance(query, graph.vector(neighbour), graph.dim_padded);
      if (results.size() >= ef && d >= results.front().distance) continue;
      candidates.push_back({d, neighbour});
      std::push_heap(candidates.begin(), candidates.end(), CloserFirst{});
      results.push_back({d, neighbour});
      std::push_heap(results.begin(), results.end(), FartherFirst{});
      if (results.size() > ef) {
        std::pop_heap(results.begin(), results.end(), FartherFirst{});
        results.pop_back();
      }
    }
  }
}

}  // namespace

void hnsw_search(const GraphView& graph, std::span<const float> query, size_t k, size_t ef,
                 SearchContext& context, std::vector<Neighbor>& out) {
  out.clear();
  if (graph.count == 0 || k == 0) return;
  ef = std::max(ef, k);

  context.query.assign(graph.dim_padded, 0.0f);
  std::memcpy(context.query.data(), query.data(), std::min<size_t>(query.size(), graph.dim) * sizeof(float));
  const float* padded_query = context.query.data();
  const DistanceFn distance = DistanceFn::for_metric(graph.metric);

  uint32_t entry = descend_upper_levels(graph, padded_query, distance);
  search_base_level(graph, padded_query, entry, ef, distance, context);

  std::sort(context.results.begin(), context.results.end());
  size_t n = std::min(k, context.results.size());
  out.assign(context.results.begin(), context.results.begin() + static_cast<std::ptrdiff_t>(n));
}

}  // namespace vs
