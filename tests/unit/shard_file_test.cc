// .vsi round trip, and detection of truncation and corruption.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstddef>
#include <cstring>
#include <fstream>
#include <iterator>

#include "format/shard_layout.h"
#include "format/shard_reader.h"
#include "format/shard_writer.h"
#include "index/hnsw_search.h"
#include "test_data.h"
#include "util/hash.h"

namespace vs {
namespace {

std::string read_all(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), {}};
}

class ShardFileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/vs-shard-test-XXXXXX";
    dir_ = mkdtemp(tmpl);
    path_ = dir_ + "/a.vsi";
    vectors_ = testing::clustered_vectors(500, kDim, 5, 2);
    auto graph = build_hnsw(vectors_, kDim, Metric::kL2, HnswParams{8, 40, 3});
    ASSERT_TRUE(graph.ok());
    for (int i = 0; i < 500; ++i) {
      ids_.push_back("doc" + std::to_string(i));
      metas_.push_back(R"({"n":)" + std::to_string(i) + "}");
    }
    auto written = write_shard(Env::posix(), path_, *graph, ids_, metas_, "");
    ASSERT_TRUE(written.ok()) << written.status().message();
    bytes_ = read_all(path_);
    ASSERT_EQ(written->bytes, bytes_.size());
  }
  void TearDown() override { std::system(("rm -rf '" + dir_ + "'").c_str()); }

  void write_variant(const std::string& bytes) {
    std::ofstream out(path_, std::ios::binary | std::ios::trunc);
    out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  }

  static constexpr uint32_t kDim = 12;
  std::string dir_, path_, bytes_;
  std::vector<float> vectors_;
  std::vector<std::string> ids_, metas_;
};

TEST_F(ShardFileTest, RoundTripKeepsVectorsIdsMetaAndSearch) {
  auto reader = ShardReader::open(path_);
  ASSERT_TRUE(reader.ok()) << reader.status().message();
  const ShardReader& r = **reader;
  EXPECT_EQ(r.dim(), kDim);
  EXPECT_EQ(r.count(), 500u);
  EXPECT_EQ(r.metric(), Metric::kL2);
  EXPECT_TRUE(r.verify().ok());
  // A float l2 shard stores its vectors' dimensions in the builder's order.
  const uint32_t* order = r.graph().dim_order;
  ASSERT_NE(order, nullptr);
  for (uint32_t i = 0; i < 500; i += 50) {
    EXPECT_EQ(r.id(i), ids_[i]);
    EXPECT_EQ(r.meta(i), metas_[i]);
    for (uint32_t j = 0; j < kDim; ++j) EXPECT_EQ(r.graph().vector(i)[j], vectors_[i * kDim + order[j]]);
    EXPECT_EQ(reinterpret_cast<uintptr_t>(r.graph().vector(i)) % 64, 0u);
  }
  SearchContext context;
  std::vector<Neighbor> out;
  hnsw_search(r.graph(), {&vectors_[42 * kDim], kDim}, 1, 32, context, out);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(r.id(out[0].node), "doc42");
}

TEST_F(ShardFileTest, TruncationAnywhereIsDetectedAtOpen) {
  for (size_t cut : {size_t{0}, size_t{10}, size_t{127}, size_t{128}, size_t{400}, bytes_.size() / 2,
                     bytes_.size() - 33, bytes_.size() - 1}) {
    write_variant(bytes_.substr(0, cut));
    auto reader = ShardReader::open(path_);
    ASSERT_FALSE(reader.ok()) << "cut at " << cut;
    EXPECT_EQ(reader.status().code(), Code::kCorruption);
    EXPECT_NE(reader.status().message().find(path_), std::string::npos);
  }
}

