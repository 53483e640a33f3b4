#include "ingest/ingest_pipeline.h"

#include <oneapi/tbb/enumerable_thread_specific.h>
#include <oneapi/tbb/info.h>
#include <oneapi/tbb/task_arena.h>

#include <algorithm>
#include <atomic>
#include <exception>
#include <limits>
#include <mutex>
#include <new>

#include "util/parallel.h"

namespace vs {

// One token of the pipeline: a chunk of lines and what parsing made of it.
// Tokens are recycled so their strings and vectors keep their capacity, which
// keeps the steady state free of per-record allocation.
struct IngestPipeline::Work {
  LineChunk chunk;
  ParsedChunk parsed;
};

namespace {

// Parsing is CPU-bound, so threads beyond the cores only add switching; asking
// oneTBB for more than it has also makes it print a warning on stderr.
int arena_threads(unsigned requested) {
  const int cores = tbb::info::default_concurrency();
  if (requested == 0) return cores;
  return std::min(static_cast<int>(requested), cores);
}

}  // namespace

struct IngestPipeline::Shared {
  explicit Shared(const IngestOptions& options, unsigned threads)
      : arena(arena_threads(threads)),
        parsers([options] { return std::make_unique<JsonlParser>(options); }) {}

  Work* acquire() {
    {
      std::lock_guard<std::mutex> guard(free_lock);
      if (!free_list.empty()) {
        Work* work = free_list.back();
        free_list.pop_back();
        return work;
      }
    }
    owned.push_back(std::make_unique<Work>());
    return owned.back().get();
  }
  void release(Work* work) {
    std::lock_guard<std::mutex> guard(free_lock);
    free_list.push_back(work);
  }

