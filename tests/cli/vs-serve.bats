#!/usr/bin/env bats
# vs-serve as a real process on 127.0.0.1 (port 0, the port read from its
# stderr), driven with curl. Every server is killed in teardown and every
# wait is bounded.

load helpers

# 2000 clustered 16-d documents, l2, three shards; the first 50 documents are
# the queries (as in vs-query.bats), also as one batch request body.
setup_file() {
  local dir="$BATS_FILE_TMPDIR"
  gen_docs 2000 16 7 >"$dir/docs.jsonl"
  gen_docs 2100 16 8 >"$dir/docs2.jsonl"
  "$VS_BIN/vs-ingest" --metric l2 "$dir/docs.jsonl" | "$VS_BIN/vs-build" -q --shards 3 -o "$dir/idx"
  head -50 "$dir/docs.jsonl" | docs_as_queries /dev/stdin >"$dir/queries.jsonl"
  jq -cs '{queries: .}' "$dir/queries.jsonl" >"$dir/batch.json"
  head -1 "$dir/queries.jsonl" >"$dir/one.json"
}

setup() {
  IDX="$BATS_FILE_TMPDIR/idx"
  QUERIES="$BATS_FILE_TMPDIR/queries.jsonl"
  ONE="$BATS_FILE_TMPDIR/one.json"
  PIDS=()
}

teardown() { kill_started; }

# start_server ARGS...: starts vs-serve on a free port; sets PID, PORT, URL, LOG.
start_server() { start_vs_serve "$@"; }

# status METHOD PATH [curl args...]: prints the HTTP status code only.
status() {
  local method=$1 path=$2
  shift 2
  curl -s -o /dev/null -w '%{http_code}' --max-time 10 -X "$method" "$@" "$URL$path"
}

# post BODY_FILE: POSTs a file to /search; prints the body.
post() { curl -s --max-time 10 -X POST --data-binary "@$1" "$URL/search"; }

# Waits up to 10 s for process $1 to exit; its status in EXIT_STATUS.
wait_exit() {
  local pid=$1
  wait_until 10 bash -c "! kill -0 $pid 2>/dev/null" || return 1
  wait "$pid" && EXIT_STATUS=0 || EXIT_STATUS=$?
}

# hold_search: opens a raw connection on fd 5 (bats keeps 3 for itself), sends
# the headers and the first 20 bytes of a search body and leaves it pending:
# the request holds an in-flight slot until finish_search sends the rest.
hold_search() {
  HELD_BODY=$(cat "$ONE")
  exec 5<>"/dev/tcp/127.0.0.1/$PORT"
  printf 'POST /search HTTP/1.1\r\nHost: t\r\nConnection: close\r\nContent-Length: %d\r\n\r\n%s' \
    "${#HELD_BODY}" "${HELD_BODY:0:20}" >&5
  wait_until 10 bash -c "curl -s '$URL/metrics' | grep -qx 'vs_serve_inflight_requests 1'"
}
# finish_search: sends the rest of the held body; prints the status line of the answer.
finish_search() {
  printf '%s' "${HELD_BODY:20}" >&5
  timeout 10 head -1 <&5 | tr -d '\r'
  exec 5<&-
}

@test "POST /search answers one query like vs-query" {
  start_server "$IDX"
  run post "$ONE"
  assert_success
  assert_output "$("$VS_BIN/vs-query" -i "$ONE" "$IDX")"
  assert_output --partial '{"id":"d1","hits":[{"id":"d1","score":0}'
}

