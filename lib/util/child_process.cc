#include "util/child_process.h"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <thread>

extern char** environ;

namespace vs {

namespace {

// Closes the fds it holds unless released; keeps spawn()'s error paths short.
struct FdPair {
  int fds[2] = {-1, -1};
  ~FdPair() {
    for (int fd : fds)
      if (fd >= 0) ::close(fd);
  }
};

}  // namespace

Expected<std::unique_ptr<ChildProcess>> ChildProcess::spawn(const std::vector<std::string>& argv) {
  if (argv.empty()) return Status::Usage("no command to run");
  const std::string& program = argv.front();
  FdPair to_child, from_child;
  if (::pipe2(to_child.fds, O_CLOEXEC) != 0 || ::pipe2(from_child.fds, O_CLOEXEC) != 0) {
    return Status::IoError("cannot create pipes for '" + program + "': " + std::strerror(errno));
  }
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  // dup2 clears close-on-exec on the target, so only fds 0 and 1 survive exec.
  posix_spawn_file_actions_adddup2(&actions, to_child.fds[0], STDIN_FILENO);
  posix_spawn_file_actions_adddup2(&actions, from_child.fds[1], STDOUT_FILENO);
  // The child must not inherit our "SIGPIPE ignored": ssh and shells expect the default.
  posix_spawnattr_t attributes;
  posix_spawnattr_init(&attributes);
  sigset_t defaults;
  sigemptyset(&defaults);
  sigaddset(&defaults, SIGPIPE);
  posix_spawnattr_setsigdefault(&attributes, &defaults);
  posix_spawnattr_setflags(&attributes, POSIX_SPAWN_SETSIGDEF);

  std::vector<char*> args;
  for (const std::string& arg : argv) args.push_back(const_cast<char*>(arg.c_str()));
  args.push_back(nullptr);
  pid_t pid = -1;
  int error = ::posix_spawnp(&pid, program.c_str(), &actions, &attributes, args.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attributes);
  if (error != 0) return Status::IoError("cannot run '" + program + "': " + std::strerror(error));

  int stdin_fd = to_child.fds[1];
  int stdout_fd = from_child.fds[0];
  to_child.fds[1] = -1;
  from_child.fds[0] = -1;
  return std::unique_ptr<ChildProcess>(new ChildProcess(pid, stdin_fd, stdout_fd));
}

void ChildProcess::close_stdin() {
  if (stdin_fd_ < 0) return;
  ::close(stdin_fd_);
  stdin_fd_ = -1;
}

ChildProcess::~ChildProcess() {
  close_stdin();
  if (stdout_fd_ >= 0) ::close(stdout_fd_);
  // 500 ms lets `ssh host vs-query --stdio` see EOF and exit cleanly (closing
  // the remote session); a child that ignores EOF is killed rather than
  // letting a finished run hang on it.
  constexpr int kGraceSteps = 50;
  for (int step = 0; step < kGraceSteps; ++step) {
    pid_t done = ::waitpid(pid_, nullptr, WNOHANG);
    if (done == pid_ || (done < 0 && errno != EINTR)) return;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  ::kill(pid_, SIGKILL);
  while (::waitpid(pid_, nullptr, 0) < 0 && errno == EINTR) {
  }
}

}  // namespace vs
