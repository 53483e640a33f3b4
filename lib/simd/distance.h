// Distance kernels, selected once at run time for the CPU (AVX-512, AVX2 or
// scalar), so one portable binary runs at full speed everywhere.
//
// Kernels take two float arrays of `dim` elements (no alignment required) and
// are pure functions: thread-safe. kernels() resolves the best table on first
// call (thread-safe static init) and never changes afterwards; tests can ask
// for a specific ISA with kernels_for().
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

#include "core/metric.h"

namespace vs::simd {

using PairFn = float (*)(const float* a, const float* b, size_t dim);
// A distance that may stop early: the exact value when it is below `bound`,
// otherwise some partial sum that is >= bound. For searches that would
// discard anything at or beyond the bound anyway (l2 sums only: their
// partial sums only grow). The partial sum is checked after kBoundFirstCheck
// floats and every kBoundCheckFloats after that, while at least
// kBoundCheckFloats remain: each check costs a horizontal sum, and one near
// either end rarely pays.
using BoundedPairFn = float (*)(const float* a, const float* b, size_t dim, float bound);
inline constexpr size_t kBoundFirstCheck = 256;
inline constexpr size_t kBoundCheckFloats = 128;
// Whether a bounded kernel checks its partial sum after `done` of `dim` floats.
constexpr bool bound_check_after(size_t done, size_t dim) {
  return done >= kBoundFirstCheck && done % kBoundCheckFloats == 0 && done + kBoundCheckFloats <= dim;
}
// Asymmetric distances between a float query and 8-bit codes (scalar
// quantisation, see index/sq8.h): code c stands for min + scale * c.
//   sq8_l2:  sum (shifted[i] - scale[i] * c[i])^2   with shifted = query - min
//   sq8_dot: sum scaled[i] * c[i]                    with scaled = query * scale
using Sq8L2Fn = float (*)(const float* shifted, const float* scale, const uint8_t* codes, size_t dim);
using Sq8DotFn = float (*)(const float* scaled, const uint8_t* codes, size_t dim);

enum class Isa { kScalar, kAvx2, kAvx512 };

struct Kernels {
  Isa isa;
  std::string_view name;
  PairFn l2sq;  // sum (a-b)^2
  BoundedPairFn l2sq_bounded;
  PairFn dot;   // sum a*b
  Sq8L2Fn sq8_l2;
  Sq8DotFn sq8_dot;
};

// The best table for this CPU (honours VS_SIMD=scalar|avx2|avx512 to force a lower one).
const Kernels& kernels();

// The table for `isa`, or nullptr if this CPU cannot run it.
const Kernels* kernels_for(Isa isa);

// The internal distance of `metric` (smaller is closer): l2 → l2sq, cosine → 1 - dot,
// ip → -dot.
inline float distance(const Kernels& k, Metric metric, const float* a, const float* b, size_t dim) {
  switch (metric) {
    case Metric::kL2: return k.l2sq(a, b, dim);
    case Metric::kCosine: return 1.0f - k.dot(a, b, dim);
    case Metric::kIP: return -k.dot(a, b, dim);
  }
  return 0.0f;
}

// Scales `v` to unit length; returns false (leaving v alone) if its norm is 0 or not finite.
bool normalize(std::span<float> v);

// Per-ISA tables (defined in distance_*.cc).
const Kernels& scalar_kernels();
const Kernels& avx2_kernels();
const Kernels& avx512_kernels();

}  // namespace vs::simd
