// ann-compare: vs against hnswlib on Fashion-MNIST, in one run, same data,
// same parameters (M=16, ef_construction=200), same ground truth. vs runs
// twice, as two rows: "vs" (the float graph) and "vs-sq8" (HnswParams::sq8,
// as vs-build --quantize sq8 builds it: traversal over 8-bit codes, rerank
// with the float vectors).
//
//   ann-compare [--smoke] [--dataset NAME]... [--only vs|vs-sq8|hnswlib] [--runs N]
//
// The parent prepares each data set once (bench/ann_data.h, cached), then runs
// every (data set, library) pair in a fresh child process of this same binary
// ("--worker"), one after another: each child loads the cached data, builds
// (--runs times, the best counting, each build freed before the next),
// writes the index, sweeps ef single-threaded and reports its own peak RSS
// (VmHWM), so memory is attributed honestly and neither library runs on a
// heap the other fragmented. The parent prints a markdown table and writes
// ann-compare.{md,json} (ann-compare-smoke.* for --smoke) to --results-dir.
//
// vs is searched exactly as vs-query searches: the graph is built with
// vs::build_hnsw, written with vs::write_shard, mapped with ShardSet::open and
// queried through ShardSet::search (hnsw_search on the mapped ShardReader
// graph, score conversion and the top-k merge included).
//
// Exit status: 0 on success; 1 if anything failed or vs, vs-sq8 or hnswlib
// misses recall@10 0.9 at the largest ef, which means something is broken; 2 for usage.
#include <sys/wait.h>
#include <tbb/global_control.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <charconv>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <limits>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "ann_data.h"
#include "ann_report.h"
#include "bench_common.h"
#include "fmnist.h"
#include "format/shard_reader.h"
#include "format/shard_writer.h"
#include "hnswlib_runner.h"
#include "index/hnsw_builder.h"
#include "query/shard_set.h"
#include "simd/distance.h"
#include "util/env.h"

namespace vs::bench {
namespace {

constexpr const char* kProg = "ann-compare";
constexpr uint32_t kM = 16;
constexpr uint32_t kEfConstruction = 200;
constexpr uint32_t kK = 10;
// The smoke run's subset: big enough for a real multi-level graph, small
// enough that all three rows build and sweep both data sets in seconds.
constexpr uint32_t kSmokeBase = 3000;
constexpr uint32_t kSmokeQueries = 200;
// Below this recall@10 at the largest ef, a library is broken, not slow.
constexpr double kMinRecall = 0.9;

struct Options {
  bool smoke = false;
  std::vector<std::string> datasets;
  std::string data_dir = kFashionMnistDir;
  std::string cache_dir = "bench/.cache";
  std::string results_dir = "bench/results";
  std::string tmp_dir;
  std::string only;
  size_t threads = 0;
  size_t runs = 0;
  size_t rounds = 1;
  std::vector<size_t> efs;
  std::string worker;  // internal: run one library in this process
  std::string worker_out;
};

[[noreturn]] void fail(const std::string& message) { bench::fail(kProg, message); }

// ---- measurements shared by the workers --------------------------------

uint64_t peak_rss_bytes() {
  std::ifstream status("/proc/self/status");
  std::string key;
  while (status >> key) {
    if (key == "VmHWM:") {
      uint64_t kib = 0;
      status >> kib;
      return kib * 1024;
    }
    status.ignore(std::numeric_limits<std::streamsize>::max(), '\n');
  }
  return 0;
}

// Runs every query once per run for each ef, one at a time on this thread, and
// keeps the best run's QPS (the least disturbed by other load, as
// ann-benchmarks does). A searcher has set_ef(ef) and search(query, out[kK]).
template <typename Searcher>
std::vector<SweepRow> sweep_ef(const AnnDataset& data, const std::vector<size_t>& efs, size_t runs,
                               Searcher& searcher, const char* library) {
  std::vector<uint32_t> results(size_t{data.query_count} * kK);
  // An untimed pass faults in the index pages and warms the caches, so the
  // first ef is not charged for them.
  searcher.set_ef(efs.front());
  for (uint32_t q = 0; q < data.query_count; ++q) searcher.search(data.query_row(q), &results[size_t{q} * kK]);

  std::vector<SweepRow> rows;
  for (size_t ef : efs) {
    searcher.set_ef(ef);
    double best_s = std::numeric_limits<double>::infinity();
    double best_cpu_s = std::numeric_limits<double>::infinity();
    for (size_t run = 0; run < runs; ++run) {
      const auto start = Clock::now();
      const double cpu_start = thread_cpu_s();
      for (uint32_t q = 0; q < data.query_count; ++q) searcher.search(data.query_row(q), &results[size_t{q} * kK]);
      best_cpu_s = std::min(best_cpu_s, thread_cpu_s() - cpu_start);
      best_s = std::min(best_s, seconds_since(start));
    }
    rows.push_back({ef, recall_at_k(data, results, kK), data.query_count / best_s, data.query_count / best_cpu_s});
    std::fprintf(stderr, "%s: %s %s ef=%zu recall@10=%.4f QPS=%.0f (CPU %.0f)\n", kProg, data.name.c_str(), library,
                 ef, rows.back().recall, rows.back().qps, rows.back().cpu_qps);
  }
  return rows;
}

// ---- the vs workers (vs and vs-sq8) --------------------------------------

// Searches through ShardSet, the entry point vs-query uses; ids were written
// as node numbers, so they parse back to the ground truth's numbering.
class VsSearcher {
 public:
  explicit VsSearcher(const ShardSet& shards) : shards_(shards) { params_.k = kK; }
  void set_ef(size_t ef) { params_.ef = ef; }
  void search(const float* query, uint32_t* out) {
    shards_.search(std::span<const float>(query, shards_.dim()), params_, scratch_, hits_);
    size_t i = 0;
    for (; i < hits_.size() && i < kK; ++i) {
      const std::string_view id = hits_[i].id;
      if (std::from_chars(id.data(), id.data() + id.size(), out[i]).ec != std::errc()) out[i] = UINT32_MAX;
    }
    for (; i < kK; ++i) out[i] = UINT32_MAX;
  }

