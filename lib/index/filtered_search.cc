#include "index/filtered_search.h"

#include <algorithm>
#include <cmath>

#include "index/exact_search.h"
#include "index/hnsw_search.h"

namespace vs {

namespace {

// The graph plan's cost per unit of ef' / selectivity (ef' the widened ef),
// counted in exact-plan distance computations. bench/filter-compare.sh
// measures it on Fashion-MNIST (60k documents, M=16): 5-15 for a random 50%
// filter, under 3 for a random 1% range, and 3-80 for a category filter
// drawn independently of the query (10%), highest at small ef, where the
// walk crosses many rejected nodes before it holds ef' allowed ones. One
// constant cannot fit all three; 20 makes every choice in that sweep (ef
// 10-512) the faster plan: exact at 10% down to ef=10 (the graph plan is 4-12×
// slower there) and at 1%, graph at 50% up to ef=512 (exact is 4× slower
// there). The first guess, 24, chose the exact plan at 50% for ef=512.
constexpr double kGraphDistancesPerEf = 20.0;

// How far ef is widened as the filter gets more selective: by 1/sqrt(s), at
// most 4×. On bench/filter-compare.sh the widened graph plan reaches
// recall@10 0.99 at ef=10 for the 10% category filter (3.2×; hnswlib's
// filtered search, not widened: 0.96) and 1.00 at every ef for the 1% range
// (4×); where the planner picks it, at 50% (1.4×), 0.985 at ef=10.
constexpr double kMaxWiden = 4.0;

}  // namespace

std::string_view plan_name(FilterPlan::Kind kind) {
  switch (kind) {
    case FilterPlan::Kind::kEmpty:
      return "empty";
    case FilterPlan::Kind::kExact:
      return "exact";
    case FilterPlan::Kind::kGraph:
      return "graph";
  }
  return "graph";
}

FilterPlan choose_filter_plan(uint32_t allowed, uint32_t count, size_t k, size_t ef) {
  FilterPlan plan;
  plan.allowed = allowed;
  plan.count = count;
  ef = std::max(ef, k);
  if (allowed == 0 || count == 0) {
    plan.kind = FilterPlan::Kind::kEmpty;
    return plan;
  }
  const double selectivity = static_cast<double>(allowed) / count;
  const double widen = std::min(kMaxWiden, 1.0 / std::sqrt(selectivity));
  plan.ef = static_cast<size_t>(std::ceil(static_cast<double>(ef) * widen));
  const double graph_cost = kGraphDistancesPerEf * static_cast<double>(plan.ef) / selectivity;
  plan.kind = static_cast<double>(allowed) <= graph_cost ? FilterPlan::Kind::kExact : FilterPlan::Kind::kGraph;
  return plan;
}

void filtered_search(const GraphView& graph, std::span<const float> query, size_t k, const AllowedSet& allowed,
                     const FilterPlan& plan, SearchContext& context, std::vector<Neighbor>& out) {
  switch (plan.kind) {
    case FilterPlan::Kind::kEmpty:
      out.clear();
      return;
    case FilterPlan::Kind::kExact:
      exact_search(graph, query, k, allowed, context, out);
      return;
    case FilterPlan::Kind::kGraph:
      if (plan.allowed == plan.count) {
        hnsw_search(graph, query, k, plan.ef, context, out);
      } else {
        hnsw_search(graph, query, k, plan.ef, allowed, context, out);
      }
      return;
  }
}

}  // namespace vs
