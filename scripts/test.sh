#!/usr/bin/env bash
# Installs what is missing, builds vs, and runs every unit and bats test; then
# the same suites under sanitizers (scripts/test-sanitizers.sh) and each fuzz
# target for VS_FUZZ_SECONDS (default 30; scripts/fuzz.sh). VS_QUICK=1 stops
# after the normal suite.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh --bench
scripts/build.sh
build_dir=${VS_BUILD_DIR:-build}
ctest --test-dir "$build_dir" --output-on-failure -j "$(nproc)"
if [[ "${VS_QUICK:-0}" == 1 ]]; then
  exit 0
fi
scripts/test-sanitizers.sh
scripts/fuzz.sh "${VS_FUZZ_SECONDS:-30}"
