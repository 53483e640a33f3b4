#include "ingest/jsonl_parser.h"

#include <gtest/gtest.h>

#include <cmath>
#include <string>

namespace vs {
namespace {

// Builds a chunk the way LineReader does (each line followed by '\n', padded).
LineChunk make_chunk(const std::vector<std::string>& lines, uint64_t first_line = 1) {
  LineChunk chunk;
  chunk.first_line = first_line;
  for (const std::string& line : lines) {
    LineSpan span;
    span.offset = static_cast<uint32_t>(chunk.text.size());
    span.length = static_cast<uint32_t>(line.size());
    span.blank = line.find_first_not_of(" \t") == std::string::npos;
    chunk.text += line + "\n";
    chunk.lines.push_back(span);
  }
  chunk.text.reserve(chunk.text.size() + line_chunk_padding());
  return chunk;
}

ParsedChunk parse(const std::vector<std::string>& lines, IngestOptions options = {}) {
  JsonlParser parser(options);
  ParsedChunk out;
  parser.parse_chunk(make_chunk(lines), "f.jsonl", out);
  return out;
}

// The message for a single bad line placed second, after a good one.
std::string error_for(const std::string& line, IngestOptions options = {}) {
  ParsedChunk out = parse({R"({"id":"ok","vec":[1,2,3]})", line}, options);
  EXPECT_EQ(out.record_count, 1u);
  if (out.errors.size() != 1) return "<" + std::to_string(out.errors.size()) + " errors>";
  EXPECT_EQ(out.errors[0].line_index, 1u);
  EXPECT_EQ(out.errors[0].status.code(), Code::kBadData);
  return out.errors[0].status.message();
}

TEST(JsonlParser, ParsesIdVectorAndMetadata) {
  ParsedChunk out = parse({R"({"id":"a","vec":[1,2,3],"category":"news","year":2020})",
                           R"({"vec":[4,5,6],"id":42,"tags":["x","y"],"o":{"k":null},"s":"q\"uote"})",
                           R"({"id":-7,"vec":[0.5,0,0]})"});
  ASSERT_TRUE(out.errors.empty()) << out.errors[0].status.message();
  ASSERT_EQ(out.record_count, 3u);
  EXPECT_EQ(out.records[0].id, "a");
  EXPECT_EQ(out.records[0].vec, (std::vector<float>{1, 2, 3}));
  EXPECT_EQ(out.records[0].meta, R"({"category":"news","year":2020})");
  EXPECT_EQ(out.records[1].id, "42");
  EXPECT_EQ(out.records[1].meta, R"({"tags":["x","y"],"o":{"k":null},"s":"q\"uote"})");
  EXPECT_EQ(out.records[2].id, "-7");
  EXPECT_EQ(out.records[2].meta, "{}");
}

TEST(JsonlParser, CustomFieldNames) {
  IngestOptions options;
  options.id_field = "doc";
  options.vec_field = "embedding";
  ParsedChunk out = parse({R"({"doc":"a","embedding":[1,2],"id":"meta-now"})"}, options);
  ASSERT_EQ(out.record_count, 1u);
  EXPECT_EQ(out.records[0].id, "a");
  EXPECT_EQ(out.records[0].meta, R"({"id":"meta-now"})");
  ParsedChunk bad = parse({R"({"id":"a","vec":[1,2,3]})"}, options);
  ASSERT_EQ(bad.errors.size(), 1u);
  EXPECT_EQ(bad.errors[0].status.message(), "f.jsonl:1: missing 'doc'");
}

TEST(JsonlParser, NormalisesUnderCosine) {
  IngestOptions options;
  options.metric = Metric::kCosine;
  ParsedChunk out = parse({R"({"id":"a","vec":[3,4]})"}, options);
  ASSERT_EQ(out.record_count, 1u);
  EXPECT_NEAR(out.records[0].vec[0], 0.6f, 1e-6);
  EXPECT_NEAR(out.records[0].vec[1], 0.8f, 1e-6);
}

TEST(JsonlParser, SkipsAndCountsBlankLines) {
  ParsedChunk out = parse({"", R"({"id":"a","vec":[1]})", "   ", "\t", R"(  {"id":"b","vec":[2]})"});
  EXPECT_TRUE(out.errors.empty());
  EXPECT_EQ(out.record_count, 2u);
  EXPECT_EQ(out.blank_lines, 3u);
  EXPECT_EQ(out.record_lines, (std::vector<uint32_t>{1, 4}));
}

TEST(JsonlParser, NotJson) {
  EXPECT_EQ(error_for("not json"), "f.jsonl:2: not valid JSON: expected a JSON object");
  EXPECT_EQ(error_for(""), "<0 errors>");  // blank: skipped, not an error
  EXPECT_EQ(error_for(R"({"id":"a","vec":[1,2,3])").rfind("f.jsonl:2: not valid JSON", 0), 0u);
  EXPECT_EQ(error_for(R"({"id":"a","vec":[1,2,3],"m":[tru]})").rfind("f.jsonl:2: not valid JSON", 0), 0u);
  EXPECT_EQ(error_for(R"({"id":"a","vec":[1,2,3]} {"id":"b","vec":[1,2,3]})"),
            "f.jsonl:2: unexpected text after the JSON object");
  EXPECT_EQ(error_for("[1,2,3]"), "f.jsonl:2: expected a JSON object, got an array");
}

