#include "ann_report.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <sstream>

#include "bench_common.h"

namespace vs::bench {
namespace {

std::string optional_number(const std::optional<double>& value, const char* fmt) {
  return value ? format(fmt, *value) : "n/a";
}

std::string target_label(double target) { return format("%.2f", target); }

// One measure of one data set, per library; nullopt prints "n/a".
struct Measure {
  std::optional<double> vs;
  std::optional<double> vs_sq8;
  std::optional<double> hnswlib;
};

std::optional<double> if_ran(const LibraryResult& r, double value) {
  return r.ran ? std::optional<double>(value) : std::nullopt;
}

std::optional<double> mib_if_ran(const LibraryResult& r, uint64_t bytes) {
  return if_ran(r, static_cast<double>(bytes) / 1048576.0);
}

std::optional<double> open_ms(const LibraryResult& r) {
  return r.open_ms >= 0 ? std::optional<double>(r.open_ms) : std::nullopt;
}

// The per-measure summary rows of one data set. The vs-sq8 columns come last,
// so the vs / hnswlib columns keep their place.
void markdown_summary_rows(const DatasetResult& d, std::ostringstream& out) {
  const LibraryResult& v = d.vs;
  const LibraryResult& q = d.vs_sq8;
  const LibraryResult& h = d.hnswlib;
  auto row = [&](const std::string& measure, const Measure& m, const char* fmt, bool first = false) {
    out << "| " << (first ? d.name : "") << " | " << measure << " | " << optional_number(m.vs, fmt) << " | "
        << optional_number(m.hnswlib, fmt) << " | " << optional_number(ratio(m.vs, m.hnswlib), "%.2f") << " | "
        << optional_number(m.vs_sq8, fmt) << " | " << optional_number(ratio(m.vs_sq8, m.hnswlib), "%.2f")
        << " |\n";
  };
  row("build s (lower is better)", {if_ran(v, v.build_s), if_ran(q, q.build_s), if_ran(h, h.build_s)}, "%.1f",
      true);
  row("build CPU s, all threads", {if_ran(v, v.build_cpu_s), if_ran(q, q.build_cpu_s), if_ran(h, h.build_cpu_s)},
      "%.1f");
  for (double target : kRecallTargets) {
    const bool bound = first_row_reaches(v.sweep, target) || first_row_reaches(q.sweep, target) ||
                       first_row_reaches(h.sweep, target);
    row("QPS at recall@10 " + target_label(target) + (bound ? " (≥: reached at the smallest ef)" : ""),
        {qps_at_recall(v.sweep, target), qps_at_recall(q.sweep, target), qps_at_recall(h.sweep, target)}, "%.0f");
  }
  row("CPU QPS at recall@10 0.95 (noise check)",
      {qps_at_recall(v.sweep, 0.95, &SweepRow::cpu_qps), qps_at_recall(q.sweep, 0.95, &SweepRow::cpu_qps),
       qps_at_recall(h.sweep, 0.95, &SweepRow::cpu_qps)},
      "%.0f");
  row("index MiB", {mib_if_ran(v, v.index_bytes), mib_if_ran(q, q.index_bytes), mib_if_ran(h, h.index_bytes)},
      "%.1f");
  row("peak RSS MiB",
      {mib_if_ran(v, v.peak_rss_bytes), mib_if_ran(q, q.peak_rss_bytes), mib_if_ran(h, h.peak_rss_bytes)}, "%.1f");
  row("index open ms", {open_ms(v), open_ms(q), std::nullopt}, "%.3f");
}

// Rows are matched by position: every worker sweeps the same ef list.
void markdown_sweep(const DatasetResult& d, std::ostringstream& out) {
  out << "\n### " << d.name << " (" << d.base_count << " base, " << d.query_count << " queries, dim " << d.dim
      << ", " << d.metric << ")\n\n";
  out << "| ef | vs recall@10 | vs QPS | vs CPU QPS | hnswlib recall@10 | hnswlib QPS | hnswlib CPU QPS | QPS "
         "vs/hnswlib | CPU QPS vs/hnswlib | vs-sq8 recall@10 | vs-sq8 QPS | vs-sq8 CPU QPS | QPS vs-sq8/hnswlib |\n";
  out << "|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|\n";
  const size_t rows = std::max({d.vs.sweep.size(), d.vs_sq8.sweep.size(), d.hnswlib.sweep.size()});
  auto at = [](const LibraryResult& r, size_t i) { return i < r.sweep.size() ? &r.sweep[i] : nullptr; };
  auto cell = [](const SweepRow* r, const char* fmt, double SweepRow::*field) {
    return r ? format(fmt, r->*field) : std::string();
  };
  auto qps_ratio = [](const SweepRow* a, const SweepRow* b, double SweepRow::*field) {
    return a && b && b->*field > 0 ? format("%.2f", a->*field / b->*field) : std::string();
  };
  for (size_t i = 0; i < rows; ++i) {
    const SweepRow* v = at(d.vs, i);
    const SweepRow* q = at(d.vs_sq8, i);
    const SweepRow* h = at(d.hnswlib, i);
    out << "| " << (v ? v->ef : q ? q->ef : h->ef) << " | " << cell(v, "%.4f", &SweepRow::recall) << " | "
        << cell(v, "%.0f", &SweepRow::qps) << " | " << cell(v, "%.0f", &SweepRow::cpu_qps) << " | "
        << cell(h, "%.4f", &SweepRow::recall) << " | " << cell(h, "%.0f", &SweepRow::qps) << " | "
        << cell(h, "%.0f", &SweepRow::cpu_qps) << " | " << qps_ratio(v, h, &SweepRow::qps) << " | "
        << qps_ratio(v, h, &SweepRow::cpu_qps) << " | " << cell(q, "%.4f", &SweepRow::recall) << " | "
        << cell(q, "%.0f", &SweepRow::qps) << " | " << cell(q, "%.0f", &SweepRow::cpu_qps) << " | "
        << qps_ratio(q, h, &SweepRow::qps) << " |\n";
  }
}

void json_library(const LibraryResult& r, std::ostringstream& out) {
  auto measured = [](double value) { return value >= 0 ? std::optional<double>(value) : std::nullopt; };
  out << "{\"ran\": " << (r.ran ? "true" : "false") << ", \"build_s\": " << json_number(r.build_s)
      << ", \"build_cpu_s\": " << json_number(r.build_cpu_s)
      << ", \"write_s\": " << json_number(measured(r.write_s)) << ", \"open_ms\": " << json_number(measured(r.open_ms))
      << ", \"index_bytes\": " << r.index_bytes << ", \"peak_rss_bytes\": " << r.peak_rss_bytes
      << ", \"simd\": " << json_string(r.simd) << ", \"qps_at_recall\": {";
  for (size_t i = 0; i < std::size(kRecallTargets); ++i) {
    out << (i ? ", " : "") << json_string(target_label(kRecallTargets[i])) << ": "
        << json_number(qps_at_recall(r.sweep, kRecallTargets[i]));
  }
  out << "}, \"cpu_qps_at_recall\": {";
  for (size_t i = 0; i < std::size(kRecallTargets); ++i) {
    out << (i ? ", " : "") << json_string(target_label(kRecallTargets[i])) << ": "
        << json_number(qps_at_recall(r.sweep, kRecallTargets[i], &SweepRow::cpu_qps));
  }
  out << "}, \"qps_at_recall_is_lower_bound\": {";
  for (size_t i = 0; i < std::size(kRecallTargets); ++i) {
    out << (i ? ", " : "") << json_string(target_label(kRecallTargets[i])) << ": "
        << (first_row_reaches(r.sweep, kRecallTargets[i]) ? "true" : "false");
  }
  out << "}, \"sweep\": [";
  for (size_t i = 0; i < r.sweep.size(); ++i) {
    out << (i ? ", " : "") << "{\"ef\": " << r.sweep[i].ef << ", \"recall\": " << json_number(r.sweep[i].recall)
        << ", \"qps\": " << json_number(r.sweep[i].qps) << ", \"cpu_qps\": " << json_number(r.sweep[i].cpu_qps)
        << "}";
  }
  out << "]}";
}

// "build_s" and "qps@<target>" of `r` over hnswlib's; null where either did not run or reach the target.
void json_ratios(const LibraryResult& r, const LibraryResult& hnswlib, std::ostringstream& out) {
  out << "{\"build_s\": " << json_number(r.ran && hnswlib.ran ? ratio(r.build_s, hnswlib.build_s) : std::nullopt);
  for (double target : kRecallTargets) {
    out << ", " << json_string("qps@" + target_label(target)) << ": "
        << json_number(ratio(qps_at_recall(r.sweep, target), qps_at_recall(hnswlib.sweep, target)));
  }
  out << "}";
}

std::string json_ef_reaching(const LibraryResult& r, double target) {
  const auto ef = smallest_ef_reaching(r.sweep, target);
  return ef ? std::to_string(*ef) : "null";
}

void json_dataset(const DatasetResult& d, std::ostringstream& out) {
  out << "    {\"name\": " << json_string(d.name) << ", \"metric\": " << json_string(d.metric)
      << ", \"dim\": " << d.dim << ", \"base\": " << d.base_count << ", \"queries\": " << d.query_count;
  out << ", \"vs_ef_for_recall_0.95\": " << json_ef_reaching(d.vs, 0.95);
  out << ", \"vs_sq8_ef_for_recall_0.95\": " << json_ef_reaching(d.vs_sq8, 0.95);
  out << ",\n     \"ratios_vs_over_hnswlib\": ";
  json_ratios(d.vs, d.hnswlib, out);
  out << ",\n     \"ratios_vs_sq8_over_hnswlib\": ";
  json_ratios(d.vs_sq8, d.hnswlib, out);
  out << ",\n     \"vs\": ";
  json_library(d.vs, out);
  out << ",\n     \"vs_sq8\": ";
  json_library(d.vs_sq8, out);
  out << ",\n     \"hnswlib\": ";
  json_library(d.hnswlib, out);
  out << "}";
}

}  // namespace

std::optional<double> qps_at_recall(const std::vector<SweepRow>& sweep, double target, double SweepRow::*qps) {
  for (size_t i = 0; i < sweep.size(); ++i) {
    if (sweep[i].recall < target) continue;
    if (i == 0 || sweep[i].recall <= sweep[i - 1].recall) return sweep[i].*qps;
    const SweepRow& lo = sweep[i - 1];
    const SweepRow& hi = sweep[i];
    const double t = (target - lo.recall) / (hi.recall - lo.recall);
    return std::exp(std::log(lo.*qps) + t * (std::log(hi.*qps) - std::log(lo.*qps)));
  }
  return std::nullopt;
}

bool first_row_reaches(const std::vector<SweepRow>& sweep, double target) {
  return !sweep.empty() && sweep.front().recall >= target;
}

std::optional<size_t> smallest_ef_reaching(const std::vector<SweepRow>& sweep, double target) {
  for (const SweepRow& row : sweep) {
    if (row.recall >= target) return row.ef;
  }
  return std::nullopt;
}

bool write_result_file(const std::string& path, const LibraryResult& r, std::string& error) {
  std::ofstream out(path);
  out.precision(17);
  out << "library " << r.library << "\nbuild_s " << r.build_s << "\nbuild_cpu_s " << r.build_cpu_s << "\nwrite_s " << r.write_s << "\nopen_ms "
      << r.open_ms << "\nindex_bytes " << r.index_bytes << "\npeak_rss_bytes " << r.peak_rss_bytes << "\nsimd "
      << r.simd << "\n";
  for (const SweepRow& row : r.sweep) {
    out << "row " << row.ef << " " << row.recall << " " << row.qps << " " << row.cpu_qps << "\n";
  }
  out.close();
  if (!out) error = "cannot write '" + path + "'";
  return static_cast<bool>(out);
}

bool read_result_file(const std::string& path, LibraryResult& r, std::string& error) {
  std::ifstream in(path);
  if (!in) {
    error = "the worker left no result file '" + path + "'";
    return false;
  }
  std::string key;
  while (in >> key) {
    if (key == "library") in >> r.library;
    else if (key == "build_s") in >> r.build_s;
    else if (key == "build_cpu_s") in >> r.build_cpu_s;
    else if (key == "write_s") in >> r.write_s;
    else if (key == "open_ms") in >> r.open_ms;
    else if (key == "index_bytes") in >> r.index_bytes;
    else if (key == "peak_rss_bytes") in >> r.peak_rss_bytes;
    else if (key == "simd") std::getline(in >> std::ws, r.simd);
    else if (key == "row") {
      SweepRow row;
      in >> row.ef >> row.recall >> row.qps >> row.cpu_qps;
      r.sweep.push_back(row);
    } else {
      error = "'" + path + "': unknown key '" + key + "'";
      return false;
    }
  }
  r.ran = !r.sweep.empty();
  if (!r.ran) error = "'" + path + "' holds no sweep";
  return r.ran;
}

std::string markdown_report(const RunInfo& info, const std::vector<DatasetResult>& datasets) {
  std::ostringstream out;
  out << "## vs (float and sq8) vs hnswlib" << (info.smoke ? " (smoke run: small subset, not a measurement)" : "") << "\n\n";
  out << "CPU: " << info.cpu_model << ", " << info.cores << " cores; build on " << info.build_threads
      << " threads; search single-threaded, one query at a time, k=" << info.k << "; best of " << info.rounds
      << (info.rounds == 1 ? " round" : " rounds, libraries alternating,") << " of " << info.runs
      << (info.runs == 1 ? " build and search pass" : " builds and search passes") << " each; M=" << info.m << ", ef_construction=" << info.ef_construction << "; " << info.generated_utc << ".\n";
  if (!datasets.empty()) {
    const DatasetResult& first = datasets.front();
    out << "vs kernels: " << (first.vs.ran ? first.vs.simd : first.vs_sq8.simd)
        << "; hnswlib: " << first.hnswlib.simd << ".\n";
  }
  out << "vs-sq8 is vs built with 8-bit codes (vs-build --quantize sq8): the search traverses the codes and "
         "reranks with the float vectors. Ratios are X / hnswlib for X = vs and vs-sq8 (QPS: above 1 means X is "
         "faster; build s: below 1 means X is faster). CPU QPS counts the search thread's CPU time only: where "
         "it is far above QPS, other load disturbed the run.\n\n";
  out << "| data set | measure | vs | hnswlib | vs / hnswlib | vs-sq8 | vs-sq8 / hnswlib |\n"
         "|---|---|--:|--:|--:|--:|--:|\n";
  for (const DatasetResult& d : datasets) markdown_summary_rows(d, out);
  for (const DatasetResult& d : datasets) markdown_sweep(d, out);
  return out.str();
}

std::string json_report(const RunInfo& info, const std::vector<DatasetResult>& datasets) {
  std::ostringstream out;
  out << "{\n  \"generated_utc\": " << json_string(info.generated_utc) << ",\n  \"smoke\": "
      << (info.smoke ? "true" : "false") << ",\n  \"machine\": {\"cpu\": " << json_string(info.cpu_model)
      << ", \"cores\": " << info.cores << "},\n  \"params\": {\"m\": " << info.m
      << ", \"ef_construction\": " << info.ef_construction << ", \"k\": " << info.k
      << ", \"build_threads\": " << info.build_threads << ", \"search_threads\": 1, \"runs\": " << info.runs << ", \"rounds\": " << info.rounds
      << "},\n  \"datasets\": [\n";
  for (size_t i = 0; i < datasets.size(); ++i) {
    json_dataset(datasets[i], out);
    out << (i + 1 < datasets.size() ? ",\n" : "\n");
  }
  out << "  ]\n}\n";
  return out.str();
}

}  // namespace vs::bench
