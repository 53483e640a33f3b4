// vs-kernels-bench: Google Benchmark timings of the vs::simd distance kernels.
//
// One benchmark per (kernel, ISA this CPU can run, dim): l2sq and dot, for
// scalar / avx2 / avx512 as kernels_for() offers them, at dims 128 (SIFT),
// 784 (Fashion-MNIST) and 960 (GIST); and the bounded l2 twice: with no
// bound reached (the cost of its checks) and with a bound the first check
// passes (how much an early stop saves). Vectors are 64-byte aligned and hot in
// L1, so this measures the arithmetic, not memory; the bytes/s counter reads
// both operands. Compare ISAs with each other, not with other machines.
#include <benchmark/benchmark.h>

#include <cmath>
#include <cstdlib>
#include <memory>
#include <random>
#include <string>

#include "simd/distance.h"

namespace {

constexpr size_t kDims[] = {128, 784, 960};

struct AlignedFree {
  void operator()(float* p) const { std::free(p); }
};
using AlignedFloats = std::unique_ptr<float[], AlignedFree>;

AlignedFloats random_vector(size_t dim, uint32_t seed) {
  const size_t bytes = (dim * sizeof(float) + 63) / 64 * 64;
  AlignedFloats v(static_cast<float*>(std::aligned_alloc(64, bytes)));
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> uniform(-1.0f, 1.0f);
  for (size_t i = 0; i < dim; ++i) v[i] = uniform(rng);
  return v;
}

void run_kernel(benchmark::State& state, vs::simd::PairFn kernel, size_t dim) {
  AlignedFloats a = random_vector(dim, 1), b = random_vector(dim, 2);
  for (auto _ : state) {
    benchmark::DoNotOptimize(kernel(a.get(), b.get(), dim));
    benchmark::ClobberMemory();
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations()) * static_cast<int64_t>(2 * dim * sizeof(float)));
}

// bound_fraction: the bound as a fraction of the exact distance (inf: never reached).
void run_bounded(benchmark::State& state, vs::simd::BoundedPairFn kernel, size_t dim, float bound_fraction) {
  AlignedFloats a = random_vector(dim, 1), b = random_vector(dim, 2);
  const float bound = bound_fraction * vs::simd::scalar_kernels().l2sq(a.get(), b.get(), dim);
  for (auto _ : state) {
    benchmark::DoNotOptimize(kernel(a.get(), b.get(), dim, bound));
    benchmark::ClobberMemory();
  }
}

void register_isa(vs::simd::Isa isa) {
  const vs::simd::Kernels* kernels = vs::simd::kernels_for(isa);
  if (kernels == nullptr) return;  // this CPU cannot run it
  for (size_t dim : kDims) {
    // Appended piecewise: GCC 12 warns falsely (-Wrestrict) on chained operator+.
    std::string suffix = "/";
    suffix.append(kernels->name).append("/").append(std::to_string(dim));
    benchmark::RegisterBenchmark(std::string("l2sq").append(suffix).c_str(), run_kernel, kernels->l2sq, dim);
    benchmark::RegisterBenchmark(std::string("dot").append(suffix).c_str(), run_kernel, kernels->dot, dim);
    benchmark::RegisterBenchmark(std::string("l2sq_bounded_unreached").append(suffix).c_str(), run_bounded,
                                 kernels->l2sq_bounded, dim, INFINITY);
    benchmark::RegisterBenchmark(std::string("l2sq_bounded_tenth").append(suffix).c_str(), run_bounded,
                                 kernels->l2sq_bounded, dim, 0.1f);
  }
}

}  // namespace

int main(int argc, char** argv) {
  for (auto isa : {vs::simd::Isa::kScalar, vs::simd::Isa::kAvx2, vs::simd::Isa::kAvx512}) register_isa(isa);
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
