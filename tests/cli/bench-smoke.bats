#!/usr/bin/env bats
# The ANN comparison harness (bench/ann_compare.cc) in --smoke mode: it must
# build and run, compare both libraries on both data sets, and pass its own
# recall check. hnswlib missing is a failure, not a skip: CI installs it
# (scripts/setup.sh --bench), and a benchmark nobody can run is a bug.

load helpers

setup() {
  cd "$BATS_TEST_TMPDIR"
}

require_harness() {
  if [[ ! -x $VS_BIN/ann-compare ]]; then
    fail "$VS_BIN/ann-compare was not built: install hnswlib (scripts/setup.sh --bench) and rebuild"
  fi
}

@test "ann-compare --smoke compares vs with hnswlib on both data sets and exits 0" {
  require_harness
  run "$VS_BIN/ann-compare" --smoke --cache-dir cache --results-dir results
  assert_success
  assert_output --partial "| data set | measure | vs | hnswlib | vs / hnswlib |"
  assert_output --partial "| fmnist-784-euclidean | build s"
  assert_output --partial "| fmnist-784-angular | build s"
  assert_output --partial "QPS at recall@10 0.95"
  assert_output --partial "hnswlib recall@10"
  [ -s results/ann-compare-smoke.md ]
  run jq -e '(.datasets | length) == 2 and all(.datasets[]; .vs.ran and .hnswlib.ran
             and .vs.sweep[-1].recall >= 0.9 and .hnswlib.sweep[-1].recall >= 0.9)' results/ann-compare-smoke.json
  assert_success
}

@test "ann-compare --smoke reuses its cached data set" {
  require_harness
  "$VS_BIN/ann-compare" --smoke --dataset fmnist-784-angular --only vs --cache-dir cache --results-dir '' 2>/dev/null
  run "$VS_BIN/ann-compare" --smoke --dataset fmnist-784-angular --only vs --cache-dir cache --results-dir ''
  assert_success
  refute_output --partial "computing exact top-100"
  [ ! -e results ]
}

@test "ann-compare rejects an unknown data set with exit status 2" {
  require_harness
  run "$VS_BIN/ann-compare" --smoke --dataset sift-128
  assert_failure 2
}
