#!/usr/bin/env bash
# Builds the libFuzzer targets (tests/fuzz/, clang, ASan + UBSan) into
# ${VS_FUZZ_BUILD_DIR:-build-fuzz} and runs each for SECONDS (default 30),
# one after another, starting from its committed seed corpus.
#
#   scripts/fuzz.sh [SECONDS] [TARGET...]
#
# New interesting inputs go to ${VS_FUZZ_WORK:-<build dir>/fuzz-work}/<target>/
# (the committed corpus is only read), crash inputs to .../<target>/crashes/.
# A crash fails the run; copy the input to tests/fuzz/regressions/<target>/
# and it replays in every ctest run from then on. See docs/RELIABILITY.md.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-30}
shift || true
build_dir=${VS_FUZZ_BUILD_DIR:-build-fuzz}
work=${VS_FUZZ_WORK:-$build_dir/fuzz-work}
all_targets=(jsonl_parser query_parser record_stream shard_reader manifest result_merge filter)
targets=("$@")
((${#targets[@]} > 0)) || targets=("${all_targets[@]}")

cmake -S . -B "$build_dir" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_CXX_COMPILER=clang++ \
  -DVS_FUZZ=ON -DVS_BUILD_BENCH=OFF >/dev/null
cmake --build "$build_dir" -j "${VS_JOBS:-$(nproc)}" --target vs_fuzz_all >/dev/null

# Shard files from the seed corpus are ~2-3 KiB; leave room to grow.
declare -A max_len=([shard_reader]=16384 [record_stream]=16384)
failed=()
for target in "${targets[@]}"; do
  mkdir -p "$work/$target/crashes"
  log="$work/$target.log"
  echo "fuzz: $target for ${seconds}s" >&2
  if ! "$build_dir/fuzz/vs_fuzz_$target" -max_total_time="$seconds" -max_len="${max_len[$target]:-4096}" \
    -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
    -artifact_prefix="$work/$target/crashes/" \
    "$work/$target" "tests/fuzz/corpus/$target" >"$log" 2>&1; then
    failed+=("$target")
    tail -40 "$log" >&2
  fi
  runs=$(awk '/stat::number_of_executed_units/ { print $2 }' "$log")
  cov=$(grep -Eo 'cov: [0-9]+' "$log" | tail -1)
  echo "fuzz: $target: ${runs:-?} executions, ${cov:-cov: ?}" >&2
done
if ((${#failed[@]} > 0)); then
  echo "fuzz: crashes in ${failed[*]}; inputs in $work/<target>/crashes/" >&2
  exit 1
fi
