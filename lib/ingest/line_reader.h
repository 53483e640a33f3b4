// LineReader: turns a JSON Lines input (a path or "-" for stdin, plain or
// zstd-compressed) into chunks of complete lines for parallel parsing.
//
// Compression is detected from the content (the zstd magic 28 B5 2F FD), not
// the file name, so `zstd -c | vs-ingest` works. A chunk holds roughly
// chunk_bytes of text or chunk_lines lines, whichever comes first, and always
// whole lines: CR of a CRLF ending is stripped, a last line without a newline
// is still a line, and each line in chunk.text is followed by exactly one
// '\n'. The text's capacity includes simdjson's padding so a parser can read
// it in place. A truncated or corrupt zstd input is a BadData error naming the
// input; read errors are IoErrors.
//
// A LineReader owns the fd it opened (never stdin) and is not thread-safe;
// the chunks it fills are plain values the caller owns.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"

namespace vs {

struct LineSpan {
  uint32_t offset = 0;  // into LineChunk::text
  uint32_t length = 0;  // without the '\n' (and without a stripped CR)
  bool blank = false;   // empty or only spaces and tabs
};

struct LineChunk {
  std::string text;
  std::vector<LineSpan> lines;  // every input line, blank ones included
  uint64_t first_line = 1;      // 1-based number of lines[0]

  std::string_view line(size_t i) const { return {text.data() + lines[i].offset, lines[i].length}; }
  uint64_t line_number(size_t i) const { return first_line + i; }
  void clear() {
    text.clear();
    lines.clear();
  }
};

struct LineReaderOptions {
  size_t chunk_bytes = size_t{1} << 20;  // ~1 MiB: big enough to amortise a task, small enough for cache
  size_t chunk_lines = 4096;
  size_t max_line_bytes = size_t{256} << 20;  // a guard against unbounded memory on a newline-free input
};

// Bytes a parser may read past the end of LineChunk::text (SIMDJSON_PADDING).
size_t line_chunk_padding();

class LineReader {
 public:
  // Opens `path`; "-" is stdin, named "stdin" in messages.
  static Expected<std::unique_ptr<LineReader>> open(const std::string& path, LineReaderOptions options = {});

  // Reads from `fd` (not owned), named `name`. `already_read` holds bytes the
  // caller consumed from fd while sniffing; they come first.
  static std::unique_ptr<LineReader> from_fd(int fd, std::string name, std::string already_read = {},
                                             LineReaderOptions options = {});

  ~LineReader();
  LineReader(const LineReader&) = delete;
  LineReader& operator=(const LineReader&) = delete;

  // Fills `chunk` (cleared first) with the next lines. Returns false at the
  // end of input, with `chunk` empty.
  Expected<bool> next_chunk(LineChunk& chunk);

  // "stdin" or the path: what error messages call this input.
  const std::string& name() const { return name_; }
  bool compressed() const { return compressed_; }

 private:
  LineReader(int fd, bool owns_fd, std::string name, std::string already_read, LineReaderOptions options);
  // Appends decoded bytes to pending_; false at end of input.
  Expected<bool> fill();
  Expected<size_t> read_raw(char* dest, size_t bytes);
  Status sniff();

  int fd_;
  bool owns_fd_;
  std::string name_;
  LineReaderOptions options_;
  std::string prefix_;  // sniffed bytes not yet consumed
  size_t prefix_pos_ = 0;
  bool sniffed_ = false;
  bool compressed_ = false;
  bool eof_ = false;
  bool first_line_ = true;
  uint64_t next_line_ = 1;
  std::string pending_;  // decoded bytes not yet returned as lines
  size_t pending_pos_ = 0;
  std::vector<char> raw_;
  struct Zstd;
  std::unique_ptr<Zstd> zstd_;
};

}  // namespace vs
