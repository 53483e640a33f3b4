// Every SIMD kernel the CPU can run agrees with the scalar reference.
#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <vector>

#include "simd/distance.h"

namespace vs::simd {
namespace {

std::vector<float> random_vector(std::mt19937& rng, size_t dim) {
  std::normal_distribution<float> normal(0.0f, 1.0f);
  std::vector<float> v(dim);
  for (float& x : v) x = normal(rng);
  return v;
}

void expect_close(float expected, float actual, size_t dim) {
  EXPECT_NEAR(expected, actual, 1e-4f * (1.0f + std::fabs(expected))) << "dim " << dim;
}

class KernelTest : public ::testing::TestWithParam<Isa> {};

TEST_P(KernelTest, MatchesScalarReferenceForEveryLength) {
  const Kernels* kernels = kernels_for(GetParam());
  if (kernels == nullptr) GTEST_SKIP() << "this CPU cannot run the ISA";
  const Kernels& ref = scalar_kernels();
  std::mt19937 rng(7);
  for (size_t dim : {1, 2, 3, 7, 8, 15, 16, 17, 31, 32, 33, 63, 64, 65, 100, 128, 784, 1000}) {
    auto a = random_vector(rng, dim);
    auto b = random_vector(rng, dim);
    expect_close(ref.l2sq(a.data(), b.data(), dim), kernels->l2sq(a.data(), b.data(), dim), dim);
    expect_close(ref.dot(a.data(), b.data(), dim), kernels->dot(a.data(), b.data(), dim), dim);
  }
}

TEST_P(KernelTest, Sq8KernelsMatchScalarReference) {
  const Kernels* kernels = kernels_for(GetParam());
  if (kernels == nullptr) GTEST_SKIP() << "this CPU cannot run the ISA";
  std::mt19937 rng(5);
  std::uniform_int_distribution<int> byte(0, 255);
  for (size_t dim : {1, 5, 16, 17, 32, 48, 100, 784}) {
    auto a = random_vector(rng, dim);
    auto s = random_vector(rng, dim);
    std::vector<uint8_t> codes(dim);
    for (auto& c : codes) c = static_cast<uint8_t>(byte(rng));
    // Codes reach 255, so terms are large and cancel in the dot product:
    // bound the rounding error by the sum of the terms' magnitudes.
    double l2_magnitude = 0, dot_magnitude = 0;
    for (size_t i = 0; i < dim; ++i) {
      double t = a[i] - s[i] * codes[i];
      l2_magnitude += t * t;
      dot_magnitude += std::fabs(a[i] * codes[i]);
    }
    EXPECT_NEAR(scalar_kernels().sq8_l2(a.data(), s.data(), codes.data(), dim),
                kernels->sq8_l2(a.data(), s.data(), codes.data(), dim), 1e-5 * (1 + l2_magnitude));
    EXPECT_NEAR(scalar_kernels().sq8_dot(a.data(), codes.data(), dim), kernels->sq8_dot(a.data(), codes.data(), dim),
                1e-5 * (1 + dot_magnitude));
  }
}

// The bounded l2 is bit-for-bit the unbounded one below the bound, and at or
// beyond it returns something at least the bound (stopping early on long
// vectors, which the third case shows by the partial sum it returns).
TEST_P(KernelTest, BoundedL2IsExactBelowTheBoundAndNeverBelowIt) {
  const Kernels* kernels = kernels_for(GetParam());
  if (kernels == nullptr) GTEST_SKIP() << "this CPU cannot run the ISA";
  std::mt19937 rng(13);
  for (size_t dim : {1, 16, 17, 64, 255, 256, 257, 512, 784, 1000}) {
    auto a = random_vector(rng, dim);
    auto b = random_vector(rng, dim);
    const float exact = kernels->l2sq(a.data(), b.data(), dim);
    EXPECT_EQ(exact, kernels->l2sq_bounded(a.data(), b.data(), dim, INFINITY)) << "dim " << dim;
    EXPECT_EQ(exact, kernels->l2sq_bounded(a.data(), b.data(), dim, std::nextafter(exact, INFINITY)))
        << "dim " << dim;
    for (float fraction : {0.01f, 0.5f, 0.99f, 1.0f}) {
      EXPECT_GE(kernels->l2sq_bounded(a.data(), b.data(), dim, exact * fraction), exact * fraction)
          << "dim " << dim << " bound " << fraction;
    }
    if (dim >= kBoundFirstCheck + kBoundCheckFloats) {
      // Far past the bound at the first check: the sum stops there.
      EXPECT_LT(kernels->l2sq_bounded(a.data(), b.data(), dim, exact * 0.01f), exact) << "dim " << dim;
    }
  }
}

TEST_P(KernelTest, UnalignedInputs) {
  const Kernels* kernels = kernels_for(GetParam());
  if (kernels == nullptr) GTEST_SKIP() << "this CPU cannot run the ISA";
  std::mt19937 rng(11);
  auto a = random_vector(rng, 203);
  auto b = random_vector(rng, 203);
  for (size_t offset = 0; offset < 3; ++offset) {
    size_t dim = 200;
    expect_close(scalar_kernels().l2sq(a.data() + offset, b.data() + offset, dim),
                 kernels->l2sq(a.data() + offset, b.data() + offset, dim), dim);
  }
}

INSTANTIATE_TEST_SUITE_P(AllIsas, KernelTest, ::testing::Values(Isa::kScalar, Isa::kAvx2, Isa::kAvx512));

TEST(Kernels, KnownValues) {
  const float a[3] = {1, 2, 3};
  const float b[3] = {4, 6, 3};
  EXPECT_FLOAT_EQ(kernels().l2sq(a, b, 3), 25.0f);
  EXPECT_FLOAT_EQ(kernels().dot(a, b, 3), 25.0f);
}

TEST(Normalize, UnitLengthAndZeroRejected) {
  std::vector<float> v = {3, 4};
  ASSERT_TRUE(normalize(v));
  EXPECT_FLOAT_EQ(v[0], 0.6f);
  EXPECT_FLOAT_EQ(v[1], 0.8f);
  std::vector<float> zero = {0, 0, 0};
  EXPECT_FALSE(normalize(zero));
}

TEST(Distance, MetricsOrderAsDocumented) {
  const float a[2] = {1, 0};
  const float b[2] = {0.6f, 0.8f};
  EXPECT_FLOAT_EQ(distance(kernels(), Metric::kCosine, a, b, 2), 0.4f);
  EXPECT_FLOAT_EQ(distance(kernels(), Metric::kIP, a, b, 2), -0.6f);
  EXPECT_FLOAT_EQ(score_from_distance(Metric::kCosine, 0.4f), 0.6f);
  EXPECT_FLOAT_EQ(score_from_distance(Metric::kL2, 4.0f), -2.0f);
}

}  // namespace
}  // namespace vs::simd
