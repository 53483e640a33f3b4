#!/usr/bin/env bats
# vs-query against remote shards that misbehave: tests/tools/fault_server
# stands in front of a real vs-serve (shard 1 of the index) and answers
# GET /info truly, but POST /search never, with garbage, slowly, cut short or
# stalled (with --fault-info it faults /info too). Each fault must end the run
# within the timeout with an error naming the shard (exit 1), or with
# --partial give the other shards' hits marked partial and exit 3. Every
# process started here is killed in teardown and every wait is bounded.

# shellcheck disable=SC2154  # $stderr is set by bats' `run --separate-stderr`
load helpers
bats_require_minimum_version 1.5.0

# 2000 clustered 16-d documents, l2, three shards; the first 20 documents are
# the queries (one batch). ALONE is what shard 0 answers by itself (the hits
# a partial result must hold); BOTH is what shards 0 and 1 answer together.
setup_file() {
  local dir="$BATS_FILE_TMPDIR"
  gen_docs 2000 16 7 >"$dir/docs.jsonl"
  "$VS_BIN/vs-ingest" --metric l2 "$dir/docs.jsonl" | "$VS_BIN/vs-build" -q --shards 3 -o "$dir/idx"
  head -20 "$dir/docs.jsonl" | docs_as_queries /dev/stdin >"$dir/queries.jsonl"
  local shards=("$dir"/idx/*.vsi)
  "$VS_BIN/vs-query" -i "$dir/queries.jsonl" "${shards[0]}" >"$dir/alone.jsonl"
  "$VS_BIN/vs-query" -i "$dir/queries.jsonl" "${shards[0]}" "${shards[1]}" >"$dir/both.jsonl"
}

# Every test: a vs-serve for shard 0 (a healthy remote shard to go alongside)
# and one for shard 1 (the upstream the fault server relays to).
setup() {
  QUERIES="$BATS_FILE_TMPDIR/queries.jsonl"
  ALONE="$BATS_FILE_TMPDIR/alone.jsonl"
  BOTH="$BATS_FILE_TMPDIR/both.jsonl"
  SHARDS=("$BATS_FILE_TMPDIR"/idx/*.vsi)
  PIDS=()
  start_process serve0 "$VS_BIN/vs-serve" --listen 127.0.0.1:0 "${SHARDS[0]}"
  GOOD_URL=$URL
  start_process serve1 "$VS_BIN/vs-serve" --listen 127.0.0.1:0 "${SHARDS[1]}"
  UPSTREAM=${URL#http://}
}

teardown() { kill_started; }

# start_process NAME PROGRAM ARGS...: start_listener (helpers.bash); sets URL and LOG.
start_process() { start_listener "$@"; }

# start_fault MODE [ARGS...]: a fault server relaying to shard 1's vs-serve;
# sets FAULT_URL and FAULT_LOG.
start_fault() {
  start_process fault "$VS_TEST_TOOLS/fault_server" "$@" --upstream "$UPSTREAM"
  FAULT_URL=$URL
  FAULT_LOG=$LOG
}

# vsq ARGS...: vs-query with a 60 s bound (a hang fails the test, not the
# suite); ELAPSED_MS is how long it ran. Use with `run --separate-stderr`.
vsq() {
  local start status
  start=$(now_ms)
  timeout 60 "$VS_BIN/vs-query" "$@" && status=0 || status=$?
  echo "$(($(now_ms) - start))" >"$BATS_TEST_TMPDIR/elapsed"
  return "$status"
}
elapsed_ms() { cat "$BATS_TEST_TMPDIR/elapsed"; }

# within_ms LIMIT: the last vsq took less than LIMIT ms.
within_ms() {
  local took
  took=$(elapsed_ms)
  ((took < $1)) || fail "vs-query took $took ms, more than $1"
}

# The fault was really met: the fault server logged a faulted request.
fault_met() {
  grep -q "fault_server: $1" "$FAULT_LOG" || fail "the fault server saw no '$1': $(cat "$FAULT_LOG")"
}

# expect_fails_naming REASON TIMEOUT_MS: the last run failed with exit 1 within
# TIMEOUT_MS + 5 s, its message naming the fault server and REASON.
expect_fails_naming() {
  assert_failure 1
  [[ "$stderr" == *"shard '$FAULT_URL': "*"$1"* ]] || fail "unexpected message: $stderr"
  [ -z "$output" ] || fail "wrote results: $output"
  within_ms $(($2 + 5000))
}

# expect_partial REASON TIMEOUT_MS: the last run (--partial, shard 0 beside the
# fault server) wrote all 20 results within TIMEOUT_MS + 5 s, each marked
# partial and naming the fault server and REASON, with exactly shard 0's hits,
# and exited 3.
expect_partial() {
  assert_failure 3
  [ "$(echo "$output" | wc -l)" -eq 20 ]
  [ "$(echo "$output" | jq -c '[.partial, .shards.total, .shards.successful, .shards.failed]' | sort -u)" = \
    "[true,2,1,1]" ]
  [ "$(echo "$output" | jq -r '.shards.failures[0].shard' | sort -u)" = "$FAULT_URL" ]
  [[ "$(echo "$output" | jq -r '.shards.failures[0].reason' | sort -u)" == *"$1"* ]] ||
    fail "unexpected reason: $(echo "$output" | jq -r '.shards.failures[0].reason' | sort -u)"
  diff <(echo "$output" | jq -c '{id, hits}') "$ALONE"
  [[ "$stderr" == *"20 results are partial"* ]] || fail "unexpected message: $stderr"
  within_ms $(($2 + 5000))
}

# check_search_fault REASON: the three runs every /search fault must pass:
# alone (exit 1 naming it), --partial beside a local shard and --partial
# beside a healthy vs-serve (exit 3), each with a 1 s timeout.
check_search_fault() {
  run --separate-stderr vsq --timeout-ms 1000 -i "$QUERIES" "$FAULT_URL"
  expect_fails_naming "$1" 1000
  run --separate-stderr vsq --partial --timeout-ms 1000 -i "$QUERIES" "${SHARDS[0]}" "$FAULT_URL"
  expect_partial "$1" 1000
  run --separate-stderr vsq --partial --timeout-ms 1000 -i "$QUERIES" "$GOOD_URL" "$FAULT_URL"
  expect_partial "$1" 1000
}

@test "the fault server relays faithfully when it does not fault (the baseline)" {
  start_fault slow --delay-ms 0
  run --separate-stderr vsq -i "$QUERIES" "${SHARDS[0]}" "$FAULT_URL"
  assert_success
  diff <(echo "$output") "$BOTH"
  fault_met "POST /search: slow"
}

@test "a shard that accepts and never answers: fails within the timeout naming it; --partial exits 3" {
  start_fault never
  check_search_fault "timed out after 1000 ms"
  fault_met "POST /search: never"
}

@test "a shard that answers 200 with malformed JSON: fails naming it; --partial exits 3" {
  start_fault malformed
  check_search_fault "the answer has no 'results' array"
  fault_met "POST /search: malformed"
}

@test "a shard slower than the timeout fails naming it; within the timeout it answers exactly" {
  start_fault slow --delay-ms 3000
  check_search_fault "timed out after 1000 ms"
  # The same delay under a longer timeout: a complete, exact answer.
  kill -KILL "${PIDS[-1]}"
  start_fault slow --delay-ms 1500
  run --separate-stderr vsq --timeout-ms 6000 -i "$QUERIES" "${SHARDS[0]}" "$FAULT_URL"
  assert_success
  diff <(echo "$output") "$BOTH"
  (($(elapsed_ms) >= 1500)) || fail "answered in $(elapsed_ms) ms: the delay was not met"
  within_ms 6000
}

@test "a shard that sends the headers and part of the body, then closes: fails naming it; --partial exits 3" {
  start_fault cut
  check_search_fault "transfer closed with"
  fault_met "POST /search: cut"
  # Retried once on a fresh connection (as a reset connection is), no more:
  # three runs of one batch each make at most six attempts.
  (($(grep -c 'POST /search: cut' "$FAULT_LOG") <= 6)) || fail "retried too often: $(cat "$FAULT_LOG")"
}

@test "a shard that sends the headers and part of the body, then stalls: times out naming it; --partial: 3" {
  start_fault stall
  check_search_fault "timed out after 1000 ms"
  fault_met "POST /search: stall"
}

@test "a shard that hangs from its first request (/info): exit 1 naming it; --partial beside vs-serve: 3" {
  start_fault never --fault-info
  run --separate-stderr vsq --timeout-ms 1000 -i "$QUERIES" "$FAULT_URL"
  expect_fails_naming "timed out after 1000 ms" 1000
  fault_met "GET /info: never"
  # Beside a healthy vs-serve: partial (each batch tries the shard again).
  run --separate-stderr vsq --partial --timeout-ms 1000 -i "$QUERIES" "$GOOD_URL" "$FAULT_URL"
  expect_partial "timed out after 1000 ms" 2000
  # Beside only local shards no remote shard tells the dimension at the start,
  # which --partial needs (man vs-query): exit 1, naming the shard and why.
  run --separate-stderr vsq --partial --timeout-ms 1000 -i "$QUERIES" "${SHARDS[0]}" "$FAULT_URL"
  expect_fails_naming "timed out after 1000 ms" 1000
  [[ "$stderr" == *"no remote shard answered"* ]] || fail "unexpected message: $stderr"
}

@test "a shard that answers /info with garbage is not a vs-serve: exit 65 naming it, even with --partial" {
  start_fault malformed --fault-info
  run --separate-stderr vsq --timeout-ms 1000 -i "$QUERIES" "$FAULT_URL"
  assert_failure 65
  [[ "$stderr" == *"shard '$FAULT_URL': /info is not a vs-serve index description"* ]] ||
    fail "unexpected message: $stderr"
  run --separate-stderr vsq --partial --timeout-ms 1000 -i "$QUERIES" "$GOOD_URL" "$FAULT_URL"
  assert_failure 65
  [[ "$stderr" == *"shard '$FAULT_URL'"* ]] || fail "unexpected message: $stderr"
  [ -z "$output" ]
}

@test "a shard cut short at /info: exit 1 naming it; --partial beside vs-serve exits 3" {
  start_fault cut --fault-info
  run --separate-stderr vsq --timeout-ms 1000 -i "$QUERIES" "$FAULT_URL"
  expect_fails_naming "transfer closed with" 1000
  run --separate-stderr vsq --partial --timeout-ms 1000 -i "$QUERIES" "$GOOD_URL" "$FAULT_URL"
  expect_partial "transfer closed with" 1000
}
