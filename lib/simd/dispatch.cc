// Chooses the kernel table once per process from what the CPU reports.
#include <cmath>
#include <cstdlib>
#include <string_view>

#include "simd/distance.h"

namespace vs::simd {
namespace {

bool cpu_has(Isa isa) {
  __builtin_cpu_init();
  switch (isa) {
    case Isa::kScalar: return true;
    case Isa::kAvx2: return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
    case Isa::kAvx512:
      return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
             __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512dq");
  }
  return false;
}

const Kernels& choose() {
  // VS_SIMD lets a user (or a test) cap the ISA, e.g. to compare kernels.
  const char* forced = std::getenv("VS_SIMD");
  std::string_view cap = forced != nullptr ? forced : "avx512";
  if (cap != "scalar" && cap != "avx2" && cpu_has(Isa::kAvx512)) return avx512_kernels();
  if (cap != "scalar" && cpu_has(Isa::kAvx2)) return avx2_kernels();
  return scalar_kernels();
}

}  // namespace

const Kernels& kernels() {
  static const Kernels& chosen = choose();
  return chosen;
}

const Kernels* kernels_for(Isa isa) {
  if (!cpu_has(isa)) return nullptr;
  switch (isa) {
    case Isa::kScalar: return &scalar_kernels();
    case Isa::kAvx2: return &avx2_kernels();
    case Isa::kAvx512: return &avx512_kernels();
  }
  return nullptr;
}

bool normalize(std::span<float> v) {
  double norm_sq = kernels().dot(v.data(), v.data(), v.size());
  if (!(norm_sq > 0.0) || !std::isfinite(norm_sq)) return false;
  float inv = static_cast<float>(1.0 / std::sqrt(norm_sq));
  for (float& x : v) x *= inv;
  return true;
}

}  // namespace vs::simd
