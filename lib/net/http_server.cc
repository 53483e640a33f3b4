#include "net/http_server.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <microhttpd.h>
#include <netdb.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstdarg>
#include <cstdio>
#include <cstring>
#include <exception>
#include <vector>

namespace vs::net {

Expected<ListenAddress> parse_listen_address(std::string_view text) {
  size_t colon = text.rfind(':');
  if (colon == std::string_view::npos) {
    return Status::Usage("--listen '" + std::string(text) + "': expected HOST:PORT");
  }
  std::string_view host = text.substr(0, colon);
  std::string_view port_text = text.substr(colon + 1);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
  if (host.empty()) return Status::Usage("--listen '" + std::string(text) + "': missing host");
  unsigned port = 0;
  auto [end, error] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
  if (port_text.empty() || error != std::errc() || end != port_text.data() + port_text.size() || port > 65535) {
    return Status::Usage("--listen '" + std::string(text) + "': port must be a number in [0, 65535]");
  }
  return ListenAddress{std::string(host), static_cast<uint16_t>(port)};
}

namespace {

std::string errno_text(int error) { return std::strerror(error); }

// A socket fd closed on scope exit unless released: start() hands it to the daemon.
class SocketFd {
 public:
  explicit SocketFd(int fd) : fd_(fd) {}
  ~SocketFd() {
    if (fd_ >= 0) ::close(fd_);
  }
  SocketFd(const SocketFd&) = delete;
  SocketFd& operator=(const SocketFd&) = delete;
  int get() const { return fd_; }
  int release() { return std::exchange(fd_, -1); }

