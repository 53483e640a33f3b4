#include "ingest/line_reader.h"

#include <fcntl.h>
#include <simdjson.h>
#include <unistd.h>
#include <zstd.h>

#include <cerrno>
#include <cstring>

namespace vs {
namespace {

constexpr unsigned char kZstdMagic[4] = {0x28, 0xB5, 0x2F, 0xFD};
constexpr size_t kReadBytes = size_t{256} << 10;
constexpr std::string_view kUtf8Bom = "\xEF\xBB\xBF";

bool is_blank(std::string_view line) {
  for (char c : line) {
    if (c != ' ' && c != '\t') return false;
  }
  return true;
}

}  // namespace

size_t line_chunk_padding() { return simdjson::SIMDJSON_PADDING; }

struct LineReader::Zstd {
  ZSTD_DCtx* dctx = ZSTD_createDCtx();
  ZSTD_inBuffer in{nullptr, 0, 0};
  size_t last_ret = 0;  // 0: at a frame boundary
  bool raw_eof = false;
  ~Zstd() { ZSTD_freeDCtx(dctx); }
};

LineReader::LineReader(int fd, bool owns_fd, std::string name, std::string already_read,
                       LineReaderOptions options)
    : fd_(fd),
      owns_fd_(owns_fd),
      name_(std::move(name)),
      options_(options),
      prefix_(std::move(already_read)) {
  if (options_.chunk_bytes == 0) options_.chunk_bytes = 1;
  if (options_.chunk_lines == 0) options_.chunk_lines = 1;
}

LineReader::~LineReader() {
  if (owns_fd_ && fd_ >= 0) ::close(fd_);
}

Expected<std::unique_ptr<LineReader>> LineReader::open(const std::string& path, LineReaderOptions options) {
  if (path == "-") return from_fd(STDIN_FILENO, "stdin", {}, options);
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return Status::IoError("cannot open '" + path + "': " + std::strerror(errno));
  return std::unique_ptr<LineReader>(new LineReader(fd, true, path, {}, options));
}

std::unique_ptr<LineReader> LineReader::from_fd(int fd, std::string name, std::string already_read,
                                                LineReaderOptions options) {
  return std::unique_ptr<LineReader>(
      new LineReader(fd, false, std::move(name), std::move(already_read), options));
}

Expected<size_t> LineReader::read_raw(char* dest, size_t bytes) {
  if (prefix_pos_ < prefix_.size()) {
    size_t n = std::min(bytes, prefix_.size() - prefix_pos_);
    std::memcpy(dest, prefix_.data() + prefix_pos_, n);
    prefix_pos_ += n;
    return n;
  }
  for (;;) {
    ssize_t n = ::read(fd_, dest, bytes);
    if (n >= 0) return static_cast<size_t>(n);
    if (errno != EINTR) return Status::IoError("cannot read '" + name_ + "': " + std::strerror(errno));
  }
}

// Looks at the first four bytes without losing them: on a pipe we cannot seek
// back, so they stay in prefix_ and are read again by whichever decoder runs.
Status LineReader::sniff() {
  sniffed_ = true;
  while (prefix_.size() < sizeof(kZstdMagic)) {
    char buf[sizeof(kZstdMagic)];
    size_t want = sizeof(kZstdMagic) - prefix_.size();
    ssize_t n = ::read(fd_, buf, want);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return Status::IoError("cannot read '" + name_ + "': " + std::strerror(errno));
    if (n == 0) break;
    prefix_.append(buf, static_cast<size_t>(n));
  }
  compressed_ = prefix_.size() >= sizeof(kZstdMagic) &&
                std::memcmp(prefix_.data(), kZstdMagic, sizeof(kZstdMagic)) == 0;
  if (compressed_) {
    zstd_ = std::make_unique<Zstd>();
    raw_.resize(ZSTD_DStreamInSize());
  }
  return Status::Ok();
}

Expected<bool> LineReader::fill() {
  if (!compressed_) {
    size_t old = pending_.size();
    pending_.resize(old + kReadBytes);
    auto n = read_raw(pending_.data() + old, kReadBytes);
    pending_.resize(old + (n.ok() ? *n : 0));
    if (!n.ok()) return n.status();
    return *n > 0;
  }
  Zstd& z = *zstd_;
  const size_t out_step = ZSTD_DStreamOutSize();
  for (;;) {
    if (z.in.pos == z.in.size && !z.raw_eof) {
      auto n = read_raw(raw_.data(), raw_.size());
      if (!n.ok()) return n.status();
      if (*n == 0) {
        z.raw_eof = true;
      } else {
        z.in = ZSTD_inBuffer{raw_.data(), *n, 0};
      }
    }
    if (z.raw_eof && z.in.pos == z.in.size && z.last_ret == 0) return false;
    size_t old = pending_.size();
    pending_.resize(old + out_step);
    ZSTD_outBuffer out{pending_.data() + old, out_step, 0};
    size_t ret = ZSTD_decompressStream(z.dctx, &out, &z.in);
    pending_.resize(old + out.pos);
    if (ZSTD_isError(ret)) {
      return Status::BadData(name_ + ": corrupt zstd input: " + ZSTD_getErrorName(ret));
    }
    z.last_ret = ret;
    if (out.pos > 0) return true;
    if (z.raw_eof && z.in.pos == z.in.size && ret != 0) {
      return Status::BadData(name_ + ": truncated zstd input (the compressed stream ends mid-frame)");
    }
  }
}

Expected<bool> LineReader::next_chunk(LineChunk& chunk) {
  chunk.clear();
  chunk.first_line = next_line_;
  if (!sniffed_) VS_RETURN_IF_ERROR(sniff());

  auto add_line = [&](std::string_view line) {
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (first_line_) {
      first_line_ = false;
      if (line.substr(0, kUtf8Bom.size()) == kUtf8Bom) line.remove_prefix(kUtf8Bom.size());
    }
    LineSpan span;
    span.offset = static_cast<uint32_t>(chunk.text.size());
    span.length = static_cast<uint32_t>(line.size());
    span.blank = is_blank(line);
    chunk.text.append(line);
    chunk.text.push_back('\n');
    chunk.lines.push_back(span);
    ++next_line_;
  };

  size_t scan_from = pending_pos_;  // no newline before this in pending_
  while (chunk.text.size() < options_.chunk_bytes && chunk.lines.size() < options_.chunk_lines) {
    const char* start = pending_.data() + pending_pos_;
    const char* end = pending_.data() + pending_.size();
    const char* newline =
        static_cast<const char*>(std::memchr(pending_.data() + scan_from, '\n', pending_.size() - scan_from));
    if (newline != nullptr) {
      add_line(std::string_view(start, static_cast<size_t>(newline - start)));
      pending_pos_ += static_cast<size_t>(newline - start) + 1;
      scan_from = pending_pos_;
      continue;
    }
    if (eof_) {
      if (start != end) add_line(std::string_view(start, static_cast<size_t>(end - start)));
      pending_pos_ = pending_.size();
      break;
    }
    // No complete line left: drop what was consumed and read more.
    pending_.erase(0, pending_pos_);
    pending_pos_ = 0;
    scan_from = pending_.size();
    if (pending_.size() > options_.max_line_bytes) {
      return Status::BadData(name_ + ":" + std::to_string(next_line_) + ": line longer than " +
                             std::to_string(options_.max_line_bytes) + " bytes");
    }
    auto more = fill();
    if (!more.ok()) return more.status();
    if (!*more) eof_ = true;
  }
  // The 32-bit spans bound a chunk to 4 GiB; max_line_bytes keeps it well below.
  chunk.text.reserve(chunk.text.size() + line_chunk_padding());
  return !chunk.lines.empty();
}

}  // namespace vs
