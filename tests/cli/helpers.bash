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
