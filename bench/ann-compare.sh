#!/usr/bin/env bash
# Reruns the vs-against-hnswlib comparison on Fashion-MNIST from scratch:
# installs the benchmark dependencies, builds Release into ${VS_BUILD_DIR:-build},
# runs bench/ann-compare (vs, vs-sq8 and hnswlib, both data sets, one run) and
# then times vs-query end to end (JSON in, JSON out) on the float index (vs, not
# vs-sq8) at the ef where vs first reaches recall@10 0.95, on one thread and on
# all of them.
#
#   bench/ann-compare.sh [--smoke] [ann-compare flags...]
#
# Results: ${VS_RESULTS_DIR:-bench/results}/ann-compare.{md,json} and
# vs-query.{md,json}. Prepared data and ground truth are cached in
# ${VS_BENCH_CACHE:-bench/.cache}. --smoke passes through (a quick check on a
# subset) and skips the vs-query timing.
set -euo pipefail
cd "$(dirname "$0")/.."

build_dir=${VS_BUILD_DIR:-build}
results_dir=${VS_RESULTS_DIR:-bench/results}
cache_dir=${VS_BENCH_CACHE:-bench/.cache}
bin=$build_dir/bin

die() {
  echo "ann-compare.sh: $*" >&2
  exit 1
}

now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", b - a }'; }
per_second() { awk -v n="$1" -v s="$2" 'BEGIN { printf "%.0f", n / s }'; }

smoke=0
for arg in "$@"; do
  if [[ $arg == --smoke ]]; then
    smoke=1
  fi
done

scripts/setup.sh --bench
VS_BUILD_DIR=$build_dir scripts/build.sh >&2
[[ -x $bin/ann-compare ]] || die "$bin/ann-compare was not built (is libhnswlib-dev installed? scripts/setup.sh --bench)"

"$bin/ann-compare" --cache-dir "$cache_dir" --results-dir "$results_dir" "$@"
if ((smoke)); then
  exit 0
fi

# ---- vs-query end to end -------------------------------------------------
for tool in fmnist-jsonl vs-ingest vs-build vs-query; do
  [[ -x $bin/$tool ]] || die "$bin/$tool was not built; cannot time vs-query end to end"
done

work=$cache_dir/vs-query
mkdir -p "$work"
if [[ ! -s $work/base.jsonl || ! -s $work/queries.jsonl ]]; then
  "$bin/fmnist-jsonl" train >"$work/base.jsonl.part" && mv "$work/base.jsonl.part" "$work/base.jsonl"
  "$bin/fmnist-jsonl" test >"$work/queries.jsonl.part" && mv "$work/queries.jsonl.part" "$work/queries.jsonl"
fi
queries=$(wc -l <"$work/queries.jsonl")

# time_query THREADS EF INDEX: prints the seconds vs-query takes for all queries.
time_query() {
  local start end
  start=$(now)
  "$bin/vs-query" -k 10 --ef "$2" --threads "$1" "$3" <"$work/queries.jsonl" >/dev/null
  end=$(now)
  elapsed "$start" "$end"
}

md=$results_dir/vs-query.md
json_rows=()
{
  echo "## vs-query end to end (JSON Lines in and out, one shard, $queries queries, k=10)"
  echo
  echo "| data set | ef (first to reach recall@10 0.95 in ann-compare) | build s (vs-ingest \\| vs-build) | open+query s, 1 thread | QPS, 1 thread | QPS, $(nproc) threads | in-process QPS at that ef (ann-compare) |"
  echo "|---|--:|--:|--:|--:|--:|--:|"
} >"$md"

for pair in fmnist-784-euclidean:l2 fmnist-784-angular:cosine; do
  name=${pair%%:*}
  metric=${pair##*:}
  if ! jq -e --arg n "$name" 'any(.datasets[]; .name == $n and .vs.ran)' "$results_dir/ann-compare.json" >/dev/null; then
    echo "ann-compare.sh: $name: not measured by ann-compare in this run; skipping vs-query timing" >&2
    continue
  fi
  ef=$(jq -r --arg n "$name" '.datasets[] | select(.name == $n) | .["vs_ef_for_recall_0.95"] // empty' \
    "$results_dir/ann-compare.json")
  if [[ -z $ef ]]; then
    echo "ann-compare.sh: $name: vs never reached recall@10 0.95; skipping vs-query timing" >&2
    continue
  fi
  in_process=$(jq -r --arg n "$name" --argjson ef "$ef" \
    '.datasets[] | select(.name == $n) | .vs.sweep[] | select(.ef == $ef) | .qps | floor' "$results_dir/ann-compare.json")

  index=$work/index-$metric
  start=$(now)
  "$bin/vs-ingest" --quiet --metric "$metric" "$work/base.jsonl" | "$bin/vs-build" --quiet -o "$index" --shards 1
  build_s=$(elapsed "$start" "$(now)")

  one_s=$(time_query 1 "$ef" "$index")
  all_s=$(time_query 0 "$ef" "$index")
  one_qps=$(per_second "$queries" "$one_s")
  all_qps=$(per_second "$queries" "$all_s")
  echo "| $name | $ef | $build_s | $one_s | $one_qps | $all_qps | $in_process |" >>"$md"
  json_rows+=("$(jq -nc --arg name "$name" --argjson ef "$ef" --argjson build_s "$build_s" \
    --argjson qps_1 "$one_qps" --argjson qps_all "$all_qps" --argjson threads "$(nproc)" \
    --argjson in_process "$in_process" \
    '{name: $name, ef: $ef, build_s: $build_s, qps_1_thread: $qps_1, qps_all_threads: $qps_all,
      threads: $threads, in_process_qps: $in_process}')")
done

printf '%s\n' "${json_rows[@]}" | jq -s '{queries_per_run: '"$queries"', datasets: .}' >"$results_dir/vs-query.json"
echo
cat "$md"
