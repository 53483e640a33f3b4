// OutputStream: a buffered writer over a file descriptor (usually stdout).
//
// Every write error comes back as a Status: EPIPE becomes Status::BrokenPipe()
// (the reader went away, e.g. `vs-query | head -1`; tools exit quietly), any
// other errno an IoError naming the output. SIGPIPE must be ignored (the
// shared tool front end does that) so EPIPE arrives as an error. Not
// thread-safe: one writer per stream. Does not own or close the fd.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"

namespace vs {

class OutputStream {
 public:
  // `name` is used in error messages ("stdout", "results.jsonl").
  OutputStream(int fd, std::string name, size_t buffer_bytes = 1 << 20);
  ~OutputStream();  // flushes, ignoring errors; call flush() to see them
  OutputStream(const OutputStream&) = delete;
  OutputStream& operator=(const OutputStream&) = delete;

  Status write(std::string_view bytes);
  Status flush();
  bool is_terminal() const;
  const std::string& name() const { return name_; }

 private:
  Status write_all(const char* data, size_t size);
  int fd_;
  std::string name_;
  std::vector<char> buffer_;
  size_t used_ = 0;
  Status sticky_;  // the first error; later writes return it again
};

}  // namespace vs
