// Manifest round trip, malformed manifests, and shard path resolution.
#include <gtest/gtest.h>
#include <unistd.h>

#include <fstream>

#include "format/manifest.h"

namespace vs {
namespace {

class ManifestTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/vs-manifest-test-XXXXXX";
    dir_ = mkdtemp(tmpl);
  }
  void TearDown() override { std::system(("rm -rf '" + dir_ + "'").c_str()); }
  void write_raw(const std::string& text) {
    std::ofstream(dir_ + "/manifest.json") << text;
  }
  std::string dir_;
};

Manifest sample() {
  Manifest m;
  m.generation = 7;
  m.dim = 784;
  m.metric = Metric::kCosine;
  m.m = 16;
  m.ef_construction = 200;
  m.count = 30;
  m.shards = {{shard_file_name(0, 7), 10, 1000, 0xfedcba9876543210ULL}, {shard_file_name(1, 7), 20, 2000, 42}};
  return m;
}

TEST_F(ManifestTest, RoundTrip) {
  ASSERT_TRUE(write_manifest(Env::posix(), dir_, sample()).ok());
  auto m = read_manifest(dir_);
  ASSERT_TRUE(m.ok()) << m.status().message();
  EXPECT_EQ(m->generation, 7u);
  EXPECT_EQ(m->dim, 784u);
  EXPECT_EQ(m->metric, Metric::kCosine);
  ASSERT_EQ(m->shards.size(), 2u);
  EXPECT_EQ(m->shards[0].file, "shard-0000-g000007.vsi");
  EXPECT_EQ(m->shards[0].header_checksum, 0xfedcba9876543210ULL);
  EXPECT_EQ(m->shards[1].count, 20u);
}

TEST_F(ManifestTest, ResolvesDirectoriesAndFiles) {
  ASSERT_TRUE(write_manifest(Env::posix(), dir_, sample()).ok());
  auto paths = resolve_shard_paths({dir_, "other.vsi"});
  ASSERT_TRUE(paths.ok());
  ASSERT_EQ(paths->size(), 3u);
  EXPECT_EQ((*paths)[0], dir_ + "/shard-0000-g000007.vsi");
  EXPECT_EQ((*paths)[2], "other.vsi");
}

TEST_F(ManifestTest, MalformedManifestsAreCorruption) {
  for (const char* text : {"", "{", "[]", R"({"format":"vs-index"})",
                           R"({"format":"vs-index","format_version":1,"generation":1,"dim":2,"metric":"l2",
                               "build":{"m":16,"ef_construction":200},"count":5,
                               "shards":[{"file":"../x.vsi","count":5,"bytes":1,"header_checksum":"0000000000000000"}]})",
                           R"({"format":"vs-index","format_version":1,"generation":1,"dim":2,"metric":"l2",
                               "build":{"m":16,"ef_construction":200},"count":6,
                               "shards":[{"file":"a.vsi","count":5,"bytes":1,"header_checksum":"0000000000000000"}]})"}) {
    write_raw(text);
    auto m = read_manifest(dir_);
    ASSERT_FALSE(m.ok()) << text;
    EXPECT_EQ(m.status().code(), Code::kCorruption) << text;
  }
}

TEST_F(ManifestTest, MissingManifestIsIoError) {
  EXPECT_EQ(read_manifest(dir_).status().code(), Code::kIoError);
}

}  // namespace
}  // namespace vs
