// HnswlibRunner: the peer side of the ANN comparison, behind a plain interface.
//
// hnswlib (Debian libhnswlib-dev, header-only) chooses its SIMD distance code
// at compile time from __AVX__/__AVX512F__, and its headers define non-inline
// globals. So it lives in its own translation unit (hnswlib_runner.cc),
// compiled with -march=native to give it its best case, and nothing else
// includes its headers. The interface carries only plain types, so no inline
// code compiled with different flags is shared across the boundary.
// Not thread-safe except where noted: build() uses all threads internally.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

namespace vs::bench {

class HnswlibRunner {
 public:
  enum class Space { kL2, kInnerProduct };

  // An empty index for `count` vectors of `dim` floats.
  HnswlibRunner(Space space, uint32_t dim, size_t count, uint32_t m, uint32_t ef_construction);
  ~HnswlibRunner();
  HnswlibRunner(const HnswlibRunner&) = delete;
  HnswlibRunner& operator=(const HnswlibRunner&) = delete;

  // Adds vectors 0..count-1 (row-major, dim floats each) with their row number
  // as label, in parallel with oneTBB on the threads the caller's
  // tbb::global_control allows (as hnswlib's own Python binding does).
  void build(const float* vectors, size_t count);

  void set_ef(size_t ef);

  // The k nearest labels to `query`, closest first, into out_labels[0..k); returns how many.
  size_t search(const float* query, size_t k, uint32_t* out_labels) const;

  // Writes hnswlib's own index file; returns false on failure.
  bool save(const std::string& path) const;

  // Which SIMD path hnswlib was compiled for, e.g. "avx512 (-march=native)".
  static std::string simd_description();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace vs::bench
