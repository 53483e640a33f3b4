// JsonlParser: turns a chunk of JSON Lines into validated vs::Records.
//
// The fast path hands the whole chunk to simdjson On-Demand's iterate_many and
// checks that every document starts exactly at the start of its own line; if
// the batch hits any error, or documents and non-blank lines do not pair up,
// the chunk is parsed again line by line so each bad line gets its own
// message. Each line must be one JSON object with an id (a string, or an
// integer kept as its decimal text) and a vector (an array of finite numbers
// that fit a float); every other top-level field is kept verbatim in
// Record::meta as one JSON object. Under cosine the vector is L2-normalised
// (a zero vector is an error). A fixed `dim` is checked here; when dim is 0
// the caller checks consistency in input order (see IngestPipeline), since a
// chunk does not know which record came first in the whole input.
//
// Errors are values: "FILE:LINE: reason" (FILE is the input's name, "stdin"
// for "-"), Code kBadData. A JsonlParser owns a simdjson parser and scratch
// buffers; it is not thread-safe — keep one per thread and reuse it.
#pragma once

#include "util/json_text.h"

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/metric.h"
#include "core/record.h"
#include "core/status.h"
#include "ingest/line_reader.h"

namespace vs {

struct IngestOptions {
  std::string id_field = "id";
  std::string vec_field = "vec";
  Metric metric = Metric::kL2;  // the vs-ingest tool defaults to cosine
  uint32_t dim = 0;             // 0: the first record fixes it
  bool skip_invalid = false;
};

// One rejected line of a chunk.
struct LineError {
  uint32_t line_index = 0;  // into LineChunk::lines
  Status status;            // "FILE:LINE: reason"
};

// The outcome of parsing one chunk. records[0, record_count) are valid, in
// line order; elements past record_count are kept for their storage.
struct ParsedChunk {
  std::vector<Record> records;
  std::vector<uint32_t> record_lines;  // line index of each record
  size_t record_count = 0;
  std::vector<LineError> errors;  // in line order
  uint64_t blank_lines = 0;

  void clear() {
    record_count = 0;
    record_lines.clear();
    errors.clear();
    blank_lines = 0;
  }
};

class JsonlParser {
 public:
  explicit JsonlParser(IngestOptions options);
  ~JsonlParser();
  JsonlParser(const JsonlParser&) = delete;
  JsonlParser& operator=(const JsonlParser&) = delete;

  // Parses every non-blank line of `chunk` into `out` (cleared first).
  // `source` names the input in messages. Never fails as a whole: bad lines
  // become entries of out.errors.
  void parse_chunk(const LineChunk& chunk, std::string_view source, ParsedChunk& out);

  // Parses one line into `record`. `line` must be readable for
  // line_chunk_padding() bytes past its end (true of LineChunk::line()).
  Status parse_line(std::string_view line, std::string_view source, uint64_t line_number, Record& record);

  const IngestOptions& options() const { return options_; }

 private:
  struct Impl;
  IngestOptions options_;
  std::unique_ptr<Impl> impl_;
};

// Appends one line of normalised JSONL: {"id":..,"vec":[..],<meta fields>}\n.
// Floats are written in their shortest round-trip form.
void append_record_jsonl(std::string& out, const Record& record, std::string_view id_field = "id",
                         std::string_view vec_field = "vec");

}  // namespace vs
