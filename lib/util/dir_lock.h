// DirLock: an exclusive lock on a directory for as long as the object lives,
// so that two writers (two vs-build runs on one index directory) cannot
// interleave and remove each other's files.
//
// It is an flock(2) on DIR/.lock, a file that is created when missing and
// never removed (removing it would race with a process about to lock it; a
// dotfile, it is no shard, no temporary, and `ls` does not show it). The
// kernel drops the lock when its process exits, however it exits, so a killed
// build never leaves a stale lock behind. Advisory: readers (vs-query,
// vs-serve) do not take it and are not held up. Not thread-safe; one owner.
#pragma once

#include <memory>
#include <string>

#include "core/status.h"

namespace vs {

inline constexpr const char* kDirLockName = ".lock";

class DirLock {
 public:
  // Locks `dir` (which must exist) without waiting. IoError naming the
  // directory when another process holds the lock, or when the lock file
  // cannot be created or locked.
  static Expected<std::unique_ptr<DirLock>> try_lock(const std::string& dir);
  ~DirLock();
  DirLock(const DirLock&) = delete;
  DirLock& operator=(const DirLock&) = delete;

 private:
  explicit DirLock(int fd) : fd_(fd) {}
  int fd_;
};

}  // namespace vs
