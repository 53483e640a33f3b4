#!/usr/bin/env bats
# vs-query against remote shards: real vs-serve processes on 127.0.0.1
# (port 0, the port read from their stderr) and an ssh:// shard through a real
# sshd on a loopback port. Every process started here is killed in teardown
# and every wait is bounded.

load helpers
bats_require_minimum_version 1.5.0

# 2000 clustered 16-d documents, l2, three shards; the first 50 documents are
# the queries. LOCAL is what vs-query answers over the same shard files.
setup_file() {
  local dir="$BATS_FILE_TMPDIR"
  gen_docs 2000 16 7 >"$dir/docs.jsonl"
  "$VS_BIN/vs-ingest" --metric l2 "$dir/docs.jsonl" | "$VS_BIN/vs-build" -q --shards 3 -o "$dir/idx"
  head -50 "$dir/docs.jsonl" | docs_as_queries /dev/stdin >"$dir/queries.jsonl"
  "$VS_BIN/vs-query" -i "$dir/queries.jsonl" "$dir"/idx/*.vsi >"$dir/local.jsonl"
}

setup() {
  IDX="$BATS_FILE_TMPDIR/idx"
  QUERIES="$BATS_FILE_TMPDIR/queries.jsonl"
  LOCAL="$BATS_FILE_TMPDIR/local.jsonl"
  SHARDS=("$IDX"/*.vsi)
  PIDS=()
  URLS=()
}

teardown() { kill_started; }

# start_server ARGS...: starts vs-serve on a free port; appends its pid to
# PIDS and its URL to URLS, and sets PID and URL.
start_server() {
  start_vs_serve "$@" || return 1
  URLS+=("$URL")
}

# One vs-serve per shard file.
start_three() {
  local shard
  for shard in "${SHARDS[@]}"; do start_server "$shard"; done
}

# kill_server PID: kills a server and reaps it, so its port refuses connections.
kill_server() {
  kill -KILL "$1"
  wait "$1" 2>/dev/null || true
}

# Runs vs-query with a 60 s bound, so a hang fails the test instead of the suite.
vsq() { timeout 60 "$VS_BIN/vs-query" "$@"; }

@test "three vs-serve shards answer exactly what the same shard files answer locally" {
  start_three
  run vsq -i "$QUERIES" "${URLS[@]}"
  assert_success
  diff <(echo "$output") "$LOCAL"
  # Small batches: many requests over the same kept-alive connections.
  run vsq --batch 7 -i "$QUERIES" "${URLS[@]}"
  assert_success
  diff <(echo "$output") "$LOCAL"
}

@test "local and remote shards mix in one run" {
  start_server "${SHARDS[1]}"
  run vsq -i "$QUERIES" "${SHARDS[0]}" "$URL" "${SHARDS[2]}"
  assert_success
  diff <(echo "$output") "$LOCAL"
}

@test "a killed server fails the run naming it, exit 1" {
  start_three
  kill_server "${PIDS[1]}"
  run --separate-stderr vsq -i "$QUERIES" "${URLS[@]}"
  assert_failure 1
  [[ "$stderr" == *"${URLS[1]}"* ]] || fail "stderr does not name ${URLS[1]}: $stderr"
}

@test "a server killed before the run: --partial writes the others' hits and exits 3" {
  start_three
  kill_server "${PIDS[1]}"
  run --separate-stderr vsq --partial -i "$QUERIES" "${URLS[@]}"
  assert_failure 3
  [ "$(echo "$output" | wc -l)" -eq 50 ]
  # Every line is marked, and names the missing shard.
  [ "$(echo "$output" | jq -c '[.partial, .shards.total, .shards.successful, .shards.failed, (.shards.failures | length)]' | sort -u)" = "[true,3,2,1,1]" ]
  [ "$(echo "$output" | jq -r '.shards.failures[0].shard' | sort -u)" = "${URLS[1]}" ]
  # The hits are those of the two shards that answered.
  diff <(echo "$output" | jq -c '{id, hits}') <(vsq -i "$QUERIES" "${SHARDS[0]}" "${SHARDS[2]}")
}

@test "a server killed during the run: --partial marks only the later results" {
  start_three
  # One query per batch, read from a fifo we feed by hand, so the kill lands between batches.
  mkfifo "$BATS_TEST_TMPDIR/in"
  vsq --partial --batch 1 -i "$BATS_TEST_TMPDIR/in" "${URLS[@]}" >"$BATS_TEST_TMPDIR/out" 2>/dev/null &
  local query_pid=$!
  PIDS+=("$query_pid")
  exec 6>"$BATS_TEST_TMPDIR/in"
  head -1 "$QUERIES" >&6
  wait_until 20 grep -q . "$BATS_TEST_TMPDIR/out"
  kill_server "${PIDS[2]}"
  sed -n 2p "$QUERIES" >&6
  exec 6>&-
  wait "$query_pid" && status=0 || status=$?
  [ "$status" -eq 3 ]
  [ "$(sed -n 1p "$BATS_TEST_TMPDIR/out" | jq -c '.partial')" = "null" ]
  [ "$(sed -n 2p "$BATS_TEST_TMPDIR/out" | jq -r '.shards.failures[0].shard')" = "${URLS[2]}" ]
}

@test "--cluster: comments, replicas, and a replica that is down is skipped" {
  start_three
  # A port that refuses: a server started and killed.
  start_server "${SHARDS[0]}"
  local dead=$URL
  kill_server "$PID"
  cat >"$BATS_TEST_TMPDIR/cluster" <<EOT
# shard 0 with a dead first replica
$dead   ${URLS[0]}

${URLS[1]}   # shard 1
${URLS[2]}
EOT
  run vsq -i "$QUERIES" --cluster "$BATS_TEST_TMPDIR/cluster"
  assert_success
  diff <(echo "$output") "$LOCAL"
  # Both replicas of a shard down: the run fails naming the last one tried.
  kill_server "${PIDS[0]}"
  run --separate-stderr vsq -i "$QUERIES" --cluster "$BATS_TEST_TMPDIR/cluster"
  assert_failure 1
  [[ "$stderr" == *"127.0.0.1"* ]]
}

@test "--token-file is sent as a bearer token" {
  printf 's3cret\n' >"$BATS_TEST_TMPDIR/token"
  printf 'wrong\n' >"$BATS_TEST_TMPDIR/bad-token"
  start_server --token-file "$BATS_TEST_TMPDIR/token" "$IDX"
  run vsq -i "$QUERIES" --token-file "$BATS_TEST_TMPDIR/token" "$URL"
  assert_success
  diff <(echo "$output") "$LOCAL"
  run --separate-stderr vsq -i "$QUERIES" --token-file "$BATS_TEST_TMPDIR/bad-token" "$URL"
  assert_failure 1
  [[ "$stderr" == *"$URL"*"401"* ]] || fail "unexpected message: $stderr"
  run --separate-stderr vsq -i "$QUERIES" "$URL"
  assert_failure 1
}

@test "--timeout-ms: a server that never answers fails within the timeout" {
  start_server "$IDX"
  # A stopped process still has its socket listening: the kernel accepts
  # connections, but nothing ever answers.
  kill -STOP "$PID"
  local start=$(date +%s%N)
  run --separate-stderr vsq --timeout-ms 500 -i "$QUERIES" "$URL"
  local elapsed_ms=$((($(date +%s%N) - start) / 1000000))
  kill -CONT "$PID"
  assert_failure 1
  [[ "$stderr" == *"$URL"*"timed out"* ]] || fail "unexpected message: $stderr"
  ((elapsed_ms < 5000)) || fail "took $elapsed_ms ms"
}

@test "remote shards of another dimension are refused, naming the shard" {
  gen_docs 100 8 3 | "$VS_BIN/vs-ingest" --metric l2 | "$VS_BIN/vs-build" -q -o "$BATS_TEST_TMPDIR/small"
  start_server "$BATS_TEST_TMPDIR/small"
  run --separate-stderr vsq -i "$QUERIES" "${SHARDS[0]}" "$URL"
  assert_failure 2
  [[ "$stderr" == *"$URL"* ]]
}

@test "--stdio greets with dim and metric and answers each line without waiting for EOF" {
  mkfifo "$BATS_TEST_TMPDIR/in"
  vsq --stdio "$IDX" <"$BATS_TEST_TMPDIR/in" >"$BATS_TEST_TMPDIR/out" &
  PIDS+=("$!")
  exec 6>"$BATS_TEST_TMPDIR/in"
  head -1 "$QUERIES" >&6
  wait_until 20 bash -c "[ \$(wc -l <'$BATS_TEST_TMPDIR/out') -ge 2 ]"
  exec 6>&-
  assert_equal "$(sed -n 1p "$BATS_TEST_TMPDIR/out")" '{"dim":16,"metric":"l2"}'
  assert_equal "$(sed -n 2p "$BATS_TEST_TMPDIR/out")" "$(head -1 "$LOCAL")"
}

# start_sshd: a throwaway sshd on a free loopback port, keys in
# BATS_TEST_TMPDIR; sets SSH_PORT and VS_SSH. Returns 1 when sshd cannot run.
start_sshd() {
  local dir="$BATS_TEST_TMPDIR/ssh"
  mkdir -p "$dir" /run/sshd 2>/dev/null || return 1
  ssh-keygen -q -t ed25519 -N '' -f "$dir/host_key" || return 1
  ssh-keygen -q -t ed25519 -N '' -f "$dir/client_key" || return 1
  cp "$dir/client_key.pub" "$dir/authorized_keys"
  local attempt port
  for attempt in 1 2 3 4 5; do
    port=$((20000 + RANDOM % 40000))
    cat >"$dir/sshd_config" <<EOT
ListenAddress 127.0.0.1
HostKey $dir/host_key
AuthorizedKeysFile $dir/authorized_keys
PermitRootLogin prohibit-password
PasswordAuthentication no
StrictModes no
UsePAM no
PidFile $dir/sshd.pid
EOT
    /usr/sbin/sshd -f "$dir/sshd_config" -D -e -p "$port" 2>"$dir/sshd.log" &
    PIDS+=("$!")
    if wait_until 5 grep -q 'Server listening' "$dir/sshd.log"; then
      SSH_PORT=$port
      export VS_SSH="ssh -i $dir/client_key -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o BatchMode=yes -o LogLevel=ERROR -p $port"
      return 0
    fi
    kill -KILL "${PIDS[-1]}" 2>/dev/null || true
  done
  return 1
}

@test "an ssh:// shard through a real sshd answers like the local shard" {
  export VS_REMOTE_QUERY="$VS_BIN/vs-query"
  local user
  user=$(id -un)
  if [ "$(id -u)" -ne 0 ] || ! start_sshd; then
    echo "# sshd could not run here: going through VS_SSH" >&3
    # sshd needs root (privilege separation, reading any user's keys); where it
    # cannot run, VS_SSH stands in for ssh: it drops the host and runs the
    # command locally, which still exercises the whole pipe protocol.
    printf '#!/bin/sh\nshift\nexec "$@"\n' >"$BATS_TEST_TMPDIR/fake-ssh"
    chmod +x "$BATS_TEST_TMPDIR/fake-ssh"
    export VS_SSH="$BATS_TEST_TMPDIR/fake-ssh"
  fi
  run vsq -i "$QUERIES" "ssh://$user@127.0.0.1${SHARDS[0]}" "${SHARDS[1]}" "ssh://127.0.0.1${SHARDS[2]}"
  assert_success
  diff <(echo "$output") "$LOCAL"
  run vsq --batch 5 -i "$QUERIES" "ssh://$user@127.0.0.1${SHARDS[0]}" "${SHARDS[1]}" "${SHARDS[2]}"
  assert_success
  diff <(echo "$output") "$LOCAL"
}

@test "an ssh:// shard whose remote side dies: exit 1 naming it, or partial with --partial" {
  printf '#!/bin/sh\nexit 1\n' >"$BATS_TEST_TMPDIR/dead-ssh"
  chmod +x "$BATS_TEST_TMPDIR/dead-ssh"
  run --separate-stderr env VS_SSH="$BATS_TEST_TMPDIR/dead-ssh" timeout 60 "$VS_BIN/vs-query" -i "$QUERIES" "ssh://h${SHARDS[0]}"
  assert_failure 1
  [[ "$stderr" == *"ssh://h${SHARDS[0]}"* ]]
  start_server "${SHARDS[1]}"
  run --separate-stderr env VS_SSH="$BATS_TEST_TMPDIR/dead-ssh" timeout 60 "$VS_BIN/vs-query" --partial \
    -i "$QUERIES" "ssh://h${SHARDS[0]}" "$URL" "${SHARDS[2]}"
  assert_failure 3
  [ "$(echo "$output" | jq -r '.shards.failures[0].shard' | sort -u)" = "ssh://h${SHARDS[0]}" ]
  diff <(echo "$output" | jq -c '{id, hits}') <(vsq -i "$QUERIES" "${SHARDS[1]}" "${SHARDS[2]}")
}
