// Filtered search: the k nearest among the nodes a filter allows, with the
// plan chosen from how many it allows (docs/FORMATS.md, "Filters").
//
// Two plans, by estimated distance computations:
//   exact  compare the query with every allowed node: cost = allowed; exact
//          recall, and sequential reads. Chosen when few nodes match.
//   graph  the HNSW walk through all nodes admitting only allowed ones into
//          the results (hnsw_search with an AllowedSet). To collect ef
//          allowed nodes it expands about ef / selectivity nodes, so its cost
//          is estimated as kGraphDistancesPerEf × ef / selectivity, and ef is
//          widened as the selectivity drops so recall holds. The widening
//          assumes the filter is independent of where the query lies; one
//          that excludes the query's neighbourhood loses recall at small ef
//          (docs/FORMATS.md, "Plans"), which only a larger ef recovers.
// A filter that allows nothing returns no hits; one that allows everything
// is the plain HNSW search. Pure functions; thread-safe with one
// SearchContext per thread.
#pragma once

#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

#include "index/allowed_set.h"
#include "index/graph.h"
#include "index/search_context.h"

namespace vs {

struct FilterPlan {
  enum class Kind { kEmpty, kExact, kGraph };
  Kind kind = Kind::kGraph;
  uint32_t allowed = 0;  // nodes the filter allows
  uint32_t count = 0;    // nodes in the graph
  size_t ef = 0;         // the graph plan's (widened) ef
};

std::string_view plan_name(FilterPlan::Kind kind);

// The plan for `allowed` of `count` nodes at the caller's k and ef.
FilterPlan choose_filter_plan(uint32_t allowed, uint32_t count, size_t k, size_t ef);

// Runs `plan` (from choose_filter_plan with allowed.count()); out as hnsw_search's.
void filtered_search(const GraphView& graph, std::span<const float> query, size_t k, const AllowedSet& allowed,
                     const FilterPlan& plan, SearchContext& context, std::vector<Neighbor>& out);

}  // namespace vs
