// filter-compare: filtered search, vs against hnswlib's filter functor, on
// Fashion-MNIST (fmnist-784-euclidean), in one run on the same data.
//
//   filter-compare [--smoke] [--queries N] [--ef LIST] [--runs N] [--threads N]
//
// The workload (bench/filter_workload.h): every document carries
// {"category": "<class label>", "n": <a seeded permutation value>}, and every
// query is searched with four filters, category = a random class (10%), a
// 1% range of n, n below the median (50%), and none; the exact filtered
// top-10 of each is the ground truth (computed once, cached in --cache-dir).
//
// vs is built in process as vs-build builds it: build_hnsw (M=16,
// ef_construction=200), the field index from FieldSchemaBuilder and
// encode_field_index, write_shard; then mapped with ShardSet::open and
// searched through ShardSet::search with SearchParams::filter, the code
// vs-query runs, so each query's filter is evaluated against the shard's field
// index inside the timed region. hnswlib (same M and ef_construction) runs
// searchKnn with a BaseFilterFunctor testing the query's bitmap, which is
// precomputed outside the timed region (bench/hnswlib_filter_runner.h). To
// tell vs's filter evaluation from its search, vs is also timed with its
// AllowedSet precomputed (choose_filter_plan + filtered_search on the mapped
// graph), and with each plan forced (graph at every ef; exact once), which
// shows whether the planner picked the faster plan.
//
// Single thread, one query at a time, k=10; at each ef every searcher makes
// --runs passes over the queries, interleaved with the others' so load on
// the machine falls on all alike, and its best pass counts. The report goes to
// stdout and --results-dir (filter-compare.{md,json}; filter-compare-smoke.*
// for --smoke; bench/filter_report.h).
//
// Exit status: 0 on success, targets met or not (they are reported); 1 if
// anything failed, a search returned a document its filter excludes, or vs
// or hnswlib misses recall@10 0.9 at the largest ef of some filter (broken,
// not slow); 2 for usage.
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
#include <functional>
#include <limits>
#include <optional>
#include <span>
#include <string>
#include <thread>
#include <vector>

#include "bench_common.h"
#include "filter_report.h"
#include "filter_workload.h"
#include "fmnist.h"
#include "format/field_index_writer.h"
#include "format/shard_writer.h"
#include "hnswlib_filter_runner.h"
#include "index/allowed_set.h"
#include "index/filtered_search.h"
#include "index/hnsw_builder.h"
#include "query/filter.h"
#include "query/filter_eval.h"
#include "query/shard_set.h"
#include "simd/distance.h"
#include "util/env.h"

namespace vs::bench {
namespace {

constexpr const char* kProg = "filter-compare";
constexpr uint32_t kM = 16;
constexpr uint32_t kEfConstruction = 200;
constexpr uint32_t kK = 10;
constexpr uint32_t kTestImages = 10000;
// 1,000 of the 10,000 test images: a filtered graph search at 10% or 1%
// selectivity costs 10-100 times an unfiltered one (it walks through the
// documents the filter rejects), so the full sweep over 2,000 queries took
// most of an hour on two shared cores; every recall is still over 10,000
// returned documents.
constexpr uint32_t kDefaultQueries = 1000;
// The smoke subset: a real multi-level graph whose 1% range still holds
// k documents, built and swept in seconds.
constexpr uint32_t kSmokeBase = 3000;
constexpr uint32_t kSmokeQueries = 200;
// Below this recall@10 at the largest ef, a library is broken, not slow.
constexpr double kMinRecall = 0.9;

struct Options {
  bool smoke = false;
  uint32_t queries = 0;
  std::string data_dir = kFashionMnistDir;
  std::string cache_dir = "bench/.cache";
  std::string results_dir = "bench/results";
  std::string tmp_dir;
  size_t threads = 0;
  size_t runs = 0;
  std::vector<size_t> efs;
};

[[noreturn]] void fail(const std::string& message) { bench::fail(kProg, message); }


// ---- the searchers ---------------------------------------------------------

// Answers query `query` of the workload with kK document ids, closest first
// (UINT32_MAX for none). One virtual call per query, none per distance.
class Searcher {
 public:
  virtual ~Searcher() = default;
  virtual void set_ef(size_t ef) = 0;
  virtual void search(uint32_t query, uint32_t* out) = 0;
  // The plans of the pass since the last begin_pass() (vs only).
  void begin_pass() { plans_ = {}; }
  const PlanTally& plans() const { return plans_; }

