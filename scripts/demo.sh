#!/usr/bin/env bash
# The main job on a real data set: Fashion-MNIST (Debian's dataset-fashion-mnist)
# through vs-ingest | vs-build into a 4-shard index, then the 10,000 test
# images through vs-query; prints recall@10 against vs-query --exact and
# queries per second, then the same for a filtered search (one class, the
# "category" metadata field: 10% of the documents).
set -euo pipefail
cd "$(dirname "$0")/.."
work=${VS_DEMO_DIR:-demo-data}
mkdir -p "$work"
scripts/setup.sh
echo "demo: building (log in $work/build.log)" >&2
if ! scripts/build.sh >"$work/build.log" 2>&1; then
  tail -n 40 "$work/build.log" >&2
  echo "demo: the build failed" >&2
  exit 1
fi
bin=${VS_BUILD_DIR:-build}/bin

if [[ ! -s "$work/base.jsonl" || ! -s "$work/queries.jsonl" ]]; then
  echo "demo: converting Fashion-MNIST to JSONL" >&2
  "$bin/fmnist-jsonl" train >"$work/base.jsonl.part" && mv "$work/base.jsonl.part" "$work/base.jsonl"
  "$bin/fmnist-jsonl" test >"$work/queries.jsonl.part" && mv "$work/queries.jsonl.part" "$work/queries.jsonl"
fi

now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", b - a }'; }

t0=$(now)
"$bin/vs-ingest" --metric l2 "$work/base.jsonl" | "$bin/vs-build" -o "$work/index" --shards 4
t1=$(now)
"$bin/vs-query" -k 10 "$work/index" <"$work/queries.jsonl" >"$work/results.jsonl"
t2=$(now)
"$bin/vs-query" -k 10 --exact "$work/index" <"$work/queries.jsonl" >"$work/exact.jsonl"
t3=$(now)

filter='{"category": "3"}'
"$bin/vs-query" -k 10 --filter "$filter" --explain "$work/index" <"$work/queries.jsonl" \
  >"$work/filtered.jsonl" 2>"$work/explain.log"
t4=$(now)
"$bin/vs-query" -k 10 --exact --filter "$filter" "$work/index" <"$work/queries.jsonl" >"$work/filtered-exact.jsonl"

# recall@10 of results file $1 against the exact results file $2.
recall_of() {
  jq -n --slurpfile a "$1" --slurpfile e "$2" '
    [range(0; $a | length) as $i
     | ($e[$i].hits | map(.id)) as $truth
     | ($a[$i].hits | map(.id) | map(select(. as $x | $truth | index($x))) | length) / ($truth | length)]
    | add / length'
}
queries=$(wc -l <"$work/queries.jsonl")
recall=$(recall_of "$work/results.jsonl" "$work/exact.jsonl")
filtered_recall=$(recall_of "$work/filtered.jsonl" "$work/filtered-exact.jsonl")
filtered_s=$(elapsed "$t3" "$t4")
plans=$(sed -n 's/.*plan \([a-z]*\).*/\1/p' "$work/explain.log" | sort | uniq -c | awk '{ printf "%s%s %s", sep, $1, $2; sep = ", " }')
query_s=$(elapsed "$t1" "$t2")
printf 'index:      %s (4 shards, %s documents), built in %s s\n' "$work/index" "$(wc -l <"$work/base.jsonl")" "$(elapsed "$t0" "$t1")"
printf 'queries:    %s in %s s = %s queries/s (exact search took %s s)\n' "$queries" "$query_s" \
  "$(awk -v n="$queries" -v s="$query_s" 'BEGIN { printf "%.0f", n / s }')" "$(elapsed "$t2" "$t3")"
printf 'recall@10:  %.4f (against vs-query --exact)\n' "$recall"
printf 'filtered:   %s: %s queries in %s s = %s queries/s, recall@10 %.4f (plans per shard: %s)\n' "$filter" \
  "$queries" "$filtered_s" "$(awk -v n="$queries" -v s="$filtered_s" 'BEGIN { printf "%.0f", n / s }')" \
  "$filtered_recall" "$plans"
