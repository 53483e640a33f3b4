// What the filtered-search comparison measures, and how it is written down.
//
// filter-compare fills one FilterResult per filter kind (bench/filter_workload.h)
// with the sweeps of each searcher, and this renders them as the markdown
// table and JSON file under bench/results/: one summary row per filter (QPS at
// recall@10 0.95, interpolated as ann-compare does, and the ratio to hnswlib),
// whether the targets are met, then each filter's ef sweep. Ratios
// are X / hnswlib: above 1 means X is faster.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "ann_report.h"
#include "filter_workload.h"

namespace vs::bench {

// How many queries of one pass vs ran with each plan (ShardSet leaves it in
// SearchScratch::plan), and the graph plan's widened ef (the largest seen).
struct PlanTally {
  uint32_t exact = 0;
  uint32_t graph = 0;
  uint32_t empty = 0;
  size_t graph_ef = 0;
};

// One searcher's ef sweep; `plans` runs beside `sweep` for the vs searchers.
struct Series {
  bool ran = false;
  std::vector<SweepRow> sweep;
  std::vector<PlanTally> plans;
};

struct FilterResult {
  FilterKind kind = kNone;
  std::string description;  // "category = a random class", ...
  double allowed_mean = 0;  // documents the filter allows, mean over queries
  double selectivity = 0;   // allowed_mean / base_count
  // ShardSet::search, the filter evaluated per query inside the timed region.
  Series vs;
  // choose_filter_plan + filtered_search on the mapped graph, with the
  // AllowedSet evaluated before the clock starts (as hnswlib's bitmap is).
  Series vs_precomputed;
  // The same with the graph plan forced at every ef (its widened ef).
  Series vs_graph;
  // The same with the exact plan forced: one row, ef does not matter.
  std::optional<SweepRow> vs_exact;
  // searchKnn with the BaseFilterFunctor (plain searchKnn for kNone).
  Series hnswlib;
};

struct FilterRunInfo {
  std::string cpu_model;
  unsigned cores = 0;
  size_t build_threads = 0;
  uint32_t m = 16;
  uint32_t ef_construction = 200;
  uint32_t k = 10;
  size_t runs = 1;
  bool smoke = false;
  std::string generated_utc;
  uint32_t base_count = 0;
  uint32_t query_count = 0;
  uint32_t test_images = 0;  // queries are the first query_count of these
  uint32_t range_width = 0;
  double vs_build_s = 0;
  double hnswlib_build_s = 0;
  std::string vs_simd;
  std::string hnswlib_simd;
  std::string hnswlib_filter;
};

inline constexpr double kFilterRecallTarget = 0.95;

// Whether the targets hold: recall@10 ≥ 0.95 reached at every
// filtered selectivity, and vs's QPS there ≥ hnswlib's (or hnswlib never
// reaches it). `why` lists the filters that miss.
bool recall_target_met(const std::vector<FilterResult>& results, std::string& why);
bool speed_target_met(const std::vector<FilterResult>& results, std::string& why);

std::string filter_markdown(const FilterRunInfo& info, const std::vector<FilterResult>& results);
std::string filter_json(const FilterRunInfo& info, const std::vector<FilterResult>& results);

}  // namespace vs::bench
