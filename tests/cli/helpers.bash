# Shared set-up for the bats suites: libraries, and generated test data.

load '/usr/lib/bats/bats-support/load'
load '/usr/lib/bats/bats-assert/load'

# gen_docs N DIM SEED: N JSONL documents {"id":"dI","vec":[...],"category":"cC"}
# with vectors around 10 cluster centres, as real embeddings cluster.
gen_docs() {
  awk -v n="$1" -v dim="$2" -v seed="$3" 'BEGIN {
    srand(seed);
    for (c = 0; c < 10; c++) for (d = 0; d < dim; d++) centre[c, d] = rand() * 10 - 5;
    for (i = 1; i <= n; i++) {
      c = int(rand() * 10);
      line = "{\"id\":\"d" i "\",\"vec\":[";
      for (d = 0; d < dim; d++) line = line (d ? "," : "") sprintf("%.5f", centre[c, d] + rand() - 0.5);
      print line "],\"category\":\"c" c "\"}";
    }
  }'
}

# docs_as_queries FILE: turns documents into queries with the same ids and vectors.
docs_as_queries() {
  sed -e 's/"vec":/"vector":/' -e 's/,"category":"[^"]*"//' "$1"
}

# wait_until SECONDS CMD...: polls CMD every 0.1 s; fails after SECONDS.
wait_until() {
  local deadline=$((SECONDS + $1))
  shift
  until "$@"; do
    ((SECONDS < deadline)) || return 1
    sleep 0.1
  done
}

# The test-only programs of tests/tools/ (fault_server, idle_clients): ctest
# sets VS_TEST_TOOLS; run by hand, they are found beside VS_BIN in the build.
VS_TEST_TOOLS=${VS_TEST_TOOLS:-${VS_BIN:-.}/../test-tools}

# now_ms: wall-clock milliseconds, for loose bounds on how long something took.
now_ms() { echo $(($(date +%s%N) / 1000000)); }

# Servers a test starts with start_listener; teardown calls kill_started.
PIDS=()

# start_listener NAME PROGRAM ARGS...: starts a server that prints
# "...: listening on 127.0.0.1:PORT" on stderr (vs-serve, fault_server) and
# waits for that line; appends its pid to PIDS and sets PID, PORT, URL and
# LOG ($BATS_TEST_TMPDIR/NAME.log).
# shellcheck disable=SC2034  # PID, PORT, URL and LOG are read by the suites
start_listener() {
  local name=$1
  shift
  LOG="$BATS_TEST_TMPDIR/$name.log"
  "$@" 2>"$LOG" &
  PID=$!
  PIDS+=("$PID")
  wait_until 10 grep -q 'listening on' "$LOG" || { cat "$LOG" >&3; return 1; }
  PORT=$(sed -n 's/^.*: listening on 127\.0\.0\.1:\([0-9]*\)$/\1/p' "$LOG")
  URL="http://127.0.0.1:$PORT"
}

# start_vs_serve ARGS...: start_listener for vs-serve on a free loopback port
# (log serve-N.log, N counting the servers this test started).
start_vs_serve() {
  start_listener "serve-${#PIDS[@]}" "$VS_BIN/vs-serve" --listen 127.0.0.1:0 "$@"
}

# kill_started: kills and reaps every process in PIDS.
kill_started() {
  local pid
  for pid in "${PIDS[@]}"; do
    kill -KILL "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  done
  PIDS=()
}
