// parallel_for and Pipeline: the two shapes of parallelism in vs (the HNSW
// build and the per-query searches; the ingest and query pipelines).
//
// Both run on oneTBB, on the threads of the calling task_arena (and within
// any tbb::global_control limit). Built with ThreadSanitizer they run on plain
// std::threads instead, with the same guarantees: Debian's oneTBB is not
// instrumented, so TSan cannot see the ordering TBB's scheduler creates and
// would report every hand-off as a race (docs/RELIABILITY.md). With threads it
// sees mutexes, condition variables and joins, so every race in vs's own code
// run by these is reported, and none that is not one.
//
// Guarantees, in both modes:
//   - parallel_for calls `body` on disjoint sub-ranges that cover
//     [begin, end) exactly once, concurrently, and returns when all are done;
//   - a Pipeline takes items from its source one at a time, in order, until
//     it returns nullptr, and passes each through its stages in the order they
//     were added; a serial stage sees one item at a time in source order, a
//     parallel stage several at once; at most max_live_items are in flight;
//   - what the caller did before the call happens before every body or stage,
//     and every body or stage happens before the call returns;
//   - an exception thrown by a body or stage stops the work and is rethrown
//     to the caller.
#pragma once

#include <cstddef>
#include <functional>
#include <utility>
#include <vector>

namespace vs {

// The number of threads parallel work started here may use.
size_t parallel_concurrency();

void parallel_for(size_t begin, size_t end, size_t grain, const std::function<void(size_t, size_t)>& body);

enum class StageMode { kSerial, kParallel };

namespace detail {
struct PipelineStage {
  StageMode mode;
  std::function<void(void*)> run;
};
void run_pipeline(size_t max_live_items, const std::function<void*()>& source,
                  const std::vector<PipelineStage>& stages);
}  // namespace detail

template <typename Item>
class Pipeline {
 public:
  // `source` runs serially; it returns the next item, or nullptr when there is none.
  explicit Pipeline(std::function<Item*()> source) : source_(std::move(source)) {}

  Pipeline& then(StageMode mode, std::function<void(Item&)> stage) {
    stages_.push_back({mode, [stage = std::move(stage)](void* item) { stage(*static_cast<Item*>(item)); }});
    return *this;
  }

  void run(size_t max_live_items) const {
    detail::run_pipeline(max_live_items, [this] { return static_cast<void*>(source_()); }, stages_);
  }

 private:
  std::function<Item*()> source_;
  std::vector<detail::PipelineStage> stages_;
};

}  // namespace vs
