// Result JSON Lines: the output of vs-query and vs-merge.
//
//   {"id":"q1","hits":[{"id":"doc123","score":0.93},...]}
//   {"id":"q1","hits":[{"id":"doc123","score":0.93,"meta":{"category":"news"}},...]}
//
// A hit carries "meta" (its Hit::meta, a JSON object written as is) only when
// the query asked for metadata.
// One line per query, hits best first. Ids are JSON-escaped (they come from
// mapped shard memory or from parsed input, as string_views). Scores are
// printed in the shortest text that reads back as the same 32-bit float
// (std::to_chars), so vs-merge reproduces vs-query's numbers exactly; a
// non-finite score (only possible with overflowing vectors) is clamped to the
// largest finite float of its sign, since JSON has no infinities.
//
// These functions append to a caller-owned string (reused across lines, so
// formatting allocates nothing in the steady state); they are pure and
// thread-safe. ResultWriter adds the stream around them.
#pragma once

#include <span>
#include <string>
#include <string_view>

#include "core/status.h"
#include "query/hit.h"
#include "util/json_text.h"
#include "util/output.h"

namespace vs {

// Appends `score` as a JSON number, shortest round-trip form.
void append_score(float score, std::string& out);

// Appends one complete result line, "\n" included.
void append_result_line(std::string_view query_id, std::span<const Hit> hits, std::string& out);

// Formats result lines into an OutputStream. Not thread-safe (one writer per stream).
class ResultWriter {
 public:
  explicit ResultWriter(OutputStream& out) : out_(out) {}
  // BrokenPipe when the reader went away, IoError on other write failures.
  Status write(std::string_view query_id, std::span<const Hit> hits);

 private:
  OutputStream& out_;
  std::string line_;
};

}  // namespace vs
