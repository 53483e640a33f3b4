#include "query/partial_result.h"

#include <gtest/gtest.h>

#include <vector>

namespace vs {
namespace {

TEST(PartialResult, CarriesTheShardsBlock) {
  std::vector<Hit> hits = {{"d1", 0.5f}, {"d\"2", 0.25f}};
  std::vector<ShardFailure> failures = {{"http://h2:7700", "timed out after 500 ms"}};
  std::string line;
  append_partial_result_line("q1", hits, 3, failures, line);
  EXPECT_EQ(line,
            "{\"id\":\"q1\",\"hits\":[{\"id\":\"d1\",\"score\":0.5},{\"id\":\"d\\\"2\",\"score\":0.25}],"
            "\"partial\":true,\"shards\":{\"total\":3,\"successful\":2,\"failed\":1,"
            "\"failures\":[{\"shard\":\"http://h2:7700\",\"reason\":\"timed out after 500 ms\"}]}}\n");
}

TEST(PartialResult, NoHitsAndSeveralFailures) {
  std::vector<ShardFailure> failures = {{"http://a:1", "x"}, {"ssh://b/p", "connection closed"}};
  std::string line = "prefix ";
  append_partial_result_line("q", {}, 2, failures, line);
  EXPECT_EQ(line,
            "prefix {\"id\":\"q\",\"hits\":[],\"partial\":true,\"shards\":{\"total\":2,\"successful\":0,"
            "\"failed\":2,\"failures\":[{\"shard\":\"http://a:1\",\"reason\":\"x\"},"
            "{\"shard\":\"ssh://b/p\",\"reason\":\"connection closed\"}]}}\n");
}

}  // namespace
}  // namespace vs