TEST(JsonlParser, MissingId) { EXPECT_EQ(error_for(R"({"vec":[1,2,3]})"), "f.jsonl:2: missing 'id'"); }

TEST(JsonlParser, IdOfTheWrongType) {
  EXPECT_EQ(error_for(R"({"id":[1],"vec":[1,2,3]})"),
            "f.jsonl:2: 'id' must be a string or an integer, got an array");
  EXPECT_EQ(error_for(R"({"id":1.5,"vec":[1,2,3]})"),
            "f.jsonl:2: 'id' must be a string or an integer, got 1.5");
  EXPECT_EQ(error_for(R"({"id":null,"vec":[1,2,3]})"),
            "f.jsonl:2: 'id' must be a string or an integer, got null");
}

TEST(JsonlParser, MissingVector) { EXPECT_EQ(error_for(R"({"id":"a"})"), "f.jsonl:2: missing 'vec'"); }

TEST(JsonlParser, NonNumberInVector) {
  EXPECT_EQ(error_for(R"({"id":"a","vec":[1,"x",3]})"),
            "f.jsonl:2: 'vec' element 2 is not a number (got a string)");
  EXPECT_EQ(error_for(R"({"id":"a","vec":"1,2,3"})"),
            "f.jsonl:2: 'vec' must be an array of numbers, got a string");
}

TEST(JsonlParser, NonFiniteNumbers) {
  for (const char* bad : {"NaN", "Infinity", "-Infinity"}) {
    EXPECT_EQ(error_for(std::string(R"({"id":"a","vec":[1,)") + bad + "]}"),
              "f.jsonl:2: 'vec' element 2 is not a finite number (NaN and Infinity are not JSON)");
  }
  EXPECT_EQ(error_for(R"({"id":"a","vec":[1,1e999,3]})"),
            "f.jsonl:2: 'vec' element 2 is not a finite number");
  EXPECT_EQ(error_for(R"({"id":"a","vec":[1,1e39,3]})"),
            "f.jsonl:2: 'vec' element 2 is not a finite 32-bit float");
}

TEST(JsonlParser, WrongDimension) {
  IngestOptions options;
  options.dim = 784;
  ParsedChunk out = parse({R"({"id":"a","vec":[1,2,3]})"}, options);
  ASSERT_EQ(out.errors.size(), 1u);
  EXPECT_EQ(out.errors[0].status.message(), "f.jsonl:1: 'vec' has 3 numbers, expected 784");
}

TEST(JsonlParser, EmptyVector) {
  EXPECT_EQ(error_for(R"({"id":"a","vec":[]})"), "f.jsonl:2: 'vec' is empty");
}

TEST(JsonlParser, ZeroVectorUnderCosine) {
  IngestOptions options;
  options.metric = Metric::kCosine;
  EXPECT_EQ(error_for(R"({"id":"a","vec":[0,0,0]})", options),
            "f.jsonl:2: 'vec' is all zeros, which has no direction under cosine");
  // Fine under l2.
  EXPECT_EQ(parse({R"({"id":"a","vec":[0,0,0]})"}).record_count, 1u);
}

TEST(JsonlParser, EveryBadLineOfAChunkGetsItsOwnMessage) {
  ParsedChunk out = parse({R"({"id":"a","vec":[1]})", "oops", R"({"id":"b","vec":[2]})", R"({"id":"c"})",
                           R"({"id":"d","vec":[4]})"});
  EXPECT_EQ(out.record_count, 3u);
  ASSERT_EQ(out.errors.size(), 2u);
  EXPECT_EQ(out.errors[0].line_index, 1u);
  EXPECT_EQ(out.errors[1].status.message(), "f.jsonl:4: missing 'vec'");
  EXPECT_EQ(out.records[2].id, "d");
}

TEST(JsonlParser, LinesSplittingOneObjectAreNotMerged) {
  // iterate_many would see one document over two lines; each line is bad.
  ParsedChunk out = parse({R"({"id":"a",)", R"("vec":[1]})"});
  EXPECT_EQ(out.record_count, 0u);
  EXPECT_EQ(out.errors.size(), 2u);
}

TEST(JsonlParser, WritesNormalisedJsonl) {
  Record record;
  record.id = "a\"b";
  record.vec = {0.5f, -1.0f, 0.1f};
  record.meta = R"({"k":1})";
  std::string out;
  append_record_jsonl(out, record);
  EXPECT_EQ(out, "{\"id\":\"a\\\"b\",\"vec\":[0.5,-1,0.1],\"k\":1}\n");
  record.meta = "{}";
  out.clear();
  append_record_jsonl(out, record);
  EXPECT_EQ(out, "{\"id\":\"a\\\"b\",\"vec\":[0.5,-1,0.1]}\n");
}

TEST(JsonlParser, JsonStringEscapes) {
  std::string out;
  append_json_string(std::string("a\\\n\x01\xc3\xa9", 6), out);
  EXPECT_EQ(out, "\"a\\\\\\n\\u0001\xc3\xa9\"");
}

}  // namespace
}  // namespace vs
