// HttpServer: an HTTP/1.1 server on libmicrohttpd, owned as one RAII object.
//
// The server is event-driven: `threads` libmicrohttpd workers, each running
// its own poll() loop over any number of keep-alive connections (no thread per
// connection). The HttpHandler's callbacks run on those workers, so they must
// be thread-safe, and a handler that computes (a search) occupies its worker
// meanwhile: size `threads` to the cores.
//
// One exchange (request and response) goes through the handler as:
//   on_headers(request)   headers are in, the body not yet read. Returning a
//                         response answers at once and skips the body
//                         (rejections: 401, 404, 405, 413, 503).
//   on_request(request)   the body has been read (at most max_body_bytes of
//                         it are kept; body_too_large says more came).
//   on_done(request, status)  exactly once per on_headers, when the exchange
//                         is over: the response sent, or the connection lost
//                         (status 0 when no response was queued).
// A handler that throws answers 500 (the exception never reaches
// libmicrohttpd's C frames). Malformed HTTP, oversized headers (beyond header_memory_bytes) and idle
// connections (idle_timeout_s without a byte) are dealt with by
// libmicrohttpd itself and never reach the handler.
//
// Ownership: start() binds the listening socket itself (so a failure to bind
// is an error value naming the address and errno) and hands it to the daemon.
// The destructor stops the daemon: open connections are closed and the
// worker threads joined. The handler must outlive the server.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdarg>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/status.h"

struct MHD_Daemon;
struct MHD_Connection;

namespace vs::net {

struct HttpRequest {
  std::string method;
  std::string path;                        // without the query string
  std::string authorization;               // the Authorization header ("" if absent)
  std::optional<uint64_t> content_length;  // as declared; none when absent or chunked
  std::string body;
  bool body_too_large = false;  // more than max_body_bytes arrived; `body` was not kept
  std::chrono::steady_clock::time_point started;  // when the headers arrived
  bool holds_slot = false;  // for the handler: it admitted this exchange into an in-flight slot
};

struct HttpResponse {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;
  bool close_connection = false;  // "Connection: close": the client should not reuse it
};

class HttpHandler {
 public:
  virtual ~HttpHandler() = default;
  virtual std::optional<HttpResponse> on_headers(HttpRequest& request) = 0;
  virtual HttpResponse on_request(HttpRequest& request) = 0;
  virtual void on_done(const HttpRequest& request, int status) = 0;
};

struct ListenAddress {
  std::string host;  // an IPv4 or IPv6 literal, or a name ("localhost")
  uint16_t port = 0;  // 0: any free port
};

// Parses "HOST:PORT" ("[::1]:7700" for IPv6). Usage error naming the problem.
Expected<ListenAddress> parse_listen_address(std::string_view text);

struct HttpServerOptions {
  ListenAddress listen;
  unsigned threads = 1;
  size_t max_body_bytes = 16u << 20;
  unsigned idle_timeout_s = 30;
  // Per-connection memory for the request line, headers and read buffer:
  // larger headers are refused by libmicrohttpd (431).
  size_t header_memory_bytes = 32u << 10;
  unsigned connection_limit = 1000;
  std::function<void(std::string_view)> log;  // libmicrohttpd's own error messages; may be empty
};

class HttpServer {
 public:
  // Binds, listens and starts the workers. IoError naming the address when
  // it cannot bind (in use, not local) or the daemon does not start.
  static Expected<std::unique_ptr<HttpServer>> start(const HttpServerOptions& options, HttpHandler& handler);
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // The address actually bound, e.g. "127.0.0.1:43817" (the real port when 0 was asked).
  const std::string& address() const { return address_; }
  uint16_t port() const { return port_; }

  // Closes the listening socket: no new connection is accepted, open ones
  // keep being served (draining). Idempotent.
  void stop_accepting();

  // Exchanges between on_headers and on_done right now.
  uint64_t active_exchanges() const { return active_.load(std::memory_order_acquire); }

 private:
  HttpServer(HttpHandler& handler, size_t max_body_bytes, std::function<void(std::string_view)> log)
      : handler_(handler), max_body_bytes_(max_body_bytes), log_(std::move(log)) {}

  // The libmicrohttpd callbacks (http_server.cc) reach the members below.
  friend struct MhdCallbacks;

  HttpHandler& handler_;
  const size_t max_body_bytes_;
  const std::function<void(std::string_view)> log_;
  MHD_Daemon* daemon_ = nullptr;
  bool accepting_ = true;
  std::string address_;
  uint16_t port_ = 0;
  std::atomic<uint64_t> active_{0};
};

}  // namespace vs::net
