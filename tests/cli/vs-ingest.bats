#!/usr/bin/env bats
# vs-ingest through the real binary: formats, bad input, exit statuses, pipes.

load '/usr/lib/bats/bats-support/load'
load '/usr/lib/bats/bats-assert/load'
bats_require_minimum_version 1.5.0

setup() {
  cd "$BATS_TEST_TMPDIR"
  ingest="$VS_BIN/vs-ingest"
  printf '%s\n' '{"id":"a","vec":[3,4,0],"category":"news","year":2020}' \
    '{"id":7,"vec":[0,0,2]}' '{"id":"c","vec":[1,0,0],"tags":["x"]}' >good.jsonl
}

# bad_case LINE: a file whose second line is LINE, after a good one.
bad_case() {
  printf '%s\n%s\n%s\n' '{"id":"ok","vec":[1,2,3]}' "$1" '{"id":"ok2","vec":[1,2,3]}' >bad.jsonl
}

# expect_bad LINE REASON [FLAGS...]: exit 65 and exactly one stderr line naming bad.jsonl:2.
expect_bad() {
  local line=$1 reason=$2
  shift 2
  bad_case "$line"
  run --separate-stderr "$ingest" --format jsonl "$@" bad.jsonl
  assert_equal "$status" 65
  assert_equal "$stderr" "vs-ingest: bad.jsonl:2: $reason"
}

@test "--version and --help" {
  run "$ingest" --version
  assert_success
  assert_output "vs-ingest (vs) 0.1.0"
  run "$ingest" --help
  assert_success
  assert_output --partial "--skip-invalid"
  assert_output --partial "--format"
}

@test "binary output is a record stream with the documented header" {
  run "$ingest" -o out.vsr good.jsonl
  assert_success
  run head -c 7 out.vsr
  assert_output "VSRSTRM"
  # version 1, dim 3, metric 1 (cosine, the default), element type 0, flags 0.
  run od -An -tu4 -w20 -j8 -N20 out.vsr
  assert_output --regexp '^ +1 +3 +1 +0 +0$'
  [ -z "$(ls | grep -F .tmp-)" ] || fail "temporary file left behind"
}

@test "--format jsonl writes normalised JSON Lines" {
  run "$ingest" --format jsonl good.jsonl
  assert_success
  assert_output - <<'EOF'
{"id":"a","vec":[0.6,0.8,0],"category":"news","year":2020}
{"id":"7","vec":[0,0,1]}
{"id":"c","vec":[1,0,0],"tags":["x"]}
EOF
  run "$ingest" --format jsonl --metric l2 good.jsonl
  assert_line --index 0 '{"id":"a","vec":[3,4,0],"category":"news","year":2020}'
}

@test "CRLF, blank lines and a last line without newline are accepted" {
  printf '{"id":"a","vec":[1,2]}\r\n\r\n   \n{"id":"b","vec":[3,4]}' >crlf.jsonl
  run --separate-stderr "$ingest" --format jsonl --metric l2 crlf.jsonl
  assert_success
  assert_equal "$output" $'{"id":"a","vec":[1,2]}\n{"id":"b","vec":[3,4]}'
  assert_equal "$stderr" ""
}