TEST_F(ShardFileTest, AnyFlippedHeaderOrTableByteIsDetectedAtOpen) {
  const size_t table_end = 128 + 11 * 32;
  for (size_t pos = 0; pos < table_end; ++pos) {
    std::string bad = bytes_;
    bad[pos] ^= 0x10;
    write_variant(bad);
    auto reader = ShardReader::open(path_);
    ASSERT_FALSE(reader.ok()) << "flip at " << pos;
    EXPECT_EQ(reader.status().code(), Code::kCorruption);
  }
}

TEST_F(ShardFileTest, FlippedDataByteIsFoundByVerify) {
  std::string bad = bytes_;
  bad[bytes_.size() / 2] ^= 0x01;
  write_variant(bad);
  auto reader = ShardReader::open(path_);
  ASSERT_TRUE(reader.ok());
  Status verified = (*reader)->verify();
  EXPECT_EQ(verified.code(), Code::kCorruption);
  EXPECT_NE(verified.message().find("checksum mismatch"), std::string::npos);
}

// open() checks the dimension order in O(dim): a repeated dimension would
// silently compare the wrong coordinates, so it is refused, not searched.
TEST_F(ShardFileTest, DimensionOrderThatIsNotAPermutationIsRefusedAtOpen) {
  format::SectionEntry entry;
  const size_t at = sizeof(format::ShardHeader) +
                    (static_cast<size_t>(format::SectionKind::kDimOrder) - 1) * sizeof(format::SectionEntry);
  std::memcpy(&entry, bytes_.data() + at, sizeof(entry));
  ASSERT_EQ(entry.kind, static_cast<uint32_t>(format::SectionKind::kDimOrder));
  ASSERT_EQ(entry.bytes, kDim * 4);
  std::string bad = bytes_;
  std::memcpy(bad.data() + entry.offset + 4, bad.data() + entry.offset, 4);  // order[1] = order[0]
  write_variant(bad);
  auto reader = ShardReader::open(path_);
  ASSERT_FALSE(reader.ok());
  EXPECT_EQ(reader.status().code(), Code::kCorruption);
  EXPECT_NE(reader.status().message().find("not a permutation"), std::string::npos) << reader.status().message();
}

// A shard written before the dimension order (11 sections) stores vectors in
// the record's order and must still be read, and searched, that way.
TEST(ShardDimOrder, ElevenSectionShardIsReadInTheRecordsOrder) {
  char tmpl[] = "/tmp/vs-shard-11-XXXXXX";
  const std::string dir = mkdtemp(tmpl), path = dir + "/old.vsi";
  const uint32_t dim = 24;
  auto vectors = testing::clustered_vectors(300, dim, 3, 4);
  auto graph = build_hnsw(vectors, dim, Metric::kL2, HnswParams{8, 40, 3});
  ASSERT_TRUE(graph.ok());
  ASSERT_EQ(graph->dim_order.size(), dim);
  // What an older vs-build wrote: vectors in the record's order, no order section.
  for (uint32_t i = 0; i < 300; ++i) {
    std::memcpy(graph->nodes.get() + i * graph->node_stride, &vectors[i * dim], dim * sizeof(float));
  }
  graph->dim_order.clear();
  std::vector<std::string> ids, metas(300, "{}");
  for (int i = 0; i < 300; ++i) ids.push_back("v" + std::to_string(i));
  ASSERT_TRUE(write_shard(Env::posix(), path, *graph, ids, metas, "").ok());
  std::string bytes = read_all(path);
  format::ShardHeader header;
  std::memcpy(&header, bytes.data(), sizeof(header));
  ASSERT_EQ(header.section_count, format::kDimOrderSectionCount);
  header.section_count = format::kFieldIndexSectionCount;
  header.section_table_checksum =
      checksum64(bytes.data() + sizeof(header), format::kFieldIndexSectionCount * sizeof(format::SectionEntry));
  header.header_checksum = checksum64(&header, offsetof(format::ShardHeader, header_checksum));
  std::memcpy(bytes.data(), &header, sizeof(header));
  format::ShardTrailer trailer;
  std::memcpy(&trailer, bytes.data() + bytes.size() - sizeof(trailer), sizeof(trailer));
  trailer.header_checksum = header.header_checksum;
  std::memcpy(bytes.data() + bytes.size() - sizeof(trailer), &trailer, sizeof(trailer));
  std::ofstream(path, std::ios::binary | std::ios::trunc).write(bytes.data(), static_cast<std::streamsize>(bytes.size()));

  auto reader = ShardReader::open(path);
  ASSERT_TRUE(reader.ok()) << reader.status().message();
  EXPECT_EQ((*reader)->graph().dim_order, nullptr);
  EXPECT_TRUE((*reader)->verify().ok());
  SearchContext context;
  std::vector<Neighbor> out;
  for (uint32_t q : {5u, 150u, 299u}) {
    hnsw_search((*reader)->graph(), {&vectors[q * dim], dim}, 1, 32, context, out);
    ASSERT_EQ(out.size(), 1u);
    EXPECT_EQ((*reader)->id(out[0].node), ids[q]);
    EXPECT_FLOAT_EQ(out[0].distance, 0.0f);
  }
  std::system(("rm -rf '" + dir + "'").c_str());
}