@test "a batch of 50 queries answers exactly what vs-query writes locally" {
  start_server "$IDX"
  run bash -c "curl -s --max-time 10 -X POST --data-binary @'$BATS_FILE_TMPDIR/batch.json' '$URL/search' | jq -c '.results[]'"
  assert_success
  [ "$(echo "$output" | wc -l)" -eq 50 ]
  diff <(echo "$output") <("$VS_BIN/vs-query" -i "$QUERIES" "$IDX"/*.vsi)
}

@test "GET /healthz, /info and /metrics" {
  start_server "$IDX"
  run curl -s -i "$URL/healthz"
  assert_line --index 0 --partial "200"
  assert_output --partial "ok"
  run curl -s "$URL/info"
  assert_success
  [ "$(echo "$output" | jq -r '[.dim, .metric, .count, .generation, (.shards | length)] | @tsv')" = $'16\tl2\t2000\t1\t3' ]
  [ "$(echo "$output" | jq -r '.shards[0].header_checksum')" = "$(jq -r '.shards[0].header_checksum' "$IDX/manifest.json")" ]
  post "$ONE" >/dev/null
  run curl -s "$URL/metrics"
  assert_success
  assert_line 'vs_serve_requests_total{code="200"} 3'
  assert_line 'vs_serve_queries_total 1'
  assert_line 'vs_serve_index_generation 1'
  assert_line 'vs_serve_search_duration_seconds_count 1'
  assert_line --regexp '^vs_serve_inflight_requests [0-9]+$'
}

@test "bad requests are 400 with a JSON error naming the problem" {
  start_server "$IDX"
  check_400() {
    run curl -s -w '\n%{http_code}' -X POST --data-binary "$1" "$URL/search"
    assert_line --index 1 400
    assert_line --index 0 --partial "$2"
    echo "${lines[0]}" | jq -e .error >/dev/null
  }
  check_400 '{"vector": [1, 2' "invalid JSON"
  check_400 'not json' "the body must be a JSON object"
  check_400 '{"vector":[1,2,3]}' "'vector' has 3 numbers, expected 16"
  check_400 "$(sed 's/}$/,"colour":1}/' "$ONE")" "unknown field 'colour'"
  check_400 "$(sed 's/}$/,"k":0}/' "$ONE")" "'k' must be a positive integer"
  check_400 "$(sed 's/}$/,"k":5000}/' "$ONE")" "'k' must be at most 1000"
  check_400 '{"queries":[{"vector":[1]}]}' "queries[0]: 'vector' has 1 numbers, expected 16"
}

@test "unknown path 404, wrong method 405 with Allow" {
  start_server "$IDX"
  [ "$(status GET /nope)" = 404 ]
  [ "$(status GET /search)" = 405 ]
  [ "$(status DELETE /info)" = 405 ]
  run curl -s -i -X GET "$URL/search"
  assert_output --partial "Allow: POST"
}

@test "a body over --max-body is 413; oversized headers are refused" {
  start_server --max-body 100 "$IDX"
  [ "$(status POST /search --data-binary "@$ONE")" = 413 ]
  [ "$(status POST /search -H 'Transfer-Encoding: chunked' --data-binary "@$ONE")" = 413 ]
  [ "$(status GET /healthz -H "X-Big: $(head -c 70000 /dev/zero | tr '\0' a)")" = 431 ]
  [ "$(status GET /healthz)" = 200 ]
}

@test "--token-file: 401 without the token, /healthz open" {
  printf 's3cret\n' >"$BATS_TEST_TMPDIR/token"
  start_server --token-file "$BATS_TEST_TMPDIR/token" "$IDX"
  [ "$(status GET /healthz)" = 200 ]
  [ "$(status GET /info)" = 401 ]
  [ "$(status GET /metrics -H 'Authorization: Bearer wrong')" = 401 ]
  [ "$(status POST /search --data-binary "@$ONE" -H 'Authorization: Bearer s3cret ')" = 401 ]
  [ "$(status GET /info -H 'Authorization: Bearer s3cret')" = 200 ]
  [ "$(status POST /search --data-binary "@$ONE" -H 'Authorization: Bearer s3cret')" = 200 ]
  run curl -s -i "$URL/info"
  assert_output --partial "WWW-Authenticate: Bearer"
}

@test "beyond --max-inflight: 503 with Retry-After" {
  start_server --max-inflight 1 "$IDX"
  hold_search
  run curl -s -i -X POST --data-binary "@$ONE" "$URL/search"
  assert_line --index 0 --partial "503"
  assert_output --partial "Retry-After: 1"
  assert_output --partial '"error":"busy'
  [ "$(status GET /healthz)" = 200 ]
  run finish_search
  assert_output --partial "200"
  [ "$(status POST /search --data-binary "@$ONE")" = 200 ]
}

@test "SIGTERM drains: the request in flight completes, new connections are refused, exit 0" {
  start_server "$IDX"
  hold_search
  kill -TERM "$PID"
  wait_until 10 grep -q 'draining: 1 request in flight' "$LOG"
  run curl -s --max-time 2 "$URL/healthz"
  assert_failure 7  # connection refused: no longer accepting
  run finish_search
  assert_output --partial "200"
  wait_exit "$PID"
  [ "$EXIT_STATUS" -eq 0 ]
  grep -q 'stopped' "$LOG"
}

@test "SIGHUP reloads a rebuild during a stream of queries; none fails" {
  cp -r "$IDX" "$BATS_TEST_TMPDIR/idx"
  local idx="$BATS_TEST_TMPDIR/idx" codes="$BATS_TEST_TMPDIR/codes" stop="$BATS_TEST_TMPDIR/stop"
  start_server "$idx"
  (
    while [ ! -e "$stop" ]; do
      curl -s -o /dev/null -w '%{http_code}\n' --max-time 10 -X POST --data-binary "@$ONE" "$URL/search"
    done >"$codes"
  ) &
  local loop=$!
  wait_until 10 test -s "$codes"
  "$VS_BIN/vs-ingest" --metric l2 "$BATS_FILE_TMPDIR/docs2.jsonl" | "$VS_BIN/vs-build" -q --shards 2 -o "$idx"
  kill -HUP "$PID"
  wait_until 10 bash -c "curl -s '$URL/info' | jq -e '.generation == 2 and .count == 2100' >/dev/null"
  local before
  before=$(wc -l <"$codes")
  wait_until 10 bash -c "[ \$(wc -l <'$codes') -gt $((before + 20)) ]"
  touch "$stop"
  wait_until 15 bash -c "! kill -0 $loop 2>/dev/null"
  wait "$loop" || true
  [ "$(wc -l <"$codes")" -gt 20 ]
  [ "$(sort -u "$codes")" = 200 ] || { sort "$codes" | uniq -c >&3; false; }
  grep -q 'reloaded (SIGHUP): generation 2: 2100 documents in 2 shards' "$LOG"
  [ "$(jq -r '.hits[0].id' <(post "$ONE"))" != "" ]
}

@test "a bad new index is refused with a log line; the old one keeps serving" {
  cp -r "$IDX" "$BATS_TEST_TMPDIR/idx"
  local idx="$BATS_TEST_TMPDIR/idx"
  start_server "$idx"
  "$VS_BIN/vs-ingest" --metric l2 "$BATS_FILE_TMPDIR/docs2.jsonl" | "$VS_BIN/vs-build" -q --shards 2 -o "$idx"
  # Flip one byte in the middle of a new shard: only a full checksum pass sees it.
  local shard size
  shard=$(ls "$idx"/*-g000002.vsi | head -1)
  size=$(stat -c %s "$shard")
  printf '\x7f' | dd of="$shard" bs=1 seek=$((size / 2)) conv=notrunc status=none
  kill -HUP "$PID"
  wait_until 10 grep -q 'reload (SIGHUP) refused, still serving generation 1' "$LOG"
  [ "$(curl -s "$URL/info" | jq .generation)" = 1 ]
  run post "$ONE"
  assert_output --partial '{"id":"d1","hits":[{"id":"d1","score":0}'
  curl -s "$URL/metrics" | grep -qx 'vs_serve_reloads_total{result="failed"} 1'
}

@test "--watch picks up a rebuild" {
  cp -r "$IDX" "$BATS_TEST_TMPDIR/idx"
  local idx="$BATS_TEST_TMPDIR/idx"
  start_server --watch "$idx"
  "$VS_BIN/vs-ingest" --metric l2 "$BATS_FILE_TMPDIR/docs2.jsonl" | "$VS_BIN/vs-build" -q --shards 2 -o "$idx"
  wait_until 10 bash -c "curl -s '$URL/info' | jq -e '.generation == 2' >/dev/null"
  grep -q 'reloaded (manifest changed): generation 2' "$LOG"
}

@test "exit statuses: 65 for a corrupt shard, 2 for a bad flag, 1 for a port in use" {
  head -c 5000 "$(ls "$IDX"/*.vsi | head -1)" >"$BATS_TEST_TMPDIR/cut.vsi"
  run "$VS_BIN/vs-serve" --listen 127.0.0.1:0 "$BATS_TEST_TMPDIR/cut.vsi"
  assert_failure 65
  assert_output --partial "cut.vsi"
  run "$VS_BIN/vs-serve" --listen nowhere "$IDX"
  assert_failure 2
  run "$VS_BIN/vs-serve" --watch --listen 127.0.0.1:0 "$IDX"/*.vsi
  assert_failure 2
  start_server "$IDX"
  run timeout 10 "$VS_BIN/vs-serve" --listen "127.0.0.1:$PORT" "$IDX"
  assert_failure 1
  assert_output --partial "cannot listen on '127.0.0.1:$PORT'"
}
