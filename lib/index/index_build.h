// build_index(): records in, a complete index directory out (what vs-build does).
//
// Reads every record from `next_batch`, partitions them by a stable hash of
// the id (util/hash.h shard_of) into `shards` shards, builds each shard's HNSW
// graph on all cores of the caller's task_arena, writes each as a .vsi file
// and finally the manifest, every file atomically. Shard files carry the new
// generation in their names, so until the manifest is renamed into place the
// previous generation stays complete and usable; files of older generations
// and temporaries of crashed runs are removed afterwards. The directory is
// locked (util/dir_lock.h) for the whole build: a second build of the same
// directory meanwhile fails at once with an IoError naming it.
// Every shard carries the metadata field indexes that filters use.
// Errors: BadData for a duplicate id or no records, Usage for bad parameters
// (including an --index-fields name no record holds),
// IoError for the file system, Corruption for an unreadable existing manifest.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "core/metric.h"
#include "core/record.h"
#include "core/status.h"
#include "index/hnsw_builder.h"
#include "util/env.h"

namespace vs {

struct IndexBuildOptions {
  std::string out_dir;
  uint32_t shards = 1;
  HnswParams hnsw;
  // Metadata fields to index for filters (format/field_index_writer.h):
  // these, or with none listed every string or number field; none at all
  // when index_fields_off.
  std::vector<std::string> index_fields;
  bool index_fields_off = false;
};

struct IndexBuildSummary {
  uint64_t records = 0;
  uint32_t shards = 0;
  uint64_t generation = 0;
  uint32_t dim = 0;
  Metric metric = Metric::kL2;
  std::vector<std::string> fields;  // the indexed metadata fields
};

// Fills `out` with the next batch of records; returns false at the end.
using NextBatch = std::function<Expected<bool>(std::vector<Record>& out)>;
// Told what is happening, for progress lines ("reading", "building shard 2/4", ...).
using BuildObserver = std::function<void(const std::string& stage, uint64_t done, uint64_t total)>;

// `dim` and `metric` are asked for after the first batch (a JSONL source only
// knows its dimension then).
Expected<IndexBuildSummary> build_index(Env& env, const IndexBuildOptions& options, const NextBatch& next_batch,
                                        const std::function<uint32_t()>& dim,
                                        const std::function<Metric()>& metric,
                                        const BuildObserver& observer = nullptr);

}  // namespace vs
