// SignalWatcher: SIGHUP, SIGTERM and SIGINT as events read from a signalfd.
//
// No work happens in a signal handler: open() blocks the three signals in the
// calling thread and routes them to a signalfd, and wait() reads them like
// any other event. Threads inherit the signal mask, so open() must run before
// the process starts any thread (the HTTP workers), or a worker could take
// the signal with its default action and kill the process. The destructor
// closes the fd and restores the previous mask. Not thread-safe: one owner.
#pragma once

#include <signal.h>

#include <memory>

#include "core/status.h"

namespace vs::net {

class SignalWatcher {
 public:
  enum class Event { kTimeout, kReload, kStop };

  // IoError when the signalfd cannot be made.
  static Expected<std::unique_ptr<SignalWatcher>> open();
  ~SignalWatcher();
  SignalWatcher(const SignalWatcher&) = delete;
  SignalWatcher& operator=(const SignalWatcher&) = delete;

  // Waits up to `timeout_ms` (-1: forever) for a signal: kReload for SIGHUP,
  // kStop for SIGTERM or SIGINT, kTimeout when none came.
  Expected<Event> wait(int timeout_ms);

 private:
  SignalWatcher(int fd, const sigset_t& previous) : fd_(fd), previous_mask_(previous) {}
  int fd_;
  sigset_t previous_mask_;
};

}  // namespace vs::net
