#include "filter_workload.h"

#include <tbb/blocked_range.h>
#include <tbb/parallel_for.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <limits>
#include <numeric>
#include <random>
#include <string_view>
#include <utility>

#include "fmnist.h"
#include "simd/distance.h"
#include "util/env.h"

namespace vs::bench {
namespace {

constexpr char kMagic[8] = {'V', 'S', 'F', 'L', 'T', '0', '0', '1'};
// The metadata and every filter are drawn from this seed: the same run, the
// same filters, the same cached ground truth.
constexpr uint64_t kSeed = 20261128;
constexpr uint32_t kClasses = 10;

struct CacheHeader {
  char magic[8];
  uint32_t base_count, query_count, k, kinds;
  uint64_t seed;
};

// Queries per brute-force block and base rows per tile: 32 queries (~100 KB)
// against 128 base rows (~400 KB) stay in L2 while each row is read once per
// block, not once per query.
constexpr uint32_t kQueryBlock = 32;
constexpr uint32_t kBaseTile = 128;

float l2(const float* a, const float* b, uint32_t dim) {
  return simd::distance(simd::kernels(), Metric::kL2, a, b, dim);
}

// Fills n (a permutation) and every query's filter parameters from kSeed.
// mt19937_64's output is fixed by the standard; the draws reduce it with %
// (the bias is below 1e-14) rather than with a distribution, whose results
// differ between standard libraries.
void draw_filters(FilterWorkload& w) {
  std::mt19937_64 rng(kSeed);
  w.n.resize(w.base_count);
  std::iota(w.n.begin(), w.n.end(), 0u);
  for (uint32_t i = w.base_count; i > 1; --i) std::swap(w.n[i - 1], w.n[rng() % i]);
  w.range_width = std::max(1u, w.base_count / 100);
  for (auto& p : w.params) p.assign(w.query_count, 0);
  for (uint32_t q = 0; q < w.query_count; ++q) {
    w.params[kCategory][q] = static_cast<uint32_t>(rng() % kClasses);
    w.params[kRange1][q] = static_cast<uint32_t>(rng() % (w.base_count - w.range_width + 1));
    w.params[kRange50][q] = w.base_count / 2;
  }
}

bool read_images(const std::string& data_dir, uint32_t base_limit, uint32_t query_limit, FilterWorkload& w,
                 std::string& error) {
  IdxData train, labels, test;
  if (!read_idx(data_dir + "/train-images-idx3-ubyte.gz", train, error) ||
      !read_idx(data_dir + "/train-labels-idx1-ubyte.gz", labels, error) ||
      !read_idx(data_dir + "/t10k-images-idx3-ubyte.gz", test, error)) {
    return false;
  }
  if (train.dim != test.dim || labels.count != train.count) {
    error = "the Fashion-MNIST files in '" + data_dir + "' do not match each other";
    return false;
  }
  w.dim = train.dim;
  w.base_count = base_limit == 0 ? train.count : std::min(base_limit, train.count);
  w.query_count = query_limit == 0 ? test.count : std::min(query_limit, test.count);
  w.base.assign(train.values.begin(),
                train.values.begin() + static_cast<std::ptrdiff_t>(size_t{w.base_count} * w.dim));
  w.queries.assign(test.values.begin(),
                   test.values.begin() + static_cast<std::ptrdiff_t>(size_t{w.query_count} * w.dim));
  w.category.resize(w.base_count);
  for (uint32_t i = 0; i < w.base_count; ++i) w.category[i] = static_cast<uint32_t>(labels.values[i]);
  return true;
}

// A bounded max-heap of the k closest (distance, id) pairs offered.
class TopK {
 public:
  explicit TopK(uint32_t k) : k_(k) {}
  void offer(float distance, uint32_t id) {
    if (heap_.size() < k_) {
      heap_.emplace_back(distance, id);
      std::push_heap(heap_.begin(), heap_.end());
    } else if (std::make_pair(distance, id) < heap_.front()) {
      std::pop_heap(heap_.begin(), heap_.end());
      heap_.back() = {distance, id};
      std::push_heap(heap_.begin(), heap_.end());
    }
  }
  // Writes the pairs closest first into ids/distances[0..k), padding with none.
  void take(uint32_t* ids, float* distances) {
    std::sort_heap(heap_.begin(), heap_.end());
    for (uint32_t i = 0; i < k_; ++i) {
      const bool have = i < heap_.size();
      ids[i] = have ? heap_[i].second : UINT32_MAX;
      distances[i] = have ? heap_[i].first : std::numeric_limits<float>::infinity();
    }
    heap_.clear();
  }

