// What the ANN comparison measures, and how it is written down.
//
// A worker process (one library, one data set) fills a LibraryResult and
// hands it to the parent as a small line-oriented text file; the parent puts
// the three rows (vs, vs-sq8, hnswlib) side by side, interpolates QPS at fixed
// recall targets and renders the markdown table and the JSON file under
// bench/results/. Ratios are always to the peer, X / hnswlib for X = vs and
// vs-sq8: above 1 means X is faster for QPS, and slower for build time.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace vs::bench {

struct SweepRow {
  size_t ef = 0;
  double recall = 0;  // recall@k over all queries
  double qps = 0;     // single thread, one query at a time, best of the runs (wall clock)
  // Queries per second of the searching thread's own CPU time (same best run):
  // on a shared machine, time-slicing by other processes inflates wall time
  // but not this, so qps far above cpu_qps means the run was disturbed.
  double cpu_qps = 0;
};

struct LibraryResult {
  std::string library;  // "vs", "vs-sq8" or "hnswlib"
  bool ran = false;
  double build_s = 0;
  double build_cpu_s = 0;  // process CPU time (all threads) during the build
  double write_s = -1;  // vs, vs-sq8: write_shard; hnswlib: saveIndex
  double open_ms = -1;  // vs, vs-sq8: ShardReader::open (median of several); not measured for hnswlib
  uint64_t index_bytes = 0;
  uint64_t peak_rss_bytes = 0;  // VmHWM of the worker process (data set included)
  std::string simd;
  std::vector<SweepRow> sweep;
};

struct DatasetResult {
  std::string name;
  std::string metric;
  uint32_t dim = 0;
  uint32_t base_count = 0;
  uint32_t query_count = 0;
  LibraryResult vs;      // float graph
  LibraryResult vs_sq8;  // HnswParams::sq8: 8-bit codes to traverse, float rerank
  LibraryResult hnswlib;
};

struct RunInfo {
  std::string cpu_model;
  unsigned cores = 0;
  size_t build_threads = 0;
  uint32_t m = 16;
  uint32_t ef_construction = 200;
  uint32_t k = 10;
  size_t runs = 1;
  bool smoke = false;
  std::string generated_utc;
  size_t rounds = 1;
};

inline constexpr double kRecallTargets[] = {0.90, 0.95, 0.99};

// QPS at `target` recall, linear in log(QPS) between the two sweep rows (in
// ef order) that bracket it; the first row's QPS if it already reaches the
// target; nullopt if no row does. `qps` picks wall-clock or CPU-time QPS.
std::optional<double> qps_at_recall(const std::vector<SweepRow>& sweep, double target,
                                    double SweepRow::*qps = &SweepRow::qps);

// True when the sweep's first row already reaches `target`: qps_at_recall is
// then only a lower bound (a smaller ef would be faster still).
bool first_row_reaches(const std::vector<SweepRow>& sweep, double target);

// The smallest swept ef whose recall reaches `target`.
std::optional<size_t> smallest_ef_reaching(const std::vector<SweepRow>& sweep, double target);

// The worker → parent hand-over file.
bool write_result_file(const std::string& path, const LibraryResult& result, std::string& error);
bool read_result_file(const std::string& path, LibraryResult& result, std::string& error);

std::string markdown_report(const RunInfo& info, const std::vector<DatasetResult>& datasets);
std::string json_report(const RunInfo& info, const std::vector<DatasetResult>& datasets);

}  // namespace vs::bench
