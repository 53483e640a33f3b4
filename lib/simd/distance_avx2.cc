// AVX2+FMA kernels: 4 independent 8-wide accumulators hide FMA latency.
// Compiled with -mavx2 -mfma (lib/CMakeLists.txt); only called when the CPU has them.
#include <immintrin.h>

#include "simd/distance.h"

namespace vs::simd {
namespace {

inline float hsum256(__m256 v) {
  __m128 lo = _mm256_castps256_ps128(v);
  __m128 hi = _mm256_extractf128_ps(v, 1);
  lo = _mm_add_ps(lo, hi);
  __m128 shuf = _mm_movehdup_ps(lo);
  __m128 sums = _mm_add_ps(lo, shuf);
  shuf = _mm_movehl_ps(shuf, sums);
  sums = _mm_add_ss(sums, shuf);
  return _mm_cvtss_f32(sums);
}

inline float sum4(__m256 acc0, __m256 acc1, __m256 acc2, __m256 acc3) {
  return hsum256(_mm256_add_ps(_mm256_add_ps(acc0, acc1), _mm256_add_ps(acc2, acc3)));
}

// sum (a-b)^2; Bounded as in the AVX-512 kernel (simd/distance.h).
template <bool kBounded>
float l2sq_impl(const float* a, const float* b, size_t dim, float bound) {
  __m256 acc0 = _mm256_setzero_ps(), acc1 = _mm256_setzero_ps();
  __m256 acc2 = _mm256_setzero_ps(), acc3 = _mm256_setzero_ps();
  size_t i = 0;
  for (; i + 32 <= dim; i += 32) {
    __m256 d0 = _mm256_sub_ps(_mm256_loadu_ps(a + i), _mm256_loadu_ps(b + i));
    __m256 d1 = _mm256_sub_ps(_mm256_loadu_ps(a + i + 8), _mm256_loadu_ps(b + i + 8));
    __m256 d2 = _mm256_sub_ps(_mm256_loadu_ps(a + i + 16), _mm256_loadu_ps(b + i + 16));
    __m256 d3 = _mm256_sub_ps(_mm256_loadu_ps(a + i + 24), _mm256_loadu_ps(b + i + 24));
    acc0 = _mm256_fmadd_ps(d0, d0, acc0);
    acc1 = _mm256_fmadd_ps(d1, d1, acc1);
    acc2 = _mm256_fmadd_ps(d2, d2, acc2);
    acc3 = _mm256_fmadd_ps(d3, d3, acc3);
    if constexpr (kBounded) {
      if (bound_check_after(i + 32, dim)) {
        float partial = sum4(acc0, acc1, acc2, acc3);
        if (partial >= bound) return partial;
      }
    }
  }
  for (; i + 8 <= dim; i += 8) {
    __m256 d = _mm256_sub_ps(_mm256_loadu_ps(a + i), _mm256_loadu_ps(b + i));
    acc0 = _mm256_fmadd_ps(d, d, acc0);
  }
  float sum = sum4(acc0, acc1, acc2, acc3);
  for (; i < dim; ++i) {
    float d = a[i] - b[i];
    sum += d * d;
  }
  return sum;
}

float l2sq_avx2(const float* a, const float* b, size_t dim) { return l2sq_impl<false>(a, b, dim, 0.0f); }
float l2sq_bounded_avx2(const float* a, const float* b, size_t dim, float bound) {
  return l2sq_impl<true>(a, b, dim, bound);
}

float dot_avx2(const float* a, const float* b, size_t dim) {
  __m256 acc0 = _mm256_setzero_ps(), acc1 = _mm256_setzero_ps();
  __m256 acc2 = _mm256_setzero_ps(), acc3 = _mm256_setzero_ps();
  size_t i = 0;
  for (; i + 32 <= dim; i += 32) {
    acc0 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i), _mm256_loadu_ps(b + i), acc0);
    acc1 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i + 8), _mm256_loadu_ps(b + i + 8), acc1);
    acc2 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i + 16), _mm256_loadu_ps(b + i + 16), acc2);
    acc3 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i + 24), _mm256_loadu_ps(b + i + 24), acc3);
  }
  for (; i + 8 <= dim; i += 8) acc0 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i), _mm256_loadu_ps(b + i), acc0);
  float sum = hsum256(_mm256_add_ps(_mm256_add_ps(acc0, acc1), _mm256_add_ps(acc2, acc3)));
  for (; i < dim; ++i) sum += a[i] * b[i];
  return sum;
}

inline __m256 load_codes8(const uint8_t* codes) {
  __m128i bytes = _mm_loadl_epi64(reinterpret_cast<const __m128i*>(codes));
  return _mm256_cvtepi32_ps(_mm256_cvtepu8_epi32(bytes));
}

float sq8_l2_avx2(const float* shifted, const float* scale, const uint8_t* codes, size_t dim) {
  __m256 acc0 = _mm256_setzero_ps(), acc1 = _mm256_setzero_ps();
  size_t i = 0;
  for (; i + 16 <= dim; i += 16) {
    __m256 t0 = _mm256_fnmadd_ps(_mm256_loadu_ps(scale + i), load_codes8(codes + i), _mm256_loadu_ps(shifted + i));
    __m256 t1 = _mm256_fnmadd_ps(_mm256_loadu_ps(scale + i + 8), load_codes8(codes + i + 8),
                                 _mm256_loadu_ps(shifted + i + 8));
    acc0 = _mm256_fmadd_ps(t0, t0, acc0);
    acc1 = _mm256_fmadd_ps(t1, t1, acc1);
  }
  float sum = hsum256(_mm256_add_ps(acc0, acc1));
  for (; i < dim; ++i) {
    float d = shifted[i] - scale[i] * static_cast<float>(codes[i]);
    sum += d * d;
  }
  return sum;
}

float sq8_dot_avx2(const float* scaled, const uint8_t* codes, size_t dim) {
  __m256 acc0 = _mm256_setzero_ps(), acc1 = _mm256_setzero_ps();
  size_t i = 0;
  for (; i + 16 <= dim; i += 16) {
    acc0 = _mm256_fmadd_ps(_mm256_loadu_ps(scaled + i), load_codes8(codes + i), acc0);
    acc1 = _mm256_fmadd_ps(_mm256_loadu_ps(scaled + i + 8), load_codes8(codes + i + 8), acc1);
  }
  float sum = hsum256(_mm256_add_ps(acc0, acc1));
  for (; i < dim; ++i) sum += scaled[i] * static_cast<float>(codes[i]);
  return sum;
}

}  // namespace

const Kernels& avx2_kernels() {
  static const Kernels k{Isa::kAvx2, "avx2", l2sq_avx2, l2sq_bounded_avx2, dot_avx2, sq8_l2_avx2, sq8_dot_avx2};
  return k;
}

}  // namespace vs::simd
