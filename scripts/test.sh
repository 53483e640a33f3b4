#!/usr/bin/env bash
# Installs what is missing, builds vs, and runs every unit and bats test.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh --bench
scripts/build.sh
build_dir=${VS_BUILD_DIR:-build}
ctest --test-dir "$build_dir" --output-on-failure -j "$(nproc)"
