#include "ann_data.h"

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
#include <span>

#include "fmnist.h"
#include "simd/distance.h"
#include "util/env.h"

namespace vs::bench {
namespace {

constexpr char kMagic[8] = {'V', 'S', 'A', 'N', 'N', '0', '0', '1'};

struct CacheHeader {
  char magic[8];
  uint32_t metric, dim, base_count, query_count, gt_k;
};

// Query and base blocks for the brute force: 256 queries (~800 KB at 784-d)
// against 128 base rows (~400 KB) keep both in L2, so each base row is read
// from memory once per query block rather than once per query.
constexpr uint32_t kQueryBlock = 256;
constexpr uint32_t kBaseTile = 128;

float internal_distance(Metric metric, const float* a, const float* b, uint32_t dim) {
  return simd::distance(simd::kernels(), metric, a, b, dim);
}

// A bounded max-heap of the closest kGroundTruthK (distance, id) pairs seen.
struct TopK {
  std::vector<std::pair<float, uint32_t>> heap;
  void offer(float distance, uint32_t id) {
    if (heap.size() < kGroundTruthK) {
      heap.emplace_back(distance, id);
      std::push_heap(heap.begin(), heap.end());
    } else if (std::make_pair(distance, id) < heap.front()) {
      std::pop_heap(heap.begin(), heap.end());
      heap.back() = {distance, id};
      std::push_heap(heap.begin(), heap.end());
    }
  }
};

void brute_force_block(AnnDataset& data, uint32_t q_begin, uint32_t q_end) {
  std::vector<TopK> tops(q_end - q_begin);
  for (uint32_t tile = 0; tile < data.base_count; tile += kBaseTile) {
    const uint32_t tile_end = std::min(data.base_count, tile + kBaseTile);
    for (uint32_t q = q_begin; q < q_end; ++q) {
      TopK& top = tops[q - q_begin];
      for (uint32_t b = tile; b < tile_end; ++b) {
        top.offer(internal_distance(data.metric, data.query_row(q), data.base_row(b), data.dim), b);
      }
    }
  }
  const uint32_t k = std::min(kGroundTruthK, data.base_count);
  for (uint32_t q = q_begin; q < q_end; ++q) {
    auto& heap = tops[q - q_begin].heap;
    std::sort_heap(heap.begin(), heap.end());
    for (uint32_t i = 0; i < kGroundTruthK; ++i) {
      const bool have = i < k;
      data.gt_ids[size_t{q} * kGroundTruthK + i] = have ? heap[i].second : UINT32_MAX;
      data.gt_distances[size_t{q} * kGroundTruthK + i] =
          have ? heap[i].first : std::numeric_limits<float>::infinity();
    }
  }
}

void compute_ground_truth(AnnDataset& data) {
  data.gt_ids.assign(size_t{data.query_count} * kGroundTruthK, UINT32_MAX);
  data.gt_distances.assign(size_t{data.query_count} * kGroundTruthK, 0.0f);
  tbb::parallel_for(tbb::blocked_range<uint32_t>(0, data.query_count, kQueryBlock),
                    [&](const tbb::blocked_range<uint32_t>& r) { brute_force_block(data, r.begin(), r.end()); });
}

// Keeps the first `limit` rows (0: all) of an IDX image set.
void take_rows(const IdxData& idx, uint32_t limit, std::vector<float>& out, uint32_t& count) {
  count = limit == 0 ? idx.count : std::min(limit, idx.count);
  out.assign(idx.values.begin(), idx.values.begin() + static_cast<std::ptrdiff_t>(size_t{count} * idx.dim));
}

// Cosine data is compared as unit vectors by both libraries; an all-zero
// image (none exist in Fashion-MNIST) would stay zero and be reported.
bool normalise_rows(std::vector<float>& rows, uint32_t dim, std::string& error) {
  for (size_t offset = 0; offset < rows.size(); offset += dim) {
    if (!simd::normalize(std::span<float>(rows.data() + offset, dim))) {
      error = "row " + std::to_string(offset / dim) + " has zero norm and cannot be normalised";
      return false;
    }
  }
  return true;
}

bool read_images(const AnnDatasetSpec& spec, const std::string& data_dir, AnnDataset& out, std::string& error) {
  IdxData train, test;
  if (!read_idx(data_dir + "/train-images-idx3-ubyte.gz", train, error)) return false;
  if (!read_idx(data_dir + "/t10k-images-idx3-ubyte.gz", test, error)) return false;
  if (train.dim != test.dim) {
    error = "train and test images in '" + data_dir + "' differ in size";
    return false;
  }
  out.name = spec.name;
  out.metric = spec.metric;
  out.dim = train.dim;
  take_rows(train, spec.base_limit, out.base, out.base_count);
  take_rows(test, spec.query_limit, out.queries, out.query_count);
  if (spec.metric != Metric::kCosine) return true;
  return normalise_rows(out.base, out.dim, error) && normalise_rows(out.queries, out.dim, error);
}

template <typename T>
std::string_view bytes_of(const std::vector<T>& v) {
  return {reinterpret_cast<const char*>(v.data()), v.size() * sizeof(T)};
}

bool write_cache(const AnnDataset& data, const std::string& path, std::string& error) {
  std::error_code ec;
  std::filesystem::create_directories(std::filesystem::path(path).parent_path(), ec);
  if (ec) {
    error = "cannot create '" + std::filesystem::path(path).parent_path().string() + "': " + ec.message();
    return false;
  }
  CacheHeader header{{}, static_cast<uint32_t>(data.metric), data.dim, data.base_count, data.query_count,
                     kGroundTruthK};
  std::memcpy(header.magic, kMagic, sizeof(kMagic));
  Status status = write_file_atomically(Env::posix(), path, [&](WritableFile& file) {
    VS_RETURN_IF_ERROR(file.append({reinterpret_cast<const char*>(&header), sizeof(header)}));
    VS_RETURN_IF_ERROR(file.append(bytes_of(data.base)));
    VS_RETURN_IF_ERROR(file.append(bytes_of(data.queries)));
    VS_RETURN_IF_ERROR(file.append(bytes_of(data.gt_ids)));
    return file.append(bytes_of(data.gt_distances));
  });
  if (!status.ok()) error = status.message();
  return status.ok();
}

template <typename T>
bool read_array(std::FILE* file, std::vector<T>& out, size_t count) {
  out.resize(count);
  return std::fread(out.data(), sizeof(T), count, file) == count;
}

}  // namespace

std::vector<std::string> dataset_names() { return {"fmnist-784-euclidean", "fmnist-784-angular"}; }

bool find_dataset_spec(const std::string& name, AnnDatasetSpec& out) {
  if (name == "fmnist-784-euclidean") {
    out = {name, Metric::kL2, 0, 0};
    return true;
  }
  if (name == "fmnist-784-angular") {
    out = {name, Metric::kCosine, 0, 0};
    return true;
  }
  return false;
}

std::string cache_path(const AnnDatasetSpec& spec, const std::string& cache_dir) {
  auto part = [](uint32_t limit, uint32_t all) { return std::to_string(limit == 0 ? all : limit); };
  return cache_dir + "/" + spec.name + "-" + part(spec.base_limit, 60000) + "x" + part(spec.query_limit, 10000) +
         ".bin";
}

bool load_cached(const std::string& path, AnnDataset& out, std::string& error) {
  std::FILE* file = std::fopen(path.c_str(), "rb");
  if (file == nullptr) {
    error = "cannot open '" + path + "': " + std::strerror(errno);
    return false;
  }
  CacheHeader header{};
  bool ok = std::fread(&header, sizeof(header), 1, file) == 1 && std::memcmp(header.magic, kMagic, 8) == 0 &&
            header.gt_k == kGroundTruthK && metric_valid(header.metric);
  if (ok) {
    out.metric = static_cast<Metric>(header.metric);
    out.dim = header.dim;
    out.base_count = header.base_count;
    out.query_count = header.query_count;
    ok = read_array(file, out.base, size_t{header.base_count} * header.dim) &&
         read_array(file, out.queries, size_t{header.query_count} * header.dim) &&
         read_array(file, out.gt_ids, size_t{header.query_count} * kGroundTruthK) &&
         read_array(file, out.gt_distances, size_t{header.query_count} * kGroundTruthK) &&
         std::fgetc(file) == EOF;
  }
  std::fclose(file);
  if (!ok) error = "'" + path + "' is not a complete ann-compare cache file (delete it to rebuild)";
  return ok;
}

bool load_or_prepare(const AnnDatasetSpec& spec, const std::string& data_dir, const std::string& cache_dir,
                     AnnDataset& out, std::string& error) {
  const std::string path = cache_path(spec, cache_dir);
  if (std::filesystem::exists(path)) {
    out.name = spec.name;
    return load_cached(path, out, error);
  }
  if (!read_images(spec, data_dir, out, error)) return false;
  std::fprintf(stderr, "ann-compare: computing exact top-%u for %s (%u queries x %u vectors, once; cached)\n",
               kGroundTruthK, spec.name.c_str(), out.query_count, out.base_count);
  const auto start = std::chrono::steady_clock::now();
  compute_ground_truth(out);
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::fprintf(stderr, "ann-compare: ground truth took %.1f s\n", seconds);
  return write_cache(out, path, error);
}

double recall_at_k(const AnnDataset& data, const std::vector<uint32_t>& results, uint32_t k) {
  size_t found = 0;
  std::vector<uint32_t> row(k);
  for (uint32_t q = 0; q < data.query_count; ++q) {
    const float kth = data.gt_distances[size_t{q} * kGroundTruthK + (k - 1)];
    const float tolerance = 1e-4f * std::fabs(kth) + 1e-6f;
    row.assign(results.begin() + static_cast<std::ptrdiff_t>(size_t{q} * k),
               results.begin() + static_cast<std::ptrdiff_t>(size_t{q} * k + k));
    std::sort(row.begin(), row.end());
    row.erase(std::unique(row.begin(), row.end()), row.end());  // a duplicate id counts once
    for (uint32_t id : row) {
      if (id >= data.base_count) continue;
      if (internal_distance(data.metric, data.query_row(q), data.base_row(id), data.dim) <= kth + tolerance) ++found;
    }
  }
  return data.query_count == 0 ? 0.0 : static_cast<double>(found) / (static_cast<double>(k) * data.query_count);
}

}  // namespace vs::bench
