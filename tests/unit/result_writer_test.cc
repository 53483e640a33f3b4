// Result JSON Lines formatting: escaping, shortest round-trip scores, layout.
#include "query/result_writer.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <charconv>
#include <cmath>
#include <limits>

namespace vs {
namespace {

std::string escaped(std::string_view text) {
  std::string out;
  append_json_string(text, out);
  return out;
}

std::string score_text(float score) {
  std::string out;
  append_score(score, out);
  return out;
}

TEST(ResultWriterTest, EscapesJsonSpecials) {
  EXPECT_EQ(escaped("doc1"), R"("doc1")");
  EXPECT_EQ(escaped("a\"b\\c"), R"("a\"b\\c")");
  EXPECT_EQ(escaped("\n\t\r\b\f"), R"("\n\t\r\b\f")");
  EXPECT_EQ(escaped(std::string_view("\x01\x1f", 2)), R"("\u0001\u001f")");
  EXPECT_EQ(escaped(std::string_view("a\0b", 3)), R"("a\u0000b")");
  EXPECT_EQ(escaped("caf\xc3\xa9"), "\"caf\xc3\xa9\"");  // UTF-8 passes through
}

TEST(ResultWriterTest, ScoresAreShortestRoundTrip) {
  EXPECT_EQ(score_text(0.93f), "0.93");
  EXPECT_EQ(score_text(-1.5f), "-1.5");
  EXPECT_EQ(score_text(0.0f), "0");
  EXPECT_EQ(score_text(-0.0f), "0");
  for (float value : {0.1f, 1.0f / 3.0f, -123456.78f, 1e-20f, 3.4e38f}) {
    std::string text = score_text(value);
    float back = 0;
    auto result = std::from_chars(text.data(), text.data() + text.size(), back);
    ASSERT_EQ(result.ec, std::errc());
    EXPECT_EQ(back, value) << text;
  }
}

TEST(ResultWriterTest, NonFiniteScoresAreClampedToValidJson) {
  EXPECT_EQ(score_text(std::numeric_limits<float>::infinity()), score_text(std::numeric_limits<float>::max()));
  EXPECT_EQ(score_text(-std::numeric_limits<float>::infinity()),
            score_text(std::numeric_limits<float>::lowest()));
  EXPECT_EQ(score_text(std::nanf("")), score_text(std::numeric_limits<float>::lowest()));
}

TEST(ResultWriterTest, FormatsOneLinePerQuery) {
  std::vector<Hit> hits{{"doc123", 0.93f}, {"d\"2", -0.5f}};
  std::string line;
  append_result_line("q1", hits, line);
  EXPECT_EQ(line, R"({"id":"q1","hits":[{"id":"doc123","score":0.93},{"id":"d\"2","score":-0.5}]})"
                  "\n");
  line.clear();
  append_result_line("empty", {}, line);
  EXPECT_EQ(line, "{\"id\":\"empty\",\"hits\":[]}\n");
}

TEST(ResultWriterTest, WritesThroughOutputStream) {
  int fds[2];
  ASSERT_EQ(::pipe(fds), 0);
  {
    OutputStream out(fds[1], "pipe");
    ResultWriter writer(out);
    std::vector<Hit> hits{{"a", 1.0f}};
    ASSERT_TRUE(writer.write("q", hits).ok());
    ASSERT_TRUE(out.flush().ok());
  }
  ::close(fds[1]);
  char buffer[256];
  ssize_t n = ::read(fds[0], buffer, sizeof buffer);
  ::close(fds[0]);
  EXPECT_EQ(std::string(buffer, static_cast<size_t>(n)), "{\"id\":\"q\",\"hits\":[{\"id\":\"a\",\"score\":1}]}\n");
}

}  // namespace
}  // namespace vs
