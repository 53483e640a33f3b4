// HnswlibFilterRunner: hnswlib for the filtered-search comparison, searched
// with and without its filter functor (hnswlib::BaseFilterFunctor).
//
// Like HnswlibRunner (hnswlib_runner.h, which says why), this wraps hnswlib
// in its own translation unit compiled with -march=native, behind an
// interface of plain types. It is a separate class because hnswlib's headers
// define non-inline globals: one binary can hold only one translation unit
// that includes them, and filter-compare needs the filtered search too.
//
// The filter is the bitmap a caller precomputed for the query (bit i of
// word i / 64 allows label i); the functor hnswlib calls for each candidate
// tests that bit. hnswlib added BaseFilterFunctor and searchKnn(query, k,
// filter) in 0.7.0; Debian 12 ships 0.6.2, so there this file declares the
// functor itself and runs a port of 0.7's filtered search (see the .cc).
// filter_description() says which one a build uses.
// Not thread-safe except where noted: build() uses all threads internally.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

namespace vs::bench {

class HnswlibFilterRunner {
 public:
  // An empty L2 index for `count` vectors of `dim` floats.
  HnswlibFilterRunner(uint32_t dim, size_t count, uint32_t m, uint32_t ef_construction);
  ~HnswlibFilterRunner();
  HnswlibFilterRunner(const HnswlibFilterRunner&) = delete;
  HnswlibFilterRunner& operator=(const HnswlibFilterRunner&) = delete;

  // Adds vectors 0..count-1 with their row number as label, in parallel with
  // oneTBB on the threads the caller's tbb::global_control allows.
  void build(const float* vectors, size_t count);

  void set_ef(size_t ef);

  // The k nearest labels, closest first, into out_labels[0..k); returns how many.
  size_t search(const float* query, size_t k, uint32_t* out_labels) const;

  // The same among the labels whose bit is set in `allowed_bits`, through
  // hnswlib's filter functor.
  size_t search_filtered(const float* query, size_t k, const uint64_t* allowed_bits,
                         uint32_t* out_labels) const;

  // Which SIMD path hnswlib was compiled for, e.g. "avx512 (-march=native)".
  static std::string simd_description();
  // How the filtered search runs in this build (hnswlib's own, or the port).
  static std::string filter_description();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace vs::bench
