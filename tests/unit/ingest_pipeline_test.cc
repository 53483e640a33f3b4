#include "ingest/ingest_pipeline.h"

#include <gtest/gtest.h>
#include <unistd.h>
#include <zstd.h>

#include <fstream>
#include <string>
#include <vector>

#include "ingest/record_source.h"

namespace vs {
namespace {

std::string temp_file(const std::string& name, const std::string& bytes) {
  std::string path = ::testing::TempDir() + "/ingest_pipeline_test_" + name;
  std::ofstream(path, std::ios::binary) << bytes;
  return path;
}

// Built with append: GCC 12 warns falsely (-Wrestrict) on "literal" + std::string.
std::string doc_id(size_t i) {
  std::string id = "d";
  id += std::to_string(i);
  return id;
}

std::string good_line(int i, int dim = 3) {
  std::string line = "{\"id\":\"";
  line += doc_id(i);
  line += "\",\"vec\":[";
  for (int d = 0; d < dim; ++d) {
    if (d > 0) line += ',';
    line += std::to_string(i + d + 1);
  }
  line += "],\"n\":";
  line += std::to_string(i);
  line += '}';
  return line;
}

PipelineOptions small_chunks(unsigned threads) {
  PipelineOptions options;
  options.threads = threads;
  options.reader.chunk_lines = 5;
  return options;
}

struct Collected {
  std::vector<Record> records;
  std::vector<std::string> reject_messages;
  std::vector<std::string> reject_lines;
  IngestHooks hooks() {
    IngestHooks h;
    h.sink = [this](std::span<Record> batch) {
      for (Record& r : batch) records.push_back(std::move(r));
      return Status::Ok();
    };
    h.on_reject = [this](const Status& s) { reject_messages.push_back(s.message()); };
    h.write_reject = [this](std::string_view line) {
      reject_lines.emplace_back(line);
      return Status::Ok();
    };
    return h;
  }
};

Status run_file(const std::string& path, const IngestOptions& options, const PipelineOptions& pipeline,
                Collected& out, IngestCounts* counts = nullptr) {
  auto reader = LineReader::open(path, pipeline.reader);
  if (!reader.ok()) return reader.status();
  IngestPipeline ingest(options, pipeline, out.hooks());
  Status status = ingest.run(**reader);
  if (counts) *counts = ingest.counts();
  return status;
}

TEST(IngestPipeline, PreservesInputOrderAcrossThreads) {
  std::string text;
  for (int i = 0; i < 3000; ++i) text += good_line(i) + (i % 7 == 0 ? "\n\n" : "\n");
  std::string path = temp_file("order", text);
  for (unsigned threads : {1u, 2u, 4u}) {
    Collected out;
    IngestCounts counts;
    ASSERT_TRUE(run_file(path, IngestOptions{}, small_chunks(threads), out, &counts).ok());
    ASSERT_EQ(out.records.size(), 3000u);
    for (int i = 0; i < 3000; ++i) ASSERT_EQ(out.records[i].id, doc_id(i)) << threads;
    EXPECT_EQ(counts.records, 3000u);
    EXPECT_EQ(counts.blank_lines, 429u);
  }
}

TEST(IngestPipeline, FirstErrorInInputOrderStopsThePipeline) {
  std::string text;
  for (int i = 0; i < 500; ++i) {
    if (i == 123)
      text += "{\"id\":\"x\"}\n";
    else if (i == 400)
      text += "garbage\n";
    else
      text += good_line(i) + "\n";
  }
  Collected out;
  Status status = run_file(temp_file("first_error", text), IngestOptions{}, small_chunks(4), out);
  ASSERT_FALSE(status.ok());
  EXPECT_EQ(status.code(), Code::kBadData);
  EXPECT_NE(status.message().find("first_error:124: missing 'vec'"), std::string::npos) << status.message();
  EXPECT_LE(out.records.size(), 123u);
}

TEST(IngestPipeline, SkipInvalidCountsAndRoutesRejects) {
  std::string text;
  for (int i = 0; i < 100; ++i) text += (i % 10 == 3 ? "bad line " + std::to_string(i) : good_line(i)) + "\n";
  IngestOptions options;
  options.skip_invalid = true;
  Collected out;
  IngestCounts counts;
  ASSERT_TRUE(run_file(temp_file("skip", text), options, small_chunks(2), out, &counts).ok());
  EXPECT_EQ(counts.records, 90u);
  EXPECT_EQ(counts.rejected, 10u);
  ASSERT_EQ(out.reject_lines.size(), 10u);
  EXPECT_EQ(out.reject_lines[0], "bad line 3");
  EXPECT_EQ(out.reject_lines[9], "bad line 93");
  EXPECT_NE(out.reject_messages[1].find(":14: not valid JSON"), std::string::npos) << out.reject_messages[1];
}

TEST(IngestPipeline, FirstRecordFixesTheDimension) {
  // The odd record is early in a later chunk; records before it win.
  std::string text;
  for (int i = 0; i < 50; ++i) text += good_line(i, i == 12 ? 2 : 3) + "\n";
  IngestOptions options;
  options.skip_invalid = true;
  Collected out;
  IngestCounts counts;
  ASSERT_TRUE(run_file(temp_file("dim", text), options, small_chunks(4), out, &counts).ok());
  EXPECT_EQ(counts.rejected, 1u);
  ASSERT_EQ(out.reject_messages.size(), 1u);
  EXPECT_NE(out.reject_messages[0].find("dim:13: 'vec' has 2 numbers, expected 3"), std::string::npos)
      << out.reject_messages[0];
}

TEST(IngestPipeline, ReadsZstdInput) {
  std::string text;
  for (int i = 0; i < 1000; ++i) text += good_line(i) + "\r\n";
  std::string compressed(ZSTD_compressBound(text.size()), '\0');
  compressed.resize(ZSTD_compress(compressed.data(), compressed.size(), text.data(), text.size(), 1));
  Collected out;
  ASSERT_TRUE(run_file(temp_file("z.jsonl.zst", compressed), IngestOptions{}, small_chunks(2), out).ok());
  ASSERT_EQ(out.records.size(), 1000u);
  EXPECT_EQ(out.records[999].id, "d999");
}

TEST(IngestPipeline, SinkErrorStopsThePipeline) {
  std::string text;
  for (int i = 0; i < 1000; ++i) text += good_line(i) + "\n";
  auto reader = LineReader::open(temp_file("sink_error", text), small_chunks(2).reader);
  ASSERT_TRUE(reader.ok());
  size_t calls = 0;
  IngestHooks hooks;
  hooks.sink = [&](std::span<Record>) { return ++calls == 3 ? Status::BrokenPipe() : Status::Ok(); };
  IngestPipeline ingest(IngestOptions{}, small_chunks(2), hooks);
  EXPECT_EQ(ingest.run(**reader).code(), Code::kBrokenPipe);
  EXPECT_EQ(calls, 3u);
}

TEST(IngestTo, RecordStreamRoundTripThroughRecordSource) {
  std::string text;
  for (int i = 0; i < 2500; ++i) text += good_line(i, 4) + "\n";
  std::string input = temp_file("to_stream.jsonl", text);
  for (bool compress : {false, true}) {
    IngestJob job;
    job.inputs = {input, input};  // two files make one stream
    job.options.metric = Metric::kCosine;
    job.compress = compress;
    job.batch_records = 100;
    std::string bytes;
    auto summary = ingest_to(job,
                             [&](std::string_view b) {
                               bytes.append(b);
                               return Status::Ok();
                             },
                             {});
    ASSERT_TRUE(summary.ok()) << summary.status().message();
    EXPECT_EQ(summary->counts.records, 5000u);
    EXPECT_EQ(summary->dim, 4u);

    auto source = open_record_source(temp_file("stream.vsr", bytes), IngestOptions{});
    ASSERT_TRUE(source.ok()) << source.status().message();
    EXPECT_TRUE((*source)->is_record_stream());
    EXPECT_EQ((*source)->dim(), 4u);
    EXPECT_EQ((*source)->metric(), Metric::kCosine);
    std::vector<Record> batch;
    size_t total = 0;
    for (;;) {
      auto more = (*source)->next_batch(batch);
      ASSERT_TRUE(more.ok()) << more.status().message();
      if (!*more) break;
      for (const Record& r : batch) {
        EXPECT_EQ(r.id, doc_id(total % 2500));
        float norm = 0;
        for (float x : r.vec) norm += x * x;
        EXPECT_NEAR(norm, 1.0f, 1e-5);
        ++total;
      }
    }
    EXPECT_EQ(total, 5000u);
  }
}

TEST(IngestTo, WritesJsonl) {
  IngestJob job;
  job.inputs = {temp_file("to_jsonl", "{\"id\":1,\"vec\":[3,4],\"c\":\"x\"}\n")};
  job.options.metric = Metric::kCosine;
  job.format = OutputFormat::kJsonl;
  std::string bytes;
  auto summary = ingest_to(job,
                           [&](std::string_view b) {
                             bytes.append(b);
                             return Status::Ok();
                           },
                           {});
  ASSERT_TRUE(summary.ok());
  EXPECT_EQ(bytes, "{\"id\":\"1\",\"vec\":[0.6,0.8],\"c\":\"x\"}\n");
}

TEST(IngestTo, ErrorLeavesStreamWithoutEndFrame) {
  IngestJob job;
  job.inputs = {temp_file("to_bad", good_line(1) + "\nbad\n")};
  job.batch_records = 1;
  std::string bytes;
  auto summary = ingest_to(job,
                           [&](std::string_view b) {
                             bytes.append(b);
                             return Status::Ok();
                           },
                           {});
  ASSERT_FALSE(summary.ok());
  auto source = open_record_source(temp_file("to_bad.vsr", bytes), IngestOptions{});
  ASSERT_TRUE(source.ok());
  std::vector<Record> batch;
  auto more = (*source)->next_batch(batch);
  ASSERT_TRUE(more.ok());
  more = (*source)->next_batch(batch);
  ASSERT_FALSE(more.ok());
  EXPECT_NE(more.status().message().find("truncated record stream after 1 records"), std::string::npos);
}

TEST(RecordSource, ReadsJsonlFromAPipe) {
  std::string text;
  for (int i = 0; i < 300; ++i) text += good_line(i) + "\n";
  text += "junk\n";
  int fds[2];
  ASSERT_EQ(::pipe(fds), 0);
  ASSERT_EQ(::write(fds[1], text.data(), text.size()), static_cast<ssize_t>(text.size()));
  ::close(fds[1]);
  int saved = ::dup(STDIN_FILENO);
  ::dup2(fds[0], STDIN_FILENO);
  ::close(fds[0]);
  IngestOptions options;
  options.skip_invalid = true;
  std::vector<std::string> rejected;
  IngestHooks hooks;
  hooks.on_reject = [&](const Status& s) { rejected.push_back(s.message()); };
  auto source = open_record_source("-", options, hooks, small_chunks(2));
  ASSERT_TRUE(source.ok());
  std::vector<Record> batch;
  size_t total = 0;
  for (;;) {
    auto more = (*source)->next_batch(batch);
    ASSERT_TRUE(more.ok()) << more.status().message();
    if (!*more) break;
    for (const Record& r : batch) EXPECT_EQ(r.id, doc_id(total++));
  }
  ::dup2(saved, STDIN_FILENO);
  ::close(saved);
  EXPECT_EQ(total, 300u);
  EXPECT_FALSE((*source)->is_record_stream());
  EXPECT_EQ((*source)->dim(), 3u);
  EXPECT_EQ((*source)->counts().rejected, 1u);
  ASSERT_EQ(rejected.size(), 1u);
  EXPECT_EQ(rejected[0].rfind("stdin:301: ", 0), 0u) << rejected[0];
}

TEST(RecordSource, StreamDimensionMismatchIsBadData) {
  IngestJob job;
  job.inputs = {temp_file("dim_src.jsonl", good_line(1) + "\n")};
  std::string bytes;
  ASSERT_TRUE(ingest_to(job,
                        [&](std::string_view b) {
                          bytes.append(b);
                          return Status::Ok();
                        },
                        {})
                  .ok());
  IngestOptions options;
  options.dim = 8;
  auto source = open_record_source(temp_file("dim_src.vsr", bytes), options);
  ASSERT_FALSE(source.ok());
  EXPECT_EQ(source.status().code(), Code::kBadData);
}

}  // namespace
}  // namespace vs
