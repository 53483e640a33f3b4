// vs-merge's engine: streaming and buffered merges, dedup, k, malformed input.
#include "query/result_merge.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <iterator>

namespace vs {
namespace {

class ResultMergeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/vs-merge-test-XXXXXX";
    dir_ = mkdtemp(tmpl);
  }
  void TearDown() override { std::system(("rm -rf '" + dir_ + "'").c_str()); }

  std::string file(const std::string& name, const std::string& text) {
    std::string path = dir_ + "/" + name;
    std::ofstream(path, std::ios::binary) << text;
    return path;
  }

  // Runs the merge with output to a file; returns the output text.
  Expected<std::string> merge(const std::vector<std::string>& inputs, size_t k, MergeStats* stats = nullptr) {
    std::string out_path = dir_ + "/out.jsonl";
    int fd = ::open(out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    Expected<MergeStats> result = Status::Internal("not run");
    {
      OutputStream out(fd, "out");
      result = merge_results(inputs, out, MergeOptions{k});
    }
    ::close(fd);
    if (!result.ok()) return result.status();
    if (stats != nullptr) *stats = *result;
    std::ifstream in(out_path, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(in), {});
  }

  std::string dir_;
};

TEST_F(ResultMergeTest, StreamsAlignedInputsIntoGlobalTopK) {
  auto a = file("a", R"({"id":"q1","hits":[{"id":"d1","score":0.9},{"id":"d2","score":0.5}]}
{"id":"q2","hits":[{"id":"d3","score":-1}]}
)");
  auto b = file("b", R"({"id":"q1","hits":[{"id":"d4","score":0.7},{"id":"d5","score":0.1}]}
{"id":"q2","hits":[{"id":"d6","score":-0.5},{"id":"d7","score":-2}]}
)");
  MergeStats stats;
  auto out = merge({a, b}, 3, &stats);
  ASSERT_TRUE(out.ok()) << out.status().message();
  EXPECT_EQ(*out,
            R"({"id":"q1","hits":[{"id":"d1","score":0.9},{"id":"d4","score":0.7},{"id":"d2","score":0.5}]}
{"id":"q2","hits":[{"id":"d6","score":-0.5},{"id":"d3","score":-1},{"id":"d7","score":-2}]}
)");
  EXPECT_EQ(stats.queries, 2u);
  EXPECT_FALSE(stats.buffered);
}

TEST_F(ResultMergeTest, DeduplicatesDocumentIdsKeepingTheBestScore) {
  auto a = file("a", R"({"id":"q","hits":[{"id":"x","score":0.2},{"id":"y","score":0.1}]})");
  auto b = file("b", R"({"id":"q","hits":[{"id":"x","score":0.8}]})");
  auto out = merge({a, b}, 10);
  ASSERT_TRUE(out.ok()) << out.status().message();
  EXPECT_EQ(*out, "{\"id\":\"q\",\"hits\":[{\"id\":\"x\",\"score\":0.8},{\"id\":\"y\",\"score\":0.1}]}\n");
}

TEST_F(ResultMergeTest, MisalignedInputsAreBufferedInFirstAppearanceOrder) {
  auto a = file("a", R"({"id":"q1","hits":[{"id":"a1","score":1}]}
{"id":"q2","hits":[{"id":"a2","score":2}]}
{"id":"q3","hits":[{"id":"a3","score":3}]}
)");
  auto b = file("b", R"({"id":"q1","hits":[{"id":"b1","score":1.5}]}
{"id":"q3","hits":[{"id":"b3","score":0.5}]}
)");
  MergeStats stats;
  auto out = merge({a, b}, 5, &stats);
  ASSERT_TRUE(out.ok()) << out.status().message();
  EXPECT_TRUE(stats.buffered);
  EXPECT_EQ(*out, R"({"id":"q1","hits":[{"id":"b1","score":1.5},{"id":"a1","score":1}]}
{"id":"q2","hits":[{"id":"a2","score":2}]}
{"id":"q3","hits":[{"id":"a3","score":3},{"id":"b3","score":0.5}]}
)");
}

TEST_F(ResultMergeTest, InputEndingEarlyFallsBackToBuffering) {
  auto a = file("a", "{\"id\":\"q1\",\"hits\":[]}\n{\"id\":\"q2\",\"hits\":[{\"id\":\"z\",\"score\":0}]}\n");
  auto b = file("b", "{\"id\":\"q1\",\"hits\":[]}\n");
  MergeStats stats;
  auto out = merge({a, b}, 5, &stats);
  ASSERT_TRUE(out.ok()) << out.status().message();
  EXPECT_TRUE(stats.buffered);
  EXPECT_EQ(*out, "{\"id\":\"q1\",\"hits\":[]}\n{\"id\":\"q2\",\"hits\":[{\"id\":\"z\",\"score\":0}]}\n");
}

TEST_F(ResultMergeTest, BufferedModeKeepsOnlyTopKPerQuery) {
  std::string a_text, b_text;
  for (int i = 0; i < 50; ++i) {
    a_text += "{\"id\":\"q" + std::to_string(i % 2) + "\",\"hits\":[{\"id\":\"d" + std::to_string(i) +
              "\",\"score\":" + std::to_string(i) + "}]}\n";
  }
  b_text = "{\"id\":\"other\",\"hits\":[]}\n";
  auto out = merge({file("a", a_text), file("b", b_text)}, 2);
  ASSERT_TRUE(out.ok()) << out.status().message();
  EXPECT_EQ(*out, R"({"id":"q0","hits":[{"id":"d48","score":48},{"id":"d46","score":46}]}
{"id":"other","hits":[]}
{"id":"q1","hits":[{"id":"d49","score":49},{"id":"d47","score":47}]}
)");
}

TEST_F(ResultMergeTest, IntegerQueryIdsIgnoredFieldsAndBlankLines) {
  auto a = file("a", "\n{\"id\":7,\"took_ms\":3,\"hits\":[{\"id\":\"d\",\"score\":1,\"rank\":1}]}\n\n");
  auto out = merge({a}, 10);
  ASSERT_TRUE(out.ok()) << out.status().message();
  EXPECT_EQ(*out, "{\"id\":\"7\",\"hits\":[{\"id\":\"d\",\"score\":1}]}\n");
}

TEST_F(ResultMergeTest, HitMetadataPassesThrough) {
  auto a = file("a", "{\"id\":\"q\",\"hits\":[{\"id\":\"d\",\"score\":1,\"meta\":{\"c\":\"x\",\"n\":[1,2]}}]}\n");
  auto b = file("b", "{\"id\":\"q\",\"hits\":[{\"id\":\"e\",\"score\":2,\"meta\":{}}]}\n");
  auto out = merge({a, b}, 10);
  ASSERT_TRUE(out.ok()) << out.status().message();
  EXPECT_EQ(*out,
            "{\"id\":\"q\",\"hits\":[{\"id\":\"e\",\"score\":2,\"meta\":{}},"
            "{\"id\":\"d\",\"score\":1,\"meta\":{\"c\":\"x\",\"n\":[1,2]}}]}\n");
  auto bad = file("c", "{\"id\":\"q\",\"hits\":[{\"id\":\"d\",\"score\":1,\"meta\":3}]}\n");
  auto failed = merge({bad}, 10);
  ASSERT_FALSE(failed.ok());
  EXPECT_NE(failed.status().message().find("hits[0].meta is not an object"), std::string::npos)
      << failed.status().message();
}

TEST_F(ResultMergeTest, MalformedLinesNameFileAndLine) {
  struct Case {
    const char* text;
    const char* reason;
  } cases[] = {
      {"{\"id\":\"q\",\"hits\":[]}\n{\"id\":\"q\",\"hits\":[}\n", "invalid JSON"},
      {"{\"hits\":[]}\n", "missing 'id'"},
      {"{\"id\":\"q\"}\n", "missing 'hits'"},
      {"{\"id\":\"q\",\"hits\":{}}\n", "'hits' must be an array"},
      {"{\"id\":\"q\",\"hits\":[{\"id\":\"d\"}]}\n", "hits[0] has no 'score'"},
      {"{\"id\":\"q\",\"hits\":[{\"score\":1}]}\n", "hits[0] has no 'id'"},
      {"{\"id\":\"q\",\"hits\":[{\"id\":1,\"score\":1}]}\n", "hits[0].id is not a string"},
      {"{\"id\":\"q\",\"hits\":[{\"id\":\"d\",\"score\":\"x\"}]}\n", "hits[0].score is not a finite number"},
      {"{\"id\":\"q\",\"hits\":[{\"id\":\"d\",\"score\":1e300}]}\n", "hits[0].score is not a finite number"},
      {"{\"id\":\"q\",\"hits\":[3]}\n", "hits[0] is not an object"},
      {"[]\n", "must be a JSON object"},
      {"{\"id\":\"q\",\"hits\":[]} {}\n", "unexpected text"},
      {"{\"id\":\"q\",\"hits\":[]} x\n", "invalid JSON"},
  };
  for (const Case& c : cases) {
    std::string path = file("bad", c.text);
    auto out = merge({path}, 10);
    ASSERT_FALSE(out.ok()) << c.text;
    EXPECT_EQ(out.status().code(), Code::kBadData);
    EXPECT_NE(out.status().message().find(c.reason), std::string::npos) << out.status().message();
    EXPECT_EQ(out.status().message().rfind(path + ":", 0), 0u) << out.status().message();
  }
  auto out = merge({file("bad2", "{\"id\":\"q\",\"hits\":[]}\n{\"id\":\"q\",\"hits\":[}\n")}, 10);
  EXPECT_EQ(out.status().message().rfind(dir_ + "/bad2:2: ", 0), 0u) << out.status().message();
}

TEST_F(ResultMergeTest, MissingFileIsIoErrorAndUsageChecks) {
  EXPECT_EQ(merge({dir_ + "/nope"}, 10).status().code(), Code::kIoError);
  EXPECT_EQ(merge({}, 10).status().code(), Code::kUsage);
  EXPECT_EQ(merge({"-", "-"}, 10).status().code(), Code::kUsage);
}

}  // namespace
}  // namespace vs
