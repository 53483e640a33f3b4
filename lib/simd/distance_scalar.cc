// The portable reference kernels: every SIMD kernel is tested against these.
#include "simd/distance.h"

namespace vs::simd {
namespace {

float l2sq_scalar(const float* a, const float* b, size_t dim) {
  float sum = 0.0f;
  for (size_t i = 0; i < dim; ++i) {
    float d = a[i] - b[i];
    sum += d * d;
  }
  return sum;
}

// The reference for the bounded kernels: the same sum, checked against the
// bound where bound_check_after() says.
float l2sq_bounded_scalar(const float* a, const float* b, size_t dim, float bound) {
  float sum = 0.0f;
  for (size_t i = 0; i < dim; ++i) {
    float d = a[i] - b[i];
    sum += d * d;
    if (bound_check_after(i + 1, dim) && sum >= bound) return sum;
  }
  return sum;
}

float dot_scalar(const float* a, const float* b, size_t dim) {
  float sum = 0.0f;
  for (size_t i = 0; i < dim; ++i) sum += a[i] * b[i];
  return sum;
}

float sq8_l2_scalar(const float* shifted, const float* scale, const uint8_t* codes, size_t dim) {
  float sum = 0.0f;
  for (size_t i = 0; i < dim; ++i) {
    float d = shifted[i] - scale[i] * static_cast<float>(codes[i]);
    sum += d * d;
  }
  return sum;
}

float sq8_dot_scalar(const float* scaled, const uint8_t* codes, size_t dim) {
  float sum = 0.0f;
  for (size_t i = 0; i < dim; ++i) sum += scaled[i] * static_cast<float>(codes[i]);
  return sum;
}

}  // namespace

const Kernels& scalar_kernels() {
  static const Kernels k{Isa::kScalar, "scalar", l2sq_scalar, l2sq_bounded_scalar, dot_scalar, sq8_l2_scalar, sq8_dot_scalar};
  return k;
}

}  // namespace vs::simd
