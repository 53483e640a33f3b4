// run_queries: the batched parallel pipeline over two real shards.
#include "query/query_runner.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <charconv>
#include <csignal>
#include <fstream>
#include <iterator>

#include "shard_fixture.h"

namespace vs {
namespace {

using testing::kDim;

class QueryRunnerTest : public testing::TwoShardTest {
 protected:
  std::string queries_text(size_t count, size_t stride = 1) const {
    std::string text;
    for (size_t q = 0; q < count; ++q) {
      size_t doc = (q * stride) % 600;
      text += "{\"id\":\"q" + std::to_string(q) + "\",\"vector\":[";
      for (uint32_t d = 0; d < kDim; ++d) {
        if (d > 0) text += ",";
        char number[32];
        auto end = std::to_chars(number, number + sizeof number, vectors_[doc * kDim + d]).ptr;
        text.append(number, end);
      }
      text += "],\"k\":3}\n";
    }
    return text;
  }

  Expected<QueryStats> run(const std::string& text, QueryOptions options, std::string& output,
                           const RejectHandler& on_reject = nullptr) {
    std::string in_path = path("queries.jsonl");
    std::ofstream(in_path, std::ios::binary) << text;
    std::string out_path = path("results.jsonl");
    int fd = ::open(out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    auto set = ShardSet::open({path("a.vsi"), path("b.vsi")});
    if (!set.ok()) return set.status();
    Expected<QueryStats> stats = Status::Internal("not run");
    {
      OutputStream out(fd, "results");
      stats = run_queries(*set, in_path, out, options, on_reject);
    }
    ::close(fd);
    std::ifstream in(out_path, std::ios::binary);
    output.assign(std::istreambuf_iterator<char>(in), {});
    return stats;
  }

  static std::vector<std::string> lines_of(const std::string& text) {
    std::vector<std::string> lines;
    size_t start = 0;
    for (size_t end; (end = text.find('\n', start)) != std::string::npos; start = end + 1) {
      lines.push_back(text.substr(start, end - start));
    }
    return lines;
  }
};

TEST_F(QueryRunnerTest, AnswersInQueryOrderAcrossBatchesAndThreads) {
  std::string output;
  QueryOptions options;
  options.batch_size = 7;
  options.threads = 2;
  auto stats = run(queries_text(100, 13), options, output);
  ASSERT_TRUE(stats.ok()) << stats.status().message();
  EXPECT_EQ(stats->answered, 100u);
  auto lines = lines_of(output);
  ASSERT_EQ(lines.size(), 100u);
  for (size_t q = 0; q < 100; ++q) {
    std::string prefix = "{\"id\":\"q" + std::to_string(q) + "\",\"hits\":[{\"id\":\"doc" +
                         std::to_string(q * 13 % 600) + "\",\"score\":";
    EXPECT_EQ(lines[q].rfind(prefix, 0), 0u) << lines[q];
    EXPECT_EQ(std::count(lines[q].begin(), lines[q].end(), '{'), 4) << lines[q];  // k = 3
  }
}

TEST_F(QueryRunnerTest, SameOutputAsSequentialSearch) {
  std::string parallel, sequential;
  QueryOptions options;
  options.exact = true;
  options.batch_size = 5;
  ASSERT_TRUE(run(queries_text(40, 7), options, parallel).ok());
  options.threads = 1;
  options.batch_size = 1;
  ASSERT_TRUE(run(queries_text(40, 7), options, sequential).ok());
  EXPECT_EQ(parallel, sequential);
}

TEST_F(QueryRunnerTest, FirstBadQueryStopsAfterEarlierResults) {
  std::string text = queries_text(5);
  text += "{\"id\":\"bad\",\"vector\":[1,2]}\n";
  text += queries_text(3);
  std::string output;
  QueryOptions options;
  options.batch_size = 2;
  auto stats = run(text, options, output);
  ASSERT_FALSE(stats.ok());
  EXPECT_EQ(stats.status().code(), Code::kBadData);
  EXPECT_EQ(stats.status().message().rfind(path("queries.jsonl") + ":6: ", 0), 0u) << stats.status().message();
  EXPECT_EQ(lines_of(output).size(), 5u);
}

TEST_F(QueryRunnerTest, SkipInvalidReportsAndCounts) {
  std::string text = queries_text(2) + "\n{\"vector\":[1]}\nnot json\n" + queries_text(2);
  std::vector<std::string> rejected;
  std::string output;
  QueryOptions options;
  options.skip_invalid = true;
  auto stats = run(text, options, output, [&](const Status& error, std::string_view line) {
    rejected.push_back(error.message() + " | " + std::string(line));
    return Status::Ok();
  });
  ASSERT_TRUE(stats.ok()) << stats.status().message();
  EXPECT_EQ(stats->answered, 4u);
  EXPECT_EQ(stats->rejected, 2u);
  ASSERT_EQ(rejected.size(), 2u);
  EXPECT_NE(rejected[0].find(":4: 'vector' has 1 numbers"), std::string::npos) << rejected[0];
  EXPECT_NE(rejected[0].find("| {\"vector\":[1]}"), std::string::npos) << rejected[0];
  EXPECT_NE(rejected[1].find(":5: a query must be a JSON object"), std::string::npos) << rejected[1];
  EXPECT_EQ(lines_of(output).size(), 4u);
}

TEST_F(QueryRunnerTest, QueryKAndDefaultK) {
  std::string output;
  QueryOptions options;
  options.k = 2;
  auto text = queries_text(1);
  text += "{\"id\":\"nok\",\"vector\":[0,0,0,0,0,0,0,0]}\n";
  ASSERT_TRUE(run(text, options, output).ok());
  auto lines = lines_of(output);
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_EQ(std::count(lines[0].begin(), lines[0].end(), '{'), 4);  // the query's k = 3
  EXPECT_EQ(std::count(lines[1].begin(), lines[1].end(), '{'), 3);  // the default k = 2
}

TEST_F(QueryRunnerTest, EmptyInputWritesNothing) {
  std::string output;
  auto stats = run("\n\n", QueryOptions{}, output);
  ASSERT_TRUE(stats.ok()) << stats.status().message();
  EXPECT_EQ(stats->answered, 0u);
  EXPECT_TRUE(output.empty());
}

TEST_F(QueryRunnerTest, BrokenPipeIsReported) {
  auto set = ShardSet::open({path("a.vsi"), path("b.vsi")});
  ASSERT_TRUE(set.ok());
  std::ofstream(path("queries.jsonl"), std::ios::binary) << queries_text(50);
  int fds[2];
  ASSERT_EQ(::pipe(fds), 0);
  ::close(fds[0]);
  std::signal(SIGPIPE, SIG_IGN);
  OutputStream out(fds[1], "pipe", 64);
  auto stats = run_queries(*set, path("queries.jsonl"), out, QueryOptions{});
  ::close(fds[1]);
  ASSERT_FALSE(stats.ok());
  EXPECT_EQ(stats.status().code(), Code::kBrokenPipe);
}

}  // namespace
}  // namespace vs
