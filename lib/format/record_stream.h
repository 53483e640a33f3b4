// Record stream v1: the binary form in which records travel from vs-ingest to
// vs-build, through a pipe, a file or ssh. The byte layout is documented in
// docs/FORMATS.md; this file pair is its only reader and writer.
//
//   stream header (32 B)  "VSRSTRM\0" u32 version=1, dim, metric, element_type=0 (f32),
//                         flags (bit 0: zstd payloads), header_checksum (low 32 bits of
//                         XXH64 of the first 28 bytes)
//   batch frame   (24 B)  "VSBT" u32 record_count, u64 payload_bytes, u64 payload_checksum
//                         (XXH64 of the payload as stored), then the payload:
//                         per record u32 id_bytes, id, u32 meta_bytes, meta, f32 vec[dim]
//                         (one zstd frame of that when flag bit 0 is set)
//   end frame             record_count = 0, 8-byte payload: u64 total_records (never compressed)
//
// All integers are little-endian. A stream is only complete once its end frame
// has been read, so a reader tells a truncated stream (a writer that died, a
// dropped ssh connection) from a finished one.
//
// RecordStreamWriter writes to a byte sink (an OutputStream or any callback)
// and owns nothing but its buffers; RecordStreamReader reads from a file
// descriptor with plain read() calls (no seeking: pipes work) and owns the fd
// only when it opened it. Neither is thread-safe; use one per thread.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/metric.h"
#include "core/record.h"
#include "core/status.h"
#include "util/output.h"

namespace vs {

inline constexpr char kRecordStreamMagic[8] = {'V', 'S', 'R', 'S', 'T', 'R', 'M', '\0'};
inline constexpr uint32_t kRecordStreamVersion = 1;
inline constexpr size_t kRecordStreamHeaderBytes = 32;
inline constexpr size_t kRecordStreamFrameBytes = 24;
// A guard against garbage sizes: no real batch comes near it. The reader
// allocates a payload as it arrives (64 MiB at a time), so a frame claiming
// more than its input holds costs at most 64 MiB beyond what did arrive.
inline constexpr uint64_t kMaxBatchPayloadBytes = uint64_t{1} << 30;

// True when `prefix` (the first bytes of an input) starts with the stream magic.
bool looks_like_record_stream(std::string_view prefix);

// Where written bytes go. Returns a non-ok Status to stop the writer.
using ByteSink = std::function<Status(std::string_view bytes)>;

struct RecordStreamOptions {
  uint32_t dim = 0;  // 0: taken from the first record added
  Metric metric = Metric::kL2;
  bool compress = false;        // zstd-compress each batch payload
  int compression_level = 3;    // zstd's default: fast, and vectors barely compress harder
  size_t batch_records = 1024;  // records per batch frame
};

class RecordStreamWriter {
 public:
  // Writes to `out`; finish() also flushes it.
  RecordStreamWriter(OutputStream& out, RecordStreamOptions options);
  // Writes to `sink`; `name` is used in error messages.
  RecordStreamWriter(ByteSink sink, std::string name, RecordStreamOptions options);
  RecordStreamWriter(const RecordStreamWriter&) = delete;
  RecordStreamWriter& operator=(const RecordStreamWriter&) = delete;
  ~RecordStreamWriter();

  // Buffers one record; writes the header before the first batch and a batch
  // frame every batch_records records. A vector whose size is not the stream's
  // dim, or an id/meta over 4 GiB, is an Internal error (callers validate).
  Status add(const Record& record);

  // Writes the last partial batch and the end frame (and the header, if no
  // record was added). Without finish() a reader sees a truncated stream,
  // which is what an aborted run should leave behind.
  Status finish();

  uint64_t records_written() const { return total_records_; }
  uint32_t dim() const { return options_.dim; }

 private:
  Status write_header();
  Status flush_batch();
  Status emit_frame(uint32_t record_count, std::string_view payload);

  ByteSink sink_;
  OutputStream* flush_target_ = nullptr;
  std::string name_;
  RecordStreamOptions options_;
  bool header_written_ = false;
  bool finished_ = false;
  uint32_t batch_count_ = 0;
  uint64_t total_records_ = 0;
  std::string payload_;
  std::string compressed_;
  struct ZstdContext;
  std::unique_ptr<ZstdContext> zstd_;
};

struct RecordStreamHeader {
  uint32_t dim = 0;
  Metric metric = Metric::kL2;
  bool compressed = false;
};

class RecordStreamReader {
 public:
  // Opens `path` ("-" is stdin, named "stdin" in messages) and reads the header.
  static Expected<std::unique_ptr<RecordStreamReader>> open(const std::string& path);

  // Reads from `fd` (not owned), named `name` in messages. `already_read` holds
  // bytes a caller consumed from fd while sniffing the input; they are read
  // first. Reads and checks the header.
  static Expected<std::unique_ptr<RecordStreamReader>> from_fd(int fd, std::string name,
                                                               std::string already_read = {});

  ~RecordStreamReader();
  RecordStreamReader(const RecordStreamReader&) = delete;
  RecordStreamReader& operator=(const RecordStreamReader&) = delete;

  const RecordStreamHeader& header() const { return header_; }
  const std::string& name() const { return name_; }

  // Replaces the contents of `out` with the next batch (reusing its elements'
  // storage). Returns false, with `out` empty, once the end frame has been read
  // and checked. Truncation, bad checksums or sizes, and data after the end
  // frame are Corruption errors naming the stream and the byte offset.
  Expected<bool> next_batch(std::vector<Record>& out);

  uint64_t records_read() const { return records_read_; }

 private:
  RecordStreamReader(int fd, bool owns_fd, std::string name, std::string already_read);
  Status read_header();
  // Reads exactly `bytes` bytes, or reports truncation.
  Status read_exact(char* dest, size_t bytes);
  // Reads a `bytes`-byte payload into payload_, growing it only as bytes arrive.
  Status read_payload(uint64_t bytes);
  Expected<size_t> read_some(char* dest, size_t bytes);
  Status corruption(const std::string& what, uint64_t offset) const;
  Status decode_payload(std::string_view payload, uint32_t record_count, uint64_t offset,
                        std::vector<Record>& out);

  int fd_;
  bool owns_fd_;
  std::string name_;
  std::string pending_;  // sniffed bytes not yet consumed
  size_t pending_pos_ = 0;
  uint64_t offset_ = 0;  // bytes consumed so far
  RecordStreamHeader header_;
  uint64_t records_read_ = 0;
  bool done_ = false;
  std::string payload_;
  std::string decompressed_;
  struct ZstdContext;
  std::unique_ptr<ZstdContext> zstd_;
};

}  // namespace vs
