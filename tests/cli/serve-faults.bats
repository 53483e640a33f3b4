#!/usr/bin/env bats
# vs-serve against clients that misbehave: slow, idle by the thousand,
# oversized, garbage, or gone before their answer. A real vs-serve on
# 127.0.0.1 (port 0, the port read from its stderr), raw clients through
# bash's /dev/tcp and tests/tools/idle_clients. After every case the server
# must still run, answer /healthz and answer a search exactly as vs-query
# does. Every process started here is killed in teardown; every wait is bounded.

load helpers

# 2000 clustered 16-d documents, l2, three shards. ONE is a query and
# ONE_ANSWER what vs-query answers for it; BATCH is 1024 queries with k = 200
# (an answer of about 6 MB, more than the socket buffers hold).
setup_file() {
  local dir="$BATS_FILE_TMPDIR"
  gen_docs 2000 16 7 >"$dir/docs.jsonl"
  "$VS_BIN/vs-ingest" --metric l2 "$dir/docs.jsonl" | "$VS_BIN/vs-build" -q --shards 3 -o "$dir/idx"
  head -1 "$dir/docs.jsonl" | docs_as_queries /dev/stdin >"$dir/one.json"
  "$VS_BIN/vs-query" -i "$dir/one.json" "$dir/idx" >"$dir/one-answer.jsonl"
  head -1024 "$dir/docs.jsonl" | docs_as_queries /dev/stdin | jq -cs '{queries: [.[] | . + {k: 200}]}' \
    >"$dir/batch.json"
}

setup() {
  IDX="$BATS_FILE_TMPDIR/idx"
  ONE="$BATS_FILE_TMPDIR/one.json"
  ONE_ANSWER="$BATS_FILE_TMPDIR/one-answer.jsonl"
  BATCH="$BATS_FILE_TMPDIR/batch.json"
  PIDS=()
}

teardown() { kill_started; }

# start_server ARGS...: vs-serve on a free port with two workers; sets PID,
# PORT, URL and LOG.
start_server() { start_vs_serve --threads 2 "$@"; }

# post BODY_FILE [MAX_SECONDS]: POSTs a file to /search; prints the body.
post() { curl -s --max-time "${2:-10}" -X POST --data-binary "@$1" "$URL/search"; }

# post_status BODY_FILE: POSTs a file to /search; prints the status code.
post_status() {
  curl -s -o /dev/null -w '%{http_code}' --max-time 10 -X POST --data-binary "@$1" "$URL/search"
}

# repeat CHAR N: CHAR N times.
repeat() { head -c "$2" /dev/zero | tr '\0' "$1"; }

# healthy: the server still runs, /healthz answers ok and a search answers
# exactly what vs-query answers locally.
healthy() {
  kill -0 "$PID" 2>/dev/null || fail "vs-serve died: $(cat "$LOG")"
  [ "$(curl -s --max-time 10 "$URL/healthz")" = ok ] || fail "/healthz does not answer ok"
  [ "$(post "$ONE")" = "$(cat "$ONE_ANSWER")" ] || fail "a search does not answer as vs-query does"
}

# metric NAME: the value of a /metrics line.
metric() { curl -s --max-time 10 "$URL/metrics" | sed -n "s/^$1 //p"; }

# raw_exchange FILE: sends FILE's bytes on a fresh connection, then prints the
# status line of the answer ("" when the server closed without one). Fails
# when neither an answer nor a close came within 10 s.
raw_exchange() {
  local fd answer
  exec {fd}<>"/dev/tcp/127.0.0.1/$PORT"
  { cat "$1" >&"$fd"; } 2>/dev/null || true # the server may close before reading it all
  answer=$(timeout 10 head -c 4096 <&"$fd" | tr -d '\r' | head -1) || true
  exec {fd}<&-
  echo "$answer"
}