 private:
  const ShardSet& shards_;
  SearchParams params_;
  SearchScratch scratch_;
  std::vector<Hit> hits_;
};

// Median of several opens: the first one may pay for cold dentry/inode caches.
double median_open_ms(const std::string& path) {
  std::vector<double> times;
  for (int i = 0; i < 7; ++i) {
    const auto start = Clock::now();
    auto reader = ShardReader::open(path);
    times.push_back(seconds_since(start) * 1000.0);
    if (!reader.ok()) fail(reader.status().message());
  }
  std::sort(times.begin(), times.end());
  return times[times.size() / 2];
}

// Builds the graph and writes it as a shard; the built graph is freed before
// searching, so the search runs on the mapped file alone, as in vs-query.
void build_vs_shard(const AnnDataset& data, bool sq8, const Options& o, const std::string& path, LibraryResult& r) {
  // The best of o.runs builds, as for the search passes: this host's
  // neighbours move a single build's wall time by tens of percent. Each
  // build's graph is freed before the next starts, so peak RSS is one build's.
  std::optional<Expected<BuiltGraph>> graph;
  for (size_t run = 0; run < o.runs; ++run) {
    graph.reset();
    const auto start = Clock::now();
    const double cpu_start = process_cpu_s();
    graph.emplace(build_hnsw(data.base, data.dim, data.metric, HnswParams{kM, kEfConstruction, 100, sq8}));
    const double wall = seconds_since(start);
    const double cpu = process_cpu_s() - cpu_start;
    if (!graph->ok()) fail(r.library + " build: " + graph->status().message());
    r.build_s = run == 0 ? wall : std::min(r.build_s, wall);
    r.build_cpu_s = run == 0 ? cpu : std::min(r.build_cpu_s, cpu);
  }
  std::vector<std::string> ids(data.base_count), metas(data.base_count);
  for (uint32_t i = 0; i < data.base_count; ++i) ids[i] = std::to_string(i);
  const auto write_start = Clock::now();
  auto info = write_shard(Env::posix(), path, **graph, ids, metas, "");
  r.write_s = seconds_since(write_start);
  if (!info.ok()) fail(r.library + " write: " + info.status().message());
  r.index_bytes = info->bytes;
}

// `sq8` builds the graph as vs-build --quantize sq8 does; the search side
// needs nothing else, as the shard says it holds codes.
LibraryResult run_vs(const AnnDataset& data, bool sq8, const Options& o, const std::string& work_dir) {
  LibraryResult r;
  r.library = sq8 ? "vs-sq8" : "vs";
  r.simd = std::string(simd::kernels().name) + " (run-time dispatch, portable build)";
  const std::string path = work_dir + "/shard.vsi";
  build_vs_shard(data, sq8, o, path, r);
  r.open_ms = median_open_ms(path);
  auto shards = ShardSet::open({path});
  if (!shards.ok()) fail(shards.status().message());
  VsSearcher searcher(*shards);
  r.sweep = sweep_ef(data, o.efs, o.runs, searcher, r.library.c_str());
  return r;
}

// ---- the hnswlib worker -------------------------------------------------

class HnswlibSearcher {
 public:
  explicit HnswlibSearcher(HnswlibRunner& index) : index_(index) {}
  void set_ef(size_t ef) { index_.set_ef(ef); }
  void search(const float* query, uint32_t* out) {
    const size_t n = index_.search(query, kK, out);
    for (size_t i = n; i < kK; ++i) out[i] = UINT32_MAX;
  }

