#include "format/record_stream.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/resource.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <string>
#include <vector>

namespace vs {
namespace {

std::vector<Record> make_records(size_t count, uint32_t dim) {
  std::vector<Record> records(count);
  for (size_t i = 0; i < count; ++i) {
    records[i].id = "doc" + std::to_string(i);
    records[i].meta = i % 2 ? "{}" : R"({"category":"news","n":)" + std::to_string(i) + "}";
    for (uint32_t d = 0; d < dim; ++d) records[i].vec.push_back(static_cast<float>(i) + d * 0.25f);
  }
  return records;
}

std::string write_stream(const std::vector<Record>& records, RecordStreamOptions options) {
  std::string bytes;
  RecordStreamWriter writer(
      [&](std::string_view b) {
        bytes.append(b);
        return Status::Ok();
      },
      "mem", options);
  for (const Record& r : records) EXPECT_TRUE(writer.add(r).ok());
  EXPECT_TRUE(writer.finish().ok());
  return bytes;
}

std::string temp_file(const std::string& name, const std::string& bytes) {
  std::string path = ::testing::TempDir() + "/record_stream_test_" + name;
  std::ofstream(path, std::ios::binary) << bytes;
  return path;
}

// Reads the whole stream at `path`; the records, or the first error.
Expected<std::vector<Record>> read_all(const std::string& path) {
  auto reader = RecordStreamReader::open(path);
  if (!reader.ok()) return reader.status();
  std::vector<Record> all, batch;
  for (;;) {
    auto more = (*reader)->next_batch(batch);
    if (!more.ok()) return more.status();
    if (!*more) return all;
    for (Record& r : batch) all.push_back(r);
  }
}

void expect_same(const std::vector<Record>& a, const std::vector<Record>& b) {
  ASSERT_EQ(a.size(), b.size());
  for (size_t i = 0; i < a.size(); ++i) {
    EXPECT_EQ(a[i].id, b[i].id);
    EXPECT_EQ(a[i].meta, b[i].meta);
    EXPECT_EQ(a[i].vec, b[i].vec);
  }
}

TEST(RecordStream, RoundTripsPlainAndCompressed) {
  auto records = make_records(250, 5);
  for (bool compress : {false, true}) {
    RecordStreamOptions options;
    options.metric = Metric::kIP;
    options.compress = compress;
    options.batch_records = 64;
    std::string path = temp_file(compress ? "rt_z" : "rt", write_stream(records, options));
    auto reader = RecordStreamReader::open(path);
    ASSERT_TRUE(reader.ok()) << reader.status().message();
    EXPECT_EQ((*reader)->header().dim, 5u);
    EXPECT_EQ((*reader)->header().metric, Metric::kIP);
    EXPECT_EQ((*reader)->header().compressed, compress);
    auto all = read_all(path);
    ASSERT_TRUE(all.ok()) << all.status().message();
    expect_same(*all, records);
  }
}

TEST(RecordStream, HeaderLayoutIsAsDocumented) {
  RecordStreamOptions options;
  options.metric = Metric::kCosine;
  std::string bytes = write_stream(make_records(1, 3), options);
  ASSERT_GE(bytes.size(), 32u);
  EXPECT_EQ(bytes.substr(0, 8), std::string("VSRSTRM\0", 8));
  auto u32 = [&](size_t at) {
    uint32_t v;
    std::memcpy(&v, bytes.data() + at, 4);
    return v;
  };
  EXPECT_EQ(u32(8), 1u);   // version
  EXPECT_EQ(u32(12), 3u);  // dim
  EXPECT_EQ(u32(16), 1u);  // cosine
  EXPECT_EQ(u32(20), 0u);  // float32
  EXPECT_EQ(u32(24), 0u);  // flags
  EXPECT_EQ(bytes.substr(32, 4), "VSBT");
  // End frame: 24-byte frame with count 0 and an 8-byte payload holding the total.
  std::string end = bytes.substr(bytes.size() - 32);
  EXPECT_EQ(end.substr(0, 4), "VSBT");
  uint64_t total;
  std::memcpy(&total, end.data() + 24, 8);
  EXPECT_EQ(total, 1u);
}

TEST(RecordStream, EmptyStreamRoundTrips) {
  std::string path = temp_file("empty", write_stream({}, RecordStreamOptions{}));
  auto all = read_all(path);
  ASSERT_TRUE(all.ok()) << all.status().message();
  EXPECT_TRUE(all->empty());
}

TEST(RecordStream, DetectsTruncationAtEveryCutPoint) {
  for (bool compress : {false, true}) {
    RecordStreamOptions options;
    options.compress = compress;
    options.batch_records = 3;
    std::string bytes = write_stream(make_records(7, 2), options);
    for (size_t cut = 0; cut < bytes.size(); ++cut) {
      std::string path = temp_file("cut", bytes.substr(0, cut));
      auto all = read_all(path);
      ASSERT_FALSE(all.ok()) << "cut at " << cut;
      EXPECT_EQ(all.status().code(), Code::kCorruption);
      EXPECT_NE(all.status().message().find("truncated record stream after"), std::string::npos)
          << all.status().message();
      EXPECT_NE(all.status().message().find("(byte offset " + std::to_string(cut) + ")"), std::string::npos)
          << all.status().message();
      EXPECT_EQ(all.status().message().rfind(path + ": ", 0), 0u) << all.status().message();
    }
  }
}

TEST(RecordStream, DetectsEveryFlippedByte) {
  for (bool compress : {false, true}) {
    RecordStreamOptions options;
    options.compress = compress;
    options.batch_records = 4;
    std::string bytes = write_stream(make_records(6, 3), options);
    for (size_t at = 0; at < bytes.size(); ++at) {
      std::string damaged = bytes;
      damaged[at] = static_cast<char>(damaged[at] ^ 0x10);
      auto all = read_all(temp_file("flip", damaged));
      ASSERT_FALSE(all.ok()) << "flip at " << at;
      EXPECT_EQ(all.status().code(), Code::kCorruption) << all.status().message();
    }
  }
}

TEST(RecordStream, FlippedPayloadByteIsAChecksumError) {
  std::string bytes = write_stream(make_records(2, 3), RecordStreamOptions{});
  bytes[32 + 24 + 5] ^= 0x01;  // inside the first batch payload
  auto all = read_all(temp_file("flip_payload", bytes));
  ASSERT_FALSE(all.ok());
  EXPECT_NE(all.status().message().find("batch checksum mismatch (byte offset 56)"), std::string::npos)
      << all.status().message();
}

TEST(RecordStream, RejectsDataAfterTheEndFrame) {
  std::string bytes = write_stream(make_records(2, 3), RecordStreamOptions{});
  auto all = read_all(temp_file("trailing", bytes + "x"));
  ASSERT_FALSE(all.ok());
  EXPECT_NE(all.status().message().find("data after the end of the record stream"), std::string::npos);
}

TEST(RecordStream, RejectsHugePayloadSizes) {
  std::string bytes = write_stream(make_records(2, 3), RecordStreamOptions{});
  uint64_t huge = uint64_t{1} << 40;
  std::memcpy(bytes.data() + 32 + 8, &huge, 8);
  auto all = read_all(temp_file("huge", bytes));
  ASSERT_FALSE(all.ok());
  EXPECT_NE(all.status().message().find("exceeds the 1 GiB limit"), std::string::npos)
      << all.status().message();
}

// VmData of this process, in bytes: its private writable memory, which
// RLIMIT_DATA bounds (malloc's large blocks included, as they are mmap'd).
uint64_t data_bytes_now() {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("VmData:", 0) == 0) return std::stoull(line.substr(7)) * 1024;
  }
  return 0;
}

