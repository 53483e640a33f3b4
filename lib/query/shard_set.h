// ShardSet: the local shards one vs-query run searches, opened once and shared.
//
// open() expands the arguments (index directories through their manifest,
// .vsi files as they are), maps every shard with ShardReader::open (O(1) each,
// checks headers and trailers; with `verify`, also every section checksum,
// O(size)), and requires one dim and one metric across them (Usage error
// naming the first shard that differs). The ShardSet owns the readers; hits it
// returns view ids in their mapped memory, valid while the ShardSet lives.
//
// Searching is const and thread-safe given one SearchScratch per thread: the
// scratch holds the search context and neighbour list, and the caller's hit
// vector doubles as the merge buffer; all are reused across queries, so a
// search allocates nothing once they have grown.
#pragma once

#include <memory>
#include <span>
#include <string>
#include <vector>

#include "core/metric.h"
#include "core/status.h"
#include "format/shard_reader.h"
#include "index/allowed_set.h"
#include "index/filtered_search.h"
#include "index/search_context.h"
#include "query/filter.h"
#include "query/filter_eval.h"
#include "query/meta_select.h"
#include "query/hit.h"

namespace vs {

// Per-thread scratch for ShardSet searches. Not thread-safe.
struct SearchScratch {
  SearchContext context;
  std::vector<Neighbor> neighbors;
  // The last filter evaluated on each shard and what it allowed, so a filter
  // every query shares (vs-query --filter) is evaluated once per shard and
  // thread, not once per query. Keyed by the shard's header checksum as well
  // as its address, so a reloaded index never meets a stale set.
  struct EvaluatedFilter {
    const ShardReader* shard = nullptr;
    uint64_t header_checksum = 0;
    Filter filter;
    AllowedSet allowed;
    uint32_t allowed_count = 0;
  };
  std::vector<EvaluatedFilter> evaluated;  // per shard index
  FilterScratch filter;
  FilterPlan plan;  // the plan of the last filtered search_shard (for --explain)
  MetaSelector meta;  // for queries that include some metadata fields
};

struct SearchParams {
  size_t k = 10;
  size_t ef = 64;      // HNSW candidate list size; raised to k when smaller
  bool exact = false;  // brute force instead of HNSW (the recall ground truth)
  const Filter* filter = nullptr;  // null or empty: every document
  bool with_meta = false;          // fill Hit::meta
};

class ShardSet {
 public:
  // Errors: those of resolve_shard_paths and ShardReader::open/verify
  // (IoError, Corruption naming the file), Usage for no shards or a dim or
  // metric mismatch.
  static Expected<ShardSet> open(const std::vector<std::string>& args, bool verify = false);

  uint32_t dim() const { return dim_; }
  Metric metric() const { return metric_; }
  size_t shard_count() const { return shards_.size(); }
  const ShardReader& shard(size_t index) const { return *shards_[index]; }

  // The distinct field lists among the shards, each with the first shard
  // that carries it, in shard order: one for the shards of one build, more
  // when index directories of different builds are searched together.
  std::span<const ShardFields> fields() const { return field_lists_; }

  // Checks `filter` against every shard's field list (query/filter_eval.h),
  // so a shard that lacks a field is an error, not a shard that silently
  // matches nothing. Ok when there are no shards.
  Status check_filter(const Filter& filter) const;

  // The fields every shard indexes, sorted: those a filter can name.
  std::vector<std::string_view> common_fields() const;

  // Searches shard `index` for `query` (dim() floats, normalised under
  // cosine) and appends up to k hits with scores (core/metric.h) to `out`,
  // best first. Leaves `out`'s earlier entries alone. With a filter, only
  // matching documents (index/filtered_search.h; the plan is left in
  // scratch.plan); with `exact` and a filter, the exact plan.
  void search_shard(size_t index, std::span<const float> query, const SearchParams& params,
                    SearchScratch& scratch, std::vector<Hit>& out) const;

  // Searches every shard in turn and leaves the global top-k in `out`
  // (replacing its contents): ids deduplicated (best score kept), best first.
  void search(std::span<const float> query, const SearchParams& params, SearchScratch& scratch,
              std::vector<Hit>& out) const;

 private:
  // `filter`'s AllowedSet on shard `index`, from the scratch's cache or evaluated now.
  const SearchScratch::EvaluatedFilter& evaluate(size_t index, const Filter& filter, SearchScratch& scratch) const;

  std::vector<std::unique_ptr<ShardReader>> shards_;
  std::vector<ShardFields> field_lists_;  // views of shards_
  uint32_t dim_ = 0;
  Metric metric_ = Metric::kL2;
};

}  // namespace vs
