// HNSW search over a GraphView (a mapped shard or a graph being built).
//
// hnsw_search() is the query-time path: greedy descent through the upper
// levels, then a best-first search of the base level with a candidate list of
// `ef` entries (ef is raised to k if smaller). It allocates nothing once the
// SearchContext has grown to the graph's size: keep one context per thread and
// reuse it. The query must hold graph.dim floats and already be normalised for
// cosine. Results are sorted closest first (ascending internal distance, see
// core/metric.h). Thread-safe for concurrent searches with distinct contexts.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "index/allowed_set.h"
#include "index/graph.h"
#include "index/search_context.h"

namespace vs {

void hnsw_search(const GraphView& graph, std::span<const float> query, size_t k, size_t ef,
                 SearchContext& context, std::vector<Neighbor>& out);

// The same, returning only nodes in `allowed` (which must be sized for the
// graph). The walk still passes through the other nodes, so the graph stays
// connected however selective the filter; the search ends when ef allowed
// nodes are found and no candidate can improve them.
void hnsw_search(const GraphView& graph, std::span<const float> query, size_t k, size_t ef,
                 const AllowedSet& allowed, SearchContext& context, std::vector<Neighbor>& out);

}  // namespace vs