  tbb::task_arena arena;
  tbb::enumerable_thread_specific<std::unique_ptr<JsonlParser>> parsers;
  // acquire() runs only in the serial input stage, so `owned` needs no lock;
  // release() runs in the output stage concurrently with it, hence the lock
  // (taken once per chunk of lines).
  std::vector<std::unique_ptr<Work>> owned;
  std::mutex free_lock;
  std::vector<Work*> free_list;
};

IngestPipeline::IngestPipeline(IngestOptions options, PipelineOptions pipeline, IngestHooks hooks)
    : options_(std::move(options)),
      pipeline_(pipeline),
      hooks_(std::move(hooks)),
      dim_(options_.dim),
      shared_(std::make_unique<Shared>(options_, pipeline.threads)) {}

IngestPipeline::~IngestPipeline() = default;

// The in-order stage: the only place that knows which record came first, so
// it fixes and checks the dimension, and decides between failing and skipping.
Status IngestPipeline::deliver(Work& work, const std::string& source) {
  ParsedChunk& parsed = work.parsed;
  const LineChunk& chunk = work.chunk;
  size_t accepted = 0;
  size_t next_error = 0;

  auto deliver_accepted = [&]() -> Status {
    if (accepted == 0) return Status::Ok();
    Status status = hooks_.sink(std::span<Record>(parsed.records.data(), accepted));
    counts_.records += accepted;
    accepted = 0;
    return status;
  };
  auto reject = [&](const Status& error, uint32_t line_index) -> Status {
    if (!options_.skip_invalid) {
      VS_RETURN_IF_ERROR(deliver_accepted());
      return error;
    }
    ++counts_.rejected;
    if (hooks_.on_reject) hooks_.on_reject(error);
    if (hooks_.write_reject) return hooks_.write_reject(chunk.line(line_index));
    return Status::Ok();
  };

  for (size_t r = 0; r <= parsed.record_count; ++r) {
    const uint32_t line_index =
        r < parsed.record_count ? parsed.record_lines[r] : std::numeric_limits<uint32_t>::max();
    for (; next_error < parsed.errors.size() && parsed.errors[next_error].line_index < line_index;
         ++next_error) {
      const LineError& error = parsed.errors[next_error];
      VS_RETURN_IF_ERROR(reject(error.status, error.line_index));
    }
    if (r == parsed.record_count) break;
    Record& record = parsed.records[r];
    if (dim_ == 0) dim_ = static_cast<uint32_t>(record.vec.size());
    if (record.vec.size() != dim_) {
      Status error = Status::BadData(source + ":" + std::to_string(chunk.line_number(line_index)) + ": '" +
                                     options_.vec_field + "' has " + std::to_string(record.vec.size()) +
                                     " numbers, expected " + std::to_string(dim_));
      VS_RETURN_IF_ERROR(reject(error, line_index));
      continue;
    }
    // Swap rather than move so the recycled slots keep their buffers.
    if (accepted != r) std::swap(parsed.records[accepted], record);
    ++accepted;
  }
  VS_RETURN_IF_ERROR(deliver_accepted());
  counts_.blank_lines += parsed.blank_lines;
  if (hooks_.on_progress) hooks_.on_progress(counts_);
  return Status::Ok();
}

Status IngestPipeline::run(LineReader& reader) {
  if (!hooks_.sink) return Status::Internal("IngestPipeline: no sink");
  const std::string source = reader.name();
  Shared& shared = *shared_;
  std::atomic<bool> stop{false};
  Status read_error;
  Status first_error;

  auto read_stage = [&]() -> Work* {
    if (stop.load(std::memory_order_relaxed)) return nullptr;
    Work* work = shared.acquire();
    auto more = reader.next_chunk(work->chunk);
    if (!more.ok() || !*more) {
      if (!more.ok()) read_error = more.status();
      shared.release(work);
      return nullptr;
    }
    return work;
  };
  auto parse_stage = [&](Work& work) {
    if (!stop.load(std::memory_order_relaxed)) {
      shared.parsers.local()->parse_chunk(work.chunk, source, work.parsed);
    }
  };
  auto deliver_stage = [&](Work& work) {
    if (!stop.load(std::memory_order_relaxed)) {
      Status status = deliver(work, source);
      if (!status.ok()) {
        first_error = std::move(status);
        stop.store(true, std::memory_order_relaxed);
      }
    }
    shared.release(&work);
  };

  // Two live chunks per thread: one being parsed, one waiting in line, so no
  // thread idles while the in-order stages catch up, and memory stays bounded.
  try {
    shared.arena.execute([&] {
      const size_t max_live_chunks = 2 * static_cast<size_t>(shared.arena.max_concurrency());
      Pipeline<Work>(read_stage)
          .then(StageMode::kParallel, parse_stage)
          .then(StageMode::kSerial, deliver_stage)
          .run(max_live_chunks);
    });
  } catch (const std::bad_alloc&) {
    return Status::IoError(source + ": out of memory");
  } catch (const std::exception& e) {
    return Status::Internal(source + ": ingest pipeline failed: " + e.what());
  }
  // A sink or data error belongs to an earlier chunk than a read error, which
  // is only seen once the reader is past every chunk already delivered.
  if (!first_error.ok()) return first_error;
  return read_error;
}

Expected<IngestSummary> ingest_to(const IngestJob& job, const ByteSink& out, IngestHooks hooks) {
  std::vector<std::string> inputs = job.inputs;
  if (inputs.empty()) inputs.push_back("-");
  // Open every input first: a misspelt second file should fail before the
  // first one has been streamed out.
  std::vector<std::unique_ptr<LineReader>> readers;
  for (const std::string& path : inputs) {
    auto reader = LineReader::open(path, job.pipeline.reader);
    if (!reader.ok()) return reader.status();
    readers.push_back(std::move(*reader));
  }

  std::unique_ptr<RecordStreamWriter> writer;
  if (job.format == OutputFormat::kRecordStream) {
    RecordStreamOptions stream;
    stream.dim = job.options.dim;
    stream.metric = job.options.metric;
    stream.compress = job.compress;
    stream.batch_records = job.batch_records;
    writer = std::make_unique<RecordStreamWriter>(out, "output", stream);
  }
  std::string text;
  hooks.sink = [&](std::span<Record> records) -> Status {
    if (writer) {
      for (const Record& record : records) VS_RETURN_IF_ERROR(writer->add(record));
      return Status::Ok();
    }
    text.clear();
    for (const Record& record : records) append_record_jsonl(text, record);
    return out(text);
  };

  IngestPipeline pipeline(job.options, job.pipeline, std::move(hooks));
  for (auto& reader : readers) {
    VS_RETURN_IF_ERROR(pipeline.run(*reader));
    reader.reset();  // close each input as soon as it is done
  }
  if (writer) VS_RETURN_IF_ERROR(writer->finish());
  return IngestSummary{pipeline.counts(), pipeline.dim()};
}

}  // namespace vs
