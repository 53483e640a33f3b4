#include "ingest/record_source.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <deque>

#include "format/record_stream.h"
#include "ingest/line_reader.h"

namespace vs {
namespace {

// Closes the fd it was given, unless it is stdin.
class InputFd {
 public:
  InputFd(int fd, bool owned) : fd_(fd), owned_(owned) {}
  ~InputFd() {
    if (owned_ && fd_ >= 0) ::close(fd_);
  }
  InputFd(const InputFd&) = delete;
  InputFd& operator=(const InputFd&) = delete;
  int get() const { return fd_; }

 private:
  int fd_;
  bool owned_;
};

class StreamSource final : public RecordSource {
 public:
  StreamSource(std::unique_ptr<InputFd> fd, std::unique_ptr<RecordStreamReader> reader)
      : fd_(std::move(fd)), reader_(std::move(reader)) {}

  Expected<bool> next_batch(std::vector<Record>& out) override { return reader_->next_batch(out); }
  uint32_t dim() const override { return reader_->header().dim; }
  Metric metric() const override { return reader_->header().metric; }
  IngestCounts counts() const override { return IngestCounts{reader_->records_read(), 0, 0}; }
  bool is_record_stream() const override { return true; }

 private:
  std::unique_ptr<InputFd> fd_;  // declared first: outlives the reader using it
  std::unique_ptr<RecordStreamReader> reader_;
};

class JsonlSource final : public RecordSource {
 public:
  JsonlSource(std::unique_ptr<InputFd> fd, std::unique_ptr<LineReader> reader, const IngestOptions& options,
              IngestHooks hooks, PipelineOptions pipeline)
      : fd_(std::move(fd)), reader_(std::move(reader)) {
    hooks.sink = [this](std::span<Record> records) {
      batches_.emplace_back(std::make_move_iterator(records.begin()), std::make_move_iterator(records.end()));
      return Status::Ok();
    };
    pipeline_ = std::make_unique<IngestPipeline>(options, pipeline, std::move(hooks));
  }

  Expected<bool> next_batch(std::vector<Record>& out) override {
    out.clear();
    if (!ingested_) {
      ingested_ = true;
      VS_RETURN_IF_ERROR(pipeline_->run(*reader_));
      reader_.reset();
    }
    if (batches_.empty()) return false;
    out.swap(batches_.front());
    batches_.pop_front();
    return true;
  }
  uint32_t dim() const override { return pipeline_->dim(); }
  Metric metric() const override { return pipeline_->options().metric; }
  IngestCounts counts() const override { return pipeline_->counts(); }
  bool is_record_stream() const override { return false; }

 private:
  std::unique_ptr<InputFd> fd_;
  std::unique_ptr<LineReader> reader_;
  std::unique_ptr<IngestPipeline> pipeline_;
  std::deque<std::vector<Record>> batches_;
  bool ingested_ = false;
};

}  // namespace

Expected<std::unique_ptr<RecordSource>> open_record_source(const std::string& path,
                                                           const IngestOptions& options, IngestHooks hooks,
                                                           PipelineOptions pipeline) {
  const bool is_stdin = path == "-";
  const std::string name = is_stdin ? "stdin" : path;
  int raw_fd = is_stdin ? STDIN_FILENO : ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (raw_fd < 0) return Status::IoError("cannot open '" + path + "': " + std::strerror(errno));
  auto fd = std::make_unique<InputFd>(raw_fd, !is_stdin);

  // Peek at the magic into our own buffer; the chosen reader consumes it first.
  std::string prefix(sizeof(kRecordStreamMagic), '\0');
  size_t have = 0;
  while (have < prefix.size()) {
    ssize_t n = ::read(fd->get(), prefix.data() + have, prefix.size() - have);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return Status::IoError("cannot read '" + name + "': " + std::strerror(errno));
    if (n == 0) break;
    have += static_cast<size_t>(n);
  }
  prefix.resize(have);

  if (looks_like_record_stream(prefix)) {
    auto reader = RecordStreamReader::from_fd(fd->get(), name, std::move(prefix));
    if (!reader.ok()) return reader.status();
    uint32_t stream_dim = (*reader)->header().dim;
    if (options.dim != 0 && stream_dim != 0 && stream_dim != options.dim) {
      return Status::BadData(name + ": record stream has dimension " + std::to_string(stream_dim) +
                             ", expected " + std::to_string(options.dim));
    }
    return std::unique_ptr<RecordSource>(new StreamSource(std::move(fd), std::move(*reader)));
  }
  auto reader = LineReader::from_fd(fd->get(), name, std::move(prefix), pipeline.reader);
  return std::unique_ptr<RecordSource>(
      new JsonlSource(std::move(fd), std::move(reader), options, std::move(hooks), pipeline));
}

}  // namespace vs
