#include "net/signal_watcher.h"

#include <poll.h>
#include <pthread.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace vs::net {

Expected<std::unique_ptr<SignalWatcher>> SignalWatcher::open() {
  sigset_t watched;
  sigemptyset(&watched);
  sigaddset(&watched, SIGHUP);
  sigaddset(&watched, SIGTERM);
  sigaddset(&watched, SIGINT);
  sigset_t previous;
  if (int error = ::pthread_sigmask(SIG_BLOCK, &watched, &previous); error != 0) {
    return Status::IoError(std::string("cannot block signals: ") + std::strerror(error));
  }
  int fd = ::signalfd(-1, &watched, SFD_CLOEXEC);
  if (fd < 0) {
    int error = errno;
    ::pthread_sigmask(SIG_SETMASK, &previous, nullptr);
    return Status::IoError(std::string("cannot create a signalfd: ") + std::strerror(error));
  }
  return std::unique_ptr<SignalWatcher>(new SignalWatcher(fd, previous));
}

SignalWatcher::~SignalWatcher() {
  ::close(fd_);
  ::pthread_sigmask(SIG_SETMASK, &previous_mask_, nullptr);
}

Expected<SignalWatcher::Event> SignalWatcher::wait(int timeout_ms) {
  pollfd ready{fd_, POLLIN, 0};
  int count = ::poll(&ready, 1, timeout_ms);
  if (count < 0) {
    if (errno == EINTR) return Event::kTimeout;
    return Status::IoError(std::string("cannot wait for signals: ") + std::strerror(errno));
  }
  if (count == 0) return Event::kTimeout;
  signalfd_siginfo info{};
  ssize_t got = ::read(fd_, &info, sizeof info);
  if (got != static_cast<ssize_t>(sizeof info)) {
    if (got < 0 && (errno == EINTR || errno == EAGAIN)) return Event::kTimeout;
    return Status::IoError(std::string("cannot read a signal: ") + std::strerror(errno));
  }
  return info.ssi_signo == SIGHUP ? Event::kReload : Event::kStop;
}

}  // namespace vs::net
