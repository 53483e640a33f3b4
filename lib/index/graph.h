// GraphView: a read-only view of an HNSW graph laid out as in a shard file.
//
// The same layout is used by the builder (in its own buffers) and by readers
// (over a mapped .vsi file), so the search code runs on both unchanged.
// Node i occupies `node_stride` bytes at nodes + i * node_stride and holds
// what a traversal touches, then its base-level adjacency at `links_offset`
// (u32 degree, u32 links[m0]):
//   - float graphs: the node starts with its vector (dim_padded floats, zero
//     padded, 64-byte aligned); `vectors` == `nodes`.
//   - sq8 graphs: the node starts with its 8-bit codes (index/sq8.h); the full
//     float vectors live apart in `vectors` and are read only to rerank.
// Upper levels live in `upper_links`. A GraphView does not own memory; it is
// valid while its owner lives. Thread-safe for concurrent readers.
#pragma once

#include <cstddef>
#include <cstdint>

#include "core/metric.h"

namespace vs {

struct GraphView {
  const std::byte* nodes = nullptr;
  size_t node_stride = 0;
  size_t links_offset = 0;  // offset of the adjacency inside a node
  const std::byte* vectors = nullptr;
  size_t vector_stride = 0;
  uint32_t dim = 0;
  uint32_t dim_padded = 0;
  Metric metric = Metric::kL2;
  uint32_t m = 0;
  uint32_t m0 = 0;
  uint32_t count = 0;
  uint32_t entry_point = 0;
  int32_t max_level = -1;
  const uint8_t* levels = nullptr;
  const uint32_t* upper_offsets = nullptr;
  const uint32_t* upper_links = nullptr;
  size_t upper_words = 0;  // length of upper_links, for bounds checks on untrusted files
  // sq8 only: per-dimension code ranges (dim_padded each); nullptr for float graphs.
  const float* sq8_min = nullptr;
  const float* sq8_scale = nullptr;
  // Float l2 and cosine graphs may store each vector's dimensions reordered
  // (widest spread first, so a bounded distance stops sooner): stored
  // position j holds dimension dim_order[j]. nullptr: the record's own order.
  const uint32_t* dim_order = nullptr;

  bool quantized() const { return sq8_min != nullptr; }
  // Writes `query` (dim floats, or fewer: the rest are 0) into out[dim_padded]
  // in the stored vectors' dimension order, zero padded.
  void load_query(const float* query, size_t query_dim, float* out) const {
    const size_t n = query_dim < dim ? query_dim : dim;
    for (uint32_t j = 0; j < dim_padded; ++j) out[j] = 0.0f;
    if (dim_order == nullptr) {
      for (size_t j = 0; j < n; ++j) out[j] = query[j];
    } else {
      for (uint32_t j = 0; j < dim; ++j) out[j] = dim_order[j] < n ? query[dim_order[j]] : 0.0f;
    }
  }
  const float* vector(uint32_t node) const {
    return reinterpret_cast<const float*>(vectors + node * vector_stride);
  }
  const uint8_t* codes(uint32_t node) const { return reinterpret_cast<const uint8_t*>(nodes + node * node_stride); }
  // Base-level adjacency: [degree, link0, link1, ...].
  const uint32_t* links0(uint32_t node) const {
    return reinterpret_cast<const uint32_t*>(nodes + node * node_stride + links_offset);
  }
  // Adjacency on `level` ≥ 1: [degree, link0, ...]; the node's level must be ≥ level.
  const uint32_t* links_upper(uint32_t node, int level) const {
    return upper_links + upper_offsets[node] + static_cast<size_t>(level - 1) * (m + 1);
  }
  const uint32_t* links(uint32_t node, int level) const {
    return level == 0 ? links0(node) : links_upper(node, level);
  }
};

// Sizes shared by the builder and the file format.
inline uint32_t padded_dim(uint32_t dim) { return (dim + 15u) & ~15u; }
inline size_t round_up64(size_t bytes) { return (bytes + 63u) & ~size_t{63}; }
inline size_t vector_bytes_for(uint32_t dim) { return round_up64(size_t{padded_dim(dim)} * 4); }
inline size_t code_bytes_for(uint32_t dim) { return round_up64(padded_dim(dim)); }
inline size_t links_offset_for(uint32_t dim, bool quantized) {
  return quantized ? code_bytes_for(dim) : vector_bytes_for(dim);
}
inline size_t node_stride_for(uint32_t dim, uint32_t m0, bool quantized) {
  return links_offset_for(dim, quantized) + round_up64(size_t{m0 + 1} * 4);
}

}  // namespace vs
