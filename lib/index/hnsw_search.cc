#include "index/hnsw_search.h"

#include <algorithm>

#include "index/distance_fn.h"
#include "index/prefetch.h"
#include "index/sq8.h"

namespace vs {
namespace {

// Neighbour ids and degrees come from a mapped file that open() checked only
// in O(1); clamping here keeps a corrupt section from reading out of bounds
// (vs-query --verify finds such corruption by checksum).
inline uint32_t clamped_degree(uint32_t degree, uint32_t max_degree) { return std::min(degree, max_degree); }

// The distance from the query to a node, over float vectors.
struct FloatDistance {
  const GraphView& graph;
  const float* query;
  DistanceFn distance;
  float operator()(uint32_t node) const { return distance(query, graph.vector(node), graph.dim_padded); }
  // Exact below `bound`; at or beyond it, l2 may stop early (DistanceFn::within).
  float within(uint32_t node, float bound) const {
    return distance.within(query, graph.vector(node), graph.dim_padded, bound);
  }
  const void* data(uint32_t node) const { return graph.vector(node); }
  size_t bytes() const { return size_t{graph.dim_padded} * sizeof(float); }
};

// The distance from the query to a node, over the node's sq8 codes.
struct CodeDistance {
  const GraphView& graph;
  Sq8Query distance;
  float operator()(uint32_t node) const { return distance(graph.codes(node)); }
  float within(uint32_t node, float /*bound*/) const { return distance(graph.codes(node)); }
  const void* data(uint32_t node) const { return graph.codes(node); }
  size_t bytes() const { return graph.dim_padded; }
};

template <typename NodeDistance>
inline void prefetch_node(const NodeDistance& distance, uint32_t node, size_t lines) {
  prefetch_lines(distance.data(node), lines);
}

template <typename NodeDistance>
uint32_t descend_upper_levels(const GraphView& graph, const NodeDistance& distance) {
  uint32_t current = graph.entry_point;
  float current_distance = distance(current);
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
        float d = distance.within(candidate, current_distance);
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

// Admits every node: the unfiltered search, with the filter compiled away.
struct AdmitAll {
  bool operator()(uint32_t) const { return true; }
};

struct AdmitAllowed {
  const AllowedSet& allowed;
  bool operator()(uint32_t node) const { return allowed.contains(node); }
};

// Best-first search of the base level keeping the `ef` closest admitted nodes
// found (in context.results, a max-heap).
template <typename NodeDistance, typename Admit>
void search_base_level(const GraphView& graph, uint32_t entry, size_t ef, const NodeDistance& distance,
                       const Admit& admit, SearchContext& context) {
  context.visited.reset(graph.count);
  context.visited.test_and_set(entry);
  context.begin({distance(entry), entry}, admit(entry));
  const size_t lines = prefetch_lines_for(distance.bytes());
  auto& fresh = context.fresh;
  fresh.resize(graph.m0);

  Neighbor closest;
  while (context.next_candidate(ef, closest)) {
    // Gather the unvisited neighbours first so each distance can overlap the
    // fetch of the next one's vector.
    const uint32_t* links = graph.links0(closest.node);
    uint32_t degree = clamped_degree(links[0], graph.m0);
    uint32_t fresh_count = 0;
    for (uint32_t i = 0; i < degree; ++i) {
      uint32_t neighbour = links[1 + i];
      if (neighbour < graph.count && !context.visited.test_and_set(neighbour)) fresh[fresh_count++] = neighbour;
    }
    // The likely next node to expand: its adjacency lies past its vector,
    // in a line the vector's reads did not bring in.
    if (!context.candidates.empty()) __builtin_prefetch(graph.links0(context.candidates.front().node));
    if (fresh_count > 0) prefetch_node(distance, fresh[0], lines);
    for (uint32_t i = 0; i < fresh_count; ++i) {
      if (i + 1 < fresh_count) prefetch_node(distance, fresh[i + 1], lines);
      context.offer({distance.within(fresh[i], context.bound(ef)), fresh[i]}, ef, admit(fresh[i]));
    }
  }
}

template <typename Admit>
void search(const GraphView& graph, std::span<const float> query, size_t k, size_t ef, const Admit& admit,
            SearchContext& context, std::vector<Neighbor>& out) {
  out.clear();
  if (graph.count == 0 || k == 0) return;
  ef = std::max(ef, k);

  context.query.resize(graph.dim_padded);
  graph.load_query(query.data(), query.size(), context.query.data());
  const FloatDistance exact{graph, context.query.data(), DistanceFn::for_metric(graph.metric)};

  if (graph.quantized()) {
    context.prepared_query.resize(graph.dim_padded);
    const CodeDistance approximate{graph, Sq8Query(graph.metric, context.query.data(), graph.dim_padded,
                                                   graph.sq8_min, graph.sq8_scale, context.prepared_query.data())};
    search_base_level(graph, descend_upper_levels(graph, approximate), ef, approximate, admit, context);
    // Rerank the ef candidates with exact distances: reported scores are
    // exact, and codes only decide which nodes get this far.
    for (Neighbor& n : context.results) n.distance = exact(n.node);
  } else {
    search_base_level(graph, descend_upper_levels(graph, exact), ef, exact, admit, context);
  }

  size_t n = std::min(k, context.results.size());
  std::partial_sort(context.results.begin(), context.results.begin() + static_cast<std::ptrdiff_t>(n),
                    context.results.end());
  out.assign(context.results.begin(), context.results.begin() + static_cast<std::ptrdiff_t>(n));
}

}  // namespace

void hnsw_search(const GraphView& graph, std::span<const float> query, size_t k, size_t ef,
                 SearchContext& context, std::vector<Neighbor>& out) {
  search(graph, query, k, ef, AdmitAll{}, context, out);
}

void hnsw_search(const GraphView& graph, std::span<const float> query, size_t k, size_t ef,
                 const AllowedSet& allowed, SearchContext& context, std::vector<Neighbor>& out) {
  search(graph, query, k, ef, AdmitAllowed{allowed}, context, out);
}

}  // namespace vs