// Reads `path` under a data limit of 512 MiB above what the process uses now;
// exits 0 when the read fails as truncated, 1 otherwise, 2 without the limit.
[[noreturn]] void read_truncated_within_limit(const std::string& path) {
  const rlim_t limit = data_bytes_now() + (rlim_t{512} << 20);
  const rlimit data_limit = {.rlim_cur = limit, .rlim_max = limit};
  if (::setrlimit(RLIMIT_DATA, &data_limit) != 0) std::_Exit(2);
  auto all = read_all(path);
  bool truncated = !all.ok() && all.status().message().find("truncated record stream after 0 records") !=
                                    std::string::npos;
  std::_Exit(truncated ? 0 : 1);
}

// A frame that claims the largest payload allowed (1 GiB) on an input that
// holds 100 bytes of it must be reported truncated without allocating the
// 1 GiB first. A child process reads it with its data limit 512 MiB above
// what it uses: reading in bounded steps fits; allocating the claim up front
// fails (bad_alloc, or the sanitizer's out-of-memory report), and the child
// does not exit 0.
TEST(RecordStreamDeathTest, LyingPayloadSizeIsNotAllocatedUpFront) {
  std::string stream = write_stream(make_records(2, 3), RecordStreamOptions{}).substr(0, 32 + 24);
  uint64_t claimed = kMaxBatchPayloadBytes;
  std::memcpy(stream.data() + 32 + 8, &claimed, 8);
  stream += std::string(100, 'x');
  const std::string path = temp_file("lying_size", stream);
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_EXIT(read_truncated_within_limit(path), ::testing::ExitedWithCode(0), "");
}

TEST(RecordStream, RejectsBadMagicAndVersion) {
  auto all = read_all(temp_file("magic", std::string(64, 'x')));
  ASSERT_FALSE(all.ok());
  EXPECT_NE(all.status().message().find("bad magic"), std::string::npos);
}

TEST(RecordStream, ReadsFromAPipeWithSniffedPrefix) {
  std::string bytes = write_stream(make_records(10, 4), RecordStreamOptions{});
  int fds[2];
  ASSERT_EQ(::pipe(fds), 0);
  ASSERT_EQ(::write(fds[1], bytes.data() + 8, bytes.size() - 8), static_cast<ssize_t>(bytes.size() - 8));
  ::close(fds[1]);
  auto reader = RecordStreamReader::from_fd(fds[0], "pipe", bytes.substr(0, 8));
  ASSERT_TRUE(reader.ok()) << reader.status().message();
  std::vector<Record> batch;
  auto more = (*reader)->next_batch(batch);
  ASSERT_TRUE(more.ok() && *more);
  EXPECT_EQ(batch.size(), 10u);
  more = (*reader)->next_batch(batch);
  ASSERT_TRUE(more.ok()) << more.status().message();
  EXPECT_FALSE(*more);
  ::close(fds[0]);
}

TEST(RecordStream, WriterRejectsWrongDimension) {
  std::string bytes;
  RecordStreamOptions options;
  options.dim = 3;
  RecordStreamWriter writer(
      [&](std::string_view b) {
        bytes.append(b);
        return Status::Ok();
      },
      "mem", options);
  Record r;
  r.id = "a";
  r.vec = {1, 2};
  EXPECT_FALSE(writer.add(r).ok());
}

TEST(RecordStream, LooksLikeRecordStream) {
  EXPECT_TRUE(looks_like_record_stream(std::string("VSRSTRM\0xx", 10)));
  EXPECT_FALSE(looks_like_record_stream("{\"id\":1}"));
  EXPECT_FALSE(looks_like_record_stream("VSR"));
}

}  // namespace
}  // namespace vs
