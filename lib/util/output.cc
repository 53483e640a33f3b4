#include "util/output.h"

#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace vs {

OutputStream::OutputStream(int fd, std::string name, size_t buffer_bytes)
    : fd_(fd), name_(std::move(name)), buffer_(buffer_bytes) {}

OutputStream::~OutputStream() { (void)flush(); }

bool OutputStream::is_terminal() const { return isatty(fd_) == 1; }

Status OutputStream::write(std::string_view bytes) {
  if (!sticky_.ok()) return sticky_;
  if (used_ + bytes.size() > buffer_.size()) {
    VS_RETURN_IF_ERROR(flush());
    if (bytes.size() >= buffer_.size()) return write_all(bytes.data(), bytes.size());
  }
  std::memcpy(buffer_.data() + used_, bytes.data(), bytes.size());
  used_ += bytes.size();
  return Status::Ok();
}

Status OutputStream::flush() {
  if (!sticky_.ok()) return sticky_;
  size_t pending = used_;
  used_ = 0;
  return write_all(buffer_.data(), pending);
}

Status OutputStream::write_all(const char* data, size_t size) {
  while (size > 0) {
    ssize_t n = ::write(fd_, data, size);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      sticky_ = errno == EPIPE ? Status::BrokenPipe()
                               : Status::IoError("cannot write to '" + name_ + "': " + std::strerror(errno));
      return sticky_;
    }
    data += n;
    size -= static_cast<size_t>(n);
  }
  return Status::Ok();
}

}  // namespace vs
