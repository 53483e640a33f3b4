// ServeMetrics: vs-serve's counters, rendered in the Prometheus text format.
//
//   vs_serve_requests_total{code="200"}     requests answered, by HTTP status
//   vs_serve_search_duration_seconds        histogram of /search latency, from
//                                           the request's headers to its last byte sent
//   vs_serve_inflight_requests              /search requests being served now
//   vs_serve_queries_total                  queries answered (a batch counts each)
//   vs_serve_index_generation               the serving index's manifest generation
//   vs_serve_index_documents                documents in the serving index
//   vs_serve_reloads_total{result="ok"}     reloads, and refused reloads ("failed")
//
// Every counter is a relaxed atomic: recording costs a few uncontended atomic
// adds and never a lock, and /metrics reads a snapshot that may be a request
// apart between lines (Prometheus tolerates that). Thread-safe throughout.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <string>

namespace vs::net {

class ServeMetrics {
 public:
  // Upper bounds of the latency buckets, in seconds: a single-query search
  // takes 0.1–2 ms, a batch or an overloaded server up to seconds.
  static constexpr std::array<double, 14> kBucketSeconds = {0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01,
                                                            0.025,  0.05,    0.1,    0.25,  0.5,    1.0,   2.5};

  void count_request(int status);
  void observe_search_seconds(double seconds);
  void add_queries(uint64_t count) { queries_.fetch_add(count, std::memory_order_relaxed); }
  void count_reload(bool ok) { (ok ? reloads_ok_ : reloads_failed_).fetch_add(1, std::memory_order_relaxed); }
  void set_index(uint64_t generation, uint64_t documents) {
    generation_.store(generation, std::memory_order_relaxed);
    documents_.store(documents, std::memory_order_relaxed);
  }

  // The in-flight gauge, also the admission count for --max-inflight:
  // try_enter() takes a slot unless `limit` are taken.
  bool try_enter(uint64_t limit);
  void leave() { inflight_.fetch_sub(1, std::memory_order_relaxed); }
  uint64_t inflight() const { return inflight_.load(std::memory_order_relaxed); }

  uint64_t requests(int status) const;

  // The Prometheus text exposition (version 0.0.4) of every metric.
  std::string render() const;

 private:
  static constexpr int kMinStatus = 100;
  static constexpr int kMaxStatus = 599;
  // One counter per possible status: indexing beats a map and needs no lock.
  std::array<std::atomic<uint64_t>, kMaxStatus - kMinStatus + 1> requests_{};
  std::array<std::atomic<uint64_t>, kBucketSeconds.size() + 1> buckets_{};  // last: +Inf
  std::atomic<uint64_t> duration_sum_ns_{0};
  std::atomic<uint64_t> inflight_{0};
  std::atomic<uint64_t> queries_{0};
  std::atomic<uint64_t> generation_{0};
  std::atomic<uint64_t> documents_{0};
  std::atomic<uint64_t> reloads_ok_{0};
  std::atomic<uint64_t> reloads_failed_{0};
};

}  // namespace vs::net
