// merge_top_k: deduplication, ranking and truncation of hits.
#include "query/hit.h"

#include <gtest/gtest.h>

namespace vs {
namespace {

TEST(MergeTopKTest, DeduplicatesKeepsBestAndRanks) {
  std::vector<Hit> hits{{"b", 0.5f}, {"a", 0.9f}, {"c", 0.7f}, {"b", 0.95f}, {"a", 0.1f}, {"d", 0.7f}};
  merge_top_k(hits, 3);
  ASSERT_EQ(hits.size(), 3u);
  EXPECT_EQ(hits[0].id, "b");
  EXPECT_EQ(hits[0].score, 0.95f);
  EXPECT_EQ(hits[1].id, "a");
  EXPECT_EQ(hits[1].score, 0.9f);
  EXPECT_EQ(hits[2].id, "c");  // ties on score: the smaller id first
}

TEST(MergeTopKTest, FewerThanK) {
  std::vector<Hit> hits{{"x", -2.0f}, {"y", -1.0f}, {"x", -3.0f}};
  merge_top_k(hits, 10);
  ASSERT_EQ(hits.size(), 2u);
  EXPECT_EQ(hits[0].id, "y");
  EXPECT_EQ(hits[1].id, "x");
  EXPECT_EQ(hits[1].score, -2.0f);
}

TEST(MergeTopKTest, EmptyAndZeroK) {
  std::vector<Hit> hits;
  merge_top_k(hits, 5);
  EXPECT_TRUE(hits.empty());
  hits = {{"a", 1.0f}};
  merge_top_k(hits, 0);
  EXPECT_TRUE(hits.empty());
}

}  // namespace
}  // namespace vs
