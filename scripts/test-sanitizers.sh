#!/usr/bin/env bash
# The test suite again under sanitizers (docs/RELIABILITY.md):
#   1. AddressSanitizer + UndefinedBehaviorSanitizer (-DVS_SANITIZE=ON) into
#      ${VS_ASAN_BUILD_DIR:-build-asan}: every unit test, every fuzz replay and
#      every bats suite except bench-smoke (benchmarks are not built there) and
#      back-pressure (it measures RSS, which here would measure ASan).
#   2. ThreadSanitizer (-DVS_TSAN=ON) into ${VS_TSAN_BUILD_DIR:-build-tsan}:
#      every unit test, among them the parallel HNSW build, the ingest and
#      query pipelines, concurrent searches and the HTTP server
#      (VS_TSAN_TESTS overrides the ctest regex). In this build
#      lib/util/parallel.h runs on std::threads instead of oneTBB, whose
#      Debian build is not instrumented (docs/RELIABILITY.md).
#      VS_SKIP_TSAN=1 skips this part.
# Any sanitizer report fails the run: they abort with exit status 86, which
# no tool and no test expects.
set -euo pipefail
cd "$(dirname "$0")/.."
jobs=${VS_JOBS:-$(nproc)}
type=${VS_SANITIZE_BUILD_TYPE:-RelWithDebInfo}

export ASAN_OPTIONS=${ASAN_OPTIONS:-abort_on_error=0:exitcode=86:detect_leaks=1:strict_string_checks=1:detect_stack_use_after_return=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-halt_on_error=1:exitcode=86:print_stacktrace=1}
export TSAN_OPTIONS=${TSAN_OPTIONS:-halt_on_error=1:exitcode=86:second_deadlock_stack=1}

asan_dir=${VS_ASAN_BUILD_DIR:-build-asan}
echo "sanitizers: ASan+UBSan build in $asan_dir" >&2
cmake -S . -B "$asan_dir" -G Ninja -DCMAKE_BUILD_TYPE="$type" -DVS_SANITIZE=ON -DVS_BUILD_BENCH=OFF >/dev/null
cmake --build "$asan_dir" -j "$jobs" >/dev/null
ctest --test-dir "$asan_dir" --output-on-failure -j "$jobs" -E '^cli\.(bench-smoke|back-pressure)$'

if [[ "${VS_SKIP_TSAN:-0}" == 1 ]]; then
  exit 0
fi
tsan_dir=${VS_TSAN_BUILD_DIR:-build-tsan}
echo "sanitizers: TSan build in $tsan_dir" >&2
cmake -S . -B "$tsan_dir" -G Ninja -DCMAKE_BUILD_TYPE="$type" -DVS_TSAN=ON -DVS_BUILD_BENCH=OFF >/dev/null
cmake --build "$tsan_dir" -j "$jobs" --target vs_unit_tests >/dev/null
ctest --test-dir "$tsan_dir" --output-on-failure -j "$jobs" -R "${VS_TSAN_TESTS:-^[A-Z]}"
