// SearchService: what vs-serve answers, as an HttpHandler with no sockets in it.
//
//   POST /search    one query object (the query JSON Lines format), or
//                   {"queries": [query, ...]} for a batch; answers the result
//                   object {"id": ..., "hits": [...]}, or {"results": [...]}
//                   with one result object per query, in order
//   GET  /healthz   200 "ok"; 503 "draining" once start_draining() was called
//   GET  /info      the index: dim, metric, count, generation, reloads, the
//                   metadata fields filters can use, shards
//   GET  /metrics   ServeMetrics in the Prometheus text format
//
// Every error is a JSON body {"error": "reason"}: 400 for a malformed body
// (JSON, an unknown field, a wrong dimension, a bad k, too many queries),
// 401 without the bearer token (every path but /healthz, when a token is
// set), 404 for an unknown path, 405 for a wrong method (with Allow), 413 for
// a body over max_body_bytes, 503 with Retry-After beyond max_inflight
// concurrent searches. A batch is all or nothing: one bad query answers 400
// naming it ("queries[3]: 'k' must be ...") and nothing is searched.
//
// Each request searches the Index current when its body is complete, to the
// end, even if a reload swaps another in meanwhile. Parsers and search
// scratch are pooled in the service and reused across requests, so a warm
// search allocates only its response text. Thread-safe: the HttpServer's
// workers call it concurrently. The IndexHolder and ServeMetrics must
// outlive it.
#pragma once

#include <atomic>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "net/http_server.h"
#include "net/index_holder.h"
#include "net/serve_metrics.h"

namespace vs::net {

struct ServiceOptions {
  size_t default_k = 10;   // when a query gives no k
  size_t default_ef = 64;  // when a query gives no ef
  size_t max_k = 1000;
  size_t max_batch = 1024;  // queries in one request
  size_t max_inflight = 256;
  size_t max_body_bytes = 16u << 20;
  std::string token;  // empty: no authentication
};

class SearchService final : public HttpHandler {
 public:
  SearchService(IndexHolder& index, ServeMetrics& metrics, ServiceOptions options);
  ~SearchService() override;

  std::optional<HttpResponse> on_headers(HttpRequest& request) override;
  HttpResponse on_request(HttpRequest& request) override;
  void on_done(const HttpRequest& request, int status) override;

  // From now on /healthz answers 503 and every response asks the client to
  // close its connection, so load balancers and keep-alive clients move on.
  void start_draining() { draining_.store(true, std::memory_order_release); }
  bool draining() const { return draining_.load(std::memory_order_acquire); }

  // Answers a /search body against `index` (the heart of on_request).
  HttpResponse search(const Index& index, std::string_view body);

 private:
  struct Worker;
  // Takes a pooled worker (or makes one) and gives it back on destruction.
  class WorkerLease;

  HttpResponse info() const;
  HttpResponse finish(HttpResponse response) const;

  IndexHolder& index_;
  ServeMetrics& metrics_;
  const ServiceOptions options_;
  std::atomic<bool> draining_{false};
  std::mutex pool_mutex_;
  std::vector<std::unique_ptr<Worker>> idle_workers_;
};

// {"error": "<message>"} with `status`.
HttpResponse error_response(int status, std::string_view message);

}  // namespace vs::net
