// fault_server: a misbehaving HTTP shard for tests/cli/query-faults.bats.
//
//   fault_server MODE [--upstream HOST:PORT] [--delay-ms N] [--fault-info]
//
// Listens on 127.0.0.1, port 0, and prints "fault_server: listening on
// 127.0.0.1:PORT" on stderr (as vs-serve does), then one line per request it
// faults ("fault_server: POST /search: never"), so a test can tell that the
// fault was really met. Runs until killed.
//
// It stands in front of a real vs-serve (--upstream): requests it does not
// fault are forwarded there and the answers relayed, so GET /info tells the
// real dim and metric and a vs-query run gets past its connect step. Faulted
// are POST /search, and with --fault-info every request. MODE says how:
//
//   never      read the request, never answer; the connection stays open
//   malformed  answer 200 with a body that is not JSON
//   slow       wait --delay-ms, then forward and relay the real answer
//   cut        send the real answer's headers and half its body, then close
//   stall      send the real answer's headers and half its body, then nothing
//
// One thread per connection, keep-alive, HTTP/1.1 with Content-Length bodies
// only: this talks to libcurl and vs-serve, nothing else. A test tool, not a
// server: it favours being obviously right over being fast.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <optional>
#include <string>
#include <string_view>
#include <thread>

namespace {

enum class Mode { kNever, kMalformed, kSlow, kCut, kStall };

struct Options {
  Mode mode = Mode::kNever;
  std::string upstream_host;
  uint16_t upstream_port = 0;
  int delay_ms = 0;
  bool fault_info = false;
};

const char* mode_name(Mode mode) {
  switch (mode) {
    case Mode::kNever:
      return "never";
    case Mode::kMalformed:
      return "malformed";
    case Mode::kSlow:
      return "slow";
    case Mode::kCut:
      return "cut";
    case Mode::kStall:
      return "stall";
  }
  return "?";
}

// A file descriptor closed when it goes out of scope.
class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  ~Fd() {
    if (fd_ >= 0) ::close(fd_);
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  int get() const { return fd_; }

