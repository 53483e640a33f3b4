#include "net/bearer_token.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>

namespace vs::net {
namespace {

TEST(BearerTokenTest, ConstantTimeEqualIsEquality) {
  EXPECT_TRUE(constant_time_equal("abc", "abc"));
  EXPECT_FALSE(constant_time_equal("abd", "abc"));
  EXPECT_FALSE(constant_time_equal("ab", "abc"));
  EXPECT_FALSE(constant_time_equal("abcd", "abc"));
  EXPECT_FALSE(constant_time_equal("", "abc"));
  EXPECT_FALSE(constant_time_equal("abcabc", "abc"));  // `a` read modulo its length must not alias
  EXPECT_TRUE(constant_time_equal("", ""));
}

TEST(BearerTokenTest, BearerSchemeIsCaseInsensitiveTheTokenIsNot) {
  EXPECT_TRUE(bearer_matches("Bearer tok", "tok"));
  EXPECT_TRUE(bearer_matches("BEARER tok", "tok"));
  EXPECT_FALSE(bearer_matches("Bearer TOK", "tok"));
  EXPECT_FALSE(bearer_matches("Basic tok", "tok"));
  EXPECT_FALSE(bearer_matches("Bearer", "tok"));
  EXPECT_FALSE(bearer_matches("", "tok"));
  EXPECT_FALSE(bearer_matches("Bearer tok ", "tok"));
}

TEST(BearerTokenTest, ReadsTheFileWithoutItsNewline) {
  char tmpl[] = "/tmp/vs-token-XXXXXX";
  int fd = mkstemp(tmpl);
  ASSERT_GE(fd, 0);
  close(fd);
  std::string path = tmpl;
  auto write = [&](const std::string& text) { std::ofstream(path, std::ios::trunc) << text; };

  write("s3cret\n");
  auto token = read_token_file(path);
  ASSERT_TRUE(token.ok()) << token.status().message();
  EXPECT_EQ(*token, "s3cret");
  write("s3cret\r\n");
  EXPECT_EQ(*read_token_file(path), "s3cret");
  write("\n");
  EXPECT_EQ(read_token_file(path).status().code(), Code::kUsage);
  write("two words\n");
  EXPECT_EQ(read_token_file(path).status().code(), Code::kUsage);
  std::remove(path.c_str());
  EXPECT_EQ(read_token_file(path).status().code(), Code::kIoError);
}

}  // namespace
}  // namespace vs::net
