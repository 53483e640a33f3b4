#include "query/query_runner.h"

#include <tbb/enumerable_thread_specific.h>
#include <tbb/task_arena.h>

#include <atomic>
#include <memory>
#include <mutex>
#include <vector>

#include "ingest/line_reader.h"
#include "query/meta_select.h"
#include "query/partial_result.h"
#include "query/query.h"
#include "query/result_writer.h"
#include "util/parallel.h"

namespace vs {

namespace {

// One batch of queries travelling through the pipeline. Batches are pooled
// and reused, so the vectors and strings inside keep their capacity and the
// steady state allocates nothing.
struct Batch {
  size_t size = 0;                            // queries in use (a prefix of `queries`)
  std::vector<Query> queries;
  std::vector<std::vector<Hit>> shard_hits;   // size × shard_count slots, query-major
  std::vector<std::vector<Hit>> hits;         // per query: merged global top-k
  std::vector<std::string> lines;             // per query: the formatted result line
  std::vector<std::string> metas;             // per query: the selected metadata its hits view
  std::vector<FilterPlan> plans;              // size × shard_count slots, for --explain
  LineChunk chunk;                            // the input lines this batch came from
  std::vector<RemoteAnswer> remote_answers;   // per remote shard
  std::vector<ShardFailure> failures;         // remote shards that failed this batch
  bool skip = false;                          // a remote shard failed the run: write nothing
};

// The free list of batches. There are exactly as many batches as the
// pipeline's live-token limit, and a batch is returned in the last stage,
// before its token is released, so take() never finds the list empty.
class BatchPool {
 public:
  explicit BatchPool(size_t count) {
    for (size_t i = 0; i < count; ++i) storage_.push_back(std::make_unique<Batch>());
    for (auto& batch : storage_) free_.push_back(batch.get());
  }
  Batch* take() {
    std::lock_guard lock(mutex_);
    Batch* batch = free_.back();
    free_.pop_back();
    return batch;
  }
  void give_back(Batch* batch) {
    std::lock_guard lock(mutex_);
    free_.push_back(batch);
  }

 private:
  std::mutex mutex_;
  std::vector<std::unique_ptr<Batch>> storage_;
  std::vector<Batch*> free_;
};

class Runner {
 public:
  Runner(const ShardSet& shards, RemoteFanout* remote, LineReader& reader, OutputStream& out,
         const QueryOptions& options, const RejectHandler& on_reject)
      : shards_(shards),
        remote_(remote),
        reader_(reader),
        out_(out),
        options_(options),
        on_reject_(on_reject),
        parser_(shards.shard_count() == 0 && remote != nullptr ? remote->info().dim : shards.dim(),
                shards.shard_count() == 0 && remote != nullptr ? remote->info().metric : shards.metric()) {
    parser_.set_fields(shards.fields());  // empty (unchecked) for a remote-only run
    parser_.set_defaults(options.filter, options.include);
  }

  Expected<QueryStats> run();

 private:
  Batch* read_batch();
  void ask_remote(Batch& batch);
  void search_batch(Batch& batch);
  void write_batch(Batch& batch);
  Status take_line(const LineChunk& chunk, size_t index, Batch& batch);

  const ShardSet& shards_;
  RemoteFanout* remote_;
  LineReader& reader_;
  OutputStream& out_;
  const QueryOptions& options_;
  const RejectHandler& on_reject_;
  QueryParser parser_;  // used by the serial input stage only
  tbb::enumerable_thread_specific<SearchScratch> scratch_;
  std::unique_ptr<BatchPool> pool_;

