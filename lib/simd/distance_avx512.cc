// AVX-512F kernels: 4 independent 16-wide accumulators for the float pairs, a masked tail so any
// dim runs without a scalar loop. Compiled with -mavx512f (lib/CMakeLists.txt);
// only called when the CPU has it.
#include <immintrin.h>

#include "simd/distance.h"

namespace vs::simd {
namespace {

inline float sum4(__m512 acc0, __m512 acc1, __m512 acc2, __m512 acc3) {
  return _mm512_reduce_add_ps(_mm512_add_ps(_mm512_add_ps(acc0, acc1), _mm512_add_ps(acc2, acc3)));
}

// sum (a-b)^2. Bounded: where bound_check_after() says, the partial sum is
// compared with `bound` and returned once it reaches it. The summation order
// is the same either way, so a bounded call that runs to the end returns
// exactly what the unbounded one does.
template <bool kBounded>
float l2sq_impl(const float* a, const float* b, size_t dim, float bound) {
  __m512 acc0 = _mm512_setzero_ps(), acc1 = _mm512_setzero_ps();
  __m512 acc2 = _mm512_setzero_ps(), acc3 = _mm512_setzero_ps();
  size_t i = 0;
  for (; i + 64 <= dim; i += 64) {
    __m512 d0 = _mm512_sub_ps(_mm512_loadu_ps(a + i), _mm512_loadu_ps(b + i));
    __m512 d1 = _mm512_sub_ps(_mm512_loadu_ps(a + i + 16), _mm512_loadu_ps(b + i + 16));
    __m512 d2 = _mm512_sub_ps(_mm512_loadu_ps(a + i + 32), _mm512_loadu_ps(b + i + 32));
    __m512 d3 = _mm512_sub_ps(_mm512_loadu_ps(a + i + 48), _mm512_loadu_ps(b + i + 48));
    acc0 = _mm512_fmadd_ps(d0, d0, acc0);
    acc1 = _mm512_fmadd_ps(d1, d1, acc1);
    acc2 = _mm512_fmadd_ps(d2, d2, acc2);
    acc3 = _mm512_fmadd_ps(d3, d3, acc3);
    if constexpr (kBounded) {
      if (bound_check_after(i + 64, dim)) {
        float partial = sum4(acc0, acc1, acc2, acc3);
        if (partial >= bound) return partial;
      }
    }
  }
  for (; i + 16 <= dim; i += 16) {
    __m512 d = _mm512_sub_ps(_mm512_loadu_ps(a + i), _mm512_loadu_ps(b + i));
    acc0 = _mm512_fmadd_ps(d, d, acc0);
  }
  if (i < dim) {
    __mmask16 mask = static_cast<__mmask16>((1u << (dim - i)) - 1);
    __m512 d = _mm512_sub_ps(_mm512_maskz_loadu_ps(mask, a + i), _mm512_maskz_loadu_ps(mask, b + i));
    acc1 = _mm512_fmadd_ps(d, d, acc1);
  }
  return sum4(acc0, acc1, acc2, acc3);
}

float l2sq_avx512(const float* a, const float* b, size_t dim) { return l2sq_impl<false>(a, b, dim, 0.0f); }
float l2sq_bounded_avx512(const float* a, const float* b, size_t dim, float bound) {
  return l2sq_impl<true>(a, b, dim, bound);
}

float dot_avx512(const float* a, const float* b, size_t dim) {
  __m512 acc0 = _mm512_setzero_ps(), acc1 = _mm512_setzero_ps();
  __m512 acc2 = _mm512_setzero_ps(), acc3 = _mm512_setzero_ps();
  size_t i = 0;
  for (; i + 64 <= dim; i += 64) {
    acc0 = _mm512_fmadd_ps(_mm512_loadu_ps(a + i), _mm512_loadu_ps(b + i), acc0);
    acc1 = _mm512_fmadd_ps(_mm512_loadu_ps(a + i + 16), _mm512_loadu_ps(b + i + 16), acc1);
    acc2 = _mm512_fmadd_ps(_mm512_loadu_ps(a + i + 32), _mm512_loadu_ps(b + i + 32), acc2);
    acc3 = _mm512_fmadd_ps(_mm512_loadu_ps(a + i + 48), _mm512_loadu_ps(b + i + 48), acc3);
  }
  for (; i + 16 <= dim; i += 16) acc0 = _mm512_fmadd_ps(_mm512_loadu_ps(a + i), _mm512_loadu_ps(b + i), acc0);
  if (i < dim) {
    __mmask16 mask = static_cast<__mmask16>((1u << (dim - i)) - 1);
    acc1 = _mm512_fmadd_ps(_mm512_maskz_loadu_ps(mask, a + i), _mm512_maskz_loadu_ps(mask, b + i), acc1);
  }
  return sum4(acc0, acc1, acc2, acc3);
}

inline __m512 load_codes16(const uint8_t* codes) {
  __m128i bytes = _mm_loadu_si128(reinterpret_cast<const __m128i*>(codes));
  return _mm512_cvtepi32_ps(_mm512_cvtepu8_epi32(bytes));
}

inline __m512 load_codes_masked(const uint8_t* codes, __mmask16 mask) {
  __m128i bytes = _mm_maskz_loadu_epi8(mask, codes);
  return _mm512_cvtepi32_ps(_mm512_cvtepu8_epi32(bytes));
}

float sq8_l2_avx512(const float* shifted, const float* scale, const uint8_t* codes, size_t dim) {
  __m512 acc0 = _mm512_setzero_ps(), acc1 = _mm512_setzero_ps();
  size_t i = 0;
  for (; i + 32 <= dim; i += 32) {
    __m512 t0 = _mm512_fnmadd_ps(_mm512_loadu_ps(scale + i), load_codes16(codes + i), _mm512_loadu_ps(shifted + i));
    __m512 t1 = _mm512_fnmadd_ps(_mm512_loadu_ps(scale + i + 16), load_codes16(codes + i + 16),
                                 _mm512_loadu_ps(shifted + i + 16));
    acc0 = _mm512_fmadd_ps(t0, t0, acc0);
    acc1 = _mm512_fmadd_ps(t1, t1, acc1);
  }
  for (; i + 16 <= dim; i += 16) {
    __m512 t = _mm512_fnmadd_ps(_mm512_loadu_ps(scale + i), load_codes16(codes + i), _mm512_loadu_ps(shifted + i));
    acc0 = _mm512_fmadd_ps(t, t, acc0);
  }
  if (i < dim) {
    __mmask16 mask = static_cast<__mmask16>((1u << (dim - i)) - 1);
    __m512 t = _mm512_fnmadd_ps(_mm512_maskz_loadu_ps(mask, scale + i), load_codes_masked(codes + i, mask),
                                _mm512_maskz_loadu_ps(mask, shifted + i));
    acc1 = _mm512_fmadd_ps(t, t, acc1);
  }
  return _mm512_reduce_add_ps(_mm512_add_ps(acc0, acc1));
}

float sq8_dot_avx512(const float* scaled, const uint8_t* codes, size_t dim) {
  __m512 acc0 = _mm512_setzero_ps(), acc1 = _mm512_setzero_ps();
  size_t i = 0;
  for (; i + 32 <= dim; i += 32) {
    acc0 = _mm512_fmadd_ps(_mm512_loadu_ps(scaled + i), load_codes16(codes + i), acc0);
    acc1 = _mm512_fmadd_ps(_mm512_loadu_ps(scaled + i + 16), load_codes16(codes + i + 16), acc1);
  }
  for (; i + 16 <= dim; i += 16) acc0 = _mm512_fmadd_ps(_mm512_loadu_ps(scaled + i), load_codes16(codes + i), acc0);
  if (i < dim) {
    __mmask16 mask = static_cast<__mmask16>((1u << (dim - i)) - 1);
    acc1 = _mm512_fmadd_ps(_mm512_maskz_loadu_ps(mask, scaled + i), load_codes_masked(codes + i, mask), acc1);
  }
  return _mm512_reduce_add_ps(_mm512_add_ps(acc0, acc1));
}

}  // namespace

const Kernels& avx512_kernels() {
  static const Kernels k{Isa::kAvx512, "avx512", l2sq_avx512, l2sq_bounded_avx512, dot_avx512, sq8_l2_avx512, sq8_dot_avx512};
  return k;
}

}  // namespace vs::simd
