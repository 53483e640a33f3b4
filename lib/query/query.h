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
//   filter  optional: a metadata condition (query/filter.h); "filters" is
//           accepted as the same. Checked against the index's field indexes
//           when the parser has them (set_fields), so an unknown field or a
//           wrong type (in any shard searched) is an error of this line.
//           ANDed with the run's default filter (vs-query --filter) when
//           both are given.
//   include optional: true for every metadata field on each hit, or an array
//           of field names to return only those
// Any other field is an error naming it. Under cosine the vector is
// L2-normalised here (a zero vector is an error), so searches can use it directly.
//
// Errors are BadData "FILE:LINE: reason" (FILE is "stdin" for standard input).
// QueryParser owns one simdjson parser and a padded copy buffer, reused across
// lines so parsing allocates nothing in the steady state. Not thread-safe: one
// per thread.
#pragma once

#include <simdjson.h>

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/metric.h"
#include "core/status.h"
#include "query/filter.h"
#include "query/filter_eval.h"

namespace vs {

inline constexpr uint32_t kMaxK = 10000;
inline constexpr uint32_t kMaxEf = 100000;

struct Query {
  std::string id;
  std::vector<float> vector;
  uint32_t k = 0;   // 0: not given
  uint32_t ef = 0;  // 0: not given
  Filter filter;    // empty: every document
  // Metadata on hits: none, all of it, or the `include_fields` only.
  enum class Include { kNone, kAll, kFields };
  Include include = Include::kNone;
  std::vector<std::string> include_fields;
};

class QueryParser {
 public:
  QueryParser(uint32_t dim, Metric metric) : dim_(dim), metric_(metric) {}

  // Filters are checked against every list in `field_lists` (the
  // ShardSet's; empty: not checked, as for a remote-only run, whose servers
  // check them). Not owned.
  void set_fields(std::span<const ShardFields> field_lists) { field_lists_ = field_lists; }
  // Every query gets `filter` (ANDed with its own) and, when it gives no
  // "include", `include` (vs-query --filter, --with-meta).
  void set_defaults(Filter filter, Query::Include include) {
    default_filter_ = std::move(filter);
    default_include_ = include;
  }

  // Gives a query made elsewhere (vs-query --vector) the run's filter and include.
  void apply_defaults(Query& out) const {
    out.filter = default_filter_;
    out.include = default_include_;
  }

  // Parses one query line into `out` (reusing its storage). `source` and
  // `line_number` only name the line in errors and supply the default id.
  Status parse(std::string_view line, std::string_view source, uint64_t line_number, Query& out);

  uint32_t dim() const { return dim_; }
  Metric metric() const { return metric_; }

 private:
  Status parse_fields(simdjson::ondemand::document& doc, uint64_t line_number, Query& out);
  uint32_t dim_;
  Metric metric_;
  std::span<const ShardFields> field_lists_;
  Filter default_filter_;
  Query::Include default_include_ = Query::Include::kNone;
  simdjson::ondemand::parser parser_;
  std::string padded_;  // the line plus SIMDJSON_PADDING bytes
};

// True for a line holding only spaces and tabs: JSON Lines readers skip these.
bool is_blank_line(std::string_view line);

// Parses "x,y,..." (the --vector flag) into `out` with id "vector": exactly
// `dim` finite numbers, normalised under cosine. Usage error naming the problem.
Status parse_vector_text(std::string_view text, uint32_t dim, Metric metric, Query& out);

}  // namespace vs
