// DistanceFn: the internal distance of one metric bound to the chosen kernel.
//
// Resolved once per search (not per pair) so the hot loop calls one function
// pointer and one multiply-add. Vectors are compared over dim_padded floats:
// the zero padding changes neither l2 nor dot, and lets the kernels skip tails.
// Cosine vectors are unit length (normalised at ingest and at query), so
// 1 - a.b is computed as |a - b|^2 / 2: the same value in exact arithmetic,
// and, as an l2 sum, one that a bounded kernel can stop early.
#pragma once

#include "core/metric.h"
#include "simd/distance.h"

namespace vs {

struct DistanceFn {
  simd::PairFn kernel;
  float offset;
  float sign;
  simd::BoundedPairFn bounded = nullptr;  // l2 sums only (offset 0, sign > 0): may stop past a bound

  static DistanceFn for_metric(Metric metric, const simd::Kernels& k = simd::kernels()) {
    switch (metric) {
      case Metric::kL2: return {k.l2sq, 0.0f, 1.0f, k.l2sq_bounded};
      case Metric::kCosine: return {k.l2sq, 0.0f, 0.5f, k.l2sq_bounded};
      case Metric::kIP: return {k.dot, 0.0f, -1.0f};
    }
    return {k.l2sq, 0.0f, 1.0f, k.l2sq_bounded};
  }

  float operator()(const float* a, const float* b, size_t dim) const { return offset + sign * kernel(a, b, dim); }

  // For callers that discard anything at or beyond `bound`: the exact
  // distance when it is below the bound, else some value >= bound (l2 stops
  // summing early, which saves reading the rest of a far vector).
  float within(const float* a, const float* b, size_t dim, float bound) const {
    return bounded != nullptr ? sign * bounded(a, b, dim, bound / sign) : (*this)(a, b, dim);
  }
};

}  // namespace vs
