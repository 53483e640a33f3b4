// AnnDataset: a base set, a query set and their exact top-100 ground truth,
// prepared once from Fashion-MNIST and cached as one binary file.
//
// The ANN comparison runs each library in its own process (for an honest peak
// RSS); every process loads the same cached file, so both libraries see
// bit-identical vectors and the brute-force ground truth is paid for once.
// The cache file is "<cache_dir>/<name>-<base>x<queries>.bin":
//   char magic[8] "VSANN001"; u32 metric, dim, base_count, query_count, gt_k;
//   f32 base[base_count*dim]; f32 queries[query_count*dim];
//   u32 gt_ids[query_count*gt_k]; f32 gt_distances[query_count*gt_k]
// (host byte order: a cache, not an interchange format). Written atomically.
// Errors come back as text; nothing here prints except prepare's progress.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/metric.h"

namespace vs::bench {

// How many true neighbours the ground truth keeps per query (recall@k for k ≤ this).
inline constexpr uint32_t kGroundTruthK = 100;

struct AnnDatasetSpec {
  std::string name;        // "fmnist-784-euclidean" or "fmnist-784-angular"
  Metric metric = Metric::kL2;
  uint32_t base_limit = 0;   // first N training images (0: all 60,000)
  uint32_t query_limit = 0;  // first N test images (0: all 10,000)
};

struct AnnDataset {
  std::string name;
  Metric metric = Metric::kL2;
  uint32_t dim = 0;
  uint32_t base_count = 0;
  uint32_t query_count = 0;
  std::vector<float> base;     // base_count × dim, unit length under cosine
  std::vector<float> queries;  // query_count × dim, unit length under cosine
  std::vector<uint32_t> gt_ids;      // query_count × kGroundTruthK, closest first
  std::vector<float> gt_distances;   // internal distances (core/metric.h) of gt_ids

  const float* base_row(uint32_t i) const { return base.data() + size_t{i} * dim; }
  const float* query_row(uint32_t i) const { return queries.data() + size_t{i} * dim; }
};

// The data sets the harness knows, by name; false if `name` is unknown.
bool find_dataset_spec(const std::string& name, AnnDatasetSpec& out);
std::vector<std::string> dataset_names();

// The cache file path for `spec` (after limits are applied).
std::string cache_path(const AnnDatasetSpec& spec, const std::string& cache_dir);

// Loads the cached data set, or builds it from the IDX files in `data_dir`
// (computing the ground truth by parallel brute force) and caches it.
bool load_or_prepare(const AnnDatasetSpec& spec, const std::string& data_dir, const std::string& cache_dir,
                     AnnDataset& out, std::string& error);

// Loads an existing cache file; fails if it is missing or malformed.
bool load_cached(const std::string& path, AnnDataset& out, std::string& error);

// recall@k of `results` (query_count × k node ids, closest first, UINT32_MAX
// for "none") in the ann-benchmarks sense: a returned id counts if its true
// distance is within the k-th true neighbour's distance (a small tolerance
// absorbs float rounding), so ties between equal images are not penalised.
double recall_at_k(const AnnDataset& data, const std::vector<uint32_t>& results, uint32_t k);

}  // namespace vs::bench
