#include "ingest/line_reader.h"

#include <gtest/gtest.h>
#include <unistd.h>
#include <zstd.h>

#include <fstream>
#include <string>
#include <vector>

namespace vs {
namespace {

std::string temp_file(const std::string& name, const std::string& bytes) {
  std::string path = ::testing::TempDir() + "/line_reader_test_" + name;
  std::ofstream(path, std::ios::binary) << bytes;
  return path;
}

std::string zstd_compress(const std::string& text) {
  std::string out(ZSTD_compressBound(text.size()), '\0');
  out.resize(ZSTD_compress(out.data(), out.size(), text.data(), text.size(), 3));
  return out;
}

struct Line {
  uint64_t number;
  std::string text;
  bool blank;
};

Expected<std::vector<Line>> read_lines(LineReader& reader, size_t* chunks = nullptr) {
  std::vector<Line> lines;
  LineChunk chunk;
  for (;;) {
    auto more = reader.next_chunk(chunk);
    if (!more.ok()) return more.status();
    if (!*more) return lines;
    if (chunks) ++*chunks;
    EXPECT_GE(chunk.text.capacity(), chunk.text.size() + line_chunk_padding());
    for (size_t i = 0; i < chunk.lines.size(); ++i) {
      EXPECT_EQ(chunk.text[chunk.lines[i].offset + chunk.lines[i].length], '\n');
      lines.push_back({chunk.line_number(i), std::string(chunk.line(i)), chunk.lines[i].blank});
    }
  }
}

Expected<std::vector<Line>> read_path(const std::string& path, LineReaderOptions options = {}) {
  auto reader = LineReader::open(path, options);
  if (!reader.ok()) return reader.status();
  return read_lines(**reader);
}

TEST(LineReader, SplitsLinesStripsCrAndKeepsALastLineWithoutNewline) {
  auto lines = read_path(temp_file("basic", "a\r\nbb\n\n  \t\nlast"));
  ASSERT_TRUE(lines.ok()) << lines.status().message();
  ASSERT_EQ(lines->size(), 5u);
  EXPECT_EQ((*lines)[0].text, "a");
  EXPECT_EQ((*lines)[1].text, "bb");
  EXPECT_TRUE((*lines)[2].blank);
  EXPECT_TRUE((*lines)[3].blank);
  EXPECT_EQ((*lines)[4].text, "last");
  EXPECT_FALSE((*lines)[4].blank);
  for (size_t i = 0; i < lines->size(); ++i) EXPECT_EQ((*lines)[i].number, i + 1);
}

TEST(LineReader, EmptyInputHasNoChunks) {
  auto lines = read_path(temp_file("empty", ""));
  ASSERT_TRUE(lines.ok());
  EXPECT_TRUE(lines->empty());
}

TEST(LineReader, StripsUtf8ByteOrderMark) {
  auto lines = read_path(temp_file("bom", "\xEF\xBB\xBF{}\n"));
  ASSERT_TRUE(lines.ok());
  ASSERT_EQ(lines->size(), 1u);
  EXPECT_EQ((*lines)[0].text, "{}");
}

TEST(LineReader, NumbersLinesAcrossSmallChunks) {
  std::string text;
  for (int i = 1; i <= 1000; ++i) text += "line" + std::to_string(i) + "\n";
  LineReaderOptions options;
  options.chunk_lines = 7;
  options.chunk_bytes = 50;
  auto reader = LineReader::open(temp_file("many", text), options);
  ASSERT_TRUE(reader.ok());
  size_t chunks = 0;
  auto lines = read_lines(**reader, &chunks);
  ASSERT_TRUE(lines.ok());
  ASSERT_EQ(lines->size(), 1000u);
  EXPECT_GT(chunks, 100u);
  for (size_t i = 0; i < lines->size(); ++i) {
    EXPECT_EQ((*lines)[i].number, i + 1);
    EXPECT_EQ((*lines)[i].text, "line" + std::to_string(i + 1));
  }
}

TEST(LineReader, ReadsZstdByContentNotName) {
  std::string text;
  for (int i = 0; i < 20000; ++i) text += "{\"id\":" + std::to_string(i) + "}\r\n";
  // Two concatenated frames, as `cat a.zst b.zst` makes.
  std::string compressed = zstd_compress(text.substr(0, 1000)) + zstd_compress(text.substr(1000));
  auto reader = LineReader::open(temp_file("noext", compressed));
  ASSERT_TRUE(reader.ok());
  auto lines = read_lines(**reader);
  ASSERT_TRUE(lines.ok()) << lines.status().message();
  EXPECT_TRUE((*reader)->compressed());
  ASSERT_EQ(lines->size(), 20000u);
  EXPECT_EQ((*lines)[19999].text, "{\"id\":19999}");
}

TEST(LineReader, TruncatedZstdIsBadDataNamingTheFile) {
  std::string text;
  for (int i = 0; i < 5000; ++i) text += "{\"id\":" + std::to_string(i) + "}\n";
  std::string compressed = zstd_compress(text);
  for (size_t cut : {size_t{4}, size_t{10}, compressed.size() / 2, compressed.size() - 1}) {
    std::string path = temp_file("trunc.zst", compressed.substr(0, cut));
    auto lines = read_path(path);
    ASSERT_FALSE(lines.ok()) << "cut " << cut;
    EXPECT_EQ(lines.status().code(), Code::kBadData);
    EXPECT_EQ(lines.status().message().rfind(path + ": ", 0), 0u) << lines.status().message();
  }
}

TEST(LineReader, CorruptZstdIsBadData) {
  // Garbage after a good frame: zstd frames carry no checksum by default, so
  // flipping bytes inside one may decode to wrong text, but an unknown frame
  // header is always caught.
  std::string compressed = zstd_compress("{\"id\":1}\n") + "garbage-not-a-frame";
  auto lines = read_path(temp_file("corrupt.zst", compressed));
  ASSERT_FALSE(lines.ok());
  EXPECT_EQ(lines.status().code(), Code::kBadData);
}

TEST(LineReader, ReadsAPipeWithAPrefix) {
  int fds[2];
  ASSERT_EQ(::pipe(fds), 0);
  std::string rest = "ond\nthird";
  ASSERT_EQ(::write(fds[1], rest.data(), rest.size()), static_cast<ssize_t>(rest.size()));
  ::close(fds[1]);
  auto reader = LineReader::from_fd(fds[0], "stdin", "first\nsec");
  auto lines = read_lines(*reader);
  ::close(fds[0]);
  ASSERT_TRUE(lines.ok());
  ASSERT_EQ(lines->size(), 3u);
  EXPECT_EQ((*lines)[1].text, "second");
  EXPECT_EQ(reader->name(), "stdin");
}

TEST(LineReader, MissingFileIsIoError) {
  auto reader = LineReader::open("/nonexistent/x.jsonl");
  ASSERT_FALSE(reader.ok());
  EXPECT_EQ(reader.status().code(), Code::kIoError);
}

TEST(LineReader, OverlongLineIsBadData) {
  LineReaderOptions options;
  options.max_line_bytes = 1000;
  auto lines = read_path(temp_file("long", "ok\n" + std::string(300000, 'x') + "\n"), options);
  ASSERT_FALSE(lines.ok());
  EXPECT_NE(lines.status().message().find(":2: line longer than"), std::string::npos)
      << lines.status().message();
}

}  // namespace
}  // namespace vs