 private:
  int fd_;
};

std::string format_address(const sockaddr_storage& address) {
  char host[INET6_ADDRSTRLEN] = "?";
  uint16_t port = 0;
  if (address.ss_family == AF_INET6) {
    const auto& v6 = reinterpret_cast<const sockaddr_in6&>(address);
    ::inet_ntop(AF_INET6, &v6.sin6_addr, host, sizeof host);
    port = ntohs(v6.sin6_port);
    std::string text = "[";  // built by appends: GCC 12 flags "[" + std::string (a false -Wrestrict)
    text.append(host).append("]:").append(std::to_string(port));
    return text;
  }
  const auto& v4 = reinterpret_cast<const sockaddr_in&>(address);
  ::inet_ntop(AF_INET, &v4.sin_addr, host, sizeof host);
  port = ntohs(v4.sin_port);
  return std::string(host) + ":" + std::to_string(port);
}

// Binds and listens on the first address `listen` resolves to. The socket is
// non-blocking because every worker's poll loop accepts from it: a blocking
// accept() would stall the workers that lose the race for a connection.
Expected<int> bind_listener(const ListenAddress& listen, bool& ipv6, std::string& bound) {
  std::string shown = listen.host + ":" + std::to_string(listen.port);
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_NUMERICSERV;
  addrinfo* found = nullptr;
  std::string port = std::to_string(listen.port);
  if (int error = ::getaddrinfo(listen.host.c_str(), port.c_str(), &hints, &found); error != 0) {
    return Status::Usage("cannot listen on '" + shown + "': " + ::gai_strerror(error));
  }
  std::unique_ptr<addrinfo, decltype(&::freeaddrinfo)> addresses(found, &::freeaddrinfo);
  SocketFd fd(::socket(found->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
  if (fd.get() < 0) return Status::IoError("cannot listen on '" + shown + "': " + errno_text(errno));
  int on = 1;
  // A restarted server must not wait out TIME_WAIT of its predecessor's connections.
  ::setsockopt(fd.get(), SOL_SOCKET, SO_REUSEADDR, &on, sizeof on);
  if (::bind(fd.get(), found->ai_addr, found->ai_addrlen) != 0 || ::listen(fd.get(), SOMAXCONN) != 0) {
    return Status::IoError("cannot listen on '" + shown + "': " + errno_text(errno));
  }
  sockaddr_storage local{};
  socklen_t length = sizeof local;
  if (::getsockname(fd.get(), reinterpret_cast<sockaddr*>(&local), &length) != 0) {
    return Status::IoError("cannot listen on '" + shown + "': " + errno_text(errno));
  }
  ipv6 = local.ss_family == AF_INET6;
  bound = format_address(local);
  return fd.release();
}

std::optional<uint64_t> parse_length(const char* text) {
  if (text == nullptr) return std::nullopt;
  uint64_t value = 0;
  const char* end = text + std::strlen(text);
  auto [stop, error] = std::from_chars(text, end, value);
  if (error != std::errc() || stop != end) return std::nullopt;
  return value;
}

using ResponsePtr = std::unique_ptr<MHD_Response, decltype(&::MHD_destroy_response)>;

}  // namespace

// What libmicrohttpd keeps for us per request, in its `con_cls` slot, from
// the first access callback to the completion callback.
struct Exchange {
  HttpRequest request;
  int status = 0;  // the status queued; 0 while none
};

struct MhdCallbacks {
  // An exception must not unwind into libmicrohttpd's C frames (that would
  // terminate the process): a handler that throws (out of memory, a bug)
  // answers 500 instead, and the server keeps serving.
  static HttpResponse internal_error(const std::exception& error) {
    HttpResponse response;
    response.status = 500;
    response.content_type = "text/plain; charset=utf-8";
    response.body = std::string("internal error: ") + error.what() + "\n";
    response.close_connection = true;
    return response;
  }

  static MHD_Result queue(MHD_Connection* connection, Exchange& exchange, const HttpResponse& response) {
    // MUST_COPY: the response text is small next to the search behind it, and
    // copying frees us from tying its lifetime to libmicrohttpd's.
    ResponsePtr answer(MHD_create_response_from_buffer(response.body.size(), const_cast<char*>(response.body.data()),
                                                       MHD_RESPMEM_MUST_COPY),
                       &::MHD_destroy_response);
    if (!answer) return MHD_NO;
    MHD_add_response_header(answer.get(), MHD_HTTP_HEADER_CONTENT_TYPE, response.content_type.c_str());
    for (const auto& [name, value] : response.headers) {
      MHD_add_response_header(answer.get(), name.c_str(), value.c_str());
    }
    if (response.close_connection) MHD_add_response_header(answer.get(), MHD_HTTP_HEADER_CONNECTION, "close");
    MHD_Result queued = MHD_queue_response(connection, static_cast<unsigned>(response.status), answer.get());
    if (queued == MHD_YES) exchange.status = response.status;
    return queued;
  }

  static MHD_Result access(void* self, MHD_Connection* connection, const char* url, const char* method,
                           const char* /*version*/, const char* upload_data, size_t* upload_data_size,
                           void** context) {
    auto& server = *static_cast<HttpServer*>(self);
    auto* exchange = static_cast<Exchange*>(*context);
    if (exchange == nullptr) {
      // libmicrohttpd holds the exchange through a void*; on_completed takes
      // it back into a unique_ptr. This is the one owning raw pointer here.
      auto fresh = std::make_unique<Exchange>();
      HttpRequest& request = fresh->request;
      request.method = method;
      request.path = url;
      const char* authorization =
          MHD_lookup_connection_value(connection, MHD_HEADER_KIND, MHD_HTTP_HEADER_AUTHORIZATION);
      if (authorization != nullptr) request.authorization = authorization;
      request.content_length =
          parse_length(MHD_lookup_connection_value(connection, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH));
      request.started = std::chrono::steady_clock::now();
      exchange = fresh.release();
      *context = exchange;
      server.active_.fetch_add(1, std::memory_order_acq_rel);
      std::optional<HttpResponse> early;
      try {
        early = server.handler_.on_headers(request);
      } catch (const std::exception& error) {
        early = internal_error(error);
      }
      if (early) return queue(connection, *exchange, *early);
      return MHD_YES;
    }
    HttpRequest& request = exchange->request;
    if (*upload_data_size != 0) {
      size_t size = *upload_data_size;
      *upload_data_size = 0;
      if (exchange->status != 0) return MHD_YES;  // answered early: the body is not wanted
      if (!request.body_too_large && request.body.size() + size <= server.max_body_bytes_) {
        request.body.append(upload_data, size);
        return MHD_YES;
      }
      // Over the limit (a chunked body, or one longer than it declared): the
      // 413 can only be queued once the body has ended, so the rest is
      // dropped as it comes; the idle timeout bounds a client that never ends.
      request.body_too_large = true;
      request.body.clear();
      request.body.shrink_to_fit();
      return MHD_YES;
    }
    if (exchange->status != 0) return MHD_YES;
    try {
      return queue(connection, *exchange, server.handler_.on_request(request));
    } catch (const std::exception& error) {
      return queue(connection, *exchange, internal_error(error));
    }
  }

  static void completed(void* self, MHD_Connection* /*connection*/, void** context,
                        MHD_RequestTerminationCode /*reason*/) {
    auto& server = *static_cast<HttpServer*>(self);
    std::unique_ptr<Exchange> exchange(static_cast<Exchange*>(*context));
    *context = nullptr;
    if (!exchange) return;
    server.handler_.on_done(exchange->request, exchange->status);
    server.active_.fetch_sub(1, std::memory_order_acq_rel);
  }

  static void log(void* self, const char* format, va_list args) {
    auto& server = *static_cast<HttpServer*>(self);
    if (!server.log_) return;
    char line[512];
    int length = std::vsnprintf(line, sizeof line, format, args);
    if (length <= 0) return;
    std::string_view text(line, std::min(static_cast<size_t>(length), sizeof line - 1));
    while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.remove_suffix(1);
    server.log_("http: " + std::string(text));
  }
};

Expected<std::unique_ptr<HttpServer>> HttpServer::start(const HttpServerOptions& options, HttpHandler& handler) {
  bool ipv6 = false;
  std::string bound;
  auto listener = bind_listener(options.listen, ipv6, bound);
  if (!listener.ok()) return listener.status();
  SocketFd fd(*listener);

  std::unique_ptr<HttpServer> server(new HttpServer(handler, options.max_body_bytes, options.log));
  // POLL_INTERNAL_THREAD: each worker multiplexes its connections with
  // poll(). Not epoll: libmicrohttpd's epoll loop (0.9.x) calls epoll_wait
  // again, with its blocking timeout, whenever one call filled its 128-event
  // array; when exactly 128 (or 256, ...) connections were ready, that call
  // sleeps with them collected but unprocessed, and their clients, waiting
  // for answers, send nothing to wake it: the worker stalls until the idle
  // timeout. ITC lets stop_accepting() wake the workers (MHD_quiesce_daemon).
  unsigned flags = MHD_USE_POLL_INTERNAL_THREAD | MHD_USE_ITC | MHD_USE_ERROR_LOG;
  if (ipv6) flags |= MHD_USE_IPv6;
  unsigned threads = options.threads == 0 ? 1 : options.threads;
  // The logger goes first: libmicrohttpd applies options in order and
  // reports problems with the later ones through it.
  std::vector<MHD_OptionItem> items = {
      {MHD_OPTION_EXTERNAL_LOGGER, reinterpret_cast<intptr_t>(&MhdCallbacks::log), server.get()},
      {MHD_OPTION_LISTEN_SOCKET, fd.get(), nullptr},
      {MHD_OPTION_CONNECTION_TIMEOUT, options.idle_timeout_s, nullptr},
      {MHD_OPTION_CONNECTION_MEMORY_LIMIT, static_cast<intptr_t>(options.header_memory_bytes), nullptr},
      {MHD_OPTION_CONNECTION_LIMIT, options.connection_limit, nullptr},
      {MHD_OPTION_NOTIFY_COMPLETED, reinterpret_cast<intptr_t>(&MhdCallbacks::completed), server.get()},
  };
  // One worker is the daemon's own polling thread; a pool only beyond that.
  if (threads > 1) items.push_back({MHD_OPTION_THREAD_POOL_SIZE, threads, nullptr});
  items.push_back({MHD_OPTION_END, 0, nullptr});
  server->daemon_ = MHD_start_daemon(flags, 0, nullptr, nullptr, &MhdCallbacks::access, server.get(),
                                     MHD_OPTION_ARRAY, items.data(), MHD_OPTION_END);
  if (server->daemon_ == nullptr) return Status::IoError("cannot start the HTTP server on " + bound);
  fd.release();  // the daemon owns the listening socket now
  server->address_ = bound;
  size_t colon = bound.rfind(':');
  server->port_ = static_cast<uint16_t>(std::stoul(bound.substr(colon + 1)));
  return server;
}

void HttpServer::stop_accepting() {
  if (!accepting_) return;
  accepting_ = false;
  MHD_socket listener = MHD_quiesce_daemon(daemon_);
  if (listener == MHD_INVALID_SOCKET) return;
  // A worker may still be inside poll() on the listener, which keeps the
  // socket alive (and accepting into its backlog) past close() until poll
  // returns; a connection made in that window was accepted by the kernel and
  // then reset. shutdown() stops the listening at once, whoever holds it
  // (the race showed up as a flaky StopAcceptingRefusesNewConnections under ASan).
  ::shutdown(listener, SHUT_RDWR);
  ::close(listener);
}

HttpServer::~HttpServer() {
  if (daemon_ != nullptr) MHD_stop_daemon(daemon_);
}

}  // namespace vs::net