 protected:
  void count_plan(const FilterPlan& plan) {
    switch (plan.kind) {
      case FilterPlan::Kind::kExact:
        ++plans_.exact;
        return;
      case FilterPlan::Kind::kGraph:
        ++plans_.graph;
        plans_.graph_ef = std::max(plans_.graph_ef, plan.ef);
        return;
      case FilterPlan::Kind::kEmpty:
        ++plans_.empty;
        return;
    }
  }

 private:
  PlanTally plans_;
};

// vs as vs-query runs it: ShardSet::search with the query's filter, which is
// evaluated against the field index inside search (so inside the timing).
// Ids were written as document numbers and parse back to them.
class VsShardSearcher final : public Searcher {
 public:
  VsShardSearcher(const ShardSet& shards, const FilterWorkload& w, const std::vector<Filter>* filters)
      : shards_(shards), w_(w), filters_(filters) {
    params_.k = kK;
  }
  void set_ef(size_t ef) override { params_.ef = ef; }
  void search(uint32_t query, uint32_t* out) override {
    params_.filter = filters_ != nullptr ? &(*filters_)[query] : nullptr;
    shards_.search(std::span<const float>(w_.query_row(query), w_.dim), params_, scratch_, hits_);
    if (filters_ != nullptr) count_plan(scratch_.plan);
    size_t i = 0;
    for (; i < hits_.size() && i < kK; ++i) {
      const std::string_view id = hits_[i].id;
      if (std::from_chars(id.data(), id.data() + id.size(), out[i]).ec != std::errc()) out[i] = UINT32_MAX;
    }
    for (; i < kK; ++i) out[i] = UINT32_MAX;
  }

 private:
  const ShardSet& shards_;
  const FilterWorkload& w_;
  const std::vector<Filter>* filters_;
  SearchParams params_;
  SearchScratch scratch_;
  std::vector<Hit> hits_;
};

// vs's plan and filtered search on the mapped graph with each query's
// AllowedSet (and its count) evaluated beforehand, as hnswlib's bitmap is;
// `forced` overrides the planner's kind (its widened ef stays).
class VsPrecomputedSearcher final : public Searcher {
 public:
  VsPrecomputedSearcher(const GraphView& graph, const FilterWorkload& w,
                        const std::vector<AllowedSet>& allowed, const std::vector<uint32_t>& counts,
                        std::optional<FilterPlan::Kind> forced)
      : graph_(graph), w_(w), allowed_(allowed), counts_(counts), forced_(forced) {}
  void set_ef(size_t ef) override { ef_ = ef; }
  void search(uint32_t query, uint32_t* out) override {
    FilterPlan plan = choose_filter_plan(counts_[query], graph_.count, kK, ef_);
    if (forced_) plan.kind = *forced_;
    count_plan(plan);
    filtered_search(graph_, std::span<const float>(w_.query_row(query), w_.dim), kK, allowed_[query], plan,
                    context_, neighbors_);
    size_t i = 0;
    for (; i < neighbors_.size() && i < kK; ++i) out[i] = neighbors_[i].node;
    for (; i < kK; ++i) out[i] = UINT32_MAX;
  }

 private:
  const GraphView& graph_;
  const FilterWorkload& w_;
  const std::vector<AllowedSet>& allowed_;
  const std::vector<uint32_t>& counts_;
  std::optional<FilterPlan::Kind> forced_;
  size_t ef_ = 64;
  SearchContext context_;
  std::vector<Neighbor> neighbors_;
};

// hnswlib: searchKnn with the filter functor over the query's precomputed
// bitmap (`words` uint64 per query), or plain searchKnn without a bitmap.
class HnswlibSearcher final : public Searcher {
 public:
  HnswlibSearcher(HnswlibFilterRunner& index, const FilterWorkload& w, const std::vector<uint64_t>* bits,
                  size_t words)
      : index_(index), w_(w), bits_(bits), words_(words) {}
  void set_ef(size_t ef) override { index_.set_ef(ef); }
  void search(uint32_t query, uint32_t* out) override {
    const float* vector = w_.query_row(query);
    const size_t n = bits_ != nullptr
                         ? index_.search_filtered(vector, kK, bits_->data() + query * words_, out)
                         : index_.search(vector, kK, out);
    for (size_t i = n; i < kK; ++i) out[i] = UINT32_MAX;
  }

