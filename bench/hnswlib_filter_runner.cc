// The only translation unit of filter-compare that includes hnswlib; compiled
// with -march=native (bench/CMakeLists.txt). See hnswlib_filter_runner.h.
#include "hnswlib_filter_runner.h"

#include <hnswlib/hnswlib.h>
#include <tbb/blocked_range.h>
#include <tbb/parallel_for.h>

#include <algorithm>
#include <limits>
#include <queue>
#include <utility>
#include <vector>

#if !VS_HNSWLIB_HAS_FILTER
namespace hnswlib {
// The functor hnswlib 0.7 added, in the same shape: searchKnn calls it with
// a candidate's label, and false keeps that candidate out of the results.
class BaseFilterFunctor {
 public:
  virtual bool operator()(labeltype /*label*/) { return true; }
  virtual ~BaseFilterFunctor() = default;
};
}  // namespace hnswlib
#endif

namespace vs::bench {
namespace {

using Index = hnswlib::HierarchicalNSW<float>;
using hnswlib::labeltype;
using hnswlib::tableint;
using LabelQueue = std::priority_queue<std::pair<float, labeltype>>;

// A query's filter: one bit per label, set before the clock starts, so the
// functor costs hnswlib one virtual call and one bit test per admitted node.
class BitmapFilter : public hnswlib::BaseFilterFunctor {
 public:
  explicit BitmapFilter(const uint64_t* bits) : bits_(bits) {}
  bool operator()(labeltype label) override { return (bits_[label >> 6] >> (label & 63)) & 1; }

