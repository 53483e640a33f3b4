#!/usr/bin/env bash
# vs-serve under wrk: throughput and p50/p99 latency of POST /search (one
# Fashion-MNIST test image per request, k=10, ef=64) at 64 and 256 keep-alive
# connections, as a ratio to vs-query's in-process throughput on the same
# queries and index measured in the same run. Prints a Markdown table and
# writes it to bench/results/serve-bench.md.
#
# The index is the demo's (scripts/demo.sh): the 60,000 training images
# through vs-ingest | vs-build, 4 shards, l2, kept in bench/.cache/serve-index;
# the 10,000 test images are the queries. The JSONL files are the demo's,
# reused from ${VS_DEMO_DIR:-demo-data} when present.
#
# wrk runs on the same machine with one thread: on a 2-core box it takes CPU
# from the server, so the ratio is a lower bound for a separate client host.
# VS_BENCH_SECONDS sets the length of each wrk run (default 20).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
bin=${VS_BUILD_DIR:-build}/bin
[[ -x "$bin/vs-serve" ]] || scripts/build.sh >/dev/null
data=${VS_DEMO_DIR:-demo-data}
seconds=${VS_BENCH_SECONDS:-20}
index=bench/.cache/serve-index
mkdir -p "$data" bench/results bench/.cache
work=$(mktemp -d)
server_pid=
cleanup() {
  if [[ -n "$server_pid" ]]; then kill -KILL "$server_pid" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

if [[ ! -s "$data/base.jsonl" || ! -s "$data/queries.jsonl" ]]; then
  echo "serve-bench: converting Fashion-MNIST to JSONL" >&2
  "$bin/fmnist-jsonl" train >"$data/base.jsonl.part" && mv "$data/base.jsonl.part" "$data/base.jsonl"
  "$bin/fmnist-jsonl" test >"$data/queries.jsonl.part" && mv "$data/queries.jsonl.part" "$data/queries.jsonl"
fi
if [[ ! -s "$index/manifest.json" ]]; then
  echo "serve-bench: building the 4-shard index" >&2
  "$bin/vs-ingest" --metric l2 "$data/base.jsonl" | "$bin/vs-build" -q -o "$index" --shards 4
fi
queries=$(wc -l <"$data/queries.jsonl")

# vs-query's queries/s over the whole query file, process start included.
now() { date +%s.%N; }
inprocess() {
  local t0 t1
  t0=$(now)
  "$bin/vs-query" -k 10 --ef 64 "$index" <"$data/queries.jsonl" >/dev/null
  t1=$(now)
  awk -v n="$queries" -v a="$t0" -v b="$t1" 'BEGIN { printf "%.0f", n / (b - a) }'
}
# Best of a run before and a run after the wrk runs: on a shared machine the
# load changes over a minute, and the best is the least disturbed.
"$bin/vs-query" -k 10 "$index" <"$data/queries.jsonl" >/dev/null  # warms the page cache
inprocess_before=$(inprocess)

"$bin/vs-serve" --listen 127.0.0.1:0 -k 10 --ef 64 "$index" 2>"$work/serve.log" &
server_pid=$!
for _ in $(seq 100); do grep -q 'listening on' "$work/serve.log" && break; sleep 0.1; done
port=$(sed -n 's/^vs-serve: listening on 127\.0\.0\.1:\([0-9]*\)$/\1/p' "$work/serve.log")
[[ -n "$port" ]] || { cat "$work/serve.log" >&2; exit 1; }

# Each wrk connection walks the query file, one query per request; done()
# prints one tab-separated line: requests/s, p50 ms, p99 ms, non-2xx, errors.
cat >"$work/post.lua" <<'LUA'
local bodies = {}
local next_body = 1
function init(args)
  for line in io.lines(args[1]) do bodies[#bodies + 1] = line end
  next_body = math.random(#bodies)
end
function request()
  local body = bodies[next_body]
  next_body = next_body % #bodies + 1
  return wrk.format("POST", "/search", {["Content-Type"] = "application/json"}, body)
end
function done(summary, latency, requests)
  local errors = summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout
  io.write(string.format("RESULT\t%.0f\t%.2f\t%.2f\t%d\t%d\n", summary.requests / (summary.duration / 1e6),
    latency:percentile(50) / 1000, latency:percentile(99) / 1000, summary.errors.status, errors))
end
LUA

# Warm the page cache and the server's pooled scratch before measuring.
wrk -t1 -c8 -d3s -s "$work/post.lua" "http://127.0.0.1:$port" -- "$data/queries.jsonl" >/dev/null

rows=()
for connections in 64 256; do
  line=$(wrk -t1 -c"$connections" -d"${seconds}s" --timeout 10s -s "$work/post.lua" \
    "http://127.0.0.1:$port" -- "$data/queries.jsonl" | grep '^RESULT')
  IFS=$'\t' read -r _ rps p50 p99 non2xx errors <<<"$line"
  rows+=("$connections $rps $p50 $p99 $non2xx $errors")
done
kill -TERM "$server_pid"
wait "$server_pid"
server_pid=
inprocess_after=$(inprocess)
inprocess_qps=$((inprocess_before > inprocess_after ? inprocess_before : inprocess_after))

table="| connections | vs-serve req/s | p50 ms | p99 ms | non-2xx | socket errors | ratio to vs-query in-process ($inprocess_qps q/s) |
|---|---|---|---|---|---|---|"
for row in "${rows[@]}"; do
  read -r connections rps p50 p99 non2xx errors <<<"$row"
  ratio=$(awk -v a="$rps" -v b="$inprocess_qps" 'BEGIN { printf "%.2f", a / b }')
  table+=$'\n'"| $connections | $rps | $p50 | $p99 | $non2xx | $errors | $ratio |"
done

{
  echo "vs-serve on $(nproc) cores (load average $(cut -d' ' -f1 /proc/loadavg) at the end), Fashion-MNIST 60,000 × 784 (4 shards, l2), k=10, ef=64, ${seconds} s per row, wrk -t1 on the same host"
  echo
  echo "$table"
} | tee bench/results/serve-bench.md
