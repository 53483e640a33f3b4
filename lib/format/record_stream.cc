#include "format/record_stream.h"

#include <fcntl.h>
#include <unistd.h>
#include <zstd.h>

#include <algorithm>
#include <bit>
#include <cerrno>
#include <cstring>
#include <limits>

#include "util/hash.h"

namespace vs {

// The format is little-endian and we copy integers and floats with memcpy;
// a big-endian port would need byte swaps here and nowhere else.
static_assert(std::endian::native == std::endian::little, "record stream I/O assumes little-endian");

namespace {

constexpr char kFrameMagic[4] = {'V', 'S', 'B', 'T'};
constexpr uint32_t kElementFloat32 = 0;
constexpr uint32_t kFlagCompressed = 1;
constexpr uint64_t kEndPayloadBytes = 8;
// A frame's payload size is a claim until the bytes arrive: the reader grows
// its buffer by at most this much at a time, so a lying or damaged frame on a
// short input costs this much memory, not the 1 GiB the size limit allows.
// Big enough that a real batch (a few MiB) is read in one step.
constexpr size_t kPayloadReadStep = size_t{64} << 20;

template <typename T>
void put(std::string& out, T value) {
  out.append(reinterpret_cast<const char*>(&value), sizeof(T));
}

template <typename T>
T get(const char* p) {
  T value;
  std::memcpy(&value, p, sizeof(T));
  return value;
}

}  // namespace

bool looks_like_record_stream(std::string_view prefix) {
  return prefix.size() >= sizeof(kRecordStreamMagic) &&
         std::memcmp(prefix.data(), kRecordStreamMagic, sizeof(kRecordStreamMagic)) == 0;
}

// ---------------------------------------------------------------- writer

struct RecordStreamWriter::ZstdContext {
  ZSTD_CCtx* cctx = ZSTD_createCCtx();
  ~ZstdContext() { ZSTD_freeCCtx(cctx); }
};

RecordStreamWriter::RecordStreamWriter(OutputStream& out, RecordStreamOptions options)
    : RecordStreamWriter([&out](std::string_view bytes) { return out.write(bytes); }, out.name(), options) {
  flush_target_ = &out;
}

RecordStreamWriter::RecordStreamWriter(ByteSink sink, std::string name, RecordStreamOptions options)
    : sink_(std::move(sink)), name_(std::move(name)), options_(options) {
  if (options_.batch_records == 0) options_.batch_records = 1;
  if (options_.compress) zstd_ = std::make_unique<ZstdContext>();
}

RecordStreamWriter::~RecordStreamWriter() = default;

Status RecordStreamWriter::write_header() {
  std::string header;
  header.reserve(kRecordStreamHeaderBytes);
  header.append(kRecordStreamMagic, sizeof(kRecordStreamMagic));
  put<uint32_t>(header, kRecordStreamVersion);
  put<uint32_t>(header, options_.dim);
  put<uint32_t>(header, static_cast<uint32_t>(options_.metric));
  put<uint32_t>(header, kElementFloat32);
  put<uint32_t>(header, options_.compress ? kFlagCompressed : 0);
  put<uint32_t>(header, static_cast<uint32_t>(checksum64(header)));
  header_written_ = true;
  return sink_(header);
}

Status RecordStreamWriter::add(const Record& record) {
  if (finished_) return Status::Internal(name_ + ": record added after finish()");
  if (options_.dim == 0 && !header_written_) options_.dim = static_cast<uint32_t>(record.vec.size());
  if (record.vec.size() != options_.dim) {
    return Status::Internal(name_ + ": record '" + record.id + "' has " + std::to_string(record.vec.size()) +
                            " numbers, stream dim is " + std::to_string(options_.dim));
  }
  constexpr size_t kMax32 = std::numeric_limits<uint32_t>::max();
  if (record.id.size() > kMax32 || record.meta.size() > kMax32) {
    return Status::Internal(name_ + ": record '" + record.id.substr(0, 64) + "' is too large");
  }
  if (!header_written_) VS_RETURN_IF_ERROR(write_header());
  put<uint32_t>(payload_, static_cast<uint32_t>(record.id.size()));
  payload_.append(record.id);
  put<uint32_t>(payload_, static_cast<uint32_t>(record.meta.size()));
  payload_.append(record.meta);
  payload_.append(reinterpret_cast<const char*>(record.vec.data()), record.vec.size() * sizeof(float));
  ++batch_count_;
  ++total_records_;
  if (batch_count_ >= options_.batch_records) return flush_batch();
  return Status::Ok();
}

Status RecordStreamWriter::emit_frame(uint32_t record_count, std::string_view payload) {
  std::string frame;
  frame.reserve(kRecordStreamFrameBytes);
  frame.append(kFrameMagic, sizeof(kFrameMagic));
  put<uint32_t>(frame, record_count);
  put<uint64_t>(frame, payload.size());
  put<uint64_t>(frame, checksum64(payload));
  VS_RETURN_IF_ERROR(sink_(frame));
  return sink_(payload);
}

Status RecordStreamWriter::flush_batch() {
  if (batch_count_ == 0) return Status::Ok();
  std::string_view stored = payload_;
  if (options_.compress) {
    compressed_.resize(ZSTD_compressBound(payload_.size()));
    // ZSTD_compressCCtx writes the content size into the frame header, which
    // lets the reader size its buffer exactly and check the result.
    size_t n = ZSTD_compressCCtx(zstd_->cctx, compressed_.data(), compressed_.size(), payload_.data(),
                                 payload_.size(), options_.compression_level);
    if (ZSTD_isError(n)) {
      return Status::Internal(name_ + ": zstd compression failed: " + ZSTD_getErrorName(n));
    }
    stored = std::string_view(compressed_.data(), n);
  }
  if (stored.size() > kMaxBatchPayloadBytes) {
    return Status::Usage(name_ + ": a batch of " + std::to_string(batch_count_) +
                         " records exceeds the 1 GiB payload limit; use a smaller batch size");
  }
  Status status = emit_frame(batch_count_, stored);
  payload_.clear();
  batch_count_ = 0;
  return status;
}

Status RecordStreamWriter::finish() {
  if (finished_) return Status::Ok();
  if (!header_written_) VS_RETURN_IF_ERROR(write_header());
  VS_RETURN_IF_ERROR(flush_batch());
  std::string end;
  put<uint64_t>(end, total_records_);
  VS_RETURN_IF_ERROR(emit_frame(0, end));
  finished_ = true;
  if (flush_target_ != nullptr) return flush_target_->flush();
  return Status::Ok();
}

// ---------------------------------------------------------------- reader

struct RecordStreamReader::ZstdContext {
  ZSTD_DCtx* dctx = ZSTD_createDCtx();
  ~ZstdContext() { ZSTD_freeDCtx(dctx); }
};

RecordStreamReader::RecordStreamReader(int fd, bool owns_fd, std::string name, std::string already_read)
    : fd_(fd), owns_fd_(owns_fd), name_(std::move(name)), pending_(std::move(already_read)) {}

RecordStreamReader::~RecordStreamReader() {
  if (owns_fd_ && fd_ >= 0) ::close(fd_);
}

Expected<std::unique_ptr<RecordStreamReader>> RecordStreamReader::open(const std::string& path) {
  if (path == "-") return from_fd(STDIN_FILENO, "stdin");
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return Status::IoError("cannot open '" + path + "': " + std::strerror(errno));
  std::unique_ptr<RecordStreamReader> reader(new RecordStreamReader(fd, true, path, {}));
  VS_RETURN_IF_ERROR(reader->read_header());
  return reader;
}

Expected<std::unique_ptr<RecordStreamReader>> RecordStreamReader::from_fd(int fd, std::string name,
                                                                          std::string already_read) {
  std::unique_ptr<RecordStreamReader> reader(
      new RecordStreamReader(fd, false, std::move(name), std::move(already_read)));
  VS_RETURN_IF_ERROR(reader->read_header());
  return reader;
}

Status RecordStreamReader::corruption(const std::string& what, uint64_t offset) const {
  return Status::Corruption(name_ + ": " + what + " (byte offset " + std::to_string(offset) + ")");
}

Expected<size_t> RecordStreamReader::read_some(char* dest, size_t bytes) {
  if (pending_pos_ < pending_.size()) {
    size_t n = std::min(bytes, pending_.size() - pending_pos_);
    std::memcpy(dest, pending_.data() + pending_pos_, n);
    pending_pos_ += n;
    return n;
  }
  for (;;) {
    ssize_t n = ::read(fd_, dest, bytes);
    if (n >= 0) return static_cast<size_t>(n);
    if (errno != EINTR) return Status::IoError("cannot read '" + name_ + "': " + std::strerror(errno));
  }
}

Status RecordStreamReader::read_exact(char* dest, size_t bytes) {
  while (bytes > 0) {
    auto n = read_some(dest, bytes);
    if (!n.ok()) return n.status();
    if (*n == 0) {
      return corruption("truncated record stream after " + std::to_string(records_read_) + " records",
                        offset_);
    }
    dest += *n;
    bytes -= *n;
    offset_ += *n;
  }
  return Status::Ok();
}

Status RecordStreamReader::read_payload(uint64_t bytes) {
  payload_.clear();
  while (payload_.size() < bytes) {
    size_t have = payload_.size();
    size_t step = static_cast<size_t>(std::min<uint64_t>(bytes - have, kPayloadReadStep));
    payload_.resize(have + step);
    VS_RETURN_IF_ERROR(read_exact(payload_.data() + have, step));
  }
  return Status::Ok();
}

Status RecordStreamReader::read_header() {
  char raw[kRecordStreamHeaderBytes];
  VS_RETURN_IF_ERROR(read_exact(raw, sizeof(raw)));
  if (!looks_like_record_stream(std::string_view(raw, sizeof(raw)))) {
    return corruption("not a vs record stream: bad magic", 0);
  }
  uint32_t stored_checksum = get<uint32_t>(raw + 28);
  if (stored_checksum != static_cast<uint32_t>(checksum64(raw, 28))) {
    return corruption("record stream header checksum mismatch", 28);
  }
  uint32_t version = get<uint32_t>(raw + 8);
  if (version != kRecordStreamVersion) {
    return corruption(
        "unsupported record stream version " + std::to_string(version) + " (this build reads version 1)", 8);
  }
  uint32_t metric = get<uint32_t>(raw + 16);
  if (!metric_valid(metric)) return corruption("unknown metric " + std::to_string(metric), 16);
  uint32_t element_type = get<uint32_t>(raw + 20);
  if (element_type != kElementFloat32) {
    return corruption("unknown element type " + std::to_string(element_type), 20);
  }
  uint32_t flags = get<uint32_t>(raw + 24);
  if ((flags & ~kFlagCompressed) != 0) return corruption("unknown header flags " + std::to_string(flags), 24);
  header_.dim = get<uint32_t>(raw + 12);
  header_.metric = static_cast<Metric>(metric);
  header_.compressed = (flags & kFlagCompressed) != 0;
  if (header_.compressed) zstd_ = std::make_unique<ZstdContext>();
  return Status::Ok();
}

Expected<bool> RecordStreamReader::next_batch(std::vector<Record>& out) {
  out.clear();
  if (done_) return false;
  uint64_t frame_offset = offset_;
  char frame[kRecordStreamFrameBytes];
  VS_RETURN_IF_ERROR(read_exact(frame, sizeof(frame)));
  if (std::memcmp(frame, kFrameMagic, sizeof(kFrameMagic)) != 0) {
    return corruption("bad batch frame magic", frame_offset);
  }
  uint32_t record_count = get<uint32_t>(frame + 4);
  uint64_t payload_bytes = get<uint64_t>(frame + 8);
  uint64_t payload_checksum = get<uint64_t>(frame + 16);
  if (payload_bytes > kMaxBatchPayloadBytes) {
    return corruption("batch payload of " + std::to_string(payload_bytes) + " bytes exceeds the 1 GiB limit",
                      frame_offset + 8);
  }
  if (record_count == 0 && payload_bytes != kEndPayloadBytes) {
    return corruption("end frame payload is " + std::to_string(payload_bytes) + " bytes, expected 8",
                      frame_offset + 8);
  }
  uint64_t payload_offset = offset_;
  VS_RETURN_IF_ERROR(read_payload(payload_bytes));
  if (checksum64(payload_) != payload_checksum) {
    return corruption("batch checksum mismatch", payload_offset);
  }

  if (record_count == 0) {
    uint64_t total = get<uint64_t>(payload_.data());
    if (total != records_read_) {
      return corruption("end frame counts " + std::to_string(total) + " records but the stream held " +
                            std::to_string(records_read_),
                        payload_offset);
    }
    // Anything after the end frame means two streams were glued together or
    // the stream was damaged; either way the count above would be a lie.
    char extra;
    auto n = read_some(&extra, 1);
    if (!n.ok()) return n.status();
    if (*n != 0) return corruption("data after the end of the record stream", offset_);
    done_ = true;
    return false;
  }

  if (header_.dim == 0) return corruption("batch of records in a stream of dimension 0", frame_offset);
  std::string_view records = payload_;
  if (header_.compressed) {
    unsigned long long size = ZSTD_getFrameContentSize(payload_.data(), payload_.size());
    if (size == ZSTD_CONTENTSIZE_ERROR || size == ZSTD_CONTENTSIZE_UNKNOWN || size > kMaxBatchPayloadBytes) {
      return corruption("bad zstd frame in batch payload", payload_offset);
    }
    decompressed_.resize(size);
    size_t n = ZSTD_decompressDCtx(zstd_->dctx, decompressed_.data(), decompressed_.size(), payload_.data(),
                                   payload_.size());
    if (ZSTD_isError(n) || n != size) return corruption("bad zstd frame in batch payload", payload_offset);
    records = decompressed_;
  }
  VS_RETURN_IF_ERROR(decode_payload(records, record_count, payload_offset, out));
  records_read_ += record_count;
  return true;
}

Status RecordStreamReader::decode_payload(std::string_view payload, uint32_t record_count, uint64_t offset,
                                          std::vector<Record>& out) {
  const size_t vec_bytes = size_t{header_.dim} * sizeof(float);
  // Every record takes at least its two length words and its vector; checking
  // that first stops a garbage count from allocating millions of records.
  // Divided, not multiplied: count × (8 + dim × 4) wraps around 64 bits for a
  // dim near 2^32 (tests/fuzz/regressions/record_stream/).
  if (record_count > payload.size() / (8 + vec_bytes)) {
    return corruption("batch of " + std::to_string(record_count) + " records does not fit its " +
                          std::to_string(payload.size()) + "-byte payload",
                      offset);
  }
  out.resize(record_count);
  const char* p = payload.data();
  const char* end = p + payload.size();
  for (uint32_t i = 0; i < record_count; ++i) {
    Record& record = out[i];
    auto overrun = [&] {
      return corruption("record " + std::to_string(i) + " of a batch overruns its payload", offset);
    };
    if (end - p < 4) return overrun();
    uint32_t id_bytes = get<uint32_t>(p);
    p += 4;
    if (static_cast<uint64_t>(end - p) < uint64_t{id_bytes} + 4) return overrun();
    record.id.assign(p, id_bytes);
    p += id_bytes;
    uint32_t meta_bytes = get<uint32_t>(p);
    p += 4;
    if (static_cast<uint64_t>(end - p) < uint64_t{meta_bytes} + vec_bytes) return overrun();
    record.meta.assign(p, meta_bytes);
    p += meta_bytes;
    record.vec.resize(header_.dim);
    std::memcpy(record.vec.data(), p, vec_bytes);
    p += vec_bytes;
  }
  if (p != end) return corruption("trailing bytes in a batch payload", offset);
  return Status::Ok();
}

}  // namespace vs
