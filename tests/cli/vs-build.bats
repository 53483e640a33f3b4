#!/usr/bin/env bats
# vs-build through the real binary: building, rebuilding atomically, bad input.

load helpers

setup() {
  cd "$BATS_TEST_TMPDIR"
  gen_docs 600 8 1 >docs.jsonl
}

shard_files() { find "$1" -name 'shard-*.vsi' | sort; }

@test "builds an index from JSONL with the requested shards and a manifest" {
  run "$VS_BIN/vs-build" -o idx --shards 3 --metric l2 docs.jsonl
  assert_success
  assert_output --partial "600 records"
  assert_output --partial "3 shards"
  [ "$(shard_files idx | wc -l)" -eq 3 ]
  run jq -r '.count, .dim, .metric, .generation, (.shards | length), ([.shards[].count] | add)' idx/manifest.json
  assert_output $'600\n8\nl2\n1\n3\n600'
}

@test "builds from a record stream on stdin" {
  "$VS_BIN/vs-ingest" --metric ip docs.jsonl >docs.vsr
  run "$VS_BIN/vs-build" -q -o idx - <docs.vsr
  assert_success
  assert_output ""
  run jq -r '.metric, .count' idx/manifest.json
  assert_output $'ip\n600'
}

@test "a rebuild is a new generation and removes the old files and stale temporaries" {
  "$VS_BIN/vs-build" -q -o idx --shards 2 docs.jsonl
  old=$(shard_files idx)
  touch idx/shard-0000-g000002.vsi.tmp-999-0
  "$VS_BIN/vs-build" -q -o idx --shards 2 docs.jsonl
  run jq -r .generation idx/manifest.json
  assert_output 2
  for f in $old; do [ ! -e "$f" ] || fail "old shard $f still there"; done
  [ "$(ls idx | wc -l)" -eq 3 ]
  run ls idx
  refute_output --partial tmp
}

@test "a failed rebuild leaves the previous generation intact" {
  "$VS_BIN/vs-build" -q -o idx --shards 2 docs.jsonl
  before=$(cat idx/manifest.json; shard_files idx | xargs md5sum)
  { head -300 docs.jsonl; echo '{"id":"bad","vec":[1,2]}'; } >bad.jsonl
  run "$VS_BIN/vs-build" -q -o idx --shards 2 bad.jsonl
  assert_failure 65
  assert_output --partial "bad.jsonl:301:"
  after=$(cat idx/manifest.json; shard_files idx | xargs md5sum)
  assert_equal "$after" "$before"
}

@test "a duplicate id is bad data" {
  { cat docs.jsonl; head -1 docs.jsonl; } >dup.jsonl
  run "$VS_BIN/vs-build" -q -o idx dup.jsonl
  assert_failure 65
  assert_output --partial "duplicate id 'd1'"
  [ ! -e idx/manifest.json ]
}

@test "empty input is bad data" {
  : >empty.jsonl
  run "$VS_BIN/vs-build" -q -o idx empty.jsonl
  assert_failure 65
  assert_output --partial "no records"
}

@test "a truncated record stream is detected and named" {
  "$VS_BIN/vs-ingest" docs.jsonl >docs.vsr
  head -c 5000 docs.vsr >cut.vsr
  run "$VS_BIN/vs-build" -q -o idx cut.vsr
  assert_failure 65
  assert_output --partial "cut.vsr"
  assert_output --partial "truncated"
  [ ! -e idx/manifest.json ]
}

@test "an unreadable existing manifest stops the build" {
  mkdir idx
  echo '{"format": "something else"}' >idx/manifest.json
  run "$VS_BIN/vs-build" -q -o idx docs.jsonl
  assert_failure 65
  assert_output --partial "idx/manifest.json"
}

@test "--skip-invalid writes the rejected lines and keeps going" {
  { head -5 docs.jsonl; echo 'not json'; sed -n 6,10p docs.jsonl; echo '{"id":"x","vec":[1]}'; } >mixed.jsonl
  run "$VS_BIN/vs-build" -o idx --skip-invalid --rejects rejects.txt mixed.jsonl
  assert_success
  assert_output --partial "10 records, 2 rejected"
  run cat rejects.txt
  assert_output $'not json\n{"id":"x","vec":[1]}'
}

@test "usage errors exit 2" {
  run "$VS_BIN/vs-build" docs.jsonl
  assert_failure 2
  run "$VS_BIN/vs-build" -o idx -M 1 docs.jsonl
  assert_failure 2
  run "$VS_BIN/vs-build" -o idx --shards 0 docs.jsonl
  assert_failure 2
  run "$VS_BIN/vs-build" -o idx --metric hamming docs.jsonl
  assert_failure 2
  assert_output --partial "--metric"
}

@test "a missing input file is a runtime failure naming it" {
  run "$VS_BIN/vs-build" -o idx nope.jsonl
  assert_failure 1
  assert_output --partial "nope.jsonl"
}

# locked_by PID DIR: process PID holds its flock on DIR/.lock. Read from
# /proc/locks: trying the lock (flock -n) would hold it for an instant and
# could make the build under test fail.
locked_by() {
  [ -e "$2/.lock" ] || return 1
  grep -qE "^[0-9]+: FLOCK +ADVISORY +WRITE +$1 +[0-9a-f]+:[0-9a-f]+:$(stat -c %i "$2/.lock") " /proc/locks
}

@test "a second build of a directory being built fails at once naming it; the first completes" {
  "$VS_BIN/vs-build" -q -o idx docs.jsonl
  # The first build reads from a fifo, fed half its input: it holds the lock
  # while it waits for the rest.
  mkfifo input
  "$VS_BIN/vs-build" -q -o idx --shards 2 input 3>&- &
  local first=$!
  exec 6>input
  head -300 docs.jsonl >&6
  wait_until 10 locked_by "$first" idx || fail "the first build never locked idx"
  local start
  start=$(now_ms)
  run "$VS_BIN/vs-build" -q -o idx docs.jsonl
  assert_failure 1
  assert_output "vs-build: cannot write 'idx': another vs-build is writing it (it holds 'idx/.lock')"
  (($(now_ms) - start < 5000)) || fail "the second build waited"
  # The first one finishes undisturbed: generation 2, both of its shards.
  tail -n +301 docs.jsonl >&6
  exec 6>&-
  wait "$first"
  run jq -r '.generation, .count, (.shards | length)' idx/manifest.json
  assert_output $'2\n600\n2'
  "$VS_BIN/vs-query" --verify -k 1 --vector "$(printf '0.5%.0s,' {1..7})0.5" idx >/dev/null
  # The lock file is no shard: not in the manifest, not listed by ls, never swept.
  [ -e idx/.lock ]
  # shellcheck disable=SC2012  # ls on purpose: the crash-safety checks list with it
  [ "$(ls idx | wc -l)" -eq 3 ]
  # Once the first is done, the next build goes ahead.
  run "$VS_BIN/vs-build" -q -o idx docs.jsonl
  assert_success
  [ "$(jq -r .generation idx/manifest.json)" = 3 ]
}

@test "a build killed while holding the lock leaves no stale lock" {
  mkfifo input
  "$VS_BIN/vs-build" -q -o idx input 3>&- &
  local first=$!
  exec 6>input
  head -300 docs.jsonl >&6
  wait_until 10 locked_by "$first" idx || fail "the build never locked idx"
  kill -KILL "$first"
  wait "$first" || true
  exec 6>&-
  run "$VS_BIN/vs-build" -q -o idx docs.jsonl
  assert_success
  [ "$(jq -r .generation idx/manifest.json)" = 1 ]
}
