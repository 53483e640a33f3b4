// Query: one search request, and the parser for query JSON Lines.
//
// A query line is one JSON object:
//   {"id": "q1", "vector": [0.1, ...], "k": 10, "ef": 64}
//   id      string or integer, kept as text (an integer as its decimal text);
//           when absent, the 1-based line number as text, so every result line
//           can still be matched to its query
//   vector  required: exactly `dim` finite numbers
//   k, ef   optional positive integers (k ≤ kMaxK, ef ≤ kMaxEf); 0 in Query
//           means "not given, use the tool's default"
// "filter" is reserved (filters are not supported yet); any other field is an
// error naming it. Under cosine the vector is L2-normalised here (a zero vector
// is an error), so searches can use it directly.
//
// Errors are BadData "FILE:LINE: reason" (FILE is "stdin" for standard input).
// QueryParser owns one simdjson parser and a padded copy buffer, reused across
// lines so parsing allocates nothing in the steady state. Not thread-safe: one
// per thread.
#pragma once

#include <simdjson.h>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/metric.h"
#include "core/status.h"

namespace vs {

inline constexpr uint32_t kMaxK = 10000;
inline constexpr uint32_t kMaxEf = 100000;

struct Query {
  std::string id;
  std::vector<float> vector;
  uint32_t k = 0;   // 0: not given
  uint32_t ef = 0;  // 0: not given
};

class QueryParser {
 public:
  QueryParser(uint32_t dim, Metric metric) : dim_(dim), metric_(metric) {}

  // Parses one query line into `out` (reusing its storage). `source` and
  // `line_number` only name the line in errors and supply the default id.
  Status parse(std::string_view line, std::string_view source, uint64_t line_number, Query& out);

  uint32_t dim() const { return dim_; }
  Metric metric() const { return metric_; }

 private:
  Status parse_fields(simdjson::ondemand::document& doc, uint64_t line_number, Query& out);
  uint32_t dim_;
  Metric metric_;
  simdjson::ondemand::parser parser_;
  std::string padded_;  // the line plus SIMDJSON_PADDING bytes
};

// True for a line holding only spaces and tabs: JSON Lines readers skip these.
bool is_blank_line(std::string_view line);

// Parses "x,y,..." (the --vector flag) into `out` with id "vector": exactly
// `dim` finite numbers, normalised under cosine. Usage error naming the problem.
Status parse_vector_text(std::string_view text, uint32_t dim, Metric metric, Query& out);

}  // namespace vs
