#include "index/exact_search.h"

#include <algorithm>

#include "index/distance_fn.h"

namespace vs {

namespace {

template <typename ForEachNode>
void scan(const GraphView& graph, std::span<const float> query, size_t k, const ForEachNode& for_each_node,
          SearchContext& context, std::vector<Neighbor>& out) {
  out.clear();
  if (graph.count == 0 || k == 0) return;
  context.query.resize(graph.dim_padded);
  graph.load_query(query.data(), query.size(), context.query.data());
  const DistanceFn distance = DistanceFn::for_metric(graph.metric);

  // A max-heap of the k best so far (ordered by Neighbor::operator<, so ties
  // on distance resolve by node id and the result is deterministic).
  auto& best = context.results;
  best.clear();
  for_each_node([&](uint32_t node) {
    Neighbor candidate{distance(context.query.data(), graph.vector(node), graph.dim_padded), node};
    if (best.size() < k) {
      best.push_back(candidate);
      std::push_heap(best.begin(), best.end());
    } else if (candidate < best.front()) {
      std::pop_heap(best.begin(), best.end());
      best.back() = candidate;
      std::push_heap(best.begin(), best.end());
    }
  });
  std::sort_heap(best.begin(), best.end());
  out.assign(best.begin(), best.end());
}

}  // namespace

void exact_search(const GraphView& graph, std::span<const float> query, size_t k, SearchContext& context,
                  std::vector<Neighbor>& out) {
  auto all_nodes = [&](const auto& visit) {
    for (uint32_t node = 0; node < graph.count; ++node) visit(node);
  };
  scan(graph, query, k, all_nodes, context, out);
}

void exact_search(const GraphView& graph, std::span<const float> query, size_t k, const AllowedSet& allowed,
                  SearchContext& context, std::vector<Neighbor>& out) {
  auto allowed_nodes = [&](const auto& visit) {
    allowed.for_each([&](uint32_t node) {
      if (node < graph.count) visit(node);
    });
  };
  scan(graph, query, k, allowed_nodes, context, out);
}

}  // namespace vs
