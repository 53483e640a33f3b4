// ChildProcess: a program started with its stdin and stdout on pipes to us.
//
// spawn() runs argv[0] (looked up in PATH) with posix_spawnp; the child's
// stderr is ours, so its diagnostics (ssh's "connection refused") reach the
// user. Our ends of the pipes are close-on-exec, so a second child never holds
// the first one's pipes open (which would hide the first one's EOF).
//
// The object owns the pid and both fds. Its destructor closes the child's
// stdin (a well-behaved child exits at EOF), gives it a short grace period,
// then kills it, and always reaps it: no zombies, no leaked fds. Not
// thread-safe; one thread at a time may use it (it may move between threads).
#pragma once

#include <sys/types.h>

#include <memory>
#include <string>
#include <vector>

#include "core/status.h"

namespace vs {

class ChildProcess {
 public:
  // IoError naming argv[0] when the pipes or the process cannot be created.
  static Expected<std::unique_ptr<ChildProcess>> spawn(const std::vector<std::string>& argv);

  ~ChildProcess();
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;

  int stdin_fd() const { return stdin_fd_; }    // write end of the child's stdin; -1 once closed
  int stdout_fd() const { return stdout_fd_; }  // read end of the child's stdout
  pid_t pid() const { return pid_; }

  // Closes our end of the child's stdin (EOF for the child).
  void close_stdin();

 private:
  ChildProcess(pid_t pid, int stdin_fd, int stdout_fd) : pid_(pid), stdin_fd_(stdin_fd), stdout_fd_(stdout_fd) {}
  pid_t pid_;
  int stdin_fd_;
  int stdout_fd_;
};

}  // namespace vs