@test "slow clients trickling requests byte by byte do not hold up the others" {
  start_server --idle-timeout 2 "$IDX"
  # Four clients (more than the workers) each send a search one byte every 100 ms
  # (about 9 s), well apart from the 2 s idle timeout, so each byte is a read
  # of its own; each asks for Connection: close (HTTP/1.0) and reads the answer.
  local body='{"vector":[0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0],"k":3}'
  local request=$'POST /search HTTP/1.0\r\nContent-Length: '"${#body}"$'\r\n\r\n'"$body"
  local i slow=()
  for i in 1 2 3 4; do
    (
      exec {fd}<>"/dev/tcp/127.0.0.1/$PORT"
      for ((b = 0; b < ${#request}; b++)); do
        printf '%s' "${request:b:1}" >&"$fd"
        sleep 0.1
      done
      timeout 10 cat <&"$fd" >"$BATS_TEST_TMPDIR/slow-$i"
    ) &
    slow+=("$!")
    PIDS+=("$!")
  done
  # Meanwhile other clients are answered at once, and exactly.
  local start took searches=0
  while kill -0 "${slow[0]}" 2>/dev/null && ((searches < 300)); do
    start=$(now_ms)
    [ "$(post "$ONE")" = "$(cat "$ONE_ANSWER")" ] || fail "search $searches answered wrongly"
    took=$(($(now_ms) - start))
    ((took < 2000)) || fail "search $searches took $took ms beside slow clients"
    searches=$((searches + 1))
    sleep 0.2
  done
  echo "# $searches searches answered while 4 clients trickled theirs" >&3
  ((searches >= 10)) || fail "only $searches searches ran while the slow clients trickled"
  # The slow clients are answered too, correctly, once their last byte is in.
  local expected answer
  expected=$(echo "$body" | "$VS_BIN/vs-query" -i /dev/stdin "$IDX")
  for i in 1 2 3 4; do
    wait_until 20 bash -c "! kill -0 ${slow[$((i - 1))]} 2>/dev/null" || fail "slow client $i hangs"
    answer=$(cat "$BATS_TEST_TMPDIR/slow-$i")
    [[ "$(head -1 <<<"$answer")" == *" 200 "* ]] || fail "slow client $i: $answer"
    [ "$(sed '1,/^\r$/d' <<<"$answer")" = "$expected" ] || fail "slow client $i answered wrongly: $answer"
  done
  healthy
}

@test "thousands of idle connections: beyond the connection limit they wait; each is closed when idle" {
  # idle_clients holds 2000 sockets and vs-serve up to its 1000 connections.
  if (($(ulimit -n) < 4096)); then
    ulimit -n 4096 2>/dev/null || skip "cannot raise the open-file limit to 4096 (hard limit $(ulimit -Hn))"
  fi
  start_server --idle-timeout 2 "$IDX"
  # Below the limit (1000 connections in libmicrohttpd): 900 idle connections
  # cost nothing; a search is answered at once.
  "$VS_TEST_TOOLS/idle_clients" "127.0.0.1:$PORT" 900 10000 >"$BATS_TEST_TMPDIR/idle-900" &
  PIDS+=("$!")
  local idle=$!
  wait_until 10 grep -q '^connected 900$' "$BATS_TEST_TMPDIR/idle-900"
  local start took
  start=$(now_ms)
  [ "$(post "$ONE" 5)" = "$(cat "$ONE_ANSWER")" ]
  took=$(($(now_ms) - start))
  ((took < 1000)) || fail "a search beside 900 idle connections took $took ms"
  wait_until 15 bash -c "! kill -0 $idle 2>/dev/null"
  # Each one is closed by the server after the idle timeout, without a word (no 408).
  run cat "$BATS_TEST_TMPDIR/idle-900"
  assert_line --regexp '^closed 900 answered 0 open 0 first_close_ms [0-9]+ last_close_ms [0-9]+$'
  local first
  first=$(sed -n 's/.*first_close_ms \([0-9]*\).*/\1/p' "$BATS_TEST_TMPDIR/idle-900")
  ((first >= 1500)) || fail "closed after $first ms, before the 2 s idle timeout"
  healthy

  # Beyond the limit: 2000 connections. The kernel completes every handshake
  # (the listen backlog is SOMAXCONN), but vs-serve accepts only up to its
  # limit; the rest, and a new client behind them, wait in the backlog until
  # idle connections are closed, then are served in turn. Nothing is refused
  # and the server never fails.
  "$VS_TEST_TOOLS/idle_clients" "127.0.0.1:$PORT" 2000 20000 >"$BATS_TEST_TMPDIR/idle-2000" &
  PIDS+=("$!")
  idle=$!
  wait_until 10 grep -q '^connected 2000$' "$BATS_TEST_TMPDIR/idle-2000"
  start=$(now_ms)
  [ "$(post "$ONE" 15)" = "$(cat "$ONE_ANSWER")" ] || fail "no answer behind 2000 idle connections"
  took=$(($(now_ms) - start))
  echo "# a search behind 2000 idle connections was answered after $took ms" >&3
  wait_until 25 bash -c "! kill -0 $idle 2>/dev/null"
  run cat "$BATS_TEST_TMPDIR/idle-2000"
  assert_line --regexp '^closed 2000 answered 0 open 0 first_close_ms [0-9]+ last_close_ms [0-9]+$'
  echo "# idle_clients: $(tail -1 "$BATS_TEST_TMPDIR/idle-2000")" >&3
  first=$(sed -n 's/.*first_close_ms \([0-9]*\).*/\1/p' "$BATS_TEST_TMPDIR/idle-2000")
  ((first >= 1500)) || fail "closed after $first ms, before the 2 s idle timeout"
  healthy
}

@test "bodies over --max-body: 413, the body not kept, the server stays up" {
  start_server --max-body 4096 "$IDX"
  # A declared length over the limit is answered before the body is sent.
  printf 'POST /search HTTP/1.1\r\nHost: t\r\nContent-Length: %d\r\n\r\n' $((1 << 30)) \
    >"$BATS_TEST_TMPDIR/declared"
  [ "$(raw_exchange "$BATS_TEST_TMPDIR/declared")" = "HTTP/1.1 413 Content Too Large" ]
  healthy
  # 64 MiB chunked (no length to refuse up front): read and dropped as it
  # comes, then 413; the server's memory does not grow by the body.
  local rss_before rss_after code
  rss_before=$(awk '/^VmRSS:/ {print $2}' "/proc/$PID/status")
  code=$(repeat ' ' $((64 << 20)) | curl -s -o /dev/null -w '%{http_code}' --max-time 30 \
    -X POST -T - -H 'Transfer-Encoding: chunked' "$URL/search")
  [ "$code" = 413 ]
  rss_after=$(awk '/^VmRSS:/ {print $2}' "/proc/$PID/status")
  echo "# RSS ${rss_before} kB before a 64 MiB chunked body, ${rss_after} kB after" >&3
  ((rss_after - rss_before < 16384)) || fail "RSS grew from $rss_before kB to $rss_after kB"
  # Exactly at the limit is fine; one byte over is not.
  repeat ' ' 4096 >"$BATS_TEST_TMPDIR/at-limit"
  [ "$(post_status "$BATS_TEST_TMPDIR/at-limit")" = 400 ] # read, and refused as no JSON
  repeat ' ' 4097 >"$BATS_TEST_TMPDIR/over-limit"
  [ "$(post_status "$BATS_TEST_TMPDIR/over-limit")" = 413 ]
  healthy
  [ "$(metric 'vs_serve_requests_total{code="413"}')" -ge 2 ]
}

@test "garbage instead of HTTP: an error status or a close, and the server stays up" {
  start_server --idle-timeout 1 "$IDX"
  local dir="$BATS_TEST_TMPDIR"
  head -c 4096 /dev/urandom >"$dir/random"
  printf 'hello, is this a vector database?\r\n\r\n' >"$dir/not-http"
  printf '\0\0\0\0\r\n\r\n' >"$dir/nul-bytes"
  printf 'GET /hea' >"$dir/truncated-line"
  printf 'POST /search HTTP/1.1\r\nHost: t\r\nContent-Le' >"$dir/truncated-headers"
  printf 'GET /healthz HTTP/9.9\r\nHost: t\r\n\r\n' >"$dir/bad-version"
  printf 'GET /healthz HTTP/1.1\r\nHost: t\r\nno colon here\r\n\r\n' >"$dir/bad-header"
  printf 'POST /search HTTP/1.1\r\nHost: t\r\nContent-Length: -5\r\n\r\n' >"$dir/negative-length"
  printf 'POST /search HTTP/1.1\r\nHost: t\r\nContent-Length: %s\r\n\r\n' "$(repeat 9 23)" \
    >"$dir/overflow-length"
  printf 'POST /search HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n' >"$dir/bad-chunk"
  printf 'GET /healthz HTTP/1.1\r\nHost: t\r\nX-Big: %s\r\n\r\n' "$(repeat a 100000)" >"$dir/huge-header"
  printf 'GET /%s HTTP/1.1\r\nHost: t\r\n\r\n' "$(repeat a 100000)" >"$dir/huge-line"
  {
    printf 'GET /healthz HTTP/1.1\r\nHost: t\r\n'
    seq -f 'X-Header-%g: v' 3000 | sed 's/$/\r/'
    printf '\r\n'
  } >"$dir/many-headers"
  # expect FILE PATTERN: the status line matches PATTERN ("" for a close).
  expect() {
    local answer
    answer=$(raw_exchange "$dir/$1")
    [[ "$answer" =~ $2 ]] || fail "$1: got '$answer'"
    echo "# $1: ${answer:-closed}" >&3
    healthy
  }
  expect random '^(HTTP/1.1 400 .*)?$'  # 400 at its first line end; closed when idle if it has none
  expect not-http '^HTTP/1.1 400 '
  expect nul-bytes '^(HTTP/1.1 4[0-9][0-9] .*)?$'
  expect truncated-line '^$'    # closed by the idle timeout
  expect truncated-headers '^$' # likewise
  expect bad-version '^HTTP/1.1 505 '
  expect bad-header '^HTTP/1.1 400 '
  expect negative-length '^HTTP/1.1 400 '
  expect overflow-length '^HTTP/1.1 (400|413) '
  expect bad-chunk '^HTTP/1.1 400 '
  expect huge-header '^HTTP/1.1 431 '
  expect huge-line '^HTTP/1.1 (414|431) '
  expect many-headers '^HTTP/1.1 431 '
}

@test "clients gone before or during their answer: the server keeps serving and frees their slots" {
  start_server "$IDX"
  local request fd i
  request="$BATS_TEST_TMPDIR/request"
  printf 'POST /search HTTP/1.1\r\nHost: t\r\nContent-Length: %d\r\n\r\n' "$(stat -c %s "$BATCH")" >"$request"
  cat "$BATCH" >>"$request"
  for i in 1 2 3; do
    # Gone before the answer: the request sent, the socket closed at once.
    exec {fd}<>"/dev/tcp/127.0.0.1/$PORT"
    cat "$request" >&"$fd"
    exec {fd}<&-
    # Gone during the answer: the first bytes read, then closed with the
    # rest unread: megabytes, more than the socket buffers hold (the server
    # is still writing; `ss` shows its send queue full), so its writes meet
    # a reset.
    exec {fd}<>"/dev/tcp/127.0.0.1/$PORT"
    cat "$request" >&"$fd"
    [ "$(timeout 10 head -c 12 <&"$fd")" = "HTTP/1.1 200" ]
    exec {fd}<&-
  done
  # Every exchange ends: no search stays "in flight" (a leaked slot would
  # never be given back, and enough of them turn every search into a 503).
  wait_until 20 bash -c "curl -s '$URL/metrics' | grep -qx 'vs_serve_inflight_requests 0'" ||
    fail "searches still in flight: $(metric vs_serve_inflight_requests)"
  healthy
  # A whole batch still answers exactly what vs-query answers.
  jq -c '{queries: .queries[:50]}' "$BATCH" >"$BATS_TEST_TMPDIR/batch-50.json"
  diff <(post "$BATS_TEST_TMPDIR/batch-50.json" | jq -c '.results[]') \
    <(jq -c '.queries[]' "$BATS_TEST_TMPDIR/batch-50.json" | "$VS_BIN/vs-query" -i /dev/stdin "$IDX")
}