 private:
  HnswlibFilterRunner& index_;
  const FilterWorkload& w_;
  const std::vector<uint64_t>* bits_;
  size_t words_;
};

// ---- measuring -------------------------------------------------------------

struct Timing {
  double wall_s = std::numeric_limits<double>::infinity();
  double cpu_s = std::numeric_limits<double>::infinity();
};

// One pass over every query; keeps the better of this pass and `best`.
void timed_pass(const FilterWorkload& w, Searcher& searcher, std::vector<uint32_t>& results, Timing& best) {
  searcher.begin_pass();
  const auto start = Clock::now();
  const double cpu_start = thread_cpu_s();
  for (uint32_t q = 0; q < w.query_count; ++q) searcher.search(q, &results[size_t{q} * kK]);
  best.cpu_s = std::min(best.cpu_s, thread_cpu_s() - cpu_start);
  best.wall_s = std::min(best.wall_s, seconds_since(start));
}

// A searcher in a sweep. When `same_as` is set and `same_at(ef)` holds, the
// searcher would run exactly what that one runs, so its row is copied
// instead of measured (the forced graph plan where the planner picks graph).
struct SweepEntry {
  const char* name;
  Searcher* searcher;
  Series* series;
  bool keep_plans = false;
  const SweepEntry* same_as = nullptr;
  std::function<bool(size_t)> same_at = {};
  size_t passes = 0;  // timed passes per ef; 0: --runs
  std::vector<uint32_t> results = {};
};

SweepRow finish_row(const FilterWorkload& w, FilterKind kind, size_t ef, const SweepEntry& e, const Timing& t,
                    size_t& violations) {
  size_t bad = 0;
  const double recall = filtered_recall(w, kind, e.results, bad);
  if (bad > 0) {
    std::fprintf(stderr, "%s: %s: %s returned %zu documents its filter excludes at ef=%zu\n", kProg,
                 filter_kind_name(kind), e.name, bad, ef);
    violations += bad;
  }
  return {ef, recall, w.query_count / t.wall_s, w.query_count / t.cpu_s};
}

void sweep(const FilterWorkload& w, FilterKind kind, const Options& o, std::vector<SweepEntry>& entries,
           size_t& violations) {
  for (SweepEntry& e : entries) {
    e.results.assign(size_t{w.query_count} * kK, UINT32_MAX);
    e.series->ran = true;
    // An untimed pass faults in the index pages and warms the caches, so the
    // first ef is not charged for them.
    e.searcher->set_ef(o.efs.front());
    Timing ignored;
    timed_pass(w, *e.searcher, e.results, ignored);
  }
  for (size_t ef : o.efs) {
    std::vector<Timing> best(entries.size());
    std::vector<size_t> passes(entries.size());
    for (size_t i = 0; i < entries.size(); ++i) {
      const bool copied = entries[i].same_as != nullptr && entries[i].same_at(ef);
      passes[i] = copied ? 0 : entries[i].passes != 0 ? entries[i].passes : o.runs;
      entries[i].searcher->set_ef(ef);
    }
    const size_t rounds = *std::max_element(passes.begin(), passes.end());
    // Odd rounds go in reverse order, so no searcher always follows the same one.
    for (size_t run = 0; run < rounds; ++run) {
      for (size_t j = 0; j < entries.size(); ++j) {
        const size_t i = run % 2 == 0 ? j : entries.size() - 1 - j;
        if (run < passes[i]) timed_pass(w, *entries[i].searcher, entries[i].results, best[i]);
      }
    }
    for (size_t i = 0; i < entries.size(); ++i) {
      SweepEntry& e = entries[i];
      if (passes[i] == 0) {
        e.series->sweep.push_back(e.same_as->series->sweep.back());
        if (e.keep_plans) e.series->plans.push_back(e.same_as->series->plans.back());
        continue;
      }
      e.series->sweep.push_back(finish_row(w, kind, ef, e, best[i], violations));
      if (e.keep_plans) e.series->plans.push_back(e.searcher->plans());
      const SweepRow& row = e.series->sweep.back();
      std::fprintf(stderr, "%s: %s %s ef=%zu recall@10=%.4f QPS=%.0f (CPU %.0f)\n", kProg,
                   filter_kind_name(kind), e.name, ef, row.recall, row.qps, row.cpu_qps);
    }
  }
}

// The exact plan does not depend on ef: measured once.
SweepRow measure_exact(const FilterWorkload& w, FilterKind kind, const Options& o, Searcher& searcher,
                       size_t& violations) {
  SweepEntry e{"vs exact plan", &searcher, nullptr};
  e.results.assign(size_t{w.query_count} * kK, UINT32_MAX);
  Timing ignored, best;
  timed_pass(w, searcher, e.results, ignored);
  for (size_t run = 0; run < o.runs; ++run) timed_pass(w, searcher, e.results, best);
  SweepRow row = finish_row(w, kind, 0, e, best, violations);
  std::fprintf(stderr, "%s: %s vs exact plan recall@10=%.4f QPS=%.0f (CPU %.0f)\n", kProg,
               filter_kind_name(kind), row.recall, row.qps, row.cpu_qps);
  return row;
}

// ---- building ---------------------------------------------------------------

// Builds vs's graph and writes it with its field index as vs-build would;
// the graph is freed before searching, which runs on the mapped file alone.
double build_vs_shard(const FilterWorkload& w, const std::string& path) {
  const auto start = Clock::now();
  auto graph = build_hnsw(w.base, w.dim, Metric::kL2, HnswParams{kM, kEfConstruction, 100, false});
  const double build_s = seconds_since(start);
  if (!graph.ok()) fail("vs build: " + graph.status().message());

  std::vector<std::string> ids(w.base_count), metas(w.base_count);
  FieldSchemaBuilder schema_builder({});
  for (uint32_t doc = 0; doc < w.base_count; ++doc) {
    ids[doc] = std::to_string(doc);
    metas[doc] = w.meta(doc);
    const Status added = schema_builder.add(metas[doc]);
    if (!added.ok()) fail("vs field schema: " + added.message());
  }
  auto schema = schema_builder.finish();
  if (!schema.ok()) fail("vs field schema: " + schema.status().message());
  auto section = encode_field_index(*schema, metas);
  if (!section.ok()) fail("vs field index: " + section.status().message());
  auto info = write_shard(Env::posix(), path, *graph, ids, metas, *section);
  if (!info.ok()) fail("vs write: " + info.status().message());
  return build_s;
}

// ---- one filter kind ---------------------------------------------------------

std::string describe(FilterKind kind, const FilterWorkload& w) {
  switch (kind) {
    case kCategory:
      return "category = a random class";
    case kRange1:
      return "n in [x, x+" + std::to_string(w.range_width) + ")";
    case kRange50:
      return "n < " + std::to_string(w.base_count / 2);
    case kNone:
      return "none (unfiltered)";
  }
  return "";
}

// What every filtered searcher of one kind needs: the parsed filters, vs's
// AllowedSets and hnswlib's bitmaps (both evaluated here, before timing, and
// checked against each other and against the workload's own predicate).
struct PreparedFilters {
  std::vector<Filter> filters;
  std::vector<AllowedSet> allowed;
  std::vector<uint32_t> counts;
  std::vector<uint64_t> bits;
  size_t words = 0;
};

PreparedFilters prepare_filters(const FilterWorkload& w, FilterKind kind, const ShardSet& shards) {
  PreparedFilters p;
  p.words = (size_t{w.base_count} + 63) / 64;
  p.filters.resize(w.query_count);
  p.allowed.resize(w.query_count);
  p.counts.resize(w.query_count);
  p.bits.assign(p.words * w.query_count, 0);
  const ShardReader& shard = shards.shard(0);
  FilterScratch scratch;
  for (uint32_t q = 0; q < w.query_count; ++q) {
    const std::string text = w.filter_json(kind, q);
    auto filter = parse_filter(text);
    if (!filter.ok()) fail("filter '" + text + "': " + filter.status().message());
    const Status checked = check_filter(*filter, shards.fields());
    if (!checked.ok()) fail("filter '" + text + "': " + checked.message());
    p.filters[q] = std::move(*filter);
    evaluate_filter(p.filters[q], shard.fields(), shard.count(), scratch, p.allowed[q]);
    p.counts[q] = p.allowed[q].count();
    uint32_t expected = 0;
    uint64_t* row = p.bits.data() + q * p.words;
    for (uint32_t doc = 0; doc < w.base_count; ++doc) {
      if (!w.allows(kind, q, doc)) continue;
      row[doc >> 6] |= uint64_t{1} << (doc & 63);
      ++expected;
      if (!p.allowed[q].contains(doc))
        fail("filter '" + text + "' does not allow document " + std::to_string(doc));
    }
    if (p.counts[q] != expected) {
      fail("filter '" + text + "' allows " + std::to_string(p.counts[q]) + " documents, expected " +
           std::to_string(expected));
    }
  }
  return p;
}

FilterResult measure_kind(const FilterWorkload& w, FilterKind kind, const Options& o, const ShardSet& shards,
                          HnswlibFilterRunner& hnswlib, size_t& violations) {
  FilterResult r;
  r.kind = kind;
  r.description = describe(kind, w);
  if (kind == kNone) {
    r.allowed_mean = w.base_count;
    r.selectivity = 1.0;
    VsShardSearcher vs(shards, w, nullptr);
    HnswlibSearcher peer(hnswlib, w, nullptr, 0);
    std::vector<SweepEntry> entries = {{"hnswlib", &peer, &r.hnswlib}, {"vs", &vs, &r.vs}};
    sweep(w, kind, o, entries, violations);
    return r;
  }

  const PreparedFilters p = prepare_filters(w, kind, shards);
  double allowed_total = 0;
  for (uint32_t count : p.counts) allowed_total += count;
  r.allowed_mean = allowed_total / w.query_count;
  r.selectivity = r.allowed_mean / w.base_count;

  const GraphView& graph = shards.shard(0).graph();
  VsShardSearcher vs(shards, w, &p.filters);
  VsPrecomputedSearcher precomputed(graph, w, p.allowed, p.counts, std::nullopt);
  VsPrecomputedSearcher graph_plan(graph, w, p.allowed, p.counts, FilterPlan::Kind::kGraph);
  VsPrecomputedSearcher exact_plan(graph, w, p.allowed, p.counts, FilterPlan::Kind::kExact);
  HnswlibSearcher peer(hnswlib, w, &p.bits, p.words);
  // The forced graph plan is the planner's own wherever it picks graph for every query.
  auto planner_picks_graph = [&](size_t ef) {
    return std::all_of(p.counts.begin(), p.counts.end(), [&](uint32_t count) {
      return choose_filter_plan(count, graph.count, kK, ef).kind == FilterPlan::Kind::kGraph;
    });
  };
  std::vector<SweepEntry> entries = {{"hnswlib", &peer, &r.hnswlib},
                                     {"vs", &vs, &r.vs, true},
                                     {"vs filter precomputed", &precomputed, &r.vs_precomputed, true},
                                     {"vs graph plan", &graph_plan, &r.vs_graph, true}};
  entries[3].same_as = &entries[2];
  entries[3].same_at = planner_picks_graph;
  entries[3].passes = 1;  // a check on the planner, not a headline number: one pass
  sweep(w, kind, o, entries, violations);
  r.vs_exact = measure_exact(w, kind, o, exact_plan, violations);
  return r;
}

// ---- the run -----------------------------------------------------------------

// A library that misses kMinRecall at its largest ef is broken, not slow.
bool recall_ok(const std::vector<FilterResult>& results) {
  bool ok = true;
  for (const FilterResult& r : results) {
    for (const auto& [library, series] : {std::pair{"vs", &r.vs}, std::pair{"hnswlib", &r.hnswlib}}) {
      if (!series->ran || series->sweep.back().recall >= kMinRecall) continue;
      std::fprintf(stderr, "%s: %s: %s reaches only recall@10 %.4f at ef=%zu (expected >= %.2f)\n", kProg,
                   r.description.c_str(), library, series->sweep.back().recall, series->sweep.back().ef,
                   kMinRecall);
      ok = false;
    }
  }
  return ok;
}

int run(const Options& o) {
  const auto start = Clock::now();
  FilterWorkload w;
  std::string error;
  if (!load_filter_workload(o.data_dir, o.cache_dir, o.smoke ? kSmokeBase : 0, o.queries, kK, w, error)) {
    fail(error);
  }
  FilterRunInfo info;
  info.cpu_model = cpu_model();
  info.cores = std::thread::hardware_concurrency();
  info.build_threads = o.threads;
  info.m = kM;
  info.ef_construction = kEfConstruction;
  info.k = kK;
  info.runs = o.runs;
  info.smoke = o.smoke;
  info.generated_utc = utc_now();
  info.base_count = w.base_count;
  info.query_count = w.query_count;
  info.test_images = kTestImages;
  info.range_width = w.range_width;
  info.vs_simd = std::string(simd::kernels().name) + " (run-time dispatch, portable build)";
  info.hnswlib_simd = HnswlibFilterRunner::simd_description();
  info.hnswlib_filter = HnswlibFilterRunner::filter_description();

  TempDir work_dir(kProg, o.tmp_dir);
  const std::string shard_path = work_dir.path() + "/shard.vsi";
  HnswlibFilterRunner hnswlib(w.dim, w.base_count, kM, kEfConstruction);
  {
    tbb::global_control limit(tbb::global_control::max_allowed_parallelism, o.threads);
    std::fprintf(stderr, "%s: building vs and hnswlib on %u documents\n", kProg, w.base_count);
    info.vs_build_s = build_vs_shard(w, shard_path);
    const auto hnswlib_start = Clock::now();
    hnswlib.build(w.base.data(), w.base_count);
    info.hnswlib_build_s = seconds_since(hnswlib_start);
  }
  auto shards = ShardSet::open({shard_path});
  if (!shards.ok()) fail(shards.status().message());

  std::vector<FilterResult> results;
  size_t violations = 0;
  for (FilterKind kind : kAllFilterKinds)
    results.push_back(measure_kind(w, kind, o, *shards, hnswlib, violations));

  const std::string markdown = filter_markdown(info, results);
  std::fputs(markdown.c_str(), stdout);
  std::fflush(stdout);
  if (!o.results_dir.empty()) {
    std::error_code ec;
    std::filesystem::create_directories(o.results_dir, ec);
    const std::string base = o.results_dir + (o.smoke ? "/filter-compare-smoke" : "/filter-compare");
    write_text(kProg, base + ".md", markdown);
    write_text(kProg, base + ".json", filter_json(info, results));
    std::fprintf(stderr, "%s: wrote %s.md and %s.json\n", kProg, base.c_str(), base.c_str());
  }
  std::fprintf(stderr, "%s: done in %.1f s\n", kProg, seconds_since(start));
  if (violations > 0) {
    std::fprintf(stderr, "%s: %zu returned documents broke their filter\n", kProg, violations);
    return 1;
  }
  return recall_ok(results) ? 0 : 1;
}

void apply_defaults(Options& o) {
  if (o.queries == 0) o.queries = o.smoke ? kSmokeQueries : kDefaultQueries;
  if (o.threads == 0) o.threads = std::max(1u, std::thread::hardware_concurrency());
  if (o.runs == 0) o.runs = o.smoke ? 1 : 2;
  if (o.efs.empty()) {
    o.efs = o.smoke ? std::vector<size_t>{10, 32, 128}
                    : std::vector<size_t>{10, 16, 24, 32, 48, 64, 96, 128, 192, 256, 384, 512};
  }
  std::sort(o.efs.begin(), o.efs.end());
  o.efs.erase(std::unique(o.efs.begin(), o.efs.end()), o.efs.end());
}

}  // namespace
}  // namespace vs::bench