 private:
  HnswlibRunner& index_;
};

LibraryResult run_hnswlib(const AnnDataset& data, const Options& o, const std::string& work_dir) {
  LibraryResult r;
  r.library = "hnswlib";
  r.simd = HnswlibRunner::simd_description();
  // hnswlib's inner-product space on unit vectors is cosine distance (1 - dot).
  const auto space = data.metric == Metric::kL2 ? HnswlibRunner::Space::kL2 : HnswlibRunner::Space::kInnerProduct;
  std::unique_ptr<HnswlibRunner> built;
  for (size_t run = 0; run < o.runs; ++run) {  // the best of o.runs builds, as for vs
    built.reset();
    const auto start = Clock::now();
    const double cpu_start = process_cpu_s();
    built = std::make_unique<HnswlibRunner>(space, data.dim, data.base_count, kM, kEfConstruction);
    built->build(data.base.data(), data.base_count);
    const double wall = seconds_since(start);
    const double cpu = process_cpu_s() - cpu_start;
    r.build_s = run == 0 ? wall : std::min(r.build_s, wall);
    r.build_cpu_s = run == 0 ? cpu : std::min(r.build_cpu_s, cpu);
  }
  HnswlibRunner& index = *built;

  const std::string path = work_dir + "/hnswlib.bin";
  const auto write_start = Clock::now();
  if (!index.save(path)) fail("hnswlib: cannot save the index to '" + path + "'");
  r.write_s = seconds_since(write_start);
  r.index_bytes = std::filesystem::file_size(path);

  HnswlibSearcher searcher(index);
  r.sweep = sweep_ef(data, o.efs, o.runs, searcher, "hnswlib");
  return r;
}


AnnDatasetSpec spec_for(const std::string& name, bool smoke) {
  AnnDatasetSpec spec;
  if (!find_dataset_spec(name, spec)) fail("unknown data set '" + name + "'");
  if (smoke) {
    spec.base_limit = kSmokeBase;
    spec.query_limit = kSmokeQueries;
  }
  return spec;
}

int run_worker(const Options& o) {
  const AnnDatasetSpec spec = spec_for(o.datasets.front(), o.smoke);
  AnnDataset data;
  std::string error;
  if (!load_cached(cache_path(spec, o.cache_dir), data, error)) fail(error);
  data.name = spec.name;
  tbb::global_control limit(tbb::global_control::max_allowed_parallelism, o.threads);
  TempDir work_dir(kProg, o.tmp_dir);
  LibraryResult r = o.worker == "hnswlib" ? run_hnswlib(data, o, work_dir.path())
                                          : run_vs(data, o.worker == "vs-sq8", o, work_dir.path());
  r.peak_rss_bytes = peak_rss_bytes();
  if (!write_result_file(o.worker_out, r, error)) fail(error);
  return 0;
}

// ---- the parent -----------------------------------------------------------

std::string join_efs(const std::vector<size_t>& efs) {
  std::string out;
  for (size_t ef : efs) {
    if (!out.empty()) out += ',';
    out += std::to_string(ef);
  }
  return out;
}

// Runs this binary again as a worker for one (data set, library) pair.
LibraryResult run_child(const Options& o, const std::string& dataset, const std::string& library,
                        const std::string& out_path) {
  std::error_code ec;
  const std::string self = std::filesystem::read_symlink("/proc/self/exe", ec).string();
  if (ec) fail("cannot find this program's path: " + ec.message());
  std::vector<std::string> args = {self, "--worker", library, "--worker-out", out_path,
                                   "--dataset", dataset, "--cache-dir", o.cache_dir, "--threads",
                                   std::to_string(o.threads), "--runs", std::to_string(o.runs),
                                   "--ef", join_efs(o.efs)};
  if (!o.tmp_dir.empty()) args.insert(args.end(), {"--tmp-dir", o.tmp_dir});
  if (o.smoke) args.push_back("--smoke");
  std::vector<char*> argv;
  for (std::string& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);

  std::fflush(nullptr);
  const pid_t pid = ::fork();
  if (pid < 0) fail("cannot fork a worker");
  if (pid == 0) {
    ::execv(argv[0], argv.data());
    std::_Exit(127);
  }
  int status = 0;
  if (::waitpid(pid, &status, 0) != pid || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    fail("the " + library + " worker for " + dataset + " failed");
  }
  LibraryResult r;
  std::string error;
  if (!read_result_file(out_path, r, error)) fail(error);
  return r;
}

// Folds another round's measurement of the same library into `best`: the
// fastest build, and per ef the sweep row (recall and both QPS) of the round
// with the higher QPS. Peak RSS keeps the largest seen.
void keep_best(LibraryResult& best, const LibraryResult& round) {
  best.build_s = std::min(best.build_s, round.build_s);
  best.build_cpu_s = std::min(best.build_cpu_s, round.build_cpu_s);
  best.write_s = std::min(best.write_s, round.write_s);
  if (round.open_ms >= 0) best.open_ms = std::min(best.open_ms, round.open_ms);
  best.peak_rss_bytes = std::max(best.peak_rss_bytes, round.peak_rss_bytes);
  for (size_t i = 0; i < best.sweep.size() && i < round.sweep.size(); ++i) {
    if (round.sweep[i].ef == best.sweep[i].ef && round.sweep[i].qps > best.sweep[i].qps) best.sweep[i] = round.sweep[i];
  }
}

DatasetResult measure_dataset(const Options& o, const std::string& name, const std::string& work_dir) {
  const AnnDatasetSpec spec = spec_for(name, o.smoke);
  DatasetResult d;
  {
    AnnDataset data;  // released before the workers run
    std::string error;
    if (!load_or_prepare(spec, o.data_dir, o.cache_dir, data, error)) fail(error);
    d.name = name;
    d.metric = metric_name(data.metric);
    d.dim = data.dim;
    d.base_count = data.base_count;
    d.query_count = data.query_count;
  }
  // Rounds alternate the libraries (reversing the order each round), so each
  // samples the shared host at interleaved times; the best of all counts.
  for (size_t round = 0; round < o.rounds; ++round) {
    std::vector<LibraryResult*> order = {&d.vs, &d.vs_sq8, &d.hnswlib};
    if (round % 2 == 1) std::reverse(order.begin(), order.end());
    for (LibraryResult* r : order) {
      const std::string library = r == &d.vs ? "vs" : r == &d.vs_sq8 ? "vs-sq8" : "hnswlib";
      r->library = library;
      if (!o.only.empty() && o.only != library) continue;
      LibraryResult measured = run_child(o, name, library, work_dir + "/" + name + "." + library);
      if (round == 0) {
        *r = std::move(measured);
      } else {
        keep_best(*r, measured);
      }
    }
  }
  return d;
}

// A library that ran but misses kMinRecall at its largest ef is broken.
bool recall_ok(const DatasetResult& d) {
  bool ok = true;
  for (const LibraryResult* r : {&d.vs, &d.vs_sq8, &d.hnswlib}) {
    if (!r->ran) continue;
    if (r->sweep.back().recall >= kMinRecall) continue;
    std::fprintf(stderr, "%s: %s: %s reaches only recall@10 %.4f at ef=%zu (expected >= %.2f)\n", kProg,
                 d.name.c_str(), r->library.c_str(), r->sweep.back().recall, r->sweep.back().ef, kMinRecall);
    ok = false;
  }
  return ok;
}

int run_parent(const Options& o) {
  TempDir work_dir(kProg, o.tmp_dir);
  std::vector<DatasetResult> results;
  for (const std::string& name : o.datasets) results.push_back(measure_dataset(o, name, work_dir.path()));

  RunInfo info{cpu_model(), std::thread::hardware_concurrency(), o.threads, kM, kEfConstruction, kK,
               o.runs, o.smoke, utc_now(), o.rounds};
  const std::string markdown = markdown_report(info, results);
  std::fputs(markdown.c_str(), stdout);
  std::fflush(stdout);
  if (!o.results_dir.empty()) {
    std::error_code ec;
    std::filesystem::create_directories(o.results_dir, ec);
    const std::string base = o.results_dir + (o.smoke ? "/ann-compare-smoke" : "/ann-compare");
    write_text(kProg, base + ".md", markdown);
    write_text(kProg, base + ".json", json_report(info, results));
    std::fprintf(stderr, "%s: wrote %s.md and %s.json\n", kProg, base.c_str(), base.c_str());
  }
  bool ok = true;
  for (const DatasetResult& d : results) ok = recall_ok(d) && ok;
  return ok ? 0 : 1;
}

// ---- flags --------------------------------------------------------------

void apply_defaults(Options& o) {
  if (o.datasets.empty()) o.datasets = dataset_names();
  if (o.threads == 0) o.threads = std::max(1u, std::thread::hardware_concurrency());
  if (o.runs == 0) o.runs = o.smoke ? 1 : 2;
  if (o.efs.empty()) {
    o.efs = o.smoke ? std::vector<size_t>{10, 32, 128}
                    : std::vector<size_t>{10, 16, 24, 32, 48, 64, 96, 128, 192, 256, 384, 512};
  }
  std::sort(o.efs.begin(), o.efs.end());
}

}  // namespace
}  // namespace vs::bench

