// RecordSource: "give me the records of this input", whatever its form — what
// vs-build reads from.
//
// open_record_source() sniffs the first bytes of the input (a path, or "-" for
// stdin) in its own buffer, so it works on pipes: the record-stream magic
// selects the stream reader (zstd-compressed payloads included); anything else
// is JSON Lines, plain or zstd, run through the IngestPipeline. For a record
// stream the header's dim and metric are the truth: `options.metric` is not
// applied (the vectors were normalised when the stream was written), and a
// non-zero `options.dim` that disagrees is a BadData error.
//
// Batches come in input order. JSON Lines is ingested in full on the first
// next_batch() call (vs-build keeps every record anyway) and then handed over
// one chunk at a time. A RecordSource owns its input (never closes stdin) and
// is not thread-safe.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "core/metric.h"
#include "core/record.h"
#include "core/status.h"
#include "ingest/ingest_pipeline.h"
#include "ingest/jsonl_parser.h"

namespace vs {

class RecordSource {
 public:
  virtual ~RecordSource() = default;

  // Replaces `out` with the next batch of records. Returns false, with `out`
  // empty, at a clean end of input. Errors name the input (and line for JSONL).
  virtual Expected<bool> next_batch(std::vector<Record>& out) = 0;

  // The vector dimension and metric: valid after the first next_batch() call
  // (for a record stream, already after opening). dim() is 0 for an input
  // without records.
  virtual uint32_t dim() const = 0;
  virtual Metric metric() const = 0;

  // For JSONL: what the ingest accepted, rejected and skipped so far. For a
  // record stream: records read.
  virtual IngestCounts counts() const = 0;

  // True when the input was a binary record stream.
  virtual bool is_record_stream() const = 0;
};

// Opens `path` ("-" = stdin). Rejected JSONL lines under options.skip_invalid
// go to hooks.on_reject / hooks.write_reject; hooks.sink is ignored.
Expected<std::unique_ptr<RecordSource>> open_record_source(const std::string& path,
                                                           const IngestOptions& options,
                                                           IngestHooks hooks = {},
                                                           PipelineOptions pipeline = {});

}  // namespace vs
