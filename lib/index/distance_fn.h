// DistanceFn: the internal distance of one metric bound to the chosen kernel.
//
// Resolved once per search (not per pair) so the hot loop calls one function
// pointer and one multiply-add. Vectors are compared over dim_padded floats:
// the zero padding changes neither l2 nor dot, and lets the kernels skip tails.
#pragma once

#include "core/metric.h"
#include "simd/distance.h"

namespace vs {

struct DistanceFn {
  simd::PairFn kernel;
  float offset;
  float sign;
  simd::BoundedPairFn bounded = nullptr;  // l2 only: may stop once the sum passes a bound

  static DistanceFn for_metric(Metric metric, const simd::Kernels& k = simd::kernels()) {
    switch (metric) {
      case Metric::kL2: return {k.l2sq, 0.0f, 1.0f, k.l2sq_bounded};
      case Metric::kCosine: return {k.dot, 1.0f, -1.0f};
      case Metric::kIP: return {k.dot, 0.0f, -1.0f};
    }
    return {k.l2sq, 0.0f, 1.0f, k.l2sq_bounded};
  }

  float operator()(const float* a, const float* b, size_t dim) const { return offset + sign * kernel(a, b, dim); }

  // For callers that discard anything at or beyond `bound`: the exact
  // distance when it is below the bound, else some value >= bound (l2 stops
  // summing early, which saves reading the rest of a far vector).
  float within(const float* a, const float* b, size_t dim, float bound) const {
    return bounded != nullptr ? bounded(a, b, dim, bound) : (*this)(a, b, dim);
  }
};

}  // namespace vs
