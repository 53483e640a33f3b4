// The "_shards" block of a partial result line (vs-query --partial).
//
// When some shards failed a batch, each result line of that batch still
// carries the merged hits of the shards that answered, and says what is
// missing, as Elasticsearch's _shards block does:
//
//   {"id":"q1","hits":[...],"partial":true,
//    "shards":{"total":3,"successful":2,"failed":1,
//              "failures":[{"shard":"http://h2:7700","reason":"timed out after 500 ms"}]}}
//
// A complete result line has neither field (result_writer.h), so readers
// that ignore unknown fields (vs-merge) read both alike. Pure and
// thread-safe; appends to a caller-owned string.
#pragma once

#include <span>
#include <string>
#include <string_view>

#include "query/hit.h"

namespace vs {

struct ShardFailure {
  std::string shard;   // the address that failed (the last replica tried)
  std::string reason;  // why, without the address
};

// Appends one complete partial result line, "\n" included. `total_shards`
// counts every shard of the run, local ones included.
void append_partial_result_line(std::string_view query_id, std::span<const Hit> hits, size_t total_shards,
                                std::span<const ShardFailure> failures, std::string& out);

}  // namespace vs
