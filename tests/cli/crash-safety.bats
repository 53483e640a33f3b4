#!/usr/bin/env bats
# Crash safety of an index directory: vs-build killed at any moment, a full
# disk or a file-size limit while writing, and shard files truncated or with a
# flipped bit. The promise under test (docs/FORMATS.md, docs/RELIABILITY.md):
# the directory always opens as one complete generation, answers as it did,
# and a damaged shard is reported (exit 65), never answered from silently.

load helpers

setup_file() {
  cd "$BATS_FILE_TMPDIR"
  # Big enough that a build takes a noticeable time (about a second in a
  # release build, longer under sanitizers), small enough to repeat 16 times.
  gen_docs 3000 32 1 >a.jsonl
  gen_docs 3000 32 2 >b.jsonl
  { head -40 a.jsonl; head -40 b.jsonl; } | docs_as_queries /dev/stdin >queries.jsonl
  gen_docs 120 8 3 >small.jsonl
  docs_as_queries small.jsonl | head -20 >small-queries.jsonl
}

setup() {
  cd "$BATS_TEST_TMPDIR"
  cp "$BATS_FILE_TMPDIR"/*.jsonl .
}

teardown() {
  if [[ -n "${TMPFS_DIR:-}" ]] && mountpoint -q "$TMPFS_DIR"; then umount "$TMPFS_DIR"; fi
}

build_flags=(-q --shards 2 --metric l2 -M 8 --ef-construction 64)
build() { "$VS_BIN/vs-build" "${build_flags[@]}" "$@"; }
generation() { jq -r .generation "$1/manifest.json"; }
# The named shard files and their checksums: what "the same generation" means.
named_shards() { jq -r '.shards[].file' "$1/manifest.json" | (cd "$1" && xargs md5sum); }
answers() { "$VS_BIN/vs-query" -k 5 "$@" <queries.jsonl; }
now_ms() { date +%s%3N; }

# Every file in an index directory is the manifest, a shard file of some
# generation, or a temporary of write_file_atomically(); the manifest names
# only shard files that exist, and never a temporary.
check_directory_sane() {
  local dir=$1 name
  for name in $(ls "$dir"); do
    [[ $name == manifest.json || $name =~ ^shard-[0-9]{4}-g[0-9]{6}\.vsi$ || $name == *.tmp-* ]] ||
      fail "unexpected file '$name' in $dir"
  done
  for name in $(jq -r '.shards[].file' "$dir/manifest.json"); do
    [[ $name != *.tmp-* ]] || fail "the manifest names a temporary '$name'"
    [[ -f $dir/$name ]] || fail "the manifest names a missing shard '$name'"
  done
}

@test "vs-build killed with SIGKILL at 16 moments of a rebuild always leaves a complete generation" {
  build -o idx a.jsonl
  # The length of one rebuild on this machine and build, so the kills spread
  # over reading, graph building, shard writing and the manifest switch.
  local start end
  start=$(now_ms)
  build -o idx b.jsonl
  end=$(now_ms)
  local duration_ms=$((end - start))
  local gen data other shards_before answers_before
  gen=$(generation idx)
  data=b.jsonl other=a.jsonl
  shards_before=$(named_shards idx)
  answers_before=$(answers idx)
  local kills=16 i delay_ms killed_before=0 killed_after=0 status
  for ((i = 1; i <= kills; i++)); do
    # Spread over 5% .. 110% of a build: the last ones may let it finish.
    delay_ms=$((duration_ms * (5 + (105 * (i - 1)) / (kills - 1)) / 100))
    # The binary itself, not a shell function, so the kill reaches vs-build
    # and not a subshell that would leave it running.
    "$VS_BIN/vs-build" "${build_flags[@]}" -o idx "$other" &
    local pid=$!
    sleep "$(awk -v ms="$delay_ms" 'BEGIN { printf "%.3f", ms / 1000 }')"
    kill -KILL "$pid" 2>/dev/null || true
    wait "$pid" && status=0 || status=$?

    check_directory_sane idx
    run "$VS_BIN/vs-query" --verify -k 5 idx <queries.jsonl
    assert_success
    local new_gen
    new_gen=$(generation idx)
    if ((new_gen == gen)); then
      ((killed_before += 1))
      assert_equal "$(named_shards idx)" "$shards_before"
      assert_equal "$(answers idx)" "$answers_before"
    else
      # Killed after the new manifest was renamed into place (or not killed at
      # all): the new generation is complete and answers for its own data.
      ((killed_after += 1))
      assert_equal "$new_gen" "$((gen + 1))"
      gen=$new_gen
      local swap=$data
      data=$other other=$swap
      shards_before=$(named_shards idx)
      answers_before=$(answers idx)
      assert_equal "$(answers --exact idx)" "$(build -o fresh "$data" && answers --exact fresh)"
      rm -rf fresh
    fi
  done
  echo "# $kills kills over ${duration_ms} ms: $killed_before left the old generation, $killed_after the new" >&3
  ((killed_before >= 4)) || fail "only $killed_before kills landed before the switch; the schedule is off"

  # The next build sweeps whatever the kills left behind.
  build -o idx a.jsonl
  check_directory_sane idx
  run ls idx
  refute_output --partial .tmp-
  [ "$(ls idx | wc -l)" -eq 3 ]
}

# A full disk: a tmpfs just large enough for the first index.
@test "a full disk (small tmpfs) while rebuilding: a clear error, exit 1, the previous index intact" {
  TMPFS_DIR=$BATS_TEST_TMPDIR/disk
  mkdir -p "$TMPFS_DIR"
  # Room for the small index plus 64 KiB: not for a shard of the big one.
  build -o small-idx small.jsonl
  local bytes
  bytes=$(du -sb small-idx | cut -f1)
  mount -t tmpfs -o size=$((bytes + 65536)) tmpfs "$TMPFS_DIR" 2>/dev/null ||
    skip "cannot mount a tmpfs here (needs root and CAP_SYS_ADMIN)"
  build -o "$TMPFS_DIR/idx" small.jsonl
  local before answers_before
  before=$(named_shards "$TMPFS_DIR/idx"; cat "$TMPFS_DIR/idx/manifest.json")
  answers_before=$("$VS_BIN/vs-query" -k 5 "$TMPFS_DIR/idx" <small-queries.jsonl)
  run build -o "$TMPFS_DIR/idx" a.jsonl
  assert_failure 1
  assert_output --regexp "^vs-build: cannot [a-z ]+ '$TMPFS_DIR/idx/shard-[^']+': No space left on device$"
  assert_equal "$(named_shards "$TMPFS_DIR/idx"; cat "$TMPFS_DIR/idx/manifest.json")" "$before"
  run "$VS_BIN/vs-query" --verify -k 5 "$TMPFS_DIR/idx" <small-queries.jsonl
  assert_success
  assert_output "$answers_before"
  run ls "$TMPFS_DIR/idx"
  refute_output --partial .tmp-
}

@test "a file-size limit (ulimit -f) while rebuilding: a clear error, exit 1, the previous index intact" {
  build -o idx small.jsonl
  local before answers_before
  before=$(named_shards idx; cat idx/manifest.json)
  answers_before=$("$VS_BIN/vs-query" -k 5 idx <small-queries.jsonl)
  # 256 KiB: the small index fits, a shard of the big one does not. Without
  # SIGXFSZ ignored the kernel would kill vs-build (status 153) instead.
  run bash -c 'ulimit -f 256 && exec "$0" -q --shards 2 --metric l2 -o idx a.jsonl' "$VS_BIN/vs-build"
  assert_failure 1
  assert_output --regexp "^vs-build: cannot write 'idx/shard-[^']+': File too large$"
  assert_equal "$(named_shards idx; cat idx/manifest.json)" "$before"
  run "$VS_BIN/vs-query" --verify -k 5 idx <small-queries.jsonl
  assert_success
  assert_output "$answers_before"
  run ls idx
  refute_output --partial .tmp-
}

# One mutated copy of a shard: detected when opened (exit 65), or by --verify
# (exit 65), or harmless (a byte no reader looks at: padding, reserved), in
# which case the answers must be exactly the original ones.
check_mutation() {
  local what=$1 status
  "$VS_BIN/vs-query" -k 5 idx <small-queries.jsonl >out.jsonl 2>err.txt && status=0 || status=$?
  if ((status == 65)); then
    grep -q "shard-0000" err.txt || fail "$what: the error does not name the shard: $(cat err.txt)"
    ((detected_at_open += 1))
    return
  fi
  ((status == 0)) || fail "$what: vs-query exited $status: $(cat err.txt)"
  "$VS_BIN/vs-query" --verify -k 5 idx <small-queries.jsonl >/dev/null 2>err.txt && status=0 || status=$?
  if ((status == 65)); then
    ((detected_by_verify += 1))
    return
  fi
  ((status == 0)) || fail "$what: vs-query --verify exited $status: $(cat err.txt)"
  cmp -s out.jsonl expected.jsonl || fail "$what: undetected, and the answers changed"
  ((harmless += 1))
}

@test "a truncated shard is detected at open, wherever it is cut" {
  "$VS_BIN/vs-build" -q --shards 1 --metric l2 -M 4 -o idx small.jsonl
  "$VS_BIN/vs-query" -k 5 idx <small-queries.jsonl >expected.jsonl
  local shard size cut detected_at_open=0 detected_by_verify=0 harmless=0
  shard=idx/$(jq -r '.shards[0].file' idx/manifest.json)
  cp "$shard" original.vsi
  size=$(stat -c %s original.vsi)
  for cut in 0 1 127 128 160 383 384 $(seq 448 397 $((size - 64))) $((size - 33)) $((size - 32)) $((size - 1)); do
    head -c "$cut" original.vsi >"$shard"
    check_mutation "cut at $cut of $size"
  done
  cp original.vsi "$shard"
  assert_equal "$((detected_by_verify + harmless))" 0
  echo "# $detected_at_open truncations of a $size-byte shard, all detected at open" >&3
}

@test "a shard with a bit flipped anywhere is detected at open or by --verify, never answered from silently" {
  "$VS_BIN/vs-build" -q --shards 1 --metric l2 -M 4 -o idx small.jsonl
  "$VS_BIN/vs-query" -k 5 idx <small-queries.jsonl >expected.jsonl
  local shard size pos byte detected_at_open=0 detected_by_verify=0 harmless=0 positions
  shard=idx/$(jq -r '.shards[0].file' idx/manifest.json)
  size=$(stat -c %s "$shard")
  # Every 4th byte of the header and section table, every 97th of the
  # sections (a prime stride walks across fields), every byte of the trailer.
  positions="$(seq 0 4 383) $(seq 384 97 $((size - 33))) $(seq $((size - 32)) $((size - 1)))"
  for pos in $positions; do
    byte=$(od -An -tu1 -j "$pos" -N1 "$shard" | tr -d ' ')
    local flipped=$((byte ^ (1 << (pos % 8))))
    printf "\\x$(printf %02x "$flipped")" | dd of="$shard" bs=1 seek="$pos" conv=notrunc status=none
    check_mutation "bit $((pos % 8)) of byte $pos of $size"
    printf "\\x$(printf %02x "$byte")" | dd of="$shard" bs=1 seek="$pos" conv=notrunc status=none
  done
  run "$VS_BIN/vs-query" --verify -k 5 idx <small-queries.jsonl
  assert_success
  echo "# $(wc -w <<<"$positions") flips: $detected_at_open at open, $detected_by_verify by --verify, $harmless in unread bytes" >&3
  ((detected_by_verify > 0 && detected_at_open > 0)) || fail "the sample missed a whole kind of check"
}
