// IngestPipeline: JSON Lines in, validated records out, in input order, on
// all cores with bounded memory.
//
// A oneTBB parallel_pipeline (util/parallel.h) with at most `2 × threads` chunks alive:
//   serial in order   read a chunk of lines (LineReader)
//   parallel          parse, validate, normalise it (JsonlParser, one per thread)
//   serial in order   check the dimension, route rejects, hand records to the sink
// The sink therefore sees records strictly in input order, and the dimension
// fixed by "the first record" really is the first record of the input.
//
// Errors: without skip_invalid the first bad line *in input order* stops the
// pipeline and is returned ("FILE:LINE: reason", kBadData). With skip_invalid
// each rejected line is passed to the hooks (its message, then its raw text)
// and counted. A sink or rejects-hook error (e.g. BrokenPipe) stops the
// pipeline and is returned; read errors (I/O, corrupt zstd) are returned after
// the chunks before them were delivered. Library code prints nothing: the
// hooks decide where messages go.
//
// An IngestPipeline owns its thread arena and recycled chunk buffers; run()
// may be called once per input (the dimension carries over, so several files
// make one consistent stream). Not thread-safe itself; the hooks are called
// from one thread at a time, never concurrently.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/record.h"
#include "core/status.h"
#include "format/record_stream.h"
#include "ingest/jsonl_parser.h"
#include "ingest/line_reader.h"

namespace vs {

struct PipelineOptions {
  unsigned threads = 0;  // 0: every core oneTBB sees
  LineReaderOptions reader;
};

struct IngestCounts {
  uint64_t records = 0;      // accepted and delivered to the sink
  uint64_t rejected = 0;     // bad lines skipped under skip_invalid
  uint64_t blank_lines = 0;  // skipped silently: they hold no document
};

struct IngestHooks {
  // Receives accepted records in input order; may move them out. Required.
  std::function<Status(std::span<Record> records)> sink;
  // Under skip_invalid: the rejected line's error ("FILE:LINE: reason").
  std::function<void(const Status& error)> on_reject;
  // Under skip_invalid: the rejected line's raw text (no newline).
  std::function<Status(std::string_view line)> write_reject;
  // After each chunk, with the running totals (for progress lines).
  std::function<void(const IngestCounts& counts)> on_progress;
};

class IngestPipeline {
 public:
  IngestPipeline(IngestOptions options, PipelineOptions pipeline, IngestHooks hooks);
  ~IngestPipeline();
  IngestPipeline(const IngestPipeline&) = delete;
  IngestPipeline& operator=(const IngestPipeline&) = delete;

  // Reads `reader` to its end (or the first error) through the pipeline.
  Status run(LineReader& reader);

  const IngestCounts& counts() const { return counts_; }
  // The vector dimension: options.dim, or the first accepted record's; 0 before that.
  uint32_t dim() const { return dim_; }
  const IngestOptions& options() const { return options_; }

 private:
  struct Work;
  struct Shared;
  Status deliver(Work& work, const std::string& source);

  IngestOptions options_;
  PipelineOptions pipeline_;
  IngestHooks hooks_;
  IngestCounts counts_;
  uint32_t dim_ = 0;
  std::unique_ptr<Shared> shared_;
};

// ------------------------------------------------------------------ vs-ingest

enum class OutputFormat { kRecordStream, kJsonl };

struct IngestJob {
  std::vector<std::string> inputs;  // paths; "-" is stdin; empty means stdin
  IngestOptions options;
  PipelineOptions pipeline;
  OutputFormat format = OutputFormat::kRecordStream;
  bool compress = false;        // record stream only
  size_t batch_records = 1024;  // record stream only
};

struct IngestSummary {
  IngestCounts counts;
  uint32_t dim = 0;
};

// Runs every input of `job` through one IngestPipeline into `out`, as a record
// stream (header, batches, end frame) or as normalised JSONL. On error the
// record stream is left without its end frame, so a reader downstream sees a
// truncated stream rather than a short one that looks complete. Rejected
// lines go to hooks.on_reject / hooks.write_reject (hooks.sink is ignored).
Expected<IngestSummary> ingest_to(const IngestJob& job, const ByteSink& out, IngestHooks hooks);

}  // namespace vs
