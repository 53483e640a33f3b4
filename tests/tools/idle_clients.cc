// idle_clients: opens many TCP connections to a server and sends nothing, for
// tests/cli/serve-faults.bats.
//
//   idle_clients HOST:PORT CONNECTIONS HOLD_MS
//
// Connects CONNECTIONS sockets (all at once, non-blocking, each given 5 s to
// complete), prints "connected N" on stdout, then watches them for at most
// HOLD_MS and notes when the server closes each (EOF or reset) or sends
// anything. It ends early once every connection is closed, and prints
//
//   closed C answered A open O first_close_ms F last_close_ms L
//
// (times from the end of connecting; -1 when nothing closed), then exits 0.
// Exit 1 when it cannot create sockets (raise `ulimit -n`), 2 for bad usage.
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

namespace {

using Clock = std::chrono::steady_clock;

long long elapsed_ms(Clock::time_point since) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - since).count();
}

int usage() {
  std::fprintf(stderr, "usage: idle_clients HOST:PORT CONNECTIONS HOLD_MS\n");
  return 2;
}

// What happened to one connection.
enum class State { kConnecting, kOpen, kClosed, kFailed };

}  // namespace

int main(int argc, char** argv) {
  if (argc != 4) return usage();
  std::string target = argv[1];
  size_t colon = target.rfind(':');
  if (colon == std::string::npos) return usage();
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<uint16_t>(std::atoi(target.c_str() + colon + 1)));
  if (::inet_pton(AF_INET, target.substr(0, colon).c_str(), &address.sin_addr) != 1) return usage();
  const size_t count = std::strtoul(argv[2], nullptr, 10);
  const long long hold_ms = std::atoll(argv[3]);

  std::vector<pollfd> fds(count);
  std::vector<State> states(count, State::kConnecting);
  std::vector<bool> got_bytes(count, false);
  for (size_t i = 0; i < count; ++i) {
    int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) {
      std::fprintf(stderr, "idle_clients: socket %zu: %s\n", i, std::strerror(errno));
      return 1;
    }
    fds[i] = {fd, POLLOUT, 0};
    if (::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0) {
      states[i] = State::kOpen;
    } else if (errno != EINPROGRESS) {
      states[i] = State::kFailed;
    }
  }

  // Connecting: wait until each socket is writable (connected) or failed.
  auto start = Clock::now();
  size_t pending = 0;
  for (State state : states) pending += state == State::kConnecting;
  while (pending > 0 && elapsed_ms(start) < 5000) {
    for (size_t i = 0; i < count; ++i) fds[i].events = states[i] == State::kConnecting ? POLLOUT : 0;
    if (::poll(fds.data(), fds.size(), 100) < 0 && errno != EINTR) return 1;
    for (size_t i = 0; i < count; ++i) {
      if (states[i] != State::kConnecting || fds[i].revents == 0) continue;
      int error = 0;
      socklen_t length = sizeof error;
      ::getsockopt(fds[i].fd, SOL_SOCKET, SO_ERROR, &error, &length);
      states[i] = error == 0 ? State::kOpen : State::kFailed;
      --pending;
    }
  }
  size_t connected = 0;
  for (State state : states) connected += state == State::kOpen;
  std::printf("connected %zu\n", connected);
  std::fflush(stdout);

  // Holding: count the connections the server closes or answers.
  start = Clock::now();
  size_t open = connected, closed = 0, answered = 0;
  long long first_close_ms = -1, last_close_ms = -1;
  while (open > 0 && elapsed_ms(start) < hold_ms) {
    for (size_t i = 0; i < count; ++i) fds[i].events = states[i] == State::kOpen ? POLLIN : 0;
    if (::poll(fds.data(), fds.size(), 100) < 0 && errno != EINTR) return 1;
    for (size_t i = 0; i < count; ++i) {
      if (states[i] != State::kOpen || fds[i].revents == 0) continue;
      char byte[4096];
      ssize_t n = ::recv(fds[i].fd, byte, sizeof byte, 0);
      if (n > 0) {
        // A server may say why it closes (408): counted once, then the close is awaited.
        if (!got_bytes[i]) ++answered;
        got_bytes[i] = true;
        continue;
      }
      if (n < 0 && (errno == EAGAIN || errno == EINTR)) continue;
      states[i] = State::kClosed;
      --open;
      ++closed;
      last_close_ms = elapsed_ms(start);
      if (first_close_ms < 0) first_close_ms = last_close_ms;
    }
  }
  std::printf("closed %zu answered %zu open %zu first_close_ms %lld last_close_ms %lld\n", closed, answered,
              open, first_close_ms, last_close_ms);
  for (const pollfd& p : fds) ::close(p.fd);
  return 0;
}