 private:
  int fd_;
};

bool send_all(int fd, std::string_view bytes) {
  while (!bytes.empty()) {
    ssize_t n = ::send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    bytes.remove_prefix(static_cast<size_t>(n));
  }
  return true;
}

// Appends what arrives to `buffer`; false at EOF or on an error.
bool receive_more(int fd, std::string& buffer) {
  char chunk[16384];
  for (;;) {
    ssize_t n = ::recv(fd, chunk, sizeof chunk, 0);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    buffer.append(chunk, static_cast<size_t>(n));
    return true;
  }
}

struct Message {
  std::string start_line;  // "POST /search HTTP/1.1" or "HTTP/1.1 200 OK"
  std::string authorization;
  std::string body;
};

// The value of header `name` (case-insensitive) in `head`, or none.
std::optional<std::string> header_value(std::string_view head, std::string_view name) {
  size_t pos = head.find("\r\n");
  while (pos != std::string_view::npos && pos + 2 < head.size()) {
    size_t start = pos + 2;
    size_t end = head.find("\r\n", start);
    std::string_view line = head.substr(start, end == std::string_view::npos ? head.npos : end - start);
    size_t colon = line.find(':');
    if (colon == name.size() && ::strncasecmp(line.data(), name.data(), name.size()) == 0) {
      std::string_view value = line.substr(colon + 1);
      while (!value.empty() && value.front() == ' ') value.remove_prefix(1);
      return std::string(value);
    }
    pos = end;
  }
  return std::nullopt;
}

// Reads one message with a Content-Length body (or none) from `fd`; `buffer`
// keeps what arrived beyond it. None at EOF or on a malformed message.
std::optional<Message> read_message(int fd, std::string& buffer) {
  size_t head_end;
  while ((head_end = buffer.find("\r\n\r\n")) == std::string::npos) {
    if (!receive_more(fd, buffer)) return std::nullopt;
  }
  std::string_view head(buffer.data(), head_end);
  Message message;
  message.start_line = std::string(head.substr(0, head.find("\r\n")));
  message.authorization = header_value(head, "Authorization").value_or("");
  size_t length = std::strtoull(header_value(head, "Content-Length").value_or("0").c_str(), nullptr, 10);
  size_t body_start = head_end + 4;
  while (buffer.size() < body_start + length) {
    if (!receive_more(fd, buffer)) return std::nullopt;
  }
  message.body = buffer.substr(body_start, length);
  buffer.erase(0, body_start + length);
  return message;
}

std::string response(std::string_view status_line, std::string_view body) {
  std::string text(status_line);
  text += "\r\nContent-Type: application/json\r\nContent-Length: " + std::to_string(body.size()) + "\r\n\r\n";
  text += body;
  return text;
}

// Sends `request` to the upstream vs-serve on a fresh connection and returns
// its answer; a 502 of our own when it cannot be reached.
Message forward(const Options& options, const std::string& method, const std::string& target,
                const Message& request) {
  Message bad_gateway{"HTTP/1.1 502 Bad Gateway", "", R"({"error":"fault_server: no upstream"})"};
  if (options.upstream_port == 0) return bad_gateway;
  Fd fd(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(options.upstream_port);
  if (fd.get() < 0 || ::inet_pton(AF_INET, options.upstream_host.c_str(), &address.sin_addr) != 1 ||
      ::connect(fd.get(), reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) {
    return bad_gateway;
  }
  std::string text = method + " " + target + " HTTP/1.1\r\nHost: upstream\r\nConnection: close\r\n";
  if (!request.authorization.empty()) text += "Authorization: " + request.authorization + "\r\n";
  text +=
      "Content-Type: application/json\r\nContent-Length: " + std::to_string(request.body.size()) + "\r\n\r\n";
  text += request.body;
  if (!send_all(fd.get(), text)) return bad_gateway;
  std::string buffer;
  auto answer = read_message(fd.get(), buffer);
  return answer ? *answer : bad_gateway;
}

void log_fault(const std::string& request_line, Mode mode) {
  std::string line =
      "fault_server: " + request_line.substr(0, request_line.rfind(' ')) + ": " + mode_name(mode) + "\n";
  (void)!::write(STDERR_FILENO, line.data(), line.size());
}

// Holds a connection, answering nothing, until the client gives up on it.
void hold_until_closed(int fd) {
  std::string ignored;
  while (receive_more(fd, ignored)) ignored.clear();
}

// Serves one connection until the client closes it or a fault ends it.
void serve_connection(int client_fd, const Options& options) {
  Fd client(client_fd);
  std::string buffer;
  while (auto request = read_message(client.get(), buffer)) {
    std::string_view line = request->start_line;
    size_t space = line.find(' ');
    std::string method(line.substr(0, space));
    std::string target(line.substr(space + 1, line.rfind(' ') - space - 1));
    bool faulted = options.fault_info || target.starts_with("/search");
    if (!faulted) {
      Message answer = forward(options, method, target, *request);
      if (!send_all(client.get(), response(answer.start_line, answer.body))) return;
      continue;
    }
    log_fault(request->start_line, options.mode);
    switch (options.mode) {
      case Mode::kNever:
        hold_until_closed(client.get());
        return;
      case Mode::kMalformed: {
        if (!send_all(client.get(), response("HTTP/1.1 200 OK", R"({"results":[{"id":"q1","hits":[{"id":)")))
          return;
        continue;
      }
      case Mode::kSlow: {
        std::this_thread::sleep_for(std::chrono::milliseconds(options.delay_ms));
        Message answer = forward(options, method, target, *request);
        if (!send_all(client.get(), response(answer.start_line, answer.body))) return;
        continue;
      }
      case Mode::kCut:
      case Mode::kStall: {
        Message answer = forward(options, method, target, *request);
        std::string whole = response(answer.start_line, answer.body);
        send_all(client.get(), std::string_view(whole).substr(0, whole.size() - answer.body.size() / 2));
        if (options.mode == Mode::kStall) hold_until_closed(client.get());
        return;  // closes the connection with the rest of the body owed
      }
    }
  }
}

[[noreturn]] void usage(const char* problem) {
  std::fprintf(stderr,
               "fault_server: %s\nusage: fault_server never|malformed|slow|cut|stall [--upstream HOST:PORT] "
               "[--delay-ms N] [--fault-info]\n",
               problem);
  std::exit(2);
}

Options parse_options(int argc, char** argv) {
  if (argc < 2) usage("missing MODE");
  Options options;
  std::string_view mode = argv[1];
  if (mode == "never") {
    options.mode = Mode::kNever;
  } else if (mode == "malformed") {
    options.mode = Mode::kMalformed;
  } else if (mode == "slow") {
    options.mode = Mode::kSlow;
  } else if (mode == "cut") {
    options.mode = Mode::kCut;
  } else if (mode == "stall") {
    options.mode = Mode::kStall;
  } else {
    usage("unknown MODE");
  }
  for (int i = 2; i < argc; ++i) {
    std::string_view flag = argv[i];
    if (flag == "--fault-info") {
      options.fault_info = true;
      continue;
    }
    if (i + 1 >= argc) usage("missing value");
    std::string value = argv[++i];
    if (flag == "--delay-ms") {
      options.delay_ms = std::atoi(value.c_str());
    } else if (flag == "--upstream") {
      size_t colon = value.rfind(':');
      if (colon == std::string::npos) usage("--upstream needs HOST:PORT");
      options.upstream_host = value.substr(0, colon);
      options.upstream_port = static_cast<uint16_t>(std::atoi(value.c_str() + colon + 1));
    } else {
      usage("unknown option");
    }
  }
  return options;
}

}  // namespace

int main(int argc, char** argv) {
  static const Options options = parse_options(argc, argv);
  ::signal(SIGPIPE, SIG_IGN);
  Fd listener(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t length = sizeof address;
  if (listener.get() < 0 ||
      ::bind(listener.get(), reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 ||
      ::listen(listener.get(), SOMAXCONN) != 0 ||
      ::getsockname(listener.get(), reinterpret_cast<sockaddr*>(&address), &length) != 0) {
    std::fprintf(stderr, "fault_server: cannot listen: %s\n", std::strerror(errno));
    return 1;
  }
  std::fprintf(stderr, "fault_server: listening on 127.0.0.1:%u\n", ntohs(address.sin_port));
  for (;;) {
    int client = ::accept4(listener.get(), nullptr, nullptr, SOCK_CLOEXEC);
    if (client < 0) {
      if (errno == EINTR || errno == ECONNABORTED) continue;
      std::fprintf(stderr, "fault_server: accept: %s\n", std::strerror(errno));
      return 1;
    }
    int on = 1;
    ::setsockopt(client, IPPROTO_TCP, TCP_NODELAY, &on, sizeof on);
    std::thread(serve_connection, client, std::cref(options)).detach();
  }
}
