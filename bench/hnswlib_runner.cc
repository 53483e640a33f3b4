// The only translation unit that includes hnswlib; compiled with -march=native
// (bench/CMakeLists.txt). See hnswlib_runner.h for why.
#include "hnswlib_runner.h"

#include <hnswlib/hnswlib.h>
#include <tbb/blocked_range.h>
#include <tbb/parallel_for.h>

#include <fstream>

namespace vs::bench {

struct HnswlibRunner::Impl {
  std::unique_ptr<hnswlib::SpaceInterface<float>> space;
  std::unique_ptr<hnswlib::HierarchicalNSW<float>> index;
};

HnswlibRunner::HnswlibRunner(Space space, uint32_t dim, size_t count, uint32_t m, uint32_t ef_construction)
    : impl_(std::make_unique<Impl>()) {
  if (space == Space::kL2) {
    impl_->space = std::make_unique<hnswlib::L2Space>(dim);
  } else {
    impl_->space = std::make_unique<hnswlib::InnerProductSpace>(dim);
  }
  impl_->index = std::make_unique<hnswlib::HierarchicalNSW<float>>(impl_->space.get(), count, m, ef_construction);
}

HnswlibRunner::~HnswlibRunner() = default;

void HnswlibRunner::build(const float* vectors, size_t count) {
  if (count == 0) return;
  const size_t dim = *static_cast<const size_t*>(impl_->space->get_dist_func_param());
  auto& index = *impl_->index;
  // hnswlib's Python binding adds the first point alone, then the rest in
  // parallel: addPoint is safe to call concurrently once an entry point exists.
  index.addPoint(vectors, 0);
  tbb::parallel_for(tbb::blocked_range<size_t>(1, count, 64), [&](const tbb::blocked_range<size_t>& range) {
    for (size_t i = range.begin(); i != range.end(); ++i) index.addPoint(vectors + i * dim, i);
  });
}

void HnswlibRunner::set_ef(size_t ef) { impl_->index->setEf(ef); }

size_t HnswlibRunner::search(const float* query, size_t k, uint32_t* out_labels) const {
  auto top = impl_->index->searchKnn(query, k);
  // The queue pops farthest first; fill from the back so out is closest first.
  const size_t n = top.size();
  for (size_t i = n; i > 0; --i) {
    out_labels[i - 1] = static_cast<uint32_t>(top.top().second);
    top.pop();
  }
  return n;
}

bool HnswlibRunner::save(const std::string& path) const {
  impl_->index->saveIndex(path);
  std::ifstream check(path, std::ios::binary | std::ios::ate);
  return check.good() && check.tellg() > 0;
}

std::string HnswlibRunner::simd_description() {
#if defined(USE_AVX512)
  const char* isa = AVX512Capable() ? "avx512" : "avx";
#elif defined(USE_AVX)
  const char* isa = "avx";
#elif defined(USE_SSE)
  const char* isa = "sse";
#else
  const char* isa = "scalar";
#endif
  return std::string(isa) + " (hnswlib compiled with -march=native)";
}

}  // namespace vs::bench
