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

  static DistanceFn for_metric(Metric metric, const simd::Kernels& k = simd::kernels()) {
    switch (metric) {
      case Metric::kL2: return {k.l2sq, 0.0f, 1.0f};
      case Metric::kCosine: return {k.dot, 1.0f, -1.0f};
      case Metric::kIP: return {k.dot, 0.0f, -1.0f};
    }
    return {k.l2sq, 0.0f, 1.0f};
  }

  float operator()(const float* a, const float* b, size_t dim) const { return offset + sign * kernel(a, b, dim); }
};

}  // namespace vs
