// ShardSet over real shard files built in-process: search, merge, open errors.
#include "query/shard_set.h"

#include <gtest/gtest.h>

#include <fstream>
#include <iterator>

#include "format/manifest.h"
#include "query/query.h"
#include "shard_fixture.h"

namespace vs {
namespace {

using ShardSetTest = testing::TwoShardTest;
using testing::kDim;

TEST_F(ShardSetTest, OpensFilesAndReportsDimAndMetric) {
  auto set = ShardSet::open({path("a.vsi"), path("b.vsi")});
  ASSERT_TRUE(set.ok()) << set.status().message();
  EXPECT_EQ(set->shard_count(), 2u);
  EXPECT_EQ(set->dim(), kDim);
  EXPECT_EQ(set->metric(), Metric::kL2);
}

TEST_F(ShardSetTest, ExactSearchEqualsBruteForceOverTheUnion) {
  auto set = ShardSet::open({path("a.vsi"), path("b.vsi")});
  ASSERT_TRUE(set.ok()) << set.status().message();
  SearchScratch scratch;
  std::vector<Hit> hits;
  for (size_t q = 0; q < 600; q += 37) {
    std::span<const float> query(&vectors_[q * kDim], kDim);
    set->search(query, SearchParams{10, 64, true}, scratch, hits);
    auto expected = brute_force(query, 10);
    ASSERT_EQ(hits.size(), 10u);
    EXPECT_EQ(hits[0].id, "doc" + std::to_string(q));
    for (size_t i = 0; i < 10; ++i) {
      EXPECT_EQ(hits[i].id, expected[i].first) << "query " << q << " rank " << i;
      EXPECT_FLOAT_EQ(hits[i].score, expected[i].second);
    }
  }
}

TEST_F(ShardSetTest, HnswFindsEachDocumentFirst) {
  auto set = ShardSet::open({path("a.vsi"), path("b.vsi")});
  ASSERT_TRUE(set.ok()) << set.status().message();
  SearchScratch scratch;
  std::vector<Hit> hits;
  size_t found = 0;
  for (size_t q = 0; q < 600; ++q) {
    set->search(std::span<const float>(&vectors_[q * kDim], kDim), SearchParams{5, 32, false}, scratch, hits);
    ASSERT_LE(hits.size(), 5u);
    found += !hits.empty() && hits[0].id == "doc" + std::to_string(q);
    for (size_t i = 1; i < hits.size(); ++i) EXPECT_GE(hits[i - 1].score, hits[i].score);
  }
  EXPECT_GE(found, 590u);
}

TEST_F(ShardSetTest, SameShardTwiceGivesNoDuplicateIds) {
  auto set = ShardSet::open({path("a.vsi"), path("a.vsi")});
  ASSERT_TRUE(set.ok()) << set.status().message();
  SearchScratch scratch;
  std::vector<Hit> hits;
  set->search(std::span<const float>(&vectors_[0], kDim), SearchParams{20, 64, true}, scratch, hits);
  ASSERT_EQ(hits.size(), 20u);
  for (size_t i = 0; i < hits.size(); ++i) {
    for (size_t j = i + 1; j < hits.size(); ++j) EXPECT_NE(hits[i].id, hits[j].id);
  }
}

TEST_F(ShardSetTest, KLargerThanTheIndexReturnsEverything) {
  auto set = ShardSet::open({path("a.vsi"), path("b.vsi")});
  ASSERT_TRUE(set.ok());
  SearchScratch scratch;
  std::vector<Hit> hits;
  set->search(std::span<const float>(&vectors_[0], kDim), SearchParams{1000, 64, true}, scratch, hits);
  EXPECT_EQ(hits.size(), 600u);
}

TEST_F(ShardSetTest, DimOrMetricMismatchIsUsageNamingTheShard) {
  write("wide.vsi", 0, kDim * 2);
  auto set = ShardSet::open({path("a.vsi"), path("wide.vsi")});
  ASSERT_FALSE(set.ok());
  EXPECT_EQ(set.status().code(), Code::kUsage);
  EXPECT_NE(set.status().message().find("wide.vsi"), std::string::npos) << set.status().message();

  write("ip.vsi", 0, kDim, Metric::kIP);
  set = ShardSet::open({path("a.vsi"), path("ip.vsi")});
  ASSERT_FALSE(set.ok());
  EXPECT_EQ(set.status().code(), Code::kUsage);
  EXPECT_NE(set.status().message().find("ip.vsi"), std::string::npos) << set.status().message();
}

TEST_F(ShardSetTest, OpensADirectoryThroughItsManifest) {
  Manifest manifest;
  manifest.dim = kDim;
  manifest.metric = Metric::kL2;
  manifest.m = 8;
  manifest.ef_construction = 64;
  manifest.count = 600;
  manifest.generation = 1;
  manifest.shards = {ManifestShard{"a.vsi", 300, 0, 0}, ManifestShard{"b.vsi", 300, 0, 0}};
  ASSERT_TRUE(write_manifest(Env::posix(), dir_, manifest).ok());
  auto set = ShardSet::open({dir_});
  ASSERT_TRUE(set.ok()) << set.status().message();
  EXPECT_EQ(set->shard_count(), 2u);
}

TEST_F(ShardSetTest, MissingShardIsAnError) {
  auto set = ShardSet::open({path("nope.vsi")});
  ASSERT_FALSE(set.ok());
  EXPECT_NE(set.status().message().find("nope.vsi"), std::string::npos);
}

TEST_F(ShardSetTest, VerifyFindsAFlippedVectorByte) {
  std::string bytes;
  {
    std::ifstream in(path("a.vsi"), std::ios::binary);
    bytes.assign(std::istreambuf_iterator<char>(in), {});
  }
  // The first section (nodes, vectors first) starts after the header and section table.
  size_t offset = 128 + 11 * 32;
  offset = (offset + 63) / 64 * 64 + 4;
  bytes[offset] ^= 0x40;
  {
    std::ofstream out(path("a.vsi"), std::ios::binary | std::ios::trunc);
    out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  }
  EXPECT_TRUE(ShardSet::open({path("a.vsi")}, false).ok());
  auto set = ShardSet::open({path("a.vsi")}, true);
  ASSERT_FALSE(set.ok());
  EXPECT_EQ(set.status().code(), Code::kCorruption);
  EXPECT_NE(set.status().message().find("a.vsi"), std::string::npos) << set.status().message();
}

// Shards of different builds may index different fields. A filter must fit
// every shard, or a shard lacking the field would silently match nothing; the
// error names that shard, whichever order the shards come in.
TEST_F(ShardSetTest, FiltersAreCheckedAgainstEveryShardsFields) {
  write("none.vsi", 0, kDim, Metric::kL2, testing::IndexedFields{.none = true});
  write("group.vsi", 1, kDim, Metric::kL2, testing::IndexedFields{.only = {"group"}});
  auto must_parse = [](std::string_view text) {
    auto filter = parse_filter(text);
    EXPECT_TRUE(filter.ok()) << filter.status().message();
    return filter.ok() ? *filter : Filter{};
  };
  const Filter on_n = must_parse(R"({"n": {"lt": 10}})");
  const Filter on_group = must_parse(R"({"group": "g1"})");

  // One build: one field list, and the message of a single index.
  auto same = ShardSet::open({path("a.vsi"), path("b.vsi")});
  ASSERT_TRUE(same.ok());
  EXPECT_EQ(same->fields().size(), 1u);
  EXPECT_TRUE(same->check_filter(on_n).ok());
  EXPECT_EQ(same->check_filter(must_parse(R"({"x": 1})")).message(),
            "filter: field 'x' is not indexed (indexed: group, n, tags)");
  EXPECT_EQ(same->common_fields(), (std::vector<std::string_view>{"group", "n", "tags"}));

  const std::string none_error =
      "filter: shard '" + path("none.vsi") +
      "': field 'n' is not indexed (this index has no field indexes; rebuild it with "
      "vs-build --index-fields)";
  for (const auto& order : {std::vector<std::string>{path("none.vsi"), path("a.vsi"), path("b.vsi")},
                            std::vector<std::string>{path("a.vsi"), path("b.vsi"), path("none.vsi")}}) {
    auto set = ShardSet::open(order);
    ASSERT_TRUE(set.ok());
    EXPECT_EQ(set->fields().size(), 2u);
    Status checked = set->check_filter(on_n);
    EXPECT_EQ(checked.code(), Code::kBadData);
    EXPECT_EQ(checked.message(), none_error);
    EXPECT_TRUE(set->common_fields().empty());
    // Query lines are checked the same way.
    QueryParser parser(kDim, Metric::kL2);
    parser.set_fields(set->fields());
    Query query;
    EXPECT_EQ(parser.parse(R"({"vector":[1,2,3,4,5,6,7,8],"filter":{"n":1}})", "q.jsonl", 2, query).message(),
              "q.jsonl:2: " + none_error);
  }

  // A field one build indexes and another does not; then one both index.
  auto mixed = ShardSet::open({path("a.vsi"), path("group.vsi")});
  ASSERT_TRUE(mixed.ok());
  EXPECT_EQ(mixed->check_filter(on_n).message(),
            "filter: shard '" + path("group.vsi") + "': field 'n' is not indexed (indexed: group)");
  EXPECT_TRUE(mixed->check_filter(on_group).ok());
  EXPECT_TRUE(mixed->check_filter(Filter{}).ok());
  EXPECT_EQ(mixed->common_fields(), std::vector<std::string_view>{"group"});
  EXPECT_TRUE(ShardSet{}.check_filter(on_n).ok());  // no local shards: remote ones check
}

}  // namespace
}  // namespace vs