 private:
  const uint64_t* bits_;
};

#if VS_HNSWLIB_HAS_FILTER

LabelQueue filtered_knn(const Index& index, const void* query, size_t k, hnswlib::BaseFilterFunctor& filter) {
  return index.searchKnn(query, k, &filter);
}

#else

using NodeQueue = std::priority_queue<std::pair<float, tableint>, std::vector<std::pair<float, tableint>>,
                                      Index::CompareByFirst>;

// hnswlib 0.7's filtered base-layer search, on 0.6.2's index. 0.7 added no
// new algorithm: a filter runs 0.6.2's deletion-aware search
// (searchBaseLayerST<has_deletions = true>) with the functor asked where that
// asks isMarkedDeleted. Rejected nodes are expanded like any other but never
// enter the ef results, and the walk stops only once the results are full
// and the closest unexpanded candidate is farther than the worst of them.
// It uses 0.6.2's public members with the same prefetches and metric
// counters, so it costs what hnswlib's own filtered search costs.
NodeQueue filtered_base_layer(const Index& index, tableint entry, const void* query, size_t ef,
                              hnswlib::BaseFilterFunctor& allowed) {
  hnswlib::VisitedList* visited = index.visited_list_pool_->getFreeVisitedList();
  hnswlib::vl_type* marks = visited->mass;
  const hnswlib::vl_type tag = visited->curV;
  auto distance = [&](tableint node) {
    return index.fstdistfunc_(query, index.getDataByInternalId(node), index.dist_func_param_);
  };

  NodeQueue results;     // the ef closest admitted nodes, farthest on top
  NodeQueue candidates;  // negated distances: the closest unexpanded on top
  float bound = std::numeric_limits<float>::max();
  if (allowed(index.getExternalLabel(entry))) {
    bound = distance(entry);
    results.emplace(bound, entry);
    candidates.emplace(-bound, entry);
  } else {
    candidates.emplace(-bound, entry);
  }
  marks[entry] = tag;

  while (!candidates.empty()) {
    const auto [negated, node] = candidates.top();
    if (-negated > bound && results.size() == ef) break;
    candidates.pop();
    int* links = reinterpret_cast<int*>(index.get_linklist0(node));
    const size_t degree = index.getListCount(reinterpret_cast<hnswlib::linklistsizeint*>(links));
    index.metric_hops++;
    index.metric_distance_computations += static_cast<long>(degree);
#ifdef USE_SSE
    _mm_prefetch(reinterpret_cast<char*>(marks + links[1]), _MM_HINT_T0);
    _mm_prefetch(reinterpret_cast<char*>(marks + links[1] + 64), _MM_HINT_T0);
    _mm_prefetch(index.data_level0_memory_ + links[1] * index.size_data_per_element_ + index.offsetData_,
                 _MM_HINT_T0);
    _mm_prefetch(reinterpret_cast<char*>(links + 2), _MM_HINT_T0);
#endif
    for (size_t j = 1; j <= degree; ++j) {
      const int neighbour = links[j];
#ifdef USE_SSE
      _mm_prefetch(reinterpret_cast<char*>(marks + links[j + 1]), _MM_HINT_T0);
      _mm_prefetch(
          index.data_level0_memory_ + links[j + 1] * index.size_data_per_element_ + index.offsetData_,
          _MM_HINT_T0);
#endif
      if (marks[neighbour] == tag) continue;
      marks[neighbour] = tag;
      const float d = distance(neighbour);
      if (results.size() >= ef && !(bound > d)) continue;
      candidates.emplace(-d, neighbour);
#ifdef USE_SSE
      _mm_prefetch(index.data_level0_memory_ + candidates.top().second * index.size_data_per_element_ +
                       index.offsetLevel0_,
                   _MM_HINT_T0);
#endif
      if (allowed(index.getExternalLabel(neighbour))) results.emplace(d, neighbour);
      if (results.size() > ef) results.pop();
      if (!results.empty()) bound = results.top().first;
    }
  }
  index.visited_list_pool_->releaseVisitedList(visited);
  return results;
}

// hnswlib 0.7's searchKnn(query, k, filter): 0.6.2's greedy descent of the
// upper levels (unfiltered, as there), then the filtered base-layer search.
LabelQueue filtered_knn(const Index& index, const void* query, size_t k, hnswlib::BaseFilterFunctor& filter) {
  LabelQueue out;
  if (index.cur_element_count == 0) return out;
  tableint node = index.enterpoint_node_;
  float best = index.fstdistfunc_(query, index.getDataByInternalId(node), index.dist_func_param_);
  for (int level = index.maxlevel_; level > 0; --level) {
    bool changed = true;
    while (changed) {
      changed = false;
      hnswlib::linklistsizeint* list = index.get_linklist(node, level);
      const int size = index.getListCount(list);
      index.metric_hops++;
      index.metric_distance_computations += size;
      const tableint* links = reinterpret_cast<const tableint*>(list + 1);
      for (int i = 0; i < size; ++i) {
        const float d =
            index.fstdistfunc_(query, index.getDataByInternalId(links[i]), index.dist_func_param_);
        if (d < best) {
          best = d;
          node = links[i];
          changed = true;
        }
      }
    }
  }
  NodeQueue top = filtered_base_layer(index, node, query, std::max(index.ef_, k), filter);
  while (top.size() > k) top.pop();
  while (!top.empty()) {
    out.emplace(top.top().first, index.getExternalLabel(top.top().second));
    top.pop();
  }
  return out;
}

#endif  // VS_HNSWLIB_HAS_FILTER

// Empties hnswlib's farthest-first queue into out_labels, closest first.
size_t drain(LabelQueue& top, uint32_t* out_labels) {
  const size_t n = top.size();
  for (size_t i = n; i > 0; --i) {
    out_labels[i - 1] = static_cast<uint32_t>(top.top().second);
    top.pop();
  }
  return n;
}

}  // namespace

struct HnswlibFilterRunner::Impl {
  std::unique_ptr<hnswlib::L2Space> space;
  std::unique_ptr<Index> index;
};

HnswlibFilterRunner::HnswlibFilterRunner(uint32_t dim, size_t count, uint32_t m, uint32_t ef_construction)
    : impl_(std::make_unique<Impl>()) {
  impl_->space = std::make_unique<hnswlib::L2Space>(dim);
  impl_->index = std::make_unique<Index>(impl_->space.get(), count, m, ef_construction);
}

HnswlibFilterRunner::~HnswlibFilterRunner() = default;

void HnswlibFilterRunner::build(const float* vectors, size_t count) {
  if (count == 0) return;
  const size_t dim = *static_cast<const size_t*>(impl_->space->get_dist_func_param());
  Index& index = *impl_->index;
  // As hnswlib's Python binding: the first point alone, then the rest in
  // parallel (addPoint is safe concurrently once an entry point exists).
  index.addPoint(vectors, 0);
  tbb::parallel_for(tbb::blocked_range<size_t>(1, count, 64), [&](const tbb::blocked_range<size_t>& range) {
    for (size_t i = range.begin(); i != range.end(); ++i) index.addPoint(vectors + i * dim, i);
  });
}

void HnswlibFilterRunner::set_ef(size_t ef) { impl_->index->setEf(ef); }

size_t HnswlibFilterRunner::search(const float* query, size_t k, uint32_t* out_labels) const {
  LabelQueue top = impl_->index->searchKnn(query, k);
  return drain(top, out_labels);
}

size_t HnswlibFilterRunner::search_filtered(const float* query, size_t k, const uint64_t* allowed_bits,
                                            uint32_t* out_labels) const {
  BitmapFilter filter(allowed_bits);
  LabelQueue top = filtered_knn(*impl_->index, query, k, filter);
  return drain(top, out_labels);
}

std::string HnswlibFilterRunner::simd_description() {
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

std::string HnswlibFilterRunner::filter_description() {
#if VS_HNSWLIB_HAS_FILTER
  return "hnswlib's own searchKnn(query, k, &functor) with a hnswlib::BaseFilterFunctor";
#else
  return "hnswlib 0.6.2 predates hnswlib::BaseFilterFunctor (added in 0.7.0): the functor is declared with "
         "0.7's "
         "shape and searched with a port of 0.7's filtered searchKnn (0.6.2's deletion-aware base-layer "
         "search, "
         "asking the functor where it asks isMarkedDeleted) over 0.6.2's index";
#endif
}

}  // namespace vs::bench
