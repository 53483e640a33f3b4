// A test fixture shared by the query-layer tests: two small HNSW shards of
// clustered 8-d vectors (even documents in a.vsi, odd in b.vsi, like a hash
// partition spreads them), written with the real shard writer to a temporary
// directory that is removed afterwards. 600 documents unless a derived
// fixture sets count_ before calling SetUp.
#pragma once

#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "format/field_index_writer.h"
#include "format/shard_writer.h"
#include "index/hnsw_builder.h"
#include "simd/distance.h"
#include "test_data.h"

namespace vs::testing {

constexpr uint32_t kDim = 8;

// Which metadata fields a written shard indexes: `only` these (empty: every
// field, as vs-build's default), or with `none` no field indexes at all
// (vs-build --no-index-fields).
struct IndexedFields {
  std::vector<std::string> only;
  bool none = false;
};

class TwoShardTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/vs-query-shards-XXXXXX";
    dir_ = mkdtemp(tmpl);
    vectors_ = clustered_vectors(count_, kDim, 6, 11);
    // Two shards: even documents in a, odd in b, like a hash partition would spread them.
    write("a.vsi", 0, kDim);
    write("b.vsi", 1, kDim);
  }
  void TearDown() override { std::system(("rm -rf '" + dir_ + "'").c_str()); }

  void write(const std::string& name, size_t parity, uint32_t dim, Metric metric = Metric::kL2,
             const IndexedFields& indexed = {}) {
    std::vector<float> part;
    std::vector<std::string> ids, metas;
    for (size_t i = parity; i < count_; i += 2) {
      for (uint32_t d = 0; d < dim; ++d) part.push_back(vectors_[i * kDim + d % kDim]);
      ids.push_back("doc" + std::to_string(i));
      metas.push_back(meta_of(i));
    }
    auto graph = build_hnsw(part, dim, metric, HnswParams{8, 64, 5});
    ASSERT_TRUE(graph.ok()) << graph.status().message();
    FieldSchema schema;
    if (!indexed.none) {
      FieldSchemaBuilder fields(indexed.only);
      for (const std::string& meta : metas) ASSERT_TRUE(fields.add(meta).ok());
      auto finished = fields.finish();
      ASSERT_TRUE(finished.ok()) << finished.status().message();
      schema = std::move(finished).value();
    }
    auto field_index = encode_field_index(schema, metas);
    ASSERT_TRUE(field_index.ok()) << field_index.status().message();
    auto written = write_shard(Env::posix(), dir_ + "/" + name, *graph, ids, metas, *field_index);
    ASSERT_TRUE(written.ok()) << written.status().message();
  }

  std::string path(const std::string& name) const { return dir_ + "/" + name; }

  // Document i's metadata: a string field with 5 values, a number, and a tag
  // array (every document is "all", every third also "third").
  static std::string meta_of(size_t i) {
    return "{\"group\":\"g" + std::to_string(i % 5) + "\",\"n\":" + std::to_string(i) + ",\"tags\":[\"all\"" +
           (i % 3 == 0 ? ",\"third\"" : "") + "]}";
  }

  // The brute-force top-k over all count_ documents, as scores.
  std::vector<std::pair<std::string, float>> brute_force(std::span<const float> query, size_t k) const {
    std::vector<std::pair<std::string, float>> all;
    for (size_t i = 0; i < count_; ++i) {
      float distance = simd::scalar_kernels().l2sq(query.data(), &vectors_[i * kDim], kDim);
      all.emplace_back("doc" + std::to_string(i), score_from_distance(Metric::kL2, distance));
    }
    std::sort(all.begin(), all.end(), [](const auto& a, const auto& b) {
      return a.second != b.second ? a.second > b.second : a.first < b.first;
    });
    all.resize(k);
    return all;
  }

  size_t count_ = 600;
  std::string dir_;
  std::vector<float> vectors_;
};

}  // namespace vs::testing