@test "bad input: line not JSON" { expect_bad 'this is not json' 'not valid JSON: expected a JSON object'; }
@test "bad input: truncated object" {
  expect_bad '{"id":"x","vec":[1,2,3]' 'not valid JSON: bad structure (a missing or extra comma, colon, brace or bracket)'
}
@test "bad input: missing id" { expect_bad '{"vec":[1,2,3]}' "missing 'id'"; }
@test "bad input: id of the wrong type" {
  expect_bad '{"id":[1],"vec":[1,2,3]}' "'id' must be a string or an integer, got an array"
}
@test "bad input: missing vector" { expect_bad '{"id":"x"}' "missing 'vec'"; }
@test "bad input: non-number in the vector" {
  expect_bad '{"id":"x","vec":[1,"2",3]}' "'vec' element 2 is not a number (got a string)"
}
@test "bad input: NaN" {
  expect_bad '{"id":"x","vec":[1,NaN,3]}' "'vec' element 2 is not a finite number (NaN and Infinity are not JSON)"
}
@test "bad input: Infinity" {
  expect_bad '{"id":"x","vec":[1,Infinity,3]}' "'vec' element 2 is not a finite number (NaN and Infinity are not JSON)"
}
@test "bad input: 1e999" { expect_bad '{"id":"x","vec":[1,1e999,3]}' "'vec' element 2 is not a finite number"; }
@test "bad input: wrong dimension against the first record" {
  expect_bad '{"id":"x","vec":[1,2]}' "'vec' has 2 numbers, expected 3"
}
@test "bad input: wrong dimension against --dim" {
  bad_case '{"id":"x","vec":[1,2,3]}'
  run --separate-stderr "$ingest" --dim 784 --format jsonl bad.jsonl
  assert_equal "$status" 65
  assert_equal "$stderr" "vs-ingest: bad.jsonl:1: 'vec' has 3 numbers, expected 784"
}
@test "bad input: empty vector" { expect_bad '{"id":"x","vec":[]}' "'vec' is empty"; }
@test "bad input: zero vector under cosine" {
  expect_bad '{"id":"x","vec":[0,0,0]}' "'vec' is all zeros, which has no direction under cosine"
  bad_case '{"id":"x","vec":[0,0,0]}'
  run "$ingest" --metric l2 --format jsonl bad.jsonl
  assert_success
}

@test "custom field names" {
  echo '{"doc":"a","emb":[1,2],"id":"kept"}' >custom.jsonl
  run "$ingest" --id-field doc --vec-field emb --metric l2 --format jsonl custom.jsonl
  assert_success
  assert_output '{"id":"a","vec":[1,2],"id":"kept"}'
}

@test "--skip-invalid with --rejects keeps exactly the bad lines and prints counts" {
  { cat good.jsonl; echo 'bad one'; echo; echo '{"id":"z","vec":[1,NaN,0]}'; echo '{"id":"d","vec":[0,1,0]}'; } >mixed.jsonl
  run --separate-stderr "$ingest" --skip-invalid --rejects rejects.txt --format jsonl mixed.jsonl
  assert_success
  assert_equal "$(wc -l <<<"$output")" 4
  run cat rejects.txt
  assert_output $'bad one\n{"id":"z","vec":[1,NaN,0]}'
  run --separate-stderr "$ingest" --skip-invalid --rejects rejects.txt -o out.vsr mixed.jsonl
  assert_success
  assert_equal "${stderr_lines[0]}" "vs-ingest: mixed.jsonl:4: not valid JSON: expected a JSON object"
  assert_equal "${stderr_lines[1]:0:26}" "vs-ingest: mixed.jsonl:6: "
  assert_equal "${stderr_lines[2]}" "vs-ingest: 4 records, 2 rejected, dim 3, cosine"
  assert_equal "${#stderr_lines[@]}" 3
}

@test "--quiet silences reject messages and the summary" {
  { cat good.jsonl; echo 'bad'; } >mixed.jsonl
  run --separate-stderr "$ingest" --skip-invalid --quiet -o out.vsr mixed.jsonl
  assert_success
  assert_equal "$stderr" ""
}

@test "no summary when stderr is not a terminal and nothing was rejected; --progress forces it" {
  run --separate-stderr "$ingest" -o out.vsr good.jsonl
  assert_equal "$stderr" ""
  run --separate-stderr "$ingest" --progress -o out.vsr good.jsonl
  assert_equal "$stderr" "vs-ingest: 3 records, 0 rejected, dim 3, cosine"
}

@test "zstd input, detected by content" {
  zstd -q good.jsonl -o good.jsonl.zst
  cp good.jsonl.zst no-suffix
  run "$ingest" --format jsonl good.jsonl
  expected=$output
  run "$ingest" --format jsonl good.jsonl.zst
  assert_success
  assert_output "$expected"
  run "$ingest" --format jsonl no-suffix
  assert_output "$expected"
}