 private:
  uint32_t k_;
  std::vector<std::pair<float, uint32_t>> heap_;
};

void brute_force_block(FilterWorkload& w, uint32_t q_begin, uint32_t q_end) {
  const uint32_t queries = q_end - q_begin;
  std::vector<float> distances(size_t{queries} * w.base_count);
  for (uint32_t tile = 0; tile < w.base_count; tile += kBaseTile) {
    const uint32_t tile_end = std::min(w.base_count, tile + kBaseTile);
    for (uint32_t q = q_begin; q < q_end; ++q) {
      float* row = distances.data() + size_t{q - q_begin} * w.base_count;
      for (uint32_t b = tile; b < tile_end; ++b) row[b] = l2(w.query_row(q), w.base_row(b), w.dim);
    }
  }
  TopK top(w.k);
  for (uint32_t q = q_begin; q < q_end; ++q) {
    const float* row = distances.data() + size_t{q - q_begin} * w.base_count;
    for (FilterKind kind : kAllFilterKinds) {
      for (uint32_t b = 0; b < w.base_count; ++b) {
        if (w.allows(kind, q, b)) top.offer(row[b], b);
      }
      top.take(&w.gt_ids[kind][size_t{q} * w.k], &w.gt_distances[kind][size_t{q} * w.k]);
    }
  }
}

void compute_ground_truth(FilterWorkload& w) {
  for (FilterKind kind : kAllFilterKinds) {
    w.gt_ids[kind].assign(size_t{w.query_count} * w.k, UINT32_MAX);
    w.gt_distances[kind].assign(size_t{w.query_count} * w.k, 0.0f);
  }
  tbb::parallel_for(tbb::blocked_range<uint32_t>(0, w.query_count, kQueryBlock),
                    [&](const tbb::blocked_range<uint32_t>& r) { brute_force_block(w, r.begin(), r.end()); });
}

std::string cache_file(const std::string& cache_dir, const FilterWorkload& w) {
  return cache_dir + "/filter-compare-fmnist-784-euclidean-" + std::to_string(w.base_count) + "x" +
         std::to_string(w.query_count) + ".bin";
}

CacheHeader header_of(const FilterWorkload& w) {
  CacheHeader header{{}, w.base_count, w.query_count, w.k, static_cast<uint32_t>(kFilterKinds), kSeed};
  std::memcpy(header.magic, kMagic, sizeof(kMagic));
  return header;
}

template <typename T>
std::string_view bytes_of(const std::vector<T>& v) {
  return {reinterpret_cast<const char*>(v.data()), v.size() * sizeof(T)};
}

template <typename T>
bool read_array(std::FILE* file, std::vector<T>& out, size_t count) {
  out.resize(count);
  return std::fread(out.data(), sizeof(T), count, file) == count;
}

// True when `path` holds this workload's ground truth (same sizes, seed and
// filter parameters); fills gt_ids and gt_distances.
bool load_cache(const std::string& path, FilterWorkload& w) {
  std::FILE* file = std::fopen(path.c_str(), "rb");
  if (file == nullptr) return false;
  const CacheHeader expected = header_of(w);
  CacheHeader header{};
  bool ok = std::fread(&header, sizeof(header), 1, file) == 1 &&
            std::memcmp(&header, &expected, sizeof(header)) == 0;
  const size_t rows = size_t{w.query_count} * w.k;
  for (FilterKind kind : kAllFilterKinds) {
    std::vector<uint32_t> params;
    ok = ok && read_array(file, params, w.query_count) && params == w.params[kind] &&
         read_array(file, w.gt_ids[kind], rows) && read_array(file, w.gt_distances[kind], rows);
  }
  ok = ok && std::fgetc(file) == EOF;
  std::fclose(file);
  return ok;
}

bool write_cache(const std::string& path, const FilterWorkload& w, std::string& error) {
  std::error_code ec;
  std::filesystem::create_directories(std::filesystem::path(path).parent_path(), ec);
  if (ec) {
    error = "cannot create '" + std::filesystem::path(path).parent_path().string() + "': " + ec.message();
    return false;
  }
  const CacheHeader header = header_of(w);
  Status status = write_file_atomically(Env::posix(), path, [&](WritableFile& file) {
    VS_RETURN_IF_ERROR(file.append({reinterpret_cast<const char*>(&header), sizeof(header)}));
    for (FilterKind kind : kAllFilterKinds) {
      VS_RETURN_IF_ERROR(file.append(bytes_of(w.params[kind])));
      VS_RETURN_IF_ERROR(file.append(bytes_of(w.gt_ids[kind])));
      VS_RETURN_IF_ERROR(file.append(bytes_of(w.gt_distances[kind])));
    }
    return Status::Ok();
  });
  if (!status.ok()) error = status.message();
  return status.ok();
}

}  // namespace

const char* filter_kind_name(FilterKind kind) {
  switch (kind) {
    case kCategory:
      return "category";
    case kRange1:
      return "n-range-1%";
    case kRange50:
      return "n-range-50%";
    case kNone:
      return "none";
  }
  return "none";
}

bool FilterWorkload::allows(FilterKind kind, uint32_t query, uint32_t doc) const {
  switch (kind) {
    case kCategory:
      return category[doc] == params[kCategory][query];
    case kRange1:
      return n[doc] >= params[kRange1][query] && n[doc] < params[kRange1][query] + range_width;
    case kRange50:
      return n[doc] < params[kRange50][query];
    case kNone:
      return true;
  }
  return true;
}

std::string FilterWorkload::meta(uint32_t doc) const {
  return "{\"category\":\"" + std::to_string(category[doc]) + "\",\"n\":" + std::to_string(n[doc]) + "}";
}

std::string FilterWorkload::filter_json(FilterKind kind, uint32_t query) const {
  const std::string p = std::to_string(params[kind][query]);
  switch (kind) {
    case kCategory:
      return "{\"category\":\"" + p + "\"}";
    case kRange1:
      return "{\"n\":{\"gte\":" + p + ",\"lt\":" + std::to_string(params[kind][query] + range_width) + "}}";
    case kRange50:
      return "{\"n\":{\"lt\":" + p + "}}";
    case kNone:
      return "";
  }
  return "";
}

bool load_filter_workload(const std::string& data_dir, const std::string& cache_dir, uint32_t base_limit,
                          uint32_t query_limit, uint32_t k, FilterWorkload& out, std::string& error) {
  out.k = k;
  if (!read_images(data_dir, base_limit, query_limit, out, error)) return false;
  if (out.base_count / 100 < k) {
    error = "a 1% range of " + std::to_string(out.base_count) +
            " documents holds fewer than k=" + std::to_string(k) + " of them";
    return false;
  }
  draw_filters(out);
  const std::string path = cache_file(cache_dir, out);
  if (load_cache(path, out)) return true;
  std::fprintf(stderr,
               "filter-compare: computing the exact filtered top-%u (%u queries x %u documents x %zu "
               "filters, once; cached)\n",
               k, out.query_count, out.base_count, kFilterKinds);
  const auto start = std::chrono::steady_clock::now();
  compute_ground_truth(out);
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::fprintf(stderr, "filter-compare: ground truth took %.1f s\n", seconds);
  return write_cache(path, out, error);
}

double filtered_recall(const FilterWorkload& w, FilterKind kind, const std::vector<uint32_t>& results,
                       size_t& violations) {
  size_t found = 0;
  std::vector<uint32_t> row(w.k);
  for (uint32_t q = 0; q < w.query_count; ++q) {
    const float kth = w.gt_distances[kind][size_t{q} * w.k + (w.k - 1)];
    const float tolerance = 1e-4f * std::fabs(kth) + 1e-6f;
    row.assign(results.begin() + static_cast<std::ptrdiff_t>(size_t{q} * w.k),
               results.begin() + static_cast<std::ptrdiff_t>(size_t{q} * w.k + w.k));
    std::sort(row.begin(), row.end());
    row.erase(std::unique(row.begin(), row.end()), row.end());  // a duplicate counts once
    for (uint32_t doc : row) {
      if (doc >= w.base_count) continue;
      if (!w.allows(kind, q, doc)) {
        ++violations;
        continue;
      }
      if (l2(w.query_row(q), w.base_row(doc), w.dim) <= kth + tolerance) ++found;
    }
  }
  return w.query_count == 0 ? 0.0 : static_cast<double>(found) / (static_cast<double>(w.k) * w.query_count);
}

}  // namespace vs::bench
