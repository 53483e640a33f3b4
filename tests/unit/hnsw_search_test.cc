// HNSW build + search: recall against exact search, and edge cases.
#include <gtest/gtest.h>

#include <algorithm>
#include <random>
#include <set>

#include "index/exact_search.h"
#include "index/hnsw_builder.h"
#include "index/hnsw_search.h"
#include "index/sq8.h"
#include "test_data.h"

namespace vs {
namespace {

double recall_at_k(const BuiltGraph& graph, const std::vector<float>& queries, size_t dim, size_t k, size_t ef) {
  GraphView view = graph.view();
  SearchContext context;
  std::vector<Neighbor> approx, exact;
  size_t found = 0, total = 0;
  for (size_t q = 0; q * dim < queries.size(); ++q) {
    std::span<const float> query(queries.data() + q * dim, dim);
    hnsw_search(view, query, k, ef, context, approx);
    exact_search(view, query, k, context, exact);
    std::set<uint32_t> truth;
    for (const Neighbor& n : exact) truth.insert(n.node);
    for (const Neighbor& n : approx) found += truth.count(n.node);
    total += exact.size();
  }
  return static_cast<double>(found) / static_cast<double>(total);
}

TEST(Hnsw, RecallAtTenOnClusteredData) {
  const size_t dim = 64;
  auto base = testing::clustered_vectors(20000, dim, 50, 1);
  // Queries: perturbed copies of base vectors spread over the set.
  std::mt19937 rng(9);
  std::normal_distribution<float> noise(0.0f, 0.5f);
  std::vector<float> queries(300 * dim);
  for (size_t i = 0; i < queries.size(); ++i) queries[i] = base[(i / dim) * 67 * dim + i % dim] + noise(rng);
  auto graph = build_hnsw(base, dim, Metric::kL2, HnswParams{16, 200, 42});
  ASSERT_TRUE(graph.ok()) << graph.status().message();
  double recall = recall_at_k(*graph, queries, dim, 10, 64);
  EXPECT_GE(recall, 0.95);
}

// sq8 traversal with exact rerank must keep recall, for every metric.
class Sq8Test : public ::testing::TestWithParam<Metric> {};

TEST_P(Sq8Test, RecallMatchesFloatGraph) {
  const size_t dim = 48;
  const Metric metric = GetParam();
  auto base = testing::clustered_vectors(8000, dim, 30, 12, metric == Metric::kCosine);
  std::mt19937 rng(13);
  std::normal_distribution<float> noise(0.0f, 0.05f);
  std::vector<float> queries(200 * dim);
  for (size_t i = 0; i < queries.size(); ++i) queries[i] = base[(i / dim) * 37 * dim + i % dim] + noise(rng);
  if (metric == Metric::kCosine) {
    for (size_t q = 0; q < 200; ++q) simd::normalize({queries.data() + q * dim, dim});
  }
  HnswParams params;
  params.sq8 = true;
  auto graph = build_hnsw(base, dim, metric, params);
  ASSERT_TRUE(graph.ok());
  ASSERT_TRUE(graph->view().quantized());
  EXPECT_GE(recall_at_k(*graph, queries, dim, 10, 64), 0.95);

  // Scores after rerank are exact: the first hit's distance equals exact search's.
  SearchContext context;
  std::vector<Neighbor> approx, exact;
  hnsw_search(graph->view(), {queries.data(), dim}, 1, 64, context, approx);
  exact_search(graph->view(), {queries.data(), dim}, 1, context, exact);
  ASSERT_EQ(approx.size(), 1u);
  EXPECT_EQ(approx[0].node, exact[0].node);
  EXPECT_FLOAT_EQ(approx[0].distance, exact[0].distance);
}

INSTANTIATE_TEST_SUITE_P(Metrics, Sq8Test, ::testing::Values(Metric::kL2, Metric::kCosine, Metric::kIP));

TEST(Sq8, EncodesWithinHalfAStep) {
  std::vector<float> v = {0.0f, 1.0f, 0.5f, 2.0f, -1.0f, 3.0f};  // two 3-d vectors
  Sq8Ranges r = train_sq8(v, 3);
  uint8_t codes[16];
  encode_sq8(v.data() + 3, 3, r.min.data(), r.scale.data(), codes);
  EXPECT_EQ(codes[0], 255);  // 2.0 is the max of dimension 0
  EXPECT_EQ(codes[1], 0);    // -1.0 is the min of dimension 1
  EXPECT_EQ(codes[2], 255);
  for (int d = 3; d < 16; ++d) EXPECT_EQ(codes[d], 0);
  EXPECT_EQ(r.scale[3], 0.0f);  // padding
}

TEST(Hnsw, CosineRecall) {
  const size_t dim = 32;
  auto base = testing::clustered_vectors(5000, dim, 20, 3, /*normalise=*/true);
  std::mt19937 rng(4);
  std::normal_distribution<float> noise(0.0f, 0.05f);
  std::vector<float> queries(200 * dim);
  for (size_t i = 0; i < queries.size(); ++i) queries[i] = base[(i / dim) * 23 * dim + i % dim] + noise(rng);
  for (size_t q = 0; q < 200; ++q) simd::normalize({queries.data() + q * dim, dim});
  auto graph = build_hnsw(base, dim, Metric::kCosine, HnswParams{});
  ASSERT_TRUE(graph.ok());
  EXPECT_GE(recall_at_k(*graph, queries, dim, 10, 64), 0.95);
  // Out-of-distribution queries (other cluster centres) are harder, but a wide
  // search must still find nearly everything.
  auto far_queries = testing::clustered_vectors(200, dim, 20, 5, true);
  EXPECT_GE(recall_at_k(*graph, far_queries, dim, 10, 400), 0.97);
}

TEST(Hnsw, SelfQueriesFindThemselves) {
  const size_t dim = 16;
  auto base = testing::clustered_vectors(3000, dim, 10, 5);
  auto graph = build_hnsw(base, dim, Metric::kL2, HnswParams{});
  ASSERT_TRUE(graph.ok());
  SearchContext context;
  std::vector<Neighbor> out;
  size_t self_first = 0;
  for (uint32_t i = 0; i < 3000; i += 7) {
    hnsw_search(graph->view(), {base.data() + i * dim, dim}, 1, 32, context, out);
    ASSERT_EQ(out.size(), 1u);
    self_first += out[0].node == i;
  }
  EXPECT_EQ(self_first, 429u);
}

TEST(Hnsw, EveryNodeIsReachableFromTheEntryPoint) {
  const size_t dim = 16;
  for (uint32_t seed : {21u, 22u, 23u}) {
    auto base = testing::clustered_vectors(4000, dim, 10, seed);
    auto graph = build_hnsw(base, dim, Metric::kL2, HnswParams{8, 40, seed});
    ASSERT_TRUE(graph.ok());
    GraphView v = graph->view();
    std::vector<char> seen(v.count, 0);
    std::vector<uint32_t> queue{v.entry_point};
    seen[v.entry_point] = 1;
    for (size_t head = 0; head < queue.size(); ++head) {
      const uint32_t* links = v.links0(queue[head]);
      for (uint32_t j = 0; j < links[0]; ++j) {
        if (!seen[links[1 + j]]) {
          seen[links[1 + j]] = 1;
          queue.push_back(links[1 + j]);
        }
      }
    }
    EXPECT_EQ(queue.size(), v.count) << "seed " << seed;
  }
}

TEST(Hnsw, DegreesRespectLimitsAndLinksAreValid) {
  const size_t dim = 8;
  auto base = testing::clustered_vectors(2000, dim, 5, 6);
  auto graph = build_hnsw(base, dim, Metric::kL2, HnswParams{8, 50, 1});
  ASSERT_TRUE(graph.ok());
  GraphView v = graph->view();
  for (uint32_t i = 0; i < v.count; ++i) {
    const uint32_t* l0 = v.links0(i);
    ASSERT_LE(l0[0], v.m0);
    ASSERT_GE(l0[0], 1u);
    for (uint32_t j = 0; j < l0[0]; ++j) {
      ASSERT_LT(l0[1 + j], v.count);
      ASSERT_NE(l0[1 + j], i);
    }
    for (int level = 1; level <= v.levels[i]; ++level) {
      const uint32_t* l = v.links(i, level);
      ASSERT_LE(l[0], v.m);
      for (uint32_t j = 0; j < l[0]; ++j) ASSERT_GE(v.levels[l[1 + j]], level);
    }
  }
  EXPECT_EQ(v.levels[v.entry_point], v.max_level);
}

TEST(Hnsw, TinyAndEmptyInputs) {
  std::vector<float> one = {1, 2, 3};
  auto graph = build_hnsw(one, 3, Metric::kL2, HnswParams{});
  ASSERT_TRUE(graph.ok());
  SearchContext context;
  std::vector<Neighbor> out;
  hnsw_search(graph->view(), one, 10, 10, context, out);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].node, 0u);