@test "truncated zstd input is bad data naming the file" {
  for i in $(seq 200); do cat good.jsonl; done | zstd -q -c >big.jsonl.zst
  head -c 100 big.jsonl.zst >cut.jsonl.zst
  run --separate-stderr "$ingest" --format jsonl cut.jsonl.zst
  assert_equal "$status" 65
  assert_equal "${stderr_lines[0]:0:31}" "vs-ingest: cut.jsonl.zst: trunc"
}

@test "stdin, as no argument or -, and errors name stdin" {
  run bash -c "'$ingest' --format jsonl < good.jsonl"
  assert_success
  assert_line --index 1 '{"id":"7","vec":[0,0,1]}'
  run bash -c "cat good.jsonl | '$ingest' --format jsonl -"
  assert_line --index 1 '{"id":"7","vec":[0,0,1]}'
  bad_case '{"id":"x"}'
  run --separate-stderr bash -c "'$ingest' --format jsonl < bad.jsonl"
  assert_equal "$status" 65
  assert_equal "$stderr" "vs-ingest: stdin:2: missing 'vec'"
}

@test "several inputs make one stream with one dimension" {
  echo '{"id":"q","vec":[1,2]}' >two.jsonl
  run --separate-stderr "$ingest" --format jsonl good.jsonl good.jsonl
  assert_success
  assert_equal "${#lines[@]}" 6
  run --separate-stderr "$ingest" --format jsonl good.jsonl two.jsonl
  assert_equal "$status" 65
  assert_equal "$stderr" "vs-ingest: two.jsonl:1: 'vec' has 2 numbers, expected 3"
}

@test "--compress writes a flagged stream that vs-ingest's reader accepts" {
  run "$ingest" --compress --batch 2 -o out.vsr good.jsonl
  assert_success
  run od -An -tu4 -j24 -N4 out.vsr
  assert_output --regexp '^ +1$'
}

@test "a failed run leaves an existing output file untouched" {
  echo previous >out.vsr
  bad_case '{"id":"x"}'
  run "$ingest" -o out.vsr bad.jsonl
  assert_equal "$status" 65
  run cat out.vsr
  assert_output previous
  [ -z "$(ls | grep -F .tmp-)" ] || fail "temporary file left behind"
}

@test "refuses to write binary to a terminal" {
  command -v script >/dev/null || skip "script(1) is not installed"
  run script -qec "'$ingest' good.jsonl" /dev/null
  assert_equal "$status" 2
  assert_output --partial "vs-ingest: refusing to write binary to a terminal; redirect or use --format jsonl"
  run script -qec "'$ingest' --format jsonl good.jsonl" /dev/null
  assert_success
}

@test "a closed pipe exits 0 quietly" {
  awk 'BEGIN { for (i = 0; i < 20000; i++) printf "{\"id\":\"d%d\",\"vec\":[%d,1,2,3,4,5,6,7]}\n", i, i }' >many.jsonl
  run bash -c "set -o pipefail; '$ingest' many.jsonl 2>err.txt | head -c 1 >/dev/null"
  assert_success
  run bash -c "set -o pipefail; '$ingest' --format jsonl many.jsonl 2>>err.txt | head -c 1 >/dev/null"
  assert_success
  run cat err.txt
  assert_output ""
}

@test "usage errors exit 2, missing files exit 1" {
  run "$ingest" --metric manhattan good.jsonl
  assert_equal "$status" 2
  run "$ingest" --rejects r.txt good.jsonl
  assert_equal "$status" 2
  run "$ingest" --format xml good.jsonl
  assert_equal "$status" 2
  run --separate-stderr "$ingest" --format jsonl missing.jsonl
  assert_equal "$status" 1
  assert_equal "$stderr" "vs-ingest: cannot open 'missing.jsonl': No such file or directory"
}
