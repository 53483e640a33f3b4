// Query JSON Lines parsing: fields, defaults, normalisation and every rejection.
#include "query/query.h"

#include <gtest/gtest.h>

#include <cmath>

namespace vs {
namespace {

class QueryParserTest : public ::testing::Test {
 protected:
  Status parse(std::string_view line, uint64_t line_number = 7) {
    return parser_.parse(line, "q.jsonl", line_number, query_);
  }
  QueryParser parser_{3, Metric::kL2};
  Query query_;
};

TEST_F(QueryParserTest, ReadsAllFields) {
  ASSERT_TRUE(parse(R"({"id": "q1", "vector": [1, 2.5, -3], "k": 5, "ef": 40})").ok());
  EXPECT_EQ(query_.id, "q1");
  EXPECT_EQ(query_.vector, (std::vector<float>{1.0f, 2.5f, -3.0f}));
  EXPECT_EQ(query_.k, 5u);
  EXPECT_EQ(query_.ef, 40u);
}

TEST_F(QueryParserTest, KAndEfDefaultToZeroMeaningNotGiven) {
  ASSERT_TRUE(parse(R"({"id": "a", "k": 3, "vector": [0, 0, 1]})").ok());
  ASSERT_TRUE(parse(R"({"id": "b", "vector": [0, 0, 1]})").ok());
  EXPECT_EQ(query_.k, 0u);
  EXPECT_EQ(query_.ef, 0u);
}

TEST_F(QueryParserTest, IntegerIdKeptAsText) {
  ASSERT_TRUE(parse(R"({"id": 42, "vector": [0, 0, 1]})").ok());
  EXPECT_EQ(query_.id, "42");
  ASSERT_TRUE(parse(R"({"id": -7, "vector": [0, 0, 1]})").ok());
  EXPECT_EQ(query_.id, "-7");
  ASSERT_TRUE(parse(R"({"id": 18446744073709551615, "vector": [0, 0, 1]})").ok());
  EXPECT_EQ(query_.id, "18446744073709551615");
}

TEST_F(QueryParserTest, MissingIdBecomesLineNumber) {
  ASSERT_TRUE(parse(R"({"vector": [0, 0, 1]})", 12).ok());
  EXPECT_EQ(query_.id, "12");
}

TEST_F(QueryParserTest, EscapedIdIsUnescaped) {
  ASSERT_TRUE(parse(R"({"id": "a\"b\u00e9", "vector": [0, 0, 1]})").ok());
  EXPECT_EQ(query_.id, "a\"b\xc3\xa9");
}

TEST_F(QueryParserTest, ReusesStorageAcrossLines) {
  ASSERT_TRUE(parse(R"({"id": "first", "vector": [1, 2, 3], "k": 9})").ok());
  ASSERT_TRUE(parse(R"({"id": "second", "vector": [4, 5, 6]})").ok());
  EXPECT_EQ(query_.id, "second");
  EXPECT_EQ(query_.vector, (std::vector<float>{4, 5, 6}));
  EXPECT_EQ(query_.k, 0u);
}

void expect_bad(const Status& status, std::string_view fragment) {
  EXPECT_EQ(status.code(), Code::kBadData) << status.message();
  EXPECT_NE(status.message().find(fragment), std::string::npos) << status.message();
  EXPECT_EQ(status.message().rfind("q.jsonl:7: ", 0), 0u) << status.message();
}

TEST_F(QueryParserTest, RejectsWrongDimension) {
  expect_bad(parse(R"({"id": "q", "vector": [1, 2]})"), "'vector' has 2 numbers, expected 3");
  expect_bad(parse(R"({"id": "q", "vector": [1, 2, 3, 4]})"), "'vector' has 4 numbers, expected 3");
}

TEST_F(QueryParserTest, RejectsNonNumbersAndOverflow) {
  expect_bad(parse(R"({"vector": [1, "2", 3]})"), "'vector'[1] is not a number");
  expect_bad(parse(R"({"vector": [1, 1e39, 3]})"), "'vector'[1] is not a finite");
  expect_bad(parse(R"({"vector": "1,2,3"})"), "must be an array");
  expect_bad(parse(R"({"vector": [1, null, 3]})"), "'vector'[1]");
}

TEST_F(QueryParserTest, RejectsBadKAndEf) {
  expect_bad(parse(R"({"vector": [1, 2, 3], "k": 0})"), "'k' must be a positive integer, got 0");
  expect_bad(parse(R"({"vector": [1, 2, 3], "k": -4})"), "'k' must be a positive integer");
  expect_bad(parse(R"({"vector": [1, 2, 3], "k": 2.5})"), "'k' must be a positive integer");
  expect_bad(parse(R"({"vector": [1, 2, 3], "k": "10"})"), "'k' must be a positive integer");
  expect_bad(parse(R"({"vector": [1, 2, 3], "k": 10001})"), "'k' must be at most 10000");
  expect_bad(parse(R"({"vector": [1, 2, 3], "ef": 0})"), "'ef' must be a positive integer");
  expect_bad(parse(R"({"vector": [1, 2, 3], "ef": 100001})"), "'ef' must be at most 100000");
  EXPECT_TRUE(parse(R"({"vector": [1, 2, 3], "k": 10000, "ef": 100000})").ok());
}

TEST_F(QueryParserTest, RejectsBadFilterUnknownFieldsAndMissingVector) {
  expect_bad(parse(R"({"vector": [1, 2, 3], "filter": {"a": [1]}})"), "filter: 'a': a list of values needs");
  expect_bad(parse(R"({"vector": [1, 2, 3], "filter": 3})"), "filter: must be a JSON object");
  expect_bad(parse(R"({"vector": [1, 2, 3], "filter": {}, "filters": {}})"), "more than one 'filter'");
  expect_bad(parse(R"({"vector": [1, 2, 3], "include": "a"})"), "'include' must be true, false or an array");
  expect_bad(parse(R"({"vector": [1, 2, 3], "vec": [1]})"), "unknown field 'vec'");
  expect_bad(parse(R"({"id": "q"})"), "missing 'vector'");
  expect_bad(parse(R"({"id": true, "vector": [1, 2, 3]})"), "'id' must be a string or an integer");
  expect_bad(parse(R"({"id": 1.5, "vector": [1, 2, 3]})"), "'id' must be a string or an integer");
  expect_bad(parse(R"({"id": "", "vector": [1, 2, 3]})"), "'id' is an empty string");
}

TEST_F(QueryParserTest, RejectsMalformedJson) {
  expect_bad(parse(R"({"vector": [1, 2, 3])"), "invalid JSON");
  expect_bad(parse(R"([1, 2, 3])"), "must be a JSON object");
  expect_bad(parse(R"({"vector": [1, 2, 3]} {"vector": [1, 2, 3]})"), "unexpected text after");
  expect_bad(parse(R"({"vector" [1, 2, 3]})"), "invalid JSON");
  expect_bad(parse("not json"), "");
}

TEST(QueryCosineTest, NormalisesAndRejectsZeroVector) {
  QueryParser parser(2, Metric::kCosine);
  Query query;
  ASSERT_TRUE(parser.parse(R"({"vector": [3, 4]})", "stdin", 1, query).ok());
  EXPECT_NEAR(query.vector[0], 0.6f, 1e-6);
  EXPECT_NEAR(query.vector[1], 0.8f, 1e-6);
  Status zero = parser.parse(R"({"vector": [0, 0]})", "stdin", 2, query);
  EXPECT_EQ(zero.code(), Code::kBadData);
  EXPECT_EQ(zero.message().rfind("stdin:2: ", 0), 0u) << zero.message();
  EXPECT_NE(zero.message().find("zero vector"), std::string::npos);
}

TEST(QueryL2Test, KeepsZeroVectorAsIs) {
  QueryParser parser(2, Metric::kL2);
  Query query;
  ASSERT_TRUE(parser.parse(R"({"vector": [0, 0]})", "stdin", 1, query).ok());
  EXPECT_EQ(query.vector, (std::vector<float>{0, 0}));
}

TEST(VectorTextTest, ParsesCommaSeparatedNumbers) {
  Query query;
  ASSERT_TRUE(parse_vector_text("1, 2.5,-3e0", 3, Metric::kL2, query).ok());
  EXPECT_EQ(query.id, "vector");
  EXPECT_EQ(query.vector, (std::vector<float>{1.0f, 2.5f, -3.0f}));
  EXPECT_EQ(parse_vector_text("1,2", 3, Metric::kL2, query).code(), Code::kUsage);
  EXPECT_EQ(parse_vector_text("1,2,", 3, Metric::kL2, query).code(), Code::kUsage);
  EXPECT_EQ(parse_vector_text("1,x,3", 3, Metric::kL2, query).code(), Code::kUsage);
  EXPECT_EQ(parse_vector_text("1 2 3", 3, Metric::kL2, query).code(), Code::kUsage);
  EXPECT_EQ(parse_vector_text("0,0,0", 3, Metric::kCosine, query).code(), Code::kUsage);
}

TEST(BlankLineTest, OnlySpacesAndTabs) {
  EXPECT_TRUE(is_blank_line(""));
  EXPECT_TRUE(is_blank_line(" \t "));
  EXPECT_FALSE(is_blank_line(" {} "));
}

}  // namespace
}  // namespace vs
