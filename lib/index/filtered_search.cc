#include "index/filtered_search.h"

#include <algorithm>
#include <cmath>

#include "index/exact_search.h"
#include "index/hnsw_search.h"

namespace vs {

namespace {

// Distance computations an unfiltered HNSW search makes per unit of ef on
// Fashion-MNIST (M=16): about 24 (bench/filter-compare.sh counts them). The
// graph plan's estimate scales it by 1/selectivity.
constexpr double kGraphDistancesPerEf = 24.0;

// How far ef is widened as the filter gets more selective: by 1/sqrt(s),
// at most 4×. Chosen on bench/filter-compare.sh so recall@10 holds at ≥ 0.95
// down to the selectivities where the exact plan takes over.
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
