// FilterWorkload: Fashion-MNIST with metadata and per-query filters, and the
// exact filtered ground truth, for the filtered-search comparison.
//
// Base documents are the first base_count training images (L2, raw pixel
// values, as fmnist-784-euclidean) with metadata
// {"category": "<class label>", "n": <p>}, p a seeded random permutation of
// 0..base_count-1; queries are the first query_count test images. Each query
// gets one filter of every FilterKind, drawn from the same seed:
//   kCategory  category = a random class "0".."9"             10%
//   kRange1    n in [x, x + base_count/100), x random          1%
//   kRange50   n < base_count/2                               50%
//   kNone      no filter                                     100%
// The class is drawn independently of the query's own, so it is the
// query's class one time in ten: most category filters exclude the query's
// neighbourhood, the hard case for a graph walk.
// The exact filtered top-k of every (query, filter) is computed by parallel
// brute force once and cached as
// "<cache_dir>/filter-compare-fmnist-784-euclidean-<base>x<queries>.bin":
//   char magic[8] "VSFLT001"; u32 base_count, query_count, k, kinds; u64 seed;
//   per kind: u32 params[query_count]; u32 gt_ids[query_count*k];
//             f32 gt_distances[query_count*k]
// (host byte order: a cache, not an interchange format), reused only when
// its header and every filter parameter match. Errors come back as text;
// nothing here prints except the ground truth's progress.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace vs::bench {

enum FilterKind : size_t { kCategory, kRange1, kRange50, kNone };
inline constexpr size_t kFilterKinds = 4;
inline constexpr FilterKind kAllFilterKinds[kFilterKinds] = {kCategory, kRange1, kRange50, kNone};

// A short name ("category", "n-range-1%", "n-range-50%", "none").
const char* filter_kind_name(FilterKind kind);

struct FilterWorkload {
  uint32_t dim = 0;
  uint32_t base_count = 0;
  uint32_t query_count = 0;
  uint32_t k = 0;                  // ground-truth depth
  std::vector<float> base;         // base_count × dim
  std::vector<float> queries;      // query_count × dim
  std::vector<uint32_t> category;  // class label 0..9 per base document
  std::vector<uint32_t> n;         // the permutation value per base document
  uint32_t range_width = 0;        // of kRange1: base_count / 100
  // Per kind and query: the class (kCategory), the range start (kRange1),
  // the upper bound (kRange50), 0 (kNone).
  std::array<std::vector<uint32_t>, kFilterKinds> params;
  std::array<std::vector<uint32_t>, kFilterKinds> gt_ids;     // query_count × k, closest first
  std::array<std::vector<float>, kFilterKinds> gt_distances;  // squared L2 of gt_ids

  const float* base_row(uint32_t doc) const { return base.data() + size_t{doc} * dim; }
  const float* query_row(uint32_t query) const { return queries.data() + size_t{query} * dim; }

  // Whether query `query`'s filter of `kind` allows base document `doc`.
  bool allows(FilterKind kind, uint32_t query, uint32_t doc) const;
  // Base document `doc`'s metadata JSON object.
  std::string meta(uint32_t doc) const;
  // That filter in vs's JSON syntax ("" for kNone).
  std::string filter_json(FilterKind kind, uint32_t query) const;
};

// Loads the images from `data_dir` (base_limit / query_limit: the first N;
// 0 for all), draws the metadata and filters, and loads the cached ground
// truth or computes and caches it. False with `error` set on failure.
bool load_filter_workload(const std::string& data_dir, const std::string& cache_dir, uint32_t base_limit,
                          uint32_t query_limit, uint32_t k, FilterWorkload& out, std::string& error);

// recall@k of `results` (query_count × k document ids, closest first,
// UINT32_MAX for none) against the filtered ground truth of `kind`, in the
// ann-benchmarks sense (a returned document counts if it is within the k-th
// true distance, so equal images are not misses) — but only if the filter
// allows it: `violations` counts returned documents it does not.
double filtered_recall(const FilterWorkload& w, FilterKind kind, const std::vector<uint32_t>& results,
                       size_t& violations);

}  // namespace vs::bench
