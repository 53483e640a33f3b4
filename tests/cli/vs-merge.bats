#!/usr/bin/env bats
# vs-merge: per-shard result streams into one global top-k per query.

load helpers

# Per-shard results from a real two-shard index, and the answer over both.
setup_file() {
  local dir="$BATS_FILE_TMPDIR"
  gen_docs 1000 8 3 >"$dir/docs.jsonl"
  "$VS_BIN/vs-ingest" --metric l2 "$dir/docs.jsonl" | "$VS_BIN/vs-build" -q --shards 2 -o "$dir/idx"
  head -40 "$dir/docs.jsonl" >"$dir/first40.jsonl"
  docs_as_queries "$dir/first40.jsonl" >"$dir/queries.jsonl"
  local shards=("$dir"/idx/*.vsi)
  "$VS_BIN/vs-query" --exact -k 10 -i "$dir/queries.jsonl" "${shards[0]}" >"$dir/r0.jsonl"
  "$VS_BIN/vs-query" --exact -k 10 -i "$dir/queries.jsonl" "${shards[1]}" >"$dir/r1.jsonl"
  "$VS_BIN/vs-query" --exact -k 10 -i "$dir/queries.jsonl" "$dir/idx" >"$dir/all.jsonl"
}

setup() {
  R0="$BATS_FILE_TMPDIR/r0.jsonl"
  R1="$BATS_FILE_TMPDIR/r1.jsonl"
  ALL="$BATS_FILE_TMPDIR/all.jsonl"
}

@test "merging per-shard results equals searching all shards at once" {
  run "$VS_BIN/vs-merge" -k 10 "$R0" "$R1"
  assert_success
  [ "$(wc -l <<<"$output")" -eq 40 ]
  diff <(echo "$output") "$ALL"
}

@test "stdin counts as one input" {
  run bash -c "'$VS_BIN/vs-merge' -k 10 - '$R1' <'$R0'"
  assert_success
  diff <(echo "$output") "$ALL"
}

@test "-k keeps that many hits per query" {
  run "$VS_BIN/vs-merge" -k 3 "$R0" "$R1"
  assert_success
  [ "$(head -1 <<<"$output" | grep -o '"score"' | wc -l)" -eq 3 ]
  # The first three hits of the full answer, in the same order.
  local query first3
  query=$(head -1 "$ALL" | sed -E 's/"hits":.*//')
  first3=$(head -1 "$ALL" | grep -oE '\{"id":"[^"]*","score":[^}]*\}' | head -3 | paste -sd,)
  assert_line --index 0 "$query\"hits\":[$first3]}"
}

@test "duplicate document ids are kept once, with the best score" {
  printf '%s\n' '{"id":"q","hits":[{"id":"a","score":0.5},{"id":"b","score":0.4}]}' >"$BATS_TEST_TMPDIR/x"
  printf '%s\n' '{"id":"q","hits":[{"id":"b","score":0.9},{"id":"a","score":0.1}]}' >"$BATS_TEST_TMPDIR/y"
  run "$VS_BIN/vs-merge" "$BATS_TEST_TMPDIR/x" "$BATS_TEST_TMPDIR/y" "$BATS_TEST_TMPDIR/x"
  assert_success
  assert_output '{"id":"q","hits":[{"id":"b","score":0.9},{"id":"a","score":0.5}]}'
}

@test "inputs in different query orders are merged by query id" {
  tac "$R1" >"$BATS_TEST_TMPDIR/r1-reversed"
  run "$VS_BIN/vs-merge" -k 10 "$R0" "$BATS_TEST_TMPDIR/r1-reversed"
  assert_success
  [ "$(wc -l <<<"$output")" -eq 40 ]
  diff <(sort <<<"$output") <(sort "$ALL")
}

@test "a malformed line exits 65 naming the file and line" {
  { head -2 "$R0"; echo '{"id":"q","hits":[{"id":"a"}]}'; } >"$BATS_TEST_TMPDIR/bad.jsonl"
  run "$VS_BIN/vs-merge" "$BATS_TEST_TMPDIR/bad.jsonl" "$R1"
  assert_failure 65
  assert_output --partial "bad.jsonl:3: hits[0] has no 'score'"
  run bash -c "echo 'not json' | '$VS_BIN/vs-merge' -"
  assert_failure 65
  assert_output --partial "vs-merge: stdin:1:"
}

@test "usage errors exit 2, a missing file exits 1" {
  run "$VS_BIN/vs-merge" -k 0 "$R0"
  assert_failure 2
  run "$VS_BIN/vs-merge"
  assert_failure 2
  run "$VS_BIN/vs-merge" - -
  assert_failure 2
  run "$VS_BIN/vs-merge" "$BATS_TEST_TMPDIR/missing"
  assert_failure 1
  assert_output --partial "missing"
}

@test "vs-merge | head -1 exits 0 with empty stderr" {
  for _ in $(seq 200); do cat "$R0"; done >"$BATS_TEST_TMPDIR/big"
  run bash -c "'$VS_BIN/vs-merge' '$BATS_TEST_TMPDIR/big' '$BATS_TEST_TMPDIR/big' 2>'$BATS_TEST_TMPDIR/err' | head -1; echo \"status=\${PIPESTATUS[0]}\""
  assert_success
  assert_line --index 1 "status=0"
  [ ! -s "$BATS_TEST_TMPDIR/err" ]
}