TEST_F(ShardFileTest, FlippedTrailerByteIsDetected) {
  std::string bad = bytes_;
  bad[bytes_.size() - 30] ^= 0x01;
  write_variant(bad);
  EXPECT_FALSE(ShardReader::open(path_).ok());
}

TEST_F(ShardFileTest, NoTemporaryLeftBehind) {
  int files = 0;
  auto names = Env::posix().list_dir(dir_);
  ASSERT_TRUE(names.ok());
  for (const auto& name : *names) {
    ++files;
    EXPECT_FALSE(is_temporary_name(name)) << name;
  }
  EXPECT_EQ(files, 1);
}

TEST(ShardSq8, RoundTripKeepsCodesVectorsAndSearch) {
  char tmpl[] = "/tmp/vs-shard-sq8-XXXXXX";
  std::string dir = mkdtemp(tmpl);
  const uint32_t dim = 20;
  auto vectors = testing::clustered_vectors(400, dim, 4, 8);
  HnswParams params;
  params.sq8 = true;
  auto graph = build_hnsw(vectors, dim, Metric::kL2, params);
  ASSERT_TRUE(graph.ok());
  std::vector<std::string> ids, metas(400, "{}");
  for (int i = 0; i < 400; ++i) ids.push_back("v" + std::to_string(i));
  ASSERT_TRUE(write_shard(Env::posix(), dir + "/q.vsi", *graph, ids, metas, "").ok());
  auto reader = ShardReader::open(dir + "/q.vsi");
  ASSERT_TRUE(reader.ok()) << reader.status().message();
  const GraphView& g = (*reader)->graph();
  EXPECT_TRUE(g.quantized());
  EXPECT_TRUE((*reader)->verify().ok());
  EXPECT_EQ(0, std::memcmp(g.vector(17), &vectors[17 * dim], dim * sizeof(float)));
  EXPECT_EQ(0, std::memcmp(g.codes(17), graph->view().codes(17), dim));
  SearchContext context;
  std::vector<Neighbor> out;
  hnsw_search(g, {&vectors[99 * dim], dim}, 1, 32, context, out);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ((*reader)->id(out[0].node), "v99");
  EXPECT_FLOAT_EQ(out[0].distance, 0.0f);
  std::system(("rm -rf '" + dir + "'").c_str());
}

TEST(ShardReaderErrors, MissingFileIsAnIoErrorNamingIt) {
  auto reader = ShardReader::open("/nonexistent/x.vsi");
  ASSERT_FALSE(reader.ok());
  EXPECT_EQ(reader.status().code(), Code::kIoError);
  EXPECT_NE(reader.status().message().find("/nonexistent/x.vsi"), std::string::npos);
}

}  // namespace
}  // namespace vs