  bool input_done_ = false;       // input stage only
  Status input_error_;            // input stage only; read after the pipeline
  Status output_error_;           // output stage only; read after the pipeline
  std::atomic<bool> cancelled_{false};  // set by the output stage, read by the others
  Status remote_error_;                 // remote stage only; read after the pipeline
  std::atomic<bool> remote_failed_{false};  // set by the remote stage, read by the input stage
  QueryStats stats_;
};

// Parses one line into the batch's next slot; a non-ok Status ends the run.
Status Runner::take_line(const LineChunk& chunk, size_t index, Batch& batch) {
  if (chunk.lines[index].blank) return Status::Ok();
  std::string_view line = chunk.line(index);
  if (batch.queries.size() <= batch.size) batch.queries.emplace_back();
  Status status = parser_.parse(line, reader_.name(), chunk.line_number(index), batch.queries[batch.size]);
  if (status.ok()) {
    ++batch.size;
    return status;
  }
  if (!options_.skip_invalid) return status;
  ++stats_.rejected;
  return on_reject_ ? on_reject_(status, line) : Status::Ok();
}

Batch* Runner::read_batch() {
  if (input_done_ || cancelled_.load(std::memory_order_relaxed) || remote_failed_.load(std::memory_order_relaxed)) {
    return nullptr;
  }
  Batch* batch = pool_->take();
  batch->size = 0;
  batch->skip = false;
  batch->failures.clear();
  // The reader hands out at most batch_size lines per chunk, so a chunk is a
  // batch (with fewer queries when lines are blank or skipped; a chunk with
  // none is followed by the next, since an empty batch would end the pipeline).
  while (batch->size == 0 && !input_done_) {
    auto more = reader_.next_chunk(batch->chunk);
    if (!more.ok() || !*more) {
      input_error_ = more.status();
      input_done_ = true;
    }
    for (size_t i = 0; i < batch->chunk.lines.size() && !input_done_; ++i) {
      Status status = take_line(batch->chunk, i, *batch);
      if (!status.ok()) {
        // Stop reading, but let the queries before this one through.
        input_error_ = std::move(status);
        input_done_ = true;
      }
    }
  }
  if (batch->size == 0) {
    pool_->give_back(batch);
    return nullptr;
  }
  return batch;
}

// Serial and in order: the fan-out is not thread-safe, and an ssh shard's
// stream must see the batches in order anyway.
void Runner::ask_remote(Batch& batch) {
  if (remote_failed_.load(std::memory_order_relaxed) || cancelled_.load(std::memory_order_relaxed)) {
    batch.skip = true;
    return;
  }
  remote_->search(RemoteBatch{std::span<const Query>(batch.queries.data(), batch.size), options_.k, options_.ef},
                  batch.remote_answers);
  for (const RemoteAnswer& answer : batch.remote_answers) {
    if (!answer.ok) batch.failures.push_back(answer.failure);
  }
  if (batch.failures.empty() || options_.partial) return;
  const ShardFailure& first = batch.failures.front();
  remote_error_ = Status::Unavailable("shard '" + first.shard + "': " + first.reason);
  remote_failed_.store(true, std::memory_order_relaxed);
  batch.skip = true;
}

void Runner::search_batch(Batch& batch) {
  if (cancelled_.load(std::memory_order_relaxed) || batch.skip) return;
  const size_t shard_count = shards_.shard_count();
  const size_t pairs = batch.size * shard_count;
  if (batch.shard_hits.size() < pairs) batch.shard_hits.resize(pairs);
  if (batch.hits.size() < batch.size) {
    batch.hits.resize(batch.size);
    batch.lines.resize(batch.size);
    batch.metas.resize(batch.size);
  }
  if (options_.explain && batch.plans.size() < pairs) batch.plans.resize(pairs);
  auto params_for = [&](const Query& query) {
    return SearchParams{query.k != 0 ? query.k : options_.k, query.ef != 0 ? query.ef : options_.ef,
                        options_.exact, &query.filter, query.include != Query::Include::kNone};
  };
  // One task per (query, shard) pair: a query's shards are searched at once,
  // which is what keeps latency flat as the shard count grows.
  parallel_for(0, pairs, 1, [&](size_t begin, size_t end) {
    SearchScratch& scratch = scratch_.local();
    for (size_t pair = begin; pair != end; ++pair) {
      const Query& query = batch.queries[pair / shard_count];
      std::vector<Hit>& slot = batch.shard_hits[pair];
      slot.clear();
      shards_.search_shard(pair % shard_count, query.vector, params_for(query), scratch, slot);
      if (options_.explain && !query.filter.empty()) batch.plans[pair] = scratch.plan;
    }
  });
  parallel_for(0, batch.size, 1, [&](size_t begin, size_t end) {
    for (size_t q = begin; q != end; ++q) {
      std::vector<Hit>& merged = batch.hits[q];
      merged.clear();
      for (size_t s = 0; s < shard_count; ++s) {
        const std::vector<Hit>& slot = batch.shard_hits[q * shard_count + s];
        merged.insert(merged.end(), slot.begin(), slot.end());
      }
      if (remote_ != nullptr) {
        for (const RemoteAnswer& answer : batch.remote_answers) {
          if (answer.ok) merged.insert(merged.end(), answer.hits[q].begin(), answer.hits[q].end());
        }
      }
      merge_top_k(merged, params_for(batch.queries[q]).k);
      const Query& query = batch.queries[q];
      if (query.include == Query::Include::kFields) {
        scratch_.local().meta.select_hits(query.include_fields, merged, batch.metas[q]);
      }
      batch.lines[q].clear();
      if (batch.failures.empty()) {
        append_result_line(batch.queries[q].id, merged, batch.lines[q]);
      } else {
        const size_t total = shard_count + (remote_ != nullptr ? remote_->shard_count() : 0);
        append_partial_result_line(batch.queries[q].id, merged, total, batch.failures, batch.lines[q]);
      }
    }
  });
}

// Flushes after every batch so results reach a reader that waits on them
// (a script feeding queries one at a time through --batch 1) without delay.
void Runner::write_batch(Batch& batch) {
  if (!output_error_.ok() || batch.skip) return;
  if (options_.explain) {
    const size_t shard_count = shards_.shard_count();
    for (size_t q = 0; q < batch.size; ++q) {
      if (batch.queries[q].filter.empty()) continue;
      for (size_t s = 0; s < shard_count; ++s) {
        options_.explain(batch.queries[q].id, shards_.shard(s), batch.plans[q * shard_count + s]);
      }
    }
  }
  Status status;
  for (size_t q = 0; q < batch.size && status.ok(); ++q) status = out_.write(batch.lines[q]);
  if (status.ok()) status = out_.flush();
  if (status.ok()) {
    stats_.answered += batch.size;
    if (!batch.failures.empty()) stats_.partial += batch.size;
    return;
  }
  output_error_ = std::move(status);
  cancelled_.store(true, std::memory_order_relaxed);
}

Expected<QueryStats> Runner::run() {
  tbb::task_arena arena(options_.threads > 0 ? static_cast<int>(options_.threads)
                                             : tbb::task_arena::automatic);
  // Two batches per worker: one being searched while the next is read and the
  // previous written, which keeps every core busy without unbounded buffering.
  const size_t live_batches = 2 * static_cast<size_t>(arena.max_concurrency()) + 1;
  pool_ = std::make_unique<BatchPool>(live_batches);
  arena.execute([&] {
    Pipeline<Batch> pipeline([this] { return read_batch(); });
    if (remote_ != nullptr) pipeline.then(StageMode::kSerial, [this](Batch& batch) { ask_remote(batch); });
    pipeline.then(StageMode::kParallel, [this](Batch& batch) { search_batch(batch); })
        .then(StageMode::kSerial, [this](Batch& batch) {
          write_batch(batch);
          pool_->give_back(&batch);
        });
    pipeline.run(live_batches);
  });
  // A failed write happened first in time (the input only stops after it),
  // and a broken pipe must win so the tool exits quietly.
  if (!output_error_.ok()) return output_error_;
  if (!remote_error_.ok()) return remote_error_;
  if (!input_error_.ok()) return input_error_;
  return stats_;
}

}  // namespace

Expected<QueryStats> run_queries(const ShardSet& shards, const std::string& input, OutputStream& out,
                                 const QueryOptions& options, const RejectHandler& on_reject) {
  return run_queries(shards, nullptr, input, out, options, on_reject);
}

Expected<QueryStats> run_queries(const ShardSet& shards, RemoteFanout* remote, const std::string& input,
                                 OutputStream& out, const QueryOptions& options, const RejectHandler& on_reject) {
  if (options.batch_size == 0) return Status::Usage("the batch size must be positive");
  LineReaderOptions reader_options;
  reader_options.chunk_lines = options.batch_size;
  auto reader = LineReader::open(input, reader_options);
  if (!reader.ok()) return reader.status();
  // oneTBB reports allocation failure and task errors as exceptions; they stop here.
  try {
    Runner runner(shards, remote, **reader, out, options, on_reject);
    return runner.run();
  } catch (const std::bad_alloc&) {
    return Status::IoError("out of memory");
  } catch (const std::exception& error) {
    return Status::Internal(std::string("query pipeline failed: ") + error.what());
  }
}

}  // namespace vs
