#include "net/serve_metrics.h"

#include <cstdio>

namespace vs::net {

void ServeMetrics::count_request(int status) {
  if (status < kMinStatus || status > kMaxStatus) return;
  requests_[status - kMinStatus].fetch_add(1, std::memory_order_relaxed);
}

uint64_t ServeMetrics::requests(int status) const {
  if (status < kMinStatus || status > kMaxStatus) return 0;
  return requests_[status - kMinStatus].load(std::memory_order_relaxed);
}

void ServeMetrics::observe_search_seconds(double seconds) {
  size_t bucket = 0;
  while (bucket < kBucketSeconds.size() && seconds > kBucketSeconds[bucket]) ++bucket;
  buckets_[bucket].fetch_add(1, std::memory_order_relaxed);
  auto nanoseconds = static_cast<uint64_t>(seconds > 0 ? seconds * 1e9 : 0);
  duration_sum_ns_.fetch_add(nanoseconds, std::memory_order_relaxed);
}

bool ServeMetrics::try_enter(uint64_t limit) {
  uint64_t now = inflight_.load(std::memory_order_relaxed);
  do {
    if (now >= limit) return false;
  } while (!inflight_.compare_exchange_weak(now, now + 1, std::memory_order_relaxed));
  return true;
}

namespace {

void append_line(std::string& out, const char* format, auto... args) {
  char line[160];
  int length = std::snprintf(line, sizeof line, format, args...);
  if (length > 0) out.append(line, static_cast<size_t>(length) < sizeof line ? length : sizeof line - 1);
}

unsigned long long load(const std::atomic<uint64_t>& value) { return value.load(std::memory_order_relaxed); }

}  // namespace

std::string ServeMetrics::render() const {
  std::string out;
  out += "# HELP vs_serve_requests_total HTTP requests answered, by status code.\n";
  out += "# TYPE vs_serve_requests_total counter\n";
  for (int status = kMinStatus; status <= kMaxStatus; ++status) {
    unsigned long long count = load(requests_[status - kMinStatus]);
    if (count != 0) append_line(out, "vs_serve_requests_total{code=\"%d\"} %llu\n", status, count);
  }

  out += "# HELP vs_serve_search_duration_seconds Latency of /search requests, headers in to last byte out.\n";
  out += "# TYPE vs_serve_search_duration_seconds histogram\n";
  unsigned long long cumulative = 0;
  for (size_t i = 0; i < kBucketSeconds.size(); ++i) {
    cumulative += load(buckets_[i]);
    append_line(out, "vs_serve_search_duration_seconds_bucket{le=\"%g\"} %llu\n", kBucketSeconds[i], cumulative);
  }
  cumulative += load(buckets_.back());
  append_line(out, "vs_serve_search_duration_seconds_bucket{le=\"+Inf\"} %llu\n", cumulative);
  append_line(out, "vs_serve_search_duration_seconds_sum %.9f\n", load(duration_sum_ns_) / 1e9);
  append_line(out, "vs_serve_search_duration_seconds_count %llu\n", cumulative);

  out += "# HELP vs_serve_inflight_requests /search requests being served.\n";
  out += "# TYPE vs_serve_inflight_requests gauge\n";
  append_line(out, "vs_serve_inflight_requests %llu\n", load(inflight_));
  out += "# HELP vs_serve_queries_total Queries answered (each query of a batch counts).\n";
  out += "# TYPE vs_serve_queries_total counter\n";
  append_line(out, "vs_serve_queries_total %llu\n", load(queries_));
  out += "# HELP vs_serve_index_generation Manifest generation of the index being served.\n";
  out += "# TYPE vs_serve_index_generation gauge\n";
  append_line(out, "vs_serve_index_generation %llu\n", load(generation_));
  out += "# HELP vs_serve_index_documents Documents in the index being served.\n";
  out += "# TYPE vs_serve_index_documents gauge\n";
  append_line(out, "vs_serve_index_documents %llu\n", load(documents_));
  out += "# HELP vs_serve_reloads_total Index reloads, by result.\n";
  out += "# TYPE vs_serve_reloads_total counter\n";
  append_line(out, "vs_serve_reloads_total{result=\"ok\"} %llu\n", load(reloads_ok_));
  append_line(out, "vs_serve_reloads_total{result=\"failed\"} %llu\n", load(reloads_failed_));
  return out;
}

}  // namespace vs::net
