// util/parallel.h: in a normal build these run on oneTBB, in the TSan build
// (scripts/test-sanitizers.sh) on std::threads; both must keep the promises.
#include "util/parallel.h"

#include <gtest/gtest.h>
#include <tbb/task_arena.h>

#include <atomic>
#include <mutex>
#include <stdexcept>
#include <thread>
#include <vector>

namespace vs {
namespace {

TEST(ParallelFor, CoversEveryIndexExactlyOnce) {
  for (size_t grain : {1, 7, 64, 1000}) {
    std::vector<std::atomic<int>> seen(10007);
    parallel_for(3, seen.size(), grain, [&](size_t begin, size_t end) {
      ASSERT_LT(begin, end);
      ASSERT_LE(end, seen.size());
      for (size_t i = begin; i < end; ++i) seen[i].fetch_add(1);
    });
    for (size_t i = 0; i < seen.size(); ++i) ASSERT_EQ(seen[i].load(), i < 3 ? 0 : 1) << "grain " << grain << " i " << i;
  }
  bool called = false;
  parallel_for(5, 5, 1, [&](size_t, size_t) { called = true; });
  EXPECT_FALSE(called);
}

TEST(ParallelFor, WritesBeforeAndInsideAreVisibleAfter) {
  std::vector<size_t> out(5000, 0);
  const size_t offset = 17;  // written before, read inside
  parallel_for(0, out.size(), 16, [&](size_t begin, size_t end) {
    for (size_t i = begin; i < end; ++i) out[i] = i + offset;
  });
  for (size_t i = 0; i < out.size(); ++i) ASSERT_EQ(out[i], i + offset);
}

TEST(ParallelFor, RethrowsABodysException) {
  std::atomic<size_t> ran{0};
  EXPECT_THROW(parallel_for(0, 1000, 1,
                            [&](size_t begin, size_t) {
                              ran.fetch_add(1);
                              if (begin == 500) throw std::runtime_error("body 500");
                            }),
               std::runtime_error);
  EXPECT_GE(ran.load(), 1u);
}

TEST(ParallelFor, HonoursTheArenaSize) {
  tbb::task_arena one(1);
  std::mutex lock;
  std::vector<std::thread::id> threads;
  one.execute([&] {
    EXPECT_EQ(parallel_concurrency(), 1u);
    parallel_for(0, 100, 1, [&](size_t begin, size_t end) {
      std::lock_guard<std::mutex> guard(lock);
      for (size_t i = begin; i < end; ++i) threads.push_back(std::this_thread::get_id());
    });
  });
  ASSERT_EQ(threads.size(), 100u);
  for (auto id : threads) EXPECT_EQ(id, threads.front());
}

struct Item {
  int number = 0;
  int squared = 0;
};

TEST(Pipeline, SerialStagesSeeItemsInSourceOrder) {
  std::vector<Item> items(500);
  int next = 0;
  std::vector<int> delivered;
  std::atomic<int> live{0};
  std::atomic<int> most_live{0};
  const size_t max_live = 3;
  Pipeline<Item> pipeline([&]() -> Item* {
    if (next == static_cast<int>(items.size())) return nullptr;
    Item* item = &items[next];
    item->number = next++;
    int now = live.fetch_add(1) + 1;
    int seen = most_live.load();
    while (now > seen && !most_live.compare_exchange_weak(seen, now)) {
    }
    return item;
  });
  pipeline.then(StageMode::kParallel, [](Item& item) { item.squared = item.number * item.number; })
      .then(StageMode::kSerial, [&](Item& item) {
        delivered.push_back(item.squared);
        live.fetch_sub(1);
      });
  pipeline.run(max_live);
  ASSERT_EQ(delivered.size(), items.size());
  for (size_t i = 0; i < delivered.size(); ++i) ASSERT_EQ(delivered[i], static_cast<int>(i * i));
  EXPECT_LE(most_live.load(), static_cast<int>(max_live));
  EXPECT_EQ(live.load(), 0);
}

TEST(Pipeline, AnEmptySourceRunsNoStage) {
  bool ran = false;
  Pipeline<Item>([]() -> Item* { return nullptr; }).then(StageMode::kSerial, [&](Item&) { ran = true; }).run(4);
  EXPECT_FALSE(ran);
}

TEST(Pipeline, RethrowsAStagesExceptionAndStops) {
  std::vector<Item> items(10000);
  std::atomic<size_t> taken{0};
  Pipeline<Item> pipeline([&]() -> Item* {
    size_t i = taken.load();
    if (i == items.size()) return nullptr;
    taken.store(i + 1);
    items[i].number = static_cast<int>(i);
    return &items[i];
  });
  std::vector<int> delivered;
  pipeline
      .then(StageMode::kParallel,
            [](Item& item) {
              if (item.number == 20) throw std::runtime_error("item 20");
            })
      .then(StageMode::kSerial, [&](Item& item) { delivered.push_back(item.number); });
  EXPECT_THROW(pipeline.run(4), std::runtime_error);
  EXPECT_LT(taken.load(), items.size());
  // In order, and never past the failed item.
  for (size_t i = 0; i < delivered.size(); ++i) ASSERT_EQ(delivered[i], static_cast<int>(i));
  EXPECT_LE(delivered.size(), 20u);
}

}  // namespace
}  // namespace vs
