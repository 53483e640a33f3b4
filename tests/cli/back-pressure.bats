#!/usr/bin/env bats
# Back-pressure: a slow consumer throttles the pipeline instead of growing
# memory. Each tool reads a large generated stream and writes into a pipe
# that a reader first ignores for 2 s, then drains slowly; the tool's peak
# RSS (GNU time's %M) must stay under a fixed bound well below the size of
# the data, which an implementation that read ahead or buffered its output
# without limit would exceed.
#
# RSS under sanitizers measures the sanitizer, so scripts/test-sanitizers.sh
# leaves this suite out.

load helpers

setup() {
  cd "$BATS_TEST_TMPDIR"
  [[ -x /usr/bin/time ]] || skip "GNU time (/usr/bin/time) is not installed"
}

# fast_docs N DIM FIELD: N lines {"id":"dI","FIELD":[...]} drawn from 16
# vectors, generated far faster than any tool consumes them (a slow
# generator would throttle the pipeline by itself and prove nothing).
fast_docs() {
  awk -v n="$1" -v dim="$2" -v field="$3" 'BEGIN {
    srand(11);
    for (v = 0; v < 16; v++) {
      s = "";
      for (d = 0; d < dim; d++) s = s (d ? "," : "") sprintf("%.4f", rand() - 0.5);
      vec[v] = s;
    }
    for (i = 1; i <= n; i++) print "{\"id\":\"d" i "\",\"" field "\":[" vec[i % 16] "]}";
  }'
}

# Ignores its input for 2 s, then reads 1 MiB at a time with a pause between
# reads; prints the bytes read.
slow_reader() {
  sleep 2
  local total=0 n
  while n=$(dd bs=1M count=1 iflag=fullblock status=none | wc -c) && ((n > 0)); do
    total=$((total + n))
    sleep 0.02
  done
  echo "$total"
}

# The bound: a tool holds a few batches in flight (about 20 MB measured for
# vs-ingest, 9 MB for vs-query), far less than the 100 MB (vs-ingest) or
# 25 MB (vs-query) of input it is given.
@test "vs-ingest into a slow reader stays under a fixed RSS bound (200k docs of dim 64)" {
  local bound_kb=49152
  fast_docs 200000 64 vec |
    /usr/bin/time -o rss.txt -f %M "$VS_BIN/vs-ingest" --metric l2 |
    slow_reader >bytes.txt
  local rss_kb bytes
  rss_kb=$(tail -1 rss.txt)
  bytes=$(cat bytes.txt)
  echo "# vs-ingest: peak RSS ${rss_kb} KB (bound ${bound_kb} KB) for $((bytes / 1048576)) MiB of record stream" >&3
  ((bytes > 50000000)) || fail "only $bytes bytes came through"
  ((rss_kb < bound_kb)) || fail "peak RSS ${rss_kb} KB exceeds ${bound_kb} KB"
}

@test "vs-query over a large query stream into a slow reader stays under a fixed RSS bound (50k queries)" {
  gen_docs 200 64 5 | "$VS_BIN/vs-build" -q --metric l2 -o idx -
  local bound_kb=24576
  fast_docs 50000 64 vector |
    /usr/bin/time -o rss.txt -f %M "$VS_BIN/vs-query" -k 10 idx |
    slow_reader >bytes.txt
  local rss_kb bytes
  rss_kb=$(tail -1 rss.txt)
  bytes=$(cat bytes.txt)
  echo "# vs-query: peak RSS ${rss_kb} KB (bound ${bound_kb} KB) for $((bytes / 1048576)) MiB of results" >&3
  ((bytes > 10000000)) || fail "only $bytes bytes came through"
  ((rss_kb < bound_kb)) || fail "peak RSS ${rss_kb} KB exceeds ${bound_kb} KB"
}
