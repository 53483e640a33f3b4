#!/usr/bin/env bats
# vs-query against a real index built by vs-ingest | vs-build.

load helpers

# 2000 clustered 16-d documents (ids d1..d2000), l2, three shards; the first
# 50 documents are the queries.
setup_file() {
  local dir="$BATS_FILE_TMPDIR"
  gen_docs 2000 16 7 >"$dir/docs.jsonl"
  "$VS_BIN/vs-ingest" --metric l2 "$dir/docs.jsonl" | "$VS_BIN/vs-build" -q --shards 3 -o "$dir/idx"
  head -50 "$dir/docs.jsonl" >"$dir/first50.jsonl"
  docs_as_queries "$dir/first50.jsonl" >"$dir/queries.jsonl"
}

setup() {
  IDX="$BATS_FILE_TMPDIR/idx"
  QUERIES="$BATS_FILE_TMPDIR/queries.jsonl"
  DOCS="$BATS_FILE_TMPDIR/docs.jsonl"
}

# The query ids of a result stream, one per line.
query_ids() { sed -E 's/^\{"id":"([^"]*)".*/\1/' "$@"; }
# The hit ids of each result line, space-separated, one line per query.
hit_ids() { sed -E 's/^\{"id":"[^"]*","hits":\[//; s/\{"id":"([^"]*)","score":[^}]*\},?/\1 /g; s/ ?\]\}$//' "$@"; }

# Flips bit 6 of the byte at OFFSET in FILE.
flip_byte() {
  local file=$1 offset=$2 byte
  byte=$(od -An -t u1 -j "$offset" -N 1 "$file" | tr -d ' ')
  # shellcheck disable=SC2059
  printf "$(printf '\\%03o' $((byte ^ 0x40)))" | dd of="$file" bs=1 seek="$offset" conv=notrunc status=none
}

first_shard() { ls "$IDX"/*.vsi | head -1; }

@test "each document queried finds itself first" {
  run "$VS_BIN/vs-query" -k 5 -i "$QUERIES" "$IDX"
  assert_success
  [ "$(echo "$output" | wc -l)" -eq 50 ]
  [ "$(echo "$output" | grep -Ec '^\{"id":"([^"]*)","hits":\[\{"id":"\1","score":0\}')" -eq 50 ]
}

@test "--exact equals a brute-force search" {
  head -5 "$QUERIES" >"$BATS_TEST_TMPDIR/q5.jsonl"
  run "$VS_BIN/vs-query" --exact -k 7 -i "$BATS_TEST_TMPDIR/q5.jsonl" "$IDX"
  assert_success
  echo "$output" | hit_ids >"$BATS_TEST_TMPDIR/got"
  # Brute force in awk: squared l2 to every document, sorted, first 7 ids.
  awk 'function parse(line, v,   s, n, i, parts) {
         s = line; sub(/.*\[/, "", s); sub(/\].*/, "", s)
         n = split(s, parts, ","); for (i = 1; i <= n; i++) v[i] = parts[i] + 0; return n
       }
       NR == FNR { id = $0; sub(/^\{"id":"/, "", id); sub(/".*/, "", id); ids[++count] = id
                   dim = parse($0, tmp); for (i = 1; i <= dim; i++) doc[count, i] = tmp[i]; next }
       { parse($0, q)
         cmd = "sort -g -k1,1 | head -7 | cut -d\" \" -f2 | tr \"\\n\" \" \""
         for (j = 1; j <= count; j++) { s = 0; for (i = 1; i <= dim; i++) { t = doc[j, i] - q[i]; s += t * t }
                                        printf "%.9g %s\n", s, ids[j] | cmd }
         close(cmd); print "" }' "$DOCS" "$BATS_TEST_TMPDIR/q5.jsonl" | sed 's/ $//' >"$BATS_TEST_TMPDIR/want"
  run diff "$BATS_TEST_TMPDIR/got" "$BATS_TEST_TMPDIR/want"
  assert_success
}

@test "results come out in query order with several threads and small batches" {
  run "$VS_BIN/vs-query" --threads 2 --batch 3 -i "$QUERIES" "$IDX"
  assert_success
  diff <(echo "$output" | query_ids) <(query_ids "$QUERIES")
}

@test "a query of the wrong dimension exits 65 naming stdin and the line" {
  run bash -c "{ head -1 '$QUERIES'; echo '{\"id\":\"bad\",\"vector\":[1,2,3]}'; } | '$VS_BIN/vs-query' '$IDX'"
  assert_failure 65
  assert_output --partial "vs-query: stdin:2: 'vector' has 3 numbers, expected 16"
  # The query before the bad one was still answered.
  assert_output --partial '{"id":"d1","hits":[{"id":"d1"'
}

@test "k <= 0 in a query exits 65; -k 0 exits 2" {
  run bash -c "head -1 '$QUERIES' | sed 's/}\$/,\"k\":0}/' | '$VS_BIN/vs-query' '$IDX'"
  assert_failure 65
  assert_output --partial "stdin:1: 'k' must be a positive integer"
  run "$VS_BIN/vs-query" -k 0 "$IDX"
  assert_failure 2
  run "$VS_BIN/vs-query" --ef -3 "$IDX"
  assert_failure 2
}

