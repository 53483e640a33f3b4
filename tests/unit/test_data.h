// Shared generators for unit tests: clustered vectors like real embeddings.
#pragma once

#include <random>
#include <vector>

#include "simd/distance.h"

namespace vs::testing {

// `count` vectors of `dim` floats around `clusters` random centres.
inline std::vector<float> clustered_vectors(size_t count, size_t dim, size_t clusters, uint32_t seed,
                                            bool normalise = false) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> normal(0.0f, 1.0f);
  std::vector<float> centres(clusters * dim);
  for (float& x : centres) x = normal(rng) * 3.0f;
  std::uniform_int_distribution<size_t> pick(0, clusters - 1);
  std::vector<float> out(count * dim);
  for (size_t i = 0; i < count; ++i) {
    size_t c = pick(rng);
    for (size_t d = 0; d < dim; ++d) out[i * dim + d] = centres[c * dim + d] + normal(rng);
    if (normalise) simd::normalize({out.data() + i * dim, dim});
  }
  return out;
}

}  // namespace vs::testing
