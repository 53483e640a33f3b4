#include "index/sq8.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "index/graph.h"

namespace vs {

Sq8Ranges train_sq8(std::span<const float> vectors, uint32_t dim) {
  const uint32_t padded = padded_dim(dim);
  Sq8Ranges ranges;
  ranges.min.assign(padded, 0.0f);
  ranges.scale.assign(padded, 0.0f);
  const size_t count = dim == 0 ? 0 : vectors.size() / dim;
  if (count == 0) return ranges;
  std::vector<float> lo(dim, std::numeric_limits<float>::max());
  std::vector<float> hi(dim, std::numeric_limits<float>::lowest());
  for (size_t i = 0; i < count; ++i) {
    const float* v = vectors.data() + i * dim;
    for (uint32_t d = 0; d < dim; ++d) {
      lo[d] = std::min(lo[d], v[d]);
      hi[d] = std::max(hi[d], v[d]);
    }
  }
  for (uint32_t d = 0; d < dim; ++d) {
    ranges.min[d] = lo[d];
    ranges.scale[d] = (hi[d] - lo[d]) / 255.0f;
  }
  return ranges;
}

void encode_sq8(const float* vector, uint32_t dim, const float* min, const float* scale, uint8_t* codes) {
  const uint32_t padded = padded_dim(dim);
  for (uint32_t d = 0; d < dim; ++d) {
    float code = scale[d] > 0.0f ? std::nearbyint((vector[d] - min[d]) / scale[d]) : 0.0f;
    codes[d] = static_cast<uint8_t>(std::clamp(code, 0.0f, 255.0f));
  }
  for (uint32_t d = dim; d < padded; ++d) codes[d] = 0;
}

Sq8Query::Sq8Query(Metric metric, const float* query_padded, uint32_t dim_padded, const float* min,
                   const float* scale, float* buffer, const simd::Kernels& kernels)
    : kernels_(&kernels), prepared_(buffer), scale_(scale), dim_padded_(dim_padded), l2_(metric == Metric::kL2) {
  // l2: sum (q - min - scale*c)^2, so keep q - min.
  // dot: sum q * (min + scale*c) = sum q*min + sum (q*scale) * c, so keep q*scale
  // and fold sum q*min into the offset.
  double constant = 0.0;
  for (uint32_t d = 0; d < dim_padded; ++d) {
    if (l2_) {
      buffer[d] = query_padded[d] - min[d];
    } else {
      buffer[d] = query_padded[d] * scale[d];
      constant += double{query_padded[d]} * min[d];
    }
  }
  const float base = metric == Metric::kCosine ? 1.0f : 0.0f;
  offset_ = base - static_cast<float>(constant);
}

}  // namespace vs