@test "k in a query overrides -k" {
  run bash -c "head -1 '$QUERIES' | sed 's/}\$/,\"k\":2,\"ef\":10}/' | '$VS_BIN/vs-query' -k 9 '$IDX'"
  assert_success
  [ "$(echo "$output" | grep -o '"score"' | wc -l)" -eq 2 ]
}

@test "vs-query | head -1 exits 0 with empty stderr" {
  for _ in 1 2 3 4 5 6 7 8; do docs_as_queries "$DOCS"; done >"$BATS_TEST_TMPDIR/many.jsonl"
  run bash -c "'$VS_BIN/vs-query' -k 50 -i '$BATS_TEST_TMPDIR/many.jsonl' '$IDX' 2>'$BATS_TEST_TMPDIR/err' | head -1; echo \"status=\${PIPESTATUS[0]}\""
  assert_success
  assert_line --index 1 "status=0"
  [ ! -s "$BATS_TEST_TMPDIR/err" ]
}

@test "several .vsi arguments give the same results as the directory" {
  run "$VS_BIN/vs-query" -i "$QUERIES" "$IDX"
  assert_success
  local from_dir=$output
  run "$VS_BIN/vs-query" -i "$QUERIES" "$IDX"/*.vsi
  assert_success
  [ "$output" = "$from_dir" ]
}

@test "one shard alone answers from its own documents only" {
  run "$VS_BIN/vs-query" -k 3 -i "$QUERIES" "$(first_shard)"
  assert_success
  [ "$(echo "$output" | wc -l)" -eq 50 ]
}

@test "a truncated shard exits 65 naming the file" {
  local shard="$BATS_TEST_TMPDIR/cut.vsi"
  head -c 5000 "$(first_shard)" >"$shard"
  run "$VS_BIN/vs-query" -i "$QUERIES" "$shard"
  assert_failure 65
  assert_output --partial "cut.vsi"
}

@test "a flipped header byte exits 65 naming the file" {
  local shard="$BATS_TEST_TMPDIR/flip.vsi"
  cp "$(first_shard)" "$shard"
  flip_byte "$shard" 40
  run "$VS_BIN/vs-query" -i "$QUERIES" "$shard"
  assert_failure 65
  assert_output --partial "flip.vsi"
}

@test "--verify catches a flipped byte in the vector data" {
  local shard="$BATS_TEST_TMPDIR/data.vsi"
  cp "$(first_shard)" "$shard"
  # The first section table entry (at byte 128) is the node section: u32 kind,
  # u32 reserved, u64 offset. Its first bytes are node 0's vector.
  local offset
  offset=$(od -An -t u8 -j 136 -N 8 "$shard" | tr -d ' ')
  flip_byte "$shard" $((offset + 2))
  run "$VS_BIN/vs-query" -i "$QUERIES" "$shard"
  assert_success
  run "$VS_BIN/vs-query" --verify -i "$QUERIES" "$shard"
  assert_failure 65
  assert_output --partial "data.vsi"
}

@test "a missing shard exits 1 naming it" {
  run "$VS_BIN/vs-query" -i "$QUERIES" "$BATS_TEST_TMPDIR/none.vsi"
  assert_failure 1
  assert_output --partial "none.vsi"
}

@test "--skip-invalid reports, counts and writes rejects" {
  { head -2 "$QUERIES"; echo 'not json'; echo '{"vector":[1],"id":"short"}'; sed -n 3p "$QUERIES"; } >"$BATS_TEST_TMPDIR/mixed.jsonl"
  run "$VS_BIN/vs-query" --skip-invalid --rejects "$BATS_TEST_TMPDIR/rejects" -i "$BATS_TEST_TMPDIR/mixed.jsonl" "$IDX"
  assert_success
  assert_output --partial "mixed.jsonl:3:"
  assert_output --partial "mixed.jsonl:4: 'vector' has 1 numbers, expected 16"
  assert_output --partial "skipped 2 invalid queries"
  [ "$(grep -c '"hits"' <<<"$output")" -eq 3 ]
  run cat "$BATS_TEST_TMPDIR/rejects"
  assert_output $'not json\n{"vector":[1],"id":"short"}'
}

@test "--vector answers one query with id \"vector\"" {
  local vec
  vec=$(head -1 "$QUERIES" | sed -E 's/.*\[(.*)\].*/\1/')
  run bash -c "echo garbage | '$VS_BIN/vs-query' -k 1 --vector '$vec' '$IDX'"
  assert_success
  assert_output '{"id":"vector","hits":[{"id":"d1","score":0}]}'
  run "$VS_BIN/vs-query" --vector "1,2" "$IDX"
  assert_failure 2
}

@test "a filter on a field the index lacks and unknown query fields are named" {
  run bash -c "head -1 '$QUERIES' | sed 's/}\$/,\"filter\":{\"a\":1}}/' | '$VS_BIN/vs-query' '$IDX'"
  assert_failure 65
  assert_output --partial "stdin:1: filter: field 'a' is not indexed (indexed: category)"
  run bash -c "head -1 '$QUERIES' | sed 's/}\$/,\"top\":3}/' | '$VS_BIN/vs-query' '$IDX'"
  assert_failure 65
  assert_output --partial "unknown field 'top'"
}

@test "--version and --help" {
  run "$VS_BIN/vs-query" --version
  assert_success
  assert_line --index 0 --regexp '^vs-query \(vs\) [0-9]+\.[0-9]+\.[0-9]+'
  run "$VS_BIN/vs-query" --help
  assert_success
  assert_output --partial "--exact"
}
