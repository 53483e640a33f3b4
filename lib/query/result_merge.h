// vs-merge's engine: k-way merge of result JSON Lines streams into one global
// top-k per query.
//
// Each input is a result stream as vs-query writes it (query/result_writer.h),
// typically one per shard or per host. For every query id the output holds the
// best k hits over all inputs, each document id once (its best score kept),
// best first (ties: smaller id first), one line per query.
//
// When every input lists the same queries in the same order (the normal case:
// they answered the same query file), merge_results() streams: it reads line n
// of every input, checks the query ids agree, merges and writes, keeping
// O(inputs × k) hits in memory. At the first line where the ids disagree (or
// one input ends before the others) it falls back to buffering: it reads the
// rest of every input round-robin (line n of input 1, 2, …, then line n+1),
// collects hits per query id (keeping the best k of each as it goes) and at
// the end writes the queries in the order their ids first appeared in that
// round-robin sequence. Lines already written while streaming are not
// revisited. In buffered mode, lines with the same query id are one query.
//
// Input lines: {"id": Q, "hits": [{"id": D, "score": S}, ...]} where Q is a
// string or an integer (kept as text), D a string and S a finite number; other
// fields are ignored (the output carries ids and scores only); blank lines are
// skipped. Scores are read as 32-bit floats, which reproduces the text
// vs-query wrote. Errors: BadData "FILE:LINE: reason" for a malformed line
// (FILE is "stdin" for "-"), IoError for unreadable inputs or failed writes,
// BrokenPipe when the reader of `out` went away.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <simdjson.h>

#include "core/status.h"
#include "query/hit.h"
#include "util/output.h"

namespace vs {

struct MergeOptions {
  size_t k = 10;
};

struct MergeStats {
  uint64_t queries = 0;   // result lines written
  bool buffered = false;  // the inputs disagreed on query order
};

Expected<MergeStats> merge_results(const std::vector<std::string>& inputs, OutputStream& out,
                                   const MergeOptions& options);

// One parsed result line. `hits` view strings in the parser that produced
// them and are valid until its next parse().
struct ResultLine {
  std::string id;
  std::vector<Hit> hits;
};

// Parses result lines with one reused simdjson parser. Not thread-safe.
class ResultLineParser {
 public:
  // BadData "SOURCE:LINE: reason" for a malformed line.
  Status parse(std::string_view line, std::string_view source, uint64_t line_number, ResultLine& out);

 private:
  Status parse_object(simdjson::ondemand::document& doc, ResultLine& out);
  simdjson::ondemand::parser parser_;
  std::string padded_;
};

}  // namespace vs
