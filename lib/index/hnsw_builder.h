// HNSW construction (Malkov & Yashunin), in parallel on all cores with oneTBB.
//
// build_hnsw() takes `count` vectors of `dim` floats (contiguous, already
// normalised for cosine) and returns the graph in the shard-file layout
// (index/graph.h): the node buffer with vectors (or sq8 codes) and base-level
// links, levels, and upper-level links, ready for write_shard(). Distances
// while building are always exact (float). For l2 and cosine (computed as an
// l2 sum, index/distance_fn.h) a far candidate's sum may stop once it passes
// the bound that would turn it away (DistanceFn::within), and each vector's
// dimensions are held widest-spread first so that happens sooner. A float
// graph keeps that order (dim_order, written to the shard for searches to use
// too); an sq8 graph's vectors go back to the caller's order, since its codes
// and ranges are in that order. Neighbours are chosen with the
// paper's heuristic. Locks are per node; the only global lock is taken when a
// node's level exceeds the current top, which happens O(log n) times.
// Levels are drawn from a seeded hash of the node number, so the level
// structure does not depend on thread scheduling. Runs in the caller's
// task_arena (limit threads there).
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <vector>

#include "core/metric.h"
#include "core/status.h"
#include "index/graph.h"

namespace vs {

struct HnswParams {
  uint32_t m = 16;
  uint32_t ef_construction = 200;
  uint64_t seed = 100;
  // Also store 8-bit codes (index/sq8.h) in the nodes and traverse with them;
  // the float vectors are kept apart for the exact rerank.
  bool sq8 = false;
};

// Owns a built graph's buffers; view() is valid while it lives.
struct BuiltGraph {
  uint32_t dim = 0;
  Metric metric = Metric::kL2;
  HnswParams params;
  uint32_t count = 0;
  uint32_t entry_point = 0;
  int32_t max_level = -1;
  std::unique_ptr<std::byte[], void (*)(std::byte*)> nodes{nullptr, nullptr};  // 64-byte aligned
  size_t node_stride = 0;
  // sq8 graphs only: the float vectors (vector_bytes_for(dim) each) and code ranges.
  std::unique_ptr<std::byte[], void (*)(std::byte*)> vectors{nullptr, nullptr};
  std::vector<float> sq8_min;
  std::vector<float> sq8_scale;
  // Float l2 graphs: the stored dimension order (GraphView::dim_order); empty otherwise.
  std::vector<uint32_t> dim_order;
  std::vector<uint8_t> levels;
  std::vector<uint32_t> upper_offsets;
  std::vector<uint32_t> upper_links;

  GraphView view() const;
};

// Called from time to time with the number of nodes inserted so far (any thread, serialised).
using BuildProgress = void (*)(void* user, uint64_t done, uint64_t total);

// Errors: Usage for m < 2 or m > 255, ef_construction < 1, dim == 0, or more than 2^32-2 vectors.
Expected<BuiltGraph> build_hnsw(std::span<const float> vectors, uint32_t dim, Metric metric,
                                const HnswParams& params, BuildProgress progress = nullptr,
                                void* progress_user = nullptr);

}  // namespace vs
