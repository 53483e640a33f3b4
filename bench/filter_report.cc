#include "filter_report.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <sstream>

#include "bench_common.h"

namespace vs::bench {
namespace {

std::string number_or_na(const std::optional<double>& value, const char* fmt) {
  return value && std::isfinite(*value) ? format(fmt, *value) : "n/a";
}

std::optional<double> qps_at_target(const Series& s) {
  if (!s.ran) return std::nullopt;
  return qps_at_recall(s.sweep, kFilterRecallTarget);
}

// "≥ " when the series' first row already reaches the target: its QPS at the
// target is then a lower bound (a smaller ef would be faster still).
std::string bound_mark(const Series& s) {
  return s.ran && first_row_reaches(s.sweep, kFilterRecallTarget) ? "≥ " : "";
}

// A ratio a/b is a lower bound when only a is, an upper bound when only b is.
std::string ratio_mark(const Series& a, const Series& b) {
  const bool a_bound = !bound_mark(a).empty();
  const bool b_bound = !bound_mark(b).empty();
  if (a_bound && !b_bound) return "≥ ";
  if (b_bound && !a_bound) return "≤ ";
  if (a_bound && b_bound) return "~ ";
  return "";
}

std::optional<double> cpu_qps_at_target(const Series& s) {
  if (!s.ran) return std::nullopt;
  return qps_at_recall(s.sweep, kFilterRecallTarget, &SweepRow::cpu_qps);
}

std::string cell(const Series& s, const char* fmt = "%.0f") {
  const auto qps = qps_at_target(s);
  return qps ? bound_mark(s) + format(fmt, *qps) : "n/a";
}

std::string ratio_cell(const Series& a, const Series& b) {
  const auto r = ratio(qps_at_target(a), qps_at_target(b));
  return r ? ratio_mark(a, b) + format("%.2f", *r) : "n/a";
}

std::string cpu_ratio_cell(const Series& a, const Series& b) {
  const auto r = ratio(cpu_qps_at_target(a), cpu_qps_at_target(b));
  return r ? ratio_mark(a, b) + format("%.2f", *r) : "n/a";
}

// vs against hnswlib at equal recall: at the target, or, where a sweep
// already starts above it, at the higher of the two first rows' recalls,
// the lowest recall both offer, so neither is credited with a cheaper point
// the other cannot match. When hnswlib never reaches that recall (vs's
// cheapest point is more accurate than hnswlib's best), vs dominates and the
// ratio is vs's QPS there over hnswlib's at the target: a lower bound.
struct EqualRecall {
  double recall = 0;
  std::optional<double> ratio;
  bool dominates = false;  // hnswlib never reaches `recall`
};

EqualRecall equal_recall(const Series& a, const Series& b) {
  EqualRecall e;
  if (!a.ran || !b.ran || a.sweep.empty() || b.sweep.empty()) return e;
  e.recall = std::max({kFilterRecallTarget, a.sweep.front().recall, b.sweep.front().recall});
  const auto a_qps = qps_at_recall(a.sweep, e.recall);
  const auto b_qps = qps_at_recall(b.sweep, e.recall);
  if (a_qps && b_qps) {
    e.ratio = ratio(a_qps, b_qps);
  } else if (a_qps) {
    e.dominates = true;
    e.ratio = ratio(a_qps, qps_at_target(b));
  }
  return e;
}

std::string equal_recall_cell(const Series& a, const Series& b) {
  const EqualRecall e = equal_recall(a, b);
  if (e.dominates) {
    return e.ratio ? "≥ " + format("%.2f", *e.ratio) + " (hnswlib < " + format("%.4f", e.recall) + ")"
                   : "vs only (hnswlib < 0.95)";
  }
  return e.ratio ? format("%.2f", *e.ratio) + " at " + format("%.4f", e.recall) : "n/a";
}

std::string recall_range(const Series& s) {
  if (!s.ran || s.sweep.empty()) return "n/a";
  return format("%.4f", s.sweep.front().recall) + " → " + format("%.4f", s.sweep.back().recall);
}

std::string plan_text(const PlanTally& p) {
  return std::to_string(p.exact) + " / " + std::to_string(p.graph);
}

// The smallest ef at which vs reaches the target, with its plans.
std::string ef_at_target(const Series& s) {
  for (size_t i = 0; i < s.sweep.size(); ++i) {
    if (s.sweep[i].recall < kFilterRecallTarget) continue;
    std::string text = std::to_string(s.sweep[i].ef);
    if (i < s.plans.size()) text += " (" + plan_text(s.plans[i]) + ")";
    return text;
  }
  return "not reached";
}

const FilterResult* unfiltered(const std::vector<FilterResult>& results) {
  for (const FilterResult& r : results) {
    if (r.kind == kNone) return &r;
  }
  return nullptr;
}

// The graph plan's cost per unit of ef'/selectivity, in exact-plan distance
// computations: what choose_filter_plan models as kGraphDistancesPerEf. From
// CPU time (less disturbed by other load): per query, the graph plan takes
// 1/graph_cpu_qps and the exact plan 1/exact_cpu_qps for `allowed` distances.
std::optional<double> graph_cost_per_ef(const FilterResult& r, size_t row) {
  if (!r.vs_exact || row >= r.vs_graph.sweep.size() || row >= r.vs_graph.plans.size()) return std::nullopt;
  const double graph_ef = static_cast<double>(r.vs_graph.plans[row].graph_ef);
  const double graph_cpu_qps = r.vs_graph.sweep[row].cpu_qps;
  if (graph_ef <= 0 || graph_cpu_qps <= 0 || r.selectivity <= 0) return std::nullopt;
  const double distances = r.vs_exact->cpu_qps / graph_cpu_qps * r.allowed_mean;
  return distances / (graph_ef / r.selectivity);
}

void markdown_summary(const std::vector<FilterResult>& results, std::ostringstream& out) {
  const FilterResult* none = unfiltered(results);
  out << "| filter | docs allowed | vs QPS at recall@10 0.95 | hnswlib QPS at 0.95 | vs / hnswlib "
         "| vs / hnswlib, CPU QPS (noise check) | vs / hnswlib at equal recall "
         "| vs QPS, filter precomputed | precomputed / hnswlib at equal recall | vs ef "
         "at 0.95 (queries exact / graph) "
         "| vs recall@10, ef min → max | hnswlib recall@10, ef min → max | vs QPS ÷ vs unfiltered "
         "| hnswlib QPS ÷ hnswlib unfiltered |\n";
  out << "|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|\n";
  for (const FilterResult& r : results) {
    const bool filtered = r.kind != kNone;
    out << "| " << r.description << " | " << format("%.0f", r.allowed_mean) << " ("
        << format("%.0f%%", r.selectivity * 100) << ") | " << cell(r.vs) << " | " << cell(r.hnswlib) << " | "
        << ratio_cell(r.vs, r.hnswlib) << " | " << cpu_ratio_cell(r.vs, r.hnswlib) << " | "
        << equal_recall_cell(r.vs, r.hnswlib) << " | " << (filtered ? cell(r.vs_precomputed) : "-") << " | "
        << (filtered ? equal_recall_cell(r.vs_precomputed, r.hnswlib) : "-") << " | " << ef_at_target(r.vs)
        << " | " << recall_range(r.vs) << " | " << recall_range(r.hnswlib) << " | "
        << (filtered && none ? number_or_na(ratio(qps_at_target(r.vs), qps_at_target(none->vs)), "%.2f")
                             : "-")
        << " | "
        << (filtered && none
                ? number_or_na(ratio(qps_at_target(r.hnswlib), qps_at_target(none->hnswlib)), "%.2f")
                : "-")
        << " |\n";
  }
}

void markdown_sweep(const FilterResult& r, std::ostringstream& out) {
  const bool filtered = r.kind != kNone;
  out << "\n### " << r.description << " (" << format("%.0f", r.allowed_mean) << " docs allowed, "
      << format("%.1f%%", r.selectivity * 100) << ")\n\n";
  out << "| ef | vs plan (queries exact / graph) | graph plan's ef | vs recall@10 | vs QPS | vs CPU QPS "
         "| vs QPS, filter precomputed | hnswlib recall@10 | hnswlib QPS | hnswlib CPU QPS | QPS vs/hnswlib "
         "| graph plan forced: recall@10 | graph plan forced: QPS | graph cost per ef'/s (exact distances) "
         "|\n";
  out << "|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|\n";
  for (size_t i = 0; i < r.vs.sweep.size(); ++i) {
    const SweepRow& v = r.vs.sweep[i];
    const SweepRow* h = i < r.hnswlib.sweep.size() ? &r.hnswlib.sweep[i] : nullptr;
    const SweepRow* p = i < r.vs_precomputed.sweep.size() ? &r.vs_precomputed.sweep[i] : nullptr;
    const SweepRow* g = i < r.vs_graph.sweep.size() ? &r.vs_graph.sweep[i] : nullptr;
    const bool planned = filtered && i < r.vs.plans.size();
    out << "| " << v.ef << " | " << (planned ? plan_text(r.vs.plans[i]) : "-") << " | "
        << (planned && r.vs.plans[i].graph > 0 ? std::to_string(r.vs.plans[i].graph_ef) : "-") << " | "
        << format("%.4f", v.recall) << " | " << format("%.0f", v.qps) << " | " << format("%.0f", v.cpu_qps)
        << " | " << (p ? format("%.0f", p->qps) : "-") << " | " << (h ? format("%.4f", h->recall) : "n/a")
        << " | " << (h ? format("%.0f", h->qps) : "n/a") << " | " << (h ? format("%.0f", h->cpu_qps) : "n/a")
        << " | " << (h ? format("%.2f", v.qps / h->qps) : "n/a") << " | "
        << (g ? format("%.4f", g->recall) : "-") << " | " << (g ? format("%.0f", g->qps) : "-") << " | "
        << (filtered ? number_or_na(graph_cost_per_ef(r, i), "%.1f") : "-") << " |\n";
  }
  if (r.vs_exact) {
    out << "\nExact plan forced (every allowed document, filter precomputed): recall@10 "
        << format("%.4f", r.vs_exact->recall) << ", QPS " << format("%.0f", r.vs_exact->qps) << " (CPU "
        << format("%.0f", r.vs_exact->cpu_qps) << ").\n";
  }
}

void json_series(const Series& s, std::ostringstream& out) {
  out << "{\"ran\": " << (s.ran ? "true" : "false")
      << ", \"qps_at_recall_0.95\": " << json_number(qps_at_target(s))
      << ", \"qps_at_recall_0.95_is_lower_bound\": "
      << (s.ran && first_row_reaches(s.sweep, kFilterRecallTarget) ? "true" : "false")
      << ", \"ef_for_recall_0.95\": ";
  const auto ef = s.ran ? smallest_ef_reaching(s.sweep, kFilterRecallTarget) : std::nullopt;
  out << (ef ? std::to_string(*ef) : "null") << ", \"sweep\": [";
  for (size_t i = 0; i < s.sweep.size(); ++i) {
    const SweepRow& row = s.sweep[i];
    out << (i ? ", " : "") << "{\"ef\": " << row.ef << ", \"recall\": " << json_number(row.recall)
        << ", \"qps\": " << json_number(row.qps) << ", \"cpu_qps\": " << json_number(row.cpu_qps);
    if (i < s.plans.size()) {
      const PlanTally& p = s.plans[i];
      out << ", \"plans\": {\"exact\": " << p.exact << ", \"graph\": " << p.graph
          << ", \"empty\": " << p.empty << "}, \"graph_ef\": " << p.graph_ef;
    }
    out << "}";
  }
  out << "]}";
}

std::string json_equal_recall(const FilterResult& r) {
  const EqualRecall vs = equal_recall(r.vs, r.hnswlib);
  const EqualRecall precomputed = equal_recall(r.vs_precomputed, r.hnswlib);
  return "{\"recall\": " + json_number(vs.recall) + ", \"ratio_vs_over_hnswlib\": " + json_number(vs.ratio) +
         ", \"vs_dominates\": " + (vs.dominates ? "true" : "false") +
         ", \"ratio_vs_precomputed_over_hnswlib\": " + json_number(precomputed.ratio) + "}";
}

}  // namespace

bool recall_target_met(const std::vector<FilterResult>& results, std::string& why) {
  bool met = true;
  for (const FilterResult& r : results) {
    if (r.kind == kNone || !r.vs.ran) continue;
    double best = 0;
    for (const SweepRow& row : r.vs.sweep) best = std::max(best, row.recall);
    if (best >= kFilterRecallTarget) continue;
    met = false;
    why += (why.empty() ? "" : "; ") + r.description + ": at most " + format("%.4f", best);
  }
  return met;
}

bool speed_target_met(const std::vector<FilterResult>& results, std::string& why) {
  bool met = true;
  for (const FilterResult& r : results) {
    if (r.kind == kNone || !r.vs.ran || !r.hnswlib.ran) continue;
    const EqualRecall e = equal_recall(r.vs, r.hnswlib);
    if (e.ratio ? *e.ratio >= 1.0 : e.dominates) continue;
    met = false;
    why += (why.empty() ? "" : "; ") + r.description + ": " +
           (e.ratio ? format("%.2f", *e.ratio) + " at recall@10 " + format("%.4f", e.recall)
                    : std::string("no recall both reach"));
  }
  return met;
}

std::string filter_markdown(const FilterRunInfo& info, const std::vector<FilterResult>& results) {
  std::ostringstream out;
  out << "## Filtered search: vs vs hnswlib's filter functor (fmnist-784-euclidean"
      << (info.smoke ? ", smoke subset" : "") << ")\n\n";
  out << "CPU: " << info.cpu_model << ", " << info.cores
      << " cores; search single-threaded, one query at a time, k=" << info.k << ", best of " << info.runs
      << " interleaved passes (the forced graph plan, a check on the planner: one); M=" << info.m
      << ", ef_construction=" << info.ef_construction << " for both (built on " << info.build_threads
      << " threads: vs " << format("%.1f", info.vs_build_s) << " s, hnswlib "
      << format("%.1f", info.hnswlib_build_s) << " s); " << info.generated_utc << ".\n";
  out << "Data: " << info.base_count << " training images as documents; queries: the first "
      << info.query_count << " of the " << info.test_images
      << " test images (a subset, to keep the run short). Metadata per document: "
         "{\"category\": its class label, \"n\": a seeded random permutation of 0.."
      << info.base_count - 1 << "}. Each query has one filter of each kind: category = a random class (10%), "
      << "n in [x, x+" << info.range_width << ") for a random x (1%), n < " << info.base_count / 2
      << " (50%), and none (the unfiltered search, beside).\n";
  out << "Ground truth: the exact filtered top-" << info.k
      << " by brute force. recall@10 counts a returned document that the filter allows and that lies within "
         "the 10th true distance; a returned document the filter excludes fails the run.\n";
  out << "Timing: `vs` searches through ShardSet::search, the code vs-query runs, and evaluates each query's "
         "filter against the shard's field index inside the timed region. hnswlib's allowed bitmap is "
         "precomputed per query outside the timed region (its functor tests one bit), so `vs, filter "
         "precomputed` (the same plan and search, the AllowedSet built beforehand) is the like-for-like "
         "timing "
         "and `vs` the honest end-to-end one; the ratios vs / hnswlib use `vs`. QPS at recall@10 0.95 is "
         "interpolated in log-QPS between the bracketing ef rows (≥: the smallest ef already reaches it, so "
         "the QPS is a lower bound). CPU QPS counts the search thread's CPU time only.\n";
  out << "vs kernels: " << info.vs_simd << "; hnswlib: " << info.hnswlib_simd
      << ". hnswlib filter: " << info.hnswlib_filter << ".\n\n";
  markdown_summary(results, out);

  std::string recall_why, speed_why;
  const bool recall_met = recall_target_met(results, recall_why);
  const bool speed_met = speed_target_met(results, speed_why);
  out << "\nTargets: recall@10 ≥ 0.95 at every selectivity: "
      << (recall_met ? "met" : "NOT met (" + recall_why + ")")
      << ". vs QPS ≥ 1.0 × hnswlib's filtered QPS at equal recall (0.95, or the lowest recall both reach "
         "where both sweeps start above it) at every selectivity: "
      << (speed_met ? "met" : "NOT met (" + speed_why + ")") << ".\n";
  out << "\nIn the sweeps, `graph cost per ef'/s` is the graph plan's CPU time per query in units of one "
         "exact-plan distance (the exact plan's CPU time per allowed document), divided by its widened ef "
         "over the selectivity: the number choose_filter_plan models as kGraphDistancesPerEf.\n";
  for (const FilterResult& r : results) markdown_sweep(r, out);
  return out.str();
}

std::string filter_json(const FilterRunInfo& info, const std::vector<FilterResult>& results) {
  std::string recall_why, speed_why;
  const bool recall_met = recall_target_met(results, recall_why);
  const bool speed_met = speed_target_met(results, speed_why);
  std::ostringstream out;
  out << "{\n  \"generated_utc\": " << json_string(info.generated_utc)
      << ",\n  \"cpu_model\": " << json_string(info.cpu_model) << ",\n  \"cores\": " << info.cores
      << ",\n  \"build_threads\": " << info.build_threads
      << ",\n  \"dataset\": \"fmnist-784-euclidean\",\n  \"base_count\": " << info.base_count
      << ",\n  \"query_count\": " << info.query_count << ",\n  \"test_images\": " << info.test_images
      << ",\n  \"m\": " << info.m << ",\n  \"ef_construction\": " << info.ef_construction
      << ",\n  \"k\": " << info.k << ",\n  \"runs\": " << info.runs
      << ",\n  \"smoke\": " << (info.smoke ? "true" : "false")
      << ",\n  \"vs_build_s\": " << json_number(info.vs_build_s)
      << ",\n  \"hnswlib_build_s\": " << json_number(info.hnswlib_build_s)
      << ",\n  \"vs_simd\": " << json_string(info.vs_simd)
      << ",\n  \"hnswlib_simd\": " << json_string(info.hnswlib_simd)
      << ",\n  \"hnswlib_filter\": " << json_string(info.hnswlib_filter)
      << ",\n  \"timing\": \"vs: ShardSet::search, filter evaluated per query inside the timed region; "
         "vs_precomputed and hnswlib: allowed set precomputed outside it\""
      << ",\n  \"targets\": {\"recall_0.95_every_selectivity\": " << (recall_met ? "true" : "false")
      << ", \"qps_ratio_at_least_1_every_selectivity\": " << (speed_met ? "true" : "false")
      << "},\n  \"filters\": [";
  for (size_t i = 0; i < results.size(); ++i) {
    const FilterResult& r = results[i];
    out << (i ? "," : "") << "\n    {\"name\": " << json_string(filter_kind_name(r.kind))
        << ", \"description\": " << json_string(r.description)
        << ", \"allowed_mean\": " << json_number(r.allowed_mean)
        << ", \"selectivity\": " << json_number(r.selectivity)
        << ",\n     \"ratio_vs_over_hnswlib_at_0.95\": "
        << json_number(ratio(qps_at_target(r.vs), qps_at_target(r.hnswlib)))
        << ", \"cpu_ratio_vs_over_hnswlib_at_0.95\": "
        << json_number(ratio(cpu_qps_at_target(r.vs), cpu_qps_at_target(r.hnswlib)))
        << ", \"equal_recall\": " << json_equal_recall(r)
        << ", \"ratio_vs_precomputed_over_hnswlib_at_0.95\": "
        << json_number(ratio(qps_at_target(r.vs_precomputed), qps_at_target(r.hnswlib)))
        << ",\n     \"vs\": ";
    json_series(r.vs, out);
    out << ",\n     \"vs_precomputed\": ";
    json_series(r.vs_precomputed, out);
    out << ",\n     \"vs_graph_plan\": ";
    json_series(r.vs_graph, out);
    out << ",\n     \"vs_exact_plan\": ";
    if (r.vs_exact) {
      out << "{\"recall\": " << json_number(r.vs_exact->recall)
          << ", \"qps\": " << json_number(r.vs_exact->qps)
          << ", \"cpu_qps\": " << json_number(r.vs_exact->cpu_qps) << "}";
    } else {
      out << "null";
    }
    out << ",\n     \"hnswlib\": ";
    json_series(r.hnswlib, out);
    out << "}";
  }
  out << "\n  ]\n}\n";
  return out.str();
}

}  // namespace vs::bench
