#include "net/bearer_token.h"

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

namespace vs::net {

Expected<std::string> read_token_file(const std::string& path) {
  std::ifstream file(path, std::ios::binary);
  if (!file) return Status::IoError("cannot open '" + path + "': " + std::strerror(errno));
  std::ostringstream contents;
  contents << file.rdbuf();
  if (file.bad()) return Status::IoError("cannot read '" + path + "'");
  std::string token = contents.str();
  if (!token.empty() && token.back() == '\n') token.pop_back();
  if (!token.empty() && token.back() == '\r') token.pop_back();
  if (token.empty()) return Status::Usage("token file '" + path + "' is empty");
  for (unsigned char c : token) {
    if (c <= ' ' || c == 0x7f) {
      return Status::Usage("token file '" + path + "' holds whitespace or control characters");
    }
  }
  return token;
}

bool constant_time_equal(std::string_view a, std::string_view b) {
  // Every byte of `b` is visited and differences are OR-ed together, with no
  // early exit; `a` is read modulo its length so a short guess costs the same.
  unsigned char difference = a.size() == b.size() ? 0 : 1;
  for (size_t i = 0; i < b.size(); ++i) {
    unsigned char left = a.empty() ? 0 : static_cast<unsigned char>(a[i % a.size()]);
    difference |= static_cast<unsigned char>(left ^ static_cast<unsigned char>(b[i]));
  }
  return difference == 0;
}

bool bearer_matches(std::string_view authorization, std::string_view token) {
  constexpr std::string_view kScheme = "bearer ";
  if (authorization.size() < kScheme.size()) return false;
  for (size_t i = 0; i < kScheme.size(); ++i) {
    char c = authorization[i];
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    if (c != kScheme[i]) return false;
  }
  return constant_time_equal(authorization.substr(kScheme.size()), token);
}

}  // namespace vs::net