int main(int argc, char** argv) {
  vs::bench::Options o;
  CLI::App app{
      "Compares vs's filtered search with hnswlib's filter functor on Fashion-MNIST: recall@10 against the "
      "exact "
      "filtered top-10 and QPS per ef at 10%, 1% and 50% selectivity, beside unfiltered search."};
  app.add_flag("--smoke", o.smoke,
               "Quick check on a small subset (3,000 documents, 200 queries, short ef sweep)");
  app.add_option("--queries", o.queries, "Queries: the first N test images (default 1000; smoke 200)")
      ->check(CLI::Range(1u, vs::bench::kTestImages));
  app.add_option("--data-dir", o.data_dir, "Fashion-MNIST IDX files")->capture_default_str();
  app.add_option("--cache-dir", o.cache_dir, "Where the filtered ground truth is cached")
      ->capture_default_str();
  app.add_option("--results-dir", o.results_dir, "Where filter-compare.{md,json} go ('' to skip)")
      ->capture_default_str();
  app.add_option("--tmp-dir", o.tmp_dir,
                 "Where the shard file is written (default: the system temp directory)");
  app.add_option("--threads", o.threads, "Build threads (default: all cores); search is single-threaded");
  app.add_option("--runs", o.runs, "Timed passes per ef and searcher; the best counts (default: 2, smoke 1)");
  app.add_option("--ef", o.efs, "ef values to sweep (comma separated)")
      ->delimiter(',')
      ->check(CLI::Range(1, 100000));
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    std::fprintf(stderr, "filter-compare: %s\n", e.what());
    return 2;
  }
  vs::bench::apply_defaults(o);
  return vs::bench::run(o);
}
