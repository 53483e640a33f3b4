// The streaming driver behind vs-query: query JSON Lines in, result JSON Lines out.
//
// run_queries() reads queries (a path, or stdin for "-") in batches through a
// oneTBB parallel_pipeline (util/parallel.h) with a bounded number of batches in flight (so
// memory stays bounded however long the input, and a slow reader of our
// output slows the reading of queries):
//   read + parse a batch   serial, in order
//   search the batch       parallel over every (query, shard) pair, so all
//                          shards of a query are searched at once; then the
//                          per-query merges and formatting, also in parallel
//   write the batch        serial, in order
// Results come out in query order, one line per valid query.
//
// The first invalid query line stops the run with its BadData error
// ("FILE:LINE: reason"), after the results of the queries before it are
// written. With skip_invalid, `on_reject` is called instead (serially, in
// input order, with the error and the raw line) and the line is skipped and
// counted; if on_reject returns an error the run stops with it. Blank lines
// are skipped silently (they hold no query).
//
// Threads: the pipeline runs in a task_arena of `threads` workers (0 = all
// cores), created and owned by the call. Per-thread search scratch lives in an
// enumerable_thread_specific owned by the call too: no global state.
// Remote shards (a RemoteFanout, may be null) are asked in one more serial,
// in-order stage between reading and searching: every remote shard gets the
// whole batch at once while the local shards of earlier batches are searched,
// and their hits join the same merge. A remote shard that fails a batch stops
// the run with an Unavailable error naming it (after the batches before it are
// written), unless `partial`: then the batch's results hold the hits of the
// shards that answered and say which failed (query/partial_result.h), and
// QueryStats::partial counts them.
//
// Errors: BadData (a query), IoError (reading input or writing output),
// Unavailable (a remote shard), BrokenPipe (the reader of `out` went away;
// tools exit quietly).
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include "core/status.h"
#include "query/query.h"
#include "query/remote_fanout.h"
#include "query/shard_set.h"
#include "util/output.h"

namespace vs {

// Told, for --explain, the plan each filtered query got in each local shard
// (called serially, in query order).
using ExplainHandler = std::function<void(std::string_view query_id, const ShardReader& shard, const FilterPlan& plan)>;

struct QueryOptions {
  size_t k = 10;           // default when a query gives none
  size_t ef = 64;          // default when a query gives none
  bool exact = false;
  size_t batch_size = 64;  // queries per pipeline batch
  size_t threads = 0;      // 0: all cores
  bool skip_invalid = false;
  bool partial = false;    // a failed remote shard marks results partial instead of stopping
  // Applied to every query (query/query.h): the run's filter and metadata.
  Filter filter;
  Query::Include include = Query::Include::kNone;
  ExplainHandler explain;  // null: no plans reported
};

struct QueryStats {
  uint64_t answered = 0;
  uint64_t rejected = 0;
  uint64_t partial = 0;   // results written without every shard's hits
};

// Receives a rejected query (skip_invalid): its error and its raw line.
using RejectHandler = std::function<Status(const Status& error, std::string_view line)>;

Expected<QueryStats> run_queries(const ShardSet& shards, const std::string& input, OutputStream& out,
                                 const QueryOptions& options, const RejectHandler& on_reject = nullptr);

// The same over local shards (possibly none) and remote ones (`remote` may be
// null). With no local shard, the queries' dim and metric are the remote ones'.
Expected<QueryStats> run_queries(const ShardSet& local, RemoteFanout* remote, const std::string& input,
                                 OutputStream& out, const QueryOptions& options,
                                 const RejectHandler& on_reject = nullptr);

}  // namespace vs