int main(int argc, char** argv) {
  using vs::bench::Options;
  Options o;
  CLI::App app{
      "Compares vs (float and sq8 graphs) with hnswlib on Fashion-MNIST: build time, recall@10/QPS sweep, index "
      "size, peak RSS."};
  app.add_flag("--smoke", o.smoke, "Quick check on a small subset (3,000 base, 200 queries, short ef sweep)");
  app.add_option("--dataset", o.datasets, "Data set(s) to run (default: all)")
      ->check(CLI::IsMember(vs::bench::dataset_names()));
  app.add_option("--data-dir", o.data_dir, "Fashion-MNIST IDX files")->capture_default_str();
  app.add_option("--cache-dir", o.cache_dir, "Where prepared data sets and ground truth are cached")
      ->capture_default_str();
  app.add_option("--results-dir", o.results_dir, "Where ann-compare.{md,json} go ('' to skip)")
      ->capture_default_str();
  app.add_option("--tmp-dir", o.tmp_dir, "Where index files are written (default: the system temp directory)");
  app.add_option("--only", o.only, "Run one row only: vs, vs-sq8 or hnswlib")
      ->check(CLI::IsMember({"vs", "vs-sq8", "hnswlib"}));
  app.add_option("--threads", o.threads, "Build threads (default: all cores); search is single-threaded");
  app.add_option("--rounds", o.rounds,
                 "Repeat the whole measurement, alternating the libraries; the best of all rounds counts")
      ->capture_default_str()
      ->check(CLI::Range(1, 100));
  app.add_option("--runs", o.runs, "Builds, and timed passes per ef; the best counts (default: 2, smoke 1)");
  app.add_option("--ef", o.efs, "ef values to sweep (comma separated)")->delimiter(',');
  app.add_option("--worker", o.worker)->group("")->check(CLI::IsMember({"vs", "vs-sq8", "hnswlib"}));
  app.add_option("--worker-out", o.worker_out)->group("");
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    std::fprintf(stderr, "ann-compare: %s\n", e.what());
    return 2;
  }
  vs::bench::apply_defaults(o);
  if (!o.worker.empty()) return vs::bench::run_worker(o);
  return vs::bench::run_parent(o);
}
