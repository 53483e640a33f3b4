// Exact (brute-force) k-nearest-neighbour search over a GraphView's vectors.
//
// The ground truth for recall: compares the query with every vector. Results
// are sorted closest first; ties broken by node id. Thread-safe.
#pragma once

#include <span>
#include <vector>

#include "index/allowed_set.h"
#include "index/graph.h"
#include "index/search_context.h"

namespace vs {

void exact_search(const GraphView& graph, std::span<const float> query, size_t k, SearchContext& context,
                  std::vector<Neighbor>& out);

// The same over the nodes in `allowed` only: O(allowed.count()) distances.
void exact_search(const GraphView& graph, std::span<const float> query, size_t k, const AllowedSet& allowed,
                  SearchContext& context, std::vector<Neighbor>& out);

}  // namespace vs