  auto empty = build_hnsw({}, 3, Metric::kL2, HnswParams{});
  ASSERT_TRUE(empty.ok());
  hnsw_search(empty->view(), one, 10, 10, context, out);
  EXPECT_TRUE(out.empty());
}

TEST(Hnsw, RejectsBadParameters) {
  std::vector<float> v(8, 1.0f);
  EXPECT_EQ(build_hnsw(v, 4, Metric::kL2, HnswParams{1, 10, 1}).status().code(), Code::kUsage);
  EXPECT_EQ(build_hnsw(v, 0, Metric::kL2, HnswParams{}).status().code(), Code::kUsage);
  EXPECT_EQ(build_hnsw(v, 3, Metric::kL2, HnswParams{}).status().code(), Code::kInternal);
}

TEST(ExactSearch, SortedAndDeterministic) {
  std::vector<float> v = {0, 0, 1, 0, 2, 0, 3, 0, 1, 0};
  auto graph = build_hnsw(v, 2, Metric::kL2, HnswParams{});
  ASSERT_TRUE(graph.ok());
  SearchContext context;
  std::vector<Neighbor> out;
  const float q[2] = {1.1f, 0};
  exact_search(graph->view(), q, 3, context, out);
  ASSERT_EQ(out.size(), 3u);
  EXPECT_EQ(out[0].node, 1u);  // ties between nodes 1 and 4 resolve by node id
  EXPECT_EQ(out[1].node, 4u);
  EXPECT_EQ(out[2].node, 2u);
}

}  // namespace
}  // namespace vs
