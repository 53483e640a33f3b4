#include "util/dir_lock.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace vs {

Expected<std::unique_ptr<DirLock>> DirLock::try_lock(const std::string& dir) {
  const std::string path = dir + "/" + kDirLockName;
  // Read-only is enough for flock, and works on a lock file another user created.
  int fd = ::open(path.c_str(), O_RDONLY | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) return Status::IoError("cannot create '" + path + "': " + std::strerror(errno));
  std::unique_ptr<DirLock> lock(new DirLock(fd));  // closes fd on every return below
  int result;
  do {
    result = ::flock(fd, LOCK_EX | LOCK_NB);
  } while (result != 0 && errno == EINTR);
  if (result == 0) return lock;
  if (errno == EWOULDBLOCK) {
    return Status::IoError("cannot write '" + dir + "': another vs-build is writing it (it holds '" + path +
                           "')");
  }
  return Status::IoError("cannot lock '" + path + "': " + std::strerror(errno));
}

DirLock::~DirLock() { ::close(fd_); }

}  // namespace vs
