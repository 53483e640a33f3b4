#!/usr/bin/env bats
# The benchmark harnesses against hnswlib in --smoke mode. ann-compare
# (bench/ann_compare.cc) must build and run, compare vs, vs-sq8 and hnswlib on
# both data sets, and pass its own recall check; filter-compare
# (bench/filter_compare.cc) must compare vs's filtered search with hnswlib's
# filter functor at every selectivity, with no result outside its filter.
# hnswlib missing is a failure, not a skip: CI installs it (scripts/setup.sh
# --bench), and a benchmark nobody can run is a bug.

load helpers

setup() {
  cd "$BATS_TEST_TMPDIR"
}

require_harness() {
  if [[ ! -x $VS_BIN/ann-compare ]]; then
    fail "$VS_BIN/ann-compare was not built: install hnswlib (scripts/setup.sh --bench) and rebuild"
  fi
}

require_filter_harness() {
  if [[ ! -x $VS_BIN/filter-compare ]]; then
    fail "$VS_BIN/filter-compare was not built: install hnswlib (scripts/setup.sh --bench) and rebuild"
  fi
}

@test "ann-compare --smoke compares vs and vs-sq8 with hnswlib on both data sets and exits 0" {
  require_harness
  run "$VS_BIN/ann-compare" --smoke --cache-dir cache --results-dir results
  assert_success
  assert_output --partial "| data set | measure | vs | hnswlib | vs / hnswlib | vs-sq8 | vs-sq8 / hnswlib |"
  assert_output --partial "| fmnist-784-euclidean | build s"
  assert_output --partial "| fmnist-784-angular | build s"
  assert_output --partial "QPS at recall@10 0.95"
  assert_output --partial "hnswlib recall@10"
  assert_output --partial "vs-sq8 recall@10 | vs-sq8 QPS |"
  # The build-s row has a number in every column, vs-sq8 and its ratio included.
  assert_output --regexp '\| fmnist-784-euclidean \| build s \(lower is better\)( \| [0-9.]+){5} \|'
  [ -s results/ann-compare-smoke.md ]
  run jq -e '(.datasets | length) == 2 and all(.datasets[]; .vs.ran and .vs_sq8.ran and .hnswlib.ran
             and .vs.sweep[-1].recall >= 0.9 and .vs_sq8.sweep[-1].recall >= 0.9
             and .hnswlib.sweep[-1].recall >= 0.9
             and .ratios_vs_sq8_over_hnswlib["qps@0.90"] != null)' results/ann-compare-smoke.json
  assert_success
}

@test "ann-compare --only vs-sq8 runs that row alone" {
  require_harness
  run "$VS_BIN/ann-compare" --smoke --dataset fmnist-784-angular --only vs-sq8 --cache-dir cache --results-dir results
  assert_success
  assert_output --partial "fmnist-784-angular vs-sq8 ef=128"
  run jq -e '.datasets[0] | .vs_sq8.ran and (.vs.ran | not) and (.hnswlib.ran | not)' results/ann-compare-smoke.json
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

@test "filter-compare --smoke compares filtered search with hnswlib's filter functor at every selectivity" {
  require_filter_harness
  run "$VS_BIN/filter-compare" --smoke --cache-dir cache --results-dir results
  assert_success
  assert_output --partial "| filter | docs allowed | vs QPS at recall@10 0.95 | hnswlib QPS at 0.95 | vs / hnswlib |"
  assert_output --partial "| category = a random class | "
  assert_output --partial "| n in [x, x+30) | 30 (1%) | "
  assert_output --partial "| n < 1500 | 1500 (50%) | "
  assert_output --partial "| none (unfiltered) | 3000 (100%) | "
  assert_output --partial "Targets: recall@10 ≥ 0.95 at every selectivity:"
  assert_output --partial "hnswlib's allowed bitmap is precomputed per query outside the timed region"
  [ -s results/filter-compare-smoke.md ]
  # Both libraries searched every filter; vs's plan is tallied for every
  # filtered query, and its exact plan finds the exact filtered top-10.
  run jq -e '(.filters | length) == 4 and .query_count == 200
             and all(.filters[]; .vs.ran and .hnswlib.ran
                     and .vs.sweep[-1].recall >= 0.9 and .hnswlib.sweep[-1].recall >= 0.9)
             and all(.filters[] | select(.name != "none");
                     .vs_precomputed.ran and .vs_exact_plan.recall >= 0.999
                     and all(.vs.sweep[]; .plans.exact + .plans.graph == 200))' results/filter-compare-smoke.json
  assert_success
}

@test "filter-compare --smoke reuses its cached ground truth" {
  require_filter_harness
  "$VS_BIN/filter-compare" --smoke --ef 16 --cache-dir cache --results-dir '' 2>/dev/null
  run "$VS_BIN/filter-compare" --smoke --ef 16 --cache-dir cache --results-dir ''
  assert_success
  refute_output --partial "computing the exact filtered"
  [ ! -e results ]
}

@test "filter-compare rejects a bad flag with exit status 2" {
  require_filter_harness
  run "$VS_BIN/filter-compare" --smoke --queries 0
  assert_failure 2
}
