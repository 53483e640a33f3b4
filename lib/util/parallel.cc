#include "util/parallel.h"

#include <tbb/blocked_range.h>
#include <tbb/global_control.h>
#include <tbb/parallel_for.h>
#include <tbb/parallel_pipeline.h>
#include <tbb/task_arena.h>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <exception>
#include <mutex>
#include <thread>

#if defined(__SANITIZE_THREAD__)
#define VS_PARALLEL_STD_THREADS 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define VS_PARALLEL_STD_THREADS 1
#endif
#endif

namespace vs {

size_t parallel_concurrency() {
  const size_t arena = static_cast<size_t>(std::max(1, tbb::this_task_arena::max_concurrency()));
  const size_t allowed = tbb::global_control::active_value(tbb::global_control::max_allowed_parallelism);
  return std::max<size_t>(1, std::min(arena, allowed));
}

#if !defined(VS_PARALLEL_STD_THREADS)

void parallel_for(size_t begin, size_t end, size_t grain, const std::function<void(size_t, size_t)>& body) {
  tbb::parallel_for(tbb::blocked_range<size_t>(begin, end, std::max<size_t>(1, grain)),
                    [&](const tbb::blocked_range<size_t>& range) { body(range.begin(), range.end()); });
}

namespace detail {

void run_pipeline(size_t max_live_items, const std::function<void*()>& source,
                  const std::vector<PipelineStage>& stages) {
  auto mode = [](StageMode m) {
    return m == StageMode::kSerial ? tbb::filter_mode::serial_in_order : tbb::filter_mode::parallel;
  };
  tbb::filter<void, void*> chain =
      tbb::make_filter<void, void*>(tbb::filter_mode::serial_in_order, [&](tbb::flow_control& control) {
        void* item = source();
        if (item == nullptr) control.stop();
        return item;
      });
  for (size_t i = 0; i + 1 < stages.size(); ++i) {
    const PipelineStage& stage = stages[i];
    chain = chain & tbb::make_filter<void*, void*>(mode(stage.mode), [&stage](void* item) {
              stage.run(item);
              return item;
            });
  }
  if (stages.empty()) {
    tbb::parallel_pipeline(max_live_items, chain & tbb::make_filter<void*, void>(tbb::filter_mode::parallel,
                                                                                  [](void*) {}));
    return;
  }
  const PipelineStage& last = stages.back();
  tbb::parallel_pipeline(max_live_items,
                         chain & tbb::make_filter<void*, void>(mode(last.mode), [&last](void* item) { last.run(item); }));
}

}  // namespace detail

#else  // std::threads, for ThreadSanitizer

namespace {

// The first exception thrown by any worker; the others stop at their next check.
class FirstError {
 public:
  void capture() {
    std::lock_guard<std::mutex> guard(lock_);
    if (!error_) error_ = std::current_exception();
    failed_.store(true);
  }
  bool failed() const { return failed_.load(); }
  void rethrow() const {
    if (error_) std::rethrow_exception(error_);
  }

 private:
  std::mutex lock_;
  std::exception_ptr error_;
  std::atomic<bool> failed_{false};
};

// Runs `work` on `count` threads (the caller is one of them) and joins them.
void on_threads(size_t count, const std::function<void()>& work) {
  std::vector<std::thread> threads;
  threads.reserve(count - 1);
  for (size_t i = 1; i < count; ++i) threads.emplace_back(work);
  work();
  for (std::thread& t : threads) t.join();
}

}  // namespace

void parallel_for(size_t begin, size_t end, size_t grain, const std::function<void(size_t, size_t)>& body) {
  if (begin >= end) return;
  grain = std::max<size_t>(1, grain);
  const size_t chunks = (end - begin + grain - 1) / grain;
  std::atomic<size_t> next{begin};
  FirstError error;
  on_threads(std::min(chunks, parallel_concurrency()), [&] {
    while (!error.failed()) {
      const size_t from = next.fetch_add(grain);
      if (from >= end) return;
      try {
        body(from, std::min(end, from + grain));
      } catch (...) {
        error.capture();
      }
    }
  });
  error.rethrow();
}

namespace detail {

void run_pipeline(size_t max_live_items, const std::function<void*()>& source,
                  const std::vector<PipelineStage>& stages) {
  std::mutex source_lock;  // the source runs serially
  bool source_done = false;
  uint64_t next_sequence = 0;
  std::mutex turn_lock;  // serial stages run in source order
  std::condition_variable turn_changed;
  std::vector<uint64_t> turn(stages.size(), 0);
  FirstError error;

  auto worker = [&] {
    while (!error.failed()) {
      void* item = nullptr;
      uint64_t sequence = 0;
      {
        std::lock_guard<std::mutex> guard(source_lock);
        if (source_done) return;
        try {
          item = source();
        } catch (...) {
          error.capture();
        }
        if (item == nullptr) {
          source_done = true;
          break;
        }
        sequence = next_sequence++;
      }
      for (size_t i = 0; i < stages.size() && !error.failed(); ++i) {
        const bool serial = stages[i].mode == StageMode::kSerial;
        if (serial) {
          std::unique_lock<std::mutex> lock(turn_lock);
          turn_changed.wait(lock, [&] { return error.failed() || turn[i] == sequence; });
          if (error.failed()) break;
        }
        try {
          stages[i].run(item);
        } catch (...) {
          error.capture();
        }
        if (serial) {
          std::lock_guard<std::mutex> guard(turn_lock);
          ++turn[i];
          turn_changed.notify_all();
        }
      }
    }
    // Wake any worker waiting for a turn that a failed item will never take.
    std::lock_guard<std::mutex> guard(turn_lock);
    turn_changed.notify_all();
  };
  on_threads(std::max<size_t>(1, std::min(max_live_items, parallel_concurrency())), worker);
  error.rethrow();
}

}  // namespace detail

#endif

}  // namespace vs
