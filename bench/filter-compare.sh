#!/usr/bin/env bash
# Reruns the filtered-search comparison (vs against hnswlib's filter functor)
# on Fashion-MNIST from scratch: installs the benchmark dependencies, builds
# Release into ${VS_BUILD_DIR:-build} and runs bench/filter-compare
# (bench/filter_compare.cc says what it measures).
#
#   bench/filter-compare.sh [--smoke] [filter-compare flags...]
#
# Results: ${VS_RESULTS_DIR:-bench/results}/filter-compare.{md,json}
# (filter-compare-smoke.* for --smoke). The exact filtered ground truth is
# cached in ${VS_BENCH_CACHE:-bench/.cache}.
set -euo pipefail
cd "$(dirname "$0")/.."

build_dir=${VS_BUILD_DIR:-build}
results_dir=${VS_RESULTS_DIR:-bench/results}
cache_dir=${VS_BENCH_CACHE:-bench/.cache}
bin=$build_dir/bin

scripts/setup.sh --bench
VS_BUILD_DIR=$build_dir scripts/build.sh >&2
if [[ ! -x $bin/filter-compare ]]; then
  echo "filter-compare.sh: $bin/filter-compare was not built (is libhnswlib-dev installed? scripts/setup.sh --bench)" >&2
  exit 1
fi
exec "$bin/filter-compare" --cache-dir "$cache_dir" --results-dir "$results_dir" "$@"
