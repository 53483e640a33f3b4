// SQ8: 8-bit scalar quantisation of vectors for fast graph traversal.
//
// Each dimension d gets a range trained on the shard's own vectors:
// code = round((x - min[d]) / scale[d]) in 0..255, so a code stands for
// min[d] + scale[d] * code. Traversal compares a float query with codes
// (4x less memory traffic than floats, which is what bounds HNSW search on
// large vectors); the final candidates are reranked with the exact float
// vectors, so reported scores are exact. Works on any data: ranges come from
// the data, and a constant dimension gets scale 0.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "core/metric.h"
#include "simd/distance.h"

namespace vs {

struct Sq8Ranges {
  std::vector<float> min;    // dim_padded entries; padding is 0
  std::vector<float> scale;  // dim_padded entries; padding is 0
};

// Trains per-dimension ranges on `count` vectors of `dim` floats (contiguous).
Sq8Ranges train_sq8(std::span<const float> vectors, uint32_t dim);

// Encodes one vector of `dim` floats into dim_padded codes (padding codes are 0).
void encode_sq8(const float* vector, uint32_t dim, const float* min, const float* scale, uint8_t* codes);

// The query side of an asymmetric distance: prepared once per query, then
// distance(codes) per node with no allocation. Under cosine and ip the
// internal distance is offset - dot, as for float vectors (core/metric.h).
class Sq8Query {
 public:
  // `buffer` must have room for dim_padded floats and outlive the Sq8Query.
  Sq8Query(Metric metric, const float* query_padded, uint32_t dim_padded, const float* min, const float* scale,
           float* buffer, const simd::Kernels& kernels = simd::kernels());

  float operator()(const uint8_t* codes) const {
    if (l2_) return kernels_->sq8_l2(prepared_, scale_, codes, dim_padded_);
    return offset_ - kernels_->sq8_dot(prepared_, codes, dim_padded_);
  }

 private:
  const simd::Kernels* kernels_;
  const float* prepared_;
  const float* scale_;
  uint32_t dim_padded_;
  bool l2_;
  float offset_;
};

}  // namespace vs
